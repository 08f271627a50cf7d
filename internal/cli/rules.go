package cli

import (
	"flag"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// runRules lists the rules: as text for a terminal, or as the Markdown table of docs/rules.md
// (--format markdown), which is generated from the registry so the reference cannot drift from it.
func runRules(args []string, env Env) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	format := fs.String("format", "text", "text or markdown")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
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
