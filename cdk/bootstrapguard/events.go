package bootstrapguard

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"
)

// The "CloudFormation Hook Invocation Progress" event (source aws.cloudformation). Its detail
// fields are those of EventBridge's schema for it, as aws-cdk lists them in the events mixins
// (aws-cdk-go awscdkmixinspreview, awscloudformation/events
// CloudFormationHookInvocationProgress_CloudFormationHookInvocationProgressProps, _HookDetail,
// _TargetDetail, _Result): hook-detail {hook-type-name, hook-type-arn, hook-version,
// failure-mode, description, documentation-url, source-url}, target-detail {target-name,
// target-type, target-id, target-action, target-invocation-point}, status, status-reason and
// result {data}, with the envelope's account, region and resources. There is no stack ID in the
// detail; the stack is expected in the envelope's resources (inferred: AWS events name the
// resources they concern there, and no sample of this event is published).
const (
	HookEventSource     = "aws.cloudformation"
	HookEventDetailType = "CloudFormation Hook Invocation Progress"
)

// hookStatusesNotFailed are the statuses that do not mean a failure. No source lists the values
// this event carries; these are the hook statuses of the CloudFormation and Cloud Control APIs
// (HookResultSummary / HookProgressEvent: HOOK_PENDING, HOOK_IN_PROGRESS, HOOK_COMPLETE_SUCCEEDED,
// with HOOK_COMPLETE_FAILED and HOOK_FAILED the failures) and the statuses a hook answers with
// (IN_PROGRESS and SUCCESS in the Lambda hooks user guide, PENDING in the Java plugin's
// HookStatus, see HookAbstractWrapper.getHookStatus). Matching anything but these
// catches every failure whatever its spelling, at the price of a notice for a status nobody has
// documented yet.
var hookStatusesNotFailed = []string{
	"HOOK_PENDING", "HOOK_IN_PROGRESS", "HOOK_COMPLETE_SUCCEEDED",
	"PENDING", "IN_PROGRESS", "SUCCESS",
}

// FailureEventPattern matches this hook's invocations that did not succeed.
func FailureEventPattern(alias string) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings(HookEventSource),
		DetailType: jsii.Strings(HookEventDetailType),
		Detail: &map[string]any{
			"hook-detail": map[string]any{"hook-type-name": []string{alias}},
			"status":      []any{map[string]any{"anything-but": hookStatusesNotFailed}},
		},
	}
}

// FailureNotice is the text the rule sends to the topic, built only from fields of the event's
// schema. EventBridge's input transformer accepts dot paths with dashes and array indices
// (EventBridge User Guide, "Amazon EventBridge input transformation",
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
func FailureNotice() awsevents.RuleTargetInput {
	f := func(path string) string { return *awsevents.EventField_FromPath(jsii.String(path)) }
	return awsevents.RuleTargetInput_FromText(jsii.String(
		"Bootstrap Guard (" + f("$.detail.hook-detail.hook-type-name") + ", failure mode " + f("$.detail.hook-detail.failure-mode") + ") " +
			f("$.detail.status") + " on " + f("$.detail.target-detail.target-action") + " of " + f("$.detail.target-detail.target-name") + " " +
			f("$.detail.target-detail.target-id") + " in account " + f("$.account") + ", " + f("$.region") + " (resources: " + f("$.resources") + "): " +
			f("$.detail.status-reason")))
}
