package bootstrapguard

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// writeZip writes a zip of name -> (content, mode) entries.
func writeZip(t *testing.T, path string, entries map[string][]byte, mode os.FileMode) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, b := range entries {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// samples writes the good and the nested package of the hello function (functions/hello, built
// for linux/arm64) into dir.
func samples(t *testing.T, dir string) (good, nested string) {
	bin := testenv.HelloBootstrap(t)
	good = writeZip(t, filepath.Join(dir, "hello.zip"), map[string][]byte{"bootstrap": bin}, 0o755)
	nested = writeZip(t, filepath.Join(dir, "nested.zip"), map[string][]byte{"bin/nested/bootstrap": bin}, 0o755)
	return good, nested
}

func goFunction(scope awscdk.Stack, id, zipPath string, props *awslambda.FunctionProps) awslambda.Function {
	p := awslambda.FunctionProps{}
	if props != nil {
		p = *props
	}
	if p.Runtime == nil {
		p.Runtime = awslambda.Runtime_PROVIDED_AL2023()
	}
	if p.Architecture == nil {
		p.Architecture = awslambda.Architecture_ARM_64()
	}
	if p.Handler == nil {
		p.Handler = jsii.String("bootstrap")
	}
	p.Code = awslambda.Code_FromAsset(jsii.String(zipPath), nil)
	return awslambda.NewFunction(scope, jsii.String(id), &p)
}

// messages returns the annotations of one level on the construct at path (e.g. "/App/Fn").
func messages(ann assertions.Annotations, level, path string) []string {
	var msgs *[]*cxapi.SynthesisMessage
	switch level {
	case "error":
		msgs = ann.FindError(jsii.String(path), assertions.Match_AnyValue())
	case "warning":
		msgs = ann.FindWarning(jsii.String(path), assertions.Match_AnyValue())
	default:
		msgs = ann.FindInfo(jsii.String(path), assertions.Match_AnyValue())
	}
	var out []string
	for _, m := range *msgs {
		// Only the check's own annotations: rule findings start with [rule-id].
		if s, ok := m.Entry.Data.(string); ok && (strings.HasPrefix(s, "[") || strings.Contains(s, "bootstrap-guard")) {
			out = append(out, s)
		}
	}
	return out
}

func hasRule(msgs []string, rule string) bool {
	for _, m := range msgs {
		if strings.HasPrefix(m, "["+rule+"]") {
			return true
		}
	}
	return false
}

func TestPackageCheck(t *testing.T) {
	dir := t.TempDir()
	good, nested := samples(t, dir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("App"), nil)
	goFunction(stack, "Good", good, nil)
	goFunction(stack, "GoodAgain", good, nil) // the same package and settings: checked once
	goFunction(stack, "Nested", nested, nil)
	goFunction(stack, "WrongArch", good, &awslambda.FunctionProps{Architecture: awslambda.Architecture_X86_64()})
	// go1.x was deprecated on 2024-01-08; allowed, it is a warning, not an error.
	goFunction(stack, "Legacy", good, &awslambda.FunctionProps{Runtime: awslambda.Runtime_GO_1_X(), Handler: jsii.String("bootstrap"), Architecture: awslambda.Architecture_X86_64()})
	exempt := goFunction(stack, "Exempt", nested, nil)
	awscdk.Tags_Of(exempt).Add(jsii.String(ExemptTag), jsii.String("migrating, ticket 42"), nil)
	// Not local assets: never read.
	awslambda.NewFunction(stack, jsii.String("Inline"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_PYTHON_3_12(), Handler: jsii.String("index.handler"),
		Code: awslambda.Code_FromInline(jsii.String("def handler(e, c): return 1")),
	})

	check := NewPackageCheck(&PackageCheckOptions{Date: jsii.String("2026-11-24"), AllowRuntimes: jsii.Strings("go1.x")})
	awscdk.Aspects_Of(app).Add(check, nil)
	ann := assertions.Annotations_FromStack(stack)

	for _, tc := range []struct {
		path          string
		errors, warns []string // rule IDs expected among the annotations
		quiet         bool     // no bootstrap-guard error or warning at all
	}{
		{path: "/App/Good", quiet: true},
		{path: "/App/GoodAgain", quiet: true},
		{path: "/App/Nested", errors: []string{"bootstrap-nested"}},
		{path: "/App/WrongArch", errors: []string{"bootstrap-arch-mismatch"}},
		{path: "/App/Legacy", warns: []string{"runtime-deprecated"}},
		{path: "/App/Exempt", quiet: true},
		{path: "/App/Inline", quiet: true},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/App/"), func(t *testing.T) {
			errs, warns := messages(ann, "error", tc.path), messages(ann, "warning", tc.path)
			if tc.quiet && (len(errs) > 0 || len(warns) > 0) {
				t.Fatalf("want no findings, got errors %q, warnings %q", errs, warns)
			}
			for _, r := range tc.errors {
				if !hasRule(errs, r) {
					t.Errorf("want a %s error annotation, got errors %q", r, errs)
				}
			}
			for _, r := range tc.warns {
				if !hasRule(warns, r) {
					t.Errorf("want a %s warning annotation, got warnings %q errors %q", r, warns, errs)
				}
			}
			if len(tc.warns) > 0 && hasRule(errs, "runtime-deprecated") {
				t.Errorf("an allowed runtime must give a warning, not an error: %q", errs)
			}
		})
	}
	// The error names the rule, the package the user gave, the entry and the fix.
	errs := messages(ann, "error", "/App/Nested")
	if len(errs) == 0 || !strings.Contains(errs[0], nested) && !strings.Contains(errs[0], "nested.zip") ||
		!strings.Contains(errs[0], "bin/nested/bootstrap") || !strings.Contains(errs[0], "Fix: ") {
		t.Errorf("error annotation %q: want the package, the entry and the fix", errs)
	}
	if infos := messages(ann, "info", "/App/Exempt"); len(infos) != 1 || !strings.Contains(infos[0], "ticket 42") {
		t.Errorf("exempt function: infos %q, want one naming the reason", infos)
	}
	// Good and GoodAgain share one engine run; Exempt and Inline are not checked.
	if n := check.(*packageCheck).checks; n != 4 {
		t.Errorf("%d engine runs for 4 distinct package+settings, want 4", n)
	}
}

