package cfn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// canaryFunctions are added to every fuzzed template: functions whose runtime is a literal
// deprecated one, as AWS::Lambda::Function and as a SAM function (which takes Globals).
var canaryFunctions = map[string]string{
	"AWS::Lambda::Function":     `{"Runtime": "go1.x", "Handler": "bootstrap", "Code": {"ZipFile": "x"}}`,
	"AWS::Serverless::Function": `{"Runtime": "go1.x", "Handler": "bootstrap", "InlineCode": "x"}`,
}

// FuzzTemplateVerdicts runs the template path end to end (bytes, parsed; functions read, with
// intrinsics, conditions, Globals and loops; verdicts from the engine) with the canary property:
// whatever else a template holds, a function whose runtime is a literal deprecated runtime FAILs
// with runtime-deprecated. No cost elsewhere in the template may turn that verdict into a pass.
func FuzzTemplateVerdicts(f *testing.F) {
	for _, p := range []string{"testdata/sam.yaml", "testdata/sam.json", "testdata/plain.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, tc := range costlyShapes() {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(aliasBomb() + "Globals:\n  Function:\n    Layers: *a9\n    Environment: {Variables: {A: !Join ['', *a9]}}\n    Architectures: [arm64]\nResources: {}\n"))
	f.Add([]byte("Conditions:\n  C: !Equals [a, a]\nResources:\n  Fn::ForEach::L:\n  - X\n  - [a, b]\n  - F${X}: {Type: AWS::Lambda::Function, Properties: {Runtime: !If [C, x, y]}}\n"))
	checker := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &Set{}
		tmpl, err := s.parseTemplate(b, "fuzz.yaml")
		if err != nil {
			return
		}
		res := tmpl.Get("Resources")
		var canaries []string
		for typ, props := range canaryFunctions {
			id := "ZzzCanary" + strings.TrimPrefix(strings.ReplaceAll(typ, "::", ""), "AWS")
			for res.Get(id) != nil {
				id += "X"
			}
			res.Set(id, &intrinsic.Node{Kind: intrinsic.Map, Keys: []string{"Type", "Properties"}, Vals: []*intrinsic.Node{intrinsic.Str(typ), node(t, props)}})
			canaries = append(canaries, "fuzz/"+id)
		}
		s.add(tmpl, "fuzz", filepath.Join(dir, "fuzz.yaml"), &assets{dir: dir, byKey: map[string]string{}})
		defer s.Close()
		found := map[string]bool{}
		for i := range s.Functions {
			fn := &s.Functions[i]
			if !strings.HasPrefix(fn.Target, "fuzz/ZzzCanary") {
				continue
			}
			found[fn.Target] = true
			r, err := checker.Check(context.Background(), fn.Function)
			if err != nil {
				t.Fatalf("%s: %v", fn.Target, err)
			}
			fn.Apply(&r)
			deprecated := false
			for _, fd := range r.Findings {
				deprecated = deprecated || fd.Rule == result.RuntimeDeprecated
			}
			if r.Status != result.Fail || !deprecated {
				t.Fatalf("%s: %s %v, want FAIL with runtime-deprecated", fn.Target, r.Status, r.Findings)
			}
		}
		for _, c := range canaries {
			if !found[c] {
				t.Fatalf("%s is not among the functions read", c)
			}
		}
	})
}

// node parses a JSON value into a tree.
func node(t *testing.T, s string) *intrinsic.Node {
	n, err := parseNode([]byte(s), "canary.json")
	if err != nil {
		t.Fatal(fmt.Errorf("canary: %w", err))
	}
	return n
}
