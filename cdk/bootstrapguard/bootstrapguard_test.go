package bootstrapguard

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		"Alias": DefaultAlias, "FailureMode": "FAIL", "HookStatus": "ENABLED", "TargetOperations": []any{"RESOURCE", "CHANGE_SET"},
		"TargetFilters": m(map[string]any{"Targets": []any{
			m(map[string]any{"Action": "CREATE", "InvocationPoint": "PRE_PROVISION", "TargetName": "AWS::Lambda::Function"}),
			m(map[string]any{"Action": "UPDATE", "InvocationPoint": "PRE_PROVISION", "TargetName": "AWS::Lambda::Function"}),
		}}),
		"StackFilters": m(map[string]any{"FilteringCriteria": "ALL",
			"StackNames": m(map[string]any{"Exclude": arr(&[]any{"GuardStack", "CDKToolkit"})})}),
	}))
	// The hook's execution role: trusted by CloudFormation hooks from this account (the
	// aws:SourceAccount condition of cloudformation-cli's hook-role.yml), may only invoke the
	// function.
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), m(map[string]any{
		"AssumeRolePolicyDocument": obj(m(map[string]any{"Statement": []any{m(map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": m(map[string]any{"Service": "hooks.cloudformation.amazonaws.com"}),
			"Condition": m(map[string]any{"StringEquals": m(map[string]any{"aws:SourceAccount": m(map[string]any{"Ref": "AWS::AccountId"})})}),
		})}})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": m(map[string]any{"Version": "2012-10-17", "Statement": []any{obj(m(map[string]any{
			"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": obj(m(map[string]any{})),
		}))}}),
	}))
	// The function's role: code packages, layers, its topic, its logs, and nothing else.
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{
			obj(m(map[string]any{"Sid": "ReadCodePackagesInThisAccount", "Action": []any{"s3:GetObject", "s3:GetObjectVersion"},
				"Condition": m(map[string]any{"StringEquals": m(map[string]any{"aws:ResourceAccount": m(map[string]any{"Ref": "AWS::AccountId"})})})})),
			obj(m(map[string]any{"Sid": "DecryptCodePackagesWithKeysOfThisAccount", "Action": "kms:Decrypt",
				"Condition": m(map[string]any{"StringEquals": m(map[string]any{"kms:ViaService": m(map[string]any{"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"})})})})),
			obj(m(map[string]any{"Sid": "ReadLayers", "Action": "lambda:GetLayerVersion"})),
			obj(m(map[string]any{"Action": "sns:Publish"})),
		})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), m(map[string]any{"KmsMasterKeyId": assertions.Match_AnyValue()}))
	tmpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), m(map[string]any{"EnableKeyRotation": true}))
	tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), m(map[string]any{
		"EventPattern": obj(m(map[string]any{
			"source": []any{"aws.cloudformation"}, "detail-type": []any{"CloudFormation Hook Invocation Progress"},
			"detail": obj(m(map[string]any{"hook-detail": m(map[string]any{"hook-type-name": []any{DefaultAlias}}),
				"status": []any{m(map[string]any{"anything-but": arr(&[]any{"HOOK_IN_PROGRESS", "HOOK_COMPLETE_SUCCEEDED"})})}})),
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
			"Sid": "ReadCodePackagesInListedBuckets", "Resource": m(map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::deploy-artifacts-${AWS::AccountId}/*"})}))})})),
	}))
}

func TestBadProps(t *testing.T) {
	many := func(n int, prefix string) *[]*string {
		var l []*string
		for i := range n {
			l = append(l, jsii.String(fmt.Sprintf("%s%d", prefix, i)))
		}
		return &l
	}
	for _, tc := range []struct {
		name, prop string // the panic must name the prop
		props      *BootstrapGuardProps
	}{
		{"alias with two parts", "Alias", &BootstrapGuardProps{Alias: jsii.String("Private::Guard")}},
		{"alias starting with AWS", "Alias", &BootstrapGuardProps{Alias: jsii.String("AWS::Lambda::Guard")}},
		{"alias with a dash", "Alias", &BootstrapGuardProps{Alias: jsii.String("Private::Lambda::Boot-Guard")}},
		{"failure mode", "FailureMode", &BootstrapGuardProps{FailureMode: jsii.String("STOP")}},
		{"51 included stacks", "IncludeStacks", &BootstrapGuardProps{IncludeStacks: many(51, "app-")}},
		{"48 excluded stacks (plus 3 always)", "ExcludeStacks", &BootstrapGuardProps{ExcludeStacks: many(48, "legacy-")}},
		{"stack name with underscore", "ExcludeStacks", &BootstrapGuardProps{ExcludeStacks: jsii.Strings("legacy_app")}},
		{"stack name starting with a digit", "IncludeStacks", &BootstrapGuardProps{IncludeStacks: jsii.Strings("1app")}},
		{"stack name too long", "IncludeStacks", &BootstrapGuardProps{IncludeStacks: jsii.Strings(strings.Repeat("a", 129))}},
		{"bucket with uppercase", "CodeBuckets", &BootstrapGuardProps{CodeBuckets: jsii.Strings("Deploy-Artifacts")}},
		{"bucket with a slash", "CodeBuckets", &BootstrapGuardProps{CodeBuckets: jsii.Strings("artifacts/*")}},
		{"bucket with another substitution", "CodeBuckets", &BootstrapGuardProps{CodeBuckets: jsii.Strings("artifacts-${AWS::StackName}")}},
		{"bucket matching everything", "CodeBuckets", &BootstrapGuardProps{CodeBuckets: jsii.Strings("*")}},
		{"key that is not an ARN", "CodeBucketKeyArns", &BootstrapGuardProps{CodeBucketKeyArns: jsii.Strings("alias/deploy")}},
		{"email without @", "NotificationEmails", &BootstrapGuardProps{NotificationEmails: jsii.Strings("ops.example.com")}},
		{"negative warn days", "WarnDays", &BootstrapGuardProps{WarnDays: jsii.Number(-7)}},
		{"read scope", "ReadScope", &BootstrapGuardProps{ReadScope: jsii.String("REGION")}},
		{"stack target", "TargetOperations", &BootstrapGuardProps{TargetOperations: jsii.Strings("RESOURCE", "STACK")}},
		{"no target", "TargetOperations", &BootstrapGuardProps{TargetOperations: &[]*string{}}},
		{"target twice", "TargetOperations", &BootstrapGuardProps{TargetOperations: jsii.Strings("CHANGE_SET", "CHANGE_SET")}},
		{"organization id", "OrganizationId", &BootstrapGuardProps{ReadScope: jsii.String("ORGANIZATION"), OrganizationId: jsii.String("ou-ab12-cdefgh34")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, "BootstrapGuardProps."+tc.prop+":") || !strings.Contains(r, "Bad/Guard") {
					t.Fatalf("panic %q: want one naming the construct and BootstrapGuardProps.%s", r, tc.prop)
				}
			}()
			synth(t, "Bad", tc.props)
		})
	}
}

// TestGoodProps: the limits themselves, wildcards and substitutions are accepted.
func TestGoodProps(t *testing.T) {
	var incl, excl []*string
	for i := range MaxStackNameFilters {
		incl = append(incl, jsii.String(fmt.Sprintf("app-%d-*", i)))
	}
	for i := range MaxStackNameFilters - alwaysExcluded {
		excl = append(excl, jsii.String(fmt.Sprintf("legacy-%d", i)))
	}
	props := &BootstrapGuardProps{
		Alias: jsii.String("Acme::Lambda::Guard2"), FailureMode: jsii.String("WARN"), IncludeStacks: &incl, ExcludeStacks: &excl,
		CodeBuckets:        jsii.Strings("cdk-*-assets-${AWS::AccountId}-${AWS::Region}", "deploy.artifacts-*"),
		CodeBucketKeyArns:  jsii.Strings("arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
		NotificationEmails: jsii.Strings("ops@example.com"), WarnDays: jsii.Number(0),
		ReadScope: jsii.String("organization"), OrganizationId: jsii.String("o-abc123def4"),
		TargetOperations: jsii.Strings("RESOURCE"),
	}
	if err := ValidateProps(props, "Guard"); err != nil {
		t.Fatal(err)
	}
	_, tmpl := synth(t, "Limits", props)
	tmpl.HasResourceProperties(jsii.String("AWS::CloudFormation::LambdaHook"), m(map[string]any{
		"TargetOperations": []any{"RESOURCE"},
		"StackFilters": obj(m(map[string]any{"StackNames": m(map[string]any{
			"Include": assertions.Match_AnyValue(), "Exclude": arr(&[]any{"Limits", "CDKToolkit", "legacy-46"})})})),
	}))
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
		Target: "Self/" + id, Runtime: "provided.al2023", Architecture: result.ArchARM, Handler: "bootstrap",
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
