// Package exemptions is the grammar and the effect of the bootstrap-guard:exempt tag, shared by
// the hook (tags from the CloudFormation hook request) and the CLI (tags from templates and cloud
// assemblies), so both honour exactly the same exemptions.
//
// The tag's value is either
//
//	RULE[,RULE...]: reason   exempts those rules only; the function is still checked
//	reason                   exempts the whole function (the meaning the tag always had)
//
// The part before the first ":" is a rule list when every comma-separated item has the shape of a
// rule ID (lowercase letters, digits and hyphens, with at least one hyphen) and at least one item
// is a rule ID or a near miss of one (edit distance at most 2, as in "bootstrap-nestd"). Anything
// else ("CHG-1234: retired", "ticket: see wiki", a value without ":") keeps the old meaning: the
// value is the reason and the whole function is exempt. The near-miss clause makes a typo in a rule
// list exempt nothing (with a warning) instead of exempting every rule.
//
// Listed items that are not rule IDs exempt nothing and produce an exemption-ignored warning on the
// function. A platform switch (Mode) says which exemptions are honoured at all.
package exemptions

import (
	"fmt"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"

	"github.com/bootstrap-guard/bootstrap-guard/internal/textdist"
)

// Tag is the function tag that carries an exemption.
const Tag = "bootstrap-guard:exempt"

// Family is the exemption rules (see result.Family). They cannot be exempted themselves.
var Family = result.Family{Name: "exemptions", Package: "internal/exemptions",
	Doc:   "The bootstrap-guard:exempt tag: a function exempt as a whole, a tag that names no rule or that the platform does not honour.",
	Rules: []result.RuleID{result.Exempt, result.ExemptionIgnored}}

// Mode is the platform's switch: which exemptions are honoured.
type Mode string

// Modes.
const (
	// Any honours per-rule and whole-function exemptions (the default).
	Any Mode = "any"
	// RulesOnly honours per-rule exemptions only; a whole-function exemption is ignored (with a
	// warning) and the function is checked.
	RulesOnly Mode = "rules-only"
	// None honours no exemption; every tag is ignored with a warning.
	None Mode = "none"
)

// ParseMode reads a Mode; "" is Any.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return Any, nil
	case Any, RulesOnly, None:
		return m, nil
	}
	return "", fmt.Errorf("%q: want any, rules-only or none", s)
}

// Exemption is a parsed tag value.
type Exemption struct {
	// Value is the tag's value as written.
	Value string
	// Reason is the text after the rule list, or the whole value for a whole-function exemption;
	// "no reason given" when empty.
	Reason string
	// Whole is true for a whole-function exemption.
	Whole bool
	// Rules are the listed rule IDs that exist, in the order written, without duplicates.
	Rules []result.RuleID
	// Unknown are the listed items that are no rule ID; they exempt nothing.
	Unknown []string
}

// noReason stands in for an empty reason, so every report says that none was given.
const noReason = "no reason given"

// Parse reads a tag value. It never fails: any value is either a rule list with a reason or a
// whole-function reason.
func Parse(value string) Exemption {
	// Bound what a hostile tag can make us do; Lambda caps tag values at 256 characters.
	if len(value) > 4096 {
		value = value[:4096]
	}
	e := Exemption{Value: value, Whole: true, Reason: strings.TrimSpace(value)}
	head, reason, found := strings.Cut(value, ":")
	if found {
		if rules, unknown, ok := ruleList(head); ok {
			e.Whole, e.Rules, e.Unknown, e.Reason = false, rules, unknown, strings.TrimSpace(reason)
		}
	}
	if e.Reason == "" {
		e.Reason = noReason
	}
	return e
}

// FromTags finds the exemption tag among a function's tags.
func FromTags(tags map[string]string) (Exemption, bool) {
	v, ok := tags[Tag]
	if !ok {
		return Exemption{}, false
	}
	return Parse(v), true
}

// ruleList reads "a, b,c" as a list of rule IDs; ok is false when it is not one (see the package
// documentation).
func ruleList(head string) (rules []result.RuleID, unknown []string, ok bool) {
	items := strings.Split(head, ",")
	near := false
	seen := map[string]bool{}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if !ruleShaped(it) {
			return nil, nil, false
		}
		if seen[it] {
			continue
		}
		seen[it] = true
		if exemptable(result.RuleID(it)) {
			rules = append(rules, result.RuleID(it))
			near = true
			continue
		}
		unknown = append(unknown, it)
		if nearest(it) != "" {
			near = true
		}
	}
	return rules, unknown, near
}

