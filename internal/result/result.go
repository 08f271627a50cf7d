// Package result holds what a check produces: a verdict per function with findings that carry
// stable rule IDs. Renderers (text, JSON, SARIF, the hook response) read these types and nothing
// else, so every output says the same thing.
package result

import "slices"

// Severity of a finding. Only errors fail a function.
type Severity string

// Severities, from most to least serious.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Status is the verdict on one function.
type Status string

// Statuses. SKIP means nothing could be checked by design (a container image), not a failure to
// read: a check that could not decide returns an error instead of a Result.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Finding is one problem (or note) about a function.
type Finding struct {
	Rule        RuleID   `json:"rule"`
	Severity    Severity `json:"severity"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation"`
	Path        string   `json:"path"` // path inside the package, as Lambda will see it; "" when none
}

// Result is the verdict on one function.
type Result struct {
	Target       string    `json:"target"`
	Runtime      string    `json:"runtime"`
	Architecture string    `json:"architecture"`
	Status       Status    `json:"status"`
	Findings     []Finding `json:"findings"`
	// Image names the container image a PackageType: Image function was checked against, pinned
	// to the digest that was read (REGISTRY/REPO@sha256:…); "" for zip functions.
	Image string `json:"image,omitempty"`
	// Evaluated lists every rule that was applied, with or without a finding; the hook turns
	// each into an annotation so the console shows what passed as well as what failed.
	Evaluated []RuleID `json:"-"`
	// Source is the file the function came from (a zip, a template), for renderers that point at
	// files, such as SARIF. It is not part of the JSON contract.
	Source string `json:"-"`
	// SkipReason says why a SKIP result was not checked.
	SkipReason string `json:"-"`
}

// Finish sorts findings (errors first, then by rule and path), removes duplicate evaluated rule
// IDs and sets Status from the findings: FAIL if and only if there is an error. A result whose
// SkipReason is set stays SKIP.
func (r *Result) Finish() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if d := a.Severity.rank() - b.Severity.rank(); d != 0 {
			return d
		}
		if a.Rule != b.Rule {
			return compareRank(a.Rule, b.Rule)
		}
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	seen := make(map[RuleID]bool, len(r.Evaluated))
	ev := r.Evaluated[:0]
	for _, id := range r.Evaluated {
		if !seen[id] {
			seen[id] = true
			ev = append(ev, id)
		}
	}
	r.Evaluated = ev
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	switch {
	case r.HasErrors():
		r.Status = Fail
	case r.SkipReason != "":
		r.Status = Skip
	default:
		r.Status = Pass
	}
}

// HasErrors reports whether any finding is an error.
func (r *Result) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// FindingsFor returns the findings of one rule.
func (r *Result) FindingsFor(id RuleID) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}
