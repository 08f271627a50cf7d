package runtimes

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// The aws-cdk-lib release whose runtime data the catalogue is compared with; mk/runtimes.mk
// downloads it (npm pack) into .cache/cdk-runtimes.
const cdkVersion = "2.278.0"

// cdkRuntime is one Runtime static of aws-cdk-lib's aws_lambda.Runtime class.
type cdkRuntime struct {
	member     string // JAVA_17_AL2023
	name       string // java17.al2023
	deprecated bool   // its doc comment carries @deprecated ("Legacy runtime no longer supported by AWS Lambda")
}

// cdkRuntimes reads the Runtime list from aws-cdk-lib's compiled runtime.js
// (`static JAVA_17_AL2023=new Runtime("java17.al2023",RuntimeFamily.JAVA,...)`) and the
// @deprecated flags from runtime.d.ts (`/** ... @deprecated ... */ static readonly NAME: Runtime;`),
// as the CDK ships them. FROM_IMAGE (no family: the container-image placeholder) is not a runtime.
func cdkRuntimes(js, dts string) ([]cdkRuntime, error) {
	statics := regexp.MustCompile(`static ([A-Z0-9_]+)=new Runtime\("([^"]+)",RuntimeFamily\.[A-Z_]+`).FindAllStringSubmatch(js, -1)
	if len(statics) < 20 {
		return nil, fmt.Errorf("runtime.js: found %d Runtime statics, want the CDK's list (did the compiled form change?)", len(statics))
	}
	decls := regexp.MustCompile(`(?s)/\*\*((?:[^*]|\*[^/])*)\*/\s*static readonly ([A-Z0-9_]+): Runtime;`).FindAllStringSubmatch(dts, -1)
	deprecated := map[string]bool{}
	for _, d := range decls {
		deprecated[d[2]] = strings.Contains(d[1], "@deprecated")
	}
	var out []cdkRuntime
	for _, s := range statics {
		dep, ok := deprecated[s[1]]
		if !ok {
			return nil, fmt.Errorf("runtime.d.ts: no declaration of Runtime.%s", s[1])
		}
		out = append(out, cdkRuntime{member: s[1], name: s[2], deprecated: dep})
	}
	return out, nil
}

// difference is one way the catalogue and the CDK's data disagree.
type difference struct {
	runtime string
	kind    string // cdk-only, catalogue-only, cdk-not-deprecated, cdk-deprecated-early
}

// knownDifferences are the disagreements between the built-in catalogue and aws-cdk-lib 2.278.0
// that are explained, each with its reason. The test fails on any difference not listed here and
// on any listed one that is gone, so the next change on either side is noticed. The catalogue
// follows AWS's runtimes page (README, "Runtime catalogue": which source wins and why).
var knownDifferences = map[difference]string{
	{"nodejs26.x", "cdk-only"}: "AWS's runtimes page lists nodejs26.x as a preview with no deprecation scheduled (copy of 2026-08-15); " +
		"the catalogue holds released runtimes with dates, so it is judged as newer than the catalogue (a warning), which is what a preview deserves",
	{"python3.15", "cdk-only"}: "preview on AWS's runtimes page with no deprecation scheduled, like nodejs26.x",
	// The CDK flags a runtime @deprecated ("Legacy runtime no longer supported by AWS Lambda") some
	// time after AWS deprecates it; AWS's page decides the date.
	{"nodejs20.x", "cdk-not-deprecated"}:   "AWS deprecated it on 2026-04-30; aws-cdk-lib 2.278.0 has not flagged it yet",
	{"ruby3.2", "cdk-not-deprecated"}:      "AWS deprecated it on 2026-03-31; aws-cdk-lib 2.278.0 has not flagged it yet",
	{"provided.al2", "cdk-not-deprecated"}: "AWS deprecated it on 2026-07-31 (Amazon Linux 2's end of support); aws-cdk-lib 2.278.0 has not flagged it yet",
	{"python3.10", "cdk-not-deprecated"}:   "AWS deprecated it on 2026-10-31; aws-cdk-lib 2.278.0 has not flagged it yet",
	{"dotnet8", "cdk-not-deprecated"}:      "AWS deprecated it on 2026-11-10; aws-cdk-lib 2.278.0 has not flagged it yet",
	{"dotnet9", "cdk-not-deprecated"}:      "container-image only; AWS deprecated it on 2026-11-10; aws-cdk-lib 2.278.0 has not flagged it yet",
}

// compareWithCDK names every difference between c and the CDK's runtime data, on the
// catalogue's retrieval date (a runtime counts as deprecated from its deprecation date on).
func compareWithCDK(c *Catalogue, cdk []cdkRuntime) ([]difference, error) {
	day, err := time.Parse(time.DateOnly, c.Retrieved)
	if err != nil {
		return nil, err
	}
	var diffs []difference
	seen := map[string]bool{}
	for _, r := range cdk {
		if seen[r.name] {
			continue // NODEJS_LATEST repeats nodejs24.x
		}
		seen[r.name] = true
		rt, ok := c.Lookup(r.name)
		if !ok {
			diffs = append(diffs, difference{r.name, "cdk-only"})
			continue
		}
		deprecated := rt.PhaseOn(day) >= Deprecated
		switch {
		case deprecated && !r.deprecated:
			diffs = append(diffs, difference{r.name, "cdk-not-deprecated"})
		case !deprecated && r.deprecated:
			diffs = append(diffs, difference{r.name, "cdk-deprecated-early"})
		}
	}
	for _, r := range c.Runtimes {
		if !seen[r.Name] {
			diffs = append(diffs, difference{r.Name, "catalogue-only"})
		}
	}
	return diffs, nil
}

