package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Text writes one line per function, then its findings, then a summary.
type Text struct{ Color bool }

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	green  = "\x1b[32m"
	dim    = "\x1b[2m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

func (t Text) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + reset
}

// Output implements Outputter.
func (t Text) Output(w io.Writer, results []result.Result) error {
	bw := bufio.NewWriter(w)
	counts := map[result.Status]int{}
	exempted := 0
	for _, r := range results {
		counts[r.Status]++
		status := string(r.Status)
		switch r.Status {
		case result.Fail:
			status = t.paint(red+bold, status)
		case result.Pass:
			status = t.paint(green, status)
		case result.Skip:
			status = t.paint(yellow, status)
		}
		// Every string of a result may come from a template, an event or a package: escaped.
		rt := Escape(r.Runtime)
		if rt == "" {
			rt = "(no runtime)"
		}
		where := ""
		if r.Location != nil {
			// file:line, the form editors and terminals turn into a link.
			where = Escape(r.Location.String()) + "  "
		}
		fmt.Fprintf(bw, "%s  %s  %s%s\n", status, Escape(r.Target), where, t.paint(dim, rt+" "+Escape(r.Architecture)))
		if r.Image != "" {
			fmt.Fprintf(bw, "      image %s\n", Escape(r.Image))
		}
		if o := r.Origin; o != nil {
			fmt.Fprintf(bw, "      %s\n", originLine(o))
		}
		if p := r.Package; p != nil && r.Image == "" {
			if p.Inspected {
				fmt.Fprintf(bw, "      package %s\n", p.Source)
			} else {
				fmt.Fprintf(bw, "      package %s %s\n", t.paint(yellow, "NOT INSPECTED ("+string(p.Reason)+")"), p.Source)
			}
		}
		if r.SkipReason != "" {
			fmt.Fprintf(bw, "      %s\n", Escape(r.SkipReason))
		}
		for _, f := range r.Findings {
			sev := string(f.Severity)
			switch {
			case f.Exempted != nil:
				// Still shown, but it no longer counts: no alarm colour.
				sev = t.paint(dim, sev)
				exempted++
			case f.Severity == result.Error:
				sev = t.paint(red, sev)
			case f.Severity == result.Warning:
				sev = t.paint(yellow, sev)
			}
			fmt.Fprintf(bw, "  %s %s", sev, t.paint(bold, string(f.Rule)))
			if f.Path != "" {
				fmt.Fprintf(bw, " %s", Escape(f.Path))
			}
			if f.Exempted != nil {
				fmt.Fprintf(bw, " %s", t.paint(yellow, "EXEMPTED"))
			}
			fmt.Fprintf(bw, "\n      %s\n", wrap(escapeText(f.Message), 96, "      "))
			if f.Exempted != nil {
				fmt.Fprintf(bw, "      %s %s\n", t.paint(yellow, "exempted:"), wrap(escapeText(f.Exempted.Reason+" (tag "+f.Exempted.Tag+")"), 86, "                "))
			}
			if f.Remediation != "" {
				fmt.Fprintf(bw, "      %s %s\n", t.paint(green, "fix:"), wrap(escapeText(f.Remediation), 91, "           "))
			}
		}
	}
	fmt.Fprintf(bw, "\n%d checked: %d passed, %d failed", len(results), counts[result.Pass], counts[result.Fail])
	if counts[result.Skip] > 0 {
		fmt.Fprintf(bw, ", %d skipped", counts[result.Skip])
	}
	if exempted > 0 {
		fmt.Fprintf(bw, "; %d exempted %s", exempted, plural(exempted, "finding", "findings"))
	}
	fmt.Fprintln(bw)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}

// originLine says where a function comes from in its project.
func originLine(o *result.Origin) string {
	var parts []string
	if o.Function != "" {
		s := o.Tool + " function " + o.Function
		if o.Config != nil {
			s += " (" + o.Config.String() + ")"
		}
		parts = append(parts, s)
	}
	if o.ConstructPath != "" {
		parts = append(parts, "construct "+o.ConstructPath)
	}
	if o.AssetSource != "" {
		parts = append(parts, "asset "+o.AssetSource)
	}
	if len(parts) == 0 {
		return "built by " + o.Tool
	}
	return strings.Join(parts, ", ")
}

// wrap breaks s into lines of at most width runes, indenting continuation lines.
func wrap(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	line := 0
	for i, word := range words {
		if i > 0 {
			if line+1+len(word) > width {
				b.WriteString("\n" + indent)
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
