package cfn

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// TestTags: the tags a function carries reach cfn.Function.Tags as the hook will see them:
// CloudFormation's list form (what CDK's Tags.of(fn).add synthesizes), SAM's map form, and values
// that are not known before deployment left out rather than guessed.
func TestTags(t *testing.T) {
	tests := []struct {
		name, props string
		want        map[string]string
	}{
		{"list", `"Tags":[{"Key":"bootstrap-guard:exempt","Value":"bootstrap-nested: vendor"},{"Key":"team","Value":"payments"}]`,
			map[string]string{"bootstrap-guard:exempt": "bootstrap-nested: vendor", "team": "payments"}},
		{"number and unresolvable value", `"Tags":[{"Key":"n","Value":42},{"Key":"arn","Value":{"Fn::GetAtt":["Other","Arn"]}}]`, map[string]string{"n": "42"}},
		{"none", ``, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			props := `"Runtime":"python3.13","Handler":"index.handler","Code":{"ZipFile":"def handler(e, c): pass"}`
			if tc.props != "" {
				props += "," + tc.props
			}
			p := filepath.Join(t.TempDir(), "template.json")
			tmpl := `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{` + props + `}}}}`
			if err := os.WriteFile(p, []byte(tmpl), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := LoadTemplate(p, "")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.Functions) != 1 {
				t.Fatalf("%d functions, want 1", len(s.Functions))
			}
			if got := s.Functions[0].Tags; !maps.Equal(got, tc.want) {
				t.Errorf("tags = %v, want %v", got, tc.want)
			}
		})
	}
}
