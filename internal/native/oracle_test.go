package native_test

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// oracleVariant is one npm install of mk/native.mk's corpus (NATIVE_VARIANTS) and the Node.js
// majors it is loaded with.
type oracleVariant struct {
	dir    string
	majors []int
}

// oracleVariants, for x86_64 functions: the linux-x64 install on every runtime, the others
// (installed for another CPU, for musl, on a Mac, without optional dependencies) on nodejs22.x.
var oracleVariants = []oracleVariant{
	{"x64", []int{20, 22, 24}},
	{"arm64", []int{22}},
	{"musl", []int{22}},
	{"darwin", []int{22}},
	{"noopt", []int{22}},
}

// oracleVariantsARM64, for arm64 functions under qemu-user: the linux-arm64 install, and the
// linux-x64 one (installed on an x86_64 machine, deployed to arm64).
var oracleVariantsARM64 = []oracleVariant{
	{"arm64", []int{22}},
	{"x64", []int{22}},
}

// oracleVerdict is what one side said about one case.
type oracleVerdict struct {
	pass   bool
	detail string
	// crashed: the loader was killed by a signal (a crash inside an addon's own
	// initialisation, e.g. SIGSEGV): no loader decision the checker models.
	crashed bool
}

// TestLoaderOracle compares the checker with the real loader on every corpus package: each
// install tree is zipped as the function package (node_modules, an index.js handler that
// requires the package at init, and a package.json that lists it), checked, and then loaded by
// the official Node.js build of the runtime from a directory laid out as /var/task, with the
// NODE_PATH the Lambda Node.js runtime sets (/opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules:
// /var/runtime/node_modules:/var/runtime:/var/task; docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html
// and the runtime's bootstrap). The host's glibc (Debian 12, 2.36) is newer than Amazon Linux
// 2023's (2.34), so a native-glibc FAIL the loader passes here is counted apart, not as a
// disagreement.
func TestLoaderOracle(t *testing.T) {
	runLoaderOracle(t, "linux-x64", ArchX86, oracleVariants, nil)
}

// TestLoaderOracleARM64 does the same for arm64 functions, running the linux-arm64 Node.js builds
// under qemu-user. It takes about 7 minutes under emulation, so make test leaves it out and
// `make test-oracle-arm64` runs it: that target installs Debian's qemu-user, libc6:arm64 and
// libstdc++6:arm64 and the arm64 Node.js builds, then sets BOOTSTRAP_GUARD_ORACLE_ARM64=1. With the
// variable set, anything missing is a failure, never a skip.
func TestLoaderOracleARM64(t *testing.T) {
	if os.Getenv("BOOTSTRAP_GUARD_ORACLE_ARM64") != "1" {
		t.Skip("the arm64 loader oracle runs under make test-oracle-arm64")
	}
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Fatal("qemu-aarch64 not installed (apt-get install qemu-user libc6:arm64 libstdc++6:arm64)")
	}
	if _, err := os.Stat("/lib/ld-linux-aarch64.so.1"); err != nil {
		t.Fatal("arm64 C library not installed (apt-get install libc6:arm64 libstdc++6:arm64)")
	}
	if _, err := os.Stat(filepath.Join(repoRoot(t), ".cache", "node", "linux-arm64", "22", "bin", "node")); err != nil {
		t.Fatal("arm64 Node.js builds not downloaded (make node-cache-arm64)")
	}
	runLoaderOracle(t, "linux-arm64", ArchARM, oracleVariantsARM64, []string{qemu})
}

// ArchX86 and ArchARM as the checker spells them.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

