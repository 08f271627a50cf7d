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
		var res result.Result
		if f.Skip != "" {
			res = f.SkipResult()
		} else {
			var err error
			res, err = c.Check(context.Background(), f.Function)
			if err != nil {
				t.Fatalf("%s: %v", f.Target, err)
			}
			f.Apply(&res)
		}
		var ids []string
		for _, fd := range res.Findings {
			if fd.Severity != result.Info {
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
		"sam/PythonFunction": "PASS handler-missing", // the handler's module may come from the layer: a warning
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

// TestNotATemplate: only input that is not a template is refused (exit 2 in the CLI).
func TestNotATemplate(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"broken.json", `{"Resources": {`, "neither JSON nor YAML"},
		{"scalar.yaml", "a: b", "no Resources"},
		{"list.yaml", "- a\n- b\n", "top level is not a map"},
		{"empty.yaml", "\n\n", "empty"},
		{"resources-list.yaml", "Resources: [a]", "no Resources map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			os.WriteFile(p, []byte(tc.body), 0o644)
			_, err := LoadTemplate(p, dir)
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrTemplate mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := LoadAssembly(dir); err == nil {
		t.Error("assembly without manifest.json: want an error")
	}
}

// TestOneFunctionNeverRefusesTheTemplate: what used to refuse a whole template (code in S3, a
// missing asset, an intrinsic Runtime, an invalid CodeUri) is now a verdict on that function.
func TestOneFunctionNeverRefusesTheTemplate(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body string
		want       string // status and rules, as check returns them
		reason     result.PackageReason
		msg        string // in some finding's message
	}{
		{"intrinsic.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":{"Fn::If":["c","a","b"]},"Code":{"ZipFile":"x"}}}}}`,
			"PASS runtime-unresolved", "", "condition c is not defined"},
		{"remote.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"provided.al2023","Handler":"x","Code":{"S3Bucket":"bkt","S3Key":"k.zip"}}}}}`,
			"PASS package-not-inspected", result.ReasonS3Object, "s3://bkt/k.zip"},
		{"remote-deprecated.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"python3.7","Handler":"app.handler","Code":{"S3Bucket":"bkt","S3Key":"k.zip"}}}}}`,
			"FAIL runtime-deprecated,package-not-inspected", result.ReasonS3Object, "--s3 was not given"},
		{"missing.json", `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Metadata":{"aws:asset:path":"nope.zip"},"Properties":{"Runtime":"provided.al2023","Code":{"S3Bucket":"b","S3Key":"k"}}}}}`,
			"PASS package-not-inspected", result.ReasonMissingPath, "nope.zip"},
		{"bucket-ref.json", `{"Parameters":{"B":{"Type":"String"}},"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"nodejs22.x","Handler":"index","Code":{"S3Bucket":{"Ref":"B"},"S3Key":"k"}}}}}`,
			"FAIL handler-missing,runtime-deprecation-soon,package-not-inspected", result.ReasonUnresolved, "parameter B has no Default"},
		{"codeuri-key.json", `{"Resources":{"Fn":{"Type":"AWS::Serverless::Function","Properties":{"Runtime":"provided.al2023","Handler":"x","CodeUri":{"Key":"fn.zip"}}}}}`,
			"PASS package-not-inspected", result.ReasonInvalid, "a map without Bucket and Key"},
		{"codeuri-missing.yaml", "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.13\n      Handler: app.handler\n      CodeUri: build/fn/\n",
			"PASS package-not-inspected", result.ReasonMissingPath, "build/fn/"},
		{"bad-getatt.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: !GetAtt Role\n      Handler: x\n      Code: {ZipFile: x}\n",
			"PASS runtime-unresolved", "", "!GetAtt Role"},
		{"handler-sub.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: !Sub '${Mod}.handler'\n      Code: {ZipFile: x}\n",
			"PASS handler-unresolved", "", "neither a parameter nor a resource"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			os.WriteFile(p, []byte(tc.body), 0o644)
			s, err := LoadTemplate(p, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.Functions) != 1 {
				t.Fatalf("got %d functions", len(s.Functions))
			}
			f := s.Functions[0]
			res, err := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }}).Check(context.Background(), f.Function)
			if err != nil {
				t.Fatal(err)
			}
			f.Apply(&res)
			var ids []string
			var msgs string
			for _, fd := range res.Findings {
				ids = append(ids, string(fd.Rule))
				msgs += fd.Message + "\n"
			}
			if got := string(res.Status) + " " + strings.Join(ids, ","); got != tc.want {
				t.Errorf("got %q, want %q\n%s", got, tc.want, msgs)
			}
			if res.Package == nil || res.Package.Reason != tc.reason || res.Package.Inspected != (tc.reason == "") {
				t.Errorf("package %+v, want reason %q", res.Package, tc.reason)
			}
			if !strings.Contains(msgs, tc.msg) {
				t.Errorf("no finding mentions %q:\n%s", tc.msg, msgs)
			}
			if strings.Contains(msgs, "resolved only at deploy time") {
				t.Errorf("a map taken for an intrinsic:\n%s", msgs)
			}
		})
	}
}

