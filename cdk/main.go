// Command cdk is the Bootstrap Guard CDK app (cdk.json runs it with `go run ./cdk`):
//
//   - BootstrapGuard: the guard in one account and region;
//   - BootstrapGuardDemo, with -c demo=true: the sample functions of functions/ (good and broken,
//     built by `make zip`) as CDK assets, for `make demo` to check the synthesized cloud assembly
//     the way the hook would at deploy time;
//   - with -c packageCheck=true, the package check on every function at synth;
//   - BootstrapGuardOrg and BootstrapGuardCode-REGION, when the context names OUs, regions and a
//     code bucket prefix: the organization-wide roll-out (see docs/deploy-organization.md).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/cdk/bootstrapguard"
	"github.com/bootstrap-guard/bootstrap-guard/cdk/demo"
)

func main() {
	defer jsii.Close()
	// Asset metadata on resources lets `bootstrap-guard check cdk.out` find each function's package
	// without the asset manifests too; the cdk CLI sets it, a plain `go run ./cdk` would not.
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"aws:cdk:enable-asset-metadata": true}})
	if err := build(app); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap-guard:", err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}

// build adds the app's stacks, as the context asks. A context key the app does not read, or a
// bad value, is an error naming it (checkContext).
func build(app awscdk.App) error {
	all, _ := app.Node().GetAllContext(nil).(map[string]any)
	ctx, warnings, err := checkContext(all)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "bootstrap-guard: warning:", w)
	}
	env := &awscdk.Environment{
		Account: jsii.String(os.Getenv("CDK_DEFAULT_ACCOUNT")),
		Region:  jsii.String(os.Getenv("CDK_DEFAULT_REGION")),
	}
	if *env.Account == "" || *env.Region == "" {
		env = nil // environment-agnostic synth, as on a machine without AWS credentials
	}
	guardProps := guardProps(ctx)

	// make release: the plain CloudFormation templates only (release.go).
	if zip := ctx.str("releaseTemplates"); zip != nil {
		return releaseTemplates(app, *zip)
	}

	stack := awscdk.NewStack(app, jsii.String("BootstrapGuard"), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Bootstrap Guard: a CloudFormation Lambda hook that stops Lambda functions Lambda could not start"),
	})
	bootstrapguard.NewBootstrapGuard(stack, jsii.String("Guard"), guardProps)
	bootstrapguard.AddNagChecks(stack)
	for _, w := range warnings {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("bootstrap-guard:deprecated-context"), jsii.String(w))
	}

	// The demo stack is opt-in (-c demo=true; make synth and make demo set it): its samples are
	// built by make (mk/functions.mk), the way teams build them, so a plain `cdk synth` of a fresh
	// clone leaves it out rather than failing on missing zips.
	if ctx.bool("demo") {
		root, err := os.Getwd()
		if err != nil {
			return err
		}
		demo.NewDemoStack(app, "BootstrapGuardDemo", &demo.DemoStackProps{
			StackProps: awscdk.StackProps{Env: env},
			Dir:        filepath.Join(root, "functions", "bin"),
		})
	}

	// The management (or security) account's central topic and bus, for -c centralTopicArn and
	// -c centralEventBusArn of the member accounts.
	if ctx.bool("centralNotifications") {
		if ctx.str("orgId") == nil {
			return fmt.Errorf("context key \"centralNotifications\" needs \"orgId\" (o-...): the organization whose accounts may publish")
		}
		n := awscdk.NewStack(app, jsii.String("BootstrapGuardNotifications"), &awscdk.StackProps{Env: env,
			Description: jsii.String("Bootstrap Guard: one topic and one event bus for the notices of every account of the organization")})
		bootstrapguard.NewCentralNotifications(n, jsii.String("Central"), &bootstrapguard.CentralNotificationsProps{
			OrganizationId: ctx.str("orgId"), NotificationEmails: ctx.list("notificationEmails"),
		})
		bootstrapguard.AddNagChecks(n)
	}

	if ous, regions, prefix := ctx.list("orgUnits"), ctx.list("orgRegions"), ctx.str("codeBucketPrefix"); ous != nil || regions != nil || prefix != nil {
		if ous == nil || regions == nil || prefix == nil || ctx.str("orgId") == nil {
			return fmt.Errorf("the organization roll-out needs the context keys orgUnits, orgRegions, orgId and codeBucketPrefix (missing: %s)",
				strings.Join(missing(ctx, "orgUnits", "orgRegions", "orgId", "codeBucketPrefix"), ", "))
		}
		org := awscdk.NewStack(app, jsii.String("BootstrapGuardOrg"), &awscdk.StackProps{Env: env,
			Description: jsii.String("Bootstrap Guard for every account of the chosen OUs (service-managed StackSet)")})
		bootstrapguard.NewOrgRollout(org, jsii.String("Rollout"), &bootstrapguard.OrgRolloutProps{
			OrganizationalUnitIds: ous, Regions: regions, CodeBucketPrefix: prefix, Guard: guardProps,
			CallAs: ctx.str("callAs"),
		})
		for _, r := range *regions {
			code := awscdk.NewStack(app, jsii.String("BootstrapGuardCode-"+*r), &awscdk.StackProps{
				Env:         &awscdk.Environment{Account: envAccount(env), Region: r},
				Description: jsii.String("Bootstrap Guard: the hook's code for member accounts in " + *r),
			})
			bootstrapguard.NewCodeBucket(code, jsii.String("HookCode"), prefix, ctx.str("orgId"))
		}
	}

	// -c packageCheck=true checks every function of the app at synth (errors fail cdk synth);
	// -c checkDate=YYYY-MM-DD pins the day runtime lifecycles are evaluated on.
	if ctx.bool("packageCheck") {
		awscdk.Aspects_Of(app).Add(bootstrapguard.NewPackageCheck(&bootstrapguard.PackageCheckOptions{
			Date: ctx.str("checkDate"), AllowRuntimes: guardProps.AllowRuntimes, DenyRuntimes: guardProps.DenyRuntimes,
			SkipRules: guardProps.SkipRules,
		}), nil)
	}
	return nil
}

