// Package groundtruth checks the engine against what the AWS Lambda Runtime Interface Emulator
// does with the same package: each sample is unpacked with unzip (which keeps Unix modes and
// symlinks, as Lambda does), bind-mounted at /var/task in a private mount namespace, and started
// by the emulator the way Lambda starts a custom runtime. The engine must PASS exactly the
// packages the emulator can start, and name the rule for the error the emulator reports.
package groundtruth

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// hostArch is the Lambda architecture this machine's CPU matches: the emulator runs binaries
// natively, so the engine is asked about the host's architecture.
func hostArch(t *testing.T) string {
	switch runtime.GOARCH {
	case "amd64":
		return result.ArchX86
	case "arm64":
		return result.ArchARM
	}
	t.Skipf("no Lambda architecture matches %s", runtime.GOARCH)
	return ""
}

// rieOutcome is what the emulator reported: started, or the start error.
type rieOutcome struct {
	started bool
	err     string // e.g. "fork/exec /var/task/bootstrap: permission denied"
	log     string
}

// runRIE starts the emulator with pkgDir mounted at /var/task and invokes it once.
func runRIE(t *testing.T, rie, pkgDir string) rieOutcome {
	t.Helper()
	port := testenv.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	script := fmt.Sprintf("mkdir -p /var/task && mount --bind %q /var/task && exec %q --runtime-interface-emulator-address 127.0.0.1:%d", pkgDir, rie, port)
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=5")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rie: %v", err)
	}
	defer func() { cancel(); cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port)
	testenv.WaitListening(t, port, 10*time.Second, &out)
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Post(url, "application/json", strings.NewReader(`{}`))
	if err == nil {
		resp.Body.Close()
	}
	time.Sleep(100 * time.Millisecond) // let the emulator flush its log lines
	cancel()
	cmd.Wait()
	log := out.String()
	o := rieOutcome{started: true, log: log}
	if i := strings.Index(log, "error=fork/exec "); i >= 0 {
		o.started = false
		line, _, _ := strings.Cut(log[i+len("error="):], "\n")
		line, _, _ = strings.Cut(line, " InvokeID")
		o.err = strings.TrimSpace(line)
	}
	return o
}

// samples builds the packages of functions/ with the Makefile, the way a user does.
func samples(t *testing.T) map[string]string {
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "-s", "zip")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make zip: %v\n%s", err, out)
	}
	out := map[string]string{}
	for _, n := range []string{"hello", "nested", "legacy", "noexec", "wrongarch", "darwin", "cgo", "crlf"} {
		out[n] = filepath.Join(root, "functions", "bin", n+".zip")
	}
	return out
}

func writeZip(t *testing.T, path string, entries ...func(*zip.Writer)) string {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		e(zw)
	}
	zw.Close()
	f.Close()
	return path
}

func file(name string, data []byte, mode fs.FileMode, msdos bool) func(*zip.Writer) {
	return func(zw *zip.Writer) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if msdos {
			h.CreatorVersion = 20
			h.ExternalAttrs = 0x20
		} else {
			h.SetMode(mode)
		}
		w, _ := zw.CreateHeader(h)
		w.Write(data)
	}
}

func TestAgainstRIE(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private mount namespace (unshare --mount)")
	}
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Skip("unzip not installed")
	}
	rie := testenv.Bin(t, "aws-lambda-rie")
	arch := hostArch(t)
	pkgs := samples(t)
	dir := t.TempDir()
	amd64, err := os.ReadFile(filepath.Join(filepath.Dir(pkgs["wrongarch"]), "wrongarch", "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs["symlink-valid"] = writeZip(t, filepath.Join(dir, "symlink-valid.zip"),
		file("bootstrap", []byte("app"), fs.ModeSymlink|0o777, false), file("app", amd64, 0o755, false))
	pkgs["symlink-dangling"] = writeZip(t, filepath.Join(dir, "symlink-dangling.zip"),
		file("bootstrap", []byte("bin/app"), fs.ModeSymlink|0o777, false))
	pkgs["msdos"] = writeZip(t, filepath.Join(dir, "msdos.zip"), file("bootstrap", amd64, 0, true))
	pkgs["script"] = writeZip(t, filepath.Join(dir, "script.zip"), file("bootstrap", []byte("#!/bin/sh\necho started\n"), 0o755, false))

	// The Lambda error each rule stands for, as the emulator words it.
	errorOf := map[result.RuleID]string{
		result.BootstrapMissing:       "no such file or directory",
		result.BootstrapNested:        "no such file or directory",
		result.BootstrapBrokenSymlink: "no such file or directory",
		result.BootstrapScriptCRLF:    "no such file or directory", // the kernel finds no "/bin/sh\r"
		result.BootstrapNotExecutable: "permission denied",
		result.BootstrapArchMismatch:  "exec format error",
		result.BootstrapNotLinux:      "exec format error",
	}
	checker := inspect.New(inspect.Options{})
	for name, zipPath := range pkgs {
		t.Run(name, func(t *testing.T) {
			unpacked := filepath.Join(dir, "unpacked-"+name)
			if out, err := exec.Command("unzip", "-q", zipPath, "-d", unpacked).CombinedOutput(); err != nil {
				t.Fatalf("unzip: %v\n%s", err, out)
			}
			got := runRIE(t, rie, unpacked)
			f, err := os.Open(zipPath)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			res, err := checker.Check(context.Background(), inspect.Function{Target: name, Runtime: "provided.al2023", Handler: "bootstrap",
				Architecture: arch, Code: inspect.Source{Name: zipPath, ReaderAt: f, Size: st.Size()}})
			if err != nil {
				t.Fatal(err)
			}
			var rules []result.RuleID
			for _, fd := range res.Findings {
				if fd.Severity == result.Error {
					rules = append(rules, fd.Rule)
				}
			}
			t.Logf("emulator: started=%v %q; engine: %s %v", got.started, got.err, res.Status, rules)
			if got.started != (res.Status == result.Pass) {
				t.Fatalf("emulator started=%v but engine says %s %v\n%s", got.started, res.Status, rules, got.log)
			}
			if got.started {
				return
			}
			want := errorOf[rules[0]]
			if want == "" || !strings.HasSuffix(got.err, want) {
				t.Errorf("engine's first rule %s stands for %q; the emulator said %q", rules[0], want, got.err)
			}
		})
	}
}
