package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var hello struct {
	once sync.Once
	bin  []byte
	err  error
}

// HelloBootstrap returns the sample hello function (functions/hello) built the way the Makefile
// builds it: linux/arm64, static, -tags lambda.norpc. It is built once per test process.
func HelloBootstrap(t testing.TB) []byte {
	t.Helper()
	hello.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			hello.err = err
			return
		}
		dir, err := os.MkdirTemp("", "bootstrap-guard-hello")
		if err != nil {
			hello.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", out, "./functions/hello")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			hello.err = fmt.Errorf("build functions/hello: %v\n%s", err, b)
			return
		}
		hello.bin, hello.err = os.ReadFile(out)
	})
	if hello.err != nil {
		t.Fatal(hello.err)
	}
	return hello.bin
}