// guardProps are the construct's props from the context.
func guardProps(ctx settings) *bootstrapguard.BootstrapGuardProps {
	p := &bootstrapguard.BootstrapGuardProps{
		Enforcement:          ctx.str("enforcement"),
		OnUnreadable:         ctx.str("onUnreadable"),
		Alias:                ctx.str("alias"),
		NotificationEmails:   ctx.list("notificationEmails"),
		ExcludeStacks:        ctx.list("excludeStacks"),
		IncludeStacks:        ctx.list("includeStacks"),
		AllowRuntimes:        ctx.list("allowRuntimes"),
		DenyRuntimes:         ctx.list("denyRuntimes"),
		SkipRules:            ctx.list("skipRules"),
		WarnDays:             ctx.num("warnDays"),
		CodeBuckets:          ctx.list("codeBuckets"),
		CodeBucketKeyArns:    ctx.list("codeBucketKeys"),
		ReadScope:            ctx.str("readScope"),
		OrganizationId:       ctx.str("organizationId"),
		RuntimesCatalogue:    ctx.str("runtimesCatalogue"),
		RuntimesCacheSeconds: ctx.num("runtimesCacheSeconds"),
		Exemptions:           ctx.str("exemptions"),
		ImageRepositories:    ctx.list("imageRepositories"),
		MemorySize:           ctx.num("memorySize"),
		Timeout:              ctx.num("timeout"),
		CentralTopicArn:      ctx.str("centralTopicArn"),
		CentralTopicKeyArn:   ctx.str("centralTopicKeyArn"),
		CentralEventBusArn:   ctx.str("centralEventBusArn"),
		TargetOperations:     ctx.list("targetOperations"),
		CustomRuntimeArns:    ctx.list("customRuntimeArns"),
		AuditSchedule:        ctx.str("auditSchedule"),
		AuditBucket:          ctx.str("auditBucket"),
	}
	if _, set := ctx["strictUpdates"]; set {
		p.StrictUpdates = jsii.Bool(ctx.bool("strictUpdates"))
	}
	if s := ctx.str("hookStatus"); s != nil {
		p.HookEnabled = jsii.Bool(*s == "ENABLED")
	}
	return p
}

func missing(ctx settings, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := ctx[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

func envAccount(env *awscdk.Environment) *string {
	if env == nil {
		return nil
	}
	return env.Account
}
