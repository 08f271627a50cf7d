package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// projResult is a JSON result with the fields a project check adds.
type projResult struct {
	Target, Status string
	Findings       []struct{ Rule, Severity, Message, Remediation, Path string }
	Package        *struct {
		Inspected              bool
		Source, Reason, Detail string
	}
	Origin *struct {
		Tool, Function, ConstructPath, AssetSource string
		Config                                     *struct {
			File string
			Line int
		}
	}
}

func (r projResult) has(rule string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// projectCheck runs check --format json in dir and decodes the results by target.
func projectCheck(t *testing.T, dir string, args ...string) (int, map[string]projResult, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	code := Run(context.Background(), append([]string{"check", "--format", "json"}, args...), Env{Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	var doc struct{ Results []projResult }
	if code != ExitUsage {
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%v\n%s%s", err, out.String(), errOut.String())
		}
	}
	m := map[string]projResult{}
	for _, r := range doc.Results {
		m[r.Target] = r
	}
	return code, m, errOut.String()
}

// runIn runs the command line in dir and returns its exit code and output.
func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	return runCLI(args...)
}

// copyProject copies testdata/projects/NAME into a temporary folder.
func copyProject(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "projects", name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeFileMode writes a file, making its folders.
func writeFileMode(t *testing.T, p string, b []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, mode); err != nil {
		t.Fatal(err)
	}
}

// zipAs writes a zip holding one executable under the entry name the zip tool gives it: `zip
// out.zip bin/world/bootstrap` keeps the path, `zip -j` keeps only the base name.
func zipAs(t *testing.T, out, entry string, body []byte) {
	t.Helper()
	writeFileMode(t, out, testenv.Zip(t, 0o755, map[string][]byte{entry: body}), 0o644)
}

// slsPackage runs the real `serverless package` (v3, from .cache/serverless) in each folder,
// offline, all at once (each run is mostly Node.js starting up).
func slsPackage(t *testing.T, dirs ...string) {
	t.Helper()
	node := testenv.Node(t)
	sls := testenv.NPMTool(t, "serverless", "serverless/bin/serverless.js")
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		cmd := exec.Command(node, sls, "package")
		cmd.Dir = dir
		cmd.Env = testenv.ToolEnv(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("serverless package in %s: %v\n%s", dir, err, out)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// TestServerlessPackage checks what the real `serverless package` wrote for Go functions built
// the field report's ways: every function mapped to the zip serverless deploy uploads, inspected,
// and named as in serverless.yml.
func TestServerlessPackage(t *testing.T) {
	boot := testenv.HelloBootstrap(t)
	type want struct {
		status, rule, source string
	}
	cases := []struct {
		project string
		setup   func(t *testing.T, dir string)
		code    int
		want    map[string]want
	}{
		{"sls-artifact", func(t *testing.T, dir string) {
			// The report's Makefile: go build -o bin/<name>/bootstrap, then zip -j (right) or zip (wrong).
			writeFileMode(t, filepath.Join(dir, "bin/hello/bootstrap"), boot, 0o755)
			writeFileMode(t, filepath.Join(dir, "bin/world/bootstrap"), boot, 0o755)
			zipAs(t, filepath.Join(dir, "bin/hello.zip"), "bootstrap", boot)
			zipAs(t, filepath.Join(dir, "bin/world.zip"), "bin/world/bootstrap", boot)
		}, ExitFail, map[string]want{
			"slsgo/hello": {"PASS", "", "bin/hello.zip"},
			"slsgo/world": {"FAIL", "bootstrap-nested", "bin/world.zip"},
		}},
		{"sls-patterns", func(t *testing.T, dir string) {
			writeFileMode(t, filepath.Join(dir, "bin/hello/bootstrap"), boot, 0o755)
			writeFileMode(t, filepath.Join(dir, "bootstrap"), boot, 0o755)
		}, ExitFail, map[string]want{
			"slspatterns/hello-nested": {"FAIL", "bootstrap-nested", ".serverless/hello-nested.zip"},
			"slspatterns/root_level":   {"PASS", "", ".serverless/root_level.zip"},
		}},
		{"sls-service", func(t *testing.T, dir string) {
			writeFileMode(t, filepath.Join(dir, "bootstrap"), boot, 0o755)
		}, ExitPass, map[string]want{
			"slsservice/first":  {"PASS", "", ".serverless/slsservice.zip"},
			"slsservice/second": {"PASS", "", ".serverless/slsservice.zip"},
		}},
	}
	dirs := make([]string, len(cases))
	for i, tc := range cases {
		dirs[i] = copyProject(t, tc.project)
		tc.setup(t, dirs[i])
		// Before packaging, the folder and its serverless.yml say what to run.
		for _, p := range []string{".", "serverless.yml"} {
			code, _, errOut := projectCheck(t, dirs[i], p)
			if code != ExitUsage || !strings.Contains(errOut, "run serverless package") {
				t.Errorf("%s: check %s before packaging: exit %d, stderr %q", tc.project, p, code, errOut)
			}
		}
	}
	slsPackage(t, dirs...)
	for i, tc := range cases {
		dir := dirs[i]
		t.Run(tc.project, func(t *testing.T) {
			for _, p := range []string{".", ".serverless", "serverless.yml", ".serverless/cloudformation-template-update-stack.json"} {
				code, got, errOut := projectCheck(t, dir, p)
				if code != tc.code || len(got) != len(tc.want) {
					t.Fatalf("check %s: exit %d (want %d), %d results (want %d)\n%s", p, code, tc.code, len(got), len(tc.want), errOut)
				}
				for target, w := range tc.want {
					r, ok := got[target]
					if !ok {
						t.Fatalf("check %s: no result for %s: %v", p, target, got)
					}
					if r.Status != w.status || w.rule != "" && !r.has(w.rule) {
						t.Errorf("check %s: %s is %s %+v, want %s %s", p, target, r.Status, r.Findings, w.status, w.rule)
					}
					if r.Package == nil || !r.Package.Inspected || r.Package.Source != w.source {
						t.Errorf("check %s: %s package %+v, want %s inspected", p, target, r.Package, w.source)
					}
					fn := strings.SplitN(target, "/", 2)[1]
					if r.Origin == nil || r.Origin.Tool != "serverless" || r.Origin.Function != fn || r.Origin.Config == nil || r.Origin.Config.File != "serverless.yml" || r.Origin.Config.Line == 0 {
						t.Errorf("check %s: %s origin %+v", p, target, r.Origin)
					}
				}
			}
			if tc.project != "sls-artifact" {
				return
			}
			// The zip serverless deploy would upload is gone: not inspected, said so, strict fails.
			if err := os.Remove(filepath.Join(dir, "bin/world.zip")); err != nil {
				t.Fatal(err)
			}
			code, got, errOut := projectCheck(t, dir, ".")
			r := got["slsgo/world"]
			if code != ExitPass || r.Package == nil || r.Package.Inspected || r.Package.Reason != "missing-local-path" || !r.has("package-not-inspected") {
				t.Fatalf("zip removed: exit %d, %+v package %+v\n%s", code, r, r.Package, errOut)
			}
			if code, _, _ := projectCheck(t, dir, ".", "--require-inspection"); code != ExitFail {
				t.Errorf("zip removed, --require-inspection: exit %d, want 1", code)
			}
		})
	}
}

// TestUnreadImageReported: a template image whose registry cannot be reached is SKIP, and the read
// error is in the JSON package and a package-not-inspected finding (so SARIF has it too);
// --require-inspection fails the run, as it does for an image not read at all (no --images).
func TestUnreadImageReported(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t) // nothing listens there
	reg := fmt.Sprintf("127.0.0.1:%d", port)
	tmpl := writeFile(t, dir, "img.json", `{"Resources":{"Img":{"Type":"AWS::Lambda::Function","Properties":{"PackageType":"Image","Code":{"ImageUri":"`+reg+`/repo:tag"}}}}}`)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		reason string
		detail string
	}{
		{"unreachable", []string{"--images", "--insecure-registry", reg}, ExitPass, "unreadable", "connection refused"},
		{"unreachable strict", []string{"--images", "--insecure-registry", reg, "--require-inspection"}, ExitFail, "unreadable", "connection refused"},
		{"not asked", nil, ExitPass, "image", "pass --images"},
		{"not asked strict", []string{"--require-inspection"}, ExitFail, "image", "pass --images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, got, errOut := projectCheck(t, dir, append(tc.args, tmpl)...)
			r := got["img/Img"]
			if code != tc.code || r.Status != "SKIP" || r.Package == nil || r.Package.Inspected || r.Package.Reason != tc.reason ||
				!strings.Contains(r.Package.Detail, tc.detail) || !r.has("package-not-inspected") {
				t.Fatalf("exit %d (want %d), %+v package %+v\n%s", code, tc.code, r, r.Package, errOut)
			}
		})
	}
	// A zip given by path is inspected and says so.
	zip := writeZip(t, dir, "fn.zip", "bootstrap", 0o755)
	code, got, _ := projectCheck(t, dir, "--require-inspection", zip)
	if r := got[zip]; code != ExitPass || r.Package == nil || !r.Package.Inspected || r.Package.Source != zip {
		t.Errorf("zip: exit %d, %+v", code, got)
	}
}

// TestExemptPackage: a function exempt as a whole says its package was not read because of the
// exemption, and that does not count as uninspected for --require-inspection.
func TestExemptPackage(t *testing.T) {
	tmpl, assets := exemptTemplate(t)
	_, got, errOut := projectCheck(t, t.TempDir(), "--require-inspection", "--assets", assets, tmpl)
	w := got["app/WholeExempt"]
	if w.Status != "SKIP" || w.Package == nil || w.Package.Inspected || w.Package.Reason != "exempt" || !strings.Contains(w.Package.Detail, "CHG-1234") || w.has("package-not-inspected") {
		t.Fatalf("WholeExempt %+v package %+v\n%s", w, w.Package, errOut)
	}
	// Only the exempt function and the passing ones would be left: strict mode must not fail them.
	res := result.Result{Exempted: &result.Exempted{Reason: "r"}, Package: &result.Package{Reason: result.ReasonExempt}}
	if (target{}).uninspected(res) {
		t.Error("an exempt function counts as uninspected")
	}
}
