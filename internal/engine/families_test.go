package engine

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestFamilies: every rule of the registry (result.Rules) belongs to exactly one registered
// family, every family rule exists, and family names are unique and distinct from rule IDs; so a
// rule added without a family, or a family naming a rule that is gone, fails here.
func TestFamilies(t *testing.T) {
	owner := map[result.RuleID]string{}
	names := map[string]bool{}
	for _, f := range Families() {
		if f.Name == "" || f.Doc == "" || f.Package == "" || len(f.Rules) == 0 {
			t.Errorf("family %+v: want a name, a doc, a package and rules", f)
		}
		if names[f.Name] {
			t.Errorf("family %s registered twice", f.Name)
		}
		names[f.Name] = true
		if _, ok := result.Lookup(result.RuleID(f.Name)); ok {
			t.Errorf("family %s has the name of a rule", f.Name)
		}
		for _, id := range f.Rules {
			if _, ok := result.Lookup(id); !ok {
				t.Errorf("family %s: %s is not a rule", f.Name, id)
			}
			if o, ok := owner[id]; ok {
				t.Errorf("%s is in families %s and %s", id, o, f.Name)
			}
			owner[id] = f.Name
		}
	}
	for _, r := range result.Rules {
		if _, ok := owner[r.ID]; !ok {
			t.Errorf("rule %s belongs to no family: add it to its family's Rules", r.ID)
		}
		if f, ok := FamilyOf(r.ID); !ok || f.Name != owner[r.ID] {
			t.Errorf("FamilyOf(%s) = %s, %v", r.ID, f.Name, ok)
		}
	}
	// Documented: the rules reference (docs/rules.md) names every family.
	b, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range names {
		if !strings.Contains(string(b), "`"+name+"`") {
			t.Errorf("docs/rules.md does not name the family `%s`", name)
		}
	}
}

// TestSkipFamily: a family name turns off all its rules; a name that is neither a rule nor a
// family is refused.
func TestSkipFamily(t *testing.T) {
	ids, err := ParseRules("--skip-rule", []string{"bootstrap", "path-backslash", "bootstrap-nested"})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := Family("bootstrap")
	if len(ids) != len(f.Rules)+1 || !slices.Contains(ids, result.BootstrapGlibc) || !slices.Contains(ids, result.PathBackslash) {
		t.Errorf("ParseRules = %v", ids)
	}
	if _, err := ParseRules("--skip-rule", []string{"bootstraps"}); err == nil || !strings.Contains(err.Error(), "--skip-rule") {
		t.Errorf("unknown family: %v", err)
	}
	e, _ := New(Policy{Date: day, SkipRules: ids})
	res, err := e.Evaluate(t.Context(), Function{Function: nestedFunction(t)})
	if err != nil || res.Status != "PASS" || len(res.Findings) != 0 {
		t.Errorf("bootstrap family off: %s %v, %v", res.Status, rules(res), err)
	}
}
