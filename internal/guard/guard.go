// Package guard is the CloudFormation Lambda hook's decision: it takes a hook request, reads the
// function's code package (and layers) by byte ranges, runs the inspection engine and answers
// with a hook response. The hook's main package and the CLI's hook-event command both call
// (*Handler).Handle, so a local run takes exactly the path CloudFormation's invocation takes.
package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes/remote"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// LayerAPI is the Lambda control-plane call the hook makes; *lambda.Client satisfies it.
type LayerAPI = engine.LayerAPI

// PublishAPI is the SNS call the hook makes; *sns.Client satisfies it.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Clients are the services the hook talks to. S3 is required for packages in S3; Lambda and HTTP
// for layers; SNS only when a topic is configured.
type Clients struct {
	S3     s3read.GetObjectAPI
	Lambda LayerAPI
	SNS    PublishAPI
	SSM    remote.GetParameterAPI // reads the runtime catalogue when it is an SSM parameter
	HTTP   *http.Client           // fetches layer Content.Location URLs; nil means a default client
	// ECR authenticates image reads (ecr:GetAuthorizationToken) for PackageType: Image functions.
	ECR image.ECRTokenAPI
	// LambdaCore reads customer-managed runtime aliases (GetRuntimeAlias; cmr.go).
	LambdaCore cmr.Reader
}

// Handler answers hook requests. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	clients Clients
	engine  *engine.Engine // with the built-in catalogue
	initErr error          // the policy is not valid: every answer says so
	builtin *runtimes.Catalogue
	cats    catalogueCache
	ecrAuth *image.ECRAuth // nil without an ECR client; its token is kept across invocations
	log     *slog.Logger
	now     func() time.Time
	// decideFn is h.decide; tests replace it to reach the panic and deadline paths.
	decideFn func(context.Context, *decision)
	// processStart is when the hook's process started (zero outside the deployed hook), and
	// served whether it has answered a request yet: the first request's budget counts from
	// processStart, since CloudFormation's 30 seconds include the cold start.
	processStart time.Time
	served       atomic.Bool
}

// processStarted is set when the package initialises, as close to the process's start as Go
// code gets.
var processStarted = time.Now()

// begin returns when this request's budget starts: now, or for the first request of a process
// that started less than maxInitForBudget ago, when the process started.
func (h *Handler) begin() time.Time {
	now := h.now()
	if h.served.Swap(true) || h.processStart.IsZero() {
		return now
	}
	if init := now.Sub(h.processStart); init > 0 && init <= maxInitForBudget {
		return h.processStart
	}
	return now
}

// New returns a Handler for cfg (see ConfigFromEnv) and the given clients.
func New(cfg Config, clients Clients) *Handler {
	if cfg.FailMode == "" {
		cfg.FailMode = FailClosed
	}
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.Exemptions == "" {
		cfg.Exemptions = exemptions.Any
	}
	if clients.HTTP == nil {
		clients.HTTP = &http.Client{}
	}
	out := cfg.LogOutput
	if out == nil {
		out = os.Stderr
	}
	cfg.Catalogue = runtimes.Default()
	lifecyclePolicy(&cfg.Policy, cfg, clients) // cmr.go
	eng, err := engine.New(cfg.Policy)
	if err != nil {
		eng, _ = engine.New(engine.Policy{Catalogue: cfg.Catalogue})
	}
	h := &Handler{
		cfg:     cfg,
		clients: clients,
		engine:  eng,
		initErr: err,
		builtin: cfg.Catalogue,
		log:     slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel})),
		now:     time.Now,
	}
	if clients.ECR != nil {
		h.ecrAuth = image.NewECRAuth(clients.ECR)
	}
	h.decideFn = h.decide
	return h
}

