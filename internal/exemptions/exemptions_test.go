package exemptions

import (
	"slices"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func TestParse(t *testing.T) {
	tests := []struct {
		value   string
		whole   bool
		rules   []result.RuleID
		unknown []string
		reason  string
	}{
		{"bootstrap-nested: vendor ships bin/bootstrap, wrapper at /opt", false, []result.RuleID{result.BootstrapNested}, nil, "vendor ships bin/bootstrap, wrapper at /opt"},
		{"bootstrap-nested,bootstrap-glibc:vendor blob", false, []result.RuleID{result.BootstrapNested, result.BootstrapGlibc}, nil, "vendor blob"},
		{" bootstrap-nested , path-duplicate : two reasons: with a colon", false, []result.RuleID{result.BootstrapNested, result.PathDuplicate}, nil, "two reasons: with a colon"},
		{"bootstrap-nested,bootstrap-nested: dup", false, []result.RuleID{result.BootstrapNested}, nil, "dup"},
		{"bootstrap-nested:", false, []result.RuleID{result.BootstrapNested}, nil, "no reason given"},
		// A list with a rule and a non-rule: the rule is exempt, the other is reported.
		{"bootstrap-nested,bootstrap-foo: x", false, []result.RuleID{result.BootstrapNested}, []string{"bootstrap-foo"}, "x"},
		// A typo alone is still a rule list: it exempts nothing rather than everything.
		{"bootstrap-nestd: x", false, nil, []string{"bootstrap-nestd"}, "x"},
		// The old meaning: the whole value is the reason.
		{"CHG-1234 retired after the Q3 migration", true, nil, nil, "CHG-1234 retired after the Q3 migration"},
		{"CHG-1234: retired", true, nil, nil, "CHG-1234: retired"},
		{"ticket: see the wiki", true, nil, nil, "ticket: see the wiki"},
		{"vendor-blob: see the wiki", true, nil, nil, "vendor-blob: see the wiki"},
		{"Bootstrap-Nested: upper case is not a rule ID", true, nil, nil, "Bootstrap-Nested: upper case is not a rule ID"},
		{"bootstrap-nested bootstrap-glibc: spaces are not commas", true, nil, nil, "bootstrap-nested bootstrap-glibc: spaces are not commas"},
		{"exempt: the info rule is not exemptable", true, nil, nil, "exempt: the info rule is not exemptable"},
		{"", true, nil, nil, "no reason given"},
		{":", true, nil, nil, ":"},
		{",: x", true, nil, nil, ",: x"},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			e := Parse(tc.value)
			if e.Whole != tc.whole || !slices.Equal(e.Rules, tc.rules) || !slices.Equal(e.Unknown, tc.unknown) || e.Reason != tc.reason {
				t.Errorf("Parse(%q) = whole %v rules %v unknown %v reason %q; want %v %v %v %q", tc.value, e.Whole, e.Rules, e.Unknown, e.Reason, tc.whole, tc.rules, tc.unknown, tc.reason)
			}
			if e.Value != tc.value {
				t.Errorf("Value %q, want the tag as written", e.Value)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Any, "any": Any, " Rules-Only ": RulesOnly, "none": None} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"all", "rules", "off", "true"} {
		if _, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q): want an error", bad)
		}
	}
}

// nestedFail is what the engine says about a package with bin/hello/bootstrap.
func nestedFail() result.Result {
	res := result.Result{Target: "Fn", Runtime: "provided.al2023", Architecture: "arm64",
		Evaluated: []result.RuleID{result.BootstrapMissing, result.BootstrapNested, result.PathBackslash},
		Findings: []result.Finding{
			{Rule: result.BootstrapNested, Severity: result.Error, Message: "bootstrap is at bin/hello/bootstrap", Path: "bin/hello/bootstrap"},
			{Rule: result.PathBackslash, Severity: result.Warning, Message: "backslash"},
		}}
	res.Finish()
	return res
}

