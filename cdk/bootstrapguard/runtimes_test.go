package bootstrapguard

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// ssmAction matches an IAM action of SSM ("ssm:GetParameter"), not a value like "ssm:/name".
var ssmAction = regexp.MustCompile(`"ssm:[A-Za-z*]`)

// TestCatalogueAndExemptionProps: the catalogue location and exemption switch reach the hook's
// environment, and the role may read that one parameter or object and nothing else of SSM or S3.
func TestCatalogueAndExemptionProps(t *testing.T) {
	t.Run("ssm", func(t *testing.T) {
		stack, tmpl := synth(t, "CatSSM", &BootstrapGuardProps{RuntimesCatalogue: jsii.String("ssm:/platform/bootstrap-guard/runtimes"),
			RuntimesCacheSeconds: jsii.Number(120), Exemptions: jsii.String("rules-only")})
		// No wildcard: cdk-nag has nothing to say about the new statement.
		ann := assertions.Annotations_FromStack(stack)
		for _, msg := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
		}
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
			"Environment": m(map[string]any{"Variables": obj(m(map[string]any{
				"BOOTSTRAP_GUARD_RUNTIMES": "ssm:/platform/bootstrap-guard/runtimes", "BOOTSTRAP_GUARD_RUNTIMES_TTL": "120",
				"BOOTSTRAP_GUARD_EXEMPTIONS": "rules-only"}))}),
		}))
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
			"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
				"Sid": "ReadRuntimeCatalogue", "Action": "ssm:GetParameter", "Effect": "Allow",
				"Resource": m(map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/platform/bootstrap-guard/runtimes"})}))})})),
		}))
		b, _ := json.Marshal(tmpl.ToJSON())
		if n := len(ssmAction.FindAllString(string(b), -1)); n != 1 {
			t.Errorf("%d SSM actions in the template, want exactly ssm:GetParameter once", n)
		}
	})
	t.Run("ssm arn", func(t *testing.T) {
		arn := "arn:aws:ssm:eu-west-1:111122223333:parameter/shared/runtimes"
		_, tmpl := synth(t, "CatARN", &BootstrapGuardProps{RuntimesCatalogue: jsii.String(arn)})
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
			"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
				"Sid": "ReadRuntimeCatalogue", "Action": "ssm:GetParameter", "Resource": arn}))})})),
		}))
	})
	t.Run("s3", func(t *testing.T) {
		_, tmpl := synth(t, "CatS3", &BootstrapGuardProps{RuntimesCatalogue: jsii.String("s3://platform-config/guard/runtimes.json")})
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
			"Environment": m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_RUNTIMES": "s3://platform-config/guard/runtimes.json"}))}),
		}))
		tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
			"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
				"Sid": "ReadRuntimeCatalogue", "Action": "s3:GetObject",
				"Resource": m(map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::platform-config/guard/runtimes.json"})}))})})),
		}))
	})
	t.Run("default", func(t *testing.T) {
		_, tmpl := synth(t, "CatNone", nil)
		b, _ := json.Marshal(tmpl.ToJSON())
		for _, s := range []string{"BOOTSTRAP_GUARD_RUNTIMES", "BOOTSTRAP_GUARD_EXEMPTIONS", "ReadRuntimeCatalogue"} {
			if strings.Contains(string(b), s) {
				t.Errorf("default guard has %s", s)
			}
		}
		if ssmAction.Match(b) {
			t.Error("default guard may call SSM")
		}
	})
	for name, props := range map[string]*BootstrapGuardProps{
		"catalogue URL": {RuntimesCatalogue: jsii.String("https://example.com/runtimes.json")},
		"exemptions":    {Exemptions: jsii.String("some")},
		"cache seconds": {RuntimesCacheSeconds: jsii.Number(0)},
	} {
		t.Run("bad "+name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("want a panic naming the bad prop")
				}
			}()
			synth(t, "Bad", props)
		})
	}
}
