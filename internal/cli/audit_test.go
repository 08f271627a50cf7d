package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

var (
	auditBinOnce sync.Once
	auditBin     string
	auditBinErr  error
)

// testBinary builds bootstrap-guard with the bootstrapguard_testurls tag, the only build whose
// URL policy lets it fetch code locations from MinIO on 127.0.0.1 (as for the hook's RIE tests).
func testBinary(t *testing.T) string {
	t.Helper()
	auditBinOnce.Do(func() {
		root, err := testenv.ModuleRoot()
		if err != nil {
			auditBinErr = err
			return
		}
		dir, err := os.MkdirTemp("", "bootstrap-guard-audit")
		if err != nil {
			auditBinErr = err
			return
		}
		auditBin = filepath.Join(dir, "bootstrap-guard")
		cmd := exec.Command("go", "build", "-tags", "bootstrapguard_testurls", "-o", auditBin, "./cmd/bootstrap-guard")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			auditBinErr = err
			t.Logf("%s", out)
		}
	})
	if auditBinErr != nil {
		t.Fatalf("build bootstrap-guard: %v", auditBinErr)
	}
	return auditBin
}

func zipWith(t *testing.T, name string, body []byte) []byte {
	return testenv.Zip(t, 0o755, map[string][]byte{name: body})
}

