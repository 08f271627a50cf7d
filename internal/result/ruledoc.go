package result

import (
	"fmt"
	"io"
	"strings"
)

// ruleDoc is the reference text of one rule, in Markdown.
type ruleDoc struct {
	Severity string // the usual severity, with the cases where a finding differs
	Catches  string // what the rule looks for
	Lambda   string // what Lambda reports without the rule
}

// Doc returns the reference text of r: the severity as documented, what it catches and what Lambda
// says without it, each in Markdown. A rule without reference text is described by its registry
// entry alone.
func (r Rule) Doc() (severity, catches, lambda string) {
	d, ok := ruleDocs[r.ID]
	severity, catches, lambda = string(r.Severity), r.Title, "`"+r.LambdaError+"`"
	if !ok {
		return
	}
	if d.Severity != "" {
		severity = d.Severity
	}
	if d.Catches != "" {
		catches = d.Catches
	}
	if d.Lambda != "" {
		lambda = d.Lambda
	}
	return
}

// WriteMarkdownTable writes the rule table of docs/rules.md: one row per rule of the registry, in
// display order, with its reference text and a link to the page that explains the behaviour.
func WriteMarkdownTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| rule | severity | catches | what Lambda says without it |\n|---|---|---|---|\n")
	for _, r := range Rules {
		if r.ID == Exempt {
			continue // not a check: the record of an exemption (see hook.md#exemptions)
		}
		sev, catches, lambda := r.Doc()
		if r.Help != "" {
			catches += " ([more](" + r.Help + "))"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.ID, cell(sev), cell(catches), cell(lambda))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps a table cell on one line.
func cell(s string) string { return strings.ReplaceAll(s, "\n", " ") }
