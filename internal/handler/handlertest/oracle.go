// Package handlertest runs the runtimes' own loaders on a package unpacked on disk, as oracles for
// the resolvers of internal/handler: the Node.js runtime interface client as published on npm
// (aws-lambda-ric), and CPython's import system driven as awslambdaric's bootstrap drives it.
// Tests only: it downloads into the repository's git-ignored .cache folder and runs node/python3.
package handlertest

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
	"sync"
	"time"
)

// Outcome is what a runtime's loader did with a handler.
type Outcome struct {
	OK bool `json:"ok"`
	// Result is what the loaded handler returned when called with no arguments (the corpus and
	// oracle fixtures return the Lambda path of their own file), or the module's file (Python).
	Result string `json:"result"`
	// Name is the error's name (errorType): Runtime.ImportModuleError and the like.
	Name    string `json:"name"`
	Message string `json:"message"`
}

// NodeClientFor is the npm version of aws-lambda-ric that serves a nodejsNN.x runtime: 4.x for
// nodejs24.x and later (src/context/constants.ts of the client), 3.3.0 before.
func NodeClientFor(major int) string {
	if major >= 24 {
		return "4.0.2"
	}
	return "3.3.0"
}

var (
	nodeMu      sync.Mutex
	nodeOracles = map[string]string{}
)

// NodeOracle returns the path of an ES module exporting the client's loader as __bgLoader,
// downloading aws-lambda-ric@ver into .cache/aws-lambda-ric on first use. The client's bundle is
// unchanged except for the appended export and, for 4.x, the removal of its final start-up call
// (which would connect to the Runtime API).
func NodeOracle(ver string) (string, error) {
	nodeMu.Lock()
	defer nodeMu.Unlock()
	if p, ok := nodeOracles[ver]; ok {
		return p, nil
	}
	p, err := nodeOracle(ver)
	if err == nil {
		nodeOracles[ver] = p
	}
	return p, err
}

func nodeOracle(ver string) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node is not installed")
	}
	root, err := RepoRoot()
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
	tgz := filepath.Join(dir, "aws-lambda-ric-"+ver+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "pack", "aws-lambda-ric@"+ver, "--pack-destination", dir, "--silent")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm pack aws-lambda-ric@%s: %v: %s", ver, err, strings.TrimSpace(string(out)))
		}
	}
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

// nodeRunner loads a handler with the client's loader and prints the Outcome.
const nodeRunner = `const [oracle, root, handler] = process.argv.slice(2);
const { __bgLoader } = await import(oracle);
try {
  let fn = await __bgLoader.load(root, handler);
  if (fn && typeof fn === "object" && fn.handler) fn = fn.handler;
  let r = fn();
  if (r && typeof r.then === "function") r = await r;
  process.stdout.write(JSON.stringify({ ok: true, result: String(r) }));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, name: String(e.name), message: String(e.message).split("\n")[0] }));
}
`

// RunNode loads handler with the client at oracle, the package being in taskDir (the runtime's
// cwd), with the given NODE_PATH. HOME is an empty folder, so no user-level modules interfere.
func RunNode(oracle, taskDir, handler string, nodePath []string) (Outcome, error) {
	return run("node", nil, nodeRunner, ".mjs", taskDir, []string{oracle, taskDir, handler}, "NODE_PATH="+strings.Join(nodePath, ":"))
}

// pythonRunner imports a handler's module as awslambdaric's bootstrap.py _get_handler does
// (commit 0184e90): rsplit at the last dot, refuse a built-in first name part, then
// importlib.import_module with "/" read as ".".
const pythonRunner = `import importlib, json, sys
task, handler = sys.argv[1], sys.argv[2]
sys.path[:0] = [p for p in sys.argv[3].split(":") if p]
def out(**kw):
    sys.stdout.write(json.dumps(kw))
try:
    modname, fname = handler.rsplit(".", 1)
except ValueError as e:
    out(ok=False, name="Runtime.MalformedHandlerName", message=str(e)); sys.exit(0)
if modname.split(".")[0] in sys.builtin_module_names:
    out(ok=False, name="Runtime.BuiltInModuleConflict", message=modname); sys.exit(0)
try:
    m = importlib.import_module(modname.replace("/", "."))
except ImportError as e:
    out(ok=False, name="Runtime.ImportModuleError", message=str(e)); sys.exit(0)
except SyntaxError as e:
    out(ok=False, name="Runtime.UserCodeSyntaxError", message=str(e)); sys.exit(0)
except Exception as e:
    out(ok=False, name=type(e).__name__, message=str(e)); sys.exit(0)
f = getattr(m, "__file__", None) or list(getattr(m, "__path__", []))[0]
out(ok=True, result=f)
`

// RunPython imports handler's module with the local python3, with sysPath searched first.
func RunPython(taskDir, handler string, sysPath []string) (Outcome, error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return Outcome{}, errors.New("python3 is not installed")
	}
	// -I -S: no user or site packages, so only sysPath and the standard library can answer.
	return run("python3", []string{"-I", "-S"}, pythonRunner, ".py", taskDir, []string{taskDir, handler, strings.Join(sysPath, ":")}, "PYTHONDONTWRITEBYTECODE=1")
}

