package guard

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

const scheduledSample = `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",` +
	`"account":"123456789012","time":"2026-12-06T06:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/audit"],"detail":{}}`

// TestIsScheduledEvent: only EventBridge's scheduled-event shape takes the audit's path; every
// hook request, and anything that is not JSON, keeps the hook's.
func TestIsScheduledEvent(t *testing.T) {
	hookReq, err := os.ReadFile("../hookapi/testdata/create.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		want    bool
	}{
		{"scheduled event", scheduledSample, true},
		{"hook request", string(hookReq), false},
		{"not JSON", `{"source":"aws.events",`, false},
		{"array", `[]`, false},
		{"other detail-type", strings.Replace(scheduledSample, "Scheduled Event", "Object Created", 1), false},
		{"other source", strings.Replace(scheduledSample, `"aws.events"`, `"aws.s3"`, 1), false},
		{"source not a string", `{"source":1,"detail-type":"Scheduled Event"}`, false},
		{"hook fields too", strings.Replace(scheduledSample, `"version":"0"`, `"clientRequestToken":"t"`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsScheduledEvent([]byte(tt.payload)); got != tt.want {
				t.Errorf("IsScheduledEvent = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestScheduledMalformed: a scheduled event that cannot be read, or a function not set up for the
// audit, is a function error naming the problem, never a panic and never a hook answer; a hook
// request through the Entry gets byte for byte the Handler's answer.
func TestScheduledMalformed(t *testing.T) {
	h := New(Config{LogOutput: discard{}}, Clients{HTTP: &http.Client{Transport: noNetwork{}}})
	full := Scheduled{Region: "eu-west-1", Bucket: "reports"} // no clients: nothing may be called
	tests := []struct {
		name    string
		sched   Scheduled
		payload string
		inErr   string
	}{
		{"account a number", full, strings.Replace(scheduledSample, `"123456789012"`, `123456789012`, 1), "not an EventBridge event"},
		{"account not an ID", full, strings.Replace(scheduledSample, `"123456789012"`, `"12345"`, 1), `account "12345" is not a 12-digit`},
		{"account missing", full, strings.Replace(scheduledSample, `"account":"123456789012",`, ``, 1), `account ""`},
		{"bad time", full, strings.Replace(scheduledSample, `2026-12-06T06:00:00Z`, `yesterday`, 1), "not an EventBridge event"},
		{"resources not a list", full, strings.Replace(scheduledSample, `["arn:aws:events:eu-west-1:123456789012:rule/audit"]`, `"x"`, 1), "not an EventBridge event"},
		{"no bucket", Scheduled{Region: "eu-west-1"}, scheduledSample, "BOOTSTRAP_GUARD_AUDIT_BUCKET is not set"},
		{"no region", Scheduled{Bucket: "reports"}, scheduledSample, "AWS_REGION is not set"},
		{"no clients", full, scheduledSample, "missing a Lambda, Security Hub or S3 client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Entry{Hook: h, Sched: tt.sched}
			out, err := e.Invoke(context.Background(), []byte(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.inErr) {
				t.Fatalf("Invoke = %s, %v; want an error containing %q", out, err, tt.inErr)
			}
		})
	}
	t.Run("hook request unchanged", func(t *testing.T) {
		for _, p := range []string{`{}`, `not json`, `{"source":"aws.events","detail-type":"Scheduled Event","clientRequestToken":"x"}`} {
			e := &Entry{Hook: h, Sched: full}
			got, err := e.Invoke(context.Background(), []byte(p))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := h.Invoke(context.Background(), []byte(p))
			if !bytes.Equal(got, want) {
				t.Errorf("%s: Entry answered %s, the hook %s", p, got, want)
			}
		}
	})
}

func TestReportKey(t *testing.T) {
	got := ReportKey("123456789012", "eu-west-1", time.Date(2026, 12, 6, 6, 0, 1, 0, time.FixedZone("x", 3600)))
	if want := "audit/123456789012/eu-west-1/2026/12/06/20261206T050001Z.json"; got != want {
		t.Errorf("ReportKey = %q, want %q", got, want)
	}
}

// FuzzScheduledEvent: whatever arrives at the function, the Entry neither panics nor reaches the
// network; a payload it takes for a scheduled event ends in an error (no clients are set).
func FuzzScheduledEvent(f *testing.F) {
	f.Add([]byte(scheduledSample))
	f.Add([]byte(`{"source":"aws.events","detail-type":"Scheduled Event","account":"1","time":1}`))
	f.Add([]byte(`{}`))
	h := New(Config{LogOutput: discard{}}, Clients{HTTP: &http.Client{Transport: noNetwork{}}})
	e := &Entry{Hook: h, Sched: Scheduled{Region: "eu-west-1", Bucket: "reports"}}
	f.Fuzz(func(t *testing.T, payload []byte) {
		_, err := e.Invoke(context.Background(), payload)
		if IsScheduledEvent(payload) && err == nil {
			t.Fatalf("scheduled event %q answered without clients", payload)
		}
	})
}

// TestScheduledCutShort: an audit that reaches the function's deadline still writes what it
// audited to the report, but leaves Security Hub as it was (publishing would archive the findings
// of the functions not reached), and says so; a full run publishes, and logs what it did.
func TestScheduledCutShort(t *testing.T) {
	const account, region = "123456789012", "eu-west-1"
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	m.Bucket(t, "reports", false)
	m.Put(t, "code", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": goBinary(t, "linux", "arm64")}))
	lam := testenv.StartLambda(t, account, region)
	lam.AddFunction(testenv.LambdaFunction{Name: "orders", Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
		Code: func() string { return m.Presign(t, "code", "nested.zip") }})
	hub := testenv.StartSecurityHub(t)
	creds := credentials.NewStaticCredentialsProvider("AKIDSCHED", "secret", "")
	lc := lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(lam.URL), Credentials: creds})
	h, logs := newTestHandler(t, Config{URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}}, Clients{Lambda: lc, S3: m.Client()})
	e := &Entry{Hook: h, Sched: Scheduled{Region: region, Lambda: lc, S3: m.Client(), Bucket: "reports",
		SecurityHub: securityhub.New(securityhub.Options{Region: region, BaseEndpoint: aws.String(hub.URL), Credentials: creds})}}
	if _, err := e.Invoke(context.Background(), []byte(scheduledSample)); err != nil {
		t.Fatalf("full run: %v", err)
	}
	id := "bootstrap-guard-audit/" + lam.ARN("orders")
	if f := hub.Findings()[id]; f == nil || f["RecordState"] != "ACTIVE" {
		t.Fatalf("full run: finding %v, want ACTIVE", f)
	}
	var logged bool
	for _, l := range logLines(t, logs) {
		if l["msg"] == "scheduled audit" && l["created"] == float64(1) && l["failed"] == float64(1) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no log line of the run in %s", logs)
	}
	imports := hub.Imports()

	// Less than reportMargin left: nothing is audited, the (empty) report is written, and the
	// finding stays ACTIVE.
	ctx, cancel := context.WithTimeout(context.Background(), reportMargin/2)
	defer cancel()
	later := strings.Replace(scheduledSample, "2026-12-06T06:00:00Z", "2026-12-07T06:00:00Z", 1)
	_, err := e.Invoke(ctx, []byte(later))
	if err == nil || !strings.Contains(err.Error(), "stopped before the end") {
		t.Fatalf("cut short: %v, want an error saying so", err)
	}
	if hub.Imports() != imports || hub.Findings()[id]["RecordState"] != "ACTIVE" {
		t.Errorf("cut short: Security Hub changed (%d imports, was %d; finding %v)", hub.Imports(), imports, hub.Findings()[id]["RecordState"])
	}
	key := ReportKey(account, "eu-west-1", time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC))
	if _, err := m.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("reports"), Key: aws.String(key)}); err != nil {
		t.Errorf("cut short: no report at %s: %v", key, err)
	}
}
