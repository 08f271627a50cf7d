package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler"
	"github.com/bootstrap-guard/bootstrap-guard/internal/handler/handlertest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// The JavaScript handler corpus (testdata/jscorpus): one folder per case, holding case.json (the
// handler, what Lambda does on each Node.js runtime, and the tool that builds it), task/ (the
// function package, /var/task) and opt/ (a layer, /opt), or src/ for a case a tool builds at test
// time: tsc (the TypeScript compiler from npm, make js-corpus-tools) or esbuild, the bundler
// NodejsFunction runs, through its Go API with NodejsFunction's options.
//
// TestJSCorpus checks the checker against each case's verdicts; TestJSCorpusOracle checks those
// verdicts against the real thing: the official Node.js build of each runtime's major loading
// the handler with the runtime interface client's own loader (handlertest), from the task root,
// with Lambda's NODE_PATH, then, on nodejs24.x, the client's callback check, then one invoke with
// the client's context. So the verdicts are Lambda's, and the checker agrees with them.

// jsCase is one corpus case.
type jsCase struct {
	Name    string
	About   string            `json:"about"`
	Handler string            `json:"handler"`
	Build   string            `json:"build"`
	Want    map[string]string `json:"want"` // runtime → "ok", "init:<errorType>", "invoke:<errorType>"
	dir     string
}

func loadJSCorpus(t *testing.T) []jsCase {
	t.Helper()
	dirs, err := os.ReadDir("testdata/jscorpus")
	if err != nil {
		t.Fatal(err)
	}
	var out []jsCase
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("testdata/jscorpus", d.Name())
		b, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if err != nil {
			t.Fatal(err)
		}
		var c jsCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s/case.json: %v", dir, err)
		}
		if c.Handler == "" || len(c.Want) == 0 {
			t.Fatalf("%s/case.json: handler and want are required", dir)
		}
		c.Name, c.dir = d.Name(), dir
		out = append(out, c)
	}
	return out
}

func sortedRuntimes(m map[string]string) []string {
	var rts []string
	for rt := range m {
		rts = append(rts, rt)
	}
	sort.Strings(rts)
	return rts
}

// materialize returns a folder holding the case's task/ and opt/ trees, built by the case's tool
// when it has one.
func (c jsCase) materialize(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	if err := os.CopyFS(out, os.DirFS(c.dir)); err != nil {
		t.Fatal(err)
	}
	task := filepath.Join(out, "task")
	src := filepath.Join(out, "src")
	switch c.Build {
	case "":
	case "tsc":
		root, err := handlertest.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		tsc := filepath.Join(root, ".cache", "typescript", "bin", "tsc")
		if _, err := os.Stat(tsc); err != nil {
			msg := "tsc not downloaded (run make js-corpus-tools)"
			if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		files, _ := filepath.Glob(filepath.Join(src, "*.ts"))
		// cdk init app --language typescript's tsconfig: target ES2022, module NodeNext would
		// emit ESM for "type": "module"; the Lambda folder compiles to CommonJS.
		args := append([]string{tsc, "--outDir", task, "--module", "commonjs", "--target", "es2022", "--strict", "--skipLibCheck"}, files...)
		if b, err := exec.Command(testenv.NodeBinary(t, "linux-x64", 22), args...).CombinedOutput(); err != nil {
			t.Fatalf("tsc: %v: %s", err, b)
		}
	case "esbuild-cjs", "esbuild-esm":
		// NodejsFunction's bundling (aws-cdk-lib · aws-lambda-nodejs/lib/bundling.ts): --bundle
		// --platform=node --target=node20 (the runtime's), --format=cjs to index.js by default;
		// with OutputFormat.ESM, index.mjs, and the banner the construct's docs give for packages
		// that still require().
		opts := api.BuildOptions{
			EntryPoints: []string{filepath.Join(src, "index.ts")},
			Bundle:      true, Platform: api.PlatformNode, Target: api.ES2022,
			Engines: []api.Engine{{Name: api.EngineNode, Version: "20"}},
			Format:  api.FormatCommonJS, Outfile: filepath.Join(task, "index.js"), Write: true, LogLevel: api.LogLevelSilent,
		}
		if c.Build == "esbuild-esm" {
			opts.Format, opts.Outfile = api.FormatESModule, filepath.Join(task, "index.mjs")
			opts.Banner = map[string]string{"js": "import { createRequire } from 'module';const require = createRequire(import.meta.url);"}
		}
		if r := api.Build(opts); len(r.Errors) > 0 {
			t.Fatalf("esbuild: %+v", r.Errors)
		}
	default:
		t.Fatalf("unknown build %q", c.Build)
	}
	return out
}

// zipTree zips a folder the way zip -r does.
func zipTree(t *testing.T, dir string) []byte {
	t.Helper()
	var entries []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		entries = append(entries, entry{name: filepath.ToSlash(rel), data: b, mode: 0o644})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mkzip(t, entries...)
}

// checkerVerdict runs the whole engine on the case and reads its verdict: the first error of a
// handler rule, as "init:<errorType>" or "invoke:<errorType>", or "ok".
func checkerVerdict(t *testing.T, dir, runtime, h string) (string, result.Result) {
	t.Helper()
	fn := Function{Runtime: runtime, Handler: h, Code: zipSource("code.zip", zipTree(t, filepath.Join(dir, "task")))}
	if _, err := os.Stat(filepath.Join(dir, "opt")); err == nil {
		fn.Layers = append(fn.Layers, zipSource("layer.zip", zipTree(t, filepath.Join(dir, "opt"))))
	}
	res := packageFindings(run(t, fn))
	for _, f := range res.Findings {
		if f.Severity != result.Error {
			continue
		}
		for _, marker := range []struct{ stage, text string }{{"init", "cannot initialize and reports "}, {"invoke", "reaches the call fails with "}, {"init", "Every invoke fails with "}} {
			if _, rest, ok := strings.Cut(f.Message, marker.text); ok {
				typ, _, _ := strings.Cut(rest, ":")
				return marker.stage + ":" + typ, res
			}
		}
		return "error:" + string(f.Rule), res
	}
	return "ok", res
}

func TestJSCorpus(t *testing.T) {
	cases := loadJSCorpus(t)
	n := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			dir := c.materialize(t)
			for _, rt := range sortedRuntimes(c.Want) {
				got, res := checkerVerdict(t, dir, rt, c.Handler)
				if got != c.Want[rt] {
					t.Errorf("%s: checker says %s, Lambda %s (%s); findings %+v", rt, got, c.Want[rt], c.About, res.Findings)
				}
			}
		})
		n += len(c.Want)
	}
	t.Logf("%d cases, %d case×runtime verdicts", len(cases), n)
}

