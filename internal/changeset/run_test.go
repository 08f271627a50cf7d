package changeset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

var (
	packagesOnce sync.Once
	packages     map[string][]byte
)

// testPackages are real packages of the sample hello function (linux/arm64): at the root, nested
// one directory down, and without the execute bit.
func testPackages(t testing.TB) map[string][]byte {
	packagesOnce.Do(func() {
		bin := testenv.HelloBootstrap(t)
		packages = map[string][]byte{
			"good.zip":   testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": bin}),
			"nested.zip": testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": bin}),
			"noexec.zip": testenv.Zip(t, 0o644, map[string][]byte{"bootstrap": bin}),
		}
	})
	return packages
}

// engine is the per-function evaluator the tests use: the real inspection engine over packages
// held in memory by S3 key. A key it does not hold is a read error, as a missing object is.
func engine(t testing.TB) Evaluator {
	pkgs := testPackages(t)
	checker := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	return func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		key := string(p.Code.S3Key)
		z, ok := pkgs[key]
		if !ok {
			return result.Result{}, fmt.Errorf("could not read s3://%s/%s (not found)", p.Code.S3Bucket, key)
		}
		return checker.Check(ctx, inspect.Function{
			Target: id, Runtime: string(p.Runtime), Handler: string(p.Handler), Architecture: p.Architecture(),
			Code: inspect.Source{Name: "s3://" + string(p.Code.S3Bucket) + "/" + key, ReaderAt: bytes.NewReader(z), Size: int64(len(z))},
		})
	}
}

// fn is a function of a change set with its package in testPackages.
func fn(id, key string) Function {
	return Function{LogicalID: id, ResourceType: TypeFunction, Action: ActionCreate, Props: hookapi.FunctionProperties{
		Runtime: "provided.al2023", Handler: "bootstrap", Architectures: hookapi.StringList{"arm64"},
		Code: hookapi.Code{S3Bucket: "assets", S3Key: hookapi.String(key)}}}
}

func deferred(id, why string) Function {
	return Function{LogicalID: id, ResourceType: TypeFunction, Action: ActionCreate, Deferred: why}
}

func run(t testing.TB, fns []Function, eval Evaluator, opts Options) hookapi.Response {
	t.Helper()
	if opts.Deadline.IsZero() {
		opts.Deadline = time.Now().Add(2 * time.Minute) // generous: these tests check the answer, not the speed (race runs on a loaded machine)
	}
	resp := Run(context.Background(), fns, eval, opts).Response()
	if len(resp.Message) > hookapi.MaxMessage {
		t.Errorf("message of %d bytes", len(resp.Message))
	}
	if len(resp.Annotations) > MaxAnnotations {
		t.Errorf("%d annotations", len(resp.Annotations))
	}
	for _, a := range resp.Annotations {
		if a.AnnotationName == "" || a.Status == "" || a.SeverityLevel == "" || a.StatusMessage == "" {
			t.Errorf("incomplete annotation %+v", a)
		}
	}
	return resp
}

func annotated(r hookapi.Response, name string) (hookapi.Annotation, bool) {
	for _, a := range r.Annotations {
		if a.AnnotationName == name {
			return a, true
		}
	}
	return hookapi.Annotation{}, false
}

