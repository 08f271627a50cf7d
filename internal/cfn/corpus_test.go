package cfn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteHostileCorpus writes the hostile inputs of this package's tests (hostileTemplates,
// costlyShapes, a cdk.out fanning out ten wide and eight deep) into the directory
// $BOOTSTRAP_GUARD_HOSTILE_CORPUS, for measuring the CLI over them (make bench-hostile). Skipped
// when the variable is unset.
func TestWriteHostileCorpus(t *testing.T) {
	dir := os.Getenv("BOOTSTRAP_GUARD_HOSTILE_CORPUS")
	if dir == "" {
		t.Skip("BOOTSTRAP_GUARD_HOSTILE_CORPUS not set")
	}
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range hostileTemplates() {
		write(name, body)
	}
	for name, tc := range costlyShapes() {
		write("costly-"+strings.ReplaceAll(name, " ", "-")+".yaml", tc.body)
	}
	// Nine directories, each naming the next ten times: 10^8 assembly reads within depth 8.
	arts := make([]string, 10)
	for i := range arts {
		arts[i] = `"N` + string(rune('0'+i)) + `": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "n"}}`
	}
	p := "cdkout-fanout"
	for range 8 {
		write(p+"/manifest.json", `{"artifacts": {`+strings.Join(arts, ",")+`}}`)
		p += "/n"
	}
	write(p+"/manifest.json", `{"artifacts": {}}`)
}
