package bootstrapguard

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// NewPolicyValidation returns the package check as a CDK policy-validation plugin:
//
//	awscdk.Validations_Of(app).AddPlugins(bootstrapguard.NewPolicyValidation(nil))
//
// CDK calls it after it has written the cloud assembly, with the paths of the templates; it reads
// them the way `bootstrap-guard check cdk.out` does (functions, their asset packages and layers,
// through the asset manifests) and returns a report that CDK prints in its standard validation
// report format: one violation per rule and severity, with the violating functions (construct path,
// logical ID, template) and the fix. With an error finding the report fails, app.Synth panics with
// ValidationFailed and `cdk synth` fails (observed with aws-cdk-go 2.275.0; the report is also
// written to validation-report.json in the assembly). Each function goes through the pipeline
// `bootstrap-guard check cdk.out` runs (internal/engine), so both report the same rules: the
// bootstrap-guard:exempt tag counts as for the hook (a whole-function exemption skips the
// function, exempted rules are left out of the report), template notes such as
// package-not-inspected are reported, and a built image beside its asset is read. Its options
// are those of NewPackageCheck, whose annotations report at the same point as every other
// construct error instead.
func NewPolicyValidation(opts *PackageCheckOptions) awscdk.IPolicyValidationPlugin {
	return &policyValidation{engine: NewPackageCheck(opts).(*packageCheck).engine}
}

// NewPolicyValidationBeta1 is NewPolicyValidation for AppProps.PolicyValidationBeta1, the
// interface CDK deprecated in favour of Validations_Of(app).AddPlugins.
func NewPolicyValidationBeta1(opts *PackageCheckOptions) awscdk.IPolicyValidationPluginBeta1 {
	return &policyValidationBeta1{p: NewPolicyValidation(opts).(*policyValidation)}
}

type policyValidationBeta1 struct{ p *policyValidation }

func (b *policyValidationBeta1) Name() *string       { return b.p.Name() }
func (b *policyValidationBeta1) Version() *string    { return b.p.Version() }
func (b *policyValidationBeta1) RuleIds() *[]*string { return b.p.RuleIds() }
func (b *policyValidationBeta1) Validate(ctx awscdk.IPolicyValidationContextBeta1) *awscdk.PolicyValidationPluginReportBeta1 {
	r := b.p.report(*ctx.TemplatePaths())
	var vs []*awscdk.PolicyViolationBeta1
	for _, v := range *r.Violations {
		var rs []*awscdk.PolicyViolatingResourceBeta1
		for _, x := range *v.ViolatingResources {
			rs = append(rs, &awscdk.PolicyViolatingResourceBeta1{Locations: x.Locations, ResourceLogicalId: x.ResourceLogicalId, TemplatePath: x.TemplatePath})
		}
		vs = append(vs, &awscdk.PolicyViolationBeta1{Description: v.Description, RuleName: v.RuleName, Fix: v.Fix, Severity: v.Severity, ViolatingResources: &rs})
	}
	return &awscdk.PolicyValidationPluginReportBeta1{Success: r.Success, Violations: &vs, PluginVersion: r.PluginVersion}
}

type policyValidation struct {
	engine *engine.Engine
}

// Name is how CDK's report names the plugin.
func (p *policyValidation) Name() *string { return jsii.String("bootstrap-guard") }

// Version is this module's version when it is a dependency of the app, else 0.0.0 (CDK reports
// an unparsable version as 0.0.0 itself).
func (p *policyValidation) Version() *string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/bootstrap-guard/bootstrap-guard" && strings.HasPrefix(d.Version, "v") {
				return jsii.String(strings.TrimPrefix(d.Version, "v"))
			}
		}
	}
	return jsii.String("0.0.0")
}

// RuleIds lists every rule the check applies.
func (p *policyValidation) RuleIds() *[]*string {
	var ids []*string
	for _, r := range result.Rules {
		ids = append(ids, jsii.String(string(r.ID)))
	}
	return &ids
}

// Validate checks every function of the templates CDK passes.
func (p *policyValidation) Validate(ctx awscdk.IPolicyValidationContext) *awscdk.PolicyValidationPluginReport {
	return p.report(*ctx.TemplatePaths())
}

func (p *policyValidation) report(templates []*string) *awscdk.PolicyValidationPluginReport {
	wanted := map[string]bool{}
	dirs := map[string]bool{}
	for _, t := range templates {
		abs, _ := filepath.Abs(*t)
		wanted[abs] = true
		dirs[filepath.Dir(abs)] = true
	}
	type key struct {
		rule     result.RuleID
		severity result.Severity
	}
	byRule := map[key]*awscdk.PolicyViolation{}
	resources := map[key][]*awscdk.PolicyViolatingResource{}
	var order []key
	success := true
	for dir := range dirs {
		set, err := cfn.LoadAssembly(dir)
		if err != nil {
			// CDK turns a panic into a failed report naming the plugin; say what could not be read.
			panic(fmt.Sprintf("read the cloud assembly %s: %v", dir, err))
		}
		for i := range set.Functions {
			fn := &set.Functions[i]
			abs, _ := filepath.Abs(fn.Template)
			if !wanted[abs] {
				continue
			}
			// The pipeline `bootstrap-guard check cdk.out` runs: exemptions, template notes,
			// built images beside their assets, packages that cannot be read.
			res, err := p.engine.Evaluate(context.Background(), engine.FromTemplate(fn, engine.TemplateOptions{}))
			if err != nil {
				set.Close()
				panic(fmt.Sprintf("check %s: %v", fn.Target, err))
			}
			logicalID := fn.Target[strings.LastIndex(fn.Target, "/")+1:]
			for _, f := range res.Findings {
				if f.Severity == result.Info || f.Exempted != nil {
					continue
				}
				if f.Severity == result.Error {
					success = false
				}
				k := key{f.Rule, f.Severity}
				if byRule[k] == nil {
					byRule[k] = &awscdk.PolicyViolation{
						RuleName:    jsii.String(string(f.Rule)),
						Description: jsii.String(f.Message),
						Fix:         jsii.String(f.Remediation),
						Severity:    jsii.String(string(f.Severity)),
					}
					order = append(order, k)
				}
				loc := "Properties/Code"
				if f.Path != "" {
					loc += " (" + f.Path + ")"
				}
				resources[k] = append(resources[k], &awscdk.PolicyViolatingResource{
					ResourceLogicalId: jsii.String(logicalID),
					TemplatePath:      jsii.String(fn.Template),
					Locations:         jsii.Strings(loc),
				})
			}
		}
		set.Close()
	}
	violations := make([]*awscdk.PolicyViolation, 0, len(order))
	for _, k := range order {
		r := resources[k]
		byRule[k].ViolatingResources = &r
		violations = append(violations, byRule[k])
	}
	return &awscdk.PolicyValidationPluginReport{Success: jsii.Bool(success), Violations: &violations, PluginVersion: p.Version()}
}
