package inspect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// customRuntimeRules applies the custom-runtime-* rules to a function that uses a
// customer-managed runtime (Runtime: custom) or sets RuntimeConfig. handled says the runtime
// rules are done (Runtime is custom); known is always false then: the handler is whatever the
// publisher's runtime expects (cmr-using: "the same as using a Lambda-managed runtime, except for
// how you specify the runtime"), so no handler or bootstrap rule applies, while the package rules
// (size, paths) do. No source asks a customer-managed runtime's package for a root bootstrap:
// the runtime version's image holds "the bootstrap that starts it" (cmr-building-images), so
// bootstrap-missing does not apply (inferred: what Lambda does with a bootstrap in the function's
// own package is not documented).
func (k *check) customRuntimeRules() (handled, known bool) {
	cfg := k.fn.RuntimeConfig
	custom := k.fn.Runtime == cmr.Runtime
	if !custom && cfg == nil {
		return false, false
	}
	if cfg != nil && cfg.Unresolved {
		// Known only at deployment (the template reader notes it): nothing here to judge.
		return custom, false
	}
	k.evaluated(result.CustomRuntimeConfigMissing, result.CustomRuntimeConfigMismatch, result.CustomRuntimeConfigInvalid)
	if !custom {
		// FunctionRuntimeConfig: "The customer-managed runtime configuration for your function";
		// a function uses one with Runtime: custom (cmr-using), and the CDK's
		// FunctionRuntimeConfig mixin rejects any other runtime (aws-lambda/lib/mixins/function.ts).
		runtime := k.fn.Runtime
		if runtime == "" {
			runtime = "not set"
		}
		k.add(result.CustomRuntimeConfigMismatch, result.Error, "",
			fmt.Sprintf("RuntimeConfig names customer-managed runtime %s (alias %s), but Runtime is %s: Lambda uses RuntimeConfig only with Runtime: custom.", orNone(cfg.RuntimeArn), orNone(cfg.RuntimeAlias), quoteRuntime(runtime)),
			"Set Runtime: custom to run on the customer-managed runtime, or remove RuntimeConfig to run on the Lambda runtime.")
		return false, false
	}
	if cfg == nil || len(cfg.Missing()) > 0 {
		what := "there is no RuntimeConfig"
		if cfg != nil {
			what = "RuntimeConfig lacks " + strings.Join(cfg.Missing(), " and ")
		}
		// FunctionRuntimeConfig: RuntimeArn "Required: Yes", RuntimeAlias "Required: Yes".
		k.add(result.CustomRuntimeConfigMissing, result.Error, "",
			fmt.Sprintf("Runtime is custom, but %s: Lambda needs RuntimeConfig's RuntimeArn and RuntimeAlias (both required) to know which customer-managed runtime the function runs on.", what),
			"Add RuntimeConfig: {RuntimeArn: arn:aws:lambda:REGION:ACCOUNT:runtime/NAME, RuntimeAlias: ALIAS} naming the runtime and the alias its publisher gave you, or set Runtime to a Lambda runtime.")
		return true, false
	}
	if problems := cfg.Problems(); len(problems) > 0 {
		k.add(result.CustomRuntimeConfigInvalid, result.Error, "",
			"RuntimeConfig breaks Lambda's constraints: "+strings.Join(problems, "; ")+".",
			"Copy RuntimeArn and RuntimeAlias as the runtime's publisher gives them (aws lambda-core get-runtime-alias --runtime-name ARN --name ALIAS shows both).")
		return true, false
	}
	k.rt = runtimes.Runtime{Name: cmr.Runtime}
	k.customRuntimeAliasRules(*cfg)
	return true, false
}

