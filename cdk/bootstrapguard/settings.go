package bootstrapguard

import (
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"

	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Enforcement values (the LambdaHook's FailureMode: "Allowed values: FAIL | WARN",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-lambdahook.html).
const (
	EnforcementFail = "FAIL"
	EnforcementWarn = "WARN"
)

// OnUnreadable values, and the hook's BOOTSTRAP_GUARD_FAIL_MODE each one sets (internal/guard).
const (
	OnUnreadableBlock = "block"
	OnUnreadableAllow = "allow"
)

// failModes maps OnUnreadable to the hook's fail mode.
var failModes = map[string]string{OnUnreadableBlock: string(guard.FailClosed), OnUnreadableAllow: string(guard.FailOpen)}

// Enforcement returns the hook's failure mode: Enforcement, else the deprecated FailureMode, else
// FAIL. A token is returned as is (CloudFormation checks it against the allowed values).
func Enforcement(props *BootstrapGuardProps) string {
	if props == nil {
		return DefaultFailureMode
	}
	if e := str(props.Enforcement, ""); e != "" {
		return e
	}
	return str(props.FailureMode, DefaultFailureMode)
}

// OnUnreadable returns block or allow: OnUnreadable, else allow when the deprecated FailOpen is
// true, else block.
func OnUnreadable(props *BootstrapGuardProps) string {
	if props == nil {
		return OnUnreadableBlock
	}
	if o := str(props.OnUnreadable, ""); o != "" {
		return strings.ToLower(o)
	}
	if props.FailOpen != nil && *props.FailOpen {
		return OnUnreadableAllow
	}
	return OnUnreadableBlock
}

// FailMode is the hook's BOOTSTRAP_GUARD_FAIL_MODE for props (closed or open).
func FailMode(props *BootstrapGuardProps) string {
	return failModes[OnUnreadable(props)]
}

// deprecations warns, on the construct, about props that were renamed.
func deprecations(scope constructs.Construct, props *BootstrapGuardProps) {
	if props.FailureMode != nil {
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("bootstrap-guard:deprecated-FailureMode"),
			jsii.String("BootstrapGuardProps.FailureMode is deprecated: use Enforcement (FAIL or WARN), the same setting under a name that cannot be confused with OnUnreadable"))
	}
	if props.FailOpen != nil {
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("bootstrap-guard:deprecated-FailOpen"),
			jsii.String("BootstrapGuardProps.FailOpen is deprecated: use OnUnreadable (block or allow)"))
	}
}

// grantCentralTopic lets the hook publish to the central topic (and use its key through SNS
// only: kms:ViaService sns.REGION.amazonaws.com) and returns its ARN, or nil when there is none.
// SNS needs kms:GenerateDataKey* and kms:Decrypt of a publisher to an encrypted topic
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse).
func grantCentralTopic(role awsiam.Role, props *BootstrapGuardProps) *string {
	arn := str(props.CentralTopicArn, "")
	if arn == "" {
		return nil
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishToCentralTopic"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: jsii.Strings(arn),
	}))
	if key := str(props.CentralTopicKeyArn, ""); key != "" {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("EncryptForCentralTopic"),
			Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
			Resources:  jsii.Strings(key),
			Conditions: &map[string]any{"StringLike": map[string]any{"kms:ViaService": "sns.*.amazonaws.com"}},
		}))
	}
	return jsii.String(arn)
}

// forwardToCentralBus sends the failed-invocation events to the central event bus too. A rule
// may target an event bus of another account; the receiving bus's resource policy must allow
// events:PutEvents from it (NewCentralNotifications allows the whole organization)
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
func forwardToCentralBus(rule awsevents.Rule, props *BootstrapGuardProps) {
	arn := str(props.CentralEventBusArn, "")
	if arn == "" {
		return
	}
	bus := awsevents.EventBus_FromEventBusArn(rule, jsii.String("CentralBus"), jsii.String(arn))
	rule.AddTarget(awseventstargets.NewEventBus(bus, nil))
}
