package bootstrapguard

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfnspec"
)

// templateOf synthesizes a stack and returns its template as JSON.
func templateOf(t *testing.T, app awscdk.App, stack awscdk.Stack) []byte {
	t.Helper()
	tmpl := app.Synth(nil).GetStackArtifact(stack.ArtifactId()).Template()
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reference synthesizes NewBootstrapGuard in a stack named name with props (code from a bucket:
// the code is not compared).
func reference(t *testing.T, name string, props BootstrapGuardProps) []byte {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{AnalyticsReporting: jsii.Bool(false)})
	props.Code = awslambda.Code_FromBucket(awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String("ref-bucket")), jsii.String("hook.zip"), nil)
	NewBootstrapGuard(stack, jsii.String("Guard"), &props)
	return templateOf(t, app, stack)
}

// plainTemplate synthesizes NewPlainGuardStack.
func plainTemplate(t *testing.T, member bool) []byte {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := NewPlainGuardStack(app, "Plain", PlainTemplateOptions{HookKey: "bootstrap-guard/hook-0123456789abcdef.zip", Member: member})
	return templateOf(t, app, stack)
}

// deployed is cfnspec.Deployed with the stack's name and environment given, without the CDK's
// metadata resource and the hook function's code (an asset in one, a bucket in the other).
func deployed(t *testing.T, template []byte, given map[string]string) map[string]any {
	t.Helper()
	vals := map[string]string{"AWS::StackName": "BootstrapGuard", "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111", "AWS::Partition": "aws"}
	for k, v := range given {
		vals[k] = v
	}
	out, err := cfnspec.Deployed(template, vals)
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range out {
		res := r.(map[string]any)
		switch res["Type"] {
		case "AWS::CDK::Metadata":
			delete(out, id)
		case "AWS::Lambda::Function":
			delete(res["Properties"].(map[string]any), "Code")
		}
	}
	cfnspec.CanonicalPolicies(out)
	return out
}

