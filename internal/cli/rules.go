package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// runRules lists the rules: as text for a terminal, as the Markdown table of docs/rules.md
// (--format markdown, generated from the registry so the reference cannot drift from it), or by
// family (--families: what --skip-rule also takes).
func runRules(args []string, env Env) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	families := fs.Bool("families", false, "list the rule families (what --skip-rule also takes) and their rules")
	format := fs.String("format", "text", "text or markdown")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitUsage
	}
	if *families {
		for _, f := range engine.Families() {
			fmt.Fprintf(env.Stdout, "%s (%s)\n  %s\n", f.Name, f.Package, f.Doc)
			for _, id := range f.Rules {
				fmt.Fprintf(env.Stdout, "    %s\n", id)
			}
		}
		return ExitPass
	}
	switch *format {
	case "text":
		for _, r := range result.Rules {
			fmt.Fprintf(env.Stdout, "%-26s %-8s %s\n%26s          Lambda: %s\n", r.ID, r.Severity, r.Title, "", r.LambdaError)
		}
	case "markdown":
		if err := result.WriteMarkdownTable(env.Stdout); err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard rules: %v\n", err)
			return ExitUsage
		}
	default:
		fmt.Fprintf(env.Stderr, "bootstrap-guard rules: --format %q: want text or markdown\n", *format)
		return ExitUsage
	}
	return ExitPass
}