// jsRunner loads a handler as the client does and invokes it once. Node's error names are those
// the client reports as errorType.
const jsRunner = `const [oracle, root, handler, client] = process.argv.slice(2);
const o = await import(oracle);
const out = (x) => { process.stdout.write(JSON.stringify(x)); process.exit(0); };
const fail = (stage, e) => out({ ok: false, stage, name: String(e && e.name), message: String(e && e.message).split("\n")[0] });
let fn, streaming = false;
try {
  if (client === "4") {
    o.__bgSetupGlobals();
    const r = await o.__bgLoader.load(root, handler);
    o.__bgCallbackCheck(r.metadata);
    fn = r.handler; streaming = r.metadata.streaming;
  } else {
    fn = await o.__bgLoader.load(root, handler);
    if (fn && typeof fn === "object" && fn.handler) fn = fn.handler;
  }
} catch (e) { fail("init", e); }
// A streaming handler (awslambda.streamifyResponse marks it) is invoked with a response stream:
// loading it is the check.
if (streaming || (fn && fn[Symbol.for("aws.lambda.runtime.handler.streaming")] === "response")) out({ ok: true, stage: "init" });
let context;
const done = new Promise((resolve) => {
  if (client === "4") {
    Object.assign(process.env, { AWS_LAMBDA_FUNCTION_NAME: "f", AWS_LAMBDA_FUNCTION_VERSION: "$LATEST", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128", AWS_LAMBDA_LOG_GROUP_NAME: "g", AWS_LAMBDA_LOG_STREAM_NAME: "s" });
    context = o.__bgContext.build({ "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "lambda-runtime-aws-request-id": "r", "lambda-runtime-deadline-ms": String(Date.now() + 10000) });
  } else {
    const finish = () => resolve(undefined);
    context = { awsRequestId: "r", getRemainingTimeInMillis: () => 10000, succeed: finish, fail: finish, done: finish };
  }
  setTimeout(() => resolve(undefined), 3000);
  try {
    const r = fn({}, context, () => resolve(undefined));
    if (r && typeof r.then === "function") r.then(resolve, (e) => fail("invoke", e));
  } catch (e) { fail("invoke", e); }
});
await done;
out({ ok: true, stage: "invoke" });
`

