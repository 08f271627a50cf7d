package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvFlag: --env sets the function's environment, so the exec wrapper is checked.
func TestEnvFlag(t *testing.T) {
	dir := t.TempDir()
	fn := writeZip(t, dir, "fn.zip", "run.sh", 0o755)
	wrapperLayer := writeZip(t, dir, "lwa.zip", "bootstrap", 0o755)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"wrapper missing", []string{"check", "--runtime", "nodejs24.x", "--handler", "run.sh", "--env", "AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap", fn},
			ExitFail, "exec-wrapper-missing", ""},
		{"wrapper from its layer: the handler is only a warning", []string{"check", "--runtime", "nodejs24.x", "--handler", "run.sh",
			"--env", "AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap", "--layer", wrapperLayer, fn}, ExitPass, "handler-missing", ""},
		{"without the wrapper the handler fails", []string{"check", "--runtime", "nodejs24.x", "--handler", "run.sh", fn},
			ExitFail, "handler-missing", ""},
		{"not KEY=VALUE", []string{"check", "--env", "AWS_LAMBDA_EXEC_WRAPPER", fn}, ExitUsage, "", "KEY=VALUE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}
}

// TestTemplateWrapper: a template's Environment.Variables reach the wrapper checks, as the Lambda
// Web Adapter's documented zip setup writes them (Handler run.sh, wrapper /opt/bootstrap from its
// layer).
func TestTemplateWrapper(t *testing.T) {
	dir := t.TempDir()
	writeZip(t, dir, "fn.zip", "run.sh", 0o755)
	writeZip(t, dir, "lwa.zip", "bootstrap", 0o755)
	fn := func(layers bool) map[string]any {
		props := map[string]any{"Runtime": "nodejs22.x", "Handler": "run.sh", "Code": map[string]any{"S3Bucket": "b", "S3Key": "fn.zip"},
			"Environment": map[string]any{"Variables": map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap", "AWS_LWA_PORT": "8080"}}}
		if layers {
			props["Layers"] = []any{map[string]string{"Ref": "Adapter"}}
		}
		return map[string]any{"Type": "AWS::Lambda::Function", "Metadata": map[string]string{"aws:asset:path": "fn.zip"}, "Properties": props}
	}
	doc := map[string]any{"Resources": map[string]any{
		"WithAdapter":    fn(true),
		"WithoutAdapter": fn(false),
		"Adapter": map[string]any{"Type": "AWS::Lambda::LayerVersion", "Metadata": map[string]string{"aws:asset:path": "lwa.zip"},
			"Properties": map[string]any{"Content": map[string]string{"S3Bucket": "b", "S3Key": "lwa.zip"}}},
	}}
	b, _ := json.Marshal(doc)
	tmpl := filepath.Join(dir, "app.template.json")
	if err := os.WriteFile(tmpl, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, res, stderr := checkJSON(t, nil, "--assets", dir, tmpl)
	var with, without jsonResult
	for target, r := range res {
		switch {
		case strings.HasSuffix(target, "WithAdapter") && !strings.HasSuffix(target, "WithoutAdapter"):
			with = r
		case strings.HasSuffix(target, "WithoutAdapter"):
			without = r
		}
	}
	if with.Status != "PASS" {
		t.Errorf("WithAdapter: %s %+v (%s)", with.Status, with.Findings, stderr)
	}
	if f, ok := with.finding("handler-missing"); !ok || f.Severity != "warning" {
		t.Errorf("WithAdapter: want a handler-missing warning, got %+v", with.Findings)
	}
	if _, ok := without.finding("exec-wrapper-missing"); without.Status != "FAIL" || !ok {
		t.Errorf("WithoutAdapter: want FAIL with exec-wrapper-missing, got %s %+v", without.Status, without.Findings)
	}
}
