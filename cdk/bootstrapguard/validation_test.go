package bootstrapguard

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestPolicyValidation: the plugin runs from Go through jsii; with the JSON report context CDK
// writes the report into the assembly (aws-cdk-lib core/lib/private/synthesis.ts,
// @aws-cdk/core:validationReportJson, policy-validation-report.json).
func TestPolicyValidation(t *testing.T) {
	good, nested := samples(t, t.TempDir())
	opts := &PackageCheckOptions{Date: jsii.String("2026-11-24")}
	for _, tc := range []struct {
		name string
		add  func(app awscdk.App) *awscdk.AppProps
	}{
		{"Validations.AddPlugins", nil},
		{"AppProps.PolicyValidationBeta1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			props := &awscdk.AppProps{Outdir: jsii.String(out), Context: &map[string]any{"@aws-cdk/core:validationReportJson": true}}
			if tc.name == "AppProps.PolicyValidationBeta1" {
				props.PolicyValidationBeta1 = &[]awscdk.IPolicyValidationPluginBeta1{NewPolicyValidationBeta1(opts)}
			}
			app := awscdk.NewApp(props)
			if tc.name == "Validations.AddPlugins" {
				awscdk.Validations_Of(app).AddPlugins(NewPolicyValidation(opts))
			}
			stack := awscdk.NewStack(app, jsii.String("Plugin"), nil)
			goFunction(stack, "Good", good, nil)
			goFunction(stack, "Nested", nested, nil)
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Validation failed") {
						t.Errorf("synth with a failing report: panic %v, want Validation failed", r)
					}
				}()
				app.Synth(nil)
			}()
			checkReport(t, out)
		})
	}
}

func checkReport(t *testing.T, out string) {
	b, err := os.ReadFile(filepath.Join(out, "validation-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The shape CDK 2.275 writes (cloud assembly schema 55): pluginReports[].violations[] with
	// violatingConstructs[].cloudFormationResource.
	var report struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Conclusion string `json:"conclusion"`
			Violations []struct {
				RuleName            string `json:"ruleName"`
				SuggestedFix        string `json:"suggestedFix"`
				Severity            string `json:"severity"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
					Resource      struct {
						LogicalID string `json:"logicalId"`
					} `json:"cloudFormationResource"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(report.PluginReports) != 1 {
		t.Fatalf("report: %s", b)
	}
	r := report.PluginReports[0]
	if r.PluginName != "bootstrap-guard" || r.Conclusion != "failure" {
		t.Errorf("plugin %q conclusion %q, want bootstrap-guard failure", r.PluginName, r.Conclusion)
	}
	if len(r.Violations) != 1 || r.Violations[0].RuleName != "bootstrap-nested" || r.Violations[0].Severity != "error" || r.Violations[0].SuggestedFix == "" {
		t.Fatalf("violations: %s", b)
	}
	v := r.Violations[0]
	if len(v.ViolatingConstructs) != 1 || v.ViolatingConstructs[0].ConstructPath != "Plugin/Nested/Resource" || !strings.HasPrefix(v.ViolatingConstructs[0].Resource.LogicalID, "Nested") {
		t.Errorf("violating constructs %+v, want the Nested function only", v.ViolatingConstructs)
	}
}

// TestPolicyValidationPasses: an app whose packages are fine synthesizes with the plugin.
func TestPolicyValidationPasses(t *testing.T) {
	good, _ := samples(t, t.TempDir())
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	awscdk.Validations_Of(app).AddPlugins(NewPolicyValidation(nil))
	goFunction(awscdk.NewStack(app, jsii.String("Fine"), nil), "Good", good, nil)
	app.Synth(nil) // panics if the report fails
}
