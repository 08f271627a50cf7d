package cfn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// check runs the engine on every function of a set and returns target -> status and rules.
func check(t *testing.T, s *Set) map[string]string {
	t.Helper()
	c := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	out := map[string]string{}
	for _, f := range s.Functions {
		res, err := c.Check(context.Background(), f.Function)
		if err != nil {
			t.Fatalf("%s: %v", f.Target, err)
		}
		var ids []string
		for _, fd := range res.Findings {
			if fd.Severity == result.Error {
				ids = append(ids, string(fd.Rule))
			}
		}
		out[f.Target] = string(res.Status) + " " + strings.Join(ids, ",")
	}
	return out
}

// TestAssembly reads a cloud assembly cut down from real `cdk synth` output of the demo stack
// (its manifests and template as synthesized; tiny zips as assets). Hello is found through its
// aws:asset:path metadata, Nested through the asset manifest alone.
func TestAssembly(t *testing.T) {
	s, err := LoadAssembly("testdata/assembly")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := check(t, s)
	want := map[string]string{
		"BootstrapGuardDemo/HelloFunctionD909AE8C":  "PASS ",
		"BootstrapGuardDemo/NestedFunction99D361A1": "FAIL bootstrap-nested",
		"BootstrapGuardDemo/LegacyFunction1BE1C6BF": "FAIL runtime-deprecated",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d functions %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for _, f := range s.Functions {
		if !strings.HasSuffix(f.Template, "BootstrapGuardDemo.template.json") {
			t.Errorf("%s: template %s", f.Target, f.Template)
		}
	}
}

func TestSAM(t *testing.T) {
	s, err := LoadTemplate("testdata/sam.json", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := check(t, s)
	want := map[string]string{
		"sam/GoodFunction":   "PASS ",
		"sam/PythonFunction": "PASS ", // the handler's module may come from the layer: a warning
		"sam/InlineFunction": "PASS ",
		"sam/ImageFunction":  "SKIP ",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for _, f := range s.Functions {
		if f.Target == "sam/GoodFunction" && (f.Runtime != "provided.al2023" || f.Architecture != "arm64") {
			t.Errorf("Globals not applied: %+v", f.Function)
		}
	}
}

func TestTemplateWithAssetsAndLayer(t *testing.T) {
	s, err := LoadTemplate("testdata/plain.json", "testdata/assets")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Functions) != 1 || len(s.Functions[0].Layers) != 1 {
		t.Fatalf("got %+v", s.Functions)
	}
	// The bootstrap comes from the layer referenced by Ref.
	if got := check(t, s)["plain/WithLayer"]; got != "PASS " {
		t.Errorf("got %q", got)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	tests := []struct {
		name, body, want string
	}{
		{"yaml.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n", "YAML"},
		{"broken.json", `{"Resources": {`, "unusable template"},
		{"intrinsic.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":{"Fn::If":["c","a","b"]},"Code":{"ZipFile":"x"}}}}}`, "Fn/Runtime is Fn::If"},
		{"remote.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"provided.al2023","Code":{"S3Bucket":"bkt","S3Key":"k.zip"}}}}}`, "s3://bkt/k.zip"},
		{"missing.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Metadata":{"aws:asset:path":"nope.zip"},"Properties":{"Runtime":"provided.al2023","Code":{"S3Bucket":"b","S3Key":"k"}}}}}`, "nope.zip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadTemplate(write(tc.name, tc.body), dir)
			if err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), ": ", "/"), strings.ReplaceAll(tc.want, ": ", "/")) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := LoadAssembly(dir); err == nil {
		t.Error("assembly without manifest.json: want an error")
	}
	if _, err := LoadTemplate(write("yaml2.yaml", "a: b"), dir); !errors.Is(err, ErrTemplate) {
		t.Errorf("got %v, want ErrTemplate", err)
	}
}
