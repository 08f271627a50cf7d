package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/changeset"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// ChangeSetAnnotation names the annotation of a change set whose payload could not be obtained
// (fail-open only: fail-closed answers FAILED/InternalFailure).
const ChangeSetAnnotation = "change-set-unavailable"

// respondChangeSet answers a CHANGE_SET target: CloudFormation calls it during CreateChangeSet, and
// a FAILED answer marks the change set FAILED so that it can never be executed (CloudFormation
// Hooks User Guide, "Evaluating change set operations with Lambda Hooks"). The payload is fetched
// under the same URL policy and fail mode as a resource's; each Lambda function it creates or
// updates is checked by checkFunction, the RESOURCE target's path; internal/changeset aggregates.
func (h *Handler) respondChangeSet(ctx context.Context, d *decision, start time.Time) hookapi.Response {
	req := &d.req
	hard := h.deadline(ctx, start)
	soft := hard.Add(-min(500*time.Millisecond, hard.Sub(start)/10))
	dctx, cancel := context.WithDeadline(ctx, soft)
	defer cancel()

	p, err := h.changeSetPayload(dctx, d)
	if err != nil {
		d.err = err
		return h.changeSetUnobtainable(err)
	}
	fns := p.Functions(changeset.Request{AccountID: req.AWSAccountID, StackID: req.StackID, ChangeSetID: req.ChangeSetID})
	actions := make(map[string]hookapi.InvocationPoint, len(fns))
	for _, f := range fns {
		actions[f.LogicalID] = hookapi.CreatePreProvision
		if f.Action == changeset.ActionUpdate {
			actions[f.LogicalID] = hookapi.UpdatePreProvision
		}
	}
	var cat catalogueState
	for _, f := range fns {
		if f.Deferred == "" {
			// Read (or reuse) the runtime catalogue only when a function is to be checked.
			cat = h.catalogue(ctx)
			d.catalogue = cat.describe()
			break
		}
	}
	var requests, bytes atomic.Int64
	eval := func(ctx context.Context, props hookapi.FunctionProperties, id string) (result.Result, error) {
		fd := decision{req: *req, props: props, engine: cat.engine}
		fd.req.RequestData = hookapi.RequestData{TargetName: hookapi.TypeLambdaFunction, TargetType: hookapi.TypeLambdaFunction, TargetLogicalID: id}
		fd.req.ActionInvocationPoint = actions[id]
		res, err := h.checkFunction(ctx, &fd)
		requests.Add(int64(fd.requests))
		bytes.Add(fd.bytes)
		return res, err
	}
	out := changeset.Run(dctx, fns, eval, changeset.Options{
		Deadline:   soft,
		FailOpen:   h.cfg.FailMode == FailOpen,
		Invocation: int(req.RequestContext.Invocation),
		Callback:   req.RequestContext.CallbackContext,
	})
	d.requests += int(requests.Load())
	d.bytes += bytes.Load()
	resp := out.Response()
	if h.now().After(hard) && resp.HookStatus != hookapi.StatusFailed {
		// Never a late SUCCESS (nor a late IN_PROGRESS): past the budget the answer may come too late.
		d.err = errors.New("verdict came after the hook's budget")
		return h.changeSetUnobtainable(d.err)
	}
	if resp.HookStatus != hookapi.StatusInProgress && cat.engine != nil {
		cat.annotate(&resp)
	}
	h.logChangeSet(ctx, out)
	return resp
}

// checkFunction checks one function of a change set exactly as respond checks a RESOURCE target:
// decideFn gathers its sources and the engine decides (a whole-function exemption honoured by the
// policy skips it unread; per-rule exemptions apply to the findings). A function that could not
// be decided returns an error whose text is what the RESOURCE answer would say (what could not be
// read, why, and the fix), without the logical ID (the caller names the function).
func (h *Handler) checkFunction(ctx context.Context, d *decision) (result.Result, error) {
	p := &d.props
	id := d.req.RequestData.TargetLogicalID
	if ex, ok := exemptionOf(p); ok {
		d.exempt, d.mode = &ex, h.cfg.Exemptions // for the log
	}
	h.decideFn(ctx, d)
	if d.err != nil {
		if ctx.Err() != nil {
			return result.Result{}, ctx.Err() // out of time: the function is pending, not undecided
		}
		msg := h.unreadable(id, p, d.err).Message
		msg = strings.TrimPrefix(msg, "Warning (fail-open): ")
		return result.Result{}, errors.New(strings.TrimPrefix(msg, id+": "))
	}
	if d.res == nil {
		return result.Result{}, errors.New("no verdict")
	}
	return *d.res, nil
}

