package guard

import (
	"context"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestSkipRules: BOOTSTRAP_GUARD_SKIP_RULES turns rules off in the hook as --skip-rule does in
// the CLI: the bootstrap family off, an inline script on an OS-only runtime passes and its rules
// are not listed; on, it fails. A Handler built with a policy ConfigFromEnv would refuse answers
// every evaluated target with InternalFailure instead of deciding under it.
func TestSkipRules(t *testing.T) {
	props := map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"ZipFile": "#!/bin/sh\necho hi\n"}}
	ev := eventFrom(t, "inline.json", "InlineBootstrap", props)
	for _, tc := range []struct {
		name   string
		env    string
		status hookapi.HookStatus
	}{
		{"rules on", "", hookapi.StatusFailed},
		{"bootstrap family off", "bootstrap", hookapi.StatusSuccess},
		{"one rule off", "bootstrap-missing", hookapi.StatusSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string {
				if k == EnvSkipRules {
					return tc.env
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			h, _ := newTestHandler(t, cfg, Clients{})
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.HookStatus != tc.status {
				t.Fatalf("status %s, want %s: %s", resp.HookStatus, tc.status, resp.Message)
			}
			_, listed := annotation(resp, string(result.BootstrapMissing))
			if listed != (tc.env == "") {
				t.Errorf("bootstrap-missing annotation present %v with %s=%q", listed, EnvSkipRules, tc.env)
			}
		})
	}
	if _, err := ConfigFromEnv(func(k string) string {
		if k == EnvSkipRules {
			return "bootstrap-nestd"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), EnvSkipRules) {
		t.Errorf("a misspelt rule: %v, want an error naming %s", err, EnvSkipRules)
	}
	h, _ := newTestHandler(t, Config{Policy: engine.Policy{SkipRules: []result.RuleID{"no-such-rule"}}}, Clients{})
	resp, _ := h.Handle(context.Background(), ev)
	if resp.HookStatus != hookapi.StatusFailed || resp.ErrorCode != hookapi.InternalFailure || !strings.Contains(resp.Message, "misconfigured") {
		t.Errorf("invalid policy: %s %s %q", resp.HookStatus, resp.ErrorCode, resp.Message)
	}
}