// TestCatalogueMatchesCDK compares the built-in catalogue with the runtime list and deprecation
// flags aws-cdk-lib ships, and names every difference that is not explained in knownDifferences.
func TestCatalogueMatchesCDK(t *testing.T) {
	dir := cdkCache(t)
	js, err := os.ReadFile(filepath.Join(dir, "aws-lambda", "lib", "runtime.js"))
	if err != nil {
		t.Fatal(err)
	}
	dts, err := os.ReadFile(filepath.Join(dir, "aws-lambda", "lib", "runtime.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	cdk, err := cdkRuntimes(string(js), string(dts))
	if err != nil {
		t.Fatalf("aws-cdk-lib %s: %v", cdkVersion, err)
	}
	diffs, err := compareWithCDK(Default(), cdk)
	if err != nil {
		t.Fatal(err)
	}
	found := map[difference]bool{}
	for _, d := range diffs {
		found[d] = true
		if _, ok := knownDifferences[d]; !ok {
			t.Errorf("%s: %s (aws-cdk-lib %s); not an explained difference: update catalogue.json from AWS's runtimes page, or add the reason to knownDifferences", d.runtime, d.kind, cdkVersion)
		}
	}
	for d := range knownDifferences {
		if !found[d] {
			t.Errorf("%s: %s is listed as a known difference but is gone: remove it from knownDifferences", d.runtime, d.kind)
		}
	}
	t.Logf("aws-cdk-lib %s: %d runtimes, %d explained differences", cdkVersion, len(cdk), len(diffs))
}

// TestCompareWithCDK shows the comparison firing for each kind of difference and quiet when the
// two agree.
func TestCompareWithCDK(t *testing.T) {
	c, err := Parse([]byte(`{"source": "test", "retrieved": "2026-12-06", "runtimes": [
		{"name": "python3.9", "family": "python", "os": "al2", "glibc": "2.26", "deprecated": "2025-12-15"},
		{"name": "python3.14", "family": "python", "os": "al2023", "glibc": "2.34", "deprecated": "2029-06-30"},
		{"name": "nodejs24.x", "family": "nodejs", "os": "al2023", "glibc": "2.34", "deprecated": "2028-04-30"},
		{"name": "ruby3.2", "family": "ruby", "os": "al2", "glibc": "2.26", "deprecated": "2026-03-31"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cdk  []cdkRuntime
		want []difference
	}{
		{"agree", []cdkRuntime{{name: "python3.9", deprecated: true}, {name: "python3.14"}, {name: "nodejs24.x"}, {name: "ruby3.2", deprecated: true}}, nil},
		{"every kind", []cdkRuntime{{name: "python3.9"}, {name: "python3.14", deprecated: true}, {name: "nodejs26.x"}, {name: "ruby3.2", deprecated: true}},
			[]difference{{"python3.9", "cdk-not-deprecated"}, {"python3.14", "cdk-deprecated-early"}, {"nodejs26.x", "cdk-only"}, {"nodejs24.x", "catalogue-only"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := compareWithCDK(c, tc.cdk)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCDKRuntimesParse reads the compiled form the CDK ships, including a static without options
// and the @deprecated flag, and rejects input that is not that form.
func TestCDKRuntimesParse(t *testing.T) {
	js := strings.Repeat(`static PYTHON_3_9=new Runtime("python3.9",RuntimeFamily.PYTHON,{supportsInlineCode:!0});static GO_1_X=new Runtime("go1.x",RuntimeFamily.GO);`, 10) +
		`static FROM_IMAGE=new Runtime("FROM_IMAGE");`
	dts := "/**\n * The Python 3.9 runtime (python3.9)\n * @deprecated Legacy runtime no longer supported by AWS Lambda.\n */\n static readonly PYTHON_3_9: Runtime;\n" +
		"/**\n * The Go 1.x runtime (go1.x)\n */\n static readonly GO_1_X: Runtime;\n"
	got, err := cdkRuntimes(js, dts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || got[0] != (cdkRuntime{"PYTHON_3_9", "python3.9", true}) || got[1] != (cdkRuntime{"GO_1_X", "go1.x", false}) {
		t.Errorf("got %v", got[:2])
	}
	if _, err := cdkRuntimes("module.exports={}", dts); err == nil {
		t.Error("no error for a runtime.js without Runtime statics")
	}
	if _, err := cdkRuntimes(js, ""); err == nil {
		t.Error("no error for a runtime.d.ts without the declarations")
	}
}

// cdkCache is the unpacked aws-cdk-lib from mk/runtimes.mk. Without it the test skips, unless
// BOOTSTRAP_GUARD_REQUIRE_SERVERS=1 (make test), where its absence is a failure.
func cdkCache(t *testing.T) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err == nil {
		dir := filepath.Join(root, ".cache", "cdk-runtimes", "aws-cdk-lib")
		if _, err := os.Stat(filepath.Join(root, ".cache", "cdk-runtimes", ".aws-cdk-lib-"+cdkVersion)); err == nil {
			return dir
		}
	}
	msg := "aws-cdk-lib " + cdkVersion + " not downloaded (run make cdk-runtimes-cache)"
	if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
