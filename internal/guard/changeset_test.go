package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/changeset"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// csFn is a changed AWS::Lambda::Function with its package in the test bucket.
func csFn(id, action, key string) testenv.Change {
	return testenv.Change{LogicalID: id, Type: "AWS::Lambda::Function", Action: action, Props: fnProps("provided.al2023", "arm64", "packages", key, "")}
}

// TestChangeSet runs CHANGE_SET requests through the handler with the payload served by MinIO
// through real presigned GETs and the packages read from MinIO: every function the change set
// creates or updates is checked as a RESOURCE target would be, and the change set gets one answer.
func TestChangeSet(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "packages", false)
	m.Bucket(t, "payloads", false)
	arm := goBinary(t, "linux", "arm64")
	m.Put(t, "packages", "good.zip", zipOf(t, entry{"bootstrap", 0o755, arm}))
	m.Put(t, "packages", "nested.zip", zipOf(t, entry{"bin/hello/bootstrap", 0o755, arm}))
	later := testenv.Change{LogicalID: "LaterKey", Type: "AWS::Lambda::Function", Action: "CREATE",
		Props: map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"S3Bucket": "packages", "S3Key": changeset.KnownAfterApply}}}
	newLayer := csFn("WithNewLayer", "CREATE", "good.zip")
	newLayer.Props["Layers"] = []any{map[string]any{"Ref": "DepsLayer"}}
	exempt := csFn("Vendor", "UPDATE", "nested.zip")
	exempt.Props["Tags"] = []any{map[string]any{"Key": "bootstrap-guard:exempt", "Value": "bootstrap-nested: vendor ships bin/hello"}}
	bucket := testenv.Change{LogicalID: "Bucket", Type: "AWS::S3::Bucket", Action: "CREATE", Props: map[string]any{"BucketName": "x"}}
	retired := testenv.Change{LogicalID: "Retired", Type: "AWS::Lambda::Function", Action: "DELETE"}
	sets := map[string][]testenv.Change{
		"good":       {csFn("Api", "CREATE", "good.zip"), csFn("Worker", "UPDATE", "good.zip"), bucket, retired},
		"broken":     {csFn("Api", "CREATE", "good.zip"), csFn("NestedFn", "UPDATE", "nested.zip")},
		"unresolved": {later, newLayer},
		"mixed":      {csFn("Api", "CREATE", "good.zip"), later, csFn("NestedFn", "CREATE", "nested.zip"), exempt, bucket},
		"exempt":     {exempt},
		"gone":       {csFn("Api", "CREATE", "good.zip"), csFn("Missing", "CREATE", "gone.zip")},
	}
	for name, changes := range sets {
		for _, sp := range []string{testenv.CamelCase, testenv.PascalCase} {
			m.Put(t, "payloads", name+"-"+sp+".json", testenv.ChangeSetPayload(t, sp, changes))
		}
	}
	m.Put(t, "payloads", "garbage.json", []byte("<Error>not JSON</Error>"))
	m.Put(t, "payloads", "no-changes.json", []byte(`{"template":"{}"}`))
	m.Put(t, "payloads", "huge.json", bytes.Repeat([]byte(" "), changeset.MaxPayload+1))
	presign := func(key string) string {
		req, err := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String(key)},
			s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	loop := s3read.URLPolicy{AllowLoopbackHTTP: true}

	tests := []struct {
		name       string
		payload    string // key in the payloads bucket, or a full URL
		spellings  bool   // run for both spellings (payload is then a set name)
		mode       FailMode
		policy     *s3read.URLPolicy
		budget     time.Duration
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		inMessage  []string
		notMessage []string
		annotation string // present, any status
	}{
		{name: "good", payload: "good", spellings: true, status: hookapi.StatusSuccess,
			inMessage: []string{"the 2 Lambda functions this change set creates or updates passed"}, notMessage: []string{"Retired", "Bucket"}, annotation: "Api/passed"},
		{name: "broken", payload: "broken", spellings: true, status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			inMessage: []string{"Bootstrap Guard: 1 of 2 Lambda functions", "NestedFn (provided.al2023, arm64): [bootstrap-nested]", "bin/hello/bootstrap", "zip -j"}, annotation: "NestedFn/bootstrap-nested"},
		{name: "unresolved", payload: "unresolved", spellings: true, status: hookapi.StatusSuccess,
			inMessage: []string{"none of the 2 Lambda functions", "2 left to the check when CloudFormation provisions them", "LaterKey (Code is known only", "WithNewLayer (Layers is known only"}, annotation: "LaterKey/" + changeset.AnnotationDeferred},
		{name: "mixed", payload: "mixed", spellings: true, status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			inMessage: []string{"1 of 4", "NestedFn", "LaterKey", "2 passed."}, annotation: "Vendor/bootstrap-nested"},
		{name: "exempted rule", payload: "exempt", spellings: true, status: hookapi.StatusSuccess, annotation: "Vendor/bootstrap-nested"},
		{name: "package missing", payload: "gone", spellings: true, status: hookapi.StatusFailed, code: hookapi.InternalFailure,
			inMessage: []string{"could not decide on 1 of 2", "Missing: not decided", "s3://packages/gone.zip (not found)"}},
		{name: "package missing, fail-open", payload: "gone", mode: FailOpen, spellings: true, status: hookapi.StatusSuccess, inMessage: []string{"Warning (fail-open)", "Missing"}},
		{name: "payload missing", payload: "nothing-here.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"could not read the change set", "not found"}},
		{name: "payload missing, fail-open", payload: "nothing-here.json", mode: FailOpen, status: hookapi.StatusSuccess, inMessage: []string{"Warning (fail-open)", "not found"}, annotation: ChangeSetAnnotation},
		{name: "payload not JSON", payload: "garbage.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"not a readable change-set payload"}},
		{name: "payload without changes", payload: "no-changes.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"no changedResources"}},
		{name: "payload oversized", payload: "huge.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"larger than the hook reads (16 MiB)"}},
		{name: "payload slow", payload: slow.URL + "/payload.json", budget: 1500 * time.Millisecond, status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"timed out"}},
		{name: "release URL policy", payload: "good-camelCase.json", policy: &s3read.URLPolicy{}, status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"not HTTPS on an AWS S3 host"}},
	}
	for _, tt := range tests {
		keys := []string{tt.payload}
		if tt.spellings {
			keys = []string{tt.payload + "-" + testenv.CamelCase + ".json", tt.payload + "-" + testenv.PascalCase + ".json"}
		}
		for _, key := range keys {
			t.Run(tt.name+"/"+key, func(t *testing.T) {
				policy := loop
				if tt.policy != nil {
					policy = *tt.policy
				}
				h, logs := newTestHandler(t, Config{FailMode: tt.mode, URLs: policy, Budget: tt.budget}, Clients{S3: m.Client()})
				url := key
				if !strings.HasPrefix(key, "http") {
					url = presign(key)
				}
				out, err := h.Invoke(context.Background(), testenv.ChangeSetEvent(t, url, 1, nil))
				if err != nil {
					t.Fatal(err)
				}
				r := decodeResponse(t, out)
				t.Logf("%s %s: %s", r.HookStatus, r.ErrorCode, r.Message)
				if r.HookStatus != tt.status || r.ErrorCode != tt.code {
					t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
				}
				for _, s := range tt.inMessage {
					if !strings.Contains(r.Message, s) {
						t.Errorf("message lacks %q:\n%s", s, r.Message)
					}
				}
				for _, s := range tt.notMessage {
					if strings.Contains(r.Message, s) {
						t.Errorf("message names %q:\n%s", s, r.Message)
					}
				}
				if tt.annotation != "" {
					if _, ok := annotation(r, tt.annotation); !ok {
						t.Errorf("no annotation %s in %+v", tt.annotation, r.Annotations)
					}
				}
				if r.ClientRequestToken != "0c5a9d2e-7f41-4c3b-a1d8-6e2f9b0c4d17" {
					t.Errorf("token %q", r.ClientRequestToken)
				}
				if q := strings.IndexByte(url, '?'); q > 0 && (strings.Contains(string(out), url[q:]) || strings.Contains(logs.String(), "X-Amz-Signature")) {
					t.Errorf("the presigned URL leaked:\n%s\n%s", out, logs.String())
				}
				lines := logLines(t, logs)
				last := lines[len(lines)-1]
				if last["msg"] != "decision" || last["target"] != "CHANGE_SET" || last["hookStatus"] != string(r.HookStatus) || last["s3Requests"].(float64) < 1 {
					t.Errorf("decision log line: %v", last)
				}
			})
		}
	}
}

// TestChangeSetInline: the registry libraries' fixtures carry changedResources inline in
// targetModel (internal/hookapi/testdata/target-resource/change-set.json); it is read without a
// fetch. Its function names no code location, which the engine judges by what needs no files,
// as it would for a RESOURCE target.
func TestChangeSetInline(t *testing.T) {
	h, logs := newTestHandler(t, Config{}, Clients{})
	out, err := h.Invoke(context.Background(), eventFrom(t, "target-resource/change-set.json", "", nil))
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, out)
	if _, ok := annotation(r, "HelloFunction/passed"); !ok || r.HookStatus != hookapi.StatusSuccess || !strings.Contains(r.Message, "the Lambda function this change set creates or updates passed") {
		t.Errorf("%s %s: %s %+v", r.HookStatus, r.ErrorCode, r.Message, r.Annotations)
	}
	if line := logLines(t, logs); line[len(line)-1]["s3Requests"].(float64) != 0 {
		t.Errorf("fetched although the model was inline: %v", line)
	}
}

