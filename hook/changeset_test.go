package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/changeset"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

func change(id, action, key string) testenv.Change {
	return testenv.Change{LogicalID: id, Type: "AWS::Lambda::Function", Action: action, Props: props("provided.al2023", "arm64", key)}
}

// TestChangeSetUnderRIE: the built bootstrap (test build, which may fetch from MinIO on
// 127.0.0.1) answers CHANGE_SET requests whose change set MinIO serves through presigned URLs:
// a change set holding a function with a nested bootstrap is FAILED/NonCompliant naming it, at
// CreateChangeSet time; an all-good one is SUCCESS; unresolved functions are deferred, never
// failed; a payload that is missing, slow, oversized or not JSON is answered by the fail mode,
// never SUCCESS; 200 functions are answered in one invocation.
func TestChangeSetUnderRIE(t *testing.T) {
	m := testenv.StartMinIO(t)
	dir := t.TempDir()
	bootstrap := build(t, dir, ".", "linux", hostArch(), "lambda.norpc", "bootstrapguard_testurls")
	arm := read(t, build(t, dir, "./"+filepath.Join("..", "internal", "guard", "testdata", "hello"), "linux", "arm64"))
	m.Bucket(t, "assets", false)
	m.Bucket(t, "payloads", false)
	good := testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": arm})
	m.Put(t, "assets", "good.zip", good)
	m.Put(t, "assets", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": arm}))
	later := testenv.Change{LogicalID: "LaterFn", Type: "AWS::Lambda::Function", Action: "CREATE",
		Props: map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"S3Bucket": "assets", "S3Key": changeset.KnownAfterApply}}}
	// A CDK asset bucket written with pseudo parameters: resolved from the request's account and
	// stack ARN (change-set.json: 123456789012, us-east-1).
	m.Bucket(t, "cdk-assets-123456789012-us-east-1", false)
	m.Put(t, "cdk-assets-123456789012-us-east-1", "good.zip", good)
	sub := change("CdkAsset", "UPDATE", "good.zip")
	sub.Props["Code"] = map[string]any{"S3Bucket": map[string]any{"Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "good.zip"}
	var many []testenv.Change
	for i := range 200 {
		key := fmt.Sprintf("fn-%03d.zip", i)
		m.Put(t, "assets", key, good)
		if i == 123 {
			key = "nested.zip"
		}
		many = append(many, change(fmt.Sprintf("Fn%03d", i), "CREATE", key))
	}
	sets := map[string][]testenv.Change{
		"good":        {change("Api", "CREATE", "good.zip"), change("Worker", "UPDATE", "good.zip"), sub},
		"broken":      {change("Api", "CREATE", "good.zip"), change("NestedFn", "CREATE", "nested.zip")},
		"unresolved":  {later},
		"mixed":       {change("Api", "CREATE", "good.zip"), later, change("NestedFn", "UPDATE", "nested.zip")},
		"two-hundred": many,
	}
	for name, cs := range sets {
		for _, sp := range []string{testenv.CamelCase, testenv.PascalCase} {
			m.Put(t, "payloads", name+"-"+sp+".json", testenv.ChangeSetPayload(t, sp, cs))
		}
	}
	m.Put(t, "payloads", "garbage.json", []byte("<Error>not JSON</Error>"))
	m.Put(t, "payloads", "huge.json", bytes.Repeat([]byte(" "), changeset.MaxPayload+1))
	url := func(key string) string {
		req, err := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(),
			&s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String(key)}, s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	env := append(m.Env(), "BOOTSTRAP_GUARD_DATE=2026-11-24")
	rie := testenv.StartRIE(t, bootstrap, env)
	tests := []struct {
		name      string
		key       string
		status    hookapi.HookStatus
		code      hookapi.ErrorCode
		inMessage string
	}{
		{"good", "good", hookapi.StatusSuccess, "", "the 3 Lambda functions this change set creates or updates passed"},
		{"broken", "broken", hookapi.StatusFailed, hookapi.NonCompliant, "NestedFn (provided.al2023, arm64): [bootstrap-nested]"},
		{"unresolved", "unresolved", hookapi.StatusSuccess, "", "LaterFn (Code is known only when the change set executes"},
		{"mixed", "mixed", hookapi.StatusFailed, hookapi.NonCompliant, "1 of 3 Lambda functions"},
		{"200 functions", "two-hundred", hookapi.StatusFailed, hookapi.NonCompliant, "Bootstrap Guard: 1 of 200 Lambda functions in this change set will fail to start on Lambda, so the change set is rejected before anything is provisioned. Fn123"},
	}
	for _, tt := range tests {
		for _, sp := range []string{testenv.CamelCase, testenv.PascalCase} {
			t.Run(tt.name+"/"+sp, func(t *testing.T) {
				start := time.Now()
				body := rie.Invoke(t, testenv.ChangeSetEvent(t, url(tt.key+"-"+sp+".json"), 1, nil))
				r := checkAnswer(t, rie, body, tt.status, tt.code, "", tt.inMessage)
				if r.ClientRequestToken != "0c5a9d2e-7f41-4c3b-a1d8-6e2f9b0c4d17" {
					t.Errorf("token %q", r.ClientRequestToken)
				}
				if tt.status == hookapi.StatusFailed && !strings.HasPrefix(r.Message, "Bootstrap Guard: 1 of ") {
					t.Errorf("message does not lead with the count: %s", r.Message)
				}
				t.Logf("%s: answered in %v", tt.name, time.Since(start).Round(time.Millisecond))
			})
		}
	}
	for _, tt := range []struct{ name, key, inMessage string }{
		{"payload missing", "gone.json", "not found"},
		{"payload not JSON", "garbage.json", "not a readable change-set payload"},
		{"payload oversized", "huge.json", "larger than the hook reads (16 MiB)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := rie.Invoke(t, testenv.ChangeSetEvent(t, url(tt.key), 1, nil))
			checkAnswer(t, rie, body, hookapi.StatusFailed, hookapi.InternalFailure, "", tt.inMessage)
		})
	}
	if strings.Contains(rie.Output(), "X-Amz-Signature") {
		t.Error("a presigned URL reached the logs")
	}

	// A payload server that never answers: the hook answers within its own deadline (a 6-second
	// function timeout here), fail-closed FAILED and fail-open SUCCESS with a warning.
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer stall.Close()
	for _, mode := range []struct {
		mode   string
		status hookapi.HookStatus
		code   hookapi.ErrorCode
		text   string
	}{
		{"closed", hookapi.StatusFailed, hookapi.InternalFailure, "timed out"},
		{"open", hookapi.StatusSuccess, "", "Warning (fail-open)"},
	} {
		t.Run("payload slow, fail-"+mode.mode, func(t *testing.T) {
			rie := testenv.StartRIE(t, bootstrap, append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT=6", "BOOTSTRAP_GUARD_FAIL_MODE="+mode.mode))
			start := time.Now()
			body := rie.Invoke(t, testenv.ChangeSetEvent(t, stall.URL+"/payload.json", 1, nil))
			checkAnswer(t, rie, body, mode.status, mode.code, "", mode.text)
			if d := time.Since(start); d > 6*time.Second {
				t.Errorf("answered after %v, past the function's timeout", d)
			}
		})
	}
}

// TestChangeSetCursorUnderRIE: a later invocation's callbackContext is honoured only for the
// change set it was made for: a cursor for another set of functions is ignored and the change set
// is checked in full (internal/changeset and internal/guard test the cursor's round trip).
func TestChangeSetCursorUnderRIE(t *testing.T) {
	m := testenv.StartMinIO(t)
	dir := t.TempDir()
	bootstrap := build(t, dir, ".", "linux", hostArch(), "lambda.norpc", "bootstrapguard_testurls")
	arm := read(t, build(t, dir, "./"+filepath.Join("..", "internal", "guard", "testdata", "hello"), "linux", "arm64"))
	m.Bucket(t, "assets", false)
	m.Bucket(t, "payloads", false)
	m.Put(t, "assets", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": arm}))
	m.Put(t, "payloads", "cs.json", testenv.ChangeSetPayload(t, testenv.CamelCase, []testenv.Change{change("NestedFn", "CREATE", "nested.zip")}))
	req, _ := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String("cs.json")})
	rie := testenv.StartRIE(t, bootstrap, append(m.Env(), "BOOTSTRAP_GUARD_DATE=2026-11-24"))
	stale := json.RawMessage(`{"bootstrapGuardChangeSet":{"v":1,"set":"another-change-set","done":"_w","passed":8}}`)
	body := rie.Invoke(t, testenv.ChangeSetEvent(t, req.URL, 2, stale))
	checkAnswer(t, rie, body, hookapi.StatusFailed, hookapi.NonCompliant, "NestedFn/bootstrap-nested", "NestedFn")
}
