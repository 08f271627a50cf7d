package changeset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// MaxAnnotations caps the annotations of one answer (the hook's own choice: the API reference
// sets no count, and a change set of 500 functions with 25 rules each would otherwise send 12,500).
// Problems come first, so only passes are ever left out; the last annotation says how many were.
const MaxAnnotations = 300

// maxAnnotationText bounds the texts of one annotation, as the RESOURCE answer does.
const maxAnnotationText = 1024

// Annotation names that are not rules.
const (
	// AnnotationDeferred: a function left to the RESOURCE-time check.
	AnnotationDeferred = "deferred-to-provisioning"
	// AnnotationUndecided: a function that could not be decided (unreadable package, say).
	AnnotationUndecided = "not-decided"
	// AnnotationPending: a function not checked within the invocation's time.
	AnnotationPending = "not-checked-in-time"
	// AnnotationPassed: a function that passed every rule.
	AnnotationPassed = "passed"
	// AnnotationOmitted: the annotation that counts the ones left out under MaxAnnotations.
	AnnotationOmitted = "annotations-omitted"
)

// Verdicts by kind, in payload order.
type tally struct {
	failed, passed, skipped, undecided []Verdict
	deferred                           []*Function
}

func (o *Outcome) tally() tally {
	var t tally
	for _, v := range o.Verdicts {
		switch {
		case v.Err != nil || v.Result == nil:
			t.undecided = append(t.undecided, v)
		case v.Result.Status == result.Fail:
			t.failed = append(t.failed, v)
		case v.Result.Status == result.Skip:
			t.skipped = append(t.skipped, v)
		default:
			t.passed = append(t.passed, v)
		}
	}
	for i := range o.Functions {
		if o.Functions[i].Deferred != "" {
			t.deferred = append(t.deferred, &o.Functions[i])
		}
	}
	return t
}

// Response is the one answer for the whole change set:
//   - FAILED/NonCompliant when any function fails, whatever else is pending or undecided (a
//     FAILED answer is never premature: that function will not start);
//   - IN_PROGRESS with a cursor when checks are pending and another invocation is allowed;
//   - FAILED/InternalFailure (fail-open: SUCCESS with a warning) when some function could not be
//     decided, or is still pending on the last invocation;
//   - SUCCESS when every function that can be checked now passed; deferred functions are named.
//
// The caller sets ClientRequestToken.
func (o *Outcome) Response() hookapi.Response {
	t := o.tally()
	total := len(o.Functions)
	resp := hookapi.Response{HookStatus: hookapi.StatusSuccess}
	var head string
	switch {
	case len(t.failed) > 0:
		resp.HookStatus, resp.ErrorCode = hookapi.StatusFailed, hookapi.NonCompliant
		head = fmt.Sprintf("Bootstrap Guard: %d of %d Lambda functions in this change set will fail to start on Lambda, so the change set is rejected before anything is provisioned.",
			len(t.failed), total)
	case len(o.Pending) > 0 && o.invocation < MaxInvocations:
		resp.HookStatus = hookapi.StatusInProgress
		resp.CallbackContext = o.next()
		resp.CallbackDelaySeconds = 1
		resp.Message = fmt.Sprintf("Bootstrap Guard: checked %d of %d Lambda functions in this change set so far; %d still to check.",
			total-len(t.deferred)-len(o.Pending), total, len(o.Pending))
		return resp
	case len(t.undecided) > 0 || len(o.Pending) > 0:
		n := len(t.undecided) + len(o.Pending)
		if o.failOpen {
			head = fmt.Sprintf("Warning (fail-open): Bootstrap Guard could not decide on %d of %d Lambda functions in this change set; the change set is allowed, and each function is checked again when CloudFormation provisions it.", n, total)
		} else {
			resp.HookStatus, resp.ErrorCode = hookapi.StatusFailed, hookapi.InternalFailure
			head = fmt.Sprintf("Bootstrap Guard could not decide on %d of %d Lambda functions in this change set, so it cannot tell whether Lambda will be able to start them.", n, total)
		}
	case total == 0:
		resp.Message = "Bootstrap Guard: this change set creates or updates no Lambda function."
		return resp
	default:
		head = fmt.Sprintf("Bootstrap Guard: the %d Lambda functions this change set creates or updates passed.", total)
		if total == 1 {
			head = "Bootstrap Guard: the Lambda function this change set creates or updates passed."
		}
		switch {
		case len(t.deferred) == total:
			head = fmt.Sprintf("Bootstrap Guard: none of the %d Lambda functions in this change set can be checked before it executes.", total)
		case len(t.deferred) > 0:
			head = fmt.Sprintf("Bootstrap Guard: %d of %d Lambda functions in this change set passed.", total-len(t.deferred), total)
		}
	}
	resp.Message = o.message(head, t)
	resp.Annotations = o.annotations(t)
	return resp
}

