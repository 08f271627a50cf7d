package guard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// inlinePython is an inline python3.9 function in the given event fixture (create.json or
// update.json): no package reads.
func inlinePython(t *testing.T, file string) []byte {
	return eventFrom(t, file, "PyFn", map[string]any{"Runtime": "python3.9", "Handler": "index.handler", "Code": map[string]any{"ZipFile": "def handler(e, c):\n    return 1\n"}})
}

// TestStrictUpdates: on 2026-12-06 a create on python3.9 FAILs, an update SUCCEEDs with a
// warning, and BOOTSTRAP_GUARD_STRICT_UPDATES=true makes the update FAIL.
func TestStrictUpdates(t *testing.T) {
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, file, strict string
		status             hookapi.HookStatus
		want               string
	}{
		{"create", "create.json", "", hookapi.StatusFailed, "will block creating functions on it from 2027-02-01"},
		{"update", "update.json", "", hookapi.StatusSuccess, "Lambda accepts this update"},
		{"update strict", "update.json", "true", hookapi.StatusFailed, "strict updates"},
		{"update not strict", "update.json", "false", hookapi.StatusSuccess, "Lambda accepts this update"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string {
				switch k {
				case EnvStrictUpdates:
					return tc.strict
				case EnvDate:
					return day.Format(time.DateOnly)
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			h, _ := newTestHandler(t, cfg, Clients{})
			out, err := h.Invoke(context.Background(), inlinePython(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			if r.HookStatus != tc.status || !strings.Contains(r.Message, tc.want) {
				t.Errorf("got %s: %s\nwant %s with %q", r.HookStatus, r.Message, tc.status, tc.want)
			}
		})
	}
	if _, err := ConfigFromEnv(func(k string) string {
		if k == EnvStrictUpdates {
			return "sometimes"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), EnvStrictUpdates) {
		t.Errorf("bad value: %v", err)
	}
}

// TestCustomRuntimeHook: a function on a customer-managed runtime through the hook, with the
// alias read by the real client from the Lambda Core test server: SUCCESS, one read for two
// decisions (the cache), and a denied read FAILED when fail-closed and a warning when fail-open,
// saying why.
func TestCustomRuntimeHook(t *testing.T) {
	const arn = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python"
	const private = "arn:aws:lambda:eu-west-1:210987654321:runtime/private"
	srv := testenv.StartLambdaCore(t)
	srv.PutAlias(arn, "prod", testenv.AliasBody(arn, "prod", "ACTIVE", []string{"x86_64"}, map[string]string{"ReleaseState": "GA", "DeprecationDate": "2028-06-30"}))
	srv.Deny(private, true)
	awsCfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), HTTPClient: &http.Client{Timeout: 5 * time.Second}}
	core := cmr.NewFromConfig(awsCfg, func(k string) string {
		if k == "AWS_ENDPOINT_URL_LAMBDA_CORE" {
			return srv.URL
		}
		return ""
	})
	event := func(runtimeArn string) []byte {
		return eventFrom(t, "inline.json", "OnCustom", map[string]any{"Runtime": "custom", "Handler": "app.handler",
			"Code":          map[string]any{"ZipFile": "def handler(e, c):\n    return 1\n"},
			"RuntimeConfig": map[string]any{"RuntimeArn": runtimeArn, "RuntimeAlias": "prod"}})
	}
	for _, mode := range []FailMode{FailClosed, FailOpen} {
		t.Run(string(mode), func(t *testing.T) {
			h, _ := newTestHandler(t, Config{FailMode: mode}, Clients{LambdaCore: core})
			before := len(srv.Requests())
			for range 2 {
				out, err := h.Invoke(context.Background(), event(arn))
				if err != nil {
					t.Fatal(err)
				}
				if r := decodeResponse(t, out); r.HookStatus != hookapi.StatusSuccess || strings.Contains(r.Message, "custom-runtime") {
					t.Fatalf("got %s: %s", r.HookStatus, r.Message)
				}
			}
			if n := len(srv.Requests()) - before; n != 1 {
				t.Errorf("%d GetRuntimeAlias calls for two decisions, want 1 (cached)", n)
			}
			out, _ := h.Invoke(context.Background(), event(private))
			r := decodeResponse(t, out)
			wantStatus := hookapi.StatusFailed
			if mode == FailOpen {
				wantStatus = hookapi.StatusSuccess
			}
			if r.HookStatus != wantStatus || !strings.Contains(r.Message, "custom-runtime-unchecked") || !strings.Contains(r.Message, "access denied") {
				t.Errorf("denied read: got %s: %s", r.HookStatus, r.Message)
			}
		})
	}
	// Without a client the lifecycle is a note, and the function passes.
	h, _ := newTestHandler(t, Config{}, Clients{})
	out, _ := h.Invoke(context.Background(), event(arn))
	if r := decodeResponse(t, out); r.HookStatus != hookapi.StatusSuccess {
		t.Errorf("without a client: %s: %s", r.HookStatus, r.Message)
	}
	// RuntimeConfig on a container image is an error (the image engine does not know it).
	f := inspect.Function{PackageType: inspect.PackageImage, RuntimeConfig: &cmr.Config{RuntimeArn: arn, RuntimeAlias: "prod"}}
	e, _ := engine.New(engine.Policy{})
	res, err := e.Evaluate(context.Background(), engine.Function{Function: f, Image: &engine.Image{Skip: "not read here"}})
	if err != nil || res.Status != result.Fail || len(res.FindingsFor(result.CustomRuntimeImage)) != 1 {
		t.Errorf("image with RuntimeConfig: %+v, %v", res, err)
	}
}
