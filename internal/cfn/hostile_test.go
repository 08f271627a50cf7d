package cfn

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// hostileTemplates are templates built to exhaust a reader: each must end in an error naming the
// problem or in a set of functions, never a panic, a hang or unbounded memory.
func hostileTemplates() map[string]string {
	// Billion laughs: nine levels of ten aliases each, 10^9 leaves once expanded.
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				bomb.WriteString(", ")
			}
			fmt.Fprintf(&bomb, "*a%d", i-1)
		}
		bomb.WriteString("]\n")
	}
	bomb.WriteString("Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: index.h\n      Code: {ZipFile: x}\n      Environment: {Variables: *a9}\n      Tags: *a9\n      Layers: *a9\n")

	// The same bomb reached through the evaluator: Fn::Join over the expanded list.
	joinBomb := strings.Replace(bomb.String(), "      Handler: index.h\n", "      Handler: !Join [\"\", *a9]\n", 1)

	deepFlow := "Resources: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "\n"
	var deepBlock strings.Builder
	deepBlock.WriteString("Resources:\n")
	for i := 0; i < 400; i++ {
		deepBlock.WriteString(strings.Repeat(" ", i+2) + fmt.Sprintf("k%d:\n", i))
	}
	deepJSON := `{"Resources": ` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "}"

	huge := strings.Repeat("p", 15<<20)
	hugeScalar := "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: " + huge + "\n      Handler: index.h\n      Code: {ZipFile: x}\n"

	// Fn::Sub doubling its input through a chain of parameters.
	var sub strings.Builder
	sub.WriteString("Parameters:\n  P0: {Type: String, Default: " + strings.Repeat("x", 1000) + "}\n")
	sub.WriteString("Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: {ZipFile: x}\n      Handler: index.h\n      Runtime: !Sub\n        - '${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}'\n        - A: !Join ['', [!Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0, !Ref P0]]\n")

	// Fn::ForEach nested four deep over 100 items: 10^8 resources.
	var il []string
	for i := range 100 {
		il = append(il, fmt.Sprintf("i%d", i))
	}
	items := strings.Join(il, ",")
	loop := "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  L: {Type: CommaDelimitedList, Default: '" + items + "'}\nResources:\n" +
		"  Fn::ForEach::A:\n  - A\n  - !Ref L\n  - Fn::ForEach::B:\n    - B\n    - !Ref L\n    - Fn::ForEach::C:\n      - C\n      - !Ref L\n      - F${A}${B}${C}:\n          Type: AWS::Lambda::Function\n          Properties: {Runtime: python3.13, Handler: index.h, Code: {ZipFile: x}}\n"

	wide := "Resources:\n" + strings.Repeat("  ? !Ref x\n  : y\n", 10)

	// A 15 MB flow list: the YAML decoder's own tree of it took 1.5 GB before any count.
	hugeList := "Resources: {}\nx: [" + strings.Repeat("x,", 15<<19) + "]\n"

	// Merge chains: each anchor merges the one before and adds a key, so the last holds all
	// keys; 3,000 of them copy 4.5 million keys.
	var chain strings.Builder
	chain.WriteString("x:\n  m0: &m0 {k0: v}\n")
	for i := 1; i < 3000; i++ {
		fmt.Fprintf(&chain, "  m%d: &m%d {<<: *m%d, k%d: v}\n", i, i, i-1, i)
	}
	chain.WriteString("Resources: {}\n")

	// One anchor of 20,000 keys merged into 20 maps: linear lookups keep this quick.
	var wideMerge strings.Builder
	wideMerge.WriteString("x:\n  base: &base {")
	for i := range 20000 {
		if i > 0 {
			wideMerge.WriteString(", ")
		}
		fmt.Fprintf(&wideMerge, "k%d: v", i)
	}
	wideMerge.WriteString("}\n")
	for i := range 20 {
		fmt.Fprintf(&wideMerge, "  m%d: {<<: *base, own: v}\n", i)
	}
	wideMerge.WriteString("Resources: {}\n")

	fn := func(id, props string) string {
		return "  " + id + ":\n    Type: AWS::Lambda::Function\n    Properties: {Handler: index.h, Code: {ZipFile: x}, " + props + "}\n"
	}
	// Fn::Equals over lists nested 40 deep holding a quote: rendering both sides with nested
	// quoting doubled the backslashes at each level (2^40 bytes).
	deepQuote := `"\""`
	for range 40 {
		deepQuote = "[" + deepQuote + "]"
	}
	equalsRender := "Conditions:\n  C: !Equals [" + deepQuote + ", x]\nResources:\n" + fn("F", "Runtime: !If [C, python3.13, python3.12]")

	// Fn::Base64 nested 60 deep: the string grows by a third at each level.
	base64Nest := "Resources:\n" + fn("F", "Runtime: "+strings.Repeat("{Fn::Base64: ", 60)+"x"+strings.Repeat("}", 60))

	// A 900 KB Fn::Sub shared by aliases in 40 environment variables of 20 functions.
	var subAlias strings.Builder
	subAlias.WriteString("x-big: &big !Sub '" + strings.Repeat("y", 900<<10) + "'\nResources:\n")
	var vars []string
	for i := range 40 {
		vars = append(vars, fmt.Sprintf("V%d: *big", i))
	}
	for i := range 20 {
		subAlias.WriteString(fn(fmt.Sprintf("F%d", i), "Runtime: python3.13, Environment: {Variables: {"+strings.Join(vars, ", ")+"}}"))
	}

	// A CommaDelimitedList default of 300,000 commas, read by 20 functions.
	var listParam strings.Builder
	listParam.WriteString("Parameters:\n  L: {Type: CommaDelimitedList, Default: '" + strings.Repeat(",", 300_000) + "'}\nResources:\n")
	for i := range 20 {
		listParam.WriteString(fn(fmt.Sprintf("F%d", i), "Runtime: python3.13, Architectures: !Ref L"))
	}

	// SAM Globals with 5,000 environment variables merged into 100 functions, and a Fn::Sub
	// with a variable map of 20,000 keys: key lookups were linear scans, so both were quadratic.
	var globals strings.Builder
	globals.WriteString("Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Environment:\n      Variables:\n")
	for i := range 5000 {
		fmt.Fprintf(&globals, "        G%d: v\n", i)
	}
	globals.WriteString("Resources:\n")
	for i := range 100 {
		fmt.Fprintf(&globals, "  F%d:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.13, Handler: index.h, InlineCode: x, Environment: {Variables: {G5: w}}}\n", i)
	}
	var subMap strings.Builder
	subMap.WriteString("Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: index.h\n      Code: {ZipFile: x}\n      Runtime: !Sub\n        - '")
	for i := range 20000 {
		fmt.Fprintf(&subMap, "${K%d}", i)
	}
	subMap.WriteString("'\n        - {")
	for i := range 20000 {
		if i > 0 {
			subMap.WriteString(", ")
		}
		fmt.Fprintf(&subMap, "K%d: ''", i)
	}
	subMap.WriteString("}\n")

	return map[string]string{
		"question-marks.yaml":   strings.Repeat("?\n", 333_000), // just under the YAML bound, the most decoder nodes per byte
		"equals-render.yaml":    equalsRender,
		"base64-nest.yaml":      base64Nest,
		"sub-alias.yaml":        subAlias.String(),
		"list-param.yaml":       listParam.String(),
		"globals-keys.yaml":     globals.String(),
		"sub-map-keys.yaml":     subMap.String(),
		"alias-bomb.yaml":       bomb.String(),
		"join-bomb.yaml":        joinBomb,
		"deep-flow.yaml":        deepFlow,
		"deep-block.yaml":       deepBlock.String(),
		"deep.json":             deepJSON,
		"huge-scalar.yaml":      hugeScalar,
		"sub-growth.yaml":       sub.String(),
		"foreach-bomb.yaml":     loop,
		"tag-keys.yaml":         wide,
		"huge-list.yaml":        hugeList,
		"merge-chain.yaml":      chain.String(),
		"wide-merge.yaml":       wideMerge.String(),
		"two-docs.yaml":         "Resources: {}\n---\nResources:\n" + canary,
		"two-resources.yaml":    "Resources: {}\nResources:\n" + canary,
		"two-resources.json":    `{"Resources": {}, "Resources": {"F": {"Type": "AWS::Lambda::Function"}}}`,
		"repeated-id.yaml":      "Resources:\n" + canary + canary,
		"repeated-runtime.yaml": "Resources:\n" + canary + "      Runtime: python3.13\n",
		"repeated-output.yaml":  "Resources:\n" + canary + "Outputs:\n  O: {Value: a}\n  O: {Value: b}\n",
		"self-alias.yaml":       "a: &a\n  b: *a\nResources: {}\n",
		"unknown-tag.yaml":      "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: !Frob python3.13\n      Code: {ZipFile: x}\n",
		"nul.yaml":              "Resources:\n  F:\x00\n",
		"bom.json":              "\ufeff{\"Resources\": {}}",
	}
}

