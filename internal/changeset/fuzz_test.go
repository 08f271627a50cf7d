package changeset

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// FuzzDecode feeds arbitrary bytes through everything the hook does with a change-set payload
// before any package is read: decode, select and resolve the functions, and answer (every
// function passing, so the whole answer path runs). None of it may panic, and the answer must
// stay within CloudFormation's limits.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"changedResources":[{"resourceType":"AWS::Lambda::Function","action":"CREATE","afterContext":"{\"Properties\":{\"Code\":{\"S3Key\":{\"Fn::Sub\":\"${AWS::Region}\"}}}}"}]}`))
	f.Add([]byte(`{"ChangedResources":[{"ResourceType":"AWS::Serverless::Function","Action":"UPDATE","ResourceProperties":{"CodeUri":"s3://b/k","Tags":{"a":"b"}}}]}`))
	pass := func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		return result.Result{Target: id, Status: result.Pass, Runtime: string(p.Runtime)}, nil
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		fns := p.Functions(testRequest)
		if len(fns) > len(p.Changes) {
			t.Fatalf("%d functions from %d changes", len(fns), len(p.Changes))
		}
		r := Run(context.Background(), fns, pass, Options{Invocation: 1, Deadline: time.Now().Add(5 * time.Second)}).Response()
		if len(r.Message) > hookapi.MaxMessage || len(r.Annotations) > MaxAnnotations {
			t.Fatalf("answer out of bounds: %d bytes, %d annotations", len(r.Message), len(r.Annotations))
		}
		if r.HookStatus == hookapi.StatusFailed {
			t.Fatalf("every function passed, yet %s: %s", r.HookStatus, r.Message)
		}
	})
}
