package bootstrapguard

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func synth(t *testing.T, name string, props *BootstrapGuardProps) (awscdk.Stack, assertions.Template) {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String(name), nil)
	NewBootstrapGuard(stack, jsii.String("Guard"), props)
	AddNagChecks(stack)
	return stack, assertions.Template_FromStack(stack, nil)
}

var (
	obj = assertions.Match_ObjectLike
	arr = assertions.Match_ArrayWith
)

func m(v map[string]any) *map[string]any { return &v }

func TestGuardResources(t *testing.T) {
	_, tmpl := synth(t, "GuardStack", nil)
	tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
	tmpl.ResourceCountIs(jsii.String("AWS::CloudFormation::LambdaHook"), jsii.Number(1))
	tmpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
	tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(1))
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
		"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
		"MemorySize": DefaultMemoryMB, "Timeout": DefaultTimeout,
		"Environment":   obj(m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_FAIL_MODE": "closed"}))})),
		"LoggingConfig": obj(m(map[string]any{"LogGroup": assertions.Match_AnyValue()})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), m(map[string]any{"RetentionInDays": 30}))
	tmpl.HasResourceProperties(jsii.String("AWS::CloudFormation::LambdaHook"), m(map[string]any{
		"Alias": DefaultAlias, "FailureMode": "FAIL", "HookStatus": "ENABLED", "TargetOperations": []any{"RESOURCE"},
		"TargetFilters": m(map[string]any{"Targets": []any{
			m(map[string]any{"Action": "CREATE", "InvocationPoint": "PRE_PROVISION", "TargetName": "AWS::Lambda::Function"}),
			m(map[string]any{"Action": "UPDATE", "InvocationPoint": "PRE_PROVISION", "TargetName": "AWS::Lambda::Function"}),
		}}),
		"StackFilters": m(map[string]any{"FilteringCriteria": "ALL",
			"StackNames": m(map[string]any{"Exclude": arr(&[]any{"GuardStack", "CDKToolkit"})})}),
	}))
	// The hook's execution role: trusted by CloudFormation hooks, may only invoke the function.
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), m(map[string]any{
		"AssumeRolePolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
			"Principal": m(map[string]any{"Service": "hooks.cloudformation.amazonaws.com"})}))})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": m(map[string]any{"Version": "2012-10-17", "Statement": []any{obj(m(map[string]any{
			"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": obj(m(map[string]any{})),
		}))}}),
	}))
	// The function's role: code packages, layers, its topic, its logs, and nothing else.
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{
			obj(m(map[string]any{"Sid": "ReadCodePackages", "Action": []any{"s3:GetObject", "s3:GetObjectVersion"}})),
			obj(m(map[string]any{"Sid": "ReadLayers", "Action": "lambda:GetLayerVersion"})),
			obj(m(map[string]any{"Action": "sns:Publish"})),
		})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), m(map[string]any{"KmsMasterKeyId": assertions.Match_AnyValue()}))
	tmpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), m(map[string]any{"EnableKeyRotation": true}))
	tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), m(map[string]any{
		"EventPattern": obj(m(map[string]any{
			"source": []any{"aws.cloudformation"}, "detail-type": []any{"CloudFormation Hook Invocation Progress"},
			"detail": obj(m(map[string]any{"hook-detail": m(map[string]any{"hook-type-name": []any{DefaultAlias}})})),
		})),
		"Targets": arr(&[]any{obj(m(map[string]any{"Arn": obj(m(map[string]any{"Ref": assertions.Match_AnyValue()}))}))}),
	}))
	tmpl.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0))
}

