package cfn

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// canary is a function whose literal runtime is deprecated: whatever else a template holds, it
// must FAIL with runtime-deprecated. Its logical ID sorts after every other, so that it is read
// last, after whatever the template spends.
const canary = "  ZzCanary:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: go1.x\n      Handler: bootstrap\n      Code: {ZipFile: x}\n"

// aliasBomb returns YAML anchors a0..a9 where a9 expands to 10^9 leaves.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("x-bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// costlyShapes are the templates that, evaluated against one budget for the whole template, made
// every later value unresolved: each holds a costly part (in conditions or in another function)
// and the canary. costly is the start of the verdict of the function AaCostly ("" when there is
// none): PASS when its value is cheap once conditions and Fn::Sub results are remembered,
// template-too-costly when it really needs more than its budget.
func costlyShapes() map[string]struct{ body, costly string } {
	// A tower of 40 conditions each naming the one below twice, over a parameter without a
	// value: 2^40 evaluations unless each condition is evaluated once.
	var tower strings.Builder
	tower.WriteString("Parameters:\n  P: {Type: String}\nConditions:\n  C0: !Equals [!Ref P, x]\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&tower, "  C%d: !Or [!Condition C%d, !Condition C%d]\n", i, i-1, i-1)
	}
	tower.WriteString("Resources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: !If [C40, python3.13, python3.12]\n      Handler: index.h\n      Code: {ZipFile: x}\n")
	tower.WriteString(canary)

	// Fn::Sub variable maps nested 40 deep through aliases, each level using the one below twice.
	var subs strings.Builder
	subs.WriteString("x-subs:\n  s0: &s0 !Sub ''\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&subs, "  s%d: &s%d !Sub ['${A}${A}', {A: *s%d}]\n", i, i, i-1)
	}
	subs.WriteString("Resources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: !Join ['', [python3.13, *s40]]\n      Handler: index.h\n      Code: {ZipFile: x}\n")
	subs.WriteString(canary)

	// Fn::Equals over the alias bomb: rendering both sides to compare them was 10^9 nodes.
	equals := aliasBomb() + "Conditions:\n  Big: !Equals [*a9, *a8]\nResources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: !If [Big, python3.13, python3.12]\n      Handler: index.h\n      Code: {ZipFile: x}\n" + canary

	// Fn::ForEach four deep over 100 items: a million loop bodies.
	var il []string
	for i := range 100 {
		il = append(il, fmt.Sprintf("i%d", i))
	}
	loop := "Transform: AWS::LanguageExtensions\nParameters:\n  L: {Type: CommaDelimitedList, Default: '" + strings.Join(il, ",") + "'}\nResources:\n" +
		"  Fn::ForEach::A:\n  - A\n  - !Ref L\n  - Fn::ForEach::B:\n    - B\n    - !Ref L\n    - Fn::ForEach::C:\n      - C\n      - !Ref L\n      - Fn::ForEach::D:\n        - D\n        - !Ref L\n        - F${A}${B}${C}${D}:\n            Type: AWS::Lambda::Function\n            Properties: {Runtime: python3.13, Handler: index.h, Code: {ZipFile: x}}\n" + canary

	// The same loops with a malformed innermost body: nothing generated, every body entered.
	malformed := strings.Replace(loop, "        - F${A}${B}${C}${D}:\n            Type: AWS::Lambda::Function\n            Properties: {Runtime: python3.13, Handler: index.h, Code: {ZipFile: x}}\n", "        - [not, a, map]\n", 1)

	return map[string]struct{ body, costly string }{
		"condition tower":          {tower.String(), "PASS"}, // undecided: runtime-unresolved
		"environment alias bomb":   {aliasBomb() + "Resources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: index.h\n      Code: {ZipFile: x}\n      Environment: {Variables: {A: !Join ['', *a9]}}\n" + canary, "FAIL template-too-costly"},
		"architectures alias bomb": {aliasBomb() + "Resources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: index.h\n      Code: {ZipFile: x}\n      Architectures: *a9\n" + canary, "FAIL template-too-costly"},
		"join bomb":                {aliasBomb() + "Resources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: !Join ['', *a9]\n      Code: {ZipFile: x}\n" + canary, "FAIL template-too-costly"},
		"nested sub maps":          {subs.String(), "PASS"},
		"equals over aliases":      {equals, "FAIL template-too-costly"},
		"nested foreach":           {loop, ""},
		"malformed nested foreach": {malformed, ""},
	}
}

