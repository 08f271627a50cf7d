package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// layout writes files (name -> content) under a new folder.
func layout(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const stateJSON = `{"service":{"service":"svc","functions":{"hello":{"handler":"-","package":{"artifact":"bin/hello.zip"}}}},
  "package":{"individually":true,"artifactDirectoryName":"serverless/svc/dev/1","artifact":""}}`

const templateJSON = `{"Resources":{"HelloLambdaFunction":{"Type":"AWS::Lambda::Function","Properties":{"Code":{"S3Key":"serverless/svc/dev/1/hello.zip"}}}}}`

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		path  string // relative to the folder; "" is the folder
		kind  Kind
		check string // relative; "" is the folder
		built bool
		err   string
	}{
		{"serverless package output", map[string]string{".serverless/" + ServerlessState: stateJSON, ".serverless/" + ServerlessTemplate: templateJSON}, ".serverless", ServerlessPackage, ".serverless", false, ""},
		{"serverless service, packaged", map[string]string{"serverless.yml": "service: svc\n", ".serverless/" + ServerlessState: stateJSON, ".serverless/" + ServerlessTemplate: templateJSON}, "", ServerlessPackage, ".serverless", false, ""},
		{"serverless.yml, packaged", map[string]string{"serverless.yml": "service: svc\n", ".serverless/" + ServerlessState: stateJSON, ".serverless/" + ServerlessTemplate: templateJSON}, "serverless.yml", ServerlessPackage, ".serverless", false, ""},
		{"serverless template", map[string]string{".serverless/" + ServerlessState: stateJSON, ".serverless/" + ServerlessTemplate: templateJSON}, ".serverless/" + ServerlessTemplate, ServerlessPackage, ".serverless", false, ""},
		{"serverless service, not packaged", map[string]string{"serverless.ts": "export default {}\n"}, "", "", "", false, "run serverless package"},
		{"serverless.yml, not packaged", map[string]string{"serverless.yml": "service: svc\n"}, "serverless.yml", "", "", false, "run serverless package"},
		{"cloud assembly", map[string]string{"manifest.json": "{}"}, "", Assembly, "", false, ""},
		{"cdk app", map[string]string{"cdk.json": `{"app":"node app.js"}`, "cdk.out/manifest.json": "{}"}, "", CDKApp, "cdk.out", false, ""},
		{"cdk app, output elsewhere", map[string]string{"cdk.json": `{"app":"x","output":"synth"}`, "synth/manifest.json": "{}", "cdk.out/manifest.json": "{}"}, "cdk.json", CDKApp, "synth", false, ""},
		{"cdk app, not synthesized", map[string]string{"cdk.json": `{"app":"node app.js"}`, "lambda/bootstrap": "x"}, "", "", "", false, "run cdk synth"},
		{"cdk.json that is a template", map[string]string{"cdk.json": `{"Resources":{}}`}, "cdk.json", Template, "cdk.json", false, ""},
		{"sam project, built", map[string]string{"template.yaml": "Transform: AWS::Serverless-2016-10-31\n", ".aws-sam/build/template.yaml": "Resources: {}\n", ".aws-sam/build.toml": ""}, "", SAMBuild, ".aws-sam/build/template.yaml", true, ""},
		{"sam build folder", map[string]string{".aws-sam/build/template.yaml": "Resources: {}\n"}, ".aws-sam/build", SAMBuild, ".aws-sam/build/template.yaml", true, ""},
		{"sam built template", map[string]string{".aws-sam/build/template.yaml": "Resources: {}\n"}, ".aws-sam/build/template.yaml", Template, ".aws-sam/build/template.yaml", true, ""},
		{"custom build dir", map[string]string{"out/build/template.yaml": "Resources: {}\n", "out/build.toml": ""}, "out/build/template.yaml", Template, "out/build/template.yaml", true, ""},
		{"sam project, not built", map[string]string{"template.yml": "Transform: AWS::Serverless-2016-10-31\n"}, "", Template, "template.yml", false, ""},
		{"folder with a template", map[string]string{"template.json": `{"Resources":{}}`}, "", Template, "template.json", false, ""},
		{"template file", map[string]string{"stack.yaml": "Resources: {}\n"}, "stack.yaml", Template, "stack.yaml", false, ""},
		{"code folder", map[string]string{"bootstrap": "x"}, "", CodeFolder, "", false, ""},
		{"zip", map[string]string{"fn.zip": "x"}, "fn.zip", CodeFolder, "fn.zip", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := layout(t, tc.files)
			d, err := Detect(filepath.Join(dir, tc.path))
			if tc.err != "" {
				if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want ErrNotBuilt saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tc.kind || filepath.Clean(d.Check) != filepath.Join(dir, tc.check) || d.Built != tc.built {
				t.Errorf("got %+v, want %s %s built=%v", d, tc.kind, tc.check, tc.built)
			}
		})
	}
	if _, err := Detect(filepath.Join(t.TempDir(), "missing")); err == nil || errors.Is(err, ErrNotBuilt) {
		t.Errorf("missing path: %v", err)
	}
}

