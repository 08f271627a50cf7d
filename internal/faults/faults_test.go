package faults

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// hello returns a correct package: the sample hello function, bootstrap at the root.
func hello(t testing.TB) []byte {
	t.Helper()
	return zipOf(t, "bootstrap", testenv.HelloBootstrap(t))
}

func zipOf(t testing.TB, name string, data []byte) []byte {
	return testenv.Zip(t, 0o755, map[string][]byte{name: data})
}

// event is a CREATE_PRE_PROVISION request for an arm64 provided.al2023 function in bucket/key.
func event(logicalID, bucket, key string) []byte {
	b, _ := json.Marshal(map[string]any{
		"clientRequestToken":    "token-" + logicalID,
		"awsAccountId":          "123456789012",
		"stackId":               "arn:aws:cloudformation:us-east-1:123456789012:stack/Load/1",
		"hookTypeName":          "Private::Lambda::BootstrapGuard",
		"actionInvocationPoint": "CREATE_PRE_PROVISION",
		"requestData": map[string]any{
			"targetName": "AWS::Lambda::Function", "targetType": "AWS::Lambda::Function", "targetLogicalId": logicalID,
			"targetModel": map[string]any{"resourceProperties": map[string]any{
				"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []string{"arm64"},
				"Code": map[string]any{"S3Bucket": bucket, "S3Key": key},
			}},
		},
		"requestContext": map[string]any{"invocation": 1},
	})
	return b
}

// s3Client is a real SDK client pointed at endpoint with the hook's bounded retries and a short
// backoff, so retried faults stay quick.
func s3Client(m *testenv.MinIO, endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.Secret, ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = s3read.MaxAttempts
			o.MaxBackoff = 50 * time.Millisecond
		}),
	})
}

func handler(client *s3.Client, budget time.Duration) *guard.Handler {
	return guard.New(guard.Config{Budget: budget, Policy: engine.Policy{Date: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}, LogOutput: io.Discard},
		guard.Clients{S3: client})
}

func decide(t *testing.T, h *guard.Handler, ev []byte) hookapi.Response {
	t.Helper()
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return resp
}

// TestS3Faults puts a fault-injecting proxy in front of MinIO. Transient faults are retried and
// the verdict is the real one; persistent faults end in FAILED/InternalFailure. No fault ever
// turns into SUCCESS for a package that was not fully read, and no fault turns a broken package
// into a pass.
func TestS3Faults(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "pkgs", false)
	good := hello(t)
	m.Put(t, "pkgs", "good.zip", good)
	m.Put(t, "pkgs", "nested.zip", zipOf(t, "bin/hello/bootstrap", good[:1000]))
	const budget = 3 * time.Second
	always := func(f Fault) func(int, *http.Request) Fault { return func(int, *http.Request) Fault { return f } }
	once := func(f Fault) func(int, *http.Request) Fault {
		return func(n int, _ *http.Request) Fault {
			if n == 1 {
				return f
			}
			return Fault{}
		}
	}
	onRequest := func(k int, f Fault) func(int, *http.Request) Fault {
		return func(n int, _ *http.Request) Fault {
			if n == k {
				return f
			}
			return Fault{}
		}
	}
	replaced := 0
	tests := []struct {
		name string
		key  string
		plan func(int, *http.Request) Fault
		want hookapi.HookStatus
		code hookapi.ErrorCode
	}{
		{"no fault", "good.zip", nil, hookapi.StatusSuccess, ""},
		{"503 SlowDown once, retried", "good.zip", once(Fault{Status: 503}), hookapi.StatusSuccess, ""},
		{"429 throttling once, retried", "good.zip", once(Fault{Status: 429}), hookapi.StatusSuccess, ""},
		{"connection reset once, retried", "good.zip", once(Fault{Reset: true}), hookapi.StatusSuccess, ""},
		{"503 on the second range, retried", "good.zip", onRequest(2, Fault{Status: 503}), hookapi.StatusSuccess, ""},
		{"truncated body once, fetched again", "good.zip", once(Fault{Truncate: true}), hookapi.StatusSuccess, ""},
		{"503 always", "good.zip", always(Fault{Status: 503}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"500 always", "good.zip", always(Fault{Status: 500}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"connection reset always", "good.zip", always(Fault{Reset: true}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"truncated bodies always", "good.zip", always(Fault{Truncate: true}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"slower than the budget", "good.zip", always(Fault{Delay: 20 * time.Second}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"second range slower than the budget", "good.zip", onRequest(2, Fault{Delay: 20 * time.Second}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"object replaced between range reads", "good.zip", onRequest(2, Fault{Before: func() {
			replaced++
			m.Put(t, "pkgs", "good.zip", zipOf(t, "bootstrap", []byte("#!/bin/sh\necho replaced\n")))
		}}), hookapi.StatusFailed, hookapi.InternalFailure},
		{"broken package, 503 once", "nested.zip", once(Fault{Status: 503}), hookapi.StatusFailed, hookapi.NonCompliant},
		{"broken package, 503 always", "nested.zip", always(Fault{Status: 503}), hookapi.StatusFailed, hookapi.InternalFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.Put(t, "pkgs", "good.zip", good)
			p, err := New(m.Endpoint, tc.plan)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			h := handler(s3Client(m, p.URL), budget)
			start := time.Now()
			resp := decide(t, h, event("Fn", "pkgs", tc.key))
			elapsed := time.Since(start)
			if resp.HookStatus != tc.want || resp.ErrorCode != tc.code {
				t.Fatalf("got %s/%s %q, want %s/%s", resp.HookStatus, resp.ErrorCode, resp.Message, tc.want, tc.code)
			}
			// CloudFormation gives up at 30 s; the hook must answer within its own budget.
			if elapsed > budget+time.Second {
				t.Errorf("answered after %v, budget %v", elapsed, budget)
			}
			t.Logf("%s in %v after %d requests", resp.HookStatus, elapsed.Round(time.Millisecond), p.Requests())
		})
	}
	if replaced != 1 {
		t.Errorf("the replacement fault ran %d times, want 1", replaced)
	}
}
