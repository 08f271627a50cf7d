package engine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// Policy is what a platform decides about every function, the same whichever front-end asks:
// the hook reads it from BOOTSTRAP_GUARD_* variables (PolicyFromEnv), the construct writes those
// variables from its props (Env), the CLI fills it from its flags and the synth-time check from
// its options. The zero value is usable: today's date, no deprecation warning, no allow or deny
// list, every exemption honoured, every rule applied, the built-in runtime catalogue;
// DefaultPolicy is what a front-end starts from. A new platform switch (a stricter treatment of
// updates, a live runtime-lifecycle lookup) is a field here, checked in Validate, carried by Env
// and PolicyFromEnv, and handed to the rules in options: every front-end then has it.
type Policy struct {
	// Date is when runtime lifecycles are evaluated; zero means the time of each evaluation.
	Date time.Time
	// WarnDays is how many days before a runtime's deprecation runtime-deprecation-soon starts
	// warning; 0 turns the warning off.
	WarnDays int
	// Allow lists runtimes accepted even when deprecated (their findings become warnings); Deny
	// lists runtimes rejected even when supported (runtime-denied).
	Allow, Deny []string
	// Exemptions says which bootstrap-guard:exempt tags are honoured; "" means exemptions.Any.
	Exemptions exemptions.Mode
	// SkipRules are rules turned off: they are neither reported nor listed as evaluated
	// (ParseRules reads rule IDs and family names into it).
	SkipRules []result.RuleID
	// Catalogue is the runtime catalogue; nil means the built-in one.
	Catalogue *runtimes.Catalogue
	// StrictUpdates makes updating a function on a deprecated runtime an error from the
	// deprecation date; by default it is a warning until Lambda's update-block date.
	StrictUpdates bool
	// CustomRuntimes looks up a customer-managed runtime's lifecycle (its alias, through the
	// Lambda Core API): the front-end's reader, not a setting (Env leaves it out). Nil leaves such
	// runtimes unchecked, with a note saying CustomRuntimesOff.
	CustomRuntimes    cmr.Reader
	CustomRuntimesOff string
	// CustomRuntimeFailure is the severity of custom-runtime-unchecked when a lookup fails:
	// Warning when empty; the hook's fail-closed mode makes it Error.
	CustomRuntimeFailure result.Severity
}

// DefaultWarnDays is the default deprecation warning window, in days.
const DefaultWarnDays = int(inspect.DefaultWarnWindow / (24 * time.Hour))

// MaxWarnDays bounds the warning window: ten years is longer than any runtime is supported.
const MaxWarnDays = 3650

// DefaultPolicy is the policy of every front-end when nothing is configured.
func DefaultPolicy() Policy {
	return Policy{WarnDays: DefaultWarnDays, Exemptions: exemptions.Any}
}

// The hook's environment variables for the policy. The construct writes them (Policy.Env) and
// the hook reads them (PolicyFromEnv); the CLI reads BOOTSTRAP_GUARD_EXEMPTIONS too, so CI can
// mirror the hook.
const (
	EnvAllowRuntimes = "BOOTSTRAP_GUARD_ALLOW_RUNTIMES"
	EnvDenyRuntimes  = "BOOTSTRAP_GUARD_DENY_RUNTIMES"
	EnvWarnDays      = "BOOTSTRAP_GUARD_WARN_DAYS"
	EnvDate          = "BOOTSTRAP_GUARD_DATE"
	// EnvExemptions says which exemption tags are honoured: any, rules-only or none.
	EnvExemptions = "BOOTSTRAP_GUARD_EXEMPTIONS"
	// EnvSkipRules lists rules turned off, comma-separated.
	EnvSkipRules = "BOOTSTRAP_GUARD_SKIP_RULES"
	// EnvStrictUpdates makes updating a function on a deprecated runtime an error from the
	// deprecation date (by default a warning until Lambda's update-block date): true or false.
	EnvStrictUpdates = "BOOTSTRAP_GUARD_STRICT_UPDATES"
)

