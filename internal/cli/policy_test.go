package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// jsonResults runs check --format json and decodes what the exemption contract depends on.
type jsonFinding struct {
	Rule     string
	Severity string
	Exempted *struct{ Reason, Tag string }
}

type jsonResult struct {
	Target   string
	Status   string
	Exempted *struct{ Reason, Tag string }
	Findings []jsonFinding
}

func checkJSON(t *testing.T, getenv func(string) string, args ...string) (int, map[string]jsonResult, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	code := Run(context.Background(), append([]string{"check", "--format", "json"}, args...), Env{Stdout: &out, Stderr: &errOut, Getenv: getenv,
		Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	var doc struct{ Results []jsonResult }
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil && code != ExitUsage {
		t.Fatalf("not JSON: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	byTarget := map[string]jsonResult{}
	for _, r := range doc.Results {
		byTarget[r.Target] = r
	}
	return code, byTarget, errOut.String()
}

func (r jsonResult) finding(rule string) (jsonFinding, bool) {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f, true
		}
	}
	return jsonFinding{}, false
}

// exemptTemplate writes a CloudFormation template whose four functions share one package with a
// nested bootstrap and differ only in their exemption tag.
func exemptTemplate(t *testing.T) (tmpl, assets string) {
	dir := t.TempDir()
	writeZip(t, dir, "nested.zip", "bin/hello/bootstrap", 0o755)
	fn := func(tag string) map[string]any {
		props := map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"S3Bucket": "b", "S3Key": "nested.zip"}}
		if tag != "" {
			props["Tags"] = []map[string]string{{"Key": "team", "Value": "payments"}, {"Key": "bootstrap-guard:exempt", "Value": tag}}
		}
		return map[string]any{"Type": "AWS::Lambda::Function", "Metadata": map[string]string{"aws:asset:path": "nested.zip"}, "Properties": props}
	}
	doc := map[string]any{"Resources": map[string]any{
		"Plain":       fn(""),
		"RuleExempt":  fn("bootstrap-nested: vendor ships bin/hello, wrapper in a layer"),
		"OtherExempt": fn("bootstrap-glibc: vendor blob"),
		"WholeExempt": fn("CHG-1234 retired after the Q3 migration"),
		"TypoExempt":  fn("bootstrap-nestd: typo"),
	}}
	b, _ := json.Marshal(doc)
	tmpl = filepath.Join(dir, "app.template.json")
	if err := os.WriteFile(tmpl, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return tmpl, dir
}

func TestTemplateExemptions(t *testing.T) {
	tmpl, assets := exemptTemplate(t)
	tests := []struct {
		mode   string
		status map[string]string
	}{
		{"", map[string]string{"Plain": "FAIL", "RuleExempt": "PASS", "OtherExempt": "FAIL", "WholeExempt": "SKIP", "TypoExempt": "FAIL"}},
		{"rules-only", map[string]string{"Plain": "FAIL", "RuleExempt": "PASS", "OtherExempt": "FAIL", "WholeExempt": "FAIL", "TypoExempt": "FAIL"}},
		{"none", map[string]string{"Plain": "FAIL", "RuleExempt": "FAIL", "OtherExempt": "FAIL", "WholeExempt": "FAIL", "TypoExempt": "FAIL"}},
	}
	for _, tc := range tests {
		t.Run("mode "+tc.mode, func(t *testing.T) {
			args := []string{"--assets", assets, tmpl}
			if tc.mode != "" {
				args = append([]string{"--exemptions", tc.mode}, args...)
			}
			code, res, errOut := checkJSON(t, nil, args...)
			if code != ExitFail {
				t.Fatalf("exit %d, want 1 (Plain fails)\n%s", code, errOut)
			}
			for id, want := range tc.status {
				r := res["app/"+id]
				if r.Status != want {
					t.Errorf("%s: %s, want %s: %+v", id, r.Status, want, r.Findings)
				}
			}
			nested, _ := res["app/RuleExempt"].finding("bootstrap-nested")
			if tc.mode != "none" {
				if nested.Exempted == nil || nested.Exempted.Reason != "vendor ships bin/hello, wrapper in a layer" || nested.Severity != "error" {
					t.Errorf("RuleExempt bootstrap-nested: %+v, want still reported as an error, exempted with its reason", nested)
				}
			} else if nested.Exempted != nil {
				t.Error("mode none: nothing may be exempted")
			}
			if f, _ := res["app/OtherExempt"].finding("bootstrap-nested"); f.Exempted != nil {
				t.Error("a tag naming another rule exempted bootstrap-nested")
			}
			if _, ok := res["app/TypoExempt"].finding("exemption-ignored"); !ok {
				t.Error("a misspelt rule gives no exemption-ignored warning")
			}
			if w := res["app/WholeExempt"]; tc.mode == "" && (w.Exempted == nil || w.Exempted.Reason != "CHG-1234 retired after the Q3 migration") {
				t.Errorf("WholeExempt: %+v", w)
			}
		})
	}
	// The hook's variable sets the CLI's default, so CI can mirror the platform.
	code, res, _ := checkJSON(t, func(k string) string {
		if k == "BOOTSTRAP_GUARD_EXEMPTIONS" {
			return "none"
		}
		return ""
	}, "--assets", assets, tmpl)
	if code != ExitFail || res["app/RuleExempt"].Status != "FAIL" {
		t.Errorf("BOOTSTRAP_GUARD_EXEMPTIONS=none: RuleExempt %s", res["app/RuleExempt"].Status)
	}
	if code, _, errOut := checkJSON(t, nil, "--exemptions", "some", tmpl); code != ExitUsage || !strings.Contains(errOut, "--exemptions") {
		t.Errorf("bad --exemptions: exit %d, %s", code, errOut)
	}
}

// copyDir copies a directory tree (the checked-in cloud assembly) so a test can edit it.
func copyDir(t *testing.T, src string) string {
	dst := t.TempDir()
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

// TestAssemblyExemptions tags the nested function of a real `cdk synth` output the way CDK writes
// tags (Tags.of(fn).add: a Key/Value list on the resource) and checks the cloud assembly.
func TestAssemblyExemptions(t *testing.T) {
	for _, tc := range []struct {
		tag, status string
		exempted    bool
	}{
		{"", "FAIL", false},
		{"bootstrap-nested: vendor ships bin/hello", "PASS", true},
		{"bootstrap-glibc: vendor blob", "FAIL", false},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			dir := copyDir(t, filepath.Join("..", "cfn", "testdata", "assembly"))
			tp := filepath.Join(dir, "BootstrapGuardDemo.template.json")
			var tmpl map[string]any
			b, _ := os.ReadFile(tp)
			if err := json.Unmarshal(b, &tmpl); err != nil {
				t.Fatal(err)
			}
			if tc.tag != "" {
				props := tmpl["Resources"].(map[string]any)["NestedFunction99D361A1"].(map[string]any)["Properties"].(map[string]any)
				props["Tags"] = []map[string]string{{"Key": "bootstrap-guard:exempt", "Value": tc.tag}}
				b, _ = json.Marshal(tmpl)
				os.WriteFile(tp, b, 0o644)
			}
			_, res, errOut := checkJSON(t, nil, dir)
			r, ok := res["BootstrapGuardDemo/NestedFunction99D361A1"]
			if !ok {
				t.Fatalf("no result for the nested function: %v\n%s", res, errOut)
			}
			f, found := r.finding("bootstrap-nested")
			if r.Status != tc.status || !found || (f.Exempted != nil) != tc.exempted {
				t.Errorf("status %s, bootstrap-nested %+v (found %v); want %s, exempted %v", r.Status, f, found, tc.status, tc.exempted)
			}
		})
	}
}

