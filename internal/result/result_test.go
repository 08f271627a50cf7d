package result

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLocationString(t *testing.T) {
	for _, tc := range []struct {
		l    Location
		want string
	}{
		{Location{File: "template.yaml", Line: 42, Column: 3}, "template.yaml:42"},
		{Location{File: "template.yaml"}, "template.yaml"},
	} {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// TestTemplateFieldsContract: location and package appear for template functions only, with
// the field names the README documents.
func TestTemplateFieldsContract(t *testing.T) {
	plain, _ := json.Marshal(Result{Target: "fn.zip"})
	if strings.Contains(string(plain), "location") || strings.Contains(string(plain), "package") {
		t.Errorf("a zip's result has template fields: %s", plain)
	}
	tmpl, _ := json.Marshal(Result{Target: "t/Fn", Location: &Location{File: "t.yaml", Line: 4, Column: 3},
		Package: &Package{Source: "s3://b/k", Reason: ReasonS3Object, Detail: "not read"}})
	for _, want := range []string{`"location":{"file":"t.yaml","line":4,"column":3}`, `"package":{"inspected":false,"source":"s3://b/k","reason":"s3-object","detail":"not read"}`} {
		if !strings.Contains(string(tmpl), want) {
			t.Errorf("%s lacks %s", tmpl, want)
		}
	}
}

func TestTemplateRulesRegistered(t *testing.T) {
	for _, id := range []RuleID{PackageNotInspected, RuntimeUnresolved, HandlerUnresolved, ArchitectureUnresolved} {
		r, ok := Lookup(id)
		if !ok || r.Severity != Warning {
			t.Errorf("%s: %+v %v", id, r, ok)
		}
	}
}
