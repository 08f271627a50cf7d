package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// TestExemptionParity: for every tag and policy, the CLI on a template and the hook's handler on
// the same function (its package in MinIO) reach the same verdict and exempt the same rules.
func TestExemptionParity(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "assets", false)
	dir := t.TempDir()
	zip := writeZip(t, dir, "nested.zip", "bin/hello/bootstrap", 0o755)
	b, _ := os.ReadFile(zip)
	m.Put(t, "assets", "nested.zip", b)

	tags := []string{"", "bootstrap-nested: vendor", "bootstrap-glibc: other rule", "bootstrap-nested,path-backslash: two",
		"bootstrap-nestd: typo", "CHG-1234 retired", "ticket: see wiki"}
	modes := []exemptions.Mode{exemptions.Any, exemptions.RulesOnly, exemptions.None}

	// One template with a function per tag.
	resources := map[string]any{}
	for i, tag := range tags {
		props := map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"S3Bucket": "assets", "S3Key": "nested.zip"}}
		if tag != "" {
			props["Tags"] = []map[string]string{{"Key": exemptions.Tag, "Value": tag}}
		}
		resources[fmt.Sprintf("Fn%d", i)] = map[string]any{"Type": "AWS::Lambda::Function", "Metadata": map[string]string{"aws:asset:path": "nested.zip"}, "Properties": props}
	}
	tb, _ := json.Marshal(map[string]any{"Resources": resources})
	tmpl := filepath.Join(dir, "parity.json")
	os.WriteFile(tmpl, tb, 0o644)

	compared := 0 // cases where something was exempted, so the comparison had content
	for _, mode := range modes {
		_, cli, _ := checkJSON(t, nil, "--exemptions", string(mode), "--assets", dir, tmpl)
		h := guard.New(guard.Config{Policy: engine.Policy{Exemptions: mode, Date: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}, LogOutput: io.Discard}, guard.Clients{S3: m.Client()})
		for i, tag := range tags {
			t.Run(fmt.Sprintf("%s/%q", mode, tag), func(t *testing.T) {
				props := resources[fmt.Sprintf("Fn%d", i)].(map[string]any)["Properties"]
				ev := testenv.HookEvent(t, "create.json", fmt.Sprintf("Fn%d", i), props.(map[string]any))
				resp, err := h.Handle(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				c := cli[fmt.Sprintf("parity/Fn%d", i)]
				// PASS and SKIP are SUCCESS; FAIL is FAILED.
				if want := map[string]hookapi.HookStatus{"PASS": hookapi.StatusSuccess, "SKIP": hookapi.StatusSuccess, "FAIL": hookapi.StatusFailed}[c.Status]; resp.HookStatus != want {
					t.Errorf("CLI %s, hook %s", c.Status, resp.HookStatus)
				}
				var cliExempt, hookExempt []string
				for _, f := range c.Findings {
					if f.Exempted != nil {
						cliExempt = append(cliExempt, f.Rule)
					}
				}
				if c.Exempted != nil {
					cliExempt = append(cliExempt, "exempt")
				}
				for _, a := range resp.Annotations {
					if a.Status == hookapi.AnnotationSkipped {
						hookExempt = append(hookExempt, a.AnnotationName)
					}
				}
				slices.Sort(cliExempt)
				slices.Sort(hookExempt)
				if !slices.Equal(cliExempt, hookExempt) {
					t.Errorf("exempted: CLI %v, hook %v", cliExempt, hookExempt)
				}
				if len(cliExempt) > 0 {
					compared++
				}
				_, cliIgnored := c.finding("exemption-ignored")
				hookIgnored := false
				for _, a := range resp.Annotations {
					hookIgnored = hookIgnored || a.AnnotationName == "exemption-ignored" && a.Status == hookapi.AnnotationFailed
				}
				if cliIgnored != hookIgnored {
					t.Errorf("exemption-ignored: CLI %v, hook %v", cliIgnored, hookIgnored)
				}
			})
		}
	}
	// any: nested, nested+backslash, CHG, ticket; rules-only: nested, nested+backslash.
	if compared != 6 {
		t.Errorf("%d cases exempted something, want 6", compared)
	}
}
