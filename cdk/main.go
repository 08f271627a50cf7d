// Command cdk is the Bootstrap Guard CDK app (cdk.json runs it with `go run ./cdk`):
//
//   - BootstrapGuard: the guard in one account and region;
//   - BootstrapGuardDemo, with -c demo=true: the sample functions of functions/ (good and broken,
//     built by `make zip`) as CDK assets, for `make demo` to check the synthesized cloud assembly
//     the way the hook would at deploy time;
//   - with -c packageCheck=true, the package check on every function at synth;
//   - BootstrapGuardOrg and BootstrapGuardCode-REGION, when the context names OUs, regions and a
//     code bucket prefix: the organization-wide roll-out (see README, "Deploying to an organization").
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/cdk/bootstrapguard"
	"github.com/bootstrap-guard/bootstrap-guard/cdk/demo"
)

func main() {
	defer jsii.Close()
	// Asset metadata on resources lets `bootstrap-guard check cdk.out` find each function's package
	// without the asset manifests too; the cdk CLI sets it, a plain `go run ./cdk` would not.
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"aws:cdk:enable-asset-metadata": true}})
	build(app)
	app.Synth(nil)
}

// build adds the app's stacks, as the context asks.
func build(app awscdk.App) {
	env := &awscdk.Environment{
		Account: jsii.String(os.Getenv("CDK_DEFAULT_ACCOUNT")),
		Region:  jsii.String(os.Getenv("CDK_DEFAULT_REGION")),
	}
	if *env.Account == "" || *env.Region == "" {
		env = nil // environment-agnostic synth, as on a machine without AWS credentials
	}
	guardProps := &bootstrapguard.BootstrapGuardProps{
		FailureMode:        ctxString(app, "failureMode"),
		NotificationEmails: ctxList(app, "notificationEmails"),
		ExcludeStacks:      ctxList(app, "excludeStacks"),
		IncludeStacks:      ctxList(app, "includeStacks"),
		AllowRuntimes:      ctxList(app, "allowRuntimes"),
		DenyRuntimes:       ctxList(app, "denyRuntimes"),
		CodeBuckets:        ctxList(app, "codeBuckets"),
		CodeBucketKeyArns:  ctxList(app, "codeBucketKeys"),
		ReadScope:          ctxString(app, "readScope"),
		RuntimesCatalogue:  ctxString(app, "runtimesCatalogue"),
		Exemptions:         ctxString(app, "exemptions"),
	}
	// Container images: the ECR repositories the hook may read (default: CDK's asset repositories).
	guardProps.ImageRepositories = ctxList(app, "imageRepositories")
	// Runtime lifecycle: -c strictUpdates=true; -c customRuntimeArns=ARN,ARN.
	if ctxBool(app, "strictUpdates") {
		guardProps.StrictUpdates = jsii.Bool(true)
	}
	guardProps.CustomRuntimeArns = ctxList(app, "customRuntimeArns")
	if ctxString(app, "failMode") != nil && *ctxString(app, "failMode") == "open" {
		guardProps.FailOpen = jsii.Bool(true)
	}
	stack := awscdk.NewStack(app, jsii.String("BootstrapGuard"), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Bootstrap Guard: a CloudFormation Lambda hook that stops Lambda functions Lambda could not start"),
	})
	bootstrapguard.NewBootstrapGuard(stack, jsii.String("Guard"), guardProps)
	bootstrapguard.AddNagChecks(stack)

	// The demo stack is opt-in (-c demo=true; make synth and make demo set it): its samples are
	// built by make (mk/functions.mk), the way teams build them, so a plain `cdk synth` of a fresh
	// clone leaves it out rather than failing on missing zips.
	if ctxBool(app, "demo") {
		root, err := os.Getwd()
		if err != nil {
			panic(err)
		}
		demo.NewDemoStack(app, "BootstrapGuardDemo", &demo.DemoStackProps{
			StackProps: awscdk.StackProps{Env: env},
			Dir:        filepath.Join(root, "functions", "bin"),
		})
	}

	if ous, regions, prefix := ctxList(app, "orgUnits"), ctxList(app, "orgRegions"), ctxString(app, "codeBucketPrefix"); ous != nil {
		if regions == nil || prefix == nil || ctxString(app, "orgId") == nil {
			panic("org roll-out needs the context values orgUnits, orgRegions, orgId and codeBucketPrefix")
		}
		org := awscdk.NewStack(app, jsii.String("BootstrapGuardOrg"), &awscdk.StackProps{Env: env,
			Description: jsii.String("Bootstrap Guard for every account of the chosen OUs (service-managed StackSet)")})
		bootstrapguard.NewOrgRollout(org, jsii.String("Rollout"), &bootstrapguard.OrgRolloutProps{
			OrganizationalUnitIds: ous, Regions: regions, CodeBucketPrefix: prefix, Guard: guardProps,
			CallAs: ctxString(app, "callAs"),
		})
		for _, r := range *regions {
			code := awscdk.NewStack(app, jsii.String("BootstrapGuardCode-"+*r), &awscdk.StackProps{
				Env:         &awscdk.Environment{Account: envAccount(env), Region: r},
				Description: jsii.String("Bootstrap Guard: the hook's code for member accounts in " + *r),
			})
			bootstrapguard.NewCodeBucket(code, jsii.String("HookCode"), prefix, ctxString(app, "orgId"))
		}
	}

	// -c packageCheck=true checks every function of the app at synth (errors fail cdk synth);
	// -c checkDate=YYYY-MM-DD pins the day runtime lifecycles are evaluated on.
	if ctxBool(app, "packageCheck") {
		awscdk.Aspects_Of(app).Add(bootstrapguard.NewPackageCheck(&bootstrapguard.PackageCheckOptions{
			Date: ctxString(app, "checkDate"), AllowRuntimes: guardProps.AllowRuntimes, DenyRuntimes: guardProps.DenyRuntimes,
		}), nil)
	}
}

func envAccount(env *awscdk.Environment) *string {
	if env == nil {
		return nil
	}
	return env.Account
}

// ctxString reads a context value (cdk.json or -c key=value); nil when unset.
func ctxString(scope constructs.Construct, key string) *string {
	v := scope.Node().TryGetContext(jsii.String(key))
	if v == nil {
		return nil
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

// ctxBool reads a boolean context value: true, or the string "true" from -c key=true.
func ctxBool(scope constructs.Construct, key string) bool {
	v := ctxString(scope, key)
	return v != nil && strings.EqualFold(*v, "true")
}

// ctxList reads a list context value: a JSON list in cdk.json, or comma-separated on -c.
func ctxList(scope constructs.Construct, key string) *[]*string {
	v := scope.Node().TryGetContext(jsii.String(key))
	var items []string
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		for _, x := range t {
			items = append(items, fmt.Sprint(x))
		}
	default:
		items = strings.Split(fmt.Sprint(t), ",")
	}
	var out []*string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, jsii.String(s))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}
