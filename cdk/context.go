package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/textdist"
)

// Kinds of context value.
const (
	kindString = "string"
	kindList   = "list"   // a JSON list in cdk.json, or comma-separated on -c
	kindBool   = "bool"   // true or false
	kindNumber = "number" // a number
)

// contextKey is one context value the app reads. Values, when set, are the only ones accepted
// (case-insensitive); Renamed marks a deprecated key and the key it became, with Map turning its
// values into the new key's.
type contextKey struct {
	Kind    string
	Values  []string
	Doc     string
	Renamed string
	Map     map[string]string
}

// contextKeys are every context value the app reads. A key that is not here, and not one of the
// CDK's own, stops the synth naming the nearest key here: a misspelt key must never leave a
// setting at its default without a word.
var contextKeys = map[string]contextKey{
	"enforcement":          {Kind: kindString, Values: []string{"FAIL", "WARN"}, Doc: "what a failed check does to the stack operation: FAIL stops it, WARN lets it go on"},
	"onUnreadable":         {Kind: kindString, Values: []string{"block", "allow"}, Doc: "what the hook does when a package cannot be read: block or allow"},
	"failureMode":          {Kind: kindString, Values: []string{"FAIL", "WARN"}, Renamed: "enforcement"},
	"failMode":             {Kind: kindString, Values: []string{"closed", "open"}, Renamed: "onUnreadable", Map: map[string]string{"closed": "block", "open": "allow"}},
	"hookStatus":           {Kind: kindString, Values: []string{"ENABLED", "DISABLED"}, Doc: "DISABLED turns the hook off at once without removing it"},
	"alias":                {Kind: kindString, Doc: "the hook type's alias"},
	"notificationEmails":   {Kind: kindList, Doc: "email addresses subscribed to the failure topic"},
	"includeStacks":        {Kind: kindList, Doc: "stack name patterns the hook checks (default all)"},
	"excludeStacks":        {Kind: kindList, Doc: "stack name patterns the hook never checks"},
	"allowRuntimes":        {Kind: kindList, Doc: "runtimes accepted even when deprecated"},
	"denyRuntimes":         {Kind: kindList, Doc: "runtimes rejected even when supported"},
	"skipRules":            {Kind: kindList, Doc: "rule IDs or rule families the hook and the synth check do not apply"},
	"warnDays":             {Kind: kindNumber, Doc: "days before a runtime's deprecation the hook warns"},
	"readScope":            {Kind: kindString, Values: []string{"ACCOUNT", "ORGANIZATION", "BUCKETS"}, Doc: "which buckets the hook may read"},
	"organizationId":       {Kind: kindString, Doc: "the organization of the ORGANIZATION read scope"},
	"codeBuckets":          {Kind: kindList, Doc: "bucket name patterns the hook may read"},
	"codeBucketKeys":       {Kind: kindList, Doc: "KMS key ARNs the hook may decrypt code packages with"},
	"imageRepositories":    {Kind: kindList, Doc: "ECR repositories the hook may read"},
	"runtimesCatalogue":    {Kind: kindString, Doc: "ssm:NAME or s3://BUCKET/KEY of a runtime catalogue"},
	"runtimesCacheSeconds": {Kind: kindNumber, Doc: "how long a loaded catalogue is reused"},
	"exemptions":           {Kind: kindString, Values: []string{"any", "rules-only", "none"}, Doc: "which exemption tags the hook honours"},
	"memorySize":           {Kind: kindNumber, Doc: "the hook function's memory in MB"},
	"timeout":              {Kind: kindNumber, Doc: "the hook function's timeout in seconds"},
	"centralTopicArn":      {Kind: kindString, Doc: "an SNS topic of the management or security account for the hook's notices"},
	"centralTopicKeyArn":   {Kind: kindString, Doc: "the KMS key of centralTopicArn"},
	"centralEventBusArn":   {Kind: kindString, Doc: "an event bus of the management or security account for failed hook invocations"},
	"centralNotifications": {Kind: kindBool, Doc: "add BootstrapGuardNotifications, the central topic and event bus (management or security account)"},
	"targetOperations":     {Kind: kindList, Doc: "when the hook runs: RESOURCE, CHANGE_SET or both"},
	"strictUpdates":        {Kind: kindBool, Doc: "updating a function on a deprecated runtime is an error from the deprecation date"},
	"customRuntimeArns":    {Kind: kindList, Doc: "customer-managed runtimes (of other accounts) whose aliases the hook may read"},
	"auditSchedule":        {Kind: kindString, Doc: "an EventBridge schedule expression (rate(1 day)) that runs the audit of the deployed functions in this account and region (default: off)"},
	"auditBucket":          {Kind: kindString, Doc: "an existing bucket for the scheduled audit's reports (default: a bucket of its own)"},
	"demo":                 {Kind: kindBool, Doc: "add the demo stack"},
	"packageCheck":         {Kind: kindBool, Doc: "check every function's package at synth"},
	"checkDate":            {Kind: kindString, Doc: "the day runtime lifecycles are evaluated on (YYYY-MM-DD)"},
	"orgUnits":             {Kind: kindList, Doc: "OUs of the organization roll-out"},
	"orgRegions":           {Kind: kindList, Doc: "regions of the organization roll-out"},
	"orgId":                {Kind: kindString, Doc: "the organization ID (o-...)"},
	"codeBucketPrefix":     {Kind: kindString, Doc: "prefix of the regional hook code buckets"},
	"callAs":               {Kind: kindString, Values: []string{"SELF", "DELEGATED_ADMIN"}, Doc: "who deploys the stack set"},
	"releaseTemplates":     {Kind: kindString, Doc: "a hook.zip: synthesize only the plain CloudFormation templates (make release)"},
}

