package guard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// inlinePython is an inline python3.9 function in the given event fixture (create.json or
// update.json): no package reads.
func inlinePython(t *testing.T, file string) []byte {
	return eventFrom(t, file, "PyFn", map[string]any{"Runtime": "python3.9", "Handler": "index.handler", "Code": map[string]any{"ZipFile": "def handler(e, c):\n    return 1\n"}})
}

// TestStrictUpdates: on 2026-12-06 a create on python3.9 FAILs, an update SUCCEEDs with a
// warning, and BOOTSTRAP_GUARD_STRICT_UPDATES=true makes the update FAIL.
func TestStrictUpdates(t *testing.T) {
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, file, strict string
		status             hookapi.HookStatus
		want               string
	}{
		{"create", "create.json", "", hookapi.StatusFailed, "will block creating functions on it from 2027-02-01"},
		{"update", "update.json", "", hookapi.StatusSuccess, "Lambda accepts this update"},
		{"update strict", "update.json", "true", hookapi.StatusFailed, "strict updates"},
		{"update not strict", "update.json", "false", hookapi.StatusSuccess, "Lambda accepts this update"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string {
				switch k {
				case EnvStrictUpdates:
					return tc.strict
				case EnvDate:
					return day.Format(time.DateOnly)
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			h, _ := newTestHandler(t, cfg, Clients{})
			out, err := h.Invoke(context.Background(), inlinePython(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			if r.HookStatus != tc.status || !strings.Contains(r.Message, tc.want) {
				t.Errorf("got %s: %s\nwant %s with %q", r.HookStatus, r.Message, tc.status, tc.want)
			}
		})
	}
	if _, err := ConfigFromEnv(func(k string) string {
		if k == EnvStrictUpdates {
			return "sometimes"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), EnvStrictUpdates) {
		t.Errorf("bad value: %v", err)
	}
}
