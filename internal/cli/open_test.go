package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUnsafeInputs: every file argument is a regular file of bounded size. A FIFO (which nobody
// writes to, so reading it would wait forever), a device, a directory where a file is expected
// and an oversize (sparse) file are refused with exit 2 and a message naming the path and the
// problem, and nothing blocks.
func TestUnsafeInputs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	pkgFifo := filepath.Join(dir, "pkg")
	if err := syscall.Mkfifo(pkgFifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	f, _ := os.Create(huge)
	if err := f.Truncate(10 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tmplDir := filepath.Join(dir, "template.yaml")
	os.Mkdir(tmplDir, 0o755)
	tmpl := filepath.Join(dir, "t.yaml")
	os.WriteFile(tmpl, []byte("Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.13, Handler: index.h, Code: {ZipFile: x}}\n"), 0o644)
	good := writeZip(t, dir, "good.zip", "bootstrap", 0o755)
	for _, tc := range []struct {
		name string
		args []string
		want string // on stderr (or stdout for runtimes --check), with the path
	}{
		{"template fifo", []string{"check", fifo}, "a named pipe (FIFO)"},
		{"template device", []string{"check", "/dev/zero"}, "a character device"},
		{"template oversize", []string{"check", huge}, "10737418240 bytes, at most"},
		{"directory named template.yaml", []string{"check", tmplDir}, "is a directory, where a template file is expected"},
		{"parameters fifo", []string{"check", "--parameters", fifo, tmpl}, "a named pipe (FIFO)"},
		{"parameters device", []string{"check", "--parameters", "/dev/zero", tmpl}, "a character device"},
		{"parameters oversize", []string{"check", "--parameters", huge, tmpl}, "10737418240 bytes, at most 1048576"},
		{"parameters directory", []string{"check", "--parameters", dir, tmpl}, "a directory"},
		{"layer fifo", []string{"check", "--layer", fifo, good}, "a named pipe (FIFO)"},
		{"package fifo", []string{"check", pkgFifo}, "a named pipe (FIFO)"},
		{"hook event fifo", []string{"hook-event", fifo}, "a named pipe (FIFO)"},
		{"hook event device", []string{"hook-event", "/dev/zero"}, "a character device"},
		{"hook event oversize", []string{"hook-event", huge}, "10737418240 bytes, at most 6291456"},
		{"runtimes check fifo", []string{"runtimes", "--check", fifo}, "a named pipe (FIFO)"},
		{"runtimes check device", []string{"runtimes", "--check", "/dev/zero"}, "a character device"},
		{"runtimes check oversize", []string{"runtimes", "--check", huge}, "10737418240 bytes, at most 1048576"},
		{"runtimes file fifo", []string{"check", "--runtimes", fifo, good}, "a named pipe (FIFO)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type out struct {
				code           int
				stdout, stderr string
			}
			done := make(chan out, 1)
			go func() {
				c, o, e := runCLI(tc.args...)
				done <- out{c, o, e}
			}()
			select {
			case r := <-done:
				if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("blocked")
			}
		})
	}
}

// TestFIFOCodeUri: a template whose CodeUri and layer are FIFOs is read without blocking; the
// package is reported as not inspected, saying why.
func TestFIFOCodeUri(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"code", "layer"} {
		if err := syscall.Mkfifo(filepath.Join(dir, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := filepath.Join(dir, "template.yaml")
	os.WriteFile(tmpl, []byte("Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.13, Handler: index.h, CodeUri: code, Layers: [!Ref L]}\n  L:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: layer}\n"), 0o644)
	done := make(chan string, 1)
	go func() {
		_, out, _ := runCLI("check", tmpl)
		done <- out
	}()
	select {
	case out := <-done:
		if !strings.Contains(out, "package-not-inspected") || !strings.Contains(out, "named pipe") {
			t.Errorf("output %q, want the package not inspected because it is a named pipe", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked")
	}
}

// TestControlCharactersEscaped: NUL and ESC written as YAML escapes in a logical ID, a runtime
// and a repeated key reach neither stdout nor stderr as control characters.
func TestControlCharactersEscaped(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "t.yaml")
	os.WriteFile(tmpl, []byte("Resources:\n  \"Fn\\0\\e[2J\\e[32m\":\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: \"go1.x\\e[8m\", Handler: bootstrap, Code: {ZipFile: x}}\nOutputs:\n  \"O\\e[31m\": {Value: a}\n  \"O\\e[31m\": {Value: b}\n"), 0o644)
	code, out, errOut := runCLI("check", tmpl)
	if code != ExitFail {
		t.Errorf("exit %d, want 1 (the runtime is not one Lambda knows)", code)
	}
	for name, s := range map[string]string{"stdout": out, "stderr": errOut} {
		for _, c := range s {
			if c != '\n' && (c < 0x20 || c == 0x7f) {
				t.Errorf("%s holds %U:\n%q", name, c, s)
				break
			}
		}
	}
	if !strings.Contains(out, `Fn\x00\x1b[2J\x1b[32m`) || !strings.Contains(errOut, `O\x1b[31m`) {
		t.Errorf("escaped names not shown:\n%s\n%s", out, errOut)
	}
}