func runLoaderOracle(t *testing.T, platform, arch string, variants []oracleVariant, wrapper []string) {
	if testing.Short() {
		t.Skip("loads every corpus package with real Node.js")
	}
	trees := filepath.Join(repoRoot(t), ".cache", "native", "trees")
	if _, err := os.Stat(filepath.Join(trees, ".complete-v1")); err != nil {
		if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
			t.Fatalf("corpus trees not installed (run make native-corpus): %v", err)
		}
		t.Skip("corpus trees not installed (run make native-corpus)")
	}
	nodes := map[int][]string{}
	for _, v := range variants {
		for _, m := range v.majors {
			if nodes[m] == nil {
				nodes[m] = append(slices.Clone(wrapper), testenv.NodeBinary(t, platform, m))
			}
		}
	}
	var cases, agree, glibcHost, crashed int
	pkgs := map[string]bool{}
	var disagreements []string
	table := map[string]int{} // "oracle/checker" -> count
	for _, v := range variants {
		entries, err := os.ReadDir(filepath.Join(trees, v.dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			tree := filepath.Join(trees, v.dir, e.Name())
			pkg := corpusPackageName(e.Name())
			pkgs[e.Name()] = true
			t.Run(v.dir+"/"+e.Name(), func(t *testing.T) {
				task := t.TempDir()
				handler := fmt.Sprintf("require(%q);\nexports.handler = async () => 'ok';\n", pkg)
				// the function's own package.json, as npm install --save leaves it
				manifest := fmt.Sprintf("{\"name\": \"function\", \"dependencies\": {%q: %q}}\n", pkg, corpusPackageVersion(e.Name()))
				zipPath := filepath.Join(t.TempDir(), "function.zip")
				if err := zipTree(zipPath, tree, handler, manifest); err != nil {
					t.Fatal(err)
				}
				for name, text := range map[string]string{"index.js": handler, "package.json": manifest} {
					if err := os.WriteFile(filepath.Join(task, name), []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Symlink(filepath.Join(tree, "node_modules"), filepath.Join(task, "node_modules")); err != nil {
					t.Fatal(err)
				}
				for _, major := range v.majors {
					runtime := fmt.Sprintf("nodejs%d.x", major)
					want := runNodeOracle(t, nodes[major], task, major)
					got, rules := checkZipFile(t, zipPath, runtime, arch)
					cases++
					table[fmt.Sprintf("oracle %s / checker %s", passFail(want.pass), passFail(got.pass))]++
					switch {
					case want.crashed:
						crashed++
						t.Logf("%s: Node.js %d crashed loading it (%s); checker %s", e.Name(), major, want.detail, passFail(got.pass))
					case want.pass == got.pass:
						agree++
					case want.pass && slices.Equal(rules, []result.RuleID{result.NativeGlibc}):
						glibcHost++
						t.Logf("%s: needs a newer glibc than %s has; this host's loads it: %s", runtime, runtime, got.detail)
					default:
						msg := fmt.Sprintf("%s %s on %s %s: loader %s (%s), checker %s (%s)", v.dir, e.Name(), runtime, arch,
							passFail(want.pass), want.detail, passFail(got.pass), got.detail)
						disagreements = append(disagreements, msg)
						t.Error(msg)
					}
				}
			})
		}
	}
	t.Logf("corpus: %d packages, %d cases (%s functions); checker agrees with the loader on %d, %d are glibc-newer-than-host, %d crashed the loader, %d disagree",
		len(pkgs), cases, arch, agree, glibcHost, crashed, len(disagreements))
	for _, k := range sortedMapKeys(table) {
		t.Logf("  %-30s %d", k, table[k])
	}
	if len(pkgs) < 40 {
		t.Errorf("%d corpus packages, want at least 40", len(pkgs))
	}
}

func passFail(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

func sortedMapKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// corpusPackageName reads "@scope+name@1.2.3" back into "@scope/name".
func corpusPackageName(dir string) string {
	name := strings.ReplaceAll(dir, "+", "/")
	if i := strings.LastIndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	return name
}

func corpusPackageVersion(dir string) string {
	if i := strings.LastIndexByte(dir, '@'); i > 0 {
		return dir[i+1:]
	}
	return "*"
}

// runNodeOracle requires the handler as the Lambda Node.js runtime does at init.
func runNodeOracle(t *testing.T, node []string, task string, major int) oracleVerdict {
	t.Helper()
	opt := filepath.Join(filepath.Dir(task), "opt")
	nodePath := strings.Join([]string{
		filepath.Join(opt, "nodejs", fmt.Sprintf("node%d", major), "node_modules"), filepath.Join(opt, "nodejs", "node_modules"),
		"/var/runtime/node_modules", "/var/runtime", task}, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	args := append(slices.Clone(node[1:]), "-e", "require(process.argv[1]); process.exit(0)", filepath.Join(task, "index.js"))
	cmd := exec.CommandContext(ctx, node[0], args...)
	cmd.Dir = task
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + task, "NODE_PATH=" + nodePath, "LAMBDA_TASK_ROOT=" + task,
		"AWS_LAMBDA_FUNCTION_NAME=oracle", "AWS_REGION=us-east-1", "LANG=en_US.UTF-8", "TZ=:UTC"}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node %d timed out loading %s", major, task)
	}
	if st := cmd.ProcessState; st != nil && !st.Exited() {
		return oracleVerdict{detail: st.String(), crashed: true}
	}
	if err != nil {
		return oracleVerdict{pass: false, detail: firstErrorLine(string(out))}
	}
	return oracleVerdict{pass: true, detail: "loaded"}
}

func firstErrorLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Error") || strings.Contains(l, "Error:") || strings.HasPrefix(l, "throw") {
			return l
		}
	}
	return strings.TrimSpace(out)
}

// checkZipFile runs the checker on a zip file as if it were in S3 (through a reader that is
// not a local file, so the remote read budget applies). pass is false when a native rule
// reports an error.
func checkZipFile(t *testing.T, zipPath, runtime, arch string) (oracleVerdict, []result.RuleID) {
	t.Helper()
	f, err := os.Open(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	fn := inspect.Function{Target: filepath.Base(zipPath), Runtime: runtime, Handler: "index.handler", Architecture: arch}
	fn.Code = inspect.Source{Name: "function.zip", ReaderAt: io.NewSectionReader(f, 0, st.Size()), Size: st.Size()}
	c := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	res, err := c.Check(context.Background(), fn)
	if err != nil {
		t.Fatalf("check %s: %v", zipPath, err)
	}
	v := oracleVerdict{pass: true, detail: "no native error"}
	var rules []result.RuleID
	for _, fd := range nativeFindings(res) {
		if fd.Severity != result.Error {
			continue
		}
		if v.pass {
			v = oracleVerdict{pass: false, detail: string(fd.Rule) + ": " + fd.Message}
		}
		if !slices.Contains(rules, fd.Rule) {
			rules = append(rules, fd.Rule)
		}
	}
	return v, rules
}

// zipTree writes the install tree's node_modules and the handler into a zip, stored (no
// compression: the corpus trees are large and the checker reads stored entries alike).
func zipTree(zipPath, tree, handler, manifest string) error {
	out, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(out)
	for _, f := range []struct{ name, text string }{{"index.js", handler}, {"package.json", manifest}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, f.text); err != nil {
			return err
		}
	}
	err = filepath.WalkDir(filepath.Join(tree, "node_modules"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		if d.IsDir() {
			if d.Name() == ".bin" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name, h.Method = filepath.ToSlash(rel), zip.Store
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		return fmt.Errorf("zip %s: %w", tree, err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}