// TestChangeSet200 checks a change set of 200 functions (a few broken) in one invocation, and
// one of 200 good functions; s3Requests in the log counts the payload GET and every package read.
func TestChangeSet200(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "packages", false)
	m.Bucket(t, "payloads", false)
	arm := goBinary(t, "linux", "arm64")
	var broken, good []testenv.Change
	goodZip := zipOf(t, entry{"bootstrap", 0o755, arm})
	m.Put(t, "packages", "nested.zip", zipOf(t, entry{"bin/hello/bootstrap", 0o755, arm}))
	for i := range 200 {
		id := fmt.Sprintf("Service%03dHandlerC0FFEE%02d", i, i%100)
		key := fmt.Sprintf("fn-%03d.zip", i) // one object per function: no read is shared
		m.Put(t, "packages", key, goodZip)
		good = append(good, csFn(id, "CREATE", key))
		if i%50 == 7 {
			key = "nested.zip"
		}
		broken = append(broken, csFn(id, "CREATE", key))
	}
	m.Put(t, "payloads", "broken.json", testenv.ChangeSetPayload(t, testenv.CamelCase, broken))
	m.Put(t, "payloads", "good.json", testenv.ChangeSetPayload(t, testenv.PascalCase, good))
	for _, tt := range []struct {
		key    string
		status hookapi.HookStatus
		lead   string
	}{
		{"broken.json", hookapi.StatusFailed, "Bootstrap Guard: 4 of 200 Lambda functions"},
		{"good.json", hookapi.StatusSuccess, "Bootstrap Guard: the 200 Lambda functions this change set creates or updates passed."},
	} {
		t.Run(tt.key, func(t *testing.T) {
			h, logs := newTestHandler(t, Config{URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}}, Clients{S3: m.Client()})
			req, _ := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String(tt.key)})
			out, err := h.Invoke(context.Background(), testenv.ChangeSetEvent(t, req.URL, 1, nil))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			if r.HookStatus != tt.status || !strings.HasPrefix(r.Message, tt.lead) {
				t.Fatalf("%s %s:\n%s", r.HookStatus, r.ErrorCode, r.Message)
			}
			if tt.status == hookapi.StatusFailed {
				for i := 7; i < 200; i += 50 {
					if id := fmt.Sprintf("Service%03d", i); !strings.Contains(r.Message, id) {
						t.Errorf("message does not name %s", id)
					}
				}
			}
			lines := logLines(t, logs)
			last := lines[len(lines)-1]
			if n := last["s3Requests"].(float64); n < 201 {
				t.Errorf("s3Requests %v: the payload and 200 packages were not all counted", n)
			}
			t.Logf("%s: %v ms, %v S3 requests, %v bytes", tt.key, last["durationMs"], last["s3Requests"], last["bytesRead"])
		})
	}
}

