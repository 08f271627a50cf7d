package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// findings returns the bootstrap-guard annotations ("[rule-id] ...") of one level on path.
func findings(msgs *[]*cxapi.SynthesisMessage) []string {
	var out []string
	for _, m := range *msgs {
		if s, ok := m.Entry.Data.(string); ok && strings.HasPrefix(s, "[") {
			out = append(out, s)
		}
	}
	return out
}

// TestApp synthesizes the example in-process: the guard's stack with default props, a good Go
// function that passes, and the nested bootstrap reported as a bootstrap-nested error on Nested.
func TestApp(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s := newApp(app, t.TempDir())

	guard := assertions.Template_FromStack(s.Guard, nil)
	guard.ResourceCountIs(jsii.String("AWS::CloudFormation::LambdaHook"), jsii.Number(1))
	guard.HasResourceProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
		"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
	})
	if errs := findings(assertions.Annotations_FromStack(s.Guard).FindError(jsii.String("*"), assertions.Match_AnyValue())); len(errs) > 0 {
		t.Errorf("the guard's own function fails the check: %q", errs)
	}

	ann := assertions.Annotations_FromStack(s.Service)
	if errs := findings(ann.FindError(jsii.String("/Service/Hello"), assertions.Match_AnyValue())); len(errs) > 0 {
		t.Errorf("Hello: want no error, got %q", errs)
	}
	if warns := findings(ann.FindWarning(jsii.String("/Service/Hello"), assertions.Match_AnyValue())); len(warns) > 0 {
		t.Errorf("Hello: want no warning, got %q", warns)
	}
	errs := findings(ann.FindError(jsii.String("/Service/Nested"), assertions.Match_AnyValue()))
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "[bootstrap-nested]") || !strings.Contains(errs[0], "hello/bootstrap") || !strings.Contains(errs[0], "Fix: ") {
		t.Fatalf("Nested: want one bootstrap-nested error naming hello/bootstrap and the fix, got %q", errs)
	}
}

type entry struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// metadata reads a stack's metadata from the cloud assembly: in manifest.json, or in the file its
// additionalMetadataFile names (the form newer CDK versions write).
func metadata(t *testing.T, dir, stack string) map[string][]entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Artifacts map[string]struct {
			Metadata               map[string][]entry `json:"metadata"`
			AdditionalMetadataFile string             `json:"additionalMetadataFile"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	art, ok := m.Artifacts[stack]
	if !ok {
		t.Fatalf("no artifact %s in the cloud assembly", stack)
	}
	out := art.Metadata
	if out == nil {
		out = map[string][]entry{}
	}
	if art.AdditionalMetadataFile != "" {
		b, err := os.ReadFile(filepath.Join(dir, art.AdditionalMetadataFile))
		if err != nil {
			t.Fatal(err)
		}
		var more map[string][]entry
		if err := json.Unmarshal(b, &more); err != nil {
			t.Fatal(err)
		}
		for k, v := range more {
			out[k] = append(out[k], v...)
		}
	}
	return out
}

// TestSynthCommand runs the app the way `cdk synth` does (cdk.json: go run ., CDK_OUTDIR) and
// reads the cloud assembly the CLI would read: the error is in the Service stack's metadata, on
// the Nested function, where the CLI finds it and fails the synth.
func TestSynthCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", ".")
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run .: %v\n%s", err, b)
	}
	var nested, guardErrors []string
	for path, entries := range metadata(t, out, "Service") {
		for _, e := range entries {
			if s, _ := e.Data.(string); e.Type == "aws:cdk:error" && strings.HasPrefix(path, "/Service/Nested") {
				nested = append(nested, s)
			}
		}
	}
	for _, entries := range metadata(t, out, "Guard") {
		for _, e := range entries {
			if e.Type == "aws:cdk:error" {
				guardErrors = append(guardErrors, e.Type)
			}
		}
	}
	if len(nested) != 1 || !strings.HasPrefix(nested[0], "[bootstrap-nested]") {
		t.Errorf("manifest errors on /Service/Nested: %q, want one bootstrap-nested", nested)
	}
	if len(guardErrors) > 0 {
		t.Errorf("Guard stack has %d errors", len(guardErrors))
	}
	if _, err := os.Stat(filepath.Join(out, "Guard.template.json")); err != nil {
		t.Errorf("guard template: %v", err)
	}
}
