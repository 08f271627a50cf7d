package cfn

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzTemplate decodes arbitrary template bytes and resolves their functions against an empty
// asset directory: errors are fine, panics are not.
func FuzzTemplate(f *testing.F) {
	for _, p := range []string{"testdata/sam.json", "testdata/plain.json", "testdata/assembly/BootstrapGuardDemo.template.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		tmpl, err := parseTemplate(b, "fuzz.json")
		if err != nil {
			return
		}
		s := &Set{}
		s.add(tmpl, "fuzz", filepath.Join(dir, "fuzz.json"), &assets{dir: dir, byKey: map[string]string{}})
		s.Close()
	})
}