// cdkOwnKey reports whether a context key belongs to the CDK rather than to this app: its
// control keys (aws:cdk:..., "Contrary to feature flags ... context keys that are used by the
// CLI to control the behavior of CDK apps", aws-cdk cx-api/lib/app.ts), its feature flags
// (@aws-cdk/..., cx-api/lib/features.ts), context lookups cached in cdk.context.json (keys such as
// availability-zones:account=...:region=...) and acknowledged-issue-numbers, which
// `cdk acknowledge` writes (aws-cdk CLI, notices).
func cdkOwnKey(k string) bool {
	return strings.HasPrefix(k, "@") || strings.Contains(k, ":") || k == "acknowledged-issue-numbers"
}

// settings are the context values, checked and with renamed keys moved to their new names.
type settings map[string]any

// checkContext checks every context value against contextKeys and returns them with deprecated
// keys moved to their new names, and a warning for each such key. An unknown key, a value of the
// wrong kind, a value not among the allowed ones, or a deprecated key contradicting its new name
// is an error naming the key.
func checkContext(all map[string]any) (settings, []string, error) {
	out := settings{}
	var warnings, errs []string
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := all[k]
		if cdkOwnKey(k) {
			continue
		}
		spec, ok := contextKeys[k]
		if !ok {
			errs = append(errs, fmt.Sprintf("unknown context key %q%s", k, nearestKey(k)))
			continue
		}
		val, err := contextValue(k, spec, v)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if val == nil {
			continue
		}
		if spec.Renamed != "" {
			if s, ok := val.(string); ok && spec.Map != nil {
				val = spec.Map[strings.ToLower(s)]
			}
			warnings = append(warnings, fmt.Sprintf("context key %q is deprecated: use %q (%s)", k, spec.Renamed, contextKeys[spec.Renamed].Doc))
			if nv, set := all[spec.Renamed]; set {
				if cur, err := contextValue(spec.Renamed, contextKeys[spec.Renamed], nv); err == nil && cur != nil && !strings.EqualFold(fmt.Sprint(cur), fmt.Sprint(val)) {
					errs = append(errs, fmt.Sprintf("context key %q=%v contradicts %q=%v: set %q only", k, v, spec.Renamed, nv, spec.Renamed))
				}
				continue
			}
			k = spec.Renamed
		}
		out[k] = val
	}
	if len(errs) > 0 {
		return nil, warnings, fmt.Errorf("context (cdk.json, cdk.context.json or -c): %s", strings.Join(errs, "; "))
	}
	return out, warnings, nil
}