// TestPackageCheckLayers: a layer that is a local asset is read with the function (Lambda finds
// bootstrap in /opt too), a layer given by ARN is passed on as unseen.
func TestPackageCheckLayers(t *testing.T) {
	dir := t.TempDir()
	bin := testenv.HelloBootstrap(t)
	// A function package without bootstrap, and a layer that brings it.
	empty := writeZip(t, filepath.Join(dir, "empty.zip"), map[string][]byte{"README": []byte("code comes from the layer")}, 0o644)
	layerZip := writeZip(t, filepath.Join(dir, "layer.zip"), map[string][]byte{"bootstrap": bin}, 0o755)

	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("Layers"), nil)
	layer := awslambda.NewLayerVersion(stack, jsii.String("Runtime"), &awslambda.LayerVersionProps{Code: awslambda.Code_FromAsset(jsii.String(layerZip), nil)})
	shared := awslambda.LayerVersion_FromLayerVersionArn(stack, jsii.String("Shared"), jsii.String("arn:aws:lambda:us-east-1:123456789012:layer:shared:3"))
	goFunction(stack, "FromLayer", empty, &awslambda.FunctionProps{Layers: &[]awslambda.ILayerVersion{layer}})
	goFunction(stack, "WithShared", empty, &awslambda.FunctionProps{Layers: &[]awslambda.ILayerVersion{shared, layer}})
	goFunction(stack, "NoLayer", empty, nil)
	check := NewPackageCheck(&PackageCheckOptions{Date: jsii.String("2026-11-24")})
	awscdk.Aspects_Of(app).Add(check, nil)
	ann := assertions.Annotations_FromStack(stack)

	for _, path := range []string{"/Layers/FromLayer", "/Layers/WithShared"} {
		if errs := messages(ann, "error", path); len(errs) > 0 {
			t.Errorf("%s: bootstrap from a local layer: want no error, got %q", path, errs)
		}
	}
	if errs := messages(ann, "error", "/Layers/NoLayer"); !hasRule(errs, "bootstrap-missing") {
		t.Errorf("no bootstrap anywhere: want bootstrap-missing, got %q", errs)
	}
}