// TestRunVerdicts: one answer for the whole change set, from the real engine's verdicts.
func TestRunVerdicts(t *testing.T) {
	eval := engine(t)
	tests := []struct {
		name       string
		fns        []Function
		failOpen   bool
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		prefix     string   // the message starts with it
		inMessage  []string // and holds these
		notMessage []string
		annotation map[string]hookapi.AnnotationStatus
	}{
		{name: "all good", fns: []Function{fn("A", "good.zip"), fn("B", "good.zip")}, status: hookapi.StatusSuccess,
			prefix:     "Bootstrap Guard: the 2 Lambda functions this change set creates or updates passed.",
			annotation: map[string]hookapi.AnnotationStatus{"A/passed": hookapi.AnnotationPassed, "B/passed": hookapi.AnnotationPassed}},
		{name: "one nested among good", fns: []Function{fn("A", "good.zip"), fn("Nested", "nested.zip"), fn("C", "good.zip")},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			prefix:     "Bootstrap Guard: 1 of 3 Lambda functions in this change set will fail to start on Lambda",
			inMessage:  []string{"Nested (provided.al2023, arm64): [bootstrap-nested]", "bin/hello/bootstrap", "Fix: ", "zip -j", "2 passed."},
			annotation: map[string]hookapi.AnnotationStatus{"Nested/bootstrap-nested": hookapi.AnnotationFailed, "A/passed": hookapi.AnnotationPassed}},
		{name: "two broken", fns: []Function{fn("Nested", "nested.zip"), fn("NoExec", "noexec.zip")},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, prefix: "Bootstrap Guard: 2 of 2 Lambda functions",
			inMessage:  []string{"[bootstrap-nested]", "NoExec (provided.al2023, arm64): [bootstrap-not-executable]"},
			annotation: map[string]hookapi.AnnotationStatus{"NoExec/bootstrap-not-executable": hookapi.AnnotationFailed}},
		{name: "deferred are said, never failed", fns: []Function{fn("A", "good.zip"), deferred("Later", "Code is known only when the change set executes (Code.S3Key: "+KnownAfterApply+")")},
			status: hookapi.StatusSuccess, prefix: "Bootstrap Guard: 1 of 2 Lambda functions in this change set passed.",
			inMessage:  []string{"1 left to the check when CloudFormation provisions them", "Later (Code is known only", KnownAfterApply},
			annotation: map[string]hookapi.AnnotationStatus{"Later/" + AnnotationDeferred: hookapi.AnnotationSkipped}},
		{name: "only deferred", fns: []Function{deferred("Later", "Layers is known only when the change set executes (!Ref L)")},
			status: hookapi.StatusSuccess, inMessage: []string{"none of the 1 Lambda functions", "Later (Layers is known only"}},
		{name: "broken and deferred", fns: []Function{fn("Nested", "nested.zip"), deferred("Later", "x")},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, prefix: "Bootstrap Guard: 1 of 2", inMessage: []string{"Nested", "Later (x)"}},
		{name: "unreadable, fail-closed", fns: []Function{fn("A", "good.zip"), fn("Gone", "gone.zip")},
			status: hookapi.StatusFailed, code: hookapi.InternalFailure, prefix: "Bootstrap Guard could not decide on 1 of 2",
			inMessage:  []string{"Gone: not decided: could not read s3://assets/gone.zip (not found)", "1 passed."},
			annotation: map[string]hookapi.AnnotationStatus{"Gone/" + AnnotationUndecided: hookapi.AnnotationSkipped}},
		{name: "unreadable, fail-open", fns: []Function{fn("A", "good.zip"), fn("Gone", "gone.zip")}, failOpen: true,
			status: hookapi.StatusSuccess, prefix: "Warning (fail-open): Bootstrap Guard could not decide on 1 of 2", inMessage: []string{"gone.zip"}},
		{name: "broken beats unreadable", fns: []Function{fn("Gone", "gone.zip"), fn("Nested", "nested.zip")},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, inMessage: []string{"Nested", "Gone: not decided"}},
		{name: "no functions", status: hookapi.StatusSuccess, prefix: "Bootstrap Guard: this change set creates or updates no Lambda function."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.fns, eval, Options{FailOpen: tt.failOpen, Invocation: 1})
			if r.HookStatus != tt.status || r.ErrorCode != tt.code {
				t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
			}
			if !strings.HasPrefix(r.Message, tt.prefix) {
				t.Errorf("message does not start with %q:\n%s", tt.prefix, r.Message)
			}
			for _, s := range tt.inMessage {
				if !strings.Contains(r.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, r.Message)
				}
			}
			for name, st := range tt.annotation {
				if a, ok := annotated(r, name); !ok || a.Status != st {
					t.Errorf("annotation %s = %+v (present %v), want %s", name, a, ok, st)
				}
			}
			if r.CallbackContext != nil {
				t.Errorf("a final answer carries a callback context: %s", r.CallbackContext)
			}
		})
	}
}

// TestRunManyFunctions: 500 functions, 150 of them broken: the message stays within 4,096 bytes,
// leads with the count and names every failing function (texts first, then names only), and the
// annotations put problems first within MaxAnnotations. Checks run at most Concurrency at once.
func TestRunManyFunctions(t *testing.T) {
	eval := engine(t)
	var inFlight, peak atomic.Int64
	counting := func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		return eval(ctx, p, id)
	}
	var fns []Function
	var broken []string
	for i := range 500 {
		id := fmt.Sprintf("Function%03dServiceHandler9F8E7D6C", i)
		key := "good.zip"
		if i%10 < 3 {
			key = "nested.zip"
			broken = append(broken, id)
		}
		fns = append(fns, fn(id, key))
	}
	r := run(t, fns, counting, Options{Concurrency: 8, Invocation: 1})
	if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.NonCompliant {
		t.Fatalf("%s %s", r.HookStatus, r.ErrorCode)
	}
	if !strings.HasPrefix(r.Message, "Bootstrap Guard: 150 of 500 Lambda functions") {
		t.Errorf("message does not lead with the count:\n%s", r.Message)
	}
	for _, id := range broken[:10] {
		if !strings.Contains(r.Message, id) {
			t.Errorf("message does not name %s", id)
		}
	}
	if p := peak.Load(); p > 8 || p < 2 {
		t.Errorf("peak concurrency %d, want 2..8", p)
	}
	if got := len(r.Annotations); got != MaxAnnotations {
		t.Errorf("%d annotations, want the cap %d", got, MaxAnnotations)
	}
	if r.Annotations[0].Status != hookapi.AnnotationFailed || r.Annotations[len(r.Annotations)-1].AnnotationName != AnnotationOmitted {
		t.Errorf("annotations not ordered problems first, omission last: %+v ... %+v", r.Annotations[0], r.Annotations[len(r.Annotations)-1])
	}
	failed := 0
	for _, a := range r.Annotations {
		if a.Status == hookapi.AnnotationFailed {
			failed++
		}
	}
	if failed != 150 {
		t.Errorf("%d FAILED annotations, want one per broken function (150)", failed)
	}
}

