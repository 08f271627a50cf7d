package guard

import (
	"fmt"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// exemptionOf reads the function's exemption tag, if it has one.
func exemptionOf(p *hookapi.FunctionProperties) (exemptions.Exemption, bool) {
	v, ok := p.Tag(exemptions.Tag)
	if !ok {
		return exemptions.Exemption{}, false
	}
	return exemptions.Parse(v), true
}

// exemptResponse answers for a function exempt as a whole: SUCCESS without reading its package,
// with a SKIPPED annotation that carries the reason.
func exemptResponse(id string, e exemptions.Exemption) hookapi.Response {
	rule, _ := result.Lookup(result.Exempt)
	msg := fmt.Sprintf("%s is exempt from Bootstrap Guard (tag %s: %s); its package was not checked.", id, ExemptTag, e.Reason)
	return hookapi.Response{
		HookStatus: hookapi.StatusSuccess,
		Message:    truncate(msg, hookapi.MaxMessage),
		Annotations: []hookapi.Annotation{{
			AnnotationName:     string(result.Exempt),
			Status:             hookapi.AnnotationSkipped,
			SeverityLevel:      hookapi.SeverityInformational,
			StatusMessage:      truncate(msg, maxAnnotationText),
			RemediationMessage: "Remove the " + ExemptTag + " tag once the function should be checked again, or exempt only the rules that misjudge it (" + ExemptTag + "=RULE: reason).",
			RemediationLink:    rule.Help,
		}},
	}
}

// exemptionUsed reports whether the decision honoured an exemption: the whole function, or at
// least one finding.
func (d *decision) exemptionUsed() bool {
	if d.exemptWhole {
		return true
	}
	return d.res != nil && len(exemptions.Used(*d.res)) > 0
}

// exemptedRules lists what the decision's exemption covered, for logs and notifications.
func (d *decision) exemptedRules() []string {
	if d.exemptWhole {
		return []string{"*"}
	}
	if d.res == nil {
		return nil
	}
	var out []string
	for _, id := range exemptions.Used(*d.res) {
		out = append(out, string(id))
	}
	return out
}

// exemptedText is how the message names an exempted finding.
func exemptedText(f result.Finding) string {
	return fmt.Sprintf(" Exempted [%s] by the tag %s (%s): %s", f.Rule, f.Exempted.Tag, strings.TrimSuffix(f.Exempted.Reason, "."), withPath(f))
}

// exemptAdvice is the way out a message offers when the hook cannot decide on a function: the
// whole-function exemption tag where the platform honours it (BOOTSTRAP_GUARD_EXEMPTIONS=any), and
// otherwise the platform team, since under rules-only or none such a tag would only be ignored.
func (h *Handler) exemptAdvice() string {
	switch h.cfg.Exemptions {
	case "", exemptions.Any:
		return fmt.Sprintf("exempt the function with the tag %s=<reason>", ExemptTag)
	}
	return fmt.Sprintf("ask the platform team: this hook does not honour whole-function exemptions (%s=%s)", EnvExemptions, h.cfg.Exemptions)
}