// message composes the answer's text within hookapi.MaxMessage: the head, then each failing
// function with its rules, paths and fixes, then what could not be decided, then the deferred
// functions; when the full texts do not fit, each is shortened, and past that only names are
// given.
func (o *Outcome) message(head string, t tally) string {
	var sections [][]entry
	if len(t.failed) > 0 {
		var es []entry
		for _, v := range t.failed {
			es = append(es, entry{name: v.Function.LogicalID, text: failText(v)})
		}
		sections = append(sections, es)
	}
	if len(t.undecided) > 0 || len(o.Pending) > 0 {
		var es []entry
		for _, v := range t.undecided {
			es = append(es, entry{name: v.Function.LogicalID, text: fmt.Sprintf("%s: not decided: %s", v.Function.LogicalID, strings.TrimSpace(v.Err.Error()))})
		}
		for _, f := range o.Pending {
			es = append(es, entry{name: f.LogicalID, text: fmt.Sprintf("%s: not checked within the hook's time (retry the operation).", f.LogicalID)})
		}
		sections = append(sections, es)
	}
	if len(t.deferred) > 0 {
		es := []entry{{text: fmt.Sprintf("%d left to the check when CloudFormation provisions them (never failed here):", len(t.deferred))}}
		for i, f := range t.deferred {
			end := ";"
			if i == len(t.deferred)-1 {
				end = "."
			}
			es = append(es, entry{name: f.LogicalID, text: fmt.Sprintf("%s (%s)%s", f.LogicalID, f.Deferred, end)})
		}
		sections = append(sections, es)
	}
	var tail []string
	if n := len(t.passed) + o.Earlier.Passed; n > 0 && (len(t.failed) > 0 || len(t.undecided) > 0 || len(o.Pending) > 0) {
		tail = append(tail, fmt.Sprintf("%d passed.", n))
	}
	if n := len(t.skipped) + o.Earlier.Skipped; n > 0 {
		tail = append(tail, fmt.Sprintf("%d not checked by design (%s).", n, skippedNames(t.skipped)))
	}
	if warned := warnedNames(t.passed, o.Earlier.Warned); len(warned) > 0 {
		tail = append(tail, fmt.Sprintf("Warnings (see the annotations): %s.", strings.Join(warned, ", ")))
	}
	if exempted := exemptedNames(append(t.passed, t.failed...)); len(exempted) > 0 {
		tail = append(tail, fmt.Sprintf("Exempted by tag: %s.", strings.Join(exempted, ", ")))
	}
	return compose(head, sections, strings.Join(tail, " "), hookapi.MaxMessage)
}

func skippedNames(vs []Verdict) string {
	var b []string
	for _, v := range vs {
		b = append(b, v.Function.LogicalID+": "+v.Result.SkipReason)
	}
	if len(b) == 0 {
		return "in earlier invocations"
	}
	return strings.Join(b, "; ")
}

func warnedNames(vs []Verdict, earlier []string) []string {
	out := slices.Clone(earlier)
	for _, v := range vs {
		if warned(v.Result) {
			out = append(out, v.Function.LogicalID)
		}
	}
	return out
}

// warned reports whether a passing result has a warning that counts (not exempted).
func warned(r *result.Result) bool {
	return slices.ContainsFunc(r.Findings, func(f result.Finding) bool { return f.Counts() && f.Severity == result.Warning })
}

// exemptedNames lists functions with exempted findings as ID [rule, ...].
func exemptedNames(vs []Verdict) []string {
	var out []string
	for _, v := range vs {
		var rules []string
		for _, f := range v.Result.Findings {
			if !f.Counts() && !slices.Contains(rules, string(f.Rule)) {
				rules = append(rules, string(f.Rule))
			}
		}
		if len(rules) > 0 {
			out = append(out, fmt.Sprintf("%s [%s]", v.Function.LogicalID, strings.Join(rules, ", ")))
		}
	}
	return out
}

