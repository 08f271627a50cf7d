// Package engine is the one evaluation pipeline: "evaluate this function under this policy".
// Every front-end — the CloudFormation hook (internal/guard), the CLI (internal/cli), the
// synth-time aspect and the validation plugin (cdk/bootstrapguard) — gathers a Function, hands it
// to (*Engine).Evaluate and renders the result.Result it gets back; none of them decides
// anything itself. The pipeline, in order:
//
//  1. defaults: architecture x86_64, package type Zip, action create;
//  2. exemptions: a whole-function bootstrap-guard:exempt tag the policy honours skips the
//     function (SKIP, not read);
//  3. a template function that will not be created (its Condition is false) is SKIP;
//  4. zip or image: the rule families (Families) run on the package and its layers, or on the
//     image's manifest and config;
//  5. read errors: a source that cannot be read is an error (*source.Error) for the front-end to
//     answer (the hook's fail mode), except for functions read from a template or assembly,
//     where it becomes a package-not-inspected note and the rest of the function is judged;
//  6. template notes (unresolved values, package not inspected, where the function is);
//  7. per-rule exemptions and exemption-ignored warnings;
//  8. rules the policy turns off (SkipRules) are dropped.
package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// Engine evaluates functions under one policy. It is safe for concurrent use.
type Engine struct {
	policy  Policy
	checker *inspect.Checker
	off     map[result.RuleID]bool
}

// New returns the engine for p, or the error Policy.Validate finds.
func New(p Policy) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Exemptions == "" {
		p.Exemptions = exemptions.Any
	}
	e := &Engine{policy: p, checker: inspect.New(p.options()), off: map[result.RuleID]bool{}}
	for _, id := range p.SkipRules {
		e.off[id] = true
	}
	return e, nil
}

// Policy is the engine's policy, with defaults filled in.
func (e *Engine) Policy() Policy { return e.policy }

// WithCatalogue returns an engine with the same policy and another runtime catalogue (the hook
// loads one from SSM or S3).
func (e *Engine) WithCatalogue(cat *runtimes.Catalogue) *Engine {
	p := e.policy
	p.Catalogue = cat
	return &Engine{policy: p, checker: inspect.New(p.options()), off: e.off}
}

// Catalogue is the runtime catalogue the engine decides with.
func (e *Engine) Catalogue() *runtimes.Catalogue {
	if e.policy.Catalogue == nil {
		return runtimes.Default()
	}
	return e.policy.Catalogue
}

// ExemptWhole reports whether tags carry a whole-function exemption the policy honours: the
// function will be SKIP, so a front-end need not open its sources.
func (e *Engine) ExemptWhole(tags map[string]string) bool {
	ex, tagged := exemptions.FromTags(tags)
	if !tagged {
		return false
	}
	honoured, _ := ex.Honoured(e.policy.Exemptions)
	return honoured.Whole
}

// Function is one function as a front-end gathered it.
type Function struct {
	// Function is the function's settings and, for a zip function, its opened package and
	// layers (see Resolver).
	inspect.Function
	// Tags are the function's tags (for the exemption tag); nil means none.
	Tags map[string]string
	// Template is set for a function read from a template or cloud assembly: its notes
	// (unresolved values, package not inspected), its location, and read errors that become
	// notes instead of ending the evaluation.
	Template *cfn.Function
	// Image is set for a container-image function.
	Image *Image
}

// Image is a container-image function's image: the reference to read, or why none is read.
type Image struct {
	// Ref is the image with its transport (docker://…, oci:…, docker-archive:…); "" when the
	// image is not read.
	Ref string
	// Skip says why the image is not read; the result is SKIP.
	Skip string
	// Problem says why there is no image Lambda could start (no ImageUri, one that is not a
	// reference), with Fix: an image-unreadable finding.
	Problem, Fix string
	// Overrides are the function's ImageConfig.
	Overrides image.Overrides
	// Open reads Ref; nil means image.Open without credentials (local layouts and archives).
	Open func(ctx context.Context, ref string) (image.Fetcher, error)
}

// Evaluate runs the pipeline on fn. It returns an error only when it could not decide: a source
// could not be read (the error wraps a *source.Error) for a function not read from a template, or
// ctx ended.
func (e *Engine) Evaluate(ctx context.Context, fn Function) (result.Result, error) {
	if fn.Architecture == "" {
		fn.Architecture = result.ArchX86
	}
	if fn.Image != nil {
		fn.PackageType = inspect.PackageImage
	}
	ex, tagged := exemptions.FromTags(fn.Tags)
	if e.ExemptWhole(fn.Tags) {
		res := exemptions.Skipped(fn.Target, fn.Runtime, fn.Architecture, ex)
		res.Package = &result.Package{Source: fn.Code.Name, Reason: result.ReasonExempt, Detail: "the function is exempt as a whole: " + ex.Reason}
		return res, nil
	}
	t := fn.Template
	if t != nil && t.Skip != "" {
		return t.SkipResult(), nil
	}
	var res result.Result
	var err error
	if fn.Image != nil {
		res, err = e.image(ctx, fn)
		if err == nil {
			customRuntimeImage(&res, fn)
		}
	} else {
		res, err = e.checker.Check(ctx, fn.Function)
		if err != nil && t != nil && inspect.IsSourceError(err) && ctx.Err() == nil {
			// One template function's package (or layer) failing to read does not stop the run:
			// it is judged without what could not be read, and says so.
			t.Function = fn.Function
			res, err = t.CheckWithout(ctx, e.checker, err)
		}
	}
	if err != nil {
		return result.Result{}, err
	}
	if t != nil {
		t.Apply(&res) // template notes first, so they can be exempted too
		if fn.Image != nil && res.Image != "" {
			res.Package = &result.Package{Inspected: true, Source: res.Image}
		}
	}
	packageRecord(&res, fn)
	if tagged {
		exemptions.Apply(&res, ex, e.policy.Exemptions)
	}
	e.turnOff(&res)
	return res, nil
}

