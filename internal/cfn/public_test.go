package cfn

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

var updatePublic = flag.Bool("update-public", false, "rewrite testdata/public/verdicts.golden")

// publicDay is the pinned evaluation date of the corpus test.
var publicDay = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// manifest reads testdata/public/MANIFEST.tsv: every template with its source.
func readManifest(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("testdata/public/MANIFEST.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "file\t") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 || len(cols[3]) != 40 {
			t.Fatalf("manifest line %q: want file, repo, path, 40-hex commit, licence", line)
		}
		rows = append(rows, cols)
	}
	return rows
}

// TestPublicTemplates reads public templates (cfn-lint fixtures, the SAM translator's inputs and
// outputs, SAM CLI tests, serverless patterns, AWS's template samples; see MANIFEST.tsv). Every
// template is read (none refused for one function's sake), every function gets a verdict without
// an error, and each runtime verdict is the one AWS's lifecycle table (internal/runtimes) gives
// on the pinned date. verdicts.golden records each function's verdict so that a change shows.
func TestPublicTemplates(t *testing.T) {
	rows := readManifest(t)
	onDisk, _ := filepath.Glob("testdata/public/*/*")
	if len(onDisk) != len(rows) {
		t.Errorf("%d files on disk, %d in the manifest: every file needs a manifest line", len(onDisk), len(rows))
	}
	cat := runtimes.Default()
	c := inspect.New(inspect.Options{Now: func() time.Time { return publicDay }})
	var golden []string
	var templates, yamlTemplates, functions, inspected int
	reasons := map[result.PackageReason]int{}
	statuses := map[result.Status]int{}
	for _, row := range rows {
		file := row[0]
		templates++
		if !strings.HasSuffix(file, ".json") {
			yamlTemplates++
		}
		// Each template is read from a directory of its own, as in its repository: code paths
		// relative to it (CodeUri: src/, or "." by default) find nothing of the others.
		dir := filepath.Join(t.TempDir(), strings.SplitN(file, "/", 2)[0])
		os.MkdirAll(dir, 0o755)
		body, err := os.ReadFile(filepath.Join("testdata/public", file))
		if err != nil {
			t.Fatal(err)
		}
		own := filepath.Join(dir, filepath.Base(file))
		os.WriteFile(own, body, 0o644)
		s, err := Load(own, Options{})
		if err != nil {
			t.Errorf("%s: refused: %v", file, err)
			continue
		}
		if len(s.Functions) == 0 {
			t.Errorf("%s: no function found (the manifest keeps only templates with functions)", file)
		}
		for _, f := range s.Functions {
			functions++
			var res result.Result
			if f.Skip != "" {
				res = f.SkipResult()
			} else {
				res, err = c.Check(context.Background(), f.Function)
				if err != nil {
					t.Errorf("%s %s: no verdict: %v", file, f.Target, err)
					continue
				}
				f.Apply(&res)
			}
			statuses[res.Status]++
			if res.Package.Inspected {
				inspected++
			} else {
				reasons[res.Package.Reason]++
			}
			if res.Location == nil || res.Location.Line == 0 {
				t.Errorf("%s %s: no line", file, f.Target)
			}
			checkRuntimeVerdict(t, cat, file, f, res)
			var ids []string
			for _, fd := range res.Findings {
				ids = append(ids, string(fd.Rule))
			}
			golden = append(golden, fmt.Sprintf("%s\t%s:%d\t%s\t%s\t%s", file, strings.SplitN(f.Target, "/", 2)[1], res.Location.Line, res.Status, orDash(f.Runtime), orDash(strings.Join(ids, ","))))
		}
		s.Close()
	}
	t.Logf("%d templates (%d YAML, %.0f%%), %d functions: %v; packages inspected %d, not inspected %v",
		templates, yamlTemplates, 100*float64(yamlTemplates)/float64(max(templates, 1)), functions, statuses, inspected, reasons)
	if templates < 80 {
		t.Errorf("only %d templates; the corpus must hold at least 80", templates)
	}
	got := strings.Join(golden, "\n") + "\n"
	const goldenFile = "testdata/public-verdicts.golden"
	if *updatePublic {
		os.WriteFile(goldenFile, []byte(got), 0o644)
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPublicTemplates -update-public)", err)
	}
	if string(want) != got {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for _, l := range gl {
			if !slices.Contains(wl, l) {
				t.Errorf("new verdict: %s", l)
			}
		}
		for _, l := range wl {
			if !slices.Contains(gl, l) {
				t.Errorf("verdict gone: %s", l)
			}
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkRuntimeVerdict compares the runtime findings with the lifecycle table on the pinned day.
func checkRuntimeVerdict(t *testing.T, cat *runtimes.Catalogue, file string, f Function, res result.Result) {
	t.Helper()
	has := func(id result.RuleID) bool { return len(res.FindingsFor(id)) > 0 }
	if f.Skip != "" || f.PackageType == inspect.PackageImage {
		return
	}
	if f.Runtime == "" {
		if !has(result.RuntimeMissing) && !has(result.RuntimeUnresolved) {
			t.Errorf("%s %s: no runtime, and neither runtime-missing nor runtime-unresolved", file, f.Target)
		}
		return
	}
	rt, ok := cat.Lookup(f.Runtime)
	if !ok {
		if !has(result.RuntimeUnknown) {
			t.Errorf("%s %s: runtime %q is not in the table, want runtime-unknown", file, f.Target, f.Runtime)
		}
		return
	}
	phase := rt.PhaseOn(publicDay)
	wantDeprecated := phase != runtimes.Supported || rt.ContainerOnly
	if has(result.RuntimeDeprecated) != wantDeprecated {
		t.Errorf("%s %s: runtime %s on %s is %v; runtime-deprecated finding: %v", file, f.Target, f.Runtime, publicDay.Format(time.DateOnly), phase, has(result.RuntimeDeprecated))
	}
	soon := phase == runtimes.Supported && !rt.Deprecated.IsZero() && rt.Deprecated.Sub(publicDay) <= inspect.DefaultWarnWindow
	if has(result.RuntimeDeprecationSoon) != soon {
		t.Errorf("%s %s: runtime %s deprecated %v; runtime-deprecation-soon finding: %v", file, f.Target, f.Runtime, rt.Deprecated, has(result.RuntimeDeprecationSoon))
	}
}