// customRuntimeAliasRules reads the alias (GetRuntimeAlias) and judges its release lifecycle,
// architectures and state.
func (k *check) customRuntimeAliasRules(cfg cmr.Config) {
	k.evaluated(result.CustomRuntimeUnchecked)
	label := fmt.Sprintf("%s (alias %s)", cfg.RuntimeArn, cfg.RuntimeAlias)
	if k.cmrs == nil {
		why := k.cmrsOff
		if why == "" {
			why = "no Lambda Core client configured"
		}
		// Lambda sends no notifications for customer-managed runtimes; the alias's lifecycle is
		// the only place its dates are published (cmr-lifecycle, "Telling consumers about
		// lifecycle changes").
		k.add(result.CustomRuntimeUnchecked, result.Info, "",
			fmt.Sprintf("Not checked: the release lifecycle, architectures and state of customer-managed runtime %s were not read (%s). Its publisher sets its deprecation and block dates, and Lambda sends no notifications about them.", label, why),
			"Run the check with AWS credentials allowed lambda:GetRuntimeAlias on the runtime (the hook reads it with its own role).")
		return
	}
	alias, err := k.cmrs.GetRuntimeAlias(k.ctx, cfg.RuntimeArn, cfg.RuntimeAlias)
	var ae *cmr.APIError
	switch {
	case err != nil && errors.As(err, &ae) && ae.NotFound():
		k.evaluated(result.CustomRuntimeState)
		k.add(result.CustomRuntimeState, result.Error, "",
			fmt.Sprintf("Customer-managed runtime %s does not exist, or is not shared with this account (GetRuntimeAlias: %s): Lambda cannot run the function on it.", label, ae.Code),
			"Check RuntimeArn and RuntimeAlias with the runtime's publisher; a runtime of another account must be shared with this one.")
		return
	case err != nil:
		sev := k.cmrFailure
		if sev == "" {
			sev = result.Warning
		}
		reason := err.Error()
		fix := "Retry; if it persists, check that the caller reaches the Lambda API."
		if errors.As(err, &ae) && ae.Denied() {
			reason = "access denied: the caller may not call lambda:GetRuntimeAlias on it"
			fix = fmt.Sprintf("Allow lambda:GetRuntimeAlias on %s and %s/alias/* (for the hook: the construct's CustomRuntimeArns prop).", cfg.RuntimeArn, cfg.RuntimeArn)
		} else if errors.Is(err, context.DeadlineExceeded) {
			reason = "timed out"
		}
		note := ""
		if sev == result.Error {
			note = " Failed because the guard runs fail-closed."
		}
		k.add(result.CustomRuntimeUnchecked, sev, "",
			fmt.Sprintf("Could not read customer-managed runtime %s (%s), so its release lifecycle, architectures and state are not checked.%s", label, reason, note), fix)
		return
	}
	k.evaluated(result.CustomRuntimeState, result.CustomRuntimeArchMismatch, result.CustomRuntimeDeprecated)
	switch alias.State {
	case cmr.StateDeleting, cmr.StatePendingDeletion:
		k.add(result.CustomRuntimeState, result.Error, "",
			fmt.Sprintf("Customer-managed runtime %s is %s: its publisher is deleting the alias, and a function cannot run on a runtime that is going away.", label, alias.State),
			"Move to another alias of the runtime (ask its publisher which one).")
	case cmr.StateCreating, cmr.StateUpdating:
		// Inferred: Lambda's documentation does not say whether it accepts a function on an alias
		// that is still being created or updated.
		k.add(result.CustomRuntimeState, result.Warning, "",
			fmt.Sprintf("Customer-managed runtime %s is %s, not yet ACTIVE; whether Lambda accepts a function on it meanwhile is not documented.", label, alias.State),
			"Deploy once the alias is ACTIVE.")
	}
	// Compatibility.Architectures: the architectures the runtime version supports.
	if len(alias.Architectures) > 0 && !slices.Contains(alias.Architectures, k.fn.Architecture) {
		k.add(result.CustomRuntimeArchMismatch, result.Error, "",
			fmt.Sprintf("Customer-managed runtime %s supports %s, not the function's %s.", label, strings.Join(alias.Architectures, ", "), k.fn.Architecture),
			fmt.Sprintf("Set Architectures to [%s], or use an alias of the runtime built for %s.", alias.Architectures[0], k.fn.Architecture))
	}
	k.customRuntimeLifecycle(label, alias.Lifecycle)
}

