package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestRoleTemplate keeps deploy/audit-role.yaml equal to the calls the audit makes: every action
// Permissions lists is granted, nothing else is, nothing writes, and the role trusts only the
// auditor account.
func TestRoleTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "audit-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				AssumeRolePolicyDocument struct {
					Statement []struct {
						Effect    string         `yaml:"Effect"`
						Principal map[string]any `yaml:"Principal"`
						Action    any            `yaml:"Action"`
					} `yaml:"Statement"`
				} `yaml:"AssumeRolePolicyDocument"`
				Policies []struct {
					PolicyDocument struct {
						Statement []struct {
							Effect   string `yaml:"Effect"`
							Action   any    `yaml:"Action"`
							Resource any    `yaml:"Resource"`
						} `yaml:"Statement"`
					} `yaml:"PolicyDocument"`
				} `yaml:"Policies"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	role, ok := doc.Resources["AuditRole"]
	if !ok || role.Type != "AWS::IAM::Role" {
		t.Fatalf("no AuditRole of type AWS::IAM::Role: %+v", doc.Resources)
	}
	var granted []string
	for _, p := range role.Properties.Policies {
		for _, st := range p.PolicyDocument.Statement {
			if st.Effect != "Allow" {
				t.Errorf("statement effect %q", st.Effect)
			}
			for _, a := range list(st.Action) {
				if strings.Contains(a, "*") {
					t.Errorf("wildcard action %s", a)
				}
				granted = append(granted, a)
			}
			if res := list(st.Resource); slices.Contains(res, "*") {
				if a := list(st.Action); len(a) != 1 || (a[0] != "lambda:ListFunctions" && a[0] != "ecr:GetAuthorizationToken") {
					t.Errorf("Resource * for %v: only actions without resource-level permissions may have it", a)
				}
			}
		}
	}
	var want []string
	for _, p := range Permissions {
		want = append(want, p.Action)
	}
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(granted, want) {
		t.Errorf("the role grants %v, the audit needs %v", granted, want)
	}
	trust := role.Properties.AssumeRolePolicyDocument.Statement
	if len(trust) != 1 || list(trust[0].Action)[0] != "sts:AssumeRole" || trust[0].Principal["AWS"] == nil {
		t.Errorf("trust policy %+v", trust)
	}
}

func list(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
