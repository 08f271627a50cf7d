package bootstrapguard

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func warnings(stack awscdk.Stack, id string) int {
	return len(*assertions.Annotations_FromStack(stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*"+id+".*"))))
}

// TestSettingNames: Enforcement and OnUnreadable set the hook's failure mode and the read-error
// policy; the old names still do, with a deprecation warning on the construct.
func TestSettingNames(t *testing.T) {
	for _, tt := range []struct {
		name             string
		props            *BootstrapGuardProps
		mode, failMode   string
		deprecated       string // the warning expected, or none
		deprecationCount int
	}{
		{"defaults", nil, "FAIL", "closed", "deprecated", 0},
		{"Enforcement WARN", &BootstrapGuardProps{Enforcement: jsii.String("WARN")}, "WARN", "closed", "deprecated", 0},
		{"OnUnreadable allow", &BootstrapGuardProps{OnUnreadable: jsii.String("allow")}, "FAIL", "open", "deprecated", 0},
		{"FailureMode WARN (deprecated)", &BootstrapGuardProps{FailureMode: jsii.String("WARN")}, "WARN", "closed", "deprecated-FailureMode", 1},
		{"FailOpen (deprecated)", &BootstrapGuardProps{FailOpen: jsii.Bool(true)}, "FAIL", "open", "deprecated-FailOpen", 1},
		{"old and new names agreeing", &BootstrapGuardProps{Enforcement: jsii.String("WARN"), FailureMode: jsii.String("WARN")}, "WARN", "closed", "deprecated-FailureMode", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stack, tmpl := synth(t, "S", tt.props)
			tmpl.HasResourceProperties(jsii.String("AWS::CloudFormation::LambdaHook"), m(map[string]any{"FailureMode": tt.mode}))
			tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
				"Environment": m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_FAIL_MODE": tt.failMode}))})}))
			if n := warnings(stack, tt.deprecated); n != tt.deprecationCount {
				t.Errorf("%d warnings %q, want %d", n, tt.deprecated, tt.deprecationCount)
			}
		})
	}
}

// TestBadSettings: each bad value stops the synth naming the prop and what is wrong.
func TestBadSettings(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props *BootstrapGuardProps
		want  []string
	}{
		{"Enforcement misspelt", &BootstrapGuardProps{Enforcement: jsii.String("WRAN")}, []string{"BootstrapGuardProps.Enforcement", "did you mean WARN?"}},
		{"Enforcement given a read-error value", &BootstrapGuardProps{Enforcement: jsii.String("open")}, []string{"BootstrapGuardProps.Enforcement", "open is a value of OnUnreadable"}},
		{"OnUnreadable given an enforcement value", &BootstrapGuardProps{OnUnreadable: jsii.String("WARN")}, []string{"BootstrapGuardProps.OnUnreadable", "WARN is a value of Enforcement"}},
		{"FailureMode unknown", &BootstrapGuardProps{FailureMode: jsii.String("STOP")}, []string{"BootstrapGuardProps.FailureMode", `"STOP"`}},
		{"Enforcement contradicting FailureMode", &BootstrapGuardProps{Enforcement: jsii.String("FAIL"), FailureMode: jsii.String("WARN")}, []string{"BootstrapGuardProps.Enforcement", "contradicts the deprecated FailureMode"}},
		{"OnUnreadable contradicting FailOpen", &BootstrapGuardProps{OnUnreadable: jsii.String("block"), FailOpen: jsii.Bool(true)}, []string{"BootstrapGuardProps.OnUnreadable", "contradicts the deprecated FailOpen"}},
		{"central topic not an SNS ARN", &BootstrapGuardProps{CentralTopicArn: jsii.String("arn:aws:sqs:us-east-1:111111111111:q")}, []string{"BootstrapGuardProps.CentralTopicArn"}},
		{"central key not a KMS ARN", &BootstrapGuardProps{CentralTopicKeyArn: jsii.String("alias/guard")}, []string{"BootstrapGuardProps.CentralTopicKeyArn"}},
		{"central bus not a bus ARN", &BootstrapGuardProps{CentralEventBusArn: jsii.String("arn:aws:events:us-east-1:111111111111:rule/x")}, []string{"BootstrapGuardProps.CentralEventBusArn"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := func() (msg string) {
				defer func() { msg = fmt.Sprint(recover()) }()
				synth(t, "S", tt.props)
				return ""
			}()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("panic %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestCentralTargets: with the central topic and bus, the hook publishes to the central topic
// (and may use its key through SNS only), and failed invocations go to the central bus too.
func TestCentralTargets(t *testing.T) {
	topic, key, bus := "arn:aws:sns:us-east-1:999999999999:guard", "arn:aws:kms:us-east-1:999999999999:key/k", "arn:aws:events:us-east-1:999999999999:event-bus/guard"
	stack, tmpl := synth(t, "S", &BootstrapGuardProps{CentralTopicArn: jsii.String(topic), CentralTopicKeyArn: jsii.String(key), CentralEventBusArn: jsii.String(bus)})
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
		"Environment": m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_TOPIC_ARN": topic}))})}))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{
			obj(m(map[string]any{"Sid": "PublishToCentralTopic", "Action": "sns:Publish", "Resource": topic})),
			obj(m(map[string]any{"Sid": "EncryptForCentralTopic", "Resource": key,
				"Condition": m(map[string]any{"StringLike": m(map[string]any{"kms:ViaService": "sns.*.amazonaws.com"})})})),
		})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), m(map[string]any{
		"Targets": arr(&[]any{obj(m(map[string]any{"Arn": bus}))}),
	}))
	for _, msg := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
	}
	// Without them: the local topic, one target.
	_, plainTmpl := synth(t, "P", nil)
	rules := plainTmpl.FindResources(jsii.String("AWS::Events::Rule"), nil)
	for _, r := range *rules {
		if n := len((*r)["Properties"].(map[string]any)["Targets"].([]any)); n != 1 {
			t.Errorf("rule without a central bus has %d targets", n)
		}
	}
}

// TestCentralNotifications: the management account's topic and bus accept the organization only,
// and the bus's rule sends failed invocations to the topic.
func TestCentralNotifications(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Notifications"), nil)
	NewCentralNotifications(stack, jsii.String("Central"), &CentralNotificationsProps{OrganizationId: jsii.String("o-abcdefghij"), NotificationEmails: jsii.Strings("security@example.com")})
	AddNagChecks(stack)
	tmpl := assertions.Template_FromStack(stack, nil)
	inOrg := m(map[string]any{"StringEquals": m(map[string]any{"aws:PrincipalOrgID": "o-abcdefghij"})})
	tmpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{"Sid": "OrganizationPublishes", "Action": "sns:Publish", "Condition": inOrg}))})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Events::EventBusPolicy"), m(map[string]any{
		"Statement": obj(m(map[string]any{"Action": "events:PutEvents", "Condition": inOrg})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), m(map[string]any{
		"EventBusName": assertions.Match_AnyValue(),
		"EventPattern": obj(m(map[string]any{"source": []any{HookEventSource}, "detail-type": []any{HookEventDetailType}})),
	}))
	tmpl.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(1))
	for _, msg := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
	}
	func() {
		defer func() {
			if r := fmt.Sprint(recover()); !strings.Contains(r, "OrganizationId") {
				t.Errorf("a bad organization ID: %s", r)
			}
		}()
		NewCentralNotifications(awscdk.NewStack(app, jsii.String("Bad"), nil), jsii.String("C"), &CentralNotificationsProps{OrganizationId: jsii.String("o-ABC")})
	}()
}
