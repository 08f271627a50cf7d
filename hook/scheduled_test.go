package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// scheduledEvent is an EventBridge scheduled event as a rule delivers it to a Lambda target
// (EventBridge User Guide, "Creating a rule that runs on a schedule").
func scheduledEvent(account, region, at string) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",`+
		`"account":%q,"time":%q,"region":%q,"resources":["arn:aws:events:%s:%s:rule/bootstrap-guard-audit"],"detail":{}}`, account, at, region, region, account)
}

// TestScheduledAuditUnderRIE: the built hook, invoked under the RIE by a scheduled event, audits
// its own account and Region (the Lambda API server; code packages in MinIO), writes the report to
// the report bucket and keeps Security Hub's findings current: created on the first run, updated
// on the second, archived once the function is fixed. A hook request to the same process is still
// answered as a hook request.
func TestScheduledAuditUnderRIE(t *testing.T) {
	const account, region = "123456789012", "us-east-1" // MinIO's Env sets AWS_REGION=us-east-1
	m := testenv.StartMinIO(t)
	dir := t.TempDir()
	bootstrap := build(t, dir, ".", "linux", hostArch(), "lambda.norpc", "bootstrapguard_testurls")
	arm := read(t, build(t, dir, "./"+filepath.Join("..", "internal", "guard", "testdata", "hello"), "linux", "arm64"))
	m.Bucket(t, "code", false)
	m.Bucket(t, "reports", true)
	m.Bucket(t, "assets", false)
	m.Put(t, "code", "good.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": arm}))
	m.Put(t, "code", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": arm}))
	m.Put(t, "assets", "good.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": arm}))

	lam := testenv.StartLambda(t, account, region)
	var mu sync.Mutex
	keys := map[string]string{"orders": "nested.zip", "users": "nested.zip", "fine": "good.zip"}
	for _, name := range []string{"orders", "users", "fine"} {
		lam.AddFunction(testenv.LambdaFunction{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
			Code: func() string { mu.Lock(); defer mu.Unlock(); return m.Presign(t, "code", keys[name]) }})
	}
	hub := testenv.StartSecurityHub(t)
	env := append(m.Env(), "BOOTSTRAP_GUARD_DATE=2026-11-24", "AWS_ENDPOINT_URL_LAMBDA="+lam.URL,
		"AWS_ENDPOINT_URL_SECURITYHUB="+hub.URL, guard.EnvAuditBucket+"=reports")
	rie := testenv.StartRIE(t, bootstrap, env)

	run := func(at string, want audit.Published) guard.ScheduledSummary {
		t.Helper()
		body := rie.Invoke(t, scheduledEvent(account, region, at))
		var sum guard.ScheduledSummary
		if err := json.Unmarshal(body, &sum); err != nil || sum.Account != account {
			t.Fatalf("answer %s (%v); output:\n%s", body, err, rie.Output())
		}
		if sum.Findings != want || sum.Functions != 3 || sum.Region != region {
			t.Errorf("summary %+v, want findings %+v of 3 functions in %s", sum, want, region)
		}
		return sum
	}
	state := func(name string) string {
		f := hub.Findings()[audit.FindingID(lam.ARN(name))]
		s, _ := f["RecordState"].(string)
		return s
	}

	first := run("2026-12-06T06:00:00Z", audit.Published{Created: 2})
	if first.Failed != 2 || state("orders") != "ACTIVE" || state("users") != "ACTIVE" || state("fine") != "" {
		t.Errorf("after the first run: failed %d, orders %q, users %q, fine %q", first.Failed, state("orders"), state("users"), state("fine"))
	}
	// The report: the audit's JSON, at the dated key the summary names.
	key, ok := strings.CutPrefix(first.Report, "s3://reports/")
	if !ok || !strings.HasPrefix(key, "audit/"+account+"/"+region+"/") {
		t.Fatalf("report %q, want s3://reports/audit/%s/%s/...", first.Report, account, region)
	}
	obj, err := m.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("report object: %v", err)
	}
	raw, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	var doc struct {
		Results []struct {
			Target, Status string
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Results) != 3 {
		t.Fatalf("report %s: %v, want 3 results", raw, err)
	}
	for _, r := range doc.Results {
		want := "FAIL"
		if r.Target == lam.ARN("fine") {
			want = "PASS"
		}
		if r.Status != want {
			t.Errorf("report: %s %s, want %s", r.Target, r.Status, want)
		}
	}

	run("2026-12-07T06:00:00Z", audit.Published{Updated: 2})
	mu.Lock()
	keys["orders"] = "good.zip" // fixed
	mu.Unlock()
	third := run("2026-12-08T06:00:00Z", audit.Published{Updated: 1, Archived: 1})
	if state("orders") != "ARCHIVED" || state("users") != "ACTIVE" {
		t.Errorf("after the fix: orders %q, users %q; want ARCHIVED, ACTIVE", state("orders"), state("users"))
	}
	if third.Report == first.Report {
		t.Errorf("every run writes a report of its own, got %s twice", first.Report)
	}
	list, err := m.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("reports"), Prefix: aws.String("audit/")})
	if err != nil || len(list.Contents) != 3 {
		t.Errorf("report objects: %d (%v), want 3", len(list.Contents), err)
	}

	// The same process still answers hook requests as a hook.
	checkAnswer(t, rie, rie.Invoke(t, event(t, "create.json", "Good", props("provided.al2023", "arm64", "good.zip"))), "SUCCESS", "", "", "passed")
	// A malformed scheduled event is a function error naming the problem.
	bad := rie.Invoke(t, scheduledEvent("12345", region, "2026-12-08T06:00:00Z"))
	if !strings.Contains(string(bad), "is not a 12-digit AWS account ID") {
		t.Errorf("malformed scheduled event answered %s", bad)
	}
}
