package handler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler/handlertest"
)

// TestNodeOracle runs every Node.js case through the runtime interface client's own loader, as
// published on npm (aws-lambda-ric 3.3.0 for nodejs18-22, 4.0.2 for nodejs24+), and requires the
// resolver to agree with it: same verdict, same file loaded, same error type. The client's bundle
// is used unchanged except for one appended export of its loader (and, for 4.x, without the
// start-up call at its end, which would connect to the Runtime API). /var/task and /opt are mapped
// into a temporary folder, NODE_PATH accordingly. The packages are downloaded once into
// .cache/aws-lambda-ric (git-ignored); the test skips, saying so, only when they cannot be.
func TestNodeOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle: skipped in -short mode")
	}
	oracles := map[string]string{}
	for _, ver := range []string{"3.3.0", "4.0.2"} {
		o, err := handlertest.NodeOracle(ver)
		if err != nil {
			t.Skipf("oracle: cannot fill the cache with aws-lambda-ric %s (%v); the resolver's own tests still ran", ver, err)
		}
		oracles[ver] = o
	}
	compared := 0
	for _, c := range nodeCases {
		if c.opaque != "" {
			continue // an unreadable layer has no counterpart on disk
		}
		t.Run(c.name, func(t *testing.T) {
			ver := handlertest.NodeClientFor(nodeVersion(c.rt))
			dir := t.TempDir()
			toHost := func(p string) string {
				switch {
				case p == TaskRoot || strings.HasPrefix(p, TaskRoot+"/"):
					return filepath.Join(dir, "task", strings.TrimPrefix(p, TaskRoot))
				case p == OptRoot || strings.HasPrefix(p, OptRoot+"/"):
					return filepath.Join(dir, "opt", strings.TrimPrefix(p, OptRoot))
				}
				return filepath.Join(dir, "elsewhere", p) // the runtime's own folders: absent here
			}
			handlerPath := ""
			if nh, bad := parseNodeHandler(c.handler); bad == "" {
				handlerPath = nh.handlerPath
			}
			os.MkdirAll(filepath.Join(dir, "task"), 0o755)
			os.MkdirAll(filepath.Join(dir, "home"), 0o755)
			for _, f := range c.files {
				name, content, _ := strings.Cut(f, "=")
				if isJS(name) {
					content = exportPath(handlerPath, name, esmFile(c.files, name))
				}
				hp := toHost(name)
				os.MkdirAll(filepath.Dir(hp), 0o755)
				if err := os.WriteFile(hp, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var np []string
			for _, p := range nodePath(Runtime{Name: c.rt, Env: c.env}) {
				np = append(np, toHost(p))
			}
			h := c.handler
			if strings.HasPrefix(h, "/") {
				h = toHost(h)
			}
			got, err := handlertest.RunNode(oracles[ver], filepath.Join(dir, "task"), h, np)
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			r, err := Resolve(newFS(c.files...), Runtime{Name: c.rt, Family: "nodejs", Arch: "x86_64", Env: c.env}, c.handler)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case got.OK && r.Verdict != Found:
				t.Errorf("client %s loads %s; resolver says %v (%s: %s)", ver, got.Result, r.Verdict, r.ErrorType, r.Message)
			case got.OK && got.Result != r.File:
				t.Errorf("client %s loads %s; resolver says %s", ver, got.Result, r.File)
			case !got.OK && r.Verdict == Found:
				t.Errorf("client %s fails with %s (%s); resolver says it loads %s", ver, got.Name, got.Message, r.File)
			case !got.OK && got.Name != r.ErrorType:
				t.Errorf("client %s fails with %s (%s); resolver says %s (%s)", ver, got.Name, got.Message, r.ErrorType, r.Message)
			}
			// The case table's own expectation must match the client too, so the table is Lambda's.
			if got.OK != (c.want == Found) {
				t.Errorf("case expects %v, client %s says ok=%v %s", c.want, ver, got.OK, got.Message)
			}
		})
		compared++
	}
	if compared < 20 {
		t.Fatalf("only %d cases compared with the client", compared)
	}
}

func isJS(name string) bool {
	base := filepath.Base(name)
	if base == "package.json" {
		return false
	}
	ext := filepath.Ext(base)
	return ext == ".js" || ext == ".mjs" || ext == ".cjs" || ext == ""
}

// esmFile reports whether Node treats name as an ES module: .mjs, or .js under a package.json
// with "type": "module" (the nearest one, not crossing node_modules).
func esmFile(files []string, name string) bool {
	switch filepath.Ext(name) {
	case ".mjs":
		return true
	case ".js":
	default:
		return false
	}
	for d := filepath.Dir(name); d != "/" && filepath.Base(d) != "node_modules"; d = filepath.Dir(d) {
		for _, f := range files {
			n, content, _ := strings.Cut(f, "=")
			if n == d+"/package.json" {
				return strings.Contains(content, `"type":"module"`)
			}
		}
	}
	return false
}

// exportPath is a module whose export at handlerPath (a.b.c) returns the file's Lambda path.
func exportPath(handlerPath, lambdaPath string, esm bool) string {
	keys := strings.Split(handlerPath, ".")
	if handlerPath == "" || keys[0] == "" {
		keys = []string{"handler"}
	}
	val := fmt.Sprintf("() => %q", lambdaPath)
	for i := len(keys) - 1; i >= 1; i-- {
		val = fmt.Sprintf("{%q: %s}", keys[i], val)
	}
	if esm {
		return fmt.Sprintf("export const %s = %s;\n", keys[0], val)
	}
	return fmt.Sprintf("module.exports = {%q: %s};\n", keys[0], val)
}
