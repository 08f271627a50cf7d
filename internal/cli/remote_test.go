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

// TestS3AndHookEvent runs check s3://... and hook-event against MinIO, through the environment
// the SDK reads, as a user would.
func TestS3AndHookEvent(t *testing.T) {
	m := testenv.StartMinIO(t)
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	m.Bucket(t, "assets", false)
	dir := t.TempDir()
	good, _ := os.ReadFile(writeZip(t, dir, "good.zip", "bootstrap", 0o755))
	nested, _ := os.ReadFile(writeZip(t, dir, "nested.zip", "bin/x/bootstrap", 0o755))
	m.Put(t, "assets", "good.zip", good)
	m.Put(t, "assets", "nested.zip", nested)

	env := func(out, errOut *bytes.Buffer) Env {
		return Env{Stdout: out, Stderr: errOut, Getenv: os.Getenv,
			Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }}
	}
	for _, tc := range []struct {
		url  string
		code int
		want string
	}{
		{"s3://assets/good.zip", ExitPass, "PASS"},
		{"s3://assets/nested.zip", ExitFail, "bootstrap-nested"},
		{"s3://assets/missing.zip", ExitUsage, "not found"},
		{"s3://assets", ExitUsage, "s3://bucket/key"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), []string{"check", tc.url}, env(&out, &errOut))
			if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.want, out.String(), errOut.String())
			}
		})
	}

	t.Setenv("BOOTSTRAP_GUARD_DATE", "2026-11-24")
	for _, tc := range []struct {
		key, status string
		code        int
	}{{"good.zip", "SUCCESS", ExitPass}, {"nested.zip", "FAILED", ExitFail}} {
		t.Run("hook-event "+tc.key, func(t *testing.T) {
			ev := map[string]any{
				"clientRequestToken": "tok", "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/S/1",
				"actionInvocationPoint": "CREATE_PRE_PROVISION",
				"requestData": map[string]any{"targetName": "AWS::Lambda::Function", "targetType": "AWS::Lambda::Function", "targetLogicalId": "Fn",
					"targetModel": map[string]any{"resourceProperties": map[string]any{"Runtime": "provided.al2023", "Handler": "x",
						"Code": map[string]any{"S3Bucket": "assets", "S3Key": tc.key}}}},
			}
			b, _ := json.Marshal(ev)
			p := filepath.Join(dir, tc.key+".event.json")
			os.WriteFile(p, b, 0o644)
			var out, errOut bytes.Buffer
			code := Run(context.Background(), []string{"hook-event", p}, env(&out, &errOut))
			var resp struct {
				HookStatus, ClientRequestToken string
			}
			if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
				t.Fatalf("response is not JSON: %v\n%s%s", err, out.String(), errOut.String())
			}
			if code != tc.code || resp.HookStatus != tc.status || resp.ClientRequestToken != "tok" {
				t.Fatalf("exit %d, %+v; want %d %s\n%s", code, resp, tc.code, tc.status, errOut.String())
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"hook-event", filepath.Join(dir, "none.json")}, env(&out, &errOut)); code != ExitUsage {
		t.Errorf("missing event file: exit %d, want 2", code)
	}
}
