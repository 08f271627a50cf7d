package handler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler/handlertest"
)

// TestPythonOracle imports every Python case with the local CPython, the way awslambdaric's
// bootstrap does (rsplit, "/" to ".", built-in check, importlib.import_module), on the case's files
// written to disk, with sys.path mapped from the resolver's own search path. The case runs as the
// local version (python3.X), so extension-module cases, whose file is not a loadable library here,
// are left out.
func TestPythonOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle: skipped in -short mode")
	}
	ver, err := handlertest.PythonVersion()
	if err != nil {
		t.Skipf("oracle: %v", err)
	}
	rtName := "python" + ver
	compared := 0
	for _, c := range pythonCases {
		if c.opaque != "" || strings.Contains(strings.Join(c.files, " "), ".so=") {
			continue
		}
		c := c
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var files []string
			toHost := func(p string) string {
				switch {
				case p == TaskRoot || strings.HasPrefix(p, TaskRoot+"/"):
					return filepath.Join(dir, "task", strings.TrimPrefix(p, TaskRoot))
				case p == OptRoot || strings.HasPrefix(p, OptRoot+"/"):
					return filepath.Join(dir, "opt", strings.TrimPrefix(p, OptRoot))
				}
				return filepath.Join(dir, "elsewhere", p)
			}
			os.MkdirAll(filepath.Join(dir, "task"), 0o755)
			for _, f := range c.files {
				name, content, _ := strings.Cut(f, "=")
				// The version in a site-packages path follows the runtime the oracle runs as.
				name = strings.ReplaceAll(name, "/python"+strings.TrimPrefix(c.rt, "python")+"/", "/python"+ver+"/")
				files = append(files, name+"="+content)
				hp := toHost(name)
				os.MkdirAll(filepath.Dir(hp), 0o755)
				if strings.HasSuffix(name, ".pyc") && !strings.Contains(name, "__pycache__") {
					if err := handlertest.CompilePyc("def handler(e, c): pass\n", hp); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(hp, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rt := Runtime{Name: rtName, Family: "python", Arch: "x86_64", Env: c.env}
			var sysPath []string
			for _, p := range pythonPath(rt) {
				sysPath = append(sysPath, toHost(p))
			}
			got, err := handlertest.RunPython(filepath.Join(dir, "task"), c.handler, sysPath)
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			r, err := Resolve(newFS(files...), rt, c.handler)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case got.OK && r.Verdict != Found:
				t.Errorf("CPython imports %s; resolver says %v (%s: %s)", got.Result, r.Verdict, r.ErrorType, r.Message)
			case got.OK && got.Result != toHost(r.File):
				t.Errorf("CPython imports %s; resolver says %s", got.Result, toHost(r.File))
			case !got.OK && r.Verdict == Found:
				t.Errorf("CPython fails with %s (%s); resolver says it imports %s", got.Name, got.Message, r.File)
			case !got.OK && got.Name != r.ErrorType:
				t.Errorf("CPython fails with %s (%s); resolver says %s (%s)", got.Name, got.Message, r.ErrorType, r.Message)
			}
			if got.OK != (c.want == Found) {
				t.Errorf("case expects %v, CPython says ok=%v %s", c.want, got.OK, got.Message)
			}
		})
		compared++
	}
	if compared < 15 {
		t.Fatalf("only %d cases compared with CPython", compared)
	}
}
