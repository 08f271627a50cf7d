package intrinsic

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// nest wraps inner in depth levels of fn: {"fn": inner} or {"fn": [inner]} when list is set.
func nest(fn, inner string, depth int, list bool) string {
	for range depth {
		if list {
			inner = fmt.Sprintf(`{%q: [%s]}`, fn, inner)
		} else {
			inner = fmt.Sprintf(`{%q: %s}`, fn, inner)
		}
	}
	return inner
}

// TestProducersBounded: each function that builds strings or lists is bounded before it
// allocates. Every expression here is a few hundred bytes; before, some built gigabytes.
func TestProducersBounded(t *testing.T) {
	deepList := `"\""`
	for range 40 {
		deepList = "[" + deepList + "]"
	}
	tmpl := node(t, `{
	  "Parameters": {
	    "Big": {"Type": "String", "Default": "`+strings.Repeat("x", 4000)+`"},
	    "Commas": {"Type": "CommaDelimitedList", "Default": "`+strings.Repeat(",", 20000)+`"}
	  },
	  "Resources": {}
	}`)
	for _, tc := range []struct {
		name, expr string
		want       string // a result prefix, or "!" and an error substring
	}{
		// Rendering operands with nested quoting doubled the backslashes at each level.
		{"equals over nested lists", `{"Fn::Equals": [` + deepList + `, ` + deepList + `]}`, "true"},
		{"base64 nested 60 deep", nest("Fn::Base64", `"x"`, 60, false), "!longer than 1048576 bytes"},
		{"join of one parameter 1000 times", `{"Fn::Join": ["", [` + strings.TrimSuffix(strings.Repeat(`{"Ref": "Big"},`, 1000), ",") + `]]}`, "!longer than 1048576 bytes"},
		{"sub using a variable 1000 times", `{"Fn::Sub": ["` + strings.Repeat("${A}", 1000) + `", {"A": {"Ref": "Big"}}]}`, "!longer than 1048576 bytes"},
		{"split into too many", `{"Fn::Split": [",", "` + strings.Repeat(",", 20000) + `"]}`, "!more than 10000 items"},
		{"list parameter of too many items", `{"Ref": "Commas"}`, "!more than 10000 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(tmpl, nil)
			var v *Node
			var err error
			alloc := allocated(func() { v, err = e.Eval(node(t, tc.expr)) })
			if want, isErr := strings.CutPrefix(tc.want, "!"); isErr {
				if err == nil || !strings.Contains(err.Error(), want) || !IsBudget(err) {
					t.Errorf("got %v, want a budget error mentioning %q", err, want)
				}
			} else if err != nil || v == nil || !strings.HasPrefix(v.Value, tc.want) {
				t.Errorf("got %v, %v; want %s", v.Describe(), err, tc.want)
			}
			t.Logf("%d KB allocated", alloc>>10)
			if alloc > 64<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
		})
	}
}

// TestConditionTowerLinear: 60 conditions each naming the one below twice, over a parameter
// without a value: each condition is evaluated once (2^60 evaluations otherwise), and the error
// names what the tower waits for.
func TestConditionTowerLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Parameters": {"P": {"Type": "String"}}, "Resources": {}, "Conditions": {"C0": {"Fn::Equals": [{"Ref": "P"}, "x"]}`)
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, `, "C%d": {"Fn::Or": [{"Condition": "C%d"}, {"Condition": "C%d"}]}`, i, i-1, i-1)
	}
	b.WriteString("}}")
	e := New(node(t, b.String()), nil)
	_, _, err := e.Condition("C60")
	if err == nil || !strings.Contains(err.Error(), "has no Default") || IsBudget(err) {
		t.Fatalf("got %v, want P's missing value", err)
	}
	if len(e.conds) != 61 {
		t.Errorf("%d conditions evaluated, want 61", len(e.conds))
	}
}

// TestBudgetIsPerValue: a value that exhausts its budget does not take another's: after it, a
// cheap value and a literal still evaluate; and the costly value fails again, at once, from what
// was remembered.
func TestBudgetIsPerValue(t *testing.T) {
	// A list of 10 references to a list of 10 ... 8 levels: 10^8 nodes once expanded.
	var b strings.Builder
	b.WriteString(`{"Resources": {}, "Parameters": {"L0": {"Type": "String", "Default": "x"}`)
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, `, "L%d": {"Type": "String", "Default": [%s]}`, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf(`{"Ref": "L%d"},`, i-1), 10), ","))
	}
	b.WriteString(`, "Stage": {"Type": "String", "Default": "prod"}}}`)
	e := New(node(t, b.String()), nil)
	costly := node(t, `{"Ref": "L8"}`)
	if _, err := e.Eval(costly); !IsBudget(err) {
		t.Fatalf("costly value: %v, want a budget error", err)
	}
	if v, err := e.Eval(node(t, `{"Fn::Sub": "app-${Stage}"}`)); err != nil || v.Value != "app-prod" {
		t.Errorf("cheap value after the costly one: %v, %v", v.Describe(), err)
	}
	if v, err := e.Eval(Str("go1.x")); err != nil || v.Value != "go1.x" {
		t.Errorf("literal: %v, %v", v.Describe(), err)
	}
	steps := 0
	alloc := allocated(func() {
		for range 1000 {
			if _, err := e.Eval(costly); !IsBudget(err) {
				t.Fatalf("costly value again: %v", err)
			}
		}
		steps = e.steps
	})
	if steps > maxSteps+1 {
		t.Errorf("steps %d", steps)
	}
	t.Logf("1000 more evaluations of the costly value: %d KB", alloc>>10)
	if alloc > 8<<20 {
		t.Errorf("evaluating the costly value again allocated %d MB: it was not remembered", alloc>>20)
	}
}