// jsOracle is handlertest's oracle module with the 4.x client's callback check, context builder
// and globals set-up exported too (the bundle's own functions, not copies).
func jsOracle(t *testing.T, ver string) string {
	t.Helper()
	base, err := handlertest.NodeOracle(ver)
	if err != nil {
		if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
			t.Fatalf("oracle: %v", err)
		}
		t.Skipf("oracle: cannot fill the cache with aws-lambda-ric %s (%v)", ver, err)
	}
	if !strings.HasPrefix(ver, "4.") {
		return base
	}
	p := filepath.Join(filepath.Dir(base), "oracle-jscorpus.mjs")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "\nexport { errorOnDeprecatedCallback as __bgCallbackCheck, ContextBuilder as __bgContext, setupGlobals as __bgSetupGlobals };\n"...)
	if err := os.WriteFile(p+".tmp", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		t.Fatal(err)
	}
	return p
}

type jsOutcome struct {
	OK      bool   `json:"ok"`
	Stage   string `json:"stage"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (o jsOutcome) verdict() string {
	if o.OK {
		return "ok"
	}
	return o.Stage + ":" + o.Name
}

// runJSOracle loads and invokes the case's handler with node of the runtime's major.
func runJSOracle(t *testing.T, dir, runtime, h string) jsOutcome {
	t.Helper()
	major := 0
	fmt.Sscanf(strings.TrimPrefix(runtime, "nodejs"), "%d", &major)
	node := testenv.NodeBinary(t, "linux-x64", major)
	client := "3"
	ver := handlertest.NodeClientFor(major)
	if strings.HasPrefix(ver, "4.") {
		client = "4"
	}
	oracle := jsOracle(t, ver)
	task, opt := filepath.Join(dir, "task"), filepath.Join(dir, "opt")
	var np []string
	for _, p := range handler.SearchPath(handler.Runtime{Name: runtime, Family: "nodejs"}) {
		switch {
		case p == handler.TaskRoot || strings.HasPrefix(p, handler.TaskRoot+"/"):
			np = append(np, task+strings.TrimPrefix(p, handler.TaskRoot))
		case p == handler.OptRoot || strings.HasPrefix(p, handler.OptRoot+"/"):
			np = append(np, opt+strings.TrimPrefix(p, handler.OptRoot))
		}
	}
	script := filepath.Join(t.TempDir(), "runner.mjs")
	if err := os.WriteFile(script, []byte(jsRunner), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, oracle, task, h, client)
	cmd.Dir = task // the runtime's working directory is the task root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NODE_PATH=" + strings.Join(np, ":"),
		"LAMBDA_TASK_ROOT=" + task, "AWS_EXECUTION_ENV=AWS_Lambda_" + runtime}
	b, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node %d: %v: %s", major, err, ee.Stderr)
		}
		t.Fatalf("node %d: %v", major, err)
	}
	var o jsOutcome
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("node %d printed %q: %v", major, b, err)
	}
	return o
}

func TestJSCorpusOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle: skipped in -short mode")
	}
	cases := loadJSCorpus(t)
	agree, total := 0, 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			dir := c.materialize(t)
			for _, rt := range sortedRuntimes(c.Want) {
				o := runJSOracle(t, dir, rt, c.Handler)
				got, res := checkerVerdict(t, dir, rt, c.Handler)
				total++
				t.Logf("%s: %s %s", rt, o.verdict(), o.Message)
				if o.verdict() != c.Want[rt] {
					t.Errorf("%s: Node says %s (%s), the case says %s", rt, o.verdict(), o.Message, c.Want[rt])
				}
				if got != o.verdict() {
					t.Errorf("%s: Node says %s (%s), the checker %s", rt, o.verdict(), o.Message, got)
				} else {
					agree++
				}
				// Lambda's message too, where the checker states it (a syntax error's wording is
				// the parser's; paths differ between Lambda and this folder).
				if !o.OK && o.Name != "Runtime.UserCodeSyntaxError" {
					want := o.Message[:min(len(o.Message), 40)]
					if i := strings.IndexByte(want, '/'); i > 0 {
						want = want[:i]
					}
					found := false
					for _, f := range res.Findings {
						found = found || strings.Contains(f.Message, want)
					}
					if !found {
						t.Errorf("%s: no finding states Node's message %q: %+v", rt, want, res.Findings)
					}
				}
			}
		})
	}
	t.Logf("%d cases, %d case×runtime verdicts, checker and Node agree on %d", len(cases), total, agree)
}
