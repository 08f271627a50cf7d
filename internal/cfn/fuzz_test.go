package cfn

import (
	"os"
	"path/filepath"
	"testing"
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
		tmpl, err := parseTemplate(b, "fuzz.yaml")
		if err != nil {
			return
		}
		s := &Set{}
		s.add(tmpl, "fuzz", filepath.Join(dir, "fuzz.yaml"), &assets{dir: dir, byKey: map[string]string{}})
		for i := range s.Functions {
			s.Functions[i].SkipResult()
		}
		s.Close()
	})
}