func TestGuardProps(t *testing.T) {
	_, tmpl := synth(t, "Custom", &BootstrapGuardProps{
		Alias: jsii.String("Acme::Lambda::Guard"), FailureMode: jsii.String("WARN"), FailOpen: jsii.Bool(true),
		NotificationEmails: jsii.Strings("ops@example.com"), ExcludeStacks: jsii.Strings("Legacy-*"), IncludeStacks: jsii.Strings("App*"),
		DenyRuntimes: jsii.Strings("provided.al2"), WarnDays: jsii.Number(90), CodeBuckets: jsii.Strings("deploy-artifacts-${AWS::AccountId}"),
		MemorySize: jsii.Number(512),
	})
	tmpl.HasResourceProperties(jsii.String("AWS::CloudFormation::LambdaHook"), m(map[string]any{
		"Alias": "Acme::Lambda::Guard", "FailureMode": "WARN",
		"StackFilters": obj(m(map[string]any{"StackNames": m(map[string]any{
			"Exclude": arr(&[]any{"Custom", "CDKToolkit", "Legacy-*"}), "Include": []any{"App*"}})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
		"MemorySize": 512,
		"Environment": m(map[string]any{"Variables": obj(m(map[string]any{
			"BOOTSTRAP_GUARD_FAIL_MODE": "open", "BOOTSTRAP_GUARD_DENY_RUNTIMES": "provided.al2", "BOOTSTRAP_GUARD_WARN_DAYS": "90"}))}),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), m(map[string]any{"Protocol": "email", "Endpoint": "ops@example.com"}))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
			"Sid": "ReadCodePackages", "Resource": m(map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::deploy-artifacts-${AWS::AccountId}/*"})}))})})),
	}))
}

func TestBadProps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props *BootstrapGuardProps
	}{
		{"alias with two parts", &BootstrapGuardProps{Alias: jsii.String("Private::Guard")}},
		{"alias starting with AWS", &BootstrapGuardProps{Alias: jsii.String("AWS::Lambda::Guard")}},
		{"failure mode", &BootstrapGuardProps{FailureMode: jsii.String("STOP")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("want a panic naming the bad prop")
				}
			}()
			synth(t, "Bad", tc.props)
		})
	}
}

// TestNag: cdk-nag's AwsSolutions pack reports no unsuppressed error or warning.
func TestNag(t *testing.T) {
	stack, _ := synth(t, "NagStack", &BootstrapGuardProps{NotificationEmails: jsii.Strings("ops@example.com")})
	ann := assertions.Annotations_FromStack(stack)
	for _, msgs := range []*[]*cxapi.SynthesisMessage{
		ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
		ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
	} {
		for _, msg := range *msgs {
			t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
		}
	}
}

// TestGuardsItself synthesizes the guard and checks its own function asset with the engine, as
// the hook would check it: provided.al2023, arm64, bootstrap at the root.
func TestGuardsItself(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()),
		Context: &map[string]any{"aws:cdk:enable-asset-metadata": true}})
	stack := awscdk.NewStack(app, jsii.String("Self"), nil)
	g := NewBootstrapGuard(stack, jsii.String("Guard"), nil)
	asm := app.Synth(nil)
	tmplJSON, _ := json.Marshal(asm.GetStackArtifact(stack.ArtifactId()).Template())
	var tmpl struct {
		Resources map[string]struct {
			Type     string
			Metadata map[string]any
		}
	}
	json.Unmarshal(tmplJSON, &tmpl)
	id := *stack.GetLogicalId(g.Function.Node().DefaultChild().(awscdk.CfnElement))
	rel, _ := tmpl.Resources[id].Metadata["aws:asset:path"].(string)
	if rel == "" {
		t.Fatalf("function %s has no asset path", id)
	}
	dir := filepath.Join(*asm.Directory(), rel)
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		t.Fatalf("asset %s: %v", dir, err)
	}
	res, err := inspect.New(inspect.Options{}).Check(context.Background(), inspect.Function{
		Target: "Self/" + id, Runtime: "provided.al2023", Architecture: inspect.ArchARM, Handler: "bootstrap",
		Code: inspect.Source{Name: dir, Dir: dir},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != result.Pass {
		t.Fatalf("the guard's own asset fails its checks: %+v", res.Findings)
	}
}

// TestImageReadPolicy: the function's role reads images only in the configured repositories
// (CDK's container asset repositories by default) and may get a registry token.
func TestImageReadPolicy(t *testing.T) {
	_, tmpl := synth(t, "Images", nil)
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{
			obj(m(map[string]any{"Sid": "ReadImages", "Action": []any{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
				"Resource": m(map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/cdk-*-container-assets-${AWS::AccountId}-${AWS::Region}"})})),
			obj(m(map[string]any{"Sid": "RegistryToken", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})),
		})})),
	}))
	_, tmpl = synth(t, "CustomImages", &BootstrapGuardProps{ImageRepositories: jsii.Strings("team-a/*", "arn:aws:ecr:eu-west-1:111122223333:repository/shared")})
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{
			obj(m(map[string]any{"Sid": "ReadImages", "Resource": []any{
				m(map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/team-a/*"}),
				m(map[string]any{"Fn::Sub": "arn:aws:ecr:eu-west-1:111122223333:repository/shared"}),
			}})),
		})})),
	}))
}