func TestApply(t *testing.T) {
	tests := []struct {
		name     string
		value    string
		mode     Mode
		status   result.Status
		exempted []result.RuleID
		ignored  int // exemption-ignored warnings
		inIgnore string
	}{
		{"exempting the failing rule passes", "bootstrap-nested: vendor layout", Any, result.Pass, []result.RuleID{result.BootstrapNested}, 0, ""},
		{"exempting another rule still fails", "bootstrap-glibc: vendor blob", Any, result.Fail, nil, 0, ""},
		{"exempting a warning", "path-backslash: known", Any, result.Fail, []result.RuleID{result.PathBackslash}, 0, ""},
		{"rules-only honours rule lists", "bootstrap-nested: vendor layout", RulesOnly, result.Pass, []result.RuleID{result.BootstrapNested}, 0, ""},
		{"none honours nothing", "bootstrap-nested: vendor layout", None, result.Fail, nil, 1, "honours no exemptions"},
		{"rules-only ignores whole-function", "CHG-1234", RulesOnly, result.Fail, nil, 1, "only per-rule exemptions"},
		{"unknown rule is a warning", "bootstrap-nested,bootstrap-foo: x", Any, result.Pass, []result.RuleID{result.BootstrapNested}, 1, `"bootstrap-foo"`},
		{"typo suggests the rule", "bootstrap-nestd: x", Any, result.Fail, nil, 1, "did you mean bootstrap-nested"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := nestedFail()
			Apply(&res, Parse(tc.value), tc.mode)
			if res.Status != tc.status {
				t.Errorf("status %s, want %s: %+v", res.Status, tc.status, res.Findings)
			}
			if got := Used(res); !slices.Equal(got, tc.exempted) {
				t.Errorf("exempted %v, want %v", got, tc.exempted)
			}
			var ignored []result.Finding
			for _, f := range res.Findings {
				if f.Rule == result.ExemptionIgnored {
					ignored = append(ignored, f)
				}
				if f.Exempted != nil && (f.Exempted.Tag != Tag || f.Exempted.Reason == "") {
					t.Errorf("exempted finding without its tag and reason: %+v", f.Exempted)
				}
			}
			if len(ignored) != tc.ignored {
				t.Fatalf("%d exemption-ignored findings, want %d: %+v", len(ignored), tc.ignored, ignored)
			}
			if tc.ignored > 0 && !strings.Contains(ignored[0].Message, tc.inIgnore) {
				t.Errorf("warning %q lacks %q", ignored[0].Message, tc.inIgnore)
			}
			// Exempted findings are reported after the ones that count.
			for i := 1; i < len(res.Findings); i++ {
				if res.Findings[i-1].Exempted != nil && res.Findings[i].Exempted == nil {
					t.Errorf("exempted finding before a live one: %+v", res.Findings)
				}
			}
			if !slices.Contains(res.Evaluated, result.ExemptionIgnored) {
				t.Error("exemption-ignored not among the evaluated rules")
			}
		})
	}
}

func TestSkipped(t *testing.T) {
	res := Skipped("Fn", "provided.al2023", "arm64", Parse("CHG-1234 retired"))
	if res.Status != result.Skip || res.Exempted == nil || res.Exempted.Reason != "CHG-1234 retired" || !strings.Contains(res.SkipReason, "CHG-1234 retired") {
		t.Errorf("got %+v", res)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"bootstrap-nested: x", "CHG-1: y", "a-b,c-d:e", "", ":", ",,,:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Parse(s)
		if e.Reason == "" {
			t.Fatal("empty reason")
		}
		if e.Whole && (len(e.Rules) > 0 || len(e.Unknown) > 0) {
			t.Fatalf("whole exemption with a rule list: %+v", e)
		}
		for _, r := range e.Rules {
			if !exemptable(r) {
				t.Fatalf("non-rule %q exempted", r)
			}
		}
	})
}
