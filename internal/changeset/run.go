package changeset

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Evaluator checks one function exactly as the RESOURCE target would check it (same engine,
// policy and exemptions) and returns its verdict, or an error when it could not decide (a package
// that could not be read, say: the error's text says what and how to fix it). It must honour
// ctx's deadline.
type Evaluator func(ctx context.Context, p hookapi.FunctionProperties, logicalID string) (result.Result, error)

// DefaultConcurrency is how many functions are checked at once. Each check is a few ranged GETs
// and little CPU; 32 keeps a 2-vCPU hook busy without holding more than 32 packages' central
// directories in memory at a time.
const DefaultConcurrency = 32

// MaxInvocations is the invocation (requestContext.invocation, counting from 1) from which the
// answer must be final. CloudFormation calls a hook that answers IN_PROGRESS again, at most 3
// times (CloudFormation Hooks User Guide, "Timeout and retry limits"); counting whether the first
// call is one of the three is not documented, so the hook answers IN_PROGRESS at most twice
// (inferred, the safe reading).
const MaxInvocations = 3

// Options bound one run.
type Options struct {
	// Deadline is when the verdicts must be in: checks still running then are left for the
	// next invocation (or, on the last one, answered by the fail mode).
	Deadline time.Time
	// Concurrency is how many functions are checked at once; 0 means DefaultConcurrency.
	Concurrency int
	// FailOpen answers SUCCESS with a warning when some functions could not be decided; the
	// default answers FAILED/InternalFailure, as the RESOURCE target does.
	FailOpen bool
	// Invocation is requestContext.invocation (0 or 1 on the first call).
	Invocation int
	// Callback is requestContext.callbackContext: the cursor of an earlier IN_PROGRESS answer.
	Callback json.RawMessage
}

// Verdict is one function's outcome in this invocation.
type Verdict struct {
	Function *Function
	Result   *result.Result // nil when Err is set
	Err      error
}

// Outcome is what a run produced: enough to answer CloudFormation and to log.
type Outcome struct {
	Functions []Function
	// Verdicts holds the functions checked in this invocation, in payload order.
	Verdicts []Verdict
	// Pending are functions not decided in time (nor in earlier invocations).
	Pending []*Function
	// Earlier counts what earlier invocations of the same run settled.
	Earlier cursor
	// Restarted says an earlier cursor did not match this change set and was ignored.
	Restarted  bool
	failOpen   bool
	invocation int
	digest     string
}

// Run checks the functions that are not deferred, concurrently, until all are decided or the
// deadline passes, skipping those an earlier invocation (per the cursor) already passed. It never
// waits past opts.Deadline: a check that ignores its context is abandoned, its verdict unused.
func Run(ctx context.Context, fns []Function, eval Evaluator, opts Options) *Outcome {
	out := &Outcome{Functions: fns, failOpen: opts.FailOpen, invocation: opts.Invocation, digest: digest(fns)}
	cur, ok := decodeCursor(opts.Callback)
	switch {
	case !ok:
	case cur.Set != out.digest:
		out.Restarted = true
	default:
		out.Earlier = cur
	}
	var todo []int
	for i := range fns {
		if fns[i].Deferred == "" && !out.Earlier.isDone(i) {
			todo = append(todo, i)
		}
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	dctx, cancel := context.WithDeadline(ctx, opts.Deadline)
	defer cancel()
	type done struct {
		i int
		v Verdict
	}
	results := make(chan done, len(todo)) // buffered: an abandoned check never blocks
	sem := make(chan struct{}, conc)
	go func() {
		for _, i := range todo {
			select {
			case sem <- struct{}{}:
			case <-dctx.Done():
				return
			}
			go func() {
				defer func() { <-sem }()
				fn := &fns[i]
				v := Verdict{Function: fn}
				defer func() {
					if p := recover(); p != nil {
						v.Result, v.Err = nil, fmt.Errorf("internal error while checking it (panic: %v); this is a bug in the hook", p)
						results <- done{i, v}
					}
				}()
				res, err := eval(dctx, fn.Props, fn.LogicalID)
				if err != nil {
					if dctx.Err() != nil {
						return // out of time: pending, not undecided
					}
					v.Err = err
				} else {
					v.Result = &res
				}
				results <- done{i, v}
			}()
		}
	}()
	got := make(map[int]Verdict, len(todo))
	timer := time.NewTimer(time.Until(opts.Deadline))
	defer timer.Stop()
collect:
	for len(got) < len(todo) {
		select {
		case d := <-results:
			got[d.i] = d.v
		case <-timer.C:
			break collect
		case <-ctx.Done():
			break collect
		}
	}
	for _, i := range todo {
		if v, ok := got[i]; ok {
			out.Verdicts = append(out.Verdicts, v)
		} else {
			out.Pending = append(out.Pending, &fns[i])
		}
	}
	return out
}

// digest identifies the set of functions a cursor applies to: the payload is fetched again on
// every invocation, and a cursor is honoured only for the same functions in the same order.
func digest(fns []Function) string {
	h := sha256.New()
	for _, f := range fns {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", f.LogicalID, f.Action, f.Deferred)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// cursor is the callbackContext of an IN_PROGRESS answer: which functions earlier invocations
// settled (passed or skipped by design), as a bitmap over the payload-ordered list, and counts
// for the final message. It holds no URL and no property value.
type cursor struct {
	V       int      `json:"v"`
	Set     string   `json:"set"`
	Done    string   `json:"done"` // base64url bitmap, bit i = function i settled
	Passed  int      `json:"passed"`
	Skipped int      `json:"skipped"`
	Warned  []string `json:"warned,omitempty"` // logical IDs that passed with warnings (at most maxWarned)
	bits    []byte
}

const (
	cursorKey     = "bootstrapGuardChangeSet"
	maxCursor     = 8 << 10
	maxWarned     = 20
	cursorVersion = 1
)

func (c *cursor) isDone(i int) bool {
	return i/8 < len(c.bits) && c.bits[i/8]&(1<<(i%8)) != 0
}

func (c *cursor) mark(i int) {
	for len(c.bits) <= i/8 {
		c.bits = append(c.bits, 0)
	}
	c.bits[i/8] |= 1 << (i % 8)
}

// decodeCursor reads a callbackContext; anything that is not this hook's cursor is ignored (a
// fresh run re-checks everything, which is always safe).
func decodeCursor(raw json.RawMessage) (cursor, bool) {
	if len(raw) == 0 || len(raw) > maxCursor {
		return cursor{}, false
	}
	var wrap map[string]json.RawMessage
	if json.Unmarshal(raw, &wrap) != nil {
		return cursor{}, false
	}
	var c cursor
	if json.Unmarshal(wrap[cursorKey], &c) != nil || c.V != cursorVersion || c.Set == "" {
		return cursor{}, false
	}
	bits, err := base64.RawURLEncoding.DecodeString(c.Done)
	if err != nil || len(bits) > MaxChanges/8+1 || c.Passed < 0 || c.Skipped < 0 || len(c.Warned) > maxWarned {
		return cursor{}, false
	}
	c.bits = bits
	return c, true
}

// next is the cursor an IN_PROGRESS answer carries: the earlier one plus what this invocation
// settled.
func (o *Outcome) next() json.RawMessage {
	c := o.Earlier
	c.V, c.Set = cursorVersion, o.digest
	c.bits = append([]byte(nil), c.bits...)
	for _, v := range o.Verdicts {
		if v.Err != nil || v.Result == nil || v.Result.Status == result.Fail {
			continue
		}
		c.mark(o.index(v.Function))
		if v.Result.Status == result.Skip {
			c.Skipped++
			continue
		}
		c.Passed++
		if warned(v.Result) && len(c.Warned) < maxWarned {
			c.Warned = append(c.Warned, v.Function.LogicalID)
		}
	}
	c.Done = base64.RawURLEncoding.EncodeToString(c.bits)
	b, _ := json.Marshal(map[string]cursor{cursorKey: c})
	return b
}

func (o *Outcome) index(f *Function) int {
	for i := range o.Functions {
		if &o.Functions[i] == f {
			return i
		}
	}
	return -1
}
