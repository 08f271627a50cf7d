package result

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated rule table in docs/rules.md")

const (
	rulesDoc   = "../../docs/rules.md"
	tableBegin = "<!-- rules:begin"
	tableEnd   = "<!-- rules:end -->"
)

// TestRulesReference: docs/rules.md holds exactly the table the registry generates, so users can
// look up what any finding means and the reference cannot drift from the code. go test -update
// rewrites the table.
func TestRulesReference(t *testing.T) {
	b, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatalf("read %s: %v", rulesDoc, err)
	}
	doc := string(b)
	i := strings.Index(doc, tableBegin)
	j := strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %s … %s markers", rulesDoc, tableBegin, tableEnd)
	}
	i += strings.Index(doc[i:], "\n") + 1
	var table bytes.Buffer
	if err := WriteMarkdownTable(&table); err != nil {
		t.Fatal(err)
	}
	if doc[i:j] == table.String() {
		return
	}
	if *update {
		if err := os.WriteFile(rulesDoc, []byte(doc[:i]+table.String()+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's rule table differs from the registry (go test ./internal/result -update)", rulesDoc)
}

// TestEveryRuleDocumented: every rule of the registry has reference text, and no reference text
// names a rule the registry lacks.
func TestEveryRuleDocumented(t *testing.T) {
	known := map[RuleID]bool{}
	for _, r := range Rules {
		known[r.ID] = true
		if r.ID == Exempt {
			continue
		}
		if d, ok := ruleDocs[r.ID]; !ok || d.Catches == "" || d.Lambda == "" {
			t.Errorf("rule %s has no reference text in ruledocs.go", r.ID)
		}
	}
	for id := range ruleDocs {
		if !known[id] {
			t.Errorf("ruledocs.go documents %s, which is not a rule", id)
		}
	}
}

// TestDocFallsBack: a rule without reference text is described by its registry entry.
func TestDocFallsBack(t *testing.T) {
	sev, catches, lambda := Rule{ID: "made-up", Severity: Warning, Title: "a title", LambdaError: "an error"}.Doc()
	if sev != "warning" || catches != "a title" || lambda != "`an error`" {
		t.Errorf("Doc() = %q, %q, %q", sev, catches, lambda)
	}
}
