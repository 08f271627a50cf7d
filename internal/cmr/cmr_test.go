package cmr

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

const testARN = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python"

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		missing []string
		problem string // a phrase of the only problem; "" means none
	}{
		{"complete", Config{RuntimeArn: testARN, RuntimeAlias: "prod"}, nil, ""},
		{"alias with dots and dashes", Config{RuntimeArn: testARN, RuntimeAlias: "v1.2-stable_x"}, nil, ""},
		{"gov partition", Config{RuntimeArn: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:runtime/acme", RuntimeAlias: "prod"}, nil, ""},
		{"no arn", Config{RuntimeArn: "", RuntimeAlias: "prod"}, []string{"RuntimeArn"}, ""},
		{"nothing", Config{}, []string{"RuntimeArn", "RuntimeAlias"}, ""},
		{"function arn", Config{RuntimeArn: "arn:aws:lambda:eu-west-1:123456789012:function:acme-python", RuntimeAlias: "prod"}, nil, "is not a runtime ARN"},
		{"short account", Config{RuntimeArn: "arn:aws:lambda:eu-west-1:1234:runtime/acme-python-runtime-name", RuntimeAlias: "prod"}, nil, "is not a runtime ARN"},
		{"too short", Config{RuntimeArn: "arn:aws:lambda:e:123456789012:runtime/a", RuntimeAlias: "prod"}, nil, "at least 48"},
		{"too long", Config{RuntimeArn: testARN + "/" + strings.Repeat("x", 2048), RuntimeAlias: "prod"}, nil, "at most 2048"},
		{"alias ends with a dot", Config{RuntimeArn: testARN, RuntimeAlias: "prod."}, nil, "alias pattern"},
		{"alias with a slash", Config{RuntimeArn: testARN, RuntimeAlias: "prod/1"}, nil, "alias pattern"},
		{"alias too long", Config{RuntimeArn: testARN, RuntimeAlias: strings.Repeat("a", 129)}, nil, "at most 128"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.Missing(); !slices.Equal(got, tc.missing) {
				t.Errorf("Missing() = %v, want %v", got, tc.missing)
			}
			if tc.missing != nil {
				return
			}
			p := tc.cfg.Problems()
			switch {
			case tc.problem == "" && len(p) != 0:
				t.Errorf("problems %v, want none", p)
			case tc.problem != "" && (len(p) != 1 || !strings.Contains(p[0], tc.problem)):
				t.Errorf("problems %v, want one with %q", p, tc.problem)
			}
		})
	}
}

func testConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "session"),
		HTTPClient:  &http.Client{Timeout: 5 * time.Second},
	}
}

func envWith(url string) func(string) string {
	return func(k string) string {
		if k == "AWS_ENDPOINT_URL_LAMBDA_CORE" {
			return url
		}
		return ""
	}
}

// TestClientAgainstServer reads aliases through the real signed client from a server speaking
// GetRuntimeAlias's wire protocol: an answer, a denied read, a missing alias.
func TestClientAgainstServer(t *testing.T) {
	srv := testenv.StartLambdaCore(t)
	srv.PutAlias(testARN, "prod", testenv.AliasBody(testARN, "prod", "ACTIVE", []string{"x86_64", "arm64"},
		map[string]string{"ReleaseState": "GA", "DeprecationDate": "2027-06-30", "FunctionCreateBlockDate": "2027-07-31", "FunctionUpdateBlockDate": "2027-08-31"}))
	denied := "arn:aws:lambda:eu-west-1:210987654321:runtime/private"
	srv.Deny(denied, true)
	c := NewFromConfig(testConfig(), envWith(srv.URL))
	ctx := context.Background()

	a, err := c.GetRuntimeAlias(ctx, testARN, "prod")
	if err != nil {
		t.Fatal(err)
	}
	want := Lifecycle{ReleaseState: "GA", Deprecation: day("2027-06-30"), CreateBlocked: day("2027-07-31"), UpdateBlocked: day("2027-08-31")}
	if a.State != StateActive || !slices.Equal(a.Architectures, []string{"x86_64", "arm64"}) || a.Lifecycle != want || a.Arn != testARN+"/alias/prod" {
		t.Errorf("got %+v", a)
	}

	_, err = c.GetRuntimeAlias(ctx, denied, "prod")
	var ae *APIError
	if !errors.As(err, &ae) || !ae.Denied() || ae.Code != "AccessDeniedException" || !strings.Contains(ae.Message, "lambda:GetRuntimeAlias") {
		t.Errorf("denied read: %v", err)
	}
	_, err = c.GetRuntimeAlias(ctx, testARN, "staging")
	if !errors.As(err, &ae) || !ae.NotFound() || ae.Denied() {
		t.Errorf("missing alias: %v", err)
	}
	if got := srv.Requests(); len(got) != 3 || got[0] != testARN+" prod" {
		t.Errorf("requests %v", got)
	}
	if _, err := c.GetRuntimeAlias(ctx, "arn:aws:lambda:eu-west-1:123456789012:function:f", "prod"); err == nil {
		t.Error("no error for a function ARN")
	}
	if _, err := NewFromConfig(aws.Config{}, envWith(srv.URL)).GetRuntimeAlias(ctx, testARN, "prod"); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Errorf("without credentials: %v", err)
	}
}

