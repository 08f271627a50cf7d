package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// TestMalformedEvents sends events no CloudFormation would, and some it might: each gets a
// well-formed hook response (FAILED carries an error code), the token comes back whenever the event
// had one, and the handler keeps answering the next request.
func TestMalformedEvents(t *testing.T) {
	good := eventFrom(t, "create.json", "", nil)
	withProps := func(props string) []byte {
		var ev map[string]any
		json.Unmarshal(good, &ev)
		rd := ev["requestData"].(map[string]any)
		rd["targetModel"] = json.RawMessage(`{"resourceProperties":` + props + `}`)
		b, _ := json.Marshal(ev)
		return b
	}
	tags := make([]map[string]string, 0, 60000)
	for range 60000 {
		tags = append(tags, map[string]string{"Key": strings.Repeat("k", 40), "Value": strings.Repeat("v", 40)})
	}
	bigTags, _ := json.Marshal(map[string]any{"Runtime": "provided.al2023", "Code": map[string]any{"ZipFile": "x"}, "Tags": tags})
	tests := []struct {
		name   string
		event  []byte
		status hookapi.HookStatus
		token  string
	}{
		{"empty body", nil, hookapi.StatusFailed, ""},
		{"not JSON", []byte("\x00\x01garbage"), hookapi.StatusFailed, ""},
		{"JSON null", []byte("null"), hookapi.StatusFailed, ""},
		{"JSON array", []byte(`[1,2,3]`), hookapi.StatusFailed, ""},
		{"wrong type for the token", bytes.Replace(good, []byte(`"clientRequestToken": "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"`), []byte(`"clientRequestToken": 42`), 1), hookapi.StatusFailed, "42"}, // echoed as it came
		{"missing token", bytes.Replace(good, []byte(`"clientRequestToken": "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01",`), nil, 1), hookapi.StatusFailed, ""},
		{"Runtime is an object", withProps(`{"Runtime":{"a":1},"Code":{"ZipFile":"x"}}`), hookapi.StatusFailed, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
		{"Architectures is a number", withProps(`{"Runtime":"provided.al2023","Architectures":7,"Code":{"ZipFile":"x"}}`), hookapi.StatusFailed, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
		{"Layers is an object", withProps(`{"Runtime":"provided.al2023","Layers":{"a":"b"},"Code":{"ZipFile":"x"}}`), hookapi.StatusFailed, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
		{"properties are a string", withProps(`"surprise"`), hookapi.StatusFailed, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
		{"unknown target type", bytes.ReplaceAll(good, []byte(`"AWS::Lambda::Function"`), []byte(`"Acme::Custom::Thing"`)), hookapi.StatusSuccess, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
		{"unknown invocation point", bytes.Replace(good, []byte(`CREATE_PRE_PROVISION`), []byte(`SOMETIME_LATER`), 1), hookapi.StatusSuccess, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
		{"enormous properties (4.9 MB of tags)", withProps(string(bigTags)), hookapi.StatusFailed, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
	}
	h, _ := newTestHandler(t, Config{}, Clients{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), tc.event)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			r := decodeResponse(t, out)
			if r.HookStatus != tc.status {
				t.Fatalf("got %s %q, want %s", r.HookStatus, r.Message, tc.status)
			}
			if r.HookStatus == hookapi.StatusFailed && r.ErrorCode == "" {
				t.Errorf("FAILED without an error code: %s", out)
			}
			if r.Message == "" || len(r.Message) > hookapi.MaxMessage {
				t.Errorf("message of %d bytes", len(r.Message))
			}
			if r.ClientRequestToken != tc.token {
				t.Errorf("token %q, want %q", r.ClientRequestToken, tc.token)
			}
			// The handler still serves a normal request afterwards.
			next, err := h.Invoke(context.Background(), eventFrom(t, "inline.json", "", nil))
			if err != nil || decodeResponse(t, next).HookStatus != hookapi.StatusSuccess {
				t.Fatalf("the next request failed: %v %s", err, next)
			}
		})
	}
}
