package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
)

// decide gathers the function's sources and has the engine evaluate it. It fills d.res, or d.err
// when the hook could not decide (a *source.Error says what could not be read).
func (h *Handler) decide(ctx context.Context, d *decision) {
	p := &d.props
	r := h.resolver()
	defer func() {
		n, b := r.Stats()
		d.requests += n
		d.bytes += b
	}()
	fn := engine.Function{Function: function(d)}
	if v, ok := p.Tag(exemptions.Tag); ok {
		fn.Tags = map[string]string{exemptions.Tag: v}
	}
	if fn.PackageType == inspect.PackageImage {
		// The image's manifest and config blob: with the ECR token for an ECR registry, three
		// requests to the registry plus its /v2/ ping, and never a layer. Lambda resolves a tag
		// when the function is created; the verdict names the digest read, and a tag that moves
		// during the check is a read error, not a verdict.
		fn.Image = r.ImageURI(string(p.Code.ImageURI), image.Overrides{
			EntryPoint:       p.ImageConfig.EntryPoint,
			Command:          p.ImageConfig.Command,
			WorkingDirectory: string(p.ImageConfig.WorkingDirectory),
		})
	}
	eng := d.engine
	if eng == nil {
		eng = h.engine
	}
	// An exempt function is not read: the engine decides on its tag alone.
	if !eng.ExemptWhole(fn.Tags) && fn.Image == nil {
		c := p.Code
		code, layers, err := r.Code(ctx, func(ctx context.Context) (inspect.Source, error) {
			switch {
			case d.codeURL != "":
				// A deployed function (CheckDeployed): GetFunction's presigned Code.Location.
				return r.URL(ctx, d.codeURL, "the deployed code of "+fn.Target)
			case c.S3Bucket != "" || c.S3Key != "":
				return r.S3Object(ctx, string(c.S3Bucket), string(c.S3Key), string(c.S3ObjectVersion))
			case c.ZipFile != "":
				return inspect.Source{Name: "inline code (Code.ZipFile)", Inline: true}, nil
			}
			// No code at all: the engine treats an empty source as a package it cannot see into.
			return inspect.Source{Name: "no Code.S3Bucket/S3Key or Code.ZipFile"}, nil
		}, p.Layers)
		if err != nil {
			d.err = err
			return
		}
		fn.Code, fn.Layers = code, layers
	}
	res, err := eng.Evaluate(ctx, fn)
	if err != nil {
		d.err = err
		return
	}
	d.res = &res
}

// resolver is the source layer with the hook's clients, for one decision.
func (h *Handler) resolver() *engine.Resolver {
	r := &engine.Resolver{S3: h.clients.S3, Lambda: h.clients.Lambda, HTTP: h.clients.HTTP, URLs: h.cfg.URLs,
		Insecure: h.cfg.InsecureRegistries, InsecureAsECR: true}
	if h.ecrAuth != nil {
		r.ECR = func(context.Context) (*image.ECRAuth, error) { return h.ecrAuth, nil }
	}
	return r
}

// function is what the engine is told about the target before its sources are opened.
func function(d *decision) inspect.Function {
	p := &d.props
	fn := inspect.Function{
		Target:       d.req.RequestData.TargetLogicalID,
		Runtime:      string(p.Runtime),
		Handler:      string(p.Handler),
		Architecture: p.Architecture(),
		PackageType:  string(p.PackageType),
		Env:          p.Env(), // Environment.Variables, for the checks of AWS_LAMBDA_EXEC_WRAPPER and the like
		Action:       inspect.Create,
	}
	if d.req.ActionInvocationPoint == hookapi.UpdatePreProvision {
		fn.Action = inspect.Update
	}
	customRuntimeFunction(&fn, p) // cmr.go
	return fn
}

// why turns a read error into words a user can act on.
func why(err error) string {
	if errors.Is(err, s3read.ErrTooLarge) {
		return fmt.Sprintf("larger than the hook reads (%d MiB)", MaxPayload>>20)
	}
	return engine.Why(err)
}

