package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// runCLIWith is runCLI with an environment.
func runCLIWith(getenv map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return getenv[k] },
		Now:    func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	return code, out.String(), errOut.String()
}

// TestCreateAndUpdate: the done-when check. python3.9 on 2026-12-06 (deprecated
// 2025-12-15, Lambda blocks creates from 2027-02-01 and updates from 2027-03-03): a create FAILs,
// an update PASSes with a warning, and --strict-updates (or BOOTSTRAP_GUARD_STRICT_UPDATES) makes
// the update FAIL; java17.al2023 is in the catalogue.
func TestCreateAndUpdate(t *testing.T) {
	dir := t.TempDir()
	fn := filepath.Join(dir, "fn")
	os.MkdirAll(fn, 0o755)
	os.WriteFile(filepath.Join(fn, "app.py"), []byte("def handler(e, c):\n    return 1\n"), 0o644)
	base := []string{"check", "--runtime", "python3.9", "--handler", "app.handler", "--date", "2026-12-06"}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		want   []string
		absent []string
	}{
		{"create", nil, []string{"--action", "create"}, ExitFail, []string{"FAIL", "error runtime-deprecated", "will block creating functions on it from 2027-02-01"}, []string{"since 2027"}},
		{"update", nil, []string{"--action", "update"}, ExitPass, []string{"PASS", "warning runtime-deprecated", "Lambda accepts this update"}, []string{"since 2027"}},
		{"update strict flag", nil, []string{"--action", "update", "--strict-updates"}, ExitFail, []string{"error runtime-deprecated", "strict updates"}, nil},
		{"update strict env", map[string]string{"BOOTSTRAP_GUARD_STRICT_UPDATES": "true"}, []string{"--action", "update"}, ExitFail, []string{"error runtime-deprecated"}, nil},
		{"flag wins over env", map[string]string{"BOOTSTRAP_GUARD_STRICT_UPDATES": "true"}, []string{"--action", "update", "--strict-updates=false"}, ExitPass, []string{"warning runtime-deprecated"}, nil},
		{"update after the update block", nil, []string{"--action", "update", "--date", "2027-03-03"}, ExitFail, []string{"has blocked updating existing functions on it since 2027-03-03", "This update will be rejected"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLIWith(tc.env, append(append(append([]string{}, base...), tc.args...), fn)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			flat := strings.Join(strings.Fields(out), " ")
			for _, w := range tc.want {
				if !strings.Contains(flat, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(flat, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
	if code, _, errOut := runCLIWith(map[string]string{"BOOTSTRAP_GUARD_STRICT_UPDATES": "maybe"}, append(base, fn)...); code != ExitUsage || !strings.Contains(errOut, "BOOTSTRAP_GUARD_STRICT_UPDATES") {
		t.Errorf("bad variable: exit %d, %s", code, errOut)
	}
	jar := filepath.Join(dir, "jar")
	os.MkdirAll(filepath.Join(jar, "example"), 0o755)
	os.WriteFile(filepath.Join(jar, "example", "Handler.class"), []byte("\xca\xfe\xba\xbe"), 0o644)
	code, out, _ := runCLI("check", "--runtime", "java17.al2023", "--handler", "example.Handler::handleRequest", jar)
	if code != ExitPass || strings.Contains(out, "runtime-newer-than-catalogue") {
		t.Errorf("java17.al2023: exit %d\n%s", code, out)
	}
}

// cmrTemplate is a SAM template with a function on a customer-managed runtime: an ordinary .zip
// of code (no bootstrap), Runtime: custom and RuntimeConfig.
const cmrTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  OnCustom:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: app.handler
      Runtime: custom
      RuntimeConfig:
        RuntimeArn: arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python
        RuntimeAlias: prod
      Architectures: [arm64]
  NoConfig:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ZipFile: "def handler(e, c): return 1"}
      Handler: index.handler
      Runtime: custom
  Mismatch:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ZipFile: "def handler(e, c): return 1"}
      Handler: index.handler
      Runtime: python3.13
      RuntimeConfig: {RuntimeArn: arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python, RuntimeAlias: prod}
  FromStack:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ZipFile: "def handler(e, c): return 1"}
      Handler: index.handler
      Runtime: custom
      RuntimeConfig: {RuntimeArn: !GetAtt Runtime.Arn, RuntimeAlias: prod}
`

// cmrAssembly writes a cdk.out with one stack whose function runs on a customer-managed runtime,
// its code a local asset directory, as cdk synth leaves it.
func cmrAssembly(t *testing.T, dir string) string {
	out := filepath.Join(dir, "cdk.out")
	asset := filepath.Join(out, "asset.0123abcd")
	os.MkdirAll(asset, 0o755)
	os.WriteFile(filepath.Join(asset, "app.py"), []byte("def handler(e, c):\n    return 1\n"), 0o644)
	os.WriteFile(filepath.Join(out, "manifest.json"), []byte(`{"version": "55.0.0", "artifacts": {"Cmr": {"type": "aws:cloudformation:stack",
		"environment": "aws://unknown-account/unknown-region", "properties": {"templateFile": "Cmr.template.json"}}}}`), 0o644)
	os.WriteFile(filepath.Join(out, "Cmr.template.json"), []byte(`{"Resources": {"CmrFunction1234": {"Type": "AWS::Lambda::Function",
		"Properties": {"Code": {"S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "0123abcd.zip"},
			"Handler": "app.handler", "Runtime": "custom", "Architectures": ["arm64"],
			"RuntimeConfig": {"RuntimeArn": "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python", "RuntimeAlias": "prod"}},
		"Metadata": {"aws:asset:path": "asset.0123abcd", "aws:asset:is-bundled": false, "aws:asset:property": "Code"}}}}`), 0o644)
	return out
}

// TestCustomRuntimeTemplates: the done-when check. check on a SAM template and on a
// cdk.out with a customer-managed-runtime function gives PASS (each misuse FAILs with its rule):
// without credentials the lifecycle is a "not checked" note; with them it is read from the
// Lambda Core API (here its test server) and judged.
func TestCustomRuntimeTemplates(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "fn"), 0o755)
	os.WriteFile(filepath.Join(dir, "fn", "app.py"), []byte("def handler(e, c):\n    return 1\n"), 0o644)
	tmpl := filepath.Join(dir, "template.yaml")
	os.WriteFile(tmpl, []byte(cmrTemplate), 0o644)
	asm := cmrAssembly(t, dir)
	arn := "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python"

	verdicts := func(out string) map[string]tmplResult {
		m := map[string]tmplResult{}
		for k, v := range decodeResults(t, out) {
			m[strings.TrimPrefix(k, "template/")] = v
		}
		return m
	}
	has := func(r tmplResult, rule, sev string) bool {
		for _, f := range r.Findings {
			if f.Rule == rule && f.Severity == sev {
				return true
			}
		}
		return false
	}

	t.Run("no credentials", func(t *testing.T) {
		_, out, errOut := runCLIWith(nil, "check", "--format", "json", "--date", "2026-12-06", tmpl)
		v := verdicts(out)
		if r := v["OnCustom"]; r.Status != "PASS" || !has(r, "custom-runtime-unchecked", "info") {
			t.Errorf("OnCustom: %+v\n%s", r, errOut)
		}
		if r := v["NoConfig"]; r.Status != "FAIL" || !has(r, "custom-runtime-config-missing", "error") {
			t.Errorf("NoConfig: %+v", r)
		}
		if r := v["Mismatch"]; r.Status != "FAIL" || !has(r, "custom-runtime-config-mismatch", "error") {
			t.Errorf("Mismatch: %+v", r)
		}
		if r := v["FromStack"]; r.Status != "PASS" || !has(r, "runtime-unresolved", "warning") {
			t.Errorf("FromStack: %+v", r)
		}
		code, out, _ := runCLIWith(nil, "check", "--date", "2026-12-06", asm)
		if code != ExitPass || !strings.Contains(out, "PASS") || !strings.Contains(out, "custom-runtime-unchecked") || !strings.Contains(strings.Join(strings.Fields(out), " "), "no AWS credentials") {
			t.Errorf("cdk.out: exit %d\n%s", code, out)
		}
	})

	t.Run("with credentials", func(t *testing.T) {
		srv := testenv.StartLambdaCore(t)
		srv.PutAlias(arn, "prod", testenv.AliasBody(arn, "prod", "ACTIVE", []string{"arm64"}, map[string]string{"ReleaseState": "GA", "DeprecationDate": "2028-06-30"}))
		env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_LAMBDA_CORE": srv.URL}
		for k, v := range env {
			t.Setenv(k, v) // aws-sdk-go-v2 reads the process environment
		}
		_, out, errOut := runCLIWith(env, "check", "--format", "json", "--date", "2026-12-06", tmpl)
		if r := verdicts(out)["OnCustom"]; r.Status != "PASS" || len(r.Findings) != 0 {
			t.Errorf("OnCustom: %+v\n%s", r, errOut)
		}
		code, out, _ := runCLIWith(env, "check", "--date", "2026-12-06", asm)
		if code != ExitPass || strings.Contains(out, "custom-runtime-unchecked") {
			t.Errorf("cdk.out: exit %d\n%s", code, out)
		}
		// The alias is read once for the run (cmr.Cache), and one read per run.
		if got := srv.Requests(); len(got) != 2 || got[0] != arn+" prod" {
			t.Errorf("requests %v", got)
		}
		// The publisher deprecates the alias: a create FAILs, an update warns.
		srv.PutAlias(arn, "prod", testenv.AliasBody(arn, "prod", "ACTIVE", []string{"arm64"},
			map[string]string{"ReleaseState": "DEPRECATED", "DeprecationDate": "2026-12-01", "FunctionCreateBlockDate": "2027-01-15", "FunctionUpdateBlockDate": "2027-02-15"}))
		code, out, _ = runCLIWith(env, "check", "--date", "2026-12-06", asm)
		if code != ExitFail || !strings.Contains(out, "custom-runtime-deprecated") || !strings.Contains(strings.Join(strings.Fields(out), " "), "will block creating functions on it from 2027-01-15") {
			t.Errorf("deprecated alias, create: exit %d\n%s", code, out)
		}
		code, out, _ = runCLIWith(env, "check", "--action", "update", "--date", "2026-12-06", asm)
		if code != ExitPass || !strings.Contains(out, "warning custom-runtime-deprecated") {
			t.Errorf("deprecated alias, update: exit %d\n%s", code, out)
		}
	})
}