// TestClientRetries: throttling and server errors are retried, a client error is not.
func TestClientRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`))
		case 2:
			w.Header().Set("X-Amzn-ErrorType", "ServiceException")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"Type":"Service","Message":"internal"}`))
		default:
			w.Write([]byte(testenv.AliasBody(testARN, "prod", "ACTIVE", []string{"arm64"}, nil)))
		}
	}))
	defer srv.Close()
	c := NewFromConfig(testConfig(), envWith(srv.URL))
	c.backoff = time.Millisecond
	a, err := c.GetRuntimeAlias(context.Background(), testARN, "prod")
	if err != nil || n.Load() != 3 || a.Lifecycle != (Lifecycle{}) {
		t.Fatalf("got %+v, %v after %d requests", a, err, n.Load())
	}
	n.Store(10) // from here every answer succeeds; a 400 is never retried
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Amzn-ErrorType", "InvalidParameterValueException:http://internal.amazon.com/coral/")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"Type":"User","message":"bad alias"}`))
	}))
	defer bad.Close()
	c = NewFromConfig(testConfig(), envWith(bad.URL))
	_, err = c.GetRuntimeAlias(context.Background(), testARN, "prod")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "InvalidParameterValueException" || ae.Message != "bad alias" || n.Load() != 11 {
		t.Errorf("400: %v after %d requests", err, n.Load()-10)
	}
}

func TestDecodeAlias(t *testing.T) {
	if _, err := DecodeAlias([]byte(`{"ReleaseLifecycle": {"DeprecationDate": "2027-06-30T00:00:00Z"}}`)); err == nil || !strings.Contains(err.Error(), "DeprecationDate") {
		t.Errorf("timestamp date: %v", err)
	}
	if _, err := DecodeAlias([]byte(`[1]`)); err == nil {
		t.Error("no error for a list")
	}
	a, err := DecodeAlias([]byte(`{"State": "ACTIVE", "Future": {"x": 1}}`))
	if err != nil || a.State != "ACTIVE" {
		t.Errorf("unknown member: %+v %v", a, err)
	}
}

// TestEndpoint: the override variables in aws-sdk-go-v2's order, else the regional endpoint.
func TestEndpoint(t *testing.T) {
	env := map[string]string{"AWS_ENDPOINT_URL": "http://all:1"}
	c := NewFromConfig(testConfig(), func(k string) string { return env[k] })
	if got := c.endpointFor("aws", "eu-west-1"); got != "http://all:1" {
		t.Errorf("AWS_ENDPOINT_URL: %s", got)
	}
	env["AWS_ENDPOINT_URL_LAMBDA_CORE"] = "http://core:2/"
	c = NewFromConfig(testConfig(), func(k string) string { return env[k] })
	if got := c.endpointFor("aws", "eu-west-1"); got != "http://core:2" {
		t.Errorf("AWS_ENDPOINT_URL_LAMBDA_CORE: %s", got)
	}
	c = NewFromConfig(testConfig(), func(string) string { return "" })
	if got := c.endpointFor("aws", "eu-west-1"); got != "https://lambda.eu-west-1.amazonaws.com" {
		t.Errorf("default: %s", got)
	}
	if got := c.endpointFor("aws-cn", "cn-north-1"); got != "https://lambda.cn-north-1.amazonaws.com.cn" {
		t.Errorf("China: %s", got)
	}
}