// ruleShaped reports whether s looks like a rule ID: lowercase words joined by hyphens.
func ruleShaped(s string) bool {
	if s == "" || len(s) > 64 || !strings.Contains(s, "-") || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// exemptable reports whether id is a rule that produces findings. The rules about exemptions
// themselves cannot be exempted: an exemption-ignored warning is how a bad tag gets noticed.
func exemptable(id result.RuleID) bool {
	if id == result.Exempt || id == result.ExemptionIgnored {
		return false
	}
	_, ok := result.Lookup(id)
	return ok
}

// nearest returns the exemptable rule ID within edit distance 2 of s, or "".
func nearest(s string) result.RuleID {
	best, bestD := result.RuleID(""), 3
	for _, r := range result.Rules {
		if !exemptable(r.ID) {
			continue
		}
		if d := textdist.Levenshtein(s, string(r.ID)); d < bestD {
			best, bestD = r.ID, d
		}
	}
	return best
}

// Covers reports whether the exemption covers a rule.
func (e Exemption) Covers(id result.RuleID) bool {
	if e.Whole {
		return true
	}
	for _, r := range e.Rules {
		if r == id {
			return true
		}
	}
	return false
}

// Honoured returns the part of e that mode honours, and why the rest is ignored ("" when nothing
// is). The returned exemption covers nothing when mode ignores it entirely.
func (e Exemption) Honoured(mode Mode) (Exemption, string) {
	switch {
	case mode == None:
		return Exemption{Value: e.Value, Reason: e.Reason}, fmt.Sprintf("this platform honours no exemptions (BOOTSTRAP_GUARD_EXEMPTIONS=%s): the tag %s is ignored and the function is checked", None, Tag)
	case mode == RulesOnly && e.Whole:
		return Exemption{Value: e.Value, Reason: e.Reason}, fmt.Sprintf("this platform honours only per-rule exemptions (BOOTSTRAP_GUARD_EXEMPTIONS=%s): the whole-function exemption %q is ignored and the function is checked; to exempt a rule, write %s=RULE: reason", RulesOnly, e.Value, Tag)
	}
	return e, ""
}

// Empty reports whether the exemption covers nothing.
func (e Exemption) Empty() bool { return !e.Whole && len(e.Rules) == 0 }

// Skipped is the result for a function exempt as a whole: not checked, with the reason.
func Skipped(fn, runtime, arch string, e Exemption) result.Result {
	res := result.Result{Target: fn, Runtime: runtime, Architecture: arch,
		SkipReason: fmt.Sprintf("exempt from every check by the tag %s (%s)", Tag, e.Reason),
		Exempted:   &result.Exempted{Reason: e.Reason, Tag: Tag},
		Evaluated:  []result.RuleID{result.Exempt}}
	res.Finish()
	return res
}

// Apply marks the findings of res that the honoured part of e covers as exempted, adds an
// exemption-ignored warning for listed items that are not rules and for what mode ignores, and
// settles the status again: an exempted error no longer fails the function. It does not handle a
// whole-function exemption that is honoured (see Skipped); called with one, it marks every finding.
func Apply(res *result.Result, e Exemption, mode Mode) {
	honoured, ignored := e.Honoured(mode)
	res.Evaluated = append(res.Evaluated, result.ExemptionIgnored)
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Exempted == nil && honoured.Covers(f.Rule) {
			f.Exempted = &result.Exempted{Reason: honoured.Reason, Tag: Tag}
		}
	}
	for _, u := range e.Unknown {
		msg := fmt.Sprintf("The tag %s names %q, which is not a Bootstrap Guard rule: it exempts nothing.", Tag, u)
		fix := fmt.Sprintf("Write rule IDs as `bootstrap-guard rules` lists them, e.g. %s=bootstrap-nested: reason.", Tag)
		if n := nearest(u); n != "" {
			msg = fmt.Sprintf("The tag %s names %q, which is not a Bootstrap Guard rule (did you mean %s?): it exempts nothing.", Tag, u, n)
			fix = fmt.Sprintf("Write %s in the tag's rule list.", n)
		}
		res.Findings = append(res.Findings, result.Finding{Rule: result.ExemptionIgnored, Severity: result.Warning, Message: msg, Remediation: fix})
	}
	if ignored != "" {
		res.Findings = append(res.Findings, result.Finding{Rule: result.ExemptionIgnored, Severity: result.Warning,
			Message:     "Exemption not honoured: " + ignored + ".",
			Remediation: "Fix what the findings say, or ask the platform team about the exemption policy."})
	}
	res.Finish()
}

// Used lists the rules whose findings e actually exempted in res (for logs and notifications).
func Used(res result.Result) []result.RuleID {
	var out []result.RuleID
	seen := map[result.RuleID]bool{}
	for _, f := range res.Findings {
		if f.Exempted != nil && !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	return out
}