func TestLogicalID(t *testing.T) {
	for in, want := range map[string]string{
		"hello":         "HelloLambdaFunction",
		"hello-nested":  "HelloDashnestedLambdaFunction",
		"root_level":    "RootUnderscorelevelLambdaFunction",
		"APIHandler":    "APIHandlerLambdaFunction",
		"a-b_c":         "ADashbUnderscorecLambdaFunction",
		"":              "LambdaFunction",
		"1st":           "1stLambdaFunction",
		"hello--world_": "HelloDashDashworldUnderscoreLambdaFunction",
	} {
		if got := LogicalID(in); got != want {
			t.Errorf("LogicalID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadServerless(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "elsewhere", ".serverless", "hello.zip") // recorded on another machine
	for _, tc := range []struct {
		name    string
		files   map[string]string
		fn      string
		path    string // relative to the service folder, or an s3:// URI
		problem string
		err     string
	}{
		{"function artifact", map[string]string{".serverless/" + ServerlessState: stateJSON, ".serverless/" + ServerlessTemplate: templateJSON, "serverless.yml": "functions:\n  hello:\n    handler: x\n"}, "HelloLambdaFunction", "bin/hello.zip", "", ""},
		{"individually, made by serverless", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"handler":"x","package":{"artifact":"` + abs + `"}}}},"package":{"individually":true}}`,
			".serverless/" + ServerlessTemplate: templateJSON, ".serverless/hello.zip": "zip"}, "HelloLambdaFunction", ".serverless/hello.zip", "", ""},
		{"individually, no artifact recorded", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"handler":"x"}}},"package":{"individually":true}}`,
			".serverless/" + ServerlessTemplate: templateJSON}, "HelloLambdaFunction", ".serverless/hello.zip", "", ""},
		{"service package", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","artifact":"/x/.serverless/svc.zip","functions":{"hello":{"handler":"x"}}},"package":{"artifact":"svc.zip"}}`,
			".serverless/" + ServerlessTemplate: `{"Resources":{"HelloLambdaFunction":{"Type":"AWS::Lambda::Function","Properties":{"Code":{"S3Key":"d/svc.zip"}}}}}`}, "HelloLambdaFunction", ".serverless/svc.zip", "", ""},
		{"service artifact from serverless.yml", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"handler":"x"}}},"package":{"artifact":"all.zip"}}`,
			"serverless.yml":                    "package:\n  artifact: dist/all.zip\n",
			".serverless/" + ServerlessTemplate: `{"Resources":{"HelloLambdaFunction":{"Type":"AWS::Lambda::Function","Properties":{"Code":{"S3Key":"d/all.zip"}}}}}`}, "HelloLambdaFunction", "dist/all.zip", "", ""},
		{"service artifact in an unread configuration", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"handler":"x"}}},"package":{"artifact":"all.zip"}}`,
			"serverless.js":                     "module.exports = {}\n",
			".serverless/" + ServerlessTemplate: `{"Resources":{"HelloLambdaFunction":{"Type":"AWS::Lambda::Function","Properties":{"Code":{"S3Key":"d/all.zip"}}}}}`}, "HelloLambdaFunction", "", "", ""},
		{"s3 artifact", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"handler":"x","package":{"artifact":"s3://b/k/hello.zip"}}}},"package":{}}`,
			".serverless/" + ServerlessTemplate: templateJSON}, "HelloLambdaFunction", "s3://b/k/hello.zip", "", ""},
		{"template uploads another file", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"handler":"x","package":{"artifact":"bin/other.zip"}}}},"package":{}}`,
			".serverless/" + ServerlessTemplate: templateJSON}, "HelloLambdaFunction", "bin/other.zip", "uploads hello.zip", ""},
		{"function missing from the template", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"world":{"handler":"x","package":{"artifact":"w.zip"}}}},"package":{}}`,
			".serverless/" + ServerlessTemplate: templateJSON}, "WorldLambdaFunction", "w.zip", "not in", ""},
		{"image function", map[string]string{
			".serverless/" + ServerlessState:    `{"service":{"service":"svc","functions":{"hello":{"image":{"name":"img"}}}},"package":{}}`,
			".serverless/" + ServerlessTemplate: templateJSON}, "HelloLambdaFunction", "", "", ""},
		{"state not JSON", map[string]string{".serverless/" + ServerlessState: "{", ".serverless/" + ServerlessTemplate: templateJSON}, "", "", "", "unusable serverless package"},
		{"no service", map[string]string{".serverless/" + ServerlessState: `{"service":{}}`, ".serverless/" + ServerlessTemplate: templateJSON}, "", "", "", "names no service"},
		{"template not JSON", map[string]string{".serverless/" + ServerlessState: stateJSON, ".serverless/" + ServerlessTemplate: "Resources: {}"}, "", "", "", "unusable serverless package"},
		{"no template", map[string]string{".serverless/" + ServerlessState: stateJSON}, "", "", "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := layout(t, tc.files)
			s, err := ReadServerless(filepath.Join(dir, ".serverless"))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, ok := s.Artifacts[tc.fn]
			if !ok {
				t.Fatalf("no artifact for %s: %+v", tc.fn, s.Artifacts)
			}
			want := tc.path
			if want != "" && !strings.HasPrefix(want, "s3://") {
				want = filepath.Join(dir, want)
			}
			if a.Path != want || (tc.problem == "") != (a.Problem == "") || !strings.Contains(a.Problem, tc.problem) {
				t.Errorf("artifact %+v, want path %s problem %q", a, want, tc.problem)
			}
			if a.Image != strings.Contains(tc.name, "image") {
				t.Errorf("image %v", a.Image)
			}
		})
	}
}

func TestServerlessConfigLines(t *testing.T) {
	dir := layout(t, map[string]string{
		".serverless/" + ServerlessState:    stateJSON,
		".serverless/" + ServerlessTemplate: templateJSON,
		"serverless.yml":                    "service: svc\nfunctions:\n  hello:\n    handler: '-'\n",
	})
	s, err := ReadServerless(filepath.Join(dir, ".serverless"))
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Artifacts["HelloLambdaFunction"]; a.Function != "hello" || a.Config != filepath.Join(dir, "serverless.yml") || a.ConfigLine != 3 || s.Service != "svc" {
		t.Errorf("%+v in %s", a, s.Service)
	}
}

func TestRemedy(t *testing.T) {
	nested := result.Finding{Rule: result.BootstrapNested, Severity: result.Error, Path: "bin/bootstrap", Remediation: "zip -j"}
	missing := result.Finding{Rule: result.BootstrapMissing, Severity: result.Error, Remediation: "build it"}
	other := result.Finding{Rule: result.RuntimeDeprecated, Severity: result.Warning, Remediation: "upgrade"}
	for _, tc := range []struct {
		name  string
		place Place
		f     result.Finding
		want  string // "" means unchanged
	}{
		{"cdk nested, folder known", Place{Tool: "cdk", AssetSource: "lambda/gobad"}, nested, "Put bootstrap at the root of lambda/gobad (it is at lambda/gobad/bin/bootstrap), or point Code.fromAsset at lambda/gobad/bin."},
		{"cdk nested, folder unknown", Place{Tool: "cdk", ConstructPath: "S/Fn/Resource"}, nested, "the folder S/Fn/Resource gives Code.fromAsset"},
		{"cdk missing, folder known", Place{Tool: "cdk", AssetSource: "lambda/x"}, missing, "-o lambda/x/bootstrap"},
		{"cdk other rule", Place{Tool: "cdk", AssetSource: "lambda/x"}, other, ""},
		{"serverless nested artifact", Place{Tool: "serverless", Function: "world", Artifact: "bin/world.zip"}, nested, "zip -j bin/world.zip bin/bootstrap (the package.artifact of function world)"},
		{"serverless nested, packaged by serverless", Place{Tool: "serverless", Function: "world"}, nested, "give it as the function's package.artifact"},
		{"serverless package not there", Place{Tool: "serverless", Function: "world"}, result.Finding{Rule: result.PackageNotInspected, Severity: result.Warning, Remediation: "x"}, "run serverless package again"},
		{"cdk package not there", Place{Tool: "cdk", AssetSource: "lambda/x"}, result.Finding{Rule: result.PackageNotInspected, Severity: result.Warning, Remediation: "x"}, ""},
		{"serverless missing", Place{Tool: "serverless", Function: "world", Artifact: "bin/world.zip"}, missing, ""},
		{"sam go, handler not bootstrap", Place{Tool: "sam", Handler: "-", BuildMethod: "go1.x"}, missing, `Handler "-" built a file called "-"`},
		{"sam go, handler bootstrap", Place{Tool: "sam", Handler: "bootstrap", BuildMethod: "go1.x"}, missing, ""},
		{"sam makefile", Place{Tool: "sam", Handler: "x", BuildMethod: "makefile"}, missing, ""},
		{"no tool", Place{}, nested, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := result.Result{Findings: []result.Finding{tc.f}}
			Remedy(&res, tc.place)
			got := res.Findings[0].Remediation
			if tc.want == "" && got != tc.f.Remediation || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("fix %q, want %q", got, tc.want)
			}
		})
	}
}
