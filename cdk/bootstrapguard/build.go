package bootstrapguard

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildHook compiles the hook (./hook of this module) for linux/arm64 as bootstrap into a
// directory whose root holds only that file, and returns the directory: the asset of the hook
// function. It runs at synth time, so a clean checkout deploys with `cdk deploy` alone. The build
// is reproducible (-trimpath, no VCS stamp), so the asset hash changes only when the code does.
// It panics with the compiler's output when the build fails: synthesis cannot go on without it.
func BuildHook() string {
	root, err := moduleRoot()
	if err != nil {
		panic(fmt.Sprintf("bootstrap-guard: find the module to build the hook: %v", err))
	}
	dir := filepath.Join(root, "build", "cdk-hook")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(fmt.Sprintf("bootstrap-guard: %v", err))
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w",
		"-o", filepath.Join(dir, "bootstrap"), "./hook")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		panic(fmt.Sprintf("bootstrap-guard: build the hook (go build ./hook): %v\n%s", err, out))
	}
	return dir
}

// moduleRoot asks the go command where this module's go.mod is, from the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (run synth from the bootstrap-guard checkout)")
	}
	return filepath.Dir(gomod), nil
}