// Invoke implements aws-lambda-go's lambda.Handler. It always answers with a well-formed hook
// response, even for a payload that is not JSON, so the runtime never reports a function error
// and CloudFormation always sees a verdict.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp, err := h.Handle(ctx, payload)
	if err != nil {
		// Handle only errors on a response it cannot build; answer anyway.
		resp = internalFailure(hookapi.ClientToken(payload), "Bootstrap Guard could not decide: "+err.Error())
	}
	resp.Clamp()
	// No HTML escaping: the message is read in the console, where \u003creason\u003e helps nobody.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return nil, fmt.Errorf("encode hook response: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decision is what one request produced, for the response and the log line.
type decision struct {
	req      hookapi.Request
	props    hookapi.FunctionProperties
	res      *result.Result // nil when nothing was evaluated
	err      error          // could not decide
	requests int
	bytes    int64
	// engine decides with the catalogue in use for this decision; nil means h.engine.
	engine *engine.Engine
	// exempt is the function's exemption tag, parsed; exemptWhole says it was honoured for the
	// whole function (nothing was read).
	exempt      *exemptions.Exemption
	exemptWhole bool
	mode        exemptions.Mode // the exemption policy in force
	catalogue   string          // the runtime catalogue used, for the log
	// codeURL is a deployed function's presigned Code.Location, read instead of Code (CheckDeployed).
	codeURL string
}

// Handle answers one hook request. The error is reserved for failures outside the decision
// (none today): every problem with the request or the package is a hook response.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (hookapi.Response, error) {
	start := h.begin()
	token := hookapi.ClientToken(raw)
	req, err := hookapi.DecodeRequest(raw)
	if err != nil {
		resp := internalFailure(token, fmt.Sprintf("Bootstrap Guard could not read the hook request: %v.", err))
		h.logDecision(ctx, decision{req: req, err: err}, resp, start)
		return resp, nil
	}
	d := decision{req: req}
	resp := h.respond(ctx, &d, start)
	resp.ClientRequestToken = req.ClientRequestToken
	// The platform team hears of every stop, and of every exemption used: either may need a word.
	if resp.HookStatus == hookapi.StatusFailed || d.exemptionUsed() {
		h.notify(ctx, &d, resp)
	}
	h.logDecision(ctx, d, resp, start)
	return resp, nil
}

// evaluated reports whether the hook checks this request's target; the reason says why not.
func evaluated(req *hookapi.Request) (bool, string) {
	switch {
	case !req.IsResource():
		return false, fmt.Sprintf("%s targets are not evaluated: packages are checked per resource", req.Type())
	case req.Type() != hookapi.TypeLambdaFunction:
		return false, fmt.Sprintf("%s is not evaluated", req.Type())
	case req.ActionInvocationPoint == hookapi.CreatePreProvision, req.ActionInvocationPoint == hookapi.UpdatePreProvision:
		return true, ""
	}
	return false, fmt.Sprintf("%s is not evaluated", req.ActionInvocationPoint)
}