// failText is one failing function in the message: its label, and each counted error with its
// rule, path and fix.
func failText(v Verdict) string {
	var b strings.Builder
	b.WriteString(label(v))
	b.WriteString(":")
	for _, f := range v.Result.Findings {
		if f.Severity != result.Error || !f.Counts() {
			continue
		}
		fmt.Fprintf(&b, " [%s] %s", f.Rule, withPath(f))
		if f.Remediation != "" {
			b.WriteString(" Fix: " + strings.TrimSpace(f.Remediation))
		}
	}
	return b.String()
}

func label(v Verdict) string {
	s := v.Function.LogicalID
	r := v.Result
	switch {
	case r == nil:
	case r.Runtime != "":
		s += fmt.Sprintf(" (%s, %s)", r.Runtime, r.Architecture)
	case r.Image != "":
		s += fmt.Sprintf(" (image %s, %s)", r.Image, r.Architecture)
	}
	return s
}

// withPath is a finding's message, naming its path in the package when the message does not.
func withPath(f result.Finding) string {
	m := strings.TrimSpace(f.Message)
	if f.Path != "" && !strings.Contains(m, f.Path) {
		m += " (path in the zip: " + f.Path + ")"
	}
	return m
}

// entry is one item of a message section; name is what remains when even a shortened text does
// not fit ("" for a section's heading, which is always kept).
type entry struct{ name, text string }

// minEntry is the shortest a shortened entry gets: enough for a logical ID and a rule.
const minEntry = 96

// compose joins head, sections and tail within max bytes. Each pass tries a shorter form: full
// texts; texts cut to an equal share; names only for what does not fit.
func compose(head string, sections [][]entry, tail string, max int) string {
	full := func(limit int) string {
		var b strings.Builder
		b.WriteString(head)
		for _, sec := range sections {
			for _, e := range sec {
				b.WriteString(" ")
				if limit > 0 && e.name != "" {
					b.WriteString(hookapi.Truncate(e.text, limit))
				} else {
					b.WriteString(e.text)
				}
			}
		}
		if tail != "" {
			b.WriteString(" " + tail)
		}
		return b.String()
	}
	if s := full(0); len(s) <= max {
		return s
	}
	n := 0
	fixed := len(head) + len(tail) + 1
	for _, sec := range sections {
		for _, e := range sec {
			if e.name != "" {
				n++
			} else {
				fixed += len(e.text) + 1
			}
		}
	}
	if n > 0 {
		if share := (max-fixed)/n - 1; share >= minEntry {
			if s := full(share); len(s) <= max {
				return s
			}
		}
	}
	// Texts cut to minEntry while the names of everything after them still fit; names only for
	// the rest of each section. Names are what the user needs to find the function.
	namesLeft := 0
	for _, sec := range sections {
		for _, e := range sec {
			if e.name != "" {
				namesLeft += len(e.name) + 2
			}
		}
	}
	var b strings.Builder
	b.WriteString(head)
	limit := max - len(tail) - 1 - 32 // room for each section's " and N more: " (one is open at a time)
	for _, sec := range sections {
		var rest []string
		for _, e := range sec {
			if e.name == "" {
				b.WriteString(" " + e.text)
				continue
			}
			namesLeft -= len(e.name) + 2
			text := hookapi.Truncate(e.text, minEntry)
			if len(rest) == 0 && b.Len()+1+len(text)+namesLeft <= limit {
				b.WriteString(" " + text)
				continue
			}
			rest = append(rest, e.name)
		}
		if len(rest) > 0 {
			b.WriteString(fmt.Sprintf(" and %d more: %s.", len(rest), strings.Join(rest, ", ")))
		}
	}
	if tail != "" {
		b.WriteString(" " + tail)
	}
	return hookapi.Truncate(b.String(), max)
}

