package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
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
	d.engine = h.catalogue(ctx).engine
	res, err := h.checkFunction(ctx, &d)
	if err != nil && d.err != nil && ctx.Err() == nil {
		// checkFunction's text tells the hook's role what to grant; the caller is not the hook.
		if re := source.As(d.err); re != nil && re.Kind != source.KindUnknown {
			return result.Result{}, fmt.Errorf("could not read %s (%s): %w", re.Source, why(re.Err), ErrUnreadable)
		}
		return result.Result{}, fmt.Errorf("could not decide (%s): %w", why(d.err), ErrUnreadable)
	}
	return res, err
}

// ErrUnreadable marks a CheckDeployed error where a package, layer or image could not be read.
var ErrUnreadable = errors.New("not inspected")