// TestYAML reads a SAM template in YAML with short-form tags, Globals with IgnoreGlobals,
// parameters, mappings and conditions, and a layer of the same template.
func TestYAML(t *testing.T) {
	s, err := Load("testdata/sam.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := check(t, s)
	want := map[string]string{
		"sam/GoodFunction":     "PASS ",
		"sam/SubFunction":      "PASS ",
		"sam/MappedFunction":   "FAIL runtime-deprecated", // !If [IsProd, ...] is false with Stage=dev: python3.7
		"sam/UnresolvedArch":   "PASS architecture-unresolved",
		"sam/TwoArchitectures": "FAIL architecture-unknown",
		"sam/S3Function":       "PASS package-not-inspected",
		"sam/BadCodeUri":       "PASS package-not-inspected",
		"sam/LayeredFunction":  "PASS ", // bootstrap from the layer of the same template
		"sam/ProdOnly":         "PASS ", // false with Stage's Default only: checked, a deployment may set Stage=prod
	}
	if len(got) != len(want) {
		t.Errorf("got %d functions %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	byID := map[string]Function{}
	for _, f := range s.Functions {
		byID[strings.TrimPrefix(f.Target, "sam/")] = f
	}
	good, sub := byID["GoodFunction"], byID["SubFunction"]
	if good.Line != 41 || good.Column != 3 {
		t.Errorf("GoodFunction at %d:%d, want 41:3", good.Line, good.Column)
	}
	if good.Architecture != "arm64" || good.Runtime != "provided.al2023" || good.Env["STAGE"] != "dev" || good.Tags["team"] != "payments" || good.Tags["exempt"] != "no" {
		t.Errorf("Globals not applied: %+v tags %v", good.Function, good.Tags)
	}
	if sub.Runtime != "python3.13" || sub.Handler != "app.handler" || sub.Architecture != "x86_64" {
		t.Errorf("SubFunction: %+v", sub.Function)
	}
	if sub.Env["LOG_LEVEL"] != "debug" || sub.Env["STAGE"] != "dev" {
		t.Errorf("SubFunction env %v: the function's variables win, Globals' are merged", sub.Env)
	}
	if _, ok := sub.Env["TABLE"]; ok {
		t.Errorf("an unresolved variable is left out: %v", sub.Env)
	}
	if m := byID["MappedFunction"]; m.Env != nil || m.Tags != nil {
		t.Errorf("IgnoreGlobals: \"*\" still got %v %v", m.Env, m.Tags)
	}
	if p := byID["S3Function"].Package; p.Source != "s3://my-artifacts/dev/fn.zip" || p.Reason != result.ReasonS3Object {
		t.Errorf("S3Function package %+v", p)
	}

	// Stage given as dev: ProdOnly is not created.
	s3, err := Load("testdata/sam.yaml", Options{Parameters: map[string]string{"Stage": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if got := check(t, s3)["sam/ProdOnly"]; got != "SKIP " {
		t.Errorf("Stage=dev given: ProdOnly got %q, want SKIP", got)
	}

	// Parameters given by the user win over defaults; the condition turns.
	s2, err := Load("testdata/sam.yaml", Options{Parameters: map[string]string{"Stage": "prod", "Arch": "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got = check(t, s2)
	for k, v := range map[string]string{"sam/MappedFunction": "PASS ", "sam/UnresolvedArch": "PASS ", "sam/ProdOnly": "PASS "} {
		if got[k] != v {
			t.Errorf("with Stage=prod %s: got %q, want %q", k, got[k], v)
		}
	}
}

// TestGlobalsCodeUriAndLayers: CodeUri and Layers from Globals; the function's layers come after
// the global ones (the SAM translator concatenates global + local).
func TestGlobalsCodeUriAndLayers(t *testing.T) {
	body := `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: sam/app/
    Runtime: python3.13
    Handler: app.handler
    Layers: [!Ref Shared]
Resources:
  WithOwnLayer:
    Type: AWS::Serverless::Function
    Properties:
      Layers: ["arn:aws:lambda:eu-west-1:123456789012:layer:extra:1"]
  OwnCode:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Layers]
    Properties:
      CodeUri: sam/good/
      Runtime: provided.al2023
  Shared:
    Type: AWS::Lambda::LayerVersion
    Metadata: {aws:asset:path: assets/layer.zip}
    Properties:
      Content: {S3Bucket: b, S3Key: l.zip}
`
	p := filepath.Join(t.TempDir(), "globals-tmp.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p, Options{Assets: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]Function{}
	for _, f := range s.Functions {
		got[f.Target] = f
	}
	w := got["globals-tmp/WithOwnLayer"]
	if w.Code.Dir != filepath.Join("testdata", "sam/app") || len(w.Layers) != 2 || !strings.HasPrefix(w.Layers[0].Name, "Shared (assets/layer.zip)") || w.Layers[0].ReaderAt == nil || !strings.Contains(w.Layers[1].Name, "layer:extra:1") {
		t.Errorf("WithOwnLayer: code %+v layers %+v", w.Code, w.Layers)
	}
	o := got["globals-tmp/OwnCode"]
	if o.Code.Dir != filepath.Join("testdata", "sam/good") || len(o.Layers) != 0 || o.Runtime != "provided.al2023" {
		t.Errorf("OwnCode: %+v", o.Function)
	}
	if v := check(t, s); v["globals-tmp/WithOwnLayer"] != "PASS " || v["globals-tmp/OwnCode"] != "PASS " {
		t.Errorf("verdicts %v", v)
	}
}

func TestParseS3URI(t *testing.T) {
	for uri, want := range map[string]string{
		"s3://bucket/dir/fn.zip":                "bucket dir/fn.zip ",
		"s3://bucket/fn.zip?versionId=3sL4kqtJ": "bucket fn.zip 3sL4kqtJ",
		"s3://bucket":                           "error",
		"s3:///key":                             "error",
	} {
		b, k, v, err := parseS3URI(uri)
		got := b + " " + k + " " + v
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", uri, got, want)
		}
	}
}

// TestPackageVanishes: a package that cannot be read during the check (here a directory removed
// after the template was read) is judged without it, with package-not-inspected and reason
// unreadable, as the CLI does.
func TestPackageVanishes(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "app.py"), []byte("def h(e, c): pass\n"), 0o644)
	p := filepath.Join(dir, "t.yaml")
	os.WriteFile(p, []byte("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Runtime: python3.8\n      Handler: app.h\n"), 0o644)
	s, err := Load(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	os.RemoveAll(filepath.Join(dir, "src"))
	c := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	f := &s.Functions[0]
	_, err = c.Check(context.Background(), f.Function)
	if !inspect.IsSourceError(err) {
		t.Fatalf("got %v, want a source error", err)
	}
	res, err := f.CheckWithout(context.Background(), c, err)
	if err != nil {
		t.Fatal(err)
	}
	f.Apply(&res)
	if res.Status != result.Fail || len(res.FindingsFor(result.RuntimeDeprecated)) != 1 || len(res.FindingsFor(result.PackageNotInspected)) != 1 || res.Package.Reason != result.ReasonUnreadable {
		t.Fatalf("got %+v", res)
	}
}
