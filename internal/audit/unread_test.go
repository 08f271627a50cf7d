package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// slowDownProxy forwards to MinIO, answering the first n GETs of each object with S3's 503 Slow
// Down. URLs presigned against the proxy's address verify at MinIO, since the Host header is kept.
func slowDownProxy(t *testing.T, m *testenv.MinIO, n int64) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var slowed atomic.Int64
	var mu sync.Mutex
	seen := map[string]*atomic.Int64{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		c, ok := seen[r.URL.Path]
		if !ok {
			c = &atomic.Int64{}
			seen[r.URL.Path] = c
		}
		mu.Unlock()
		if c.Add(1) <= n {
			slowed.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &slowed
}

// TestUnread covers the functions an audit cannot decide, which are reported (SKIP, a
// package-not-inspected warning saying why) and never passed silently, and S3 slowing down,
// which is waited out.
func TestUnread(t *testing.T) {
	dir := sampleZips(t)
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	m.Put(t, "code", "hello.zip", readFile(t, filepath.Join(dir, "hello.zip")))
	proxy, slowed := slowDownProxy(t, m, 2)
	viaProxy := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(proxy.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.Secret, "")})
	presignVia := func(key string) string {
		req, err := s3.NewPresignClient(viaProxy).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("code"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	srv := testenv.StartLambda(t, account, region)
	hello := func() string { return m.Presign(t, "code", "hello.zip") }
	fn := func(name string) testenv.LambdaFunction {
		return testenv.LambdaFunction{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"}, Code: hello}
	}
	gone := fn("gone")
	gone.Code = func() string { return m.Presign(t, "code", "deleted.zip") }
	noTags := fn("no-list-tags")
	noTags.NoListTags = true
	layered := fn("private-layer")
	layered.Layers = []string{"arn:aws:lambda:eu-west-1:210987654321:layer:private:1"}
	slow := fn("slow-s3")
	slow.Code = func() string { return presignVia("hello.zip") }
	for _, f := range []testenv.LambdaFunction{fn("fine"), gone, noTags, layered, slow} {
		srv.AddFunction(f)
	}
	lc := lambdaClient(srv)

	t.Run("reported", func(t *testing.T) {
		h := hookFor(lc, m, guard.Config{})
		rep, err := audit.Run(context.Background(), []audit.Account{{ID: account, Regions: []audit.Region{regionOf(srv, lc, h)}}}, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"gone":          "not found",
			"no-list-tags":  "lambda:ListTags",
			"private-layer": "arn:aws:lambda:eu-west-1:210987654321:layer:private:1",
		}
		for _, f := range rep.Functions {
			why, undecided := want[f.Name]
			if f.Decided() == undecided {
				t.Errorf("%s: decided = %v (err %v), want %v", f.Name, f.Decided(), f.Err, !undecided)
				continue
			}
			if !undecided {
				if f.Result.Status != result.Pass {
					t.Errorf("%s: %s, want PASS", f.Name, f.Result.Status)
				}
				continue
			}
			r := f.Result
			if r.Status != result.Skip || r.Package == nil || r.Package.Reason != result.ReasonUnreadable || len(r.FindingsFor(result.PackageNotInspected)) != 1 {
				t.Errorf("%s: %+v, want SKIP with package-not-inspected and reason unreadable", f.Name, r)
				continue
			}
			if msg := r.Findings[0].Message; !strings.Contains(msg, why) || strings.Contains(msg, "X-Amz-Signature") {
				t.Errorf("%s: message %q, want it to say %q and no presigned URL", f.Name, msg, why)
			}
		}
		if rep.Undecided() != len(want) || rep.Failed() {
			t.Errorf("%d undecided, failed %v; want %d and false", rep.Undecided(), rep.Failed(), len(want))
		}
		if slowed.Load() < 2 {
			t.Errorf("S3 slowed down %d GETs, want at least 2 (the test did not exercise the retry)", slowed.Load())
		}
	})

	// The hook's URL policy holds for the audit: without the test opening, a code location on
	// plain HTTP at 127.0.0.1 is not fetched.
	t.Run("URL policy", func(t *testing.T) {
		h := guard.New(guard.Config{Policy: engine.Policy{Date: day}, URLs: s3read.URLPolicy{}}, guard.Clients{Lambda: lc})
		rep, err := audit.Run(context.Background(), []audit.Account{{ID: account, Regions: []audit.Region{regionOf(srv, lc, h)}}}, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Functions {
			if f.Name != "fine" {
				continue
			}
			if f.Decided() || !strings.Contains(f.Err.Error(), "not HTTPS on an AWS S3 host") {
				t.Errorf("fine: err %v, want the URL refused", f.Err)
			}
		}
	})
}

// TestRetryTransport: S3's 503 Slow Down is retried with the SDK's backoff until it clears or the
// attempts run out; other errors are not retried.
func TestRetryTransport(t *testing.T) {
	tests := []struct {
		name     string
		fail     int // answers that fail before one succeeds
		status   int
		want     int // final status
		attempts int64
	}{
		{"slow down clears", 3, http.StatusServiceUnavailable, http.StatusOK, 4},
		{"slow down persists", 100, http.StatusServiceUnavailable, http.StatusServiceUnavailable, 6},
		{"500 clears", 1, http.StatusInternalServerError, http.StatusOK, 2},
		{"403 is final", 100, http.StatusForbidden, http.StatusForbidden, 1},
		{"404 is final", 100, http.StatusNotFound, http.StatusNotFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= int64(tt.fail) {
					w.WriteHeader(tt.status)
					return
				}
				w.Write([]byte("ok"))
			}))
			defer srv.Close()
			c := &http.Client{Transport: audit.RetryTransport(nil, fastRetry)}
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want || n.Load() != tt.attempts {
				t.Errorf("status %d after %d attempts, want %d after %d", resp.StatusCode, n.Load(), tt.want, tt.attempts)
			}
		})
	}
}
