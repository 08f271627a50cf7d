package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// samTemplate is a SAM template in YAML: one function with local code, one in S3 whose bucket
// and key come from parameters, one whose runtime is a parameter.
const samTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  CodeBucket:
    Type: String
    Default: assets
  Version:
    Type: String
    Default: good
  Runtime:
    Type: String
Globals:
  Function:
    Handler: bootstrap
    Runtime: provided.al2023
Resources:
  Local:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: local.zip
  Remote:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri:
        Bucket: !Ref CodeBucket
        Key: !Sub "${Version}.zip"
  Param:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: !Ref Runtime
      Handler: index.handler
      Code:
        ZipFile: "exports.handler = async () => 1"
`

type tmplResult struct {
	Target, Status string
	Findings       []struct{ Rule, Severity, Message string }
	Location       *struct {
		File string
		Line int
	}
	Package *struct {
		Inspected      bool
		Source, Reason string
	}
}

func decodeResults(t *testing.T, out string) map[string]tmplResult {
	t.Helper()
	var doc struct{ Results []tmplResult }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := map[string]tmplResult{}
	for _, r := range doc.Results {
		m[r.Target] = r
	}
	return m
}

func rulesOf(r tmplResult) string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Rule)
	}
	return r.Status + " " + strings.Join(ids, ",")
}

func TestTemplateYAML(t *testing.T) {
	dir := t.TempDir()
	writeZip(t, dir, "local.zip", "bootstrap", 0o755)
	tmpl := filepath.Join(dir, "template.yaml")
	os.WriteFile(tmpl, []byte(samTemplate), 0o644)

	code, out, errOut := runCLI("check", "--format", "json", tmpl)
	if code != ExitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	got := decodeResults(t, out)
	for target, want := range map[string]string{
		"template/Local":  "PASS ",
		"template/Remote": "PASS package-not-inspected",
		"template/Param":  "PASS runtime-unresolved",
	} {
		if r := rulesOf(got[target]); r != want {
			t.Errorf("%s: got %q, want %q", target, r, want)
		}
	}
	if l := got["template/Remote"].Location; l == nil || l.File != tmpl || l.Line != 21 {
		t.Errorf("Remote location %+v, want %s:21", l, tmpl)
	}
	if p := got["template/Remote"].Package; p == nil || p.Inspected || p.Reason != "s3-object" || p.Source != "s3://assets/good.zip" {
		t.Errorf("Remote package %+v", p)
	}

	// --parameter wins over --parameters, which wins over Default.
	params := filepath.Join(dir, "params.json")
	os.WriteFile(params, []byte(`[{"ParameterKey":"Runtime","ParameterValue":"nodejs16.x"},{"ParameterKey":"Version","ParameterValue":"v2"}]`), 0o644)
	code, out, _ = runCLI("check", "--format", "json", "--parameters", params, tmpl)
	got = decodeResults(t, out)
	if r := rulesOf(got["template/Param"]); code != ExitFail || r != "FAIL runtime-deprecated" {
		t.Errorf("nodejs16.x from --parameters: exit %d, %q", code, r)
	}
	if p := got["template/Remote"].Package; p == nil || p.Source != "s3://assets/v2.zip" {
		t.Errorf("Version from --parameters: %+v", p)
	}
	code, out, _ = runCLI("check", "--format", "json", "--parameters", params, "--parameter", "Runtime=nodejs22.x", tmpl)
	if r := rulesOf(decodeResults(t, out)["template/Param"]); code != ExitPass || !strings.HasPrefix(r, "PASS") {
		t.Errorf("--parameter over --parameters: exit %d, %q", code, r)
	}

	// A parameter no template declares is a warning on stderr, not silence.
	code, _, errOut = runCLI("check", "--parameter", "Stge=prod", tmpl)
	if code != ExitPass || !strings.Contains(errOut, "parameter Stge is given but no template declares it") {
		t.Errorf("typo in --parameter: exit %d, stderr %q", code, errOut)
	}

	// Text says file:line.
	_, out, _ = runCLI("check", tmpl)
	if !strings.Contains(out, tmpl+":21") {
		t.Errorf("text output lacks %s:21:\n%s", tmpl, out)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad --parameter", []string{"check", "--parameter", "novalue", tmpl}, "KEY=VALUE"},
		{"missing --parameters", []string{"check", "--parameters", filepath.Join(dir, "none.json"), tmpl}, "none.json"},
		{"not a template", []string{"check", writeFile(t, dir, "x.yaml", "just: text\n")}, "not a CloudFormation template"},
		{"not yaml", []string{"check", writeFile(t, dir, "y.yaml", "a: [b\n")}, "neither JSON nor YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(tc.args...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTemplateS3 reads S3-located template code with --s3 from MinIO, through the SDK's
// environment, as CI would with its own credentials.
func TestTemplateS3(t *testing.T) {
	m := testenv.StartMinIO(t)
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	m.Bucket(t, "assets", false)
	dir := t.TempDir()
	writeZip(t, dir, "local.zip", "bootstrap", 0o755)
	good, _ := os.ReadFile(writeZip(t, dir, "good.zip", "bootstrap", 0o755))
	nested, _ := os.ReadFile(writeZip(t, dir, "nested.zip", "bin/x/bootstrap", 0o755))
	m.Put(t, "assets", "good.zip", good)
	m.Put(t, "assets", "nested.zip", nested)
	tmpl := writeFile(t, dir, "template.yaml", samTemplate)
	lambda := writeFile(t, dir, "lambda.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"provided.al2023","Handler":"x","Code":{"S3Bucket":"assets","S3Key":"nested.zip"}}}}}`)

	cdk := writeFile(t, dir, "cdk.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Metadata":{"aws:asset:path":"asset.0123.zip"},
		"Properties":{"Runtime":"provided.al2023","Handler":"x","Code":{"S3Bucket":{"Fn::Sub":"ass${Suffix}"},"S3Key":"good.zip"}}}},
		"Parameters":{"Suffix":{"Type":"String","Default":"ets"}}}`)
	run := func(args ...string) (int, map[string]tmplResult) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append([]string{"check", "--format", "json", "--s3"}, args...), Env{Stdout: &out, Stderr: &errOut, Getenv: os.Getenv,
			Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
		if errOut.Len() > 0 {
			t.Logf("stderr: %s", errOut.String())
		}
		return code, decodeResults(t, out.String())
	}
	for _, tc := range []struct {
		name   string
		args   []string
		target string
		code   int
		want   string
		reason string
	}{
		{"SAM CodeUri map, good", []string{tmpl}, "template/Remote", ExitPass, "PASS ", ""},
		{"SAM CodeUri map, nested", []string{"--parameter", "Version=nested", tmpl}, "template/Remote", ExitFail, "FAIL bootstrap-nested", ""},
		{"SAM CodeUri, missing object", []string{"--parameter", "Version=gone", tmpl}, "template/Remote", ExitPass, "PASS package-not-inspected", "unreadable"},
		{"Lambda Code.S3Key", []string{lambda}, "lambda/Fn", ExitFail, "FAIL bootstrap-nested", ""},
		{"CDK asset missing locally, read from S3", []string{"--parameter", "AWS::AccountId=123456789012", cdk}, "cdk/Fn", ExitPass, "PASS ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, got := run(tc.args...)
			r := got[tc.target]
			if code != tc.code || rulesOf(r) != tc.want {
				t.Fatalf("exit %d %q; want %d %q\n%+v", code, rulesOf(r), tc.code, tc.want, r)
			}
			if tc.reason == "" && (r.Package == nil || !r.Package.Inspected) || tc.reason != "" && (r.Package == nil || r.Package.Reason != tc.reason) {
				t.Errorf("package %+v, want reason %q", r.Package, tc.reason)
			}
		})
	}
}
