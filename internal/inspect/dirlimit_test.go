package inspect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestDirectoryOverLimits: a package folder of more files than are read is an error finding
// (package-too-large when its files add up past Lambda's 262,144,000 bytes, package-unreadable
// otherwise), never a pass; and a FIFO named bootstrap inside a folder does not block the check.
// The file bound is lowered to 50 for the test (it is 250,000).
func TestDirectoryOverLimits(t *testing.T) {
	old := maxDirFiles
	maxDirFiles = 50
	defer func() { maxDirFiles = old }()
	mk := func(t *testing.T, files int, big bool) string {
		dir := t.TempDir()
		for i := range files {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d", i)), nil, 0o644)
		}
		if big {
			f, _ := os.Create(filepath.Join(dir, "zz-large.bin"))
			if err := f.Truncate(MaxUnzipped); err != nil { // sparse: no blocks written
				t.Fatal(err)
			}
			f.Close()
		}
		return dir
	}
	fifoDir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "bootstrap"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dir  string
		want string // status and rule
	}{
		{"within the bound", mk(t, 40, false), "FAIL bootstrap-missing"},
		{"too many files", mk(t, 60, false), "FAIL package-unreadable"},
		{"too many files, too large", mk(t, 60, true), "FAIL package-too-large"},
		{"fifo bootstrap", fifoDir, "FAIL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var res result.Result
			var err error
			go func() {
				defer close(done)
				res, err = New(Options{Now: func() time.Time { return fixedDay }}).Check(context.Background(),
					Function{Target: "fn", Runtime: "provided.al2023", Handler: "bootstrap", Code: Source{Name: tc.dir, Dir: tc.dir}})
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("blocked")
			}
			if err != nil {
				if tc.name == "fifo bootstrap" && IsSourceError(err) && strings.Contains(err.Error(), "named pipe") {
					return // refused as unreadable, without blocking
				}
				t.Fatal(err)
			}
			status, rule, _ := strings.Cut(tc.want, " ")
			has := rule == ""
			for _, f := range res.Findings {
				has = has || string(f.Rule) == rule
			}
			if string(res.Status) != status || !has {
				t.Errorf("got %s %v, want %s", res.Status, res.Findings, tc.want)
			}
		})
	}
}
