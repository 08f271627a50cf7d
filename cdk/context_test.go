package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/cdk/bootstrapguard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/cfnspec"
)

// TestCheckContext: every context key the app reads is checked, a misspelt or unknown key is an
// error naming the nearest valid key, renamed keys still work with a warning.
func TestCheckContext(t *testing.T) {
	tests := []struct {
		name     string
		ctx      map[string]any
		want     settings
		warnings []string
		errs     []string
	}{
		{"CDK's own keys pass", map[string]any{"aws:cdk:enable-asset-metadata": true, "@aws-cdk/core:stackRelativeExports": true,
			"availability-zones:account=1:region=x": []any{"a"}, "acknowledged-issue-numbers": []any{1.0}}, settings{}, nil, nil},
		{"new names", map[string]any{"enforcement": "warn", "onUnreadable": "allow", "notificationEmails": "a@example.com, b@example.com", "demo": "true", "warnDays": "90"},
			settings{"enforcement": "WARN", "onUnreadable": "allow", "notificationEmails": []string{"a@example.com", "b@example.com"}, "demo": true, "warnDays": 90.0}, nil, nil},
		{"cdk.json lists and empty values", map[string]any{"excludeStacks": []any{}, "includeStacks": []any{"App*"}, "alias": ""},
			settings{"includeStacks": []string{"App*"}}, nil, nil},
		{"old names with a warning", map[string]any{"failureMode": "WARN", "failMode": "open"},
			settings{"enforcement": "WARN", "onUnreadable": "allow"}, []string{`"failMode" is deprecated: use "onUnreadable"`, `"failureMode" is deprecated: use "enforcement"`}, nil},
		{"misspelt key", map[string]any{"fialureMode": "WARN"}, nil, nil, []string{`unknown context key "fialureMode"; did you mean "failureMode" (deprecated: now "enforcement")?`}},
		{"misspelt new key", map[string]any{"enforcment": "WARN"}, nil, nil, []string{`unknown context key "enforcment"; did you mean "enforcement"?`}},
		{"far from every key", map[string]any{"zzzzzzzzzzzzzzzzzzzz": "1"}, nil, nil, []string{`unknown context key "zzzzzzzzzzzzzzzzzzzz"; the app reads alias, allowRuntimes,`}},
		{"a value of the other setting", map[string]any{"failMode": "WARN"}, nil, nil, []string{`context key "failMode": "WARN": want closed or open; WARN is a value of enforcement`}},
		{"a bad value", map[string]any{"enforcement": "STOP"}, nil, nil, []string{`context key "enforcement": "STOP": want FAIL or WARN`}},
		{"old and new contradicting", map[string]any{"failureMode": "WARN", "enforcement": "FAIL"}, nil, []string{`"failureMode" is deprecated`},
			[]string{`context key "failureMode"=WARN contradicts "enforcement"=FAIL`}},
		{"a bool that is not", map[string]any{"demo": "yes"}, nil, nil, []string{`context key "demo": yes: want true or false`}},
		{"a number that is not", map[string]any{"warnDays": "soon"}, nil, nil, []string{`context key "warnDays": soon: want a number`}},
		{"a list of non-strings", map[string]any{"orgRegions": []any{1.0}}, nil, nil, []string{`context key "orgRegions": list item 1 is not a string`}},
		{"a JSON list as text", map[string]any{"orgRegions": `["us-east-1","eu-west-1"]`}, settings{"orgRegions": []string{"us-east-1", "eu-west-1"}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := checkContext(tt.ctx)
			if len(warnings) != len(tt.warnings) {
				t.Errorf("warnings %q, want %d", warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if i < len(warnings) && !strings.Contains(warnings[i], w) {
					t.Errorf("warning %q lacks %q", warnings[i], w)
				}
			}
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("settings %v, want %v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, settings %v", got)
			}
			for _, e := range tt.errs {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("error %q lacks %q", err, e)
				}
			}
		})
	}
}

// TestMisspeltKeyFailsSynth: `-c fialureMode=WARN` (the CLI passes -c values as strings in
// CDK_CONTEXT_JSON) stops the app before any stack is added, naming the key it meant.
func TestMisspeltKeyFailsSynth(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"fialureMode": "WARN"}})
	err := build(app)
	if err == nil || !strings.Contains(err.Error(), `"failureMode"`) || !strings.Contains(err.Error(), `"enforcement"`) {
		t.Fatalf("build: %v", err)
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("%d constructs added before the error", n)
	}
	// The organization roll-out needs all four of its keys.
	app = awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"orgUnits": "ou-ab12-cdefgh34", "enforcement": "WARN"}})
	t.Setenv("BOOTSTRAP_GUARD_CACHE", t.TempDir())
	if err := build(app); err == nil || !strings.Contains(err.Error(), "missing: orgRegions, orgId, codeBucketPrefix") {
		t.Errorf("build with orgUnits only: %v", err)
	}
}