func (h *Handler) respond(ctx context.Context, d *decision, start time.Time) hookapi.Response {
	req := &d.req
	id := req.RequestData.TargetLogicalID
	if req.Type() == hookapi.TargetChangeSet {
		if h.initErr != nil {
			return h.misconfigured(d)
		}
		return h.respondChangeSet(ctx, d, start)
	}
	if ok, why := evaluated(req); !ok {
		return hookapi.Response{HookStatus: hookapi.StatusSuccess, Message: "Bootstrap Guard: " + why + "."}
	}
	if h.initErr != nil {
		return h.misconfigured(d)
	}
	// Two deadlines: the decision's context ends a little early so that a slow read fails as a
	// read error (and the fail mode applies); the hard deadline answers even if the decision is
	// stuck somewhere that ignores its context.
	hard := h.deadline(ctx, start)
	soft := hard.Add(-min(500*time.Millisecond, hard.Sub(start)/10))
	dctx, cancel := context.WithDeadline(ctx, soft)
	defer cancel()

	model := req.RequestData.TargetModel
	if !model.HasProperties() {
		// A function being created or updated always has properties (Code at least). When they
		// are not inline they are behind requestData.payload, which AWS's hook libraries fetch
		// whenever targetModel is missing or empty (the hook also does when only
		// resourceProperties is: inferred); with neither, a pass would be a guess.
		if req.RequestData.Payload == "" {
			d.err = errors.New("the request carries no targetModel properties and no payload URL")
			return h.unobtainable(id, d.err)
		}
		m, err := h.fetchModel(dctx, d)
		if err != nil {
			d.err = err
			return h.unobtainable(id, err)
		}
		model = m
	}
	props, err := model.FunctionProperties()
	if err != nil {
		d.err = err
		return internalFailure("", fmt.Sprintf("%s: Bootstrap Guard could not read the function's properties: %v.", id, err))
	}
	d.props = props
	if ex, ok := exemptionOf(&props); ok {
		d.exempt, d.mode = &ex, h.cfg.Exemptions // for the log and the notification
	}
	cat := h.catalogue(ctx)
	d.engine, d.catalogue = cat.engine, cat.describe()
	done := make(chan decision, 1)
	out := *d // the goroutine owns its copy: after the hard deadline nobody waits for it
	go func() {
		defer func() {
			if p := recover(); p != nil {
				out.res, out.err = nil, &panicError{value: p, stack: debug.Stack()}
				done <- out
			}
		}()
		h.decideFn(dctx, &out)
		done <- out
	}()
	timer := time.NewTimer(time.Until(hard))
	defer timer.Stop()
	select {
	case out := <-done:
		*d = out
	case <-timer.C:
		d.err = fmt.Errorf("no verdict within the hook's budget of %s", hard.Sub(start).Round(time.Millisecond))
		return internalFailure("", fmt.Sprintf("%s: Bootstrap Guard could not decide in time (%v). Retry the operation; if it persists, check that the hook can reach S3 quickly, or %s.", id, d.err, h.exemptAdvice()))
	}
	var pe *panicError
	switch {
	case errors.As(d.err, &pe):
		return internalFailure("", fmt.Sprintf("%s: Bootstrap Guard hit an internal error while checking this function (%v). This is a bug in the hook; to proceed, %s.", id, pe.value, h.exemptAdvice()))
	case h.now().After(hard):
		// Never a late SUCCESS: past the budget, the answer may already be too late to matter.
		d.err = fmt.Errorf("verdict came after the hook's budget")
		return internalFailure("", fmt.Sprintf("%s: Bootstrap Guard could not decide in time. Retry the operation, or %s.", id, h.exemptAdvice()))
	case d.err != nil:
		return h.unreadable(id, &d.props, d.err)
	case d.res.Exempted != nil && d.exempt != nil:
		d.exemptWhole = true
		return exemptResponse(id, *d.exempt)
	}
	resp := Render(*d.res)
	cat.annotate(&resp)
	return resp
}

// misconfigured answers every evaluated target of a Handler whose policy is not valid (New was
// given one ConfigFromEnv would have refused): nothing can be decided under it.
func (h *Handler) misconfigured(d *decision) hookapi.Response {
	d.err = h.initErr
	return internalFailure("", fmt.Sprintf("Bootstrap Guard is misconfigured (%v); fix the hook's configuration.", h.initErr))
}

// deadline is when the answer must be ready: the Lambda deadline less a margin, and never more
// than the budget after start.
func (h *Handler) deadline(ctx context.Context, start time.Time) time.Time {
	hard := start.Add(h.cfg.Budget)
	if dl, ok := ctx.Deadline(); ok {
		left := dl.Sub(start)
		margin := h.cfg.Margin
		if margin <= 0 {
			margin = min(DefaultMargin, left/5)
		}
		if t := dl.Add(-margin); t.Before(hard) {
			hard = t
		}
	}
	return hard
}

type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

func internalFailure(token, msg string) hookapi.Response {
	return hookapi.Response{HookStatus: hookapi.StatusFailed, ErrorCode: hookapi.InternalFailure, Message: truncate(msg, hookapi.MaxMessage), ClientRequestToken: token}
}

// lambdaRequestID is the invocation's request ID, for correlating the log line with the
// Lambda's own logs.
func lambdaRequestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
