package bootstrapguard

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func hookZip(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "hook.zip")
	f, _ := os.Create(p)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("stand-in"))
	zw.Close()
	f.Close()
	return p
}

func TestOrgRollout(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Org"), nil)
	zipPath := hookZip(t)
	r := NewOrgRollout(stack, jsii.String("Rollout"), &OrgRolloutProps{
		OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"), Regions: jsii.Strings("us-east-1", "eu-west-1"),
		CodeBucketPrefix: jsii.String("acme-guard-code"), HookZip: jsii.String(zipPath),
		Guard: &BootstrapGuardProps{NotificationEmails: jsii.Strings("ops@example.com")},
	})
	key, err := HookKey(zipPath)
	if err != nil || r.CodeKey != key || !strings.HasPrefix(key, "bootstrap-guard/hook-") {
		t.Fatalf("code key %q (%v)", r.CodeKey, err)
	}
	tmpl := assertions.Template_FromStack(stack, nil)
	tmpl.HasResourceProperties(jsii.String("AWS::CloudFormation::StackSet"), m(map[string]any{
		"PermissionModel": "SERVICE_MANAGED", "StackSetName": "BootstrapGuard", "CallAs": "SELF",
		"AutoDeployment":      m(map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false}),
		"ManagedExecution":    m(map[string]any{"Active": true}),
		"Capabilities":        arr(&[]any{"CAPABILITY_IAM"}),
		"StackInstancesGroup": []any{m(map[string]any{"DeploymentTargets": m(map[string]any{"OrganizationalUnitIds": []any{"ou-ab12-cdefgh34"}}), "Regions": []any{"us-east-1", "eu-west-1"}})},
	}))
	// The member template: the plain template's member variant, its code from the bucket of the
	// member's region, its settings the stack set's parameters.
	sets := tmpl.FindResources(jsii.String("AWS::CloudFormation::StackSet"), nil)
	var body string
	var params []any
	for _, res := range *sets {
		props := (*res)["Properties"].(map[string]any)
		body = props["TemplateBody"].(string)
		params, _ = props["Parameters"].([]any)
	}
	if len(body) > 51200 {
		t.Errorf("member template is %d bytes; TemplateBody allows 51,200", len(body))
	}
	got := map[string]string{}
	for _, p := range params {
		pm := p.(map[string]any)
		got[pm["ParameterKey"].(string)] = fmt.Sprint(pm["ParameterValue"])
	}
	want := map[string]string{"HookCodeBucketPrefix": "acme-guard-code", "HookCodeKey": key, "NotificationEmail": "ops@example.com"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stack set parameters %v, want %v", got, want)
	}
	var member struct {
		Parameters map[string]struct{ Default any }
		Resources  map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &member); err != nil {
		t.Fatalf("member template: %v", err)
	}
	// A roll-out starts in WARN, reading packages from buckets of the organization.
	for name, def := range map[string]string{"Enforcement": "WARN", "ReadScope": ReadScopeOrganization, "HookStatus": "ENABLED", "HookCodeKey": key} {
		if d := fmt.Sprint(member.Parameters[name].Default); d != def {
			t.Errorf("member parameter %s defaults to %q, want %q", name, d, def)
		}
	}
	for _, r := range member.Resources {
		if r.Type == "AWS::Lambda::Function" {
			code, _ := json.Marshal(r.Properties["Code"])
			if !strings.Contains(string(code), `${HookCodeBucketPrefix}-${AWS::Region}`) || !strings.Contains(string(code), `"Ref":"HookCodeKey"`) {
				t.Errorf("member function code %s", code)
			}
		}
	}
	if errs := deployedTypes(t, []byte(body)); errs != "" {
		t.Error(errs)
	}
}

// deployedTypes checks that the member template deploys the guard with its defaults.
func deployedTypes(t *testing.T, body []byte) string {
	types := map[string]int{}
	for _, r := range deployed(t, body, map[string]string{"HookCodeBucketPrefix": "acme-guard-code"}) {
		types[r.(map[string]any)["Type"].(string)]++
	}
	var errs []string
	for _, want := range []string{"AWS::Lambda::Function", "AWS::CloudFormation::LambdaHook", "AWS::SNS::Topic", "AWS::Events::Rule"} {
		if types[want] != 1 {
			errs = append(errs, fmt.Sprintf("member template deploys %d %s", types[want], want))
		}
	}
	return strings.Join(errs, "; ")
}

