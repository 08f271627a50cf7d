package jsmodule_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/jsmodule"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// TestParserAgreesWithNode parses the JavaScript of real npm packages (the TypeScript compiler of
// make js-corpus-tools, npm's own global packages, other trees of the test cache when present),
// each file up to the 4 MiB the check reads, and asks Node 24
// (node --check, the official build of make node-cache) about every file the parser rejects and
// about every 100th file it accepts: Node must reject the first and accept the second, so a
// syntax-error finding is never the parser's own mistake on code real tools ship.
func TestParserAgreesWithNode(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	node := testenv.NodeBinary(t, "linux-x64", 24)
	roots := []string{filepath.Join(root, ".cache", "typescript")}
	// npm's own code, installed wherever make test runs (it downloads the test inputs).
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	for _, extra := range []string{"cdk-ts", "serverless"} {
		if _, err := os.Stat(filepath.Join(root, ".cache", extra)); err == nil {
			roots = append(roots, filepath.Join(root, ".cache", extra))
		}
	}
	if _, err := os.Stat(roots[0]); err != nil {
		msg := "the TypeScript package is not downloaded (run make js-corpus-tools)"
		if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	const maxFiles = 2500
	files, rejected, asked := 0, 0, 0
	check := func(p string) bool {
		return exec.Command(node, "--check", p).Run() == nil
	}
	for _, r := range roots {
		filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || files >= maxFiles {
				return nil
			}
			ext := filepath.Ext(p)
			if ext != ".js" && ext != ".mjs" && ext != ".cjs" {
				return nil
			}
			if info, err := d.Info(); err != nil || info.Size() > 4<<20 {
				return nil // past what the check reads (internal/handler nodeCodeMaxFile)
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			files++
			goal := jsmodule.CommonJS
			if ext == ".mjs" {
				goal = jsmodule.ESModule
			}
			_, perr := jsmodule.Parse(src, goal)
			var se *jsmodule.SyntaxError
			switch {
			case errors.As(perr, &se):
				rejected++
				asked++
				if check(p) {
					t.Errorf("%s: the parser says %v, node --check accepts it", p, se)
				}
			case perr == nil && files%100 == 0:
				asked++
				if !check(p) {
					t.Errorf("%s: the parser accepts it, node --check does not", p)
				}
			}
			return nil
		})
	}
	if files < 50 {
		t.Fatalf("only %d files found under %v", files, roots)
	}
	t.Logf("%d files parsed, %d rejected, %d verdicts checked with node --check", files, rejected, asked)
}