// TestPlainTemplateDeploysTheConstruct: the plain template, with the parameters of each case,
// deploys exactly the resources (types, logical IDs, properties) of NewBootstrapGuard with the
// same settings as props; with no parameters, those of the construct's defaults.
func TestPlainTemplateDeploysTheConstruct(t *testing.T) {
	account, member := plainTemplate(t, false), plainTemplate(t, true)
	tests := []struct {
		name     string
		member   bool
		params   map[string]string
		props    BootstrapGuardProps
		sameKeys int // resources expected (a floor against comparing two empty sets)
	}{
		{"defaults", false, nil, BootstrapGuardProps{}, 10},
		{"member defaults: WARN, organization scope", true, nil,
			BootstrapGuardProps{Enforcement: jsii.String("WARN"), ReadScope: jsii.String(ReadScopeOrganization)}, 10},
		{"every setting", false, map[string]string{
			"Enforcement": "WARN", "HookStatus": "DISABLED", "OnUnreadable": "allow", "ReadScope": "BUCKETS",
			"CodeBuckets": "deploy-artifacts,vendor-*", "CodeBucketKeyArns": "arn:aws:kms:eu-west-1:222222222222:key/k1",
			"AllowRuntimes": "go1.x", "DenyRuntimes": "provided.al2,python3.9", "WarnDays": "90", "IncludeStacks": "App*",
			"ExcludeStacks": "Legacy-*,Old", "NotificationEmail": "ops@example.com", "Alias": "Acme::Lambda::Guard",
			"MemorySize": "512", "Timeout": "20", "RuntimesCatalogue": "ssm:/guard/runtimes", "RuntimesCacheSeconds": "60",
			"Exemptions": "rules-only", "LogRetentionDays": "30",
			"ImageRepositoryArns": "arn:aws:ecr:eu-west-1:111111111111:repository/app-*",
			"TargetOperations":    "CHANGE_SET", "StrictUpdates": "true", "CustomRuntimeArns": "arn:aws:lambda:eu-west-1:333333333333:runtime/shared",
		}, BootstrapGuardProps{
			TargetOperations: jsii.Strings("CHANGE_SET"), StrictUpdates: jsii.Bool(true), CustomRuntimeArns: jsii.Strings("arn:aws:lambda:eu-west-1:333333333333:runtime/shared"),
			Enforcement: jsii.String("WARN"), HookEnabled: jsii.Bool(false), OnUnreadable: jsii.String("allow"), ReadScope: jsii.String("BUCKETS"),
			CodeBuckets: jsii.Strings("deploy-artifacts", "vendor-*"), CodeBucketKeyArns: jsii.Strings("arn:aws:kms:eu-west-1:222222222222:key/k1"),
			AllowRuntimes: jsii.Strings("go1.x"), DenyRuntimes: jsii.Strings("provided.al2", "python3.9"), WarnDays: jsii.Number(90),
			IncludeStacks: jsii.Strings("App*"), ExcludeStacks: jsii.Strings("Legacy-*", "Old"), NotificationEmails: jsii.Strings("ops@example.com"),
			Alias: jsii.String("Acme::Lambda::Guard"), MemorySize: jsii.Number(512), Timeout: jsii.Number(20),
			RuntimesCatalogue: jsii.String("ssm:/guard/runtimes"), RuntimesCacheSeconds: jsii.Number(60), Exemptions: jsii.String("rules-only"),
			ImageRepositories: jsii.Strings("arn:aws:ecr:eu-west-1:111111111111:repository/app-*"),
		}, 11},
		{"organization scope with an ID, catalogue in S3, central notifications", true, map[string]string{
			"OrganizationId": "o-abcdefghij", "RuntimesCatalogue": "s3://guard-config/runtimes.json", "Enforcement": "FAIL",
			"CentralTopicArn": "arn:aws:sns:us-east-1:999999999999:guard", "CentralTopicKeyArn": "arn:aws:kms:us-east-1:999999999999:key/k",
			"CentralEventBusArn": "arn:aws:events:eu-west-1:999999999999:event-bus/guard",
		}, BootstrapGuardProps{
			ReadScope: jsii.String(ReadScopeOrganization), OrganizationId: jsii.String("o-abcdefghij"), RuntimesCatalogue: jsii.String("s3://guard-config/runtimes.json"),
			CentralTopicArn: jsii.String("arn:aws:sns:us-east-1:999999999999:guard"), CentralTopicKeyArn: jsii.String("arn:aws:kms:us-east-1:999999999999:key/k"),
			CentralEventBusArn: jsii.String("arn:aws:events:eu-west-1:999999999999:event-bus/guard"),
		}, 12},
		{"scheduled audit, own bucket", false, map[string]string{"AuditSchedule": "rate(1 day)"},
			BootstrapGuardProps{AuditSchedule: jsii.String("rate(1 day)")}, 15},
		{"scheduled audit, given bucket", false, map[string]string{"AuditSchedule": "cron(0 6 * * ? *)", "AuditBucket": "audit-reports"},
			BootstrapGuardProps{AuditSchedule: jsii.String("cron(0 6 * * ? *)"), AuditBucket: jsii.String("audit-reports")}, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := account
			if tt.member {
				tmpl = member
			}
			got := deployed(t, tmpl, tt.params)
			want := deployed(t, reference(t, "BootstrapGuard", tt.props), nil)
			if len(want) < tt.sameKeys {
				t.Fatalf("the construct deploys %d resources, want at least %d", len(want), tt.sameKeys)
			}
			// The email subscription of the template is a resource of its own, the construct's
			// a subscription of the topic: same type and properties, different logical IDs.
			normalizeSubscriptions(got)
			normalizeSubscriptions(want)
			var ids []string
			for id := range want {
				ids = append(ids, id)
			}
			for id := range got {
				if _, ok := want[id]; !ok {
					ids = append(ids, id)
				}
			}
			sort.Strings(ids)
			for _, id := range ids {
				if !reflect.DeepEqual(got[id], want[id]) {
					g, _ := json.MarshalIndent(got[id], "", " ")
					w, _ := json.MarshalIndent(want[id], "", " ")
					t.Errorf("%s differs:\nplain template: %s\nconstruct:      %s", id, g, w)
				}
			}
		})
	}
}

