package guard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// maxAnnotationText bounds the annotation texts the hook writes. The API reference's Annotation
// type allows 16384 characters for StatusMessage and RemediationMessage (hookapi.MaxAnnotation*);
// 1024 is the hook's own choice, well inside that, to keep GetHookResult and the console readable.
const maxAnnotationText = 1024

// SkipAnnotation names the annotation of a function that was not inspected by design (a container
// image): there is no rule for it because nothing was evaluated.
const SkipAnnotation = "package-type-image"

// ReadErrorAnnotation names the annotation of a function whose package could not be read.
const ReadErrorAnnotation = "package-read-error"

// PropertiesAnnotation names the annotation of a function whose properties could not be obtained
// (fail-open only: fail-closed answers FAILED/InternalFailure).
const PropertiesAnnotation = "properties-unavailable"

// Render turns a result into a hook response: FAILED/NonCompliant when any finding is an error,
// SUCCESS otherwise; one annotation per evaluated rule; a message that leads with the most
// important finding. The caller sets ClientRequestToken.
func Render(res result.Result) hookapi.Response {
	resp := hookapi.Response{HookStatus: hookapi.StatusSuccess, Annotations: annotations(res)}
	if res.Status == result.Fail {
		resp.HookStatus, resp.ErrorCode = hookapi.StatusFailed, hookapi.NonCompliant
	}
	resp.Message = truncate(message(res), hookapi.MaxMessage)
	return resp
}

// annotations lists rules with findings first, in the order of the findings (errors first), then
// the rules that passed.
func annotations(res result.Result) []hookapi.Annotation {
	if res.Status == result.Skip {
		return []hookapi.Annotation{{
			AnnotationName: SkipAnnotation,
			Status:         hookapi.AnnotationSkipped,
			SeverityLevel:  hookapi.SeverityInformational,
			StatusMessage:  truncate("Not checked: "+res.SkipReason+".", maxAnnotationText),
		}}
	}
	var out []hookapi.Annotation
	done := map[result.RuleID]bool{}
	for _, f := range res.Findings {
		if done[f.Rule] {
			continue
		}
		done[f.Rule] = true
		fs := res.FindingsFor(f.Rule)
		msgs := make([]string, 0, len(fs))
		fixes := make([]string, 0, len(fs))
		for _, g := range fs {
			msgs = append(msgs, withPath(g))
			if g.Remediation != "" && !slices.Contains(fixes, g.Remediation) {
				fixes = append(fixes, g.Remediation)
			}
		}
		rule, _ := result.Lookup(f.Rule)
		a := hookapi.Annotation{
			AnnotationName:     string(f.Rule),
			Status:             hookapi.AnnotationFailed,
			SeverityLevel:      hookapi.SeverityLevelOf(f.Severity), // findings are sorted: the first is the worst
			StatusMessage:      truncate(strings.Join(msgs, " "), maxAnnotationText),
			RemediationMessage: truncate(strings.Join(fixes, " "), maxAnnotationText),
			RemediationLink:    rule.Help,
		}
		if f.Exempted != nil {
			// An exemption covers a rule, so all of the rule's findings are exempted together:
			// reported, but SKIPPED rather than FAILED, with the reason.
			a.Status = hookapi.AnnotationSkipped
			a.StatusMessage = truncate(fmt.Sprintf("Exempted by the tag %s (%s): %s", f.Exempted.Tag, f.Exempted.Reason, strings.Join(msgs, " ")), maxAnnotationText)
		}
		out = append(out, a)
	}
	for _, id := range res.Evaluated {
		if done[id] {
			continue
		}
		done[id] = true
		rule, _ := result.Lookup(id)
		a := hookapi.Annotation{
			AnnotationName:  string(id),
			Status:          hookapi.AnnotationPassed,
			SeverityLevel:   hookapi.SeverityLevelOf(rule.Severity),
			StatusMessage:   "Passed.",
			RemediationLink: rule.Help,
		}
		if rule.Title != "" {
			a.StatusMessage = "Passed: checked for \"" + rule.Title + "\"."
		}
		out = append(out, a)
	}
	return out
}

// message is the console's one paragraph: which function, what is wrong, where in the zip, and the
// exact fix, most important first.
func message(res result.Result) string {
	fn := res.Target
	if res.Runtime != "" {
		fn += fmt.Sprintf(" (%s, %s)", res.Runtime, res.Architecture)
	} else if res.Image != "" {
		// The digest read: the verdict holds for this image, whatever the tag says later.
		fn += fmt.Sprintf(" (image %s, %s)", res.Image, res.Architecture)
	}
	switch res.Status {
	case result.Skip:
		return fmt.Sprintf("%s was not checked: %s.", fn, res.SkipReason)
	case result.Pass:
		var b strings.Builder
		fmt.Fprintf(&b, "%s passed Bootstrap Guard (%d checks).", fn, len(res.Evaluated))
		for _, f := range res.Findings {
			if f.Exempted != nil {
				b.WriteString(exemptedText(f))
				continue
			}
			fmt.Fprintf(&b, " Warning [%s]: %s", f.Rule, withPath(f))
			if f.Remediation != "" {
				b.WriteString(" Fix: " + f.Remediation)
			}
		}
		return b.String()
	}
	var b strings.Builder
	errs := 0
	for _, f := range res.Findings {
		if f.Severity == result.Error && f.Exempted == nil {
			errs++
		}
	}
	what := "problem"
	if errs > 1 {
		what = "problems"
	}
	fmt.Fprintf(&b, "%s will fail on Lambda: %d %s.", fn, errs, what)
	for i, f := range res.Findings {
		if f.Exempted != nil {
			b.WriteString(exemptedText(f))
			continue
		}
		label := "Warning"
		if f.Severity == result.Error {
			label = fmt.Sprintf("%d", i+1)
		}
		fmt.Fprintf(&b, " %s [%s] %s", label, f.Rule, withPath(f))
		if f.Remediation != "" {
			b.WriteString(" Fix: " + f.Remediation)
		}
	}
	return b.String()
}

// withPath is a finding's message, naming its path in the zip when the message does not already.
func withPath(f result.Finding) string {
	m := strings.TrimSpace(f.Message)
	if f.Path != "" && !strings.Contains(m, f.Path) {
		m += " (path in the zip: " + f.Path + ")"
	}
	return m
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string { return hookapi.Truncate(s, n) }
