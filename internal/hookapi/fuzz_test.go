package hookapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bytes to the event decoder: it must never panic, and whatever it
// accepts must encode and decode again.
func FuzzDecodeRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	twins, _ := filepath.Glob("testdata/target-resource/*.json")
	files = append(files, twins...)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"actionInvocationPoint":"CREATE_PRE_PROVISION","requestData":{"targetType":"AWS::Lambda::Function","targetModel":{"resourceProperties":{"Architectures":7,"Tags":[{"Key":1,"Value":null}]}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ClientToken(b)
		// The same bytes as a payload fetched from requestData.payload.
		if m, err := DecodeTargetModel(b); err == nil {
			_ = m.IsEmpty()
			_, _ = m.FunctionProperties()
		}
		req, err := DecodeRequest(b)
		if err != nil {
			return
		}
		p, perr := req.RequestData.TargetModel.FunctionProperties()
		_ = req.IsResource()
		_ = req.RequestData.TargetModel.IsEmpty()
		_ = p.Env()
		_, _ = p.Tag("bootstrap-guard:exempt")
		_ = p.Architecture()
		enc, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("marshal accepted request: %v", err)
		}
		again, err := DecodeRequest(enc)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, enc)
		}
		if perr == nil {
			if _, err := again.RequestData.TargetModel.FunctionProperties(); err != nil {
				t.Fatalf("properties decoded once but not after a round trip: %v", err)
			}
		}
	})
}