// TestChangeSetInProgress: when the functions cannot all be checked within one invocation, the
// hook answers IN_PROGRESS with a cursor; CloudFormation calls again with it, the payload is
// fetched again, and only what is left is checked. The slow reads are the decision's own
// (decideFn waits out its context for them).
func TestChangeSetInProgress(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "packages", false)
	m.Bucket(t, "payloads", false)
	arm := goBinary(t, "linux", "arm64")
	m.Put(t, "packages", "good.zip", zipOf(t, entry{"bootstrap", 0o755, arm}))
	m.Put(t, "payloads", "cs.json", testenv.ChangeSetPayload(t, testenv.CamelCase, []testenv.Change{
		csFn("Fast", "CREATE", "good.zip"), csFn("SlowOne", "CREATE", "good.zip"), csFn("SlowTwo", "UPDATE", "good.zip")}))
	req, _ := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String("cs.json")})
	h, _ := newTestHandler(t, Config{URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}, Budget: 2 * time.Second}, Clients{S3: m.Client()})
	var slow atomic.Bool
	slow.Store(true)
	real := h.decideFn
	var mu sync.Mutex
	var checked []string
	h.decideFn = func(ctx context.Context, d *decision) {
		id := d.req.RequestData.TargetLogicalID
		if slow.Load() && strings.HasPrefix(id, "Slow") {
			<-ctx.Done()
			d.err = ctx.Err()
			return
		}
		mu.Lock()
		checked = append(checked, id)
		mu.Unlock()
		real(ctx, d)
	}
	invoke := func(n int, cb json.RawMessage) hookapi.Response {
		out, err := h.Invoke(context.Background(), testenv.ChangeSetEvent(t, req.URL, n, cb))
		if err != nil {
			t.Fatal(err)
		}
		var r hookapi.Response
		json.Unmarshal(out, &r)
		return r
	}
	first := invoke(1, nil)
	if first.HookStatus != hookapi.StatusInProgress || len(first.CallbackContext) == 0 || first.CallbackDelaySeconds < 1 {
		t.Fatalf("first: %+v", first)
	}
	slow.Store(false)
	mu.Lock()
	checked = nil
	mu.Unlock()
	second := invoke(2, first.CallbackContext)
	if second.HookStatus != hookapi.StatusSuccess || !strings.Contains(second.Message, "the 3 Lambda functions") {
		t.Errorf("second: %s %s", second.HookStatus, second.Message)
	}
	mu.Lock()
	got := strings.Join(checked, ",")
	mu.Unlock()
	if got == "" || strings.Contains(got, "Fast") {
		t.Errorf("second invocation checked %q, want only the slow ones", got)
	}
	// Slow on every invocation: the last one answers by the fail mode, never SUCCESS.
	slow.Store(true)
	last := invoke(changeset.MaxInvocations, first.CallbackContext)
	if last.HookStatus != hookapi.StatusFailed || last.ErrorCode != hookapi.InternalFailure {
		t.Errorf("last: %s %s %s", last.HookStatus, last.ErrorCode, last.Message)
	}
}
