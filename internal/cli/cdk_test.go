package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// cdkSynth compiles a TypeScript CDK app with the real typescript and synthesizes it with the real
// aws-cdk CLI and aws-cdk-lib (from .cache/cdk-ts, mk/project.mk), offline.
func cdkSynth(t *testing.T, dir string, args ...string) {
	t.Helper()
	node := testenv.Node(t)
	mods := filepath.Dir(filepath.Dir(testenv.NPMTool(t, "cdk-ts", "aws-cdk-lib/package.json")))
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	for _, cmdline := range [][]string{
		{filepath.Join(mods, "typescript", "bin", "tsc"), "-p", "."},
		append([]string{filepath.Join(mods, "aws-cdk", "bin", "cdk"), "synth", "--quiet", "--app", node + " build/bin/app.js"}, args...),
	} {
		cmd := exec.Command(node, cmdline...)
		cmd.Dir = dir
		cmd.Env = testenv.ToolEnv(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmdline, " "), err, out)
		}
	}
}

// TestCDKTypeScriptApp checks a TypeScript CDK app synthesized by the real CDK: results name the
// construct path and the folder Code.fromAsset staged, fixes speak of that folder, and SARIF
// points at it rather than at the generated template.
func TestCDKTypeScriptApp(t *testing.T) {
	boot := testenv.HelloBootstrap(t)
	dir := copyProject(t, "cdk-ts")
	writeFileMode(t, filepath.Join(dir, "lambda/gobad/bin/bootstrap"), boot, 0o755)
	writeFileMode(t, filepath.Join(dir, "lambda/gogood/bootstrap"), boot, 0o755)
	zipAs(t, filepath.Join(dir, "dist/gozip.zip"), "bootstrap", boot)

	if code, _, errOut := projectCheck(t, dir, "."); code != ExitUsage || !strings.Contains(errOut, "run cdk synth") {
		t.Fatalf("before synth: exit %d, stderr %q", code, errOut)
	}
	cdkSynth(t, dir)

	for _, path := range []string{".", "cdk.out", "cdk.json"} {
		t.Run(path, func(t *testing.T) {
			code, got, errOut := projectCheck(t, dir, path, "--require-inspection")
			if code != ExitFail || len(got) != 3 {
				t.Fatalf("exit %d, %d results\n%s", code, len(got), errOut)
			}
			want := map[string]struct{ status, construct, source string }{
				"GoBad":  {"FAIL", "GoFunctions/GoBad/Resource", "lambda/gobad"},
				"GoGood": {"PASS", "GoFunctions/GoGood/Resource", "lambda/gogood"},
				"GoZip":  {"PASS", "GoFunctions/GoZip/Resource", "dist/gozip.zip"},
			}
			for _, r := range got {
				if r.Origin == nil {
					t.Fatalf("%s has no origin", r.Target)
				}
				name := strings.Split(r.Origin.ConstructPath, "/")[1]
				w, ok := want[name]
				if !ok || r.Status != w.status || r.Origin.Tool != "cdk" || r.Origin.ConstructPath != w.construct || r.Origin.AssetSource != w.source {
					t.Errorf("%s: %s origin %+v, want %+v", r.Target, r.Status, r.Origin, w)
				}
				if r.Package == nil || !r.Package.Inspected {
					t.Errorf("%s: package %+v not inspected", r.Target, r.Package)
				}
				if name == "GoBad" {
					fix := r.Findings[0].Remediation
					if r.Findings[0].Rule != "bootstrap-nested" || !strings.Contains(fix, "Put bootstrap at the root of lambda/gobad") || !strings.Contains(fix, "point Code.fromAsset at lambda/gobad/bin") {
						t.Errorf("GoBad: %s fix %q", r.Findings[0].Rule, fix)
					}
				}
			}
		})
	}

	code, out, errOut := runIn(t, dir, "check", "--format", "sarif", ".")
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
					LogicalLocations []struct{ FullyQualifiedName, Kind string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || code != ExitFail || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 {
		t.Fatalf("sarif: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	loc := log.Runs[0].Results[0].Locations[0]
	if loc.PhysicalLocation.ArtifactLocation.URI != "lambda/gobad/bin/bootstrap" {
		t.Errorf("sarif location %q, want the file in the asset's source folder", loc.PhysicalLocation.ArtifactLocation.URI)
	}
	found := false
	for _, l := range loc.LogicalLocations {
		found = found || l.FullyQualifiedName == "GoFunctions/GoBad/Resource" && l.Kind == "resource"
	}
	if !found {
		t.Errorf("sarif logical locations %+v lack the construct path", loc.LogicalLocations)
	}
}
