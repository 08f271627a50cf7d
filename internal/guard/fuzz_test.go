package guard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// FuzzInvoke feeds arbitrary payloads to the hook: whatever arrives, the answer is a well-formed
// hook response, and without clients nothing is read (so no SUCCESS can come from a read).
func FuzzInvoke(f *testing.F) {
	files, _ := filepath.Glob("../hookapi/testdata/*.json")
	twins, _ := filepath.Glob("../hookapi/testdata/target-resource/*.json")
	files = append(files, twins...)
	// A payload URL on an S3 host a fuzzed request names must not reach the network.
	f.Add([]byte(`{"actionInvocationPoint":"CREATE_PRE_PROVISION","requestData":{"targetType":"RESOURCE","targetName":"AWS::Lambda::Function","payload":"https://b.s3.us-east-1.amazonaws.com/p.json?X-Amz-Signature=x"}}`))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := New(Config{LogOutput: discard{}}, Clients{HTTP: &http.Client{Transport: noNetwork{}}})
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		var r hookapi.Response
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		switch {
		case r.HookStatus == hookapi.StatusFailed && (r.ErrorCode == hookapi.NonCompliant || r.ErrorCode == hookapi.InternalFailure):
		case r.HookStatus == hookapi.StatusSuccess && r.ErrorCode == "":
		default:
			t.Fatalf("answer %s/%q", r.HookStatus, r.ErrorCode)
		}
		if len(r.Message) > hookapi.MaxMessage {
			t.Fatalf("message of %d bytes", len(r.Message))
		}
		if r.ClientRequestToken != hookapi.ClientToken(payload) {
			t.Fatalf("token %q, want %q", r.ClientRequestToken, hookapi.ClientToken(payload))
		}
	})
}

// noNetwork fails every request: the fuzzer's payload URLs stay on this machine.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in the fuzzer")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