func normalizeSubscriptions(res map[string]any) {
	for id, r := range res {
		if r.(map[string]any)["Type"] == "AWS::SNS::Subscription" {
			delete(res, id)
			res["Subscription"] = r
		}
	}
}

// TestPlainTemplateValid validates the templates against the CloudFormation resource schemas
// (make cfn-spec-cache) and checks that every parameter has a default but the code bucket's.
func TestPlainTemplateValid(t *testing.T) {
	spec := loadSpec(t)
	for _, member := range []bool{false, true} {
		b := plainTemplate(t, member)
		for _, err := range spec.Validate(b) {
			t.Errorf("member=%v: %v", member, err)
		}
		var tmpl struct {
			Parameters map[string]map[string]any
		}
		json.Unmarshal(b, &tmpl)
		for _, name := range TemplateParameterNames(member) {
			p, ok := tmpl.Parameters[name]
			if !ok {
				t.Errorf("member=%v: no parameter %s", member, name)
				continue
			}
			if _, hasDefault := p["Default"]; !hasDefault && !strings.HasPrefix(name, "HookCodeBucket") {
				t.Errorf("member=%v: parameter %s has no default", member, name)
			}
		}
		if len(tmpl.Parameters) != len(TemplateParameterNames(member)) {
			t.Errorf("member=%v: %d parameters, want %d", member, len(tmpl.Parameters), len(TemplateParameterNames(member)))
		}
	}
}

func loadSpec(t *testing.T) *cfnspec.Spec {
	t.Helper()
	path := cfnspec.DBPath()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") != "" {
			t.Fatalf("%v: run make cfn-spec-cache", err)
		}
		t.Skipf("%v: run make cfn-spec-cache", err)
	}
	spec, err := cfnspec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// propParameters maps every field of BootstrapGuardProps to its plain template parameter, so that
// a prop added later fails this test until the template takes it too.
var propParameters = map[string]string{
	"Enforcement": "Enforcement", "OnUnreadable": "OnUnreadable", "HookEnabled": "HookStatus",
	"FailureMode": "Enforcement", "FailOpen": "OnUnreadable", // deprecated names
	"Alias": "Alias", "ReadScope": "ReadScope", "OrganizationId": "OrganizationId", "CodeBuckets": "CodeBuckets",
	"CodeBucketKeyArns": "CodeBucketKeyArns", "AllowRuntimes": "AllowRuntimes", "DenyRuntimes": "DenyRuntimes", "SkipRules": "SkipRules",
	"WarnDays": "WarnDays", "IncludeStacks": "IncludeStacks", "ExcludeStacks": "ExcludeStacks",
	"NotificationEmails": "NotificationEmail", "LogRetention": "LogRetentionDays", "MemorySize": "MemorySize",
	"Timeout": "Timeout", "Code": "HookCodeKey", "RuntimesCatalogue": "RuntimesCatalogue",
	"RuntimesCacheSeconds": "RuntimesCacheSeconds", "Exemptions": "Exemptions", "ImageRepositories": "ImageRepositoryArns",
	"CentralTopicArn": "CentralTopicArn", "CentralTopicKeyArn": "CentralTopicKeyArn", "CentralEventBusArn": "CentralEventBusArn",
	"TargetOperations": "TargetOperations", "StrictUpdates": "StrictUpdates", "CustomRuntimeArns": "CustomRuntimeArns",
	"AuditSchedule": "AuditSchedule", "AuditBucket": "AuditBucket",
}

func TestEveryPropHasAParameter(t *testing.T) {
	params := map[string]bool{}
	for _, p := range TemplateParameterNames(false) {
		params[p] = true
	}
	typ := reflect.TypeOf(BootstrapGuardProps{})
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		p, ok := propParameters[name]
		if !ok {
			t.Errorf("BootstrapGuardProps.%s has no plain template parameter: add one (template.go) and map it here", name)
			continue
		}
		if !params[p] {
			t.Errorf("BootstrapGuardProps.%s maps to %s, which the template does not have", name, p)
		}
	}
}
