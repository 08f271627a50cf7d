package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

var testCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")

func fnProps(runtime, arch, bucket, key, version string) map[string]any {
	code := map[string]any{"S3Bucket": bucket, "S3Key": key}
	if version != "" {
		code["S3ObjectVersion"] = version
	}
	p := map[string]any{"Runtime": runtime, "Handler": "bootstrap", "Code": code}
	if arch != "" {
		p["Architectures"] = []string{arch}
	}
	return p
}

// TestS3Packages runs the handler against MinIO through the real S3 client: the packages users
// get wrong, and the ways a package cannot be read.
func TestS3Packages(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "packages", false)
	m.Bucket(t, "versioned", true)
	arm, amd, mac := goBinary(t, "linux", "arm64"), goBinary(t, "linux", "amd64"), goBinary(t, "darwin", "arm64")
	m.Put(t, "packages", "good-arm64.zip", zipOf(t, entry{"bootstrap", 0o755, arm}))
	m.Put(t, "packages", "good-amd64.zip", zipOf(t, entry{"bootstrap", 0o755, amd}))
	m.Put(t, "packages", "nested.zip", zipOf(t, entry{"bin/hello/bootstrap", 0o755, arm}))
	m.Put(t, "packages", "noexec.zip", zipOf(t, entry{"bootstrap", 0o644, arm}))
	m.Put(t, "packages", "darwin.zip", zipOf(t, entry{"bootstrap", 0o755, mac}))
	m.Put(t, "packages", "corrupt.zip", []byte("PK\x03\x04 this upload was cut short"))
	v1 := m.Put(t, "versioned", "fn.zip", zipOf(t, entry{"bootstrap", 0o755, arm}))
	v2 := m.Put(t, "versioned", "fn.zip", zipOf(t, entry{"bin/hello/bootstrap", 0o755, arm}))
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("versions %q, %q", v1, v2)
	}
	good := m.Client()
	denied := m.ClientAs(m.AccessKey, "not-the-secret")

	tests := []struct {
		name       string
		props      map[string]any
		s3         s3read.GetObjectAPI
		mode       FailMode
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		annotation string // FAILED (or SKIPPED for read errors in fail-open) annotation expected
		inMessage  []string
	}{
		{name: "good arm64", props: fnProps("provided.al2023", "arm64", "packages", "good-arm64.zip", ""), status: hookapi.StatusSuccess},
		{name: "good x86_64 by default", props: fnProps("provided.al2023", "", "packages", "good-amd64.zip", ""), status: hookapi.StatusSuccess},
		{name: "nested", props: fnProps("provided.al2023", "arm64", "packages", "nested.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "bootstrap-nested", inMessage: []string{"FnUnderTest", "bin/hello/bootstrap", "zip -j"}},
		{name: "not executable", props: fnProps("provided.al2023", "arm64", "packages", "noexec.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "bootstrap-not-executable", inMessage: []string{"FnUnderTest", "bootstrap"}},
		{name: "wrong arch", props: fnProps("provided.al2023", "x86_64", "packages", "good-arm64.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "bootstrap-arch-mismatch", inMessage: []string{"FnUnderTest", "arm64"}},
		{name: "not linux", props: fnProps("provided.al2023", "arm64", "packages", "darwin.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "bootstrap-not-linux"},
		{name: "go1.x", props: fnProps("go1.x", "", "packages", "good-amd64.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "runtime-deprecated", inMessage: []string{"provided.al2023"}},
		{name: "corrupt", props: fnProps("provided.al2023", "arm64", "packages", "corrupt.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "package-unreadable"},
		{name: "pinned old version", props: fnProps("provided.al2023", "arm64", "versioned", "fn.zip", v1), status: hookapi.StatusSuccess},
		{name: "pinned new version", props: fnProps("provided.al2023", "arm64", "versioned", "fn.zip", v2), status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "bootstrap-nested"},
		{name: "latest version", props: fnProps("provided.al2023", "arm64", "versioned", "fn.zip", ""), status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "bootstrap-nested"},
		{name: "missing key, closed", props: fnProps("provided.al2023", "arm64", "packages", "gone.zip", ""), status: hookapi.StatusFailed, code: hookapi.InternalFailure,
			inMessage: []string{"FnUnderTest", "s3://packages/gone.zip", "not found", "exists in bucket packages", "bootstrap-guard:exempt"}},
		{name: "missing version, closed", props: fnProps("provided.al2023", "arm64", "versioned", "fn.zip", "00000000-0000-0000-0000-000000000000"), status: hookapi.StatusFailed, code: hookapi.InternalFailure},
		{name: "missing key, open", mode: FailOpen, props: fnProps("provided.al2023", "arm64", "packages", "gone.zip", ""), status: hookapi.StatusSuccess,
			annotation: "package-read-error", inMessage: []string{"fail-open", "not found"}},
		{name: "access denied, closed", s3: denied, props: fnProps("provided.al2023", "arm64", "packages", "good-arm64.zip", ""), status: hookapi.StatusFailed, code: hookapi.InternalFailure,
			inMessage: []string{"access denied", `"Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::packages/good-arm64.zip"`, "bootstrap-guard:exempt"}},
		{name: "access denied, open", s3: denied, mode: FailOpen, props: fnProps("provided.al2023", "arm64", "packages", "good-arm64.zip", ""), status: hookapi.StatusSuccess,
			annotation: "package-read-error"},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(filepath.Join(form, tt.name), func(t *testing.T) {
				c := tt.s3
				if c == nil {
					c = good
				}
				h, logs := newTestHandler(t, Config{FailMode: tt.mode}, Clients{S3: c})
				r, err := h.Handle(context.Background(), eventFrom(t, filepath.Join(form, "create.json"), "FnUnderTest", tt.props))
				if err != nil {
					t.Fatal(err)
				}
				if r.HookStatus != tt.status || r.ErrorCode != tt.code {
					t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
				}
				if tt.annotation != "" {
					a, ok := annotation(r, tt.annotation)
					want := hookapi.AnnotationFailed
					if r.ErrorCode == "" && r.HookStatus == hookapi.StatusSuccess {
						want = hookapi.AnnotationSkipped
					}
					if !ok || a.Status != want {
						t.Errorf("annotation %s = %+v (present %v), want %s", tt.annotation, a, ok, want)
					}
					if ok && r.Annotations[0].AnnotationName != tt.annotation {
						t.Errorf("first annotation %s, want %s", r.Annotations[0].AnnotationName, tt.annotation)
					}
				}
				if r.HookStatus == hookapi.StatusSuccess && tt.annotation == "" {
					for _, a := range r.Annotations {
						if a.Status != hookapi.AnnotationPassed {
							t.Errorf("annotation %s is %s on a clean package: %s", a.AnnotationName, a.Status, a.StatusMessage)
						}
					}
					if len(r.Annotations) < 5 {
						t.Errorf("only %d annotations for a full check", len(r.Annotations))
					}
				}
				for _, s := range tt.inMessage {
					if !strings.Contains(r.Message, s) {
						t.Errorf("message lacks %q:\n%s", s, r.Message)
					}
				}
				line := logLines(t, logs)[0]
				if r.ErrorCode != hookapi.InternalFailure && r.HookStatus != hookapi.StatusSuccess || strings.HasPrefix(tt.name, "good") {
					reqs, bytes := line["s3Requests"].(float64), line["bytesRead"].(float64)
					if reqs < 1 || reqs > 3 || bytes <= 0 || bytes > 256<<10 {
						t.Errorf("read %v bytes in %v requests; want 1-3 requests and at most 256 KiB", bytes, reqs)
					}
				}
			})
		}
	}
}

// lambdaServer serves GetLayerVersionByArn for the real Lambda client: each known ARN answers with
// its package's location; others get the AccessDeniedException Lambda sends for a layer that is
// not shared with the caller.
func lambdaServer(t *testing.T, locations map[string]string) (*httptest.Server, *[]*http.Request) {
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		q := r.URL.Query()
		if r.Method != http.MethodGet || r.URL.Path != "/2018-10-31/layers" || q.Get("find") != "LayerVersion" {
			http.Error(w, `{"message":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		arn := q.Get("Arn")
		loc, ok := locations[arn]
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"Type":"User","Message":"User is not authorized to perform: lambda:GetLayerVersion on resource: %s"}`, arn)
			return
		}
		layerArn := arn[:strings.LastIndexByte(arn, ':')]
		json.NewEncoder(w).Encode(map[string]any{
			"Content":                 map[string]any{"Location": loc, "CodeSha256": "n3Vq3xk3ZQ5tEY4x7qO7UQh1Yc6u3a0Yv3r0pK7bq9M=", "CodeSize": 1234},
			"LayerArn":                layerArn,
			"LayerVersionArn":         arn,
			"Version":                 3,
			"CreatedDate":             "2026-11-01T10:00:00.000+0000",
			"CompatibleRuntimes":      []string{"provided.al2023"},
			"CompatibleArchitectures": []string{"arm64"},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestLayers(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "layers", false)
	arm := goBinary(t, "linux", "arm64")
	m.Put(t, "layers", "fn.zip", zipOf(t, entry{"config.json", 0o644, []byte(`{"greeting":"hello"}`)}))
	m.Put(t, "layers", "runtime-layer.zip", zipOf(t, entry{"bootstrap", 0o755, arm}))
	presigned, err := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String("layers"), Key: aws.String("runtime-layer.zip")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	const layerARN = "arn:aws:lambda:us-east-1:123456789012:layer:runtime-bootstrap:3"
	const privateARN = "arn:aws:lambda:us-east-1:210987654321:layer:private:1"
	srv, seen := lambdaServer(t, map[string]string{layerARN: presigned.URL})
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: testCreds})

	tests := []struct {
		name      string
		layers    []string
		status    hookapi.HookStatus
		code      hookapi.ErrorCode
		inMessage []string
	}{
		{name: "bootstrap in a layer", layers: []string{layerARN}, status: hookapi.StatusSuccess},
		{name: "no layer", status: hookapi.StatusFailed, code: hookapi.NonCompliant, inMessage: []string{"bootstrap"}},
		{name: "layer not shared", layers: []string{layerARN, privateARN}, status: hookapi.StatusFailed, code: hookapi.InternalFailure,
			inMessage: []string{privateARN, "lambda:GetLayerVersion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newTestHandler(t, Config{URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}}, Clients{S3: m.Client(), Lambda: lc})
			props := fnProps("provided.al2023", "arm64", "layers", "fn.zip", "")
			props["Layers"] = tt.layers
			r, err := h.Handle(context.Background(), eventFrom(t, "layers.json", "", props))
			if err != nil {
				t.Fatal(err)
			}
			if r.HookStatus != tt.status || r.ErrorCode != tt.code {
				t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
			}
			for _, s := range tt.inMessage {
				if !strings.Contains(r.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, r.Message)
				}
			}
			// The presigned URL is a credential: it must not reach the logs.
			if l := logs.String(); strings.Contains(l, "X-Amz-Signature") || strings.Contains(l, presigned.URL) {
				t.Errorf("log holds the presigned URL:\n%s", l)
			}
		})
	}
	// The wire: a SigV4-signed GET for the lambda service, the ARN in the query.
	for _, r := range *seen {
		if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/us-east-1/lambda/aws4_request") {
			t.Errorf("Authorization = %q, want SigV4 for lambda", auth)
		}
	}
	if len(*seen) < 3 {
		t.Errorf("%d GetLayerVersionByArn calls, want at least 3", len(*seen))
	}
}

// snsServer speaks the SNS query protocol that aws-sdk-go-v2's sns client uses (form-encoded
// POST, XML answer).
func snsServer(t *testing.T, delay time.Duration) (*httptest.Server, func() []url.Values) {
	var mu sync.Mutex
	var got []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, form)
		mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return append([]url.Values(nil), got...)
	}
}

func TestNotify(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:bootstrap-guard"
	failing := eventFrom(t, "inline.json", "InlineBootstrap", map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"ZipFile": "#!/bin/sh\n"}})
	passing := eventFrom(t, "inline.json", "", nil)
	tests := []struct {
		name     string
		event    []byte
		delay    time.Duration
		wantSent int
		status   hookapi.HookStatus
	}{
		{name: "failed verdict", event: failing, wantSent: 1, status: hookapi.StatusFailed},
		{name: "success is not sent", event: passing, wantSent: 0, status: hookapi.StatusSuccess},
		{name: "slow topic does not change the verdict", event: failing, delay: 10 * time.Second, wantSent: 1, status: hookapi.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, sent := snsServer(t, tt.delay)
			sc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: testCreds})
			h, _ := newTestHandler(t, Config{TopicARN: topic}, Clients{SNS: sc})
			start := time.Now()
			r, err := h.Handle(context.Background(), tt.event)
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > NotifyTimeout+3*time.Second { // slack for a loaded machine; the topic waits 10 s
				t.Errorf("Handle took %v; the notification must be bounded", took)
			}
			if r.HookStatus != tt.status {
				t.Errorf("status %s, want %s", r.HookStatus, tt.status)
			}
			got := sent()
			if len(got) != tt.wantSent {
				t.Fatalf("%d publishes, want %d", len(got), tt.wantSent)
			}
			if tt.wantSent == 0 {
				return
			}
			f := got[0]
			if f.Get("Action") != "Publish" || f.Get("TopicArn") != topic || !strings.Contains(f.Get("Subject"), "InlineBootstrap") {
				t.Errorf("publish form = %v", f)
			}
			var n Notification
			if err := json.Unmarshal([]byte(f.Get("Message")), &n); err != nil {
				t.Fatalf("message is not JSON: %v", err)
			}
			if n.Stack != "App" || n.LogicalID != "InlineBootstrap" || n.Account != "123456789012" || n.Region != "us-east-1" || n.ErrorCode != hookapi.NonCompliant {
				t.Errorf("notification = %+v", n)
			}
			if len(n.Findings) == 0 || n.Findings[0].Rule != "bootstrap-missing" || n.Findings[0].Fix == "" {
				t.Errorf("findings = %+v", n.Findings)
			}
		})
	}
}

// TestSlowS3 points the real S3 client at a server that never answers: the read times out inside
// the budget and the fail mode decides.
func TestSlowS3(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stop)
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: testCreds})
	tests := []struct {
		mode   FailMode
		status hookapi.HookStatus
		code   hookapi.ErrorCode
	}{
		{FailClosed, hookapi.StatusFailed, hookapi.InternalFailure},
		{FailOpen, hookapi.StatusSuccess, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			h, _ := newTestHandler(t, Config{FailMode: tt.mode, Budget: 1500 * time.Millisecond}, Clients{S3: sc})
			start := time.Now()
			r, _ := h.Handle(context.Background(), eventFrom(t, "create.json", "", nil))
			if took := time.Since(start); took > 4*time.Second { // the server never answers: only the budget ends this
				t.Errorf("answered after %v", took)
			}
			// Fail-open can only answer SUCCESS through the read's own timeout; fail-closed answers
			// FAILED either way, and on a starved machine (2 cores, many test processes) the hard
			// deadline may come first, which is the same verdict.
			timedOut := strings.Contains(r.Message, "timed out") || tt.mode == FailClosed && strings.Contains(r.Message, "could not decide in time")
			if r.HookStatus != tt.status || r.ErrorCode != tt.code || !timedOut {
				t.Errorf("got %s/%q %q", r.HookStatus, r.ErrorCode, r.Message)
			}
		})
	}
}