// TestPackageCheckExemptions: the synth-time check reads the exemption tag with the hook's grammar:
// exempting bootstrap-nested turns its error into an info annotation saying why; exempting another
// rule leaves the error; a misspelt rule is a warning; the policy switch works as the hook's.
func TestPackageCheckExemptions(t *testing.T) {
	_, nested := samples(t, t.TempDir())
	for _, mode := range []string{"", "rules-only", "none"} {
		t.Run("mode "+mode, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			stack := awscdk.NewStack(app, jsii.String("Ex"), nil)
			for id, tag := range map[string]string{"Rule": "bootstrap-nested: vendor layout", "Other": "bootstrap-glibc: other rule",
				"Typo": "bootstrap-nestd: typo", "Whole": "CHG-1234 retired", "None": ""} {
				fn := goFunction(stack, id, nested, nil)
				if tag != "" {
					awscdk.Tags_Of(fn).Add(jsii.String(ExemptTag), jsii.String(tag), nil)
				}
			}
			opts := &PackageCheckOptions{}
			if mode != "" {
				opts.Exemptions = jsii.String(mode)
			}
			awscdk.Aspects_Of(app).Add(NewPackageCheck(opts), nil)
			ann := assertions.Annotations_FromStack(stack)
			wantErr := map[string]bool{"Rule": mode == "none", "Other": true, "Typo": true, "Whole": mode != "", "None": true}
			for id, want := range wantErr {
				errs := messages(ann, "error", "/Ex/"+id)
				if hasRule(errs, "bootstrap-nested") != want {
					t.Errorf("%s: bootstrap-nested error %v, want %v (errors %q)", id, !want, want, errs)
				}
			}
			if mode != "none" {
				infos := messages(ann, "info", "/Ex/Rule")
				if !hasRule(infos, "bootstrap-nested") || !strings.Contains(strings.Join(infos, " "), "Exempted by the tag bootstrap-guard:exempt (vendor layout)") {
					t.Errorf("exempted finding not reported as info with its reason: %q", infos)
				}
			}
			if warns := messages(ann, "warning", "/Ex/Typo"); !hasRule(warns, "exemption-ignored") {
				t.Errorf("misspelt rule: warnings %q, want exemption-ignored", warns)
			}
		})
	}
}

func TestPackageCheckSkipRules(t *testing.T) {
	_, nested := samples(t, t.TempDir())
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("Skip"), nil)
	goFunction(stack, "Nested", nested, nil)
	awscdk.Aspects_Of(app).Add(NewPackageCheck(&PackageCheckOptions{SkipRules: jsii.Strings("bootstrap-nested", "bootstrap-missing")}), nil)
	if errs := messages(assertions.Annotations_FromStack(stack), "error", "/Skip/Nested"); len(errs) > 0 {
		t.Errorf("skipped rules still reported: %q", errs)
	}
}

func TestPackageCheckBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		opts       *PackageCheckOptions
	}{
		{"date", "PackageCheckOptions.Date", &PackageCheckOptions{Date: jsii.String("24/11/2026")}},
		{"warn days", "PackageCheckOptions.WarnDays", &PackageCheckOptions{WarnDays: jsii.Number(-1)}},
		{"rule", "PackageCheckOptions.SkipRules", &PackageCheckOptions{SkipRules: jsii.Strings("bootstrap-nestd")}},
		{"exemptions", "PackageCheckOptions.Exemptions", &PackageCheckOptions{Exemptions: jsii.String("sometimes")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, tc.want) {
					t.Fatalf("panic %q, want one naming %s", r, tc.want)
				}
			}()
			NewPackageCheck(tc.opts)
		})
	}
}