// contextValue checks v against spec: a string (one of Values, case-insensitive, given back in
// Values' spelling), a list, a bool or a number. An empty value (or empty list) is unset: nil.
func contextValue(k string, spec contextKey, v any) (any, error) {
	switch spec.Kind {
	case kindList:
		var items []string
		switch t := v.(type) {
		case nil:
		case []any:
			for _, x := range t {
				if _, isStr := x.(string); !isStr {
					return nil, fmt.Errorf("context key %q: list item %v is not a string", k, x)
				}
				items = append(items, x.(string))
			}
		case string:
			// -c key=a,b, or a JSON list given as text (CDK_CONTEXT_JSON keeps the value as text).
			if strings.HasPrefix(strings.TrimSpace(t), "[") {
				var l []string
				if err := json.Unmarshal([]byte(t), &l); err != nil {
					return nil, fmt.Errorf("context key %q: %q is not a JSON list of strings: %w", k, t, err)
				}
				items = l
			} else {
				items = strings.Split(t, ",")
			}
		default:
			return nil, fmt.Errorf("context key %q: want a list of strings or a comma-separated string, got %v", k, v)
		}
		var out []string
		for _, s := range items {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case kindBool:
		switch t := v.(type) {
		case bool:
			return t, nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
				return b, nil
			}
		}
		return nil, fmt.Errorf("context key %q: %v: want true or false", k, v)
	case kindNumber:
		switch t := v.(type) {
		case float64:
			return t, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("context key %q: %v: want a number", k, v)
	}
	s, ok := v.(string)
	if !ok {
		if _, isList := v.([]any); isList || v == nil {
			return nil, fmt.Errorf("context key %q: want a string, got %v", k, v)
		}
		s = fmt.Sprint(v)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if len(spec.Values) == 0 {
		return s, nil
	}
	for _, a := range spec.Values {
		if strings.EqualFold(a, s) {
			return a, nil
		}
	}
	msg := fmt.Sprintf("context key %q: %q: want %s", k, s, strings.Join(spec.Values, " or "))
	// A value of another key says so: -c failMode=WARN means failureMode (enforcement).
	var owners []string
	for name, other := range contextKeys {
		if name != k && other.Renamed == "" && slices.ContainsFunc(other.Values, func(a string) bool { return strings.EqualFold(a, s) }) {
			owners = append(owners, name)
		}
	}
	if len(owners) > 0 {
		sort.Strings(owners)
		msg += fmt.Sprintf("; %s is a value of %s", s, strings.Join(owners, ", "))
	}
	return nil, fmt.Errorf("%s", msg)
}

// nearestKey names the valid key (the new name of a renamed one) closest to k by
// case-insensitive edit distance, as "; did you mean X?".
func nearestKey(k string) string {
	best, bestD := "", -1
	for name := range contextKeys {
		d := textdist.Levenshtein(strings.ToLower(k), strings.ToLower(name))
		if bestD < 0 || d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	if bestD < 0 || bestD > max(3, len(k)/2) {
		return fmt.Sprintf("; the app reads %s", strings.Join(sortedKeys(), ", "))
	}
	if r := contextKeys[best].Renamed; r != "" {
		return fmt.Sprintf("; did you mean %q (deprecated: now %q)?", best, r)
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func sortedKeys() []string {
	var out []string
	for k, spec := range contextKeys {
		if spec.Renamed == "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// str returns a string setting, or nil.
func (s settings) str(k string) *string {
	if v, ok := s[k].(string); ok {
		return &v
	}
	return nil
}

// list returns a list setting, or nil.
func (s settings) list(k string) *[]*string {
	v, ok := s[k].([]string)
	if !ok {
		return nil
	}
	out := make([]*string, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return &out
}

// bool returns a bool setting (false when unset).
func (s settings) bool(k string) bool {
	v, _ := s[k].(bool)
	return v
}

// num returns a number setting, or nil.
func (s settings) num(k string) *float64 {
	if v, ok := s[k].(float64); ok {
		return &v
	}
	return nil
}
