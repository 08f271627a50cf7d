package cfn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzTemplate decodes arbitrary template bytes, JSON or YAML, and resolves their functions
// (intrinsics folded, Globals merged) against an empty asset directory: errors are fine, panics
// are not.
func FuzzTemplate(f *testing.F) {
	for _, p := range []string{"testdata/sam.json", "testdata/sam.yaml", "testdata/plain.json", "testdata/assembly/BootstrapGuardDemo.template.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: !If [C, !Ref P, !Sub '${AWS::Region}']\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &Set{}
		tmpl, err := s.parseTemplate(b, "fuzz.yaml")
		if err != nil {
			return
		}
		s.add(tmpl, "fuzz", filepath.Join(dir, "fuzz.yaml"), &assets{dir: dir, byKey: map[string]string{}})
		for i := range s.Functions {
			s.Functions[i].SkipResult()
		}
		s.Close()
	})
}

// FuzzYAMLNodeBound checks that yamlNodeBound, computed from the bytes before decoding, is never
// below the number of nodes the YAML decoder builds: the bound is what keeps a large YAML input
// from being decoded at all.
func FuzzYAMLNodeBound(f *testing.F) {
	for _, s := range []string{"? \n", "- \n- \n-\n", "{a, b, c}", "[a: , b: ]", "a:\nb:\n", "[,]", "- - - x", "&a x: *a", "!Ref x", "? a\n? b\n: c",
		"a: |\n  x: y\n  - z\n", "[{}, {}, []]", "---\na: 1\n...\n", "{? }", "[? ]", "- ? - ? x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var doc yaml.Node
		if yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc) != nil {
			return
		}
		if n, bound := countYAML(&doc), yamlNodeBound(b); n > bound {
			t.Fatalf("%q: %d nodes, bound %d", b, n, bound)
		}
	})
}

func countYAML(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countYAML(k)
	}
	return c
}