// TestMessageFits: whatever the number and length of failing functions, the message fits and
// names as many as it can.
func TestMessageFits(t *testing.T) {
	for _, n := range []int{1, 3, 12, 40, 200, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			o := &Outcome{invocation: 1}
			for i := range n {
				o.Functions = append(o.Functions, fn(fmt.Sprintf("F%04d", i), "nested.zip"))
			}
			for i := range o.Functions {
				res := result.Result{Target: o.Functions[i].LogicalID, Runtime: "provided.al2023", Architecture: "arm64", Status: result.Fail,
					Findings: []result.Finding{{Rule: result.BootstrapNested, Severity: result.Error, Path: "bin/hello/bootstrap",
						Message: strings.Repeat("long explanation ", 20), Remediation: strings.Repeat("long fix ", 20)}}}
				o.Verdicts = append(o.Verdicts, Verdict{Function: &o.Functions[i], Result: &res})
			}
			r := o.Response()
			if len(r.Message) > hookapi.MaxMessage {
				t.Fatalf("%d bytes", len(r.Message))
			}
			if !strings.HasPrefix(r.Message, fmt.Sprintf("Bootstrap Guard: %d of %d", n, n)) {
				t.Errorf("head: %.80s", r.Message)
			}
			named := 0
			for _, f := range o.Functions {
				if strings.Contains(r.Message, f.LogicalID) {
					named++
				}
			}
			if want := min(n, 300); named < want {
				t.Errorf("names %d of %d functions, want at least %d:\n%s", named, n, want, r.Message)
			}
			if n <= 12 && !strings.Contains(r.Message, "[bootstrap-nested]") {
				t.Errorf("few failures should keep their rule and path:\n%s", r.Message)
			}
		})
	}
}

// TestInProgress: a change set that does not finish within one invocation's time answers
// IN_PROGRESS with a cursor; the next invocation (payload re-read, so the same functions)
// checks only what is left and answers for the whole change set. Never a partial SUCCESS.
func TestInProgress(t *testing.T) {
	eval := engine(t)
	var slow atomic.Bool
	slow.Store(true)
	gated := func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		if slow.Load() && strings.HasPrefix(id, "Slow") {
			<-ctx.Done() // a read that outlasts the invocation
			return result.Result{}, ctx.Err()
		}
		return eval(ctx, p, id)
	}
	fns := []Function{fn("A", "good.zip"), fn("SlowB", "good.zip"), fn("C", "good.zip"), fn("SlowD", "good.zip"), deferred("Later", "why")}
	short := func() time.Time { return time.Now().Add(300 * time.Millisecond) }

	first := run(t, fns, gated, Options{Invocation: 1, Deadline: short()})
	if first.HookStatus != hookapi.StatusInProgress || first.CallbackContext == nil || first.ErrorCode != "" {
		t.Fatalf("first: %s %q %s", first.HookStatus, first.ErrorCode, first.Message)
	}
	if !strings.Contains(first.Message, "2 still to check") {
		t.Errorf("first message: %s", first.Message)
	}
	if strings.Contains(string(first.CallbackContext), "good.zip") {
		t.Errorf("the cursor carries property values: %s", first.CallbackContext)
	}
	// Still slow on the second invocation: another IN_PROGRESS, the cursor kept.
	second := run(t, fns, gated, Options{Invocation: 2, Deadline: short(), Callback: first.CallbackContext})
	if second.HookStatus != hookapi.StatusInProgress {
		t.Fatalf("second: %s %s", second.HookStatus, second.Message)
	}
	// The third invocation is the last: still pending is decided by the fail mode, never SUCCESS.
	last := run(t, fns, gated, Options{Invocation: MaxInvocations, Deadline: short(), Callback: second.CallbackContext})
	if last.HookStatus != hookapi.StatusFailed || last.ErrorCode != hookapi.InternalFailure || !strings.Contains(last.Message, "SlowB: not checked within the hook's time") {
		t.Errorf("last: %s %s %s", last.HookStatus, last.ErrorCode, last.Message)
	}
	lastOpen := run(t, fns, gated, Options{Invocation: MaxInvocations, Deadline: short(), Callback: second.CallbackContext, FailOpen: true})
	if lastOpen.HookStatus != hookapi.StatusSuccess || !strings.HasPrefix(lastOpen.Message, "Warning (fail-open)") {
		t.Errorf("last, fail-open: %s %s", lastOpen.HookStatus, lastOpen.Message)
	}

	// Fast again: the second invocation checks only SlowB and SlowD and answers for all.
	slow.Store(false)
	var checked []string
	var mu sync.Mutex
	recording := func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		mu.Lock()
		checked = append(checked, id)
		mu.Unlock()
		return gated(ctx, p, id)
	}
	done := run(t, fns, recording, Options{Invocation: 2, Callback: first.CallbackContext})
	if done.HookStatus != hookapi.StatusSuccess || !strings.Contains(done.Message, "4 of 5") {
		t.Errorf("resumed: %s %s", done.HookStatus, done.Message)
	}
	if len(checked) != 2 {
		t.Errorf("resumed run checked %q, want only the two left", checked)
	}

	// A cursor for another set of functions is ignored: everything is checked again.
	checked = nil
	other := append([]Function{fn("Z", "good.zip")}, fns...)
	o := Run(context.Background(), other, recording, Options{Invocation: 2, Deadline: time.Now().Add(10 * time.Second), Callback: first.CallbackContext})
	if !o.Restarted || len(checked) != 5 {
		t.Errorf("restarted %v, checked %q", o.Restarted, checked)
	}
	// A broken function found before time runs out fails the change set at once.
	withBroken := append([]Function{fn("Nested", "nested.zip")}, fns...)
	slow.Store(true)
	r := run(t, withBroken, gated, Options{Invocation: 1, Deadline: short()})
	if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.NonCompliant || !strings.Contains(r.Message, "SlowB: not checked within") {
		t.Errorf("broken while pending: %s %s %s", r.HookStatus, r.ErrorCode, r.Message)
	}
}