// TestOrgRolloutSteps synthesizes each step of the documented roll-out and checks the parameter
// the stack set passes: start (WARN, the member default), enforce (Enforcement FAIL), disable at
// once (HookStatus DISABLED), roll back (the previous package's key), central notifications.
func TestOrgRolloutSteps(t *testing.T) {
	older, newer := hookZip(t), hookZipWith(t, "newer build")
	oldKey, _ := HookKey(older)
	for _, tt := range []struct {
		name  string
		zip   string
		guard *BootstrapGuardProps
		want  map[string]string // parameters besides HookCodeBucketPrefix; HookCodeKey when given
	}{
		{"1 start in WARN", newer, nil, map[string]string{}},
		{"2 enforce", newer, &BootstrapGuardProps{Enforcement: jsii.String("FAIL")}, map[string]string{"Enforcement": "FAIL"}},
		{"disable at once", newer, &BootstrapGuardProps{Enforcement: jsii.String("FAIL"), HookEnabled: jsii.Bool(false)}, map[string]string{"Enforcement": "FAIL", "HookStatus": "DISABLED"}},
		{"roll back to the previous package", older, &BootstrapGuardProps{Enforcement: jsii.String("FAIL")}, map[string]string{"Enforcement": "FAIL", "HookCodeKey": oldKey}},
		{"central notifications", newer, &BootstrapGuardProps{CentralTopicArn: jsii.String("arn:aws:sns:us-east-1:999999999999:guard"),
			CentralEventBusArn: jsii.String("arn:aws:events:us-east-1:999999999999:event-bus/guard")},
			map[string]string{"CentralTopicArn": "arn:aws:sns:us-east-1:999999999999:guard", "CentralEventBusArn": "arn:aws:events:us-east-1:999999999999:event-bus/guard"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			stack := awscdk.NewStack(app, jsii.String("Org"), nil)
			r := NewOrgRollout(stack, jsii.String("Rollout"), &OrgRolloutProps{
				OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"), Regions: jsii.Strings("us-east-1"),
				CodeBucketPrefix: jsii.String("acme-guard-code"), HookZip: jsii.String(tt.zip), Guard: tt.guard,
			})
			want := map[string]string{"HookCodeBucketPrefix": "acme-guard-code", "HookCodeKey": r.CodeKey}
			for k, v := range tt.want {
				want[k] = v
			}
			got := map[string]string{}
			for _, res := range *assertions.Template_FromStack(stack, nil).FindResources(jsii.String("AWS::CloudFormation::StackSet"), nil) {
				for _, p := range (*res)["Properties"].(map[string]any)["Parameters"].([]any) {
					pm := p.(map[string]any)
					got[pm["ParameterKey"].(string)] = fmt.Sprint(pm["ParameterValue"])
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stack set parameters %v, want %v", got, want)
			}
		})
	}
	// What the member template cannot take is an error naming the prop.
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		NewOrgRollout(awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Org"), nil), jsii.String("Rollout"), &OrgRolloutProps{
			OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"), Regions: jsii.Strings("us-east-1"), CodeBucketPrefix: jsii.String("acme-guard-code"),
			HookZip: jsii.String(newer), Guard: &BootstrapGuardProps{NotificationEmails: jsii.Strings("a@example.com", "b@example.com"), ImageRepositories: jsii.Strings("app-*")},
		})
		return ""
	}()
	for _, w := range []string{"NotificationEmails", "CentralTopicArn", "ImageRepositories \"app-*\""} {
		if !strings.Contains(msg, w) {
			t.Errorf("panic %q lacks %q", msg, w)
		}
	}
}

func hookZipWith(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "hook.zip")
	f, _ := os.Create(p)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte(content))
	zw.Close()
	f.Close()
	return p
}

// TestOrgRolloutBuildsHook: without HookZip the roll-out builds the hook itself, puts the package
// into the cloud assembly under the name its key ends with, and the key is the package's hash.
func TestOrgRolloutBuildsHook(t *testing.T) {
	t.Setenv("BOOTSTRAP_GUARD_CACHE", t.TempDir())
	out := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	stack := awscdk.NewStack(app, jsii.String("Org"), nil)
	r := NewOrgRollout(stack, jsii.String("Rollout"), &OrgRolloutProps{
		OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"), Regions: jsii.Strings("us-east-1"),
		CodeBucketPrefix: jsii.String("acme-guard-code"),
	})
	if filepath.Dir(r.CodeZip) != filepath.Join(out, OrgCodeDir) || "bootstrap-guard/"+filepath.Base(r.CodeZip) != r.CodeKey {
		t.Fatalf("code zip %s, key %s", r.CodeZip, r.CodeKey)
	}
	key, err := HookKey(r.CodeZip)
	if err != nil || key != r.CodeKey {
		t.Fatalf("key of the package in the assembly %q (%v), output says %q", key, err, r.CodeKey)
	}
	zr, err := zip.OpenReader(r.CodeZip)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Errorf("package entries %+v", zr.File)
	}
	assertions.Template_FromStack(stack, nil).HasOutput(jsii.String("*"), m(map[string]any{"Value": r.CodeKey}))
}

func TestCodeBucket(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Code"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}})
	NewCodeBucket(stack, jsii.String("HookCode"), jsii.String("acme-guard-code"), jsii.String("o-abc123"))
	AddNagChecks(stack)
	tmpl := assertions.Template_FromStack(stack, nil)
	tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), m(map[string]any{
		"BucketName":              "acme-guard-code-eu-west-1",
		"VersioningConfiguration": m(map[string]any{"Status": "Enabled"}),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{
			"Sid": "OrganizationReadsHookCode", "Condition": m(map[string]any{"StringEquals": m(map[string]any{"aws:PrincipalOrgID": "o-abc123"})}),
		}))})})),
	}))
	for _, msg := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
	}
}
