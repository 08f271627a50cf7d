package result

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeRuleTable: every rule has a row in the README's rule table, so users can look up what
// a finding means.
func TestReadmeRuleTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	for _, r := range Rules {
		if r.ID == Exempt {
			continue // documented in its own section
		}
		if !strings.Contains(string(b), "| `"+string(r.ID)+"` |") {
			t.Errorf("README's rule table has no row for %s", r.ID)
		}
	}
}