// TestBudgetPerValue: whatever a template spends elsewhere, the canary's literal runtime is
// judged (FAIL), and a function whose own value is too costly FAILs with template-too-costly.
func TestBudgetPerValue(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range costlyShapes() {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := check(t, s)
			target := strings.TrimSuffix(filepath.Base(p), ".yaml")
			if v := got[target+"/ZzCanary"]; !strings.HasPrefix(v, "FAIL") || !strings.Contains(v, "runtime-deprecated") {
				t.Errorf("canary: %q, want FAIL with runtime-deprecated (%d functions)", v, len(got))
			}
			if tc.costly != "" {
				v := got[target+"/AaCostly"]
				if !strings.HasPrefix(v, tc.costly) {
					t.Errorf("AaCostly: %q, want %s", v, tc.costly)
				}
			}
		})
	}
}

// TestBudgetInAssembly: the same in a cdk.out: the costly function and the canary in one stack,
// and the canary alone in another.
func TestBudgetInAssembly(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"manifest.json":   `{"version": "36.0.0", "artifacts": {"A": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "A.template.json"}}, "B": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "B.template.json"}}}}`,
		"A.template.json": aliasBomb() + "Resources:\n  AaCostly:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: !Join ['', *a9]\n      Code: {ZipFile: x}\n" + canary,
		"B.template.json": "Resources:\n" + canary,
	}
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := check(t, s)
	for _, c := range []string{"A/ZzCanary", "B/ZzCanary"} {
		if v := got[c]; !strings.HasPrefix(v, "FAIL") || !strings.Contains(v, "runtime-deprecated") {
			t.Errorf("%s: %q (all: %v)", c, v, got)
		}
	}
	if v := got["A/AaCostly"]; !strings.HasPrefix(v, "FAIL template-too-costly") {
		t.Errorf("costly: %q (all: %v)", v, got)
	}
}

// TestAssemblyFanOut: nested assemblies are bounded in number, not only in depth, and none is
// read twice. Nine directories each naming the next ten times were read 10^8 times before (depth
// 8 allowed); a tree of distinct directories wider than the bound is refused once it passes it.
func TestAssemblyFanOut(t *testing.T) {
	write := func(t *testing.T, dir string, children []string) {
		t.Helper()
		var arts []string
		for i, c := range children {
			arts = append(arts, fmt.Sprintf(`"N%d": {"type": "cdk:cloud-assembly", "properties": {"directoryName": %q}}`, i, c))
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"artifacts": {`+strings.Join(arts, ",")+`}}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("self", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, strings.Split(strings.Repeat(".,", 10), ",")[:10])
		if _, err := LoadAssembly(dir); err == nil || !strings.Contains(err.Error(), "named again") {
			t.Errorf("got %v, want the repeated assembly refused", err)
		}
	})
	t.Run("chain named ten times", func(t *testing.T) {
		// Nine directories, each naming the next ten times: 10^8 reads within depth 8.
		dir := t.TempDir()
		p := dir
		for range 8 {
			write(t, p, strings.Split(strings.Repeat("n,", 10), ",")[:10])
			p = filepath.Join(p, "n")
		}
		write(t, p, nil)
		done := make(chan error, 1)
		go func() {
			_, err := LoadAssembly(dir)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "named again") {
				t.Errorf("got %v, want the repeated assembly refused", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("still reading after 30 s")
		}
	})
	t.Run("wide", func(t *testing.T) {
		// 1 + 12 + 144 directories, three levels: within the depth, past the count.
		dir := t.TempDir()
		var kids []string
		for i := range 12 {
			kids = append(kids, fmt.Sprintf("c%d", i))
		}
		write(t, dir, kids)
		for _, k := range kids {
			write(t, filepath.Join(dir, k), kids)
			for _, g := range kids {
				write(t, filepath.Join(dir, k, g), nil)
			}
		}
		if _, err := LoadAssembly(dir); err == nil || !strings.Contains(err.Error(), "more than 100 assemblies") {
			t.Errorf("got %v, want the count refused", err)
		}
	})
}