// PolicyFromEnv reads the policy from the hook's environment variables through getenv. A bad
// value is an error naming the variable. Unset variables keep DefaultPolicy's values.
func PolicyFromEnv(getenv func(string) string) (Policy, error) {
	p := DefaultPolicy()
	var err error
	if p.Allow, err = ParseRuntimes(EnvAllowRuntimes, strings.Split(getenv(EnvAllowRuntimes), ",")); err != nil {
		return Policy{}, err
	}
	if p.Deny, err = ParseRuntimes(EnvDenyRuntimes, strings.Split(getenv(EnvDenyRuntimes), ",")); err != nil {
		return Policy{}, err
	}
	if v := strings.TrimSpace(getenv(EnvWarnDays)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxWarnDays {
			return Policy{}, fmt.Errorf("%s=%q: want a whole number of days from 0 to %d", EnvWarnDays, v, MaxWarnDays)
		}
		p.WarnDays = n
	}
	for _, a := range p.Allow {
		if slices.Contains(p.Deny, a) {
			return Policy{}, fmt.Errorf("%s and %s both list %q", EnvAllowRuntimes, EnvDenyRuntimes, a)
		}
	}
	if v := strings.TrimSpace(getenv(EnvDate)); v != "" {
		if p.Date, err = time.Parse(time.DateOnly, v); err != nil {
			return Policy{}, fmt.Errorf("%s=%q: want YYYY-MM-DD", EnvDate, v)
		}
	}
	if p.Exemptions, err = exemptions.ParseMode(getenv(EnvExemptions)); err != nil {
		return Policy{}, fmt.Errorf("%s=%w", EnvExemptions, err)
	}
	if p.SkipRules, err = ParseRules(EnvSkipRules, strings.Split(getenv(EnvSkipRules), ",")); err != nil {
		return Policy{}, err
	}
	if v := strings.TrimSpace(getenv(EnvStrictUpdates)); v != "" {
		if p.StrictUpdates, err = strconv.ParseBool(v); err != nil {
			return Policy{}, fmt.Errorf("%s=%q: want true or false", EnvStrictUpdates, v)
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, envError(err)
	}
	return p, nil
}

// Env is the policy as the hook's environment variables: only what differs from DefaultPolicy,
// so a hook deployed without settings reads the defaults. The catalogue is not part of it (the
// hook names its location in BOOTSTRAP_GUARD_RUNTIMES).
func (p Policy) Env() map[string]string {
	env := map[string]string{}
	if len(p.Allow) > 0 {
		env[EnvAllowRuntimes] = strings.Join(p.Allow, ",")
	}
	if len(p.Deny) > 0 {
		env[EnvDenyRuntimes] = strings.Join(p.Deny, ",")
	}
	if p.WarnDays != DefaultWarnDays {
		env[EnvWarnDays] = strconv.Itoa(p.WarnDays)
	}
	if !p.Date.IsZero() {
		env[EnvDate] = p.Date.Format(time.DateOnly)
	}
	if p.Exemptions != "" {
		env[EnvExemptions] = string(p.Exemptions)
	}
	if len(p.SkipRules) > 0 {
		ids := make([]string, len(p.SkipRules))
		for i, id := range p.SkipRules {
			ids[i] = string(id)
		}
		env[EnvSkipRules] = strings.Join(ids, ",")
	}
	if p.StrictUpdates {
		env[EnvStrictUpdates] = "true"
	}
	return env
}

// FieldError is a policy value that is not valid; Field is the Policy field's name, which a
// front-end may replace with its own (a flag, a variable, a prop).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks the policy: a warning window from 0 to MaxWarnDays, no runtime both allowed
// and denied, an exemption mode, rules that exist.
func (p Policy) Validate() error {
	var errs []error
	if p.WarnDays < 0 || p.WarnDays > MaxWarnDays {
		errs = append(errs, &FieldError{"WarnDays", fmt.Errorf("%d: want a whole number of days from 0 to %d", p.WarnDays, MaxWarnDays)})
	}
	for _, a := range p.Allow {
		if slices.Contains(p.Deny, a) {
			errs = append(errs, &FieldError{"Allow", fmt.Errorf("%q is both allowed and denied", a)})
		}
	}
	if p.Exemptions != "" {
		if _, err := exemptions.ParseMode(string(p.Exemptions)); err != nil {
			errs = append(errs, &FieldError{"Exemptions", err})
		}
	}
	for _, id := range p.SkipRules {
		if _, ok := result.Lookup(id); !ok {
			errs = append(errs, &FieldError{"SkipRules", fmt.Errorf("%q is not a rule ID (bootstrap-guard rules lists them)", id)})
		}
	}
	return errors.Join(errs...)
}

// envFields names the variable of each Policy field.
var envFields = map[string]string{"WarnDays": EnvWarnDays, "Allow": EnvAllowRuntimes, "Exemptions": EnvExemptions, "SkipRules": EnvSkipRules}

// envError renames the fields of a Validate error after the variables that set them.
func envError(err error) error {
	return RenameFields(err, envFields, "%s=")
}

// RenameFields rewrites the FieldErrors in err (as Validate returns it) to name the front-end's
// own settings: names maps a field to its setting, format places the setting ("--%s", "%s=").
func RenameFields(err error, names map[string]string, format string) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var fe *FieldError
		if errors.As(e, &fe) {
			if n, ok := names[fe.Field]; ok {
				out = append(out, fmt.Errorf("%s %w", strings.TrimSuffix(fmt.Sprintf(format, n), " "), fe.Err))
				continue
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// ParseRuntimes reads a list of runtime identifiers; a name that fits no Lambda runtime family
// is an error naming setting, since a typo would silently allow or deny nothing. A runtime newer
// than the built-in catalogue may be listed (a platform may deny one it has not vetted yet).
func ParseRuntimes(setting string, items []string) ([]string, error) {
	var out []string
	cat := runtimes.Default()
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, ok := cat.Lookup(s); !ok {
			if _, plausible := cat.Unlisted(s); !plausible {
				return nil, fmt.Errorf("%s: %q is not a Lambda runtime", setting, s)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseRules reads a list of rule IDs and family names (a family stands for all its rules); one
// that is neither is an error naming setting, since a typo would silently leave the rule on.
func ParseRules(setting string, items []string) ([]result.RuleID, error) {
	var out []result.RuleID
	add := func(id result.RuleID) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if f, ok := Family(s); ok {
			for _, id := range f.Rules {
				add(id)
			}
			continue
		}
		if _, ok := result.Lookup(result.RuleID(s)); !ok {
			return nil, fmt.Errorf("%s: %q is neither a rule ID nor a rule family (bootstrap-guard rules --families lists them)", setting, s)
		}
		add(result.RuleID(s))
	}
	return out, nil
}

// options is the policy as the zip engine's options.
func (p Policy) options() inspect.Options {
	opts := inspect.Options{Catalogue: p.Catalogue, Allow: p.Allow, Deny: p.Deny, StrictUpdates: p.StrictUpdates,
		CustomRuntimes: p.CustomRuntimes, CustomRuntimesOff: p.CustomRuntimesOff, CustomRuntimeFailure: p.CustomRuntimeFailure}
	// 0 days turns the warning off; inspect reads a zero window as its default, a negative one
	// as off.
	opts.WarnWindow = time.Duration(p.WarnDays) * 24 * time.Hour
	if p.WarnDays <= 0 {
		opts.WarnWindow = -1
	}
	if !p.Date.IsZero() {
		day := p.Date
		opts.Now = func() time.Time { return day }
	}
	return opts
}