// customRuntimeLifecycle judges the alias's release lifecycle as Lambda's own runtimes are
// judged: Lambda enforces the alias's FunctionCreateBlockDate and FunctionUpdateBlockDate
// (cmr-lifecycle), so a create after deprecation is an error and an update a warning until the
// update block. "Reads report DEPRECATED once DeprecationDate is reached"; DEPRECATED without a
// date counts from today.
func (k *check) customRuntimeLifecycle(label string, l cmr.Lifecycle) {
	rt := runtimes.Runtime{Name: label, Deprecated: runtimes.Date{Time: l.Deprecation},
		CreateBlocked: runtimes.Date{Time: l.CreateBlocked}, UpdateBlocked: runtimes.Date{Time: l.UpdateBlocked}}
	if rt.Deprecated.IsZero() && l.ReleaseState == "DEPRECATED" {
		rt.Deprecated.Time = k.day
	}
	if rt.Deprecated.IsZero() && rt.CreateBlocked.IsZero() && rt.UpdateBlocked.IsZero() {
		return // no lifecycle set: nothing scheduled
	}
	fix := "Move to a newer alias or runtime (ask the runtime's publisher which one)."
	phase := rt.PhaseOn(k.day)
	if phase == runtimes.Supported {
		if k.window < 0 || rt.Deprecated.IsZero() {
			return
		}
		if left := rt.Deprecated.Sub(k.day); left <= k.window {
			k.add(result.CustomRuntimeDeprecated, result.Warning, "",
				fmt.Sprintf("Customer-managed runtime %s is deprecated on %s (in %d days), by its publisher's release lifecycle.", label, day(rt.Deprecated.Time), int(left/(24*time.Hour))), fix)
		}
		return
	}
	if rt.Deprecated.IsZero() {
		// Blocked without a deprecation date: the earliest block date stands for it.
		rt.Deprecated = rt.CreateBlocked
		if rt.Deprecated.IsZero() {
			rt.Deprecated = rt.UpdateBlocked
		}
	}
	sev, msg := k.lifecycleMessage("Customer-managed runtime "+label, false, rt, phase)
	k.add(result.CustomRuntimeDeprecated, sev, "", msg+" (The dates are its publisher's release lifecycle.)", fix)
}

// customRuntimeImageRule: a container-image function brings its own runtime, and the CDK's
// FunctionRuntimeConfig mixin rejects one (aws-lambda/lib/mixins/function.ts), so RuntimeConfig
// on it is an error.
func (k *check) customRuntimeImageRule() {
	if f, ok := CustomRuntimeImageFinding(k.fn); ok {
		k.evaluated(result.CustomRuntimeImage)
		k.res.Findings = append(k.res.Findings, f)
	}
}

// CustomRuntimeImageFinding is custom-runtime-image for fn, for the callers that check images
// with their own engine (internal/image): a finding when fn is a container image with
// RuntimeConfig.
func CustomRuntimeImageFinding(fn Function) (result.Finding, bool) {
	if fn.PackageType != PackageImage || fn.RuntimeConfig == nil {
		return result.Finding{}, false
	}
	return result.Finding{Rule: result.CustomRuntimeImage, Severity: result.Error,
		Message:     fmt.Sprintf("The function is a container image (PackageType: Image) with RuntimeConfig (%s): an image brings its own runtime, and customer-managed runtimes are for .zip functions.", orNone(fn.RuntimeConfig.RuntimeArn)),
		Remediation: "Remove RuntimeConfig (and Runtime), or deploy the code as a .zip with Runtime: custom."}, true
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func quoteRuntime(s string) string {
	if s == "not set" {
		return s
	}
	return fmt.Sprintf("%q", s)
}
