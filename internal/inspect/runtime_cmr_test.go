package inspect

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

const (
	cmrARN    = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python"
	cmrOldARN = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python-old"
)

// lambdaCore starts the GetRuntimeAlias test server with a few aliases and returns a real
// client for it.
func lambdaCore(t *testing.T) (*testenv.LambdaCore, *cmr.Client) {
	srv := testenv.StartLambdaCore(t)
	srv.PutAlias(cmrARN, "prod", testenv.AliasBody(cmrARN, "prod", "ACTIVE", []string{"x86_64"}, map[string]string{"ReleaseState": "GA", "DeprecationDate": "2028-06-30"}))
	srv.PutAlias(cmrARN, "arm", testenv.AliasBody(cmrARN, "arm", "ACTIVE", []string{"arm64"}, nil))
	srv.PutAlias(cmrARN, "going", testenv.AliasBody(cmrARN, "going", "PENDING_DELETION", []string{"x86_64"}, nil))
	srv.PutAlias(cmrARN, "new", testenv.AliasBody(cmrARN, "new", "CREATING", []string{"x86_64"}, nil))
	srv.PutAlias(cmrOldARN, "prod", testenv.AliasBody(cmrOldARN, "prod", "ACTIVE", []string{"x86_64", "arm64"},
		map[string]string{"ReleaseState": "DEPRECATED", "DeprecationDate": "2026-10-01", "FunctionCreateBlockDate": "2027-01-01", "FunctionUpdateBlockDate": "2027-02-01"}))
	srv.Deny("arn:aws:lambda:eu-west-1:210987654321:runtime/private", true)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), HTTPClient: &http.Client{Timeout: 5 * time.Second}}
	return srv, cmr.NewFromConfig(cfg, func(k string) string {
		if k == "AWS_ENDPOINT_URL_LAMBDA_CORE" {
			return srv.URL
		}
		return ""
	})
}