// packageRecord says on every result whether the function's package was inspected (the JSON
// contract's package record) and, when it was not and nothing says so yet (an image not read),
// adds the package-not-inspected warning, before exemptions and rules turned off apply to it.
func packageRecord(res *result.Result, fn Function) {
	if res.Package == nil {
		switch {
		case fn.Image != nil && fn.Image.Problem != "":
			// No image to read: image-unreadable says so, and is the finding.
			res.Package = &result.Package{Source: fn.Image.Ref, Reason: result.ReasonInvalid, Detail: fn.Image.Problem}
			return
		case fn.Image != nil && res.Image != "":
			res.Package = &result.Package{Inspected: true, Source: res.Image}
		case fn.Image != nil:
			res.Package = &result.Package{Source: fn.Image.Ref, Reason: result.ReasonImage}
		default:
			res.Package = &result.Package{Inspected: true, Source: fn.Code.Name}
		}
	}
	p := res.Package
	if p.Inspected || fn.Template != nil && fn.Template.Skip != "" {
		return
	}
	if fn.Image != nil && res.SkipReason != "" {
		// The image was not read: say why in every format, a registry error included.
		p.Detail = strings.TrimPrefix(res.SkipReason, "container image not inspected: ")
		if fn.Image.Ref != "" {
			p.Reason = result.ReasonUnreadable
		}
	}
	if len(res.FindingsFor(result.PackageNotInspected)) > 0 {
		return
	}
	what := p.Source
	if what == "" {
		what = "the container image"
	}
	fix := "Check the package can be read from here and run the check again."
	switch p.Reason {
	case result.ReasonImage:
		fix = "Pass --images to read the image from its registry (with docker login or ECR credentials), or save the built image beside its CDK asset."
	case result.ReasonUnreadable:
		fix = "Check the registry can be reached and your credentials may pull the image (docker login, or AWS credentials for ECR), then run the check again."
	}
	res.Findings = append(res.Findings, result.Finding{Rule: result.PackageNotInspected, Severity: result.Warning,
		Message:     fmt.Sprintf("The code package (%s) was not inspected: %s.", what, strings.TrimSuffix(p.Detail, ".")),
		Remediation: fix})
	res.Evaluated = append(res.Evaluated, result.PackageNotInspected)
	res.Finish()
}

// image evaluates a container-image function.
func (e *Engine) image(ctx context.Context, fn Function) (result.Result, error) {
	im := fn.Image
	ifn := image.Function{Target: fn.Target, Architecture: fn.Architecture, ImageConfig: im.Overrides}
	skip := func(why string) result.Result {
		res := result.Result{Target: fn.Target, Architecture: fn.Architecture, SkipReason: why}
		res.Finish()
		return res
	}
	switch {
	case im.Problem != "":
		return image.Unusable(ifn, im.Ref, im.Problem, im.Fix), nil
	case im.Skip != "" || im.Ref == "":
		return skip(im.Skip), nil
	}
	open := im.Open
	if open == nil {
		open = func(_ context.Context, ref string) (image.Fetcher, error) {
			return image.Open(ref, image.RegistryOptions{})
		}
	}
	res, err := func() (result.Result, error) {
		f, err := open(ctx, im.Ref)
		if err != nil {
			return result.Result{}, err
		}
		return image.Check(ctx, f, ifn)
	}()
	if err != nil && fn.Template != nil && image.IsReadError(err) && ctx.Err() == nil {
		// A template's image that cannot be read is SKIP, saying so; the run goes on.
		return skip("container image not inspected: " + err.Error()), nil
	}
	return res, err
}

// customRuntimeImage adds custom-runtime-image to an image function's result, whether or not the
// image was read: the image rules (internal/image) do not know RuntimeConfig.
func customRuntimeImage(res *result.Result, fn Function) {
	if f, ok := inspect.CustomRuntimeImageFinding(fn.Function); ok {
		res.Findings = append(res.Findings, f)
		res.Evaluated = append(res.Evaluated, result.CustomRuntimeImage)
		res.Finish()
	}
}

// turnOff drops the findings of the rules the policy turns off, and their evaluated entries,
// and settles the status again.
func (e *Engine) turnOff(res *result.Result) {
	if len(e.off) == 0 {
		return
	}
	res.Findings = slices.DeleteFunc(res.Findings, func(f result.Finding) bool { return e.off[f.Rule] })
	res.Evaluated = slices.DeleteFunc(res.Evaluated, func(id result.RuleID) bool { return e.off[id] })
	res.Finish()
}
