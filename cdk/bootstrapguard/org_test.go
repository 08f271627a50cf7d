package bootstrapguard

import (
	"archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
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
	// The member template: the guard itself, its code from the bucket of the member's region.
	sets := tmpl.FindResources(jsii.String("AWS::CloudFormation::StackSet"), nil)
	var body string
	for _, res := range *sets {
		body = (*res)["Properties"].(map[string]any)["TemplateBody"].(string)
	}
	var member struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &member); err != nil {
		t.Fatalf("member template: %v", err)
	}
	if len(body) > 51200 {
		t.Errorf("member template is %d bytes; TemplateBody allows 51,200", len(body))
	}
	types := map[string]int{}
	readScoped := false
	for _, r := range member.Resources {
		types[r.Type]++
		if r.Type == "AWS::IAM::Policy" {
			doc, _ := json.Marshal(r.Properties["PolicyDocument"])
			if strings.Contains(string(doc), "ReadLayers") {
				// Members read code packages from buckets of the organization, by default.
				for _, want := range []string{`"Sid":"ReadCodePackagesInThisOrganization"`, `"aws:ResourceOrgID":"${aws:PrincipalOrgID}"`,
					`"Sid":"DecryptCodePackagesWithKeysOfThisOrganization"`, `"kms:ViaService"`} {
					if !strings.Contains(string(doc), want) {
						t.Errorf("member function policy lacks %s: %s", want, doc)
					}
				}
				if strings.Contains(string(doc), "ReadCodePackagesInThisAccount") {
					t.Errorf("member function policy has the account scope: %s", doc)
				}
				readScoped = true
			}
		}
		if r.Type == "AWS::Lambda::Function" {
			code, _ := json.Marshal(r.Properties["Code"])
			if !strings.Contains(string(code), `acme-guard-code-${AWS::Region}`) || !strings.Contains(string(code), key) {
				t.Errorf("member function code %s", code)
			}
		}
	}
	if !readScoped {
		t.Error("no function policy in the member template")
	}
	for _, want := range []string{"AWS::Lambda::Function", "AWS::CloudFormation::LambdaHook", "AWS::SNS::Topic", "AWS::Events::Rule", "AWS::SNS::Subscription"} {
		if types[want] != 1 {
			t.Errorf("member template has %d %s", types[want], want)
		}
	}
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
