package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// withPayload turns an event into one whose target model comes only through requestData.payload:
// targetModel is removed (model "") or replaced by model, and payload set to url.
func withPayload(t *testing.T, event []byte, model, url string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	rd := ev["requestData"].(map[string]any)
	delete(rd, "targetModel")
	if model != "" {
		rd["targetModel"] = json.RawMessage(model)
	}
	rd["payload"] = url
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPayload: a Lambda function target whose properties come only through requestData.payload
// (a presigned S3 URL, served by MinIO through a real presigned GET) is checked from the fetched
// model; a payload that cannot be fetched or read is never a SUCCESS in fail-closed mode.
func TestPayload(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "packages", false)
	m.Bucket(t, "payloads", false)
	arm := goBinary(t, "linux", "arm64")
	m.Put(t, "packages", "good.zip", zipOf(t, entry{"bootstrap", 0o755, arm}))
	m.Put(t, "packages", "nested.zip", zipOf(t, entry{"bin/hello/bootstrap", 0o755, arm}))
	model := func(key string) []byte {
		b, _ := json.Marshal(map[string]any{"resourceProperties": fnProps("provided.al2023", "arm64", "packages", key, ""), "previousResourceProperties": nil})
		return b
	}
	m.Put(t, "payloads", "good.json", model("good.zip"))
	m.Put(t, "payloads", "nested.json", model("nested.zip"))
	m.Put(t, "payloads", "exempt.json", []byte(`{"resourceProperties":{"Runtime":"go1.x","Code":{"S3Bucket":"packages","S3Key":"nested.zip"},"Tags":[{"Key":"bootstrap-guard:exempt","Value":"CHG-77"}]}}`))
	m.Put(t, "payloads", "garbage.json", []byte("<Error>not JSON</Error>"))
	m.Put(t, "payloads", "empty.json", []byte(`{}`))
	m.Put(t, "payloads", "huge.json", bytes.Repeat([]byte(" "), MaxPayload+1))
	presign := func(c *s3.Client, key string) string {
		req, err := s3.NewPresignClient(c).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String(key)},
			s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	good := m.Client()
	forged := m.ClientAs(m.AccessKey, "not-the-secret") // a signature MinIO rejects: HTTP 403
	loop := s3read.URLPolicy{AllowLoopbackHTTP: true}

	tests := []struct {
		name       string
		model      string // targetModel sent alongside the payload; "" for none
		url        string
		policy     s3read.URLPolicy
		mode       FailMode
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		annotation string
		inMessage  []string
	}{
		{name: "nested, payload only", url: presign(good, "nested.json"), policy: loop, status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "bootstrap-nested", inMessage: []string{"FnUnderTest", "bin/hello/bootstrap"}},
		{name: "good, payload only", url: presign(good, "good.json"), policy: loop, status: hookapi.StatusSuccess, inMessage: []string{"passed"}},
		{name: "good, targetModel {}", model: `{}`, url: presign(good, "good.json"), policy: loop, status: hookapi.StatusSuccess},
		{name: "nested, empty property sets", model: `{"resourceProperties":{},"previousResourceProperties":null}`, url: presign(good, "nested.json"), policy: loop,
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "bootstrap-nested"},
		{name: "exempt by a tag in the payload", url: presign(good, "exempt.json"), policy: loop, status: hookapi.StatusSuccess, annotation: "exempt", inMessage: []string{"CHG-77"}},
		{name: "release URL policy", url: presign(good, "good.json"), status: hookapi.StatusFailed, code: hookapi.InternalFailure,
			inMessage: []string{"could not obtain the function's properties", "not HTTPS on an AWS S3 host"}},
		{name: "forged signature", url: presign(forged, "good.json"), policy: loop, status: hookapi.StatusFailed, code: hookapi.InternalFailure,
			inMessage: []string{"could not obtain the function's properties", "access denied"}},
		{name: "missing object", url: presign(good, "gone.json"), policy: loop, status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"not found"}},
		{name: "not JSON", url: presign(good, "garbage.json"), policy: loop, status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"decode target model"}},
		{name: "no properties in it", url: presign(good, "empty.json"), policy: loop, status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"holds no resourceProperties"}},
		{name: "too large", url: presign(good, "huge.json"), policy: loop, status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"larger than the hook reads"}},
		{name: "forged signature, fail-open", url: presign(forged, "good.json"), policy: loop, mode: FailOpen, status: hookapi.StatusSuccess,
			annotation: PropertiesAnnotation, inMessage: []string{"Warning (fail-open)", "access denied"}},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(filepath.Join(form, tt.name), func(t *testing.T) {
				h, logs := newTestHandler(t, Config{FailMode: tt.mode, URLs: tt.policy}, Clients{S3: good})
				ev := withPayload(t, eventFrom(t, filepath.Join(form, "create.json"), "FnUnderTest", nil), tt.model, tt.url)
				out, err := h.Invoke(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				r := decodeResponse(t, out)
				if r.HookStatus != tt.status || r.ErrorCode != tt.code {
					t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
				}
				if tt.annotation != "" && (len(r.Annotations) == 0 || r.Annotations[0].AnnotationName != tt.annotation) {
					t.Errorf("annotations %+v, want %s first", r.Annotations, tt.annotation)
				}
				for _, s := range tt.inMessage {
					if !strings.Contains(r.Message, s) {
						t.Errorf("message lacks %q:\n%s", s, r.Message)
					}
				}
				// The presigned URL is a credential: neither the answer nor the log repeats it.
				q := tt.url[strings.IndexByte(tt.url, '?'):]
				if strings.Contains(string(out), q) || strings.Contains(logs.String(), q) || strings.Contains(logs.String(), "X-Amz-Signature") {
					t.Errorf("the presigned URL leaked:\n%s\n%s", out, logs.String())
				}
				if line := logLines(t, logs)[0]; line["s3Requests"].(float64) < 1 {
					t.Errorf("the payload GET is not counted: %v", line)
				}
			})
		}
	}
}