// countingReader counts reads and answers from a function.
type countingReader struct {
	n    atomic.Int32
	fn   func() (*Alias, error)
	gate chan struct{}
}

func (r *countingReader) GetRuntimeAlias(ctx context.Context, arn, alias string) (*Alias, error) {
	r.n.Add(1)
	if r.gate != nil {
		<-r.gate
	}
	return r.fn()
}

func TestCache(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	ok := &Alias{State: StateActive}
	r := &countingReader{fn: func() (*Alias, error) { return ok, nil }}
	c := NewCache(r, time.Minute)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for range 3 {
		if a, err := c.GetRuntimeAlias(ctx, testARN, "prod"); a != ok || err != nil {
			t.Fatalf("got %v %v", a, err)
		}
	}
	if r.n.Load() != 1 || c.Calls() != 1 {
		t.Errorf("%d reads for three lookups within the TTL", r.n.Load())
	}
	c.GetRuntimeAlias(ctx, testARN, "staging")
	if r.n.Load() != 2 {
		t.Errorf("another alias not read: %d", r.n.Load())
	}
	now = now.Add(61 * time.Second)
	c.GetRuntimeAlias(ctx, testARN, "prod")
	if r.n.Load() != 3 {
		t.Errorf("not read again after the TTL: %d", r.n.Load())
	}

	// A failure is kept for 30 seconds; this caller's own deadline is not kept.
	fail := &countingReader{fn: func() (*Alias, error) { return nil, errors.New("denied") }}
	c = NewCache(fail, time.Hour)
	c.now = func() time.Time { return now }
	c.GetRuntimeAlias(ctx, testARN, "prod")
	c.GetRuntimeAlias(ctx, testARN, "prod")
	if fail.n.Load() != 1 {
		t.Errorf("failure not kept: %d reads", fail.n.Load())
	}
	now = now.Add(31 * time.Second)
	c.GetRuntimeAlias(ctx, testARN, "prod")
	if fail.n.Load() != 2 {
		t.Errorf("failure kept past 30s: %d reads", fail.n.Load())
	}
	late := &countingReader{fn: func() (*Alias, error) { return nil, context.DeadlineExceeded }}
	c = NewCache(late, time.Hour)
	c.GetRuntimeAlias(ctx, testARN, "prod")
	c.GetRuntimeAlias(ctx, testARN, "prod")
	if late.n.Load() != 2 {
		t.Errorf("a deadline was kept: %d reads", late.n.Load())
	}

	// Concurrent lookups of one alias share one read.
	gated := &countingReader{fn: func() (*Alias, error) { return ok, nil }, gate: make(chan struct{})}
	c = NewCache(gated, time.Hour)
	done := make(chan struct{})
	for range 5 {
		go func() { c.GetRuntimeAlias(ctx, testARN, "prod"); done <- struct{}{} }()
	}
	time.Sleep(20 * time.Millisecond)
	close(gated.gate)
	for range 5 {
		<-done
	}
	if gated.n.Load() != 1 {
		t.Errorf("%d reads for five concurrent lookups", gated.n.Load())
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func FuzzDecodeAlias(f *testing.F) {
	f.Add([]byte(testenv.AliasBody(testARN, "prod", "ACTIVE", []string{"x86_64"}, map[string]string{"DeprecationDate": "2027-06-30"})))
	f.Add([]byte(`{"ReleaseLifecycle": {"FunctionUpdateBlockDate": "2027-13-45"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAlias(b)
		if err == nil && a == nil {
			t.Fatal("nil alias without an error")
		}
	})
}