// TestAuditCommand runs `bootstrap-guard audit` unchanged against the local servers: the Lambda
// API server through AWS_ENDPOINT_URL_LAMBDA, the code in MinIO behind presigned locations.
func TestAuditCommand(t *testing.T) {
	bin := testBinary(t)
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	hello := testenv.HelloBootstrap(t)
	m.Put(t, "code", "good.zip", zipWith(t, "bootstrap", hello))
	m.Put(t, "code", "nested.zip", zipWith(t, "bin/bootstrap", hello))
	srv := testenv.StartLambda(t, "123456789012", "eu-west-1")
	add := func(name, key string, tags map[string]string) {
		srv.AddFunction(testenv.LambdaFunction{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
			Tags: tags, Code: func() string { return m.Presign(t, "code", key) }})
	}
	add("good", "good.zip", nil)
	add("nested", "nested.zip", nil)
	add("gone", "missing.zip", nil)
	run := func(t *testing.T, extraEnv []string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.CommandContext(context.Background(), bin, append([]string{"audit"}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
			"AWS_ENDPOINT_URL_LAMBDA=" + srv.URL, "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDAUDIT", "AWS_SECRET_ACCESS_KEY=secret",
			"AWS_EC2_METADATA_DISABLED=true", "BOOTSTRAP_GUARD_DATE=2026-11-24"}, extraEnv...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}

	t.Run("json", func(t *testing.T) {
		code, out, errOut := run(t, nil, "--format", "json")
		if code != ExitFail {
			t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
		}
		var doc struct {
			Results []result.Result `json:"results"`
			Summary struct {
				Functions, Failed, Passed, NotInspected int
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		status := map[string]result.Status{}
		for _, r := range doc.Results {
			status[r.Target] = r.Status
		}
		want := map[string]result.Status{srv.ARN("good"): result.Pass, srv.ARN("nested"): result.Fail, srv.ARN("gone"): result.Skip}
		for arn, s := range want {
			if status[arn] != s {
				t.Errorf("%s: %s, want %s (all: %v)", arn, status[arn], s, status)
			}
		}
		if doc.Summary.Functions != 3 || doc.Summary.Failed != 1 || doc.Summary.NotInspected != 1 {
			t.Errorf("summary %+v", doc.Summary)
		}
		if strings.Contains(out+errOut, "X-Amz-Signature") {
			t.Error("a presigned URL reached the output")
		}
		if errOut != "" {
			t.Errorf("stderr is not a terminal, yet: %q", errOut)
		}
	})
	t.Run("csv", func(t *testing.T) {
		code, out, _ := run(t, nil, "--format=csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if code != ExitFail || err != nil || len(rows) != 4 {
			t.Fatalf("exit %d, %v, rows:\n%s", code, err, out)
		}
	})
	t.Run("policy from the hook's variables", func(t *testing.T) {
		// A hook that denies provided.al2023 stops every function: so does the audit under the same variables.
		code, out, _ := run(t, []string{"BOOTSTRAP_GUARD_DENY_RUNTIMES=provided.al2023"}, "--format", "text")
		if code != ExitFail || strings.Count(out, "runtime-denied") < 2 {
			t.Errorf("exit %d, want every function denied:\n%s", code, out)
		}
	})
	t.Run("security hub", func(t *testing.T) {
		hub := testenv.StartSecurityHub(t)
		stsSrv := testenv.StartSTS(t, "unused")
		stsSrv.SetCaller("123456789012")
		code, out, errOut := run(t, []string{"AWS_ENDPOINT_URL_SECURITYHUB=" + hub.URL, "AWS_ENDPOINT_URL_STS=" + stsSrv.URL}, "--security-hub", "--format", "csv")
		if code != ExitFail || !strings.Contains(errOut, "Security Hub eu-west-1: 1 findings created, 0 updated, 0 archived") {
			t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
		}
		f := hub.Findings()["bootstrap-guard-audit/"+srv.ARN("nested")]
		if f == nil || f["RecordState"] != "ACTIVE" || len(hub.Findings()) != 1 {
			t.Errorf("findings %v", hub.Findings())
		}
	})
	t.Run("text", func(t *testing.T) {
		_, out, _ := run(t, nil)
		for _, s := range []string{"FAIL    123456789012  eu-west-1  nested", "UNREAD", "3 functions: 1 failed, 1 passed, 0 skipped, 1 not inspected"} {
			if !strings.Contains(out, s) {
				t.Errorf("text lacks %q:\n%s", s, out)
			}
		}
	})
}

// TestAuditOrg runs `bootstrap-guard audit --org` and `--accounts` against Organizations, STS
// and Lambda servers reached through AWS_ENDPOINT_URL_ORGANIZATIONS, _STS and _LAMBDA: the role
// is assumed in each account and its functions read with that account's credentials; the
// account whose role cannot be assumed is reported on stderr and in the summary.
func TestAuditOrg(t *testing.T) {
	bin := testBinary(t)
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	m.Put(t, "code", "nested.zip", zipWith(t, "bin/bootstrap", testenv.HelloBootstrap(t)))
	org := testenv.StartOrganizations(t, []testenv.OrgAccount{{ID: "222222222222", Name: "shop"}, {ID: "333333333333", Name: "locked"}})
	stsSrv := testenv.StartSTS(t, "AuditReader", "222222222222")
	shop := testenv.StartLambda(t, "222222222222", "eu-west-1")
	shop.AddFunction(testenv.LambdaFunction{Name: "orders", Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
		Code: func() string { return m.Presign(t, "code", "nested.zip") }})
	endpoint := testenv.LambdaByAccount(t, shop)
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, append([]string{"audit", "--region", "eu-west-1", "--role", "AuditReader", "--format", "json"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true",
			"AWS_ENDPOINT_URL_LAMBDA=" + endpoint, "AWS_ENDPOINT_URL_STS=" + stsSrv.URL, "AWS_ENDPOINT_URL_ORGANIZATIONS=" + org.URL,
			"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDMANAGEMENT", "AWS_SECRET_ACCESS_KEY=secret", "BOOTSTRAP_GUARD_DATE=2026-11-24"}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}
	for _, args := range [][]string{{"--org"}, {"--accounts", "222222222222,333333333333"}} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := run(args...)
			var doc struct {
				Results []result.Result `json:"results"`
				Errors  []struct{ Account, Error string }
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("exit %d: %v\n%s\n%s", code, err, out, errOut)
			}
			if code != ExitFail || len(doc.Results) != 1 || doc.Results[0].Target != shop.ARN("orders") || doc.Results[0].Status != result.Fail {
				t.Errorf("exit %d, results %+v; want 1 and orders failing", code, doc.Results)
			}
			if len(doc.Errors) != 1 || doc.Errors[0].Account != "333333333333" || !strings.Contains(doc.Errors[0].Error, "AccessDenied") {
				t.Errorf("errors %+v", doc.Errors)
			}
			if !strings.Contains(errOut, "not audited: 333333333333") {
				t.Errorf("stderr %q does not report the locked account", errOut)
			}
		})
	}
}

func TestAuditFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad format", []string{"--format", "xml"}, nil, "--format"},
		{"bad concurrency", []string{"--concurrency", "0"}, nil, "--concurrency"},
		{"argument", []string{"eu-west-1"}, nil, "unexpected argument"},
		{"org and accounts", []string{"--org", "--accounts", "222222222222"}, nil, "not both"},
		{"bad account", []string{"--accounts", "22222", "--region", "eu-west-1"}, nil, "12 digits"},
		{"security hub of another account", []string{"--org", "--security-hub"}, nil, "current account"},
		{"role ARN", []string{"--org", "--role", "arn:aws:iam::1:role/x"}, nil, "--role"},
		{"bad policy", nil, map[string]string{"BOOTSTRAP_GUARD_WARN_DAYS": "soon"}, "BOOTSTRAP_GUARD_WARN_DAYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), append([]string{"audit"}, tt.args...), Env{Stdout: &out, Stderr: &errOut,
				Getenv: func(k string) string { return tt.env[k] }})
			if code != ExitUsage || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut.String(), tt.want)
			}
		})
	}
}
