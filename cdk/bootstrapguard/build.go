package bootstrapguard

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// HookPackage is the import path of the hook's main package. BuildHook builds it by this path, not
// by a directory, so the go command finds it in the module graph of whichever module runs the
// synth: this repository, or a user's CDK app that requires github.com/bootstrap-guard/bootstrap-guard
// (directly, through a replace, or through a go.work workspace).
const HookPackage = "github.com/bootstrap-guard/bootstrap-guard/hook"

// hookBuildFlags make the build reproducible: -trimpath drops local paths, -buildvcs=false drops
// the VCS stamp (a user's module may be a dirty checkout), -s -w drop symbols that change with
// nothing the hook does. lambda.norpc leaves out the go1.x RPC mode, which provided.al2023 never
// uses. See https://pkg.go.dev/cmd/go#hdr-Compile_packages_and_dependencies for the flags and
// https://github.com/aws/aws-lambda-go (lambda/rpc_function.go, build tag lambda.norpc).
var hookBuildFlags = []string{"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w"}

// hookBuildEnv targets the hook function: provided.al2023 on arm64 (Graviton), a static binary.
var hookBuildEnv = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}

// zipEpoch is the modification time written into hook.zip, so the same binary always gives the
// same zip bytes (and the same content-hash object key). 1980-01-01 is the earliest time the zip
// format's MS-DOS date field can hold (APPNOTE.TXT 4.4.6).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrNoGoToolchain reports that the hook cannot be built at synth time because there is no go
// command. Pass BootstrapGuardProps.Code (a prebuilt package) instead.
var ErrNoGoToolchain = errors.New("no Go toolchain")

// BuildHook compiles the hook for linux/arm64 as bootstrap and returns a directory whose only file
// is that bootstrap: the asset of the hook function. It panics with the go command's output when
// the build fails, since synthesis cannot go on without the hook's code; HookAsset returns the error
// instead.
func BuildHook() string {
	dir, err := HookAsset()
	if err != nil {
		panic(err.Error())
	}
	return dir
}

// HookAsset builds HookPackage from the module graph of the working directory's module, with
// hookBuildFlags, and stores the bootstrap under the user cache directory in a directory named by
// the binary's SHA-256: the same sources always give the same directory (and the same CDK asset
// hash), and a rebuild that changes nothing reuses it. The go command's own build cache makes a
// rebuild of unchanged sources a link step (under a second).
func HookAsset() (string, error) {
	bin, err := buildHookBinary()
	if err != nil {
		return "", err
	}
	defer os.Remove(bin)
	sum, err := fileSHA256(bin)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(filepath.Dir(bin), "hook-"+sum[:16])
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
		return dir, nil
	}
	// Build the directory beside its final name and rename it into place, so that a concurrent
	// synth never sees a half-written bootstrap.
	tmp, err := os.MkdirTemp(filepath.Dir(bin), "hook-tmp-")
	if err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook asset: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := copyFile(bin, filepath.Join(tmp, "bootstrap"), 0o755); err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook asset: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "bootstrap")); statErr == nil {
			return dir, nil // another synth won the race with the same content
		}
		return "", fmt.Errorf("bootstrap-guard: hook asset: %w", err)
	}
	return dir, nil
}

// HookZip builds the hook (as HookAsset does) and packs it as hook.zip with bootstrap at the root,
// mode 0755, and a fixed timestamp: the same binary always gives the same zip, so its content hash
// (HookKey) changes only when the hook does. It returns the zip's path, named hook-SHA.zip.
func HookZip() (string, error) {
	dir, err := HookAsset()
	if err != nil {
		return "", err
	}
	bin, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook zip: %w", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	// SetMode records Unix permissions (and marks the entry as made on Unix), which Lambda keeps
	// when it extracts the package: bootstrap must be executable.
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(bin)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook zip: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	path := filepath.Join(filepath.Dir(dir), "hook-"+hex.EncodeToString(sum[:])[:16]+".zip")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(dir), "hook-zip-")
	if err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook zip: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return "", fmt.Errorf("bootstrap-guard: hook zip: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook zip: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook zip: %w", err)
	}
	return path, nil
}

// cacheDir is where built hooks are kept: $BOOTSTRAP_GUARD_CACHE, else the user cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux), else the temporary directory.
func cacheDir() (string, error) {
	dir := os.Getenv("BOOTSTRAP_GUARD_CACHE")
	if dir == "" {
		if base, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(base, "bootstrap-guard")
		} else {
			dir = filepath.Join(os.TempDir(), "bootstrap-guard-cache")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bootstrap-guard: cache directory: %w", err)
	}
	return dir, nil
}

// goCommand finds the go command: in PATH, else in $GOROOT/bin.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("bootstrap-guard: the hook function is built from source at synth time and that needs the Go toolchain, but there is no `go` command in PATH (or $GOROOT/bin): "+
		"install Go (https://go.dev/dl/), or build the hook elsewhere (`make hook` in a checkout gives build/hook.zip) and pass it as "+
		"BootstrapGuardProps.Code (awslambda.Code_FromAsset(jsii.String(\"hook.zip\"), nil)): %w", ErrNoGoToolchain)
}

// buildHookBinary runs `go build HookPackage` in the working directory, whose module graph must
// contain this module, into a fresh file under the cache directory, and returns its path.
func buildHookBinary() (string, error) {
	goBin, err := goCommand()
	if err != nil {
		return "", err
	}
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(cache, "bootstrap-build-")
	if err != nil {
		return "", fmt.Errorf("bootstrap-guard: hook build: %w", err)
	}
	out := f.Name()
	f.Close()
	args := append([]string{"build"}, hookBuildFlags...)
	args = append(args, "-o", out, HookPackage)
	cmd := exec.Command(goBin, args...)
	cmd.Env = append(os.Environ(), hookBuildEnv...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(out)
		return "", fmt.Errorf("bootstrap-guard: build the hook (GOOS=linux GOARCH=arm64 go build %s) in %s: %w\n%s%s",
			HookPackage, workDir(), err, strings.TrimSpace(stderr.String()), buildHint(stderr.String()))
	}
	return out, nil
}

// buildHint turns the go command's usual complaints into the fix.
func buildHint(out string) string {
	switch {
	case strings.Contains(out, "go.mod file not found") || strings.Contains(out, "cannot find main module"),
		strings.Contains(out, "is not in std") || strings.Contains(out, "no required module provides package"):
		return "\nRun the synth from your CDK app's Go module, and add this module to it: go get github.com/bootstrap-guard/bootstrap-guard"
	case strings.Contains(out, "missing go.sum entry"):
		return "\nThe module's go.sum lacks the hook's dependencies: run go mod tidy (or go get github.com/bootstrap-guard/bootstrap-guard)"
	}
	return ""
}

func workDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "the working directory"
	}
	return wd
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("bootstrap-guard: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("bootstrap-guard: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// The umask may have narrowed the mode given to OpenFile.
	if err := out.Chmod(mode); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
