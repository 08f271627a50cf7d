package result

// Family is a unit of rules decided by one body of knowledge (the bootstrap checks, the handler
// resolvers, internal/native, internal/image, the template reader …), in the spirit of
// golang.org/x/tools/go/analysis.Analyzer: the family declares its rules, and what is registered
// (internal/engine.Families) is listed by `bootstrap-guard rules --families`, documented in the
// docs/rules.md, exemptable by the exemption tag and turned off by SkipRules, by rule or by family
// name, with nothing else to write.
type Family struct {
	// Name is short and stable: SkipRules and --skip-rule take it for every rule of the family.
	Name string
	// Doc says in a sentence what the family checks.
	Doc string
	// Package is where the family's verdicts are decided.
	Package string
	// Rules are the family's rules, in display order.
	Rules []RuleID
}