func run(interp string, interpArgs []string, script, ext, dir string, args []string, env ...string) (Outcome, error) {
	f, err := os.CreateTemp("", "oracle-*"+ext)
	if err != nil {
		return Outcome{}, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		return Outcome{}, err
	}
	f.Close()
	home, err := os.MkdirTemp("", "oracle-home")
	if err != nil {
		return Outcome{}, err
	}
	defer os.RemoveAll(home)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, interp, append(append(interpArgs, f.Name()), args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, env...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Outcome{}, fmt.Errorf("%s: %v: %s", interp, err, ee.Stderr)
		}
		return Outcome{}, fmt.Errorf("%s: %w", interp, err)
	}
	var o Outcome
	if err := json.Unmarshal(out, &o); err != nil {
		return Outcome{}, fmt.Errorf("%s printed %q: %w", interp, out, err)
	}
	return o, nil
}

// CompilePyc writes a sourceless .pyc of src at dst with the local python3 (the runtime that will
// import it: a .pyc of another CPython version does not load).
func CompilePyc(src, dst string) error {
	tmp, err := os.CreateTemp("", "pyc-src-*.py")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	tmp.WriteString(src)
	tmp.Close()
	out, err := exec.Command("python3", "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", tmp.Name(), dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("py_compile: %v: %s", err, out)
	}
	return nil
}

// PythonVersion is the local python3's X.Y.
func PythonVersion() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		return "", fmt.Errorf("python3: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// RepoRoot is the folder holding go.mod, above the working directory.
func RepoRoot() (string, error) {
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
			return "", errors.New("go.mod not found above the working directory")
		}
		d = p
	}
}

// javaOracleSource loads a handler's class the way the Java runtime interface client does
// (aws/aws-lambda-java-libs · aws-lambda-java-runtime-interface-client ·
// …/api/client/HandlerInfo.java and CustomerClassLoader.java, with libRoot "/opt/java" as
// AWSLambda.java passes it): class name before the last "::", a URLClassLoader over the task root,
// then the ".jar" names of <task>/lib and <libRoot>/lib in lexical order, then Class.forName.
// Printed as the Outcome JSON; the JVM does the lookup.
const javaOracleSource = `import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class BgJavaOracle {
    static void jars(File dir, List<URL> out) throws Exception {
        if (!dir.isDirectory()) return;
        String[] names = dir.list();
        if (names == null) return;
        List<String> keep = new ArrayList<>();
        for (String n : names) if (n.endsWith(".jar")) keep.add(n);
        String[] sorted = keep.toArray(new String[0]);
        Arrays.sort(sorted);
        for (String n : sorted) out.add(new URL("file", null, -1, dir.getPath() + "/" + n));
    }
    static String q(String s) { return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""; }
    public static void main(String[] a) throws Exception {
        String task = a[0], libRoot = a[1], handler = a[2];
        int colon = handler.lastIndexOf("::");
        String cls = colon < 0 ? handler : handler.substring(0, colon);
        String method = colon < 0 ? null : handler.substring(colon + 2);
        if (cls.isEmpty() || (method != null && method.isEmpty())) {
            System.out.print("{\"ok\":false,\"name\":\"InvalidHandlerException\",\"message\":\"\"}");
            return;
        }
        List<URL> urls = new ArrayList<>();
        urls.add(new URL("file", null, -1, new File(task + "/").getPath() + "/"));
        jars(new File(task + "/lib"), urls);
        jars(new File(libRoot + "/lib"), urls);
        try (URLClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader())) {
            Class<?> c = Class.forName(cls, true, cl);
            java.security.CodeSource src = c.getProtectionDomain().getCodeSource();
            System.out.print("{\"ok\":true,\"result\":" + q(src == null ? "" : src.getLocation().getPath()) + "}");
        } catch (Throwable e) {
            System.out.print("{\"ok\":false,\"name\":" + q(e.getClass().getName()) + ",\"message\":" + q(String.valueOf(e.getMessage())) + "}");
        }
    }
}
`

// JavaOracle compiles the Java oracle into dir (once per dir) and returns the class path to run it.
func JavaOracle(dir string) (string, error) {
	if _, err := exec.LookPath("javac"); err != nil {
		return "", errors.New("javac is not installed")
	}
	out := filepath.Join(dir, "oracle")
	if _, err := os.Stat(filepath.Join(out, "BgJavaOracle.class")); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(out, "BgJavaOracle.java")
	if err := os.WriteFile(src, []byte(javaOracleSource), 0o644); err != nil {
		return "", err
	}
	if b, err := exec.Command("javac", "-d", out, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("javac: %v: %s", err, b)
	}
	return out, nil
}

// RunJava loads handler's class from taskDir (and libRoot/lib) with the JVM.
func RunJava(classpath, taskDir, libRoot, handler string) (Outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", "-cp", classpath, "BgJavaOracle", taskDir, libRoot, handler)
	cmd.Dir = taskDir
	out, err := cmd.Output()
	if err != nil {
		return Outcome{}, fmt.Errorf("java: %w", err)
	}
	var o Outcome
	if err := json.Unmarshal(out, &o); err != nil {
		return Outcome{}, fmt.Errorf("java printed %q: %w", out, err)
	}
	return o, nil
}

// CompileJava compiles Java sources (file name → source) with javac into a folder and returns the
// class files by their path in it (example/Handler.class).
func CompileJava(sources map[string]string) (map[string][]byte, error) {
	if _, err := exec.LookPath("javac"); err != nil {
		return nil, errors.New("javac is not installed")
	}
	dir, err := os.MkdirTemp("", "javac")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var files []string
	for name, src := range sources {
		p := filepath.Join(dir, "src", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	classes := filepath.Join(dir, "classes")
	if b, err := exec.Command("javac", append([]string{"-d", classes}, files...)...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("javac: %v: %s", err, b)
	}
	out := map[string][]byte{}
	err = filepath.WalkDir(classes, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(classes, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	return out, err
}
