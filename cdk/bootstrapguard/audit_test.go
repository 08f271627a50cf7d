package bootstrapguard

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
)

// TestAuditRole: the construct's role grants exactly the actions the audit's calls need
// (audit.Permissions, as deploy/audit-role.yaml does), is assumable by the auditor account only,
// and passes cdk-nag; without the auditor account it refuses to synthesize.
func TestAuditRole(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("AuditRole"), nil)
	AddNagChecks(stack)
	NewAuditRole(stack, jsii.String("Role"), &AuditRoleProps{AuditorAccountId: jsii.String("111111111111")})
	tmpl := assertions.Template_FromStack(stack, nil)
	for _, msg := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
	}
	roles := tmpl.FindResources(jsii.String("AWS::IAM::Role"), nil)
	if len(*roles) != 1 {
		t.Fatalf("%d roles", len(*roles))
	}
	var role struct {
		Properties struct {
			RoleName                 string
			AssumeRolePolicyDocument struct{ Statement []map[string]any }
			Policies                 []struct {
				PolicyDocument struct {
					Statement []struct {
						Action any
					}
				}
			}
		}
	}
	for _, r := range *roles {
		b, _ := json.Marshal(r)
		if err := json.Unmarshal(b, &role); err != nil {
			t.Fatal(err)
		}
	}
	var granted, want []string
	for _, p := range role.Properties.Policies {
		for _, st := range p.PolicyDocument.Statement {
			switch a := st.Action.(type) {
			case string:
				granted = append(granted, a)
			case []any:
				for _, x := range a {
					granted = append(granted, x.(string))
				}
			}
		}
	}
	for _, p := range audit.Permissions {
		want = append(want, p.Action)
	}
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(granted, want) || role.Properties.RoleName != audit.DefaultRole {
		t.Errorf("role %s grants %v, want %v", role.Properties.RoleName, granted, want)
	}
	trust, _ := json.Marshal(role.Properties.AssumeRolePolicyDocument)
	if !json.Valid(trust) || !strings.Contains(string(trust), "111111111111") || !strings.Contains(string(trust), "sts:AssumeRole") {
		t.Errorf("trust %s", trust)
	}

	defer func() {
		if r := recover(); r == nil {
			t.Error("no auditor account: synthesized anyway")
		}
	}()
	NewAuditRole(awscdk.NewStack(app, jsii.String("NoAuditor"), nil), jsii.String("Role"), nil)
}
