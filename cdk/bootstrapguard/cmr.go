package bootstrapguard

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// defaultRuntimeResource is what the hook may read when CustomRuntimeArns is not set: the
// customer-managed runtimes (and their aliases) of the stack's own account and region.
const defaultRuntimeResource = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:runtime/*"

// lifecycleEnv grants the function's role the one read the customer-managed runtime checks need: GetRuntimeAlias on the
// runtimes named by CustomRuntimeArns (each runtime and its aliases), or on the runtimes of this
// account and region. The IAM action name is lambda:GetRuntimeAlias (inferred: the Lambda Core
// API's service model signs with the "lambda" service name and the operation is
// GetRuntimeAlias; the action table was not readable in the stored docs). A runtime of another
// account (shared with this one) must be listed.
func lifecycleEnv(role awsiam.Role, env map[string]*string, props *BootstrapGuardProps) {
	var resources []*string
	arns := list(props.CustomRuntimeArns)
	for _, a := range arns {
		if !isToken(a) {
			if _, err := cmr.ParseARN(a); err != nil {
				panic(fmt.Sprintf("CustomRuntimeArns: %v: want arn:PARTITION:lambda:REGION:ACCOUNT:runtime/NAME", err))
			}
		}
		resources = append(resources, jsii.String(a), jsii.String(strings.TrimSuffix(a, "/")+"/alias/*"))
	}
	if len(arns) == 0 {
		resources = []*string{awscdk.Fn_Sub(jsii.String(defaultRuntimeResource), nil)}
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadCustomRuntimeAliases"),
		Actions:   jsii.Strings("lambda:GetRuntimeAlias"),
		Resources: &resources,
	}))
	applies := []any{"Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:runtime/*"}
	for _, a := range arns {
		applies = append(applies, "Resource::"+strings.TrimSuffix(a, "/")+"/alias/*")
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("The hook reads the release lifecycle of the customer-managed runtime a function names (lambda:GetRuntimeAlias, read only): runtime names and alias names are chosen by the functions being deployed, so the resource is a runtime (or this account's runtimes) and its aliases."),
			AppliesTo: &applies},
	}, jsii.Bool(true))
}

// synthRuntimeConfig reads RuntimeConfig from a function's resolved CloudFormation properties
// for the synth-time check. This CDK's CfnFunction has no RuntimeConfig property, so one set by
// a property override or a newer CDK's FunctionRuntimeConfig mixin is not visible here: a
// function with Runtime custom and no RuntimeConfig in its props is left to the hook and to
// `bootstrap-guard check cdk.out` (which read the rendered template), rather than failed.
func synthRuntimeConfig(fn *inspect.Function, props map[string]any) {
	rc, _ := props["runtimeConfig"].(map[string]any)
	if rc == nil {
		if fn.Runtime == cmr.Runtime {
			fn.RuntimeConfig = &cmr.Config{Unresolved: true}
		}
		return
	}
	arn, okA := rc["runtimeArn"].(string)
	alias, okB := rc["runtimeAlias"].(string)
	fn.RuntimeConfig = &cmr.Config{RuntimeArn: arn, RuntimeAlias: alias, Unresolved: !okA && rc["runtimeArn"] != nil || !okB && rc["runtimeAlias"] != nil}
}

// synthLifecycle: at synth there are no credentials to read a runtime alias with; the hook reads
// it at deploy time.
func synthLifecycle(p *engine.Policy) {
	p.CustomRuntimesOff = "read at deployment by the hook"
}

// runtimeConfigKey is the part of the synth check's result key RuntimeConfig decides.
func runtimeConfigKey(fn inspect.Function) string {
	if fn.RuntimeConfig == nil {
		return ""
	}
	return fmt.Sprintf("runtimeConfig:%s|%s|%t", fn.RuntimeConfig.RuntimeArn, fn.RuntimeConfig.RuntimeAlias, fn.RuntimeConfig.Unresolved)
}