// annotations: one per function and rule for failing and warning functions, one per function
// otherwise; problems first, passes last, at most MaxAnnotations.
func (o *Outcome) annotations(t tally) []hookapi.Annotation {
	var out []hookapi.Annotation
	for _, v := range t.failed {
		out = append(out, ruleAnnotations(v)...)
	}
	for _, v := range t.undecided {
		out = append(out, hookapi.Annotation{
			AnnotationName: v.Function.LogicalID + "/" + AnnotationUndecided,
			Status:         hookapi.AnnotationSkipped,
			SeverityLevel:  hookapi.SeverityHigh,
			StatusMessage:  hookapi.Truncate("Not checked: "+strings.TrimSpace(v.Err.Error()), maxAnnotationText),
		})
	}
	for _, f := range o.Pending {
		out = append(out, hookapi.Annotation{
			AnnotationName: f.LogicalID + "/" + AnnotationPending,
			Status:         hookapi.AnnotationSkipped,
			SeverityLevel:  hookapi.SeverityMedium,
			StatusMessage:  "Not checked within the hook's time.",
		})
	}
	for _, f := range t.deferred {
		out = append(out, hookapi.Annotation{
			AnnotationName:     f.LogicalID + "/" + AnnotationDeferred,
			Status:             hookapi.AnnotationSkipped,
			SeverityLevel:      hookapi.SeverityInformational,
			StatusMessage:      hookapi.Truncate("Left to the check when CloudFormation provisions it: "+f.Deferred+".", maxAnnotationText),
			RemediationMessage: "Nothing to do: the hook checks this function when CloudFormation is about to create or update it.",
		})
	}
	for _, v := range t.skipped {
		out = append(out, hookapi.Annotation{
			AnnotationName: v.Function.LogicalID + "/" + firstRule(v.Result, "skipped"),
			Status:         hookapi.AnnotationSkipped,
			SeverityLevel:  hookapi.SeverityInformational,
			StatusMessage:  hookapi.Truncate("Not checked: "+v.Result.SkipReason+".", maxAnnotationText),
		})
	}
	for _, v := range t.passed {
		if len(v.Result.Findings) > 0 {
			out = append(out, ruleAnnotations(v)...)
		}
	}
	for _, v := range t.passed {
		out = append(out, hookapi.Annotation{
			AnnotationName: v.Function.LogicalID + "/" + AnnotationPassed,
			Status:         hookapi.AnnotationPassed,
			SeverityLevel:  hookapi.SeverityInformational,
			StatusMessage:  fmt.Sprintf("%s passed Bootstrap Guard (%d checks).", label(v), len(v.Result.Evaluated)),
		})
	}
	if len(out) > MaxAnnotations {
		left := len(out) - (MaxAnnotations - 1)
		out = append(out[:MaxAnnotations-1], hookapi.Annotation{
			AnnotationName: AnnotationOmitted,
			Status:         hookapi.AnnotationSkipped,
			SeverityLevel:  hookapi.SeverityInformational,
			StatusMessage:  fmt.Sprintf("%d further annotations (the last ones listed: passes) are left out of this answer; the hook's log line has every verdict.", left),
		})
	}
	return out
}

func firstRule(r *result.Result, def string) string {
	if r.Exempted != nil {
		return string(result.Exempt)
	}
	return def
}

// ruleAnnotations is one annotation per rule with findings, named LOGICALID/RULE.
func ruleAnnotations(v Verdict) []hookapi.Annotation {
	var out []hookapi.Annotation
	done := map[result.RuleID]bool{}
	for _, f := range v.Result.Findings {
		if done[f.Rule] {
			continue
		}
		done[f.Rule] = true
		var msgs, fixes []string
		for _, g := range v.Result.FindingsFor(f.Rule) {
			msgs = append(msgs, withPath(g))
			if g.Remediation != "" && !slices.Contains(fixes, g.Remediation) {
				fixes = append(fixes, g.Remediation)
			}
		}
		rule, _ := result.Lookup(f.Rule)
		a := hookapi.Annotation{
			AnnotationName:     v.Function.LogicalID + "/" + string(f.Rule),
			Status:             hookapi.AnnotationFailed,
			SeverityLevel:      hookapi.SeverityLevelOf(f.Severity),
			StatusMessage:      hookapi.Truncate(strings.Join(msgs, " "), maxAnnotationText),
			RemediationMessage: hookapi.Truncate(strings.Join(fixes, " "), maxAnnotationText),
			RemediationLink:    rule.Help,
		}
		if f.Exempted != nil {
			a.Status = hookapi.AnnotationSkipped
			a.StatusMessage = hookapi.Truncate(fmt.Sprintf("Exempted by the tag %s (%s): %s", f.Exempted.Tag, f.Exempted.Reason, strings.Join(msgs, " ")), maxAnnotationText)
		}
		out = append(out, a)
	}
	return out
}
