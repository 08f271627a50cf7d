package audit_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

const (
	account = "123456789012"
	region  = "eu-west-1"
)

// day pins the runtime lifecycle dates, so go1.x is deprecated and provided.al2023 supported.
var day = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// fastRetry keeps throttled tests short while using the same retryers as a real audit.
var fastRetry = audit.RetryOptions{MaxAttempts: 6, MaxBackoff: 20 * time.Millisecond}

// lambdaClient is the real SDK client pointed at the test server, with the audit's retryer.
func lambdaClient(srv *testenv.LambdaServer) *lambda.Client {
	return lambda.New(lambda.Options{Region: srv.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDIT", "secret", ""),
		Retryer:     audit.NewRetryer(fastRetry)})
}

// hookFor is the hook's handler with the policy the tests use; its Lambda client reads layers.
func hookFor(lc *lambda.Client, m *testenv.MinIO, cfg guard.Config) *guard.Handler {
	return hookWithCore(lc, m, cfg, nil)
}

// hookWithCore is hookFor with a Lambda Core client for customer-managed runtimes.
func hookWithCore(lc *lambda.Client, m *testenv.MinIO, cfg guard.Config, core cmr.Reader) *guard.Handler {
	cfg.URLs = s3read.URLPolicy{AllowLoopbackHTTP: true}
	cfg.Date = day
	cfg.LogOutput = io.Discard
	return guard.New(cfg, guard.Clients{Lambda: lc, S3: m.Client(), LambdaCore: core, HTTP: &http.Client{Transport: audit.RetryTransport(nil, fastRetry)}})
}

// region is one audited Region on srv, checked by h.
func regionOf(srv *testenv.LambdaServer, lc *lambda.Client, h *guard.Handler) audit.Region {
	return audit.Region{Name: srv.Region, Lambda: lc, Eval: h.CheckDeployed}
}

// sample is one function of functions/ and the settings it is meant for (cdk/demo/demo.go Samples).
type sample struct {
	name, runtime, handler, arch string
}

var samples = []sample{
	{"hello", "provided.al2023", "bootstrap", "arm64"},
	{"nested", "provided.al2023", "bootstrap", "arm64"},
	{"legacy", "go1.x", "hello", "x86_64"},
	{"noexec", "provided.al2023", "bootstrap", "arm64"},
	{"wrongarch", "provided.al2023", "bootstrap", "arm64"},
	{"darwin", "provided.al2023", "bootstrap", "arm64"},
	{"cgo", "provided.al2", "bootstrap", "x86_64"},
	{"crlf", "provided.al2023", "bootstrap", "x86_64"},
}

var (
	zipsOnce sync.Once
	zipsDir  string
	zipsErr  error
)