// hostileOutcome is what reading each hostile template must give: an error mentioning the text
// after "!", or that many functions.
var hostileOutcome = map[string]string{
	"question-marks.yaml":   "!repeated map key \"\"",
	"equals-render.yaml":    "1",
	"base64-nest.yaml":      "1",
	"sub-alias.yaml":        "20",
	"list-param.yaml":       "20",
	"globals-keys.yaml":     "100",
	"sub-map-keys.yaml":     "1",
	"alias-bomb.yaml":       "1",
	"join-bomb.yaml":        "1", // Handler over its budget: template-too-costly
	"deep-flow.yaml":        "!nested more than 256 levels",
	"deep-block.yaml":       "!nested more than 256 levels",
	"deep.json":             "!nested more than 256 levels",
	"huge-scalar.yaml":      "1",
	"sub-growth.yaml":       "1",
	"foreach-bomb.yaml":     "2000",
	"tag-keys.yaml":         "!repeated map key \"x\" in Resources",
	"huge-list.yaml":        "!YAML nodes, at most 1000000 are decoded",
	"merge-chain.yaml":      "!too many values",
	"wide-merge.yaml":       "0",
	"two-docs.yaml":         "!more than one YAML document (the second starts at line 2)",
	"two-resources.yaml":    "!line 2: repeated map key \"Resources\" in the template's top level (first at line 1)",
	"two-resources.json":    "!repeated map key \"Resources\" in the template's top level",
	"repeated-id.yaml":      "!line 8: repeated map key \"ZzCanary\" in Resources (first at line 2)",
	"repeated-runtime.yaml": "!repeated map key \"Runtime\" in Resources.ZzCanary.Properties",
	"repeated-output.yaml":  "1", // a warning; Outputs decide nothing judged
	"self-alias.yaml":       "!refers to itself",
	"unknown-tag.yaml":      "1",
	"nul.yaml":              "!control characters",
	"bom.json":              "0",
}