// TestFutureRuntimeCLI: a runtime newer than the catalogue passes with a warning naming the
// catalogue's date; a typo still fails.
func TestFutureRuntimeCLI(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.mjs"), []byte("export const handler = async () => 1;\n"), 0o644)
	code, out, _ := runCLI("check", "--runtime", "nodejs26.x", "--handler", "index.handler", dir)
	if code != ExitPass || !strings.Contains(out, "runtime-newer-than-catalogue") || !strings.Contains(out, "retrieved 2026-12-06") || !strings.Contains(out, "--runtimes FILE") {
		t.Errorf("nodejs26.x: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI("check", "--runtime", "nodejs26.x", "--handler", "app.handler", dir)
	if code != ExitFail || !strings.Contains(out, "handler-missing") {
		t.Errorf("nodejs26.x gets the nodejs handler check: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI("check", "--runtime", "nodejs26", "--handler", "index.handler", dir)
	if code != ExitFail || !strings.Contains(out, "runtime-unknown") || !strings.Contains(out, "nodejs24.x") {
		t.Errorf("nodejs26: exit %d\n%s", code, out)
	}
	// With a catalogue that lists it, no warning.
	cat := filepath.Join(dir, "newer.json")
	os.WriteFile(cat, []byte(newerCatalogue), 0o644)
	code, out, _ = runCLI("check", "--runtimes", cat, "--runtime", "nodejs26.x", "--handler", "index.handler", dir)
	if code != ExitPass || strings.Contains(out, "warning") {
		t.Errorf("with a newer catalogue: exit %d\n%s", code, out)
	}
}

const newerCatalogue = `{"source":"test: AWS Lambda runtimes page","retrieved":"2027-06-01","runtimes":[
 {"name":"nodejs26.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2029-04-30","createBlocked":"2029-06-01","updateBlocked":"2029-07-01"},
 {"name":"provided.al2023","family":"provided","os":"al2023","glibc":"2.34","deprecated":"2029-06-30"}]}`

func TestRuntimesCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(newerCatalogue), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"source":"x","retrieved":"2027-06-01","runtimes":[{"name":"nodejs26.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecation":"2029-04-30"}]}`), 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
	}{
		{"built in", []string{"runtimes"}, ExitPass, []string{"loaded from: built in (internal/runtimes/catalogue.json)", "retrieved:   2026-12-06", "lambda-runtimes.html", "nodejs24.x", "ON 2026-11-24"}},
		{"from a file", []string{"runtimes", "--runtimes", good}, ExitPass, []string{"loaded from: file " + good, "retrieved:   2027-06-01", "newest provided.al2023, nodejs26.x"}},
		{"json", []string{"runtimes", "--format", "json"}, ExitPass, []string{`"retrieved":"2026-12-06"`}},
		{"check good", []string{"runtimes", "--check", good}, ExitPass, []string{"valid runtime catalogue: 2 runtimes", "retrieved 2027-06-01", "standard SSM parameter"}},
		{"check bad", []string{"runtimes", "--check", bad}, ExitFail, []string{"not a valid runtime catalogue", `unknown field "deprecation"`}},
		{"check missing", []string{"runtimes", "--check", filepath.Join(dir, "none.json")}, ExitUsage, nil},
		{"bad format", []string{"runtimes", "--format", "xml"}, ExitUsage, nil},
		{"check --runtimes bad", []string{"check", "--runtimes", bad, dir}, ExitUsage, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
		})
	}
	// What --format json prints is itself a valid catalogue. Since the Java AL2023 runtimes (49
	// rows) it is larger than an SSM parameter holds, and --check says where to publish it.
	_, out, _ := runCLI("runtimes", "--format", "json")
	p := filepath.Join(dir, "compact.json")
	os.WriteFile(p, []byte(out), 0o644)
	if code, out, _ := runCLI("runtimes", "--check", p); code != ExitPass || !strings.Contains(out, "publish it as an S3 object") {
		t.Errorf("round trip: exit %d\n%s", code, out)
	}
}

// TestRuntimesFromSSM: --runtimes ssm:NAME reads the parameter the hook would read, through the
// real SSM client.
func TestRuntimesFromSSM(t *testing.T) {
	srv := testenv.StartSSM(t)
	srv.Put("/guard/runtimes", newerCatalogue)
	t.Setenv("AWS_ENDPOINT_URL_SSM", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	code, out, errOut := runCLI("runtimes", "--runtimes", "ssm:/guard/runtimes")
	if code != ExitPass || !strings.Contains(out, "loaded from: SSM parameter /guard/runtimes (version 1)") || !strings.Contains(out, "retrieved:   2027-06-01") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI("runtimes", "--runtimes", "ssm:/guard/none"); code != ExitUsage || !strings.Contains(errOut, "ParameterNotFound") {
		t.Errorf("missing parameter: exit %d %s", code, errOut)
	}
}

// TestSAMExemptions: SAM's Tags map, and Globals.Function.Tags merged into each function's (SAM
// merges maps from Globals, the function's own keys winning), carry exemptions too.
func TestSAMExemptions(t *testing.T) {
	dir := t.TempDir()
	writeZip(t, dir, "nested.zip", "bin/hello/bootstrap", 0o755)
	tmpl := filepath.Join(dir, "sam.yaml")
	os.WriteFile(tmpl, []byte(`Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Tags:
      bootstrap-guard:exempt: "bootstrap-nested: vendor layout, for every function"
Resources:
  FromGlobals:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: nested.zip
  OwnMap:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: nested.zip
      Tags:
        bootstrap-guard:exempt: "bootstrap-glibc: another rule"
`), 0o644)
	code, res, errOut := checkJSON(t, nil, tmpl)
	if code != ExitFail {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	g, o := res["sam/FromGlobals"], res["sam/OwnMap"]
	if f, _ := g.finding("bootstrap-nested"); g.Status != "PASS" || f.Exempted == nil || f.Exempted.Reason != "vendor layout, for every function" {
		t.Errorf("FromGlobals: %s %+v", g.Status, g.Findings)
	}
	if f, _ := o.finding("bootstrap-nested"); o.Status != "FAIL" || f.Exempted != nil {
		t.Errorf("OwnMap: %s %+v", o.Status, o.Findings)
	}
}