// TestCursorDecoding: a callback context that is not this hook's cursor is ignored, never trusted.
func TestCursorDecoding(t *testing.T) {
	for _, raw := range []string{``, `null`, `{}`, `[]`, `"x"`, `{"bootstrapGuardChangeSet":{"v":2,"set":"a","done":""}}`,
		`{"bootstrapGuardChangeSet":{"v":1,"set":"a","done":"!!"}}`, `{"bootstrapGuardChangeSet":{"v":1,"set":"a","done":"","passed":-1}}`,
		`{"bootstrapGuardChangeSet":{"v":1,"set":"","done":""}}`, `{"bootstrapGuardChangeSet":{"v":1,"set":"a","done":"` + strings.Repeat("A", 9000) + `"}}`} {
		if _, ok := decodeCursor(json.RawMessage(raw)); ok {
			t.Errorf("accepted %.60s", raw)
		}
	}
	c, ok := decodeCursor(json.RawMessage(`{"bootstrapGuardChangeSet":{"v":1,"set":"a","done":"BQ","passed":2}}`))
	if !ok || !c.isDone(0) || c.isDone(1) || !c.isDone(2) || c.isDone(99) {
		t.Errorf("valid cursor: %+v %v", c, ok)
	}
}

// TestPanickingEvaluator: a check that panics is a function not decided, not a crashed hook.
func TestPanickingEvaluator(t *testing.T) {
	boom := func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		panic("index out of range")
	}
	r := run(t, []Function{fn("A", "good.zip")}, boom, Options{Invocation: 1})
	if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.InternalFailure || !strings.Contains(r.Message, "panic: index out of range") {
		t.Errorf("%s %s %s", r.HookStatus, r.ErrorCode, r.Message)
	}
}

// TestAbandonedCheck: a check that ignores its context does not hold the answer past the
// deadline; the function is pending, never passed.
func TestAbandonedCheck(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := func(ctx context.Context, p hookapi.FunctionProperties, id string) (result.Result, error) {
		<-release
		return result.Result{Status: result.Pass}, nil
	}
	o := Run(context.Background(), []Function{fn("A", "good.zip")}, stuck, Options{Invocation: MaxInvocations, Deadline: time.Now().Add(100 * time.Millisecond)})
	if len(o.Pending) != 1 || len(o.Verdicts) != 0 {
		t.Fatalf("pending %d verdicts %d", len(o.Pending), len(o.Verdicts))
	}
	if r := o.Response(); r.HookStatus != hookapi.StatusFailed {
		t.Errorf("%s: %s", r.HookStatus, r.Message)
	}
}