// changeSetPayload returns the change set: inline when the request carries changedResources in
// targetModel (as the registry libraries' fixtures do), otherwise fetched from requestData.payload
// under the URL policy, capped at changeset.MaxPayload, within ctx.
func (h *Handler) changeSetPayload(ctx context.Context, d *decision) (*changeset.Payload, error) {
	if m := d.req.RequestData.TargetModel; m != nil && len(m.ChangedResources) > 0 && string(m.ChangedResources) != "null" {
		b := append(append([]byte(`{"changedResources":`), m.ChangedResources...), '}')
		p, err := changeset.Decode(b)
		if err != nil {
			return nil, &payloadError{err}
		}
		return p, nil
	}
	if d.req.RequestData.Payload == "" {
		return nil, errors.New("the request carries no changedResources and no payload URL")
	}
	b, err := s3read.Fetch(ctx, h.clients.HTTP, d.req.RequestData.Payload, "the change set (requestData.payload)", h.cfg.URLs, changeset.MaxPayload)
	d.requests++
	d.bytes += int64(len(b))
	if err != nil {
		return nil, &payloadError{err}
	}
	p, err := changeset.Decode(b)
	if err != nil {
		return nil, &payloadError{err}
	}
	return p, nil
}

// changeSetUnobtainable answers a change set that could not be read (or answered in time), by the
// fail mode: never a plain SUCCESS, since nothing was checked.
func (h *Handler) changeSetUnobtainable(err error) hookapi.Response {
	reason := redact(err.Error())
	var pe *payloadError
	if errors.As(err, &pe) {
		reason = "fetching requestData.payload: " + why(pe.err)
		if errors.Is(pe.err, s3read.ErrTooLarge) {
			reason = fmt.Sprintf("fetching requestData.payload: larger than the hook reads (%d MiB)", changeset.MaxPayload>>20)
		}
		if errors.Is(pe.err, changeset.ErrPayload) {
			reason = "reading requestData.payload: " + redact(pe.err.Error())
		}
	}
	msg := fmt.Sprintf("Bootstrap Guard could not read the change set from CloudFormation (%s), so it cannot tell whether Lambda will be able to start its functions. Retry the operation; if it persists, the hook's log line has the cause.", reason)
	if h.cfg.FailMode == FailOpen {
		return hookapi.Response{
			HookStatus: hookapi.StatusSuccess,
			Message:    truncate("Warning (fail-open): "+msg+" Each function is still checked when CloudFormation provisions it.", hookapi.MaxMessage),
			Annotations: []hookapi.Annotation{{
				AnnotationName:     ChangeSetAnnotation,
				Status:             hookapi.AnnotationSkipped,
				SeverityLevel:      hookapi.SeverityMedium,
				StatusMessage:      truncate(fmt.Sprintf("Not checked: the change set could not be read (%s). Allowed because the hook runs fail-open.", reason), maxAnnotationText),
				RemediationMessage: "Retry the operation to have the change set checked.",
			}},
		}
	}
	return internalFailure("", msg)
}

// logChangeSet writes one line with every function's verdict (the answer may leave some out).
func (h *Handler) logChangeSet(ctx context.Context, o *changeset.Outcome) {
	var failed, passed, skipped, undecided, deferred, pending []string
	for _, v := range o.Verdicts {
		switch {
		case v.Err != nil || v.Result == nil:
			undecided = append(undecided, v.Function.LogicalID)
		case v.Result.Status == result.Fail:
			failed = append(failed, v.Function.LogicalID)
		case v.Result.Status == result.Skip:
			skipped = append(skipped, v.Function.LogicalID)
		default:
			passed = append(passed, v.Function.LogicalID)
		}
	}
	for _, f := range o.Functions {
		if f.Deferred != "" {
			deferred = append(deferred, f.LogicalID)
		}
	}
	for _, f := range o.Pending {
		pending = append(pending, f.LogicalID)
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "change set",
		slog.Int("functions", len(o.Functions)),
		slog.Any("failed", nonNil(failed)), slog.Any("passed", nonNil(passed)), slog.Any("skipped", nonNil(skipped)),
		slog.Any("undecided", nonNil(undecided)), slog.Any("deferred", nonNil(deferred)), slog.Any("pending", nonNil(pending)),
		slog.Int("earlierPassed", o.Earlier.Passed), slog.Bool("cursorRestarted", o.Restarted))
}