// TestCustomRuntimeRules: each custom-runtime-* rule firing, and a complete RuntimeConfig on an
// ordinary .zip without a bootstrap passing, with the lifecycle read through the real client.
func TestCustomRuntimeRules(t *testing.T) {
	_, client := lambdaCore(t)
	pkg := zipSource("fn.zip", mkzip(t, entry{name: "app.py", data: []byte("def handler(e, c):\n    return 1\n"), mode: 0o644}))
	cfg := func(arn, alias string) *cmr.Config { return &cmr.Config{RuntimeArn: arn, RuntimeAlias: alias} }
	tests := []struct {
		name    string
		fn      Function
		opts    Options
		rule    result.RuleID // the one custom-runtime-* finding; "" means none
		sev     result.Severity
		msg     string
		runtime result.RuleID // a runtime-* finding that must also be there
	}{
		{name: "complete, no bootstrap", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "prod")}},
		{name: "arm64 alias", fn: Function{Runtime: "custom", Architecture: result.ArchARM, RuntimeConfig: cfg(cmrARN, "arm")}},
		{name: "custom without RuntimeConfig", fn: Function{Runtime: "custom"}, rule: result.CustomRuntimeConfigMissing, sev: result.Error, msg: "there is no RuntimeConfig"},
		{name: "RuntimeConfig without alias", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "")}, rule: result.CustomRuntimeConfigMissing, sev: result.Error, msg: "RuntimeConfig lacks RuntimeAlias"},
		{name: "RuntimeConfig with python", fn: Function{Runtime: "python3.13", Handler: "app.handler", RuntimeConfig: cfg(cmrARN, "prod")}, rule: result.CustomRuntimeConfigMismatch, sev: result.Error, msg: `Runtime is "python3.13"`},
		{name: "RuntimeConfig without Runtime", fn: Function{RuntimeConfig: cfg(cmrARN, "prod")}, rule: result.CustomRuntimeConfigMismatch, sev: result.Error, msg: "Runtime is not set", runtime: result.RuntimeMissing},
		{name: "function ARN", fn: Function{Runtime: "custom", RuntimeConfig: cfg("arn:aws:lambda:eu-west-1:123456789012:function:acme-python", "prod")}, rule: result.CustomRuntimeConfigInvalid, sev: result.Error, msg: "is not a runtime ARN"},
		{name: "bad alias", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "prod/v1")}, rule: result.CustomRuntimeConfigInvalid, sev: result.Error, msg: "alias pattern"},
		{name: "image", fn: Function{Runtime: "custom", PackageType: PackageImage, RuntimeConfig: cfg(cmrARN, "prod")}, rule: result.CustomRuntimeImage, sev: result.Error, msg: "container image"},
		{name: "arch mismatch", fn: Function{Runtime: "custom", Architecture: result.ArchARM, RuntimeConfig: cfg(cmrARN, "prod")}, rule: result.CustomRuntimeArchMismatch, sev: result.Error, msg: "supports x86_64, not the function's arm64"},
		{name: "pending deletion", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "going")}, rule: result.CustomRuntimeState, sev: result.Error, msg: "PENDING_DELETION"},
		{name: "creating", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "new")}, rule: result.CustomRuntimeState, sev: result.Warning, msg: "not yet ACTIVE"},
		{name: "no such alias", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "staging")}, rule: result.CustomRuntimeState, sev: result.Error, msg: "does not exist"},
		{name: "deprecated, create", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrOldARN, "prod")}, rule: result.CustomRuntimeDeprecated, sev: result.Error, msg: "Lambda will block creating functions on it from 2027-01-01."},
		{name: "deprecated, update", fn: Function{Runtime: "custom", Action: Update, RuntimeConfig: cfg(cmrOldARN, "prod")}, rule: result.CustomRuntimeDeprecated, sev: result.Warning, msg: "Lambda accepts this update"},
		{name: "deprecated, update strict", fn: Function{Runtime: "custom", Action: Update, RuntimeConfig: cfg(cmrOldARN, "prod")}, opts: Options{StrictUpdates: true}, rule: result.CustomRuntimeDeprecated, sev: result.Error, msg: "strict updates"},
		{name: "deprecation soon", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "prod")}, opts: Options{WarnWindow: 600 * 24 * time.Hour}, rule: result.CustomRuntimeDeprecated, sev: result.Warning, msg: "deprecated on 2028-06-30"},
		{name: "denied, fail open", fn: Function{Runtime: "custom", RuntimeConfig: cfg("arn:aws:lambda:eu-west-1:210987654321:runtime/private", "prod")}, rule: result.CustomRuntimeUnchecked, sev: result.Warning, msg: "access denied"},
		{name: "denied, fail closed", fn: Function{Runtime: "custom", RuntimeConfig: cfg("arn:aws:lambda:eu-west-1:210987654321:runtime/private", "prod")}, opts: Options{CustomRuntimeFailure: result.Error}, rule: result.CustomRuntimeUnchecked, sev: result.Error, msg: "fail-closed"},
		{name: "no client", fn: Function{Runtime: "custom", RuntimeConfig: cfg(cmrARN, "prod")}, opts: Options{CustomRuntimes: nil, CustomRuntimesOff: "no AWS credentials"}, rule: result.CustomRuntimeUnchecked, sev: result.Info, msg: "not read (no AWS credentials)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Now = func() time.Time { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }
			if opts.CustomRuntimesOff == "" {
				opts.CustomRuntimes = client
			}
			if opts.WarnWindow == 0 {
				opts.WarnWindow = -1
			}
			fn := tc.fn
			fn.Target, fn.Code = "f", pkg
			res, err := New(opts).Check(context.Background(), fn)
			if err != nil {
				t.Fatal(err)
			}
			var got []result.Finding
			hasRuntime := false
			for _, f := range res.Findings {
				if strings.HasPrefix(string(f.Rule), "custom-runtime-") {
					got = append(got, f)
				}
				if tc.runtime != "" && f.Rule == tc.runtime {
					hasRuntime = true
				}
			}
			if tc.rule == "" {
				if len(got) != 0 || res.Status != result.Pass {
					t.Fatalf("got %s %+v, want PASS without custom-runtime findings", res.Status, res.Findings)
				}
				for _, f := range res.Findings {
					if strings.HasPrefix(string(f.Rule), "bootstrap-") || strings.HasPrefix(string(f.Rule), "handler-") {
						t.Errorf("package rule %s applied to a customer-managed runtime", f.Rule)
					}
				}
				return
			}
			if len(got) != 1 || got[0].Rule != tc.rule || got[0].Severity != tc.sev || !strings.Contains(got[0].Message, tc.msg) {
				t.Fatalf("got %+v\nwant one %s %s with %q", got, tc.sev, tc.rule, tc.msg)
			}
			if tc.runtime != "" && !hasRuntime {
				t.Errorf("no %s finding", tc.runtime)
			}
		})
	}
}
