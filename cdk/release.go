package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/cdk/bootstrapguard"
)

// Stacks of the plain CloudFormation templates (make release copies their templates into dist/).
const (
	accountTemplateStack    = "BootstrapGuardTemplate"
	orgTemplateStack        = "BootstrapGuardOrgTemplate"
	codeBucketTemplateStack = "BootstrapGuardCodeBucketTemplate"
)

// releaseTemplates adds the stacks of the plain templates, for the hook package zip (its content
// hash is HookCodeKey's default, and the organization template's object key):
//   - BootstrapGuardTemplate: the guard in one account and region;
//   - BootstrapGuardOrgTemplate: the stack set of the organization roll-out, every guard
//     parameter passed through to the member stacks (Enforcement starts at WARN);
//   - BootstrapGuardCodeBucketTemplate: the regional code bucket, one stack per region.
func releaseTemplates(app awscdk.App, zip string) error {
	key, err := bootstrapguard.HookKey(zip)
	if err != nil {
		return fmt.Errorf("context key \"releaseTemplates\": %w", err)
	}
	bootstrapguard.NewPlainGuardStack(app, accountTemplateStack, bootstrapguard.PlainTemplateOptions{HookKey: key,
		Description: "Bootstrap Guard: a CloudFormation Lambda hook that stops Lambda functions Lambda could not start (plain template)"})

	plainStack := func(id, desc string) awscdk.Stack {
		return awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
			Synthesizer:        awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
			AnalyticsReporting: jsii.Bool(false),
			Description:        jsii.String(desc),
		})
	}
	org := plainStack(orgTemplateStack, "Bootstrap Guard for every account of the chosen OUs (service-managed StackSet; plain template)")
	param := func(name, typ, def, desc string, allowed ...string) awscdk.CfnParameter {
		p := &awscdk.CfnParameterProps{Type: jsii.String(typ), Description: jsii.String(desc)}
		if def != "" {
			p.Default = def
		}
		if len(allowed) > 0 {
			p.AllowedValues = jsii.Strings(allowed...)
		}
		return awscdk.NewCfnParameter(org, jsii.String(name), p)
	}
	ous := param("OrganizationalUnitIds", "CommaDelimitedList", "", "OUs (ou-...) or the root (r-...) whose accounts get the guard")
	regions := param("Regions", "CommaDelimitedList", "", "Regions the guard is deployed to in each account")
	prefix := param("CodeBucketPrefix", "String", "", "The hook package is read from the bucket PREFIX-REGION of each region")
	callAs := param("CallAs", "String", "SELF", "SELF (management account) or DELEGATED_ADMIN", "SELF", "DELEGATED_ADMIN")
	// The guard's parameters, with the member template's defaults, passed through.
	through := map[string]*string{}
	for _, p := range bootstrapguard.TemplateParameters(true, key) {
		if p.Name == "HookCodeBucketPrefix" || p.Name == "HookCodeKey" {
			continue
		}
		props := &awscdk.CfnParameterProps{Type: jsii.String(p.Type), Description: jsii.String(p.Description), Default: p.Default,
			MinValue: p.MinValue, MaxValue: p.MaxValue}
		if len(p.AllowedValues) > 0 {
			props.AllowedValues = jsii.Strings(p.AllowedValues...)
		}
		if p.AllowedPattern != "" {
			props.AllowedPattern = jsii.String(p.AllowedPattern)
		}
		cp := awscdk.NewCfnParameter(org, jsii.String(p.Name), props)
		if p.Type == "CommaDelimitedList" {
			through[p.Name] = awscdk.Fn_Join(jsii.String(","), cp.ValueAsList())
		} else {
			through[p.Name] = cp.ValueAsString()
		}
	}
	bootstrapguard.NewOrgRollout(org, jsii.String("Rollout"), &bootstrapguard.OrgRolloutProps{
		OrganizationalUnitIds: ous.ValueAsList(), Regions: regions.ValueAsList(), CodeBucketPrefix: prefix.ValueAsString(),
		CallAs: callAs.ValueAsString(), HookZip: jsii.String(zip), GuardParameters: through,
	})

	code := plainStack(codeBucketTemplateStack, "Bootstrap Guard: the hook's code for member accounts in this region (plain template)")
	codePrefix := awscdk.NewCfnParameter(code, jsii.String("CodeBucketPrefix"), &awscdk.CfnParameterProps{Type: jsii.String("String"),
		Description: jsii.String("The bucket is PREFIX-REGION"), AllowedPattern: jsii.String("^[a-z0-9][a-z0-9.-]{1,50}$")})
	orgID := awscdk.NewCfnParameter(code, jsii.String("OrganizationId"), &awscdk.CfnParameterProps{Type: jsii.String("String"),
		Description: jsii.String("The organization whose accounts may read the hook's code"), AllowedPattern: jsii.String("^o-[a-z0-9]{10,32}$")})
	bootstrapguard.NewCodeBucket(code, jsii.String("HookCode"), codePrefix.ValueAsString(), orgID.ValueAsString())
	bootstrapguard.AddNagChecks(code)
	return nil
}