// unreadable answers a request whose package could not be read, by the fail mode. The message
// and the annotation name the object, the cause and the fix: for a denied read, the exact
// statement the hook function's role lacks or the policy that denies it.
func (h *Handler) unreadable(id string, p *hookapi.FunctionProperties, err error) hookapi.Response {
	re := source.As(err)
	if re != nil && re.Kind == source.KindUnknown {
		re = nil // a read during the check: the package's name is in the error's text
	}
	var what, grant string
	if re != nil {
		what = re.Source
		switch {
		case re.Kind == source.KindImage:
			grant = imageGrant(re)
		case re.Kind == source.KindLayer:
			grant = fmt.Sprintf("grant the hook function's role lambda:GetLayerVersion on %s (and the layer's owner must share it with this account)", re.Source)
		case errors.Is(err, s3read.ErrNotFound):
			grant = fmt.Sprintf("check that the object exists in bucket %s (a deployment that uploads it later than the stack operation cannot be checked); S3 reports a missing object as not found only to a reader allowed s3:ListBucket, otherwise as access denied", re.Bucket)
		case errors.Is(err, s3read.ErrAccessDenied):
			grant = deniedFix(denialOf(err), h.cfg.Region, re.Bucket, re.Key)
		default:
			grant = fmt.Sprintf("let the hook function's role read %s: %s", re.Source, readStatement(h.cfg.Region, re.Bucket, re.Key))
		}
	} else {
		what = "the code package"
		grant = "grant the hook function's role s3:GetObject on the package's bucket"
	}
	reason := why(err)
	if re != nil {
		reason = why(re.Err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		grant = "retry the operation; if it persists, check that the hook reaches S3 quickly (a VPC without an S3 endpoint is slow or blocked)"
		if re != nil && re.Kind == source.KindImage {
			grant = "retry the operation; if it persists, check that the hook reaches ECR quickly (a VPC needs the ecr.api and ecr.dkr endpoints and S3 for ECR's layer storage)"
		}
	}
	msg := fmt.Sprintf("%s: Bootstrap Guard could not read %s (%s), so it cannot tell whether Lambda will be able to start the function. To fix: %s; or %s.",
		id, what, reason, grant, h.exemptAdvice())
	ann := hookapi.Annotation{
		AnnotationName:     ReadErrorAnnotation,
		Status:             hookapi.AnnotationSkipped,
		SeverityLevel:      hookapi.SeverityHigh,
		StatusMessage:      truncate(fmt.Sprintf("Not checked: could not read %s (%s).", what, reason), maxAnnotationText),
		RemediationMessage: truncate(fmt.Sprintf("To fix: %s; or %s.", grant, h.exemptAdvice()), maxAnnotationText),
	}
	if h.cfg.FailMode == FailOpen {
		ann.SeverityLevel = hookapi.SeverityMedium
		ann.StatusMessage = truncate(fmt.Sprintf("Not checked: could not read %s (%s). Allowed because the hook runs fail-open.", what, reason), maxAnnotationText)
		return hookapi.Response{
			HookStatus:  hookapi.StatusSuccess,
			Message:     truncate("Warning (fail-open): "+msg, hookapi.MaxMessage),
			Annotations: []hookapi.Annotation{ann},
		}
	}
	resp := internalFailure("", msg)
	resp.Annotations = []hookapi.Annotation{ann}
	return resp
}

// fetchModel reads the target model CloudFormation put behind requestData.payload, under the URL
// policy and MaxPayload, within ctx (the decision's deadline).
func (h *Handler) fetchModel(ctx context.Context, d *decision) (*hookapi.TargetModel, error) {
	b, err := s3read.Fetch(ctx, h.clients.HTTP, d.req.RequestData.Payload, "the hook payload (requestData.payload)", h.cfg.URLs, MaxPayload)
	d.requests++
	d.bytes += int64(len(b))
	if err != nil {
		return nil, &payloadError{err}
	}
	m, err := hookapi.DecodeTargetModel(b)
	if err != nil {
		return nil, &payloadError{err}
	}
	if !m.HasProperties() {
		return nil, &payloadError{errors.New("it holds no resourceProperties")}
	}
	return m, nil
}

// payloadError is a failure to obtain the target model from requestData.payload.
type payloadError struct{ err error }

func (e *payloadError) Error() string { return "requestData.payload: " + e.err.Error() }
func (e *payloadError) Unwrap() error { return e.err }

// unobtainable answers a Lambda-function target whose properties could not be obtained (none
// inline, and the payload URL missing or unreadable), by the fail mode: never a plain SUCCESS,
// since nothing was checked.
func (h *Handler) unobtainable(id string, err error) hookapi.Response {
	reason := redact(err.Error())
	var pe *payloadError
	if errors.As(err, &pe) {
		reason = "fetching requestData.payload: " + why(pe.err)
	}
	msg := fmt.Sprintf("%s: Bootstrap Guard could not obtain the function's properties from CloudFormation (%s), so it cannot tell whether Lambda will be able to start the function. Retry the operation; if it persists, the hook's log line has the cause.",
		id, reason)
	if h.cfg.FailMode == FailOpen {
		return hookapi.Response{
			HookStatus: hookapi.StatusSuccess,
			Message:    truncate("Warning (fail-open): "+msg, hookapi.MaxMessage),
			Annotations: []hookapi.Annotation{{
				AnnotationName:     PropertiesAnnotation,
				Status:             hookapi.AnnotationSkipped,
				SeverityLevel:      hookapi.SeverityMedium,
				StatusMessage:      truncate(fmt.Sprintf("Not checked: the function's properties could not be obtained (%s). Allowed because the hook runs fail-open.", reason), hookapi.MaxAnnotationStatusMsg),
				RemediationMessage: "Retry the operation to have the function checked.",
			}},
		}
	}
	return internalFailure("", msg)
}

// redact drops the query string of any URL in s: presigned URLs carry credentials.
func redact(s string) string { return engine.Redact(s) }