// TestHostileTemplates reads each hostile template and bounds the memory it allocates.
func TestHostileTemplates(t *testing.T) {
	dir := t.TempDir()
	for name, body := range hostileTemplates() {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s, err := Load(p, Options{})
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			want := hostileOutcome[name]
			if msg, refused := strings.CutPrefix(want, "!"); refused {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Errorf("got %v, want an error mentioning %q", err, msg)
				}
			} else if err != nil || fmt.Sprint(len(s.Functions)) != want {
				t.Errorf("got %v, want %s functions", err, want)
			}
			if err != nil {
				t.Logf("refused: %v (%d MB allocated)", firstLine(err.Error()), alloc>>20)
			} else {
				for _, f := range s.Functions {
					f.SkipResult()
				}
				t.Logf("%d functions, %d warnings (%d MB allocated)", len(s.Functions), len(s.Warnings), alloc>>20)
				s.Close()
			}
			// The input is at most 16 MB; reading it may cost a few times that, never the
			// size of its expansion.
			if alloc > 512<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
		})
	}
}

func firstLine(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// BenchmarkHostileTemplates reports what reading each hostile template costs.
func BenchmarkHostileTemplates(b *testing.B) {
	dir := b.TempDir()
	for name, body := range hostileTemplates() {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if s, err := Load(p, Options{}); err == nil {
					s.Close()
				}
			}
		})
	}
}

// BenchmarkLargeTemplate reads a synthesized-size template of 2,000 functions, as JSON (CDK's
// output) and as YAML.
func BenchmarkLargeTemplate(b *testing.B) {
	var js, ym strings.Builder
	js.WriteString(`{"Resources": {`)
	ym.WriteString("Resources:\n")
	for i := range 2000 {
		if i > 0 {
			js.WriteString(",")
		}
		fmt.Fprintf(&js, `"Fn%d": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13", "Handler": "index.handler", "Code": {"S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "%064x.zip"}, "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Environment": {"Variables": {"STAGE": "prod", "TABLE": {"Ref": "Table"}}}}}`+"\n", i, i)
		fmt.Fprintf(&ym, "  Fn%d:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.13\n      Handler: index.handler\n      Code:\n        S3Bucket: !Sub cdk-assets-${AWS::AccountId}-${AWS::Region}\n        S3Key: %064x.zip\n      Role: !GetAtt Role.Arn\n      Environment:\n        Variables:\n          STAGE: prod\n          TABLE: !Ref Table\n", i, i)
	}
	js.WriteString(`, "Table": {"Type": "AWS::DynamoDB::Table"}}}`)
	ym.WriteString("  Table:\n    Type: AWS::DynamoDB::Table\n")
	dir := b.TempDir()
	for name, body := range map[string]string{"json": js.String(), "yaml": ym.String()} {
		p := filepath.Join(dir, "t."+name)
		os.WriteFile(p, []byte(body), 0o644)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				s, err := Load(p, Options{})
				if err != nil || len(s.Functions) != 2000 {
					b.Fatalf("%v, %d functions", err, len(s.Functions))
				}
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2000, "µs/function")
		})
	}
}