// TestReleaseTemplates synthesizes the plain templates as make release does, validates each (and
// the stack set's member template) against the CloudFormation resource schemas, and checks that
// the account template deploys the same resources as the app's BootstrapGuard stack, with the
// defaults and with the same settings given as parameters and as context.
func TestReleaseTemplates(t *testing.T) {
	t.Setenv("BOOTSTRAP_GUARD_CACHE", t.TempDir())
	root, _ := os.Getwd()
	zip := filepath.Join(filepath.Dir(root), "build", "hook.zip")
	if _, err := os.Stat(zip); err != nil {
		// A stand-in package: the templates name its key, nothing reads it.
		zip = filepath.Join(t.TempDir(), "hook.zip")
		if err := os.WriteFile(zip, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"releaseTemplates": zip}})
	if err := build(app); err != nil {
		t.Fatal(err)
	}
	asm := app.Synth(nil)
	templates := map[string][]byte{}
	for _, id := range []string{accountTemplateStack, orgTemplateStack, codeBucketTemplateStack} {
		b, err := json.Marshal(asm.GetStackByName(jsii.String(id)).Template())
		if err != nil {
			t.Fatal(err)
		}
		templates[id] = b
	}
	var org struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	json.Unmarshal(templates[orgTemplateStack], &org)
	for _, r := range org.Resources {
		if r.Type == "AWS::CloudFormation::StackSet" {
			templates["member"] = []byte(r.Properties["TemplateBody"].(string))
		}
	}
	if templates["member"] == nil {
		t.Fatal("no stack set in the organization template")
	}
	if path := cfnspec.DBPath(); fileExists(path) || os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") != "" {
		spec, err := cfnspec.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		for id, b := range templates {
			for _, err := range spec.Validate(b) {
				t.Errorf("%s: %v", id, err)
			}
		}
	} else {
		t.Logf("%s missing: schema validation skipped (make cfn-spec-cache)", path)
	}

	// The app's own stack, with the same settings as context.
	for _, tt := range []struct {
		name   string
		params map[string]string
		ctx    map[string]any
	}{
		{"defaults", nil, nil},
		{"settings", map[string]string{"Enforcement": "WARN", "OnUnreadable": "allow", "ExcludeStacks": "Legacy-*", "WarnDays": "30", "ReadScope": "ORGANIZATION"},
			map[string]any{"enforcement": "WARN", "onUnreadable": "allow", "excludeStacks": "Legacy-*", "warnDays": "30", "readScope": "ORGANIZATION"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{}
			for k, v := range tt.ctx {
				ctx[k] = v
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
			if err := build(app); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(app.Synth(nil).GetStackByName(jsii.String("BootstrapGuard")).Template())
			given := map[string]string{"AWS::StackName": "BootstrapGuard", "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111", "AWS::Partition": "aws", "HookCodeBucket": "b"}
			for k, v := range tt.params {
				given[k] = v
			}
			want, err := cfnspec.Deployed(b, given)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfnspec.Deployed(templates[accountTemplateStack], given)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []map[string]any{want, got} {
				cfnspec.CanonicalPolicies(m)
				for id, r := range m {
					res := r.(map[string]any)
					if res["Type"] == "AWS::CDK::Metadata" {
						delete(m, id)
					}
					if res["Type"] == "AWS::Lambda::Function" {
						delete(res["Properties"].(map[string]any), "Code")
					}
				}
			}
			if len(want) < 10 || !reflect.DeepEqual(got, want) {
				for id := range want {
					if !reflect.DeepEqual(got[id], want[id]) {
						t.Errorf("%s: plain template %v\napp %v", id, got[id], want[id])
					}
				}
				for id := range got {
					if _, ok := want[id]; !ok {
						t.Errorf("%s only in the plain template", id)
					}
				}
				t.Fatal(fmt.Sprintf("the plain template deploys %d resources, the app %d", len(got), len(want)))
			}
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// propContextKeys maps every field of BootstrapGuardProps to the app's context key, or to "" with
// the reason there is none, so that a prop added later fails this test until the app reads it.
var propContextKeys = map[string]string{
	"Enforcement": "enforcement", "OnUnreadable": "onUnreadable", "HookEnabled": "hookStatus",
	"FailureMode": "failureMode", "FailOpen": "failMode", "Alias": "alias", "ReadScope": "readScope",
	"OrganizationId": "organizationId", "CodeBuckets": "codeBuckets", "CodeBucketKeyArns": "codeBucketKeys",
	"AllowRuntimes": "allowRuntimes", "DenyRuntimes": "denyRuntimes", "WarnDays": "warnDays", "SkipRules": "skipRules",
	"IncludeStacks": "includeStacks", "ExcludeStacks": "excludeStacks", "NotificationEmails": "notificationEmails",
	"MemorySize": "memorySize", "Timeout": "timeout", "RuntimesCatalogue": "runtimesCatalogue",
	"RuntimesCacheSeconds": "runtimesCacheSeconds", "Exemptions": "exemptions", "ImageRepositories": "imageRepositories",
	"CentralTopicArn": "centralTopicArn", "CentralTopicKeyArn": "centralTopicKeyArn", "CentralEventBusArn": "centralEventBusArn",
	"TargetOperations": "targetOperations", "StrictUpdates": "strictUpdates", "CustomRuntimeArns": "customRuntimeArns",
	"AuditSchedule": "auditSchedule", "AuditBucket": "auditBucket",
	"LogRetention": "", // an enum of the construct library: the app keeps its default of one month
	"Code":         "", // the app builds the hook from this checkout
}

func TestEveryPropHasAContextKey(t *testing.T) {
	typ := reflect.TypeOf(bootstrapguard.BootstrapGuardProps{})
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		k, ok := propContextKeys[name]
		if !ok {
			t.Errorf("BootstrapGuardProps.%s has no context key: add one to contextKeys and guardProps, and map it here", name)
			continue
		}
		if _, known := contextKeys[k]; k != "" && !known {
			t.Errorf("BootstrapGuardProps.%s maps to %q, which contextKeys lacks", name, k)
		}
	}
}
