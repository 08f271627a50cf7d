package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// CheckDeployed checks a function that is already deployed exactly as the RESOURCE target checks
// an update of it (checkFunction: the same engine, policy, runtime catalogue and exemption tags),
// so that an audited function and the same function deployed again get the same verdict. p are
// its properties as an update would carry them; target names it in the result (its ARN); codeURL
// is GetFunction's Code.Location, the presigned URL of the deployed zip, read by byte ranges under
// the hook's URL policy ("" for an image function, whose Code.ImageUri is read instead). Layers
// are resolved through the handler's Lambda client, as for the hook.
//
// An error means the function could not be decided: its text says what could not be read and
// why, without the URL (presigned URLs carry credentials).
func (h *Handler) CheckDeployed(ctx context.Context, p hookapi.FunctionProperties, target, codeURL string) (result.Result, error) {
	d := decision{props: p, codeURL: codeURL}
	d.req.RequestData = hookapi.RequestData{TargetName: hookapi.TypeLambdaFunction, TargetType: hookapi.TypeLambdaFunction, TargetLogicalID: target}
	d.req.ActionInvocationPoint = hookapi.UpdatePreProvision
	d.checker = h.catalogue(ctx).checker
	res, err := h.checkFunction(ctx, &d)
	if err != nil && d.err != nil && ctx.Err() == nil {
		// checkFunction's text tells the hook's role what to grant; the caller is not the hook.
		var re *readError
		if errors.As(d.err, &re) {
			return result.Result{}, fmt.Errorf("could not read %s (%s): %w", re.source, why(re.err), ErrUnreadable)
		}
		return result.Result{}, fmt.Errorf("could not decide (%s): %w", why(d.err), ErrUnreadable)
	}
	return res, err
}

// ErrUnreadable marks a CheckDeployed error where a package, layer or image could not be read.
var ErrUnreadable = errors.New("not inspected")

// openCodeURL opens a deployed function's zip from its presigned Code.Location.
func (h *Handler) openCodeURL(ctx context.Context, rawURL, target string) (inspect.Source, *rangeread.Reader, error) {
	name := "the deployed code of " + target
	r, err := s3read.OpenURL(ctx, h.clients.HTTP, rawURL, name, h.cfg.URLs, rangeread.Options{})
	if err != nil {
		return inspect.Source{}, nil, &readError{source: name, err: err}
	}
	return inspect.Source{Name: name, ReaderAt: r, Size: r.Size()}, r, nil
}
