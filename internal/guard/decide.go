package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// readError says which source could not be read, so the message can say what access to grant.
type readError struct {
	source string // s3://bucket/key or a layer ARN
	bucket string // set for the function's own package
	key    string
	layer  bool
	// Set for a container image: the repository, and the ECR account and Region when known;
	// notECR when the registry is not ECR (Lambda cannot pull from it anyway).
	image, notECR         bool
	repo, account, region string
	err                   error
}

func (e *readError) Error() string { return fmt.Sprintf("read %s: %v", e.source, e.err) }
func (e *readError) Unwrap() error { return e.err }

// decide reads the function's sources and runs the engine. It fills d.res, or d.err when the hook
// could not decide.
func (h *Handler) decide(ctx context.Context, d *decision) {
	p := &d.props
	fn := function(d)
	var readers []*rangeread.Reader
	defer func() {
		for _, r := range readers {
			if r != nil {
				s := r.Stats()
				d.requests += s.Requests
				d.bytes += s.Bytes
			}
		}
	}()
	if fn.PackageType == inspect.PackageImage {
		h.decideImage(ctx, d, fn)
		return
	}
	if fn.PackageType != inspect.PackageImage {
		// The function's package and its layers are opened at once: each open is one round trip
		// (the tail of the zip), and layers first need a Lambda API call.
		readers = make([]*rangeread.Reader, 1+len(p.Layers))
		errs := make([]error, 1+len(p.Layers))
		fn.Layers = make([]inspect.Source, len(p.Layers))
		var wg sync.WaitGroup
		wg.Go(func() {
			if d.codeURL != "" {
				fn.Code, readers[0], errs[0] = h.openCodeURL(ctx, d.codeURL, fn.Target)
				return
			}
			fn.Code, readers[0], errs[0] = h.openCode(ctx, p.Code)
		})
		for i, arn := range p.Layers {
			wg.Go(func() {
				fn.Layers[i], readers[i+1], errs[i+1] = h.openLayer(ctx, arn)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			d.err = err
			return
		}
	}
	checker := d.checker
	if checker == nil {
		checker = h.checker
	}
	res, err := checker.Check(ctx, fn)
	if err != nil {
		d.err = err
		return
	}
	d.res = &res
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

// openCode returns the function's own package as an inspect.Source.
func (h *Handler) openCode(ctx context.Context, c hookapi.Code) (inspect.Source, *rangeread.Reader, error) {
	switch {
	case c.S3Bucket != "" || c.S3Key != "":
		bucket, key, version := string(c.S3Bucket), string(c.S3Key), string(c.S3ObjectVersion)
		name := "s3://" + bucket + "/" + key
		if version != "" {
			name += " (version " + version + ")"
		}
		if h.clients.S3 == nil {
			return inspect.Source{}, nil, &readError{source: name, bucket: bucket, key: key, err: errors.New("no S3 client configured")}
		}
		r, err := s3read.Open(ctx, h.clients.S3, bucket, key, version, rangeread.Options{})
		if err != nil {
			return inspect.Source{}, nil, &readError{source: name, bucket: bucket, key: key, err: err}
		}
		return inspect.Source{Name: name, ReaderAt: r, Size: r.Size()}, r, nil
	case c.ZipFile != "":
		return inspect.Source{Name: "inline code (Code.ZipFile)", Inline: true}, nil, nil
	}
	// No code at all: the engine treats an empty source as a package it cannot see into.
	return inspect.Source{Name: "no Code.S3Bucket/S3Key or Code.ZipFile"}, nil, nil
}

// openLayer resolves a layer version ARN to its package and opens it by byte ranges.
func (h *Handler) openLayer(ctx context.Context, arn string) (inspect.Source, *rangeread.Reader, error) {
	fail := func(err error) (inspect.Source, *rangeread.Reader, error) {
		return inspect.Source{}, nil, &readError{source: arn, layer: true, err: err}
	}
	if h.clients.Lambda == nil {
		return fail(errors.New("no Lambda client configured"))
	}
	out, err := h.clients.Lambda.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(arn)})
	if err != nil {
		return fail(fmt.Errorf("get layer version: %w", err))
	}
	if out.Content == nil || aws.ToString(out.Content.Location) == "" {
		return fail(errors.New("get layer version: no Content.Location in the answer"))
	}
	r, err := s3read.OpenURL(ctx, h.clients.HTTP, aws.ToString(out.Content.Location), arn, h.cfg.URLs, rangeread.Options{})
	if err != nil {
		return fail(err)
	}
	return inspect.Source{Name: arn, ReaderAt: r, Size: r.Size()}, r, nil
}

// why turns a read error into words a user can act on.
func why(err error) string {
	if s := whyImage(err); s != "" {
		return s
	}
	switch {
	case errors.Is(err, s3read.ErrAccessDenied):
		return "access denied"
	case errors.Is(err, s3read.ErrNotFound):
		return "not found"
	case errors.Is(err, s3read.ErrChanged):
		return "the object was replaced while it was being read"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, s3read.ErrURL):
		return "its URL is not HTTPS on an AWS S3 host, so the hook will not fetch it"
	case errors.Is(err, s3read.ErrTooLarge):
		return fmt.Sprintf("larger than the hook reads (%d MiB)", MaxPayload>>20)
	}
	return redact(err.Error())
}

// unreadable answers a request whose package could not be read, by the fail mode. The message
// and the annotation name the object, the cause and the fix: for a denied read, the exact
// statement the hook function's role lacks or the policy that denies it.
func (h *Handler) unreadable(id string, p *hookapi.FunctionProperties, err error) hookapi.Response {
	var re *readError
	var what, grant string
	if errors.As(err, &re) {
		what = re.source
		switch {
		case re.image:
			grant = imageGrant(re)
		case re.layer:
			grant = fmt.Sprintf("grant the hook function's role lambda:GetLayerVersion on %s (and the layer's owner must share it with this account)", re.source)
		case errors.Is(err, s3read.ErrNotFound):
			grant = fmt.Sprintf("check that the object exists in bucket %s (a deployment that uploads it later than the stack operation cannot be checked); S3 reports a missing object as not found only to a reader allowed s3:ListBucket, otherwise as access denied", re.bucket)
		case errors.Is(err, s3read.ErrAccessDenied):
			grant = deniedFix(denialOf(err), h.cfg.Region, re.bucket, re.key)
		default:
			grant = fmt.Sprintf("let the hook function's role read %s: %s", re.source, readStatement(h.cfg.Region, re.bucket, re.key))
		}
	} else {
		what = "the code package"
		grant = "grant the hook function's role s3:GetObject on the package's bucket"
	}
	reason := why(err)
	if re != nil {
		reason = why(re.err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		grant = "retry the operation; if it persists, check that the hook reaches S3 quickly (a VPC without an S3 endpoint is slow or blocked)"
		if re != nil && re.image {
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
func redact(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.IndexAny(s[i:], " \t\n\"'")
		if end < 0 {
			end = len(s) - i
		}
		u := s[:i+end]
		if q := strings.IndexByte(u[i:], '?'); q >= 0 {
			u = u[:i+q] + "?REDACTED"
		}
		b.WriteString(u)
		s = s[i+end:]
	}
}
