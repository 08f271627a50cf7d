package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// HookEvent reads a real-shaped hook request from internal/hookapi/testdata (file may name a
// subfolder, such as target-resource/create.json) and replaces its resource properties (when
// props is not nil) and logical ID (when not empty). Tests of every package build their events
// from the same fixtures, so all of them follow the shapes those fixtures were checked against.
func HookEvent(t testing.TB, file, logicalID string, props map[string]any) []byte {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot locate internal/hookapi/testdata")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "hookapi", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	if props == nil && logicalID == "" {
		return b
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	rd := ev["requestData"].(map[string]any)
	if logicalID != "" {
		rd["targetLogicalId"] = logicalID
	}
	if props != nil {
		rd["targetModel"].(map[string]any)["resourceProperties"] = props
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
