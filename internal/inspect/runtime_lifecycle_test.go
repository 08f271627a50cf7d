package inspect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestLifecycleAcrossBoundaries walks python3.9 (deprecated 2025-12-15, create blocked 2027-02-01,
// update blocked 2027-03-03 in the built-in catalogue) through every lifecycle boundary, for both
// actions and with strict updates: the verdict, and every date in the tense it has on that day.
func TestLifecycleAcrossBoundaries(t *testing.T) {
	pkg := zipSource("fn.zip", mkzip(t, entry{name: "app.py", data: []byte("def handler(e, c):\n    return 1\n"), mode: 0o644}))
	const (
		willCreate = "Lambda will block creating functions on it from 2027-02-01."
		hasCreate  = "Lambda has blocked creating functions on it since 2027-02-01."
		willUpdate = "Lambda will block updating existing functions on it from 2027-03-03."
		hasUpdate  = "Lambda has blocked updating existing functions on it since 2027-03-03."
	)
	tests := []struct {
		day    string
		action Action
		strict bool
		sev    result.Severity // of runtime-deprecated; "" means it does not fire
		want   []string
		absent []string
	}{
		// Before deprecation: nothing (the deprecation-soon window is off here).
		{day: "2025-12-14", action: Create},
		{day: "2025-12-14", action: Update},
		// Deprecated, before the create block.
		{day: "2025-12-15", action: Create, sev: result.Error, want: []string{"deprecated since 2025-12-15", willCreate, willUpdate, "starts new work"}},
		{day: "2026-12-06", action: Create, sev: result.Error, want: []string{willCreate, willUpdate}, absent: []string{"since 2027"}},
		{day: "2026-12-06", action: Update, sev: result.Warning, want: []string{willCreate, willUpdate, "Lambda accepts this update"}, absent: []string{"since 2027"}},
		{day: "2026-12-06", action: Update, strict: true, sev: result.Error, want: []string{willUpdate, "strict updates"}},
		// Between the create block and the update block.
		{day: "2027-02-01", action: Create, sev: result.Error, want: []string{hasCreate, willUpdate, "This create will be rejected."}},
		{day: "2027-03-02", action: Update, sev: result.Warning, want: []string{hasCreate, willUpdate, "Lambda accepts this update"}},
		{day: "2027-03-02", action: Update, strict: true, sev: result.Error, want: []string{hasCreate, willUpdate}},
		// From the update block on, both are rejected.
		{day: "2027-03-03", action: Update, sev: result.Error, want: []string{hasCreate, hasUpdate, "This update will be rejected."}},
		{day: "2027-03-03", action: Create, sev: result.Error, want: []string{hasCreate, hasUpdate, "This create will be rejected."}},
		{day: "2030-01-01", action: Update, strict: true, sev: result.Error, want: []string{hasUpdate, "This update will be rejected."}},
	}
	for _, tc := range tests {
		name := tc.day + "/" + string(tc.action)
		if tc.strict {
			name += "/strict"
		}
		t.Run(name, func(t *testing.T) {
			day, err := time.Parse(time.DateOnly, tc.day)
			if err != nil {
				t.Fatal(err)
			}
			c := New(Options{Now: func() time.Time { return day }, WarnWindow: -1, StrictUpdates: tc.strict})
			res, err := c.Check(context.Background(), Function{Target: "f", Runtime: "python3.9", Handler: "app.handler", Action: tc.action, Code: pkg})
			if err != nil {
				t.Fatal(err)
			}
			var got *result.Finding
			for i, f := range res.Findings {
				if f.Rule == result.RuntimeDeprecated {
					got = &res.Findings[i]
				}
			}
			if tc.sev == "" {
				if got != nil {
					t.Fatalf("runtime-deprecated fired: %s", got.Message)
				}
				return
			}
			if got == nil || got.Severity != tc.sev {
				t.Fatalf("got %+v, want runtime-deprecated %s", got, tc.sev)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message lacks %q:\n%s", w, got.Message)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got.Message, a) {
					t.Errorf("message has %q:\n%s", a, got.Message)
				}
			}
			if pass := res.Status == result.Pass; pass != (tc.sev == result.Warning) {
				t.Errorf("status %s with a %s finding", res.Status, tc.sev)
			}
		})
	}
}
