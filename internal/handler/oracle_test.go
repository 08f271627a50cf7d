package handler

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("oracle: node is not installed, so the runtime interface client cannot run here")
	}
	oracles := map[string]string{}
	for _, ver := range []string{"3.3.0", "4.0.2"} {
		o, err := nodeOracle(ver)
		if err != nil {
			t.Skipf("oracle: cannot fill the cache with aws-lambda-ric %s (%v); the resolver's own tests still ran", ver, err)
		}
		oracles[ver] = o
	}
	runner := filepath.Join(t.TempDir(), "runner.mjs")
	if err := os.WriteFile(runner, []byte(oracleRunner), 0o644); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, c := range nodeCases {
		if c.opaque != "" {
			continue // an unreadable layer has no counterpart on disk
		}
		t.Run(c.name, func(t *testing.T) {
			ver := "3.3.0"
			if nodeVersion(c.rt) >= 24 {
				ver = "4.0.2"
			}
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
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, runner, oracles[ver], filepath.Join(dir, "task"), h)
			cmd.Dir = filepath.Join(dir, "task")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(dir, "home"), "NODE_PATH=" + strings.Join(np, ":")}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("oracle: %v\n%s", err, out)
			}
			var got struct {
				OK      bool   `json:"ok"`
				Result  string `json:"result"`
				Name    string `json:"name"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("oracle output %q: %v", out, err)
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

// oracleRunner loads a handler with the client's loader and prints what happened: the loaded
// handler returns the Lambda path of its own file.
const oracleRunner = `const [oracle, root, handler] = process.argv.slice(2);
const { __bgLoader } = await import(oracle);
try {
  let fn = await __bgLoader.load(root, handler);
  if (fn && typeof fn === "object" && fn.handler) fn = fn.handler;
  process.stdout.write(JSON.stringify({ ok: true, result: String(fn()) }));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, name: String(e.name), message: String(e.message).split("\n")[0] }));
}
`

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

// nodeOracle returns the path of the client's loader for version ver, downloading the npm package
// into the cache on first use.
func nodeOracle(ver string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".cache", "aws-lambda-ric", ver)
	oracle := filepath.Join(dir, "oracle.mjs")
	if _, err := os.Stat(oracle); err == nil {
		return oracle, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "pack", "aws-lambda-ric@"+ver, "--pack-destination", dir, "--silent")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm pack: %v: %s", err, strings.TrimSpace(string(out)))
	}
	tgz := filepath.Join(dir, "aws-lambda-ric-"+ver+".tgz")
	bundle := "package/dist/index.mjs"
	if strings.HasPrefix(ver, "4.") {
		bundle = "package/index.mjs"
	}
	src, err := readFromTgz(tgz, bundle)
	if err != nil {
		return "", err
	}
	text := string(src)
	export := "\nexport { UserFunction as __bgLoader };\n"
	if strings.HasPrefix(ver, "4.") {
		i := strings.LastIndex(text, "\nignition();")
		if i < 0 {
			return "", errors.New("aws-lambda-ric 4.x bundle: start-up call not found")
		}
		text = text[:i] + "\n"
		export = "\nexport { UserFunctionLoader as __bgLoader };\n"
	}
	if err := os.WriteFile(oracle+".tmp", []byte(text+export), 0o644); err != nil {
		return "", err
	}
	return oracle, os.Rename(oracle+".tmp", oracle)
}

func readFromTgz(tgz, name string) ([]byte, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", tgz, name, err)
		}
		if h.Name == name {
			return io.ReadAll(io.LimitReader(tr, 16<<20))
		}
	}
}

// repoRoot is the folder holding go.mod.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", errors.New("go.mod not found")
		}
		d = p
	}
}
