package bootstrapguard

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// TestLifecycleProps: StrictUpdates reaches the hook's environment, and the role may call
// lambda:GetRuntimeAlias on the listed runtimes and their aliases (default: this account's and
// region's runtimes), with cdk-nag satisfied; a malformed ARN stops the synth naming the prop.
func TestLifecycleProps(t *testing.T) {
	const shared = "arn:aws:lambda:eu-west-1:210987654321:runtime/platform-python"
	stack, tmpl := synth(t, "Lifecycle", &BootstrapGuardProps{StrictUpdates: jsii.Bool(true), CustomRuntimeArns: jsii.Strings(shared)})
	for _, msg := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
	}
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
		"Environment": m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_STRICT_UPDATES": "true"}))}),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
			"Sid": "ReadCustomRuntimeAliases", "Action": "lambda:GetRuntimeAlias", "Effect": "Allow",
			"Resource": []any{shared, shared + "/alias/*"}}))})})),
	}))

	_, tmpl = synth(t, "LifecycleDefault", nil)
	b, _ := json.Marshal(tmpl.ToJSON())
	if !strings.Contains(string(b), `"Action":"lambda:GetRuntimeAlias","Effect":"Allow","Resource":{"Fn::Sub":"arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:runtime/*"}`) {
		t.Errorf("default statement missing:\n%s", b)
	}
	if strings.Contains(string(b), "BOOTSTRAP_GUARD_STRICT_UPDATES") {
		t.Error("strict updates set without the prop")
	}

	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "CustomRuntimeArns") {
			t.Errorf("malformed ARN: %v", r)
		}
	}()
	synth(t, "LifecycleBad", &BootstrapGuardProps{CustomRuntimeArns: jsii.Strings("arn:aws:lambda:eu-west-1:123456789012:function:f")})
}

// TestSynthRuntimeConfig: the synth check reads RuntimeConfig from the resolved properties; a
// custom runtime without it in props (set by an override this CDK cannot see) is left to the
// hook rather than failed.
func TestSynthRuntimeConfig(t *testing.T) {
	fn := inspect.Function{Runtime: "custom"}
	synthRuntimeConfig(&fn, map[string]any{"runtimeConfig": map[string]any{"runtimeArn": "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python", "runtimeAlias": "prod"}})
	if fn.RuntimeConfig == nil || fn.RuntimeConfig.RuntimeAlias != "prod" || fn.RuntimeConfig.Unresolved {
		t.Errorf("literal: %+v", fn.RuntimeConfig)
	}
	fn = inspect.Function{Runtime: "custom"}
	synthRuntimeConfig(&fn, map[string]any{})
	if fn.RuntimeConfig == nil || !fn.RuntimeConfig.Unresolved {
		t.Errorf("not in props: %+v", fn.RuntimeConfig)
	}
	fn = inspect.Function{Runtime: "python3.13"}
	synthRuntimeConfig(&fn, map[string]any{})
	if fn.RuntimeConfig != nil {
		t.Errorf("python: %+v", fn.RuntimeConfig)
	}
	fn = inspect.Function{Runtime: "custom"}
	synthRuntimeConfig(&fn, map[string]any{"runtimeConfig": map[string]any{"runtimeArn": map[string]any{"Fn::GetAtt": []any{"Rt", "Arn"}}, "runtimeAlias": "prod"}})
	if fn.RuntimeConfig == nil || !fn.RuntimeConfig.Unresolved {
		t.Errorf("token: %+v", fn.RuntimeConfig)
	}
}