// sampleZips builds the packages of functions/ with the Makefile, the way a user does.
func sampleZips(t *testing.T) string {
	t.Helper()
	zipsOnce.Do(func() {
		root, err := testenv.ModuleRoot()
		if err != nil {
			zipsErr = err
			return
		}
		cmd := exec.Command("make", "-s", "zip")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			zipsErr = fmt.Errorf("make zip: %v\n%s", err, out)
			return
		}
		zipsDir = filepath.Join(root, "functions", "bin")
	})
	if zipsErr != nil {
		t.Fatal(zipsErr)
	}
	return zipsDir
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAuditMatchesHook deploys the sample functions (and variants with a layer, a wrapper and the
// exemption tag) to the Lambda server with their code in MinIO, audits them, and asks the hook
// about an UPDATE of each with the same properties and the same package in S3: the audit's verdict
// must be the hook's, rendered response for rendered response.
func TestAuditMatchesHook(t *testing.T) {
	dir := sampleZips(t)
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	srv := testenv.StartLambda(t, account, region)
	lc := lambdaClient(srv)
	// Customer-managed runtimes: one alias supported, one deprecated with creates and updates
	// blocked, both read through Lambda Core by the hook's client.
	core := testenv.StartLambdaCore(t)
	const runtime = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python"
	core.PutAlias(runtime, "prod", testenv.AliasBody(runtime, "prod", "ACTIVE", []string{"arm64"}, map[string]string{"ReleaseState": "GA", "DeprecationDate": "2028-06-30"}))
	core.PutAlias(runtime, "old", testenv.AliasBody(runtime, "old", "ACTIVE", []string{"arm64"}, map[string]string{"ReleaseState": "DEPRECATED",
		"DeprecationDate": "2026-01-01", "FunctionCreateBlockDate": "2026-02-01", "FunctionUpdateBlockDate": "2026-03-01"}))
	coreClient := cmr.NewFromConfig(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDIT", "secret", "")},
		func(k string) string {
			if k == "AWS_ENDPOINT_URL_LAMBDA_CORE" {
				return core.URL
			}
			return ""
		})
	h := hookWithCore(lc, m, guard.Config{}, coreClient)

	type deployed struct {
		fn  testenv.LambdaFunction
		key string
	}
	var fns []deployed
	for _, s := range samples {
		key := s.name + ".zip"
		m.Put(t, "code", key, readFile(t, filepath.Join(dir, key)))
		fns = append(fns, deployed{testenv.LambdaFunction{Name: "sample-" + s.name, Runtime: s.runtime, Handler: s.handler, Architectures: []string{s.arch}}, key})
	}
	// A function whose bootstrap comes from a layer, and one whose layer is gone.
	m.Put(t, "code", "config.zip", testenv.Zip(t, 0o644, map[string][]byte{"config.json": []byte(`{}`)}))
	m.Put(t, "code", "python.zip", testenv.Zip(t, 0o644, map[string][]byte{"app.py": []byte("def handler(event, context):\n    return event\n")}))
	m.Put(t, "code", "runtime-layer.zip", readFile(t, filepath.Join(dir, "hello.zip")))
	const layer = "arn:aws:lambda:eu-west-1:123456789012:layer:go-runtime:4"
	srv.AddLayer(layer, func() string { return m.Presign(t, "code", "runtime-layer.zip") })
	fns = append(fns,
		deployed{testenv.LambdaFunction{Name: "with-layer", Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"}, Layers: []string{layer}}, "config.zip"},
		deployed{testenv.LambdaFunction{Name: "no-layer", Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"}}, "config.zip"},
		// AWS_LAMBDA_EXEC_WRAPPER names a file the package does not hold.
		deployed{testenv.LambdaFunction{Name: "wrapper", Runtime: "python3.12", Handler: "app.handler", Architectures: []string{"arm64"},
			Env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-handler"}}, "python.zip"},
		deployed{testenv.LambdaFunction{Name: "custom-runtime", Runtime: "custom", Handler: "app.handler", Architectures: []string{"arm64"},
			RuntimeArn: runtime, RuntimeAlias: "prod", Durable: true}, "python.zip"},
		deployed{testenv.LambdaFunction{Name: "custom-runtime-blocked", Runtime: "custom", Handler: "app.handler", Architectures: []string{"arm64"},
			RuntimeArn: runtime, RuntimeAlias: "old"}, "python.zip"},
		// Exempt as a whole, and exempt from one rule only.
		deployed{testenv.LambdaFunction{Name: "exempt", Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
			Tags: map[string]string{guard.ExemptTag: "migrating next sprint"}}, "nested.zip"},
		deployed{testenv.LambdaFunction{Name: "exempt-rule", Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
			Tags: map[string]string{guard.ExemptTag: "bootstrap-nested: vendor package", "team": "payments"}}, "nested.zip"},
	)
	for _, d := range fns {
		d.fn.Code = func() string { return m.Presign(t, "code", d.key) }
		srv.AddFunction(d.fn)
	}

	rep, err := audit.Run(context.Background(), []audit.Account{{ID: account, Regions: []audit.Region{regionOf(srv, lc, h)}}}, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != len(fns) || len(rep.Errors) != 0 {
		t.Fatalf("%d functions audited, errors %v; want %d and none", len(rep.Functions), rep.Errors, len(fns))
	}
	if reqs := strings.Join(core.Requests(), "\n"); !strings.Contains(reqs, "prod") || !strings.Contains(reqs, "old") {
		t.Errorf("Lambda Core was asked for %q, want both aliases", reqs)
	}
	got := map[string]audit.Function{}
	for _, f := range rep.Functions {
		got[f.Name] = f
	}
	// go1.x on 2026-11-24: Lambda still accepts updates of existing functions, so the hook warns
	// (runtime-deprecated) and does not fail an update; the audit judges an update.
	wantFail := map[string]bool{"sample-nested": true, "sample-noexec": true, "sample-wrongarch": true,
		"sample-darwin": true, "sample-cgo": true, "sample-crlf": true, "no-layer": true, "wrapper": true, "custom-runtime-blocked": true}
	for _, d := range fns {
		t.Run(d.fn.Name, func(t *testing.T) {
			f, ok := got[d.fn.Name]
			if !ok {
				t.Fatal("not audited")
			}
			if !f.Decided() {
				t.Fatalf("not decided: %v", f.Err)
			}
			if f.ARN != srv.ARN(d.fn.Name) || f.Result.Target != f.ARN || f.Account != account || f.Region != region {
				t.Errorf("function %s in %s/%s, target %s; want ARN %s", f.ARN, f.Account, f.Region, f.Result.Target, srv.ARN(d.fn.Name))
			}
			if (f.Result.Status == result.Fail) != wantFail[d.fn.Name] {
				t.Errorf("status %s, want failing = %v: %+v", f.Result.Status, wantFail[d.fn.Name], f.Result.Findings)
			}
			if d.fn.Name == "sample-legacy" && len(f.Result.FindingsFor(result.RuntimeDeprecated)) != 1 {
				t.Errorf("go1.x without a runtime-deprecated finding: %+v", f.Result.Findings)
			}
			// The hook's answer for an UPDATE with the same properties, the package in S3, and
			// the ARN as the logical ID so that the messages name the same target.
			props := map[string]any{"Runtime": d.fn.Runtime, "Handler": d.fn.Handler, "Architectures": d.fn.Architectures,
				"Code": map[string]any{"S3Bucket": "code", "S3Key": d.key}}
			if len(d.fn.Layers) > 0 {
				props["Layers"] = d.fn.Layers
			}
			if len(d.fn.Env) > 0 {
				props["Environment"] = map[string]any{"Variables": d.fn.Env}
			}
			if d.fn.RuntimeArn != "" {
				props["RuntimeConfig"] = map[string]any{"RuntimeArn": d.fn.RuntimeArn, "RuntimeAlias": d.fn.RuntimeAlias}
			}
			if d.fn.Durable {
				props["DurableConfig"] = map[string]any{"ExecutionTimeout": 900}
			}
			var tags []map[string]string
			for k, v := range d.fn.Tags {
				tags = append(tags, map[string]string{"Key": k, "Value": v})
			}
			if tags != nil {
				props["Tags"] = tags
			}
			hook, err := h.Handle(context.Background(), testenv.HookEvent(t, "update.json", f.ARN, props))
			if err != nil {
				t.Fatal(err)
			}
			if hook.ErrorCode == hookapi.InternalFailure {
				t.Fatalf("the hook could not decide: %s", hook.Message)
			}
			audited := guard.Render(f.Result)
			if f.Result.Exempted != nil {
				// A function exempt as a whole is answered without rendering a result.
				if hook.HookStatus != hookapi.StatusSuccess || f.Result.Status != result.Skip {
					t.Errorf("exempt: hook %s, audit %s", hook.HookStatus, f.Result.Status)
				}
				return
			}
			hook.ClientRequestToken = ""
			if !reflect.DeepEqual(audited, hook) {
				t.Errorf("audit's verdict differs from the hook's:\naudit: %+v\nhook:  %+v", audited, hook)
			}
		})
	}
}

// TestPagingAndThrottling audits 120 functions (three ListFunctions pages of 50) while Lambda
// throttles ListFunctions, GetFunction and GetLayerVersionByArn: every function is decided.
func TestPagingAndThrottling(t *testing.T) {
	dir := sampleZips(t)
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	m.Put(t, "code", "hello.zip", readFile(t, filepath.Join(dir, "hello.zip")))
	m.Put(t, "code", "nested.zip", readFile(t, filepath.Join(dir, "nested.zip")))
	srv := testenv.StartLambda(t, account, region)
	const layer = "arn:aws:lambda:eu-west-1:123456789012:layer:empty:1"
	m.Put(t, "code", "empty-layer.zip", testenv.Zip(t, 0o644, map[string][]byte{"README": []byte("x")}))
	srv.AddLayer(layer, func() string { return m.Presign(t, "code", "empty-layer.zip") })
	const n = 120
	for i := range n {
		key := "hello.zip"
		if i%10 == 0 {
			key = "nested.zip"
		}
		srv.AddFunction(testenv.LambdaFunction{Name: fmt.Sprintf("fn-%03d", i), Runtime: "provided.al2023", Handler: "bootstrap",
			Architectures: []string{"arm64"}, Layers: []string{layer}, Code: func() string { return m.Presign(t, "code", key) }})
	}
	srv.Throttle(testenv.OpListFunctions, 2)
	srv.ThrottleEvery(testenv.OpGetFunction, 4)
	srv.ThrottleEvery(testenv.OpGetLayerVersionByArn, 5)
	lc := lambdaClient(srv)
	h := hookFor(lc, m, guard.Config{})
	var last audit.Progress
	var calls int
	rep, err := audit.Run(context.Background(), []audit.Account{{ID: account, Regions: []audit.Region{regionOf(srv, lc, h)}}},
		audit.Options{Concurrency: 16, Progress: func(p audit.Progress) { last = p; calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != n || rep.Undecided() != 0 || len(rep.Errors) != 0 {
		t.Fatalf("%d functions, %d undecided, errors %v; want %d, 0, none", len(rep.Functions), rep.Undecided(), rep.Errors, n)
	}
	failed := 0
	for _, f := range rep.Functions {
		if f.Result.Status == result.Fail {
			failed++
			if len(f.Result.FindingsFor(result.BootstrapNested)) == 0 {
				t.Errorf("%s fails without bootstrap-nested: %+v", f.Name, f.Result.Findings)
			}
		}
	}
	if failed != n/10 || !rep.Failed() {
		t.Errorf("%d functions fail, want %d", failed, n/10)
	}
	// Three pages, plus the two throttled answers retried.
	if got := srv.Count(testenv.OpListFunctions); got != 3+2 {
		t.Errorf("%d ListFunctions requests, want 5 (3 pages, 2 throttled)", got)
	}
	if got := srv.Count(testenv.OpGetFunction); got <= n {
		t.Errorf("%d GetFunction requests for %d functions: the throttled ones were not retried", got, n)
	}
	if last.Listed != n || last.Done != n || last.Failed != n/10 || calls != 2*n {
		t.Errorf("last progress %+v after %d calls; want %d listed and done, %d failed, %d calls", last, calls, n, n/10, 2*n)
	}
}
