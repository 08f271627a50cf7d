package inspect

import (
	"fmt"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// runtimeRules applies the runtime-* rules and reports whether the runtime is in the catalogue.
func (k *check) runtimeRules() bool {
	name := k.fn.Runtime
	if handled, known := k.customRuntimeRules(); handled { // runtime_cmr.go
		return known
	}
	k.evaluated(result.RuntimeMissing)
	if name == "" {
		k.add(result.RuntimeMissing, result.Error, "",
			"The function has no Runtime. Lambda requires one for zip packages (\"Runtime and Handler are mandatory parameters for functions created with deployment packages\").",
			"Set Runtime: provided.al2023 for a Go, Rust or other compiled bootstrap, or the language runtime your handler is written for.")
		return false
	}
	k.evaluated(result.RuntimeUnknown)
	rt, ok := k.cat.Lookup(name)
	if !ok {
		if u, ok := k.cat.Unlisted(name); ok {
			k.unlistedRule(u)
			return true
		}
		msg := fmt.Sprintf("Runtime %q is not a Lambda runtime.", name)
		fix := "Use a runtime from https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html."
		if s := k.cat.Closest(name, k.day); s != "" {
			msg += fmt.Sprintf(" Did you mean %s?", s)
			fix = fmt.Sprintf("Set Runtime: %s.", s)
			// The nearest name may be one nobody should move to (go1.23 is nearest go1.x): point
			// past it to where its successors lead.
			if r, ok := k.cat.Lookup(s); ok && r.PhaseOn(k.day) != runtimes.Supported {
				if next := k.cat.Latest(r); next != s {
					msg = fmt.Sprintf("Runtime %q is not a Lambda runtime. The nearest, %s, is deprecated; its successor is %s.", name, s, next)
					fix = fmt.Sprintf("Set Runtime: %s.", next)
				}
			}
		}
		k.add(result.RuntimeUnknown, result.Error, "", msg, fix)
		return false
	}
	k.rt = rt
	k.evaluated(result.RuntimeDenied)
	if k.deny[name] {
		k.add(result.RuntimeDenied, result.Error, "",
			fmt.Sprintf("Runtime %s is not allowed in this account (deny list).", name),
			fmt.Sprintf("Move to %s, or ask the platform team to change the guard's runtime policy.", k.cat.Latest(rt)))
	}
	k.evaluated(result.RuntimeDeprecated, result.RuntimeDeprecationSoon)
	phase := rt.PhaseOn(k.day)
	next := k.cat.Latest(rt)
	move := fmt.Sprintf("Move to %s.", next)
	if rt.Family == runtimes.FamilyGo {
		move = "Move to provided.al2023: build with GOOS=linux CGO_ENABLED=0 -tags lambda.norpc -o bootstrap, zip -j the bootstrap at the zip root, set Runtime: provided.al2023 (Handler is ignored)."
	}
	if phase == runtimes.Supported {
		if k.window < 0 {
			return true
		}
		left := rt.Deprecated.Sub(k.day)
		if left <= k.window {
			k.add(result.RuntimeDeprecationSoon, result.Warning, "",
				fmt.Sprintf("Runtime %s is deprecated on %s (in %d days); after that it gets no security patches.", name, day(rt.Deprecated.Time), int(left.Hours()/24)),
				move)
		}
		return true
	}
	sev, msg := k.lifecycleMessage("Runtime "+rt.Name, true, rt, phase)
	if sev == result.Error && k.allow[name] {
		sev = result.Warning
		msg += " Allowed here by the guard's runtime policy."
	}
	k.add(result.RuntimeDeprecated, sev, "", msg, move)
	return true
}

// lifecycleMessage decides runtime-deprecated for a runtime past its deprecation date, by the
// action. Lambda's runtime deprecation policy
// (https://docs.aws.amazon.com/lambda/latest/dg/runtime-support-policy.html, "Runtime deprecation
// policy") blocks the two actions on two dates: after the create-block date a function on the
// runtime cannot be created, after the update-block date an existing one cannot be updated, and
// invocations are never blocked. Creating a function on a deprecated runtime starts new work on
// software that gets no security patches, so it is an error from the deprecation date. Updating
// an existing one is what a hotfix needs, and Lambda accepts it until the update-block date, so
// it is a warning until then (an error with Options.StrictUpdates) and an error from that date,
// when Lambda rejects it. Every date is told in the tense it has on the evaluation day.
//
// subject names the runtime in the message ("Runtime python3.9"); patched says that deprecation
// ends its security patches (true of Lambda's runtimes; a customer-managed runtime's publisher
// decides that).
func (k *check) lifecycleMessage(subject string, patched bool, rt runtimes.Runtime, phase runtimes.Phase) (result.Severity, string) {
	if rt.ContainerOnly {
		return result.Error, fmt.Sprintf("%s is available only for container images, not for zip packages.", subject)
	}
	msg := fmt.Sprintf("%s is deprecated since %s.", subject, day(rt.Deprecated.Time))
	if patched {
		msg = fmt.Sprintf("%s is deprecated since %s and no longer gets security patches.", subject, day(rt.Deprecated.Time))
	}
	msg += " " + k.blockSentence("creating functions", rt.CreateBlocked) + " " + k.blockSentence("updating existing functions", rt.UpdateBlocked)
	switch {
	case k.fn.Action == Create && phase >= runtimes.CreateBlocked:
		return result.Error, msg + " This create will be rejected."
	case k.fn.Action == Create:
		return result.Error, msg + " Creating a function on it now starts new work on a deprecated runtime."
	case phase >= runtimes.UpdateBlocked:
		return result.Error, msg + " This update will be rejected."
	case k.strictUpdates:
		return result.Error, msg + " Lambda accepts this update, but updates on a deprecated runtime are errors here (strict updates)."
	}
	return result.Warning, msg + " Lambda accepts this update of an existing function, so it is a warning (strict updates make it an error)."
}

// blockSentence words one of Lambda's block dates in the tense it has on the evaluation day (a
// date takes effect on that day): "Lambda has blocked creating functions on it since
// 2027-02-01.", "Lambda will block ... from 2027-03-03.", or that no date is announced.
func (k *check) blockSentence(what string, d runtimes.Date) string {
	switch {
	case d.IsZero():
		return fmt.Sprintf("Lambda has announced no date to block %s on it.", what)
	case !k.day.Before(d.Time):
		return fmt.Sprintf("Lambda has blocked %s on it since %s.", what, day(d.Time))
	}
	return fmt.Sprintf("Lambda will block %s on it from %s.", what, day(d.Time))
}

// unlistedRule warns about a runtime newer than the catalogue's newest of its family and lets the
// package be checked as that family's. Failing it would block every team adopting a runtime on
// the day AWS launches it, until the guard's catalogue is refreshed; Lambda itself rejects names
// that are not runtimes ("Value at 'runtime' failed to satisfy constraint"), so a plausible typo
// that gets through here still cannot deploy.
func (k *check) unlistedRule(u runtimes.Unlisted) {
	k.evaluated(result.RuntimeUnlisted)
	k.rt = u.Runtime
	retrieved := k.cat.Retrieved
	if retrieved == "" {
		retrieved = "an unknown date"
	}
	msg := fmt.Sprintf("Runtime %s is not in Bootstrap Guard's runtime catalogue (retrieved %s; its newest %s runtime is %s), but it fits Lambda's naming for %s runtimes and is newer, so it is taken to be a runtime released since: the package gets the %s checks, its lifecycle is not checked.",
		u.Runtime.Name, retrieved, u.Runtime.Family, u.Newest.Name, u.Runtime.Family, u.Runtime.Family)
	if u.Runtime.OSOnly() {
		msg += " Its glibc is not known, so glibc requirements are not judged."
	}
	fix := fmt.Sprintf("Update the guard's runtime catalogue to one that lists %s: `bootstrap-guard check --runtimes FILE` in CI; for the hook, publish it to the catalogue SSM parameter or S3 object (BOOTSTRAP_GUARD_RUNTIMES, CDK prop RuntimesCatalogue), no redeploy needed. If %s is a typo, the newest known is %s.",
		u.Runtime.Name, u.Runtime.Name, u.Newest.Name)
	k.add(result.RuntimeUnlisted, result.Warning, "", msg, fix)
	// A platform may deny a new runtime until it has vetted it.
	k.evaluated(result.RuntimeDenied)
	if k.deny[u.Runtime.Name] {
		k.add(result.RuntimeDenied, result.Error, "",
			fmt.Sprintf("Runtime %s is not allowed in this account (deny list).", u.Runtime.Name),
			fmt.Sprintf("Use %s, or ask the platform team to change the guard's runtime policy.", u.Newest.Name))
	}
}

func day(t time.Time) string { return t.Format(time.DateOnly) }
