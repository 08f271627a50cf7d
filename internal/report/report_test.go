package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() []result.Result {
	fail := result.Result{Target: "nested.zip", Source: "functions/bin/nested.zip", Runtime: "provided.al2023", Architecture: "arm64",
		Findings: []result.Finding{
			{Rule: result.RuntimeDeprecationSoon, Severity: result.Warning, Message: "Runtime will be deprecated.", Remediation: "Move on."},
			{Rule: result.BootstrapNested, Severity: result.Error, Message: "bootstrap is at bin/nested/bootstrap, not at the zip root.", Remediation: "zip -j function.zip bin/nested/bootstrap", Path: "bin/nested/bootstrap"},
		}}
	fail.Finish()
	pass := result.Result{Target: "hello.zip", Runtime: "provided.al2023", Architecture: "arm64"}
	pass.Finish()
	skip := result.Result{Target: "Stack/ImageFn", Architecture: "x86_64", SkipReason: "container image"}
	skip.Finish()
	remote := result.Result{Target: "app/Remote", Source: "template.yaml", Runtime: "python3.13", Architecture: "x86_64",
		Location: &result.Location{File: "template.yaml", Line: 42, Column: 3},
		Package:  &result.Package{Source: "s3://bucket/fn.zip", Reason: result.ReasonS3Object, Detail: "it is an S3 object and --s3 was not given"},
		Findings: []result.Finding{{Rule: result.PackageNotInspected, Severity: result.Warning, Message: "The code package (s3://bucket/fn.zip) was not inspected."}}}
	remote.Finish()
	return []result.Result{fail, pass, skip, remote}
}

func TestGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			out, err := New(format, Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := out.Output(&buf, sample()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "sample."+format)
			if *update {
				os.WriteFile(golden, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s:\n%s", golden, buf.String())
			}
		})
	}
	if _, err := New("xml", Options{}); err == nil {
		t.Error("unknown format: want an error")
	}
}

// TestJSONContract decodes the JSON with the field names other tools depend on.
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := (JSON{}).Output(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Target, Runtime, Architecture, Status string
			Findings                              []map[string]any
			// Template functions only: where the function is, and what became of its package.
			Location *struct {
				File         string
				Line, Column int
			} `json:"location"`
			Package *struct {
				Inspected              bool
				Source, Reason, Detail string
			} `json:"package"`
		} `json:"results"`
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 4 || doc.Results[0].Status != "FAIL" || doc.Results[1].Status != "PASS" || doc.Results[2].Status != "SKIP" {
		t.Fatalf("got %+v", doc.Results)
	}
	if doc.Results[0].Location != nil || doc.Results[0].Package != nil {
		t.Errorf("a zip has no location or package record: %+v", doc.Results[0])
	}
	if r := doc.Results[3]; r.Location == nil || r.Location.File != "template.yaml" || r.Location.Line != 42 ||
		r.Package == nil || r.Package.Inspected || r.Package.Reason != "s3-object" || r.Package.Source != "s3://bucket/fn.zip" || r.Package.Detail == "" {
		t.Errorf("template function: location %+v package %+v", r.Location, r.Package)
	}
	f := doc.Results[0].Findings[0]
	for _, k := range []string{"rule", "severity", "message", "remediation", "path"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q: %v", k, f)
		}
	}
	if f["rule"] != "bootstrap-nested" {
		t.Errorf("errors must come first, got %v", f["rule"])
	}
	if doc.Results[1].Findings == nil {
		t.Error("findings must be [] not null")
	}
}

// TestSARIFShape checks the properties SARIF 2.1.0 requires and code scanning reads.
func TestSARIFShape(t *testing.T) {
	var buf bytes.Buffer
	if err := (SARIF{Version: "1"}).Output(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || log["$schema"] == nil {
		t.Fatalf("bad header: %v", log["version"])
	}
	run := log["runs"].([]any)[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	rules := driver["rules"].([]any)
	if driver["name"] != "bootstrap-guard" || len(rules) != len(result.Rules) {
		t.Fatalf("driver %v with %d rules", driver["name"], len(rules))
	}
	results := run["results"].([]any)
	if len(results) != 3 {
		t.Fatalf("got %d results, want 3 (one per finding)", len(results))
	}
	for _, r := range results[:2] {
		r := r.(map[string]any)
		id := r["ruleId"].(string)
		idx := int(r["ruleIndex"].(float64))
		if rules[idx].(map[string]any)["id"] != id {
			t.Errorf("ruleIndex %d does not point at %s", idx, id)
		}
		if r["message"].(map[string]any)["text"] == "" {
			t.Error("empty message")
		}
		loc := r["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"]
		if loc != "functions/bin/nested.zip" {
			t.Errorf("got uri %v", loc)
		}
		if l := r["level"]; l != "error" && l != "warning" && l != "note" {
			t.Errorf("bad level %v", l)
		}
	}
}

// TestSARIFRegion: a template function's findings point at its line in the template.
func TestSARIFRegion(t *testing.T) {
	var buf bytes.Buffer
	if err := (SARIF{Version: "1"}).Output(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	last := res[len(res)-1]
	pl := last.Locations[0].PhysicalLocation
	if last.RuleID != "package-not-inspected" || pl.ArtifactLocation.URI != "template.yaml" || pl.Region == nil || pl.Region.StartLine != 42 || pl.Region.StartColumn != 3 {
		t.Errorf("got %s at %+v", last.RuleID, pl)
	}
	if res[0].Locations[0].PhysicalLocation.Region != nil {
		t.Error("a zip's finding has no region")
	}
}

func TestTextColor(t *testing.T) {
	var plain, color bytes.Buffer
	(Text{}).Output(&plain, sample())
	(Text{Color: true}).Output(&color, sample())
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain text contains escape codes")
	}
	if !strings.Contains(color.String(), "\x1b[31m") {
		t.Error("colour text has no red")
	}
	if !strings.Contains(plain.String(), "PASS  app/Remote  template.yaml:42  python3.13") {
		t.Errorf("no file:line for a template function:\n%s", plain.String())
	}
	if !strings.Contains(plain.String(), "4 checked: 2 passed, 1 failed, 1 skipped") {
		t.Errorf("no summary line:\n%s", plain.String())
	}
}

// exemptedSample is a function whose only error is exempted by tag, with a live warning.
func exemptedSample() []result.Result {
	r := result.Result{Target: "Stack/Vendor", Source: "template.json", Runtime: "provided.al2023", Architecture: "arm64",
		Findings: []result.Finding{
			{Rule: result.BootstrapNested, Severity: result.Error, Message: "bootstrap is at bin/nested/bootstrap.", Path: "bin/nested/bootstrap",
				Exempted: &result.Exempted{Reason: "vendor layout, wrapper in a layer", Tag: "bootstrap-guard:exempt"}},
			{Rule: result.PathBackslash, Severity: result.Warning, Message: "a backslash"},
		}}
	r.Finish()
	whole := result.Result{Target: "Stack/Legacy", Runtime: "go1.x", Architecture: "x86_64", SkipReason: "exempt from every check",
		Exempted: &result.Exempted{Reason: "CHG-1234", Tag: "bootstrap-guard:exempt"}}
	whole.Finish()
	return []result.Result{r, whole}
}

func TestExempted(t *testing.T) {
	res := exemptedSample()
	if res[0].Status != result.Pass || res[0].Findings[0].Rule != result.PathBackslash {
		t.Fatalf("an exempted error must not fail and must come after live findings: %+v", res[0])
	}
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := (JSON{}).Output(&buf, res); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Results []struct {
				Status   string
				Exempted *struct{ Reason, Tag string }
				Findings []struct {
					Rule     string
					Exempted *struct{ Reason, Tag string }
				}
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		fs := doc.Results[0].Findings
		if fs[0].Exempted != nil || fs[1].Exempted == nil || fs[1].Exempted.Reason != "vendor layout, wrapper in a layer" || fs[1].Exempted.Tag != "bootstrap-guard:exempt" {
			t.Errorf("findings %+v: want only bootstrap-nested exempted with reason and tag", fs)
		}
		if doc.Results[1].Status != "SKIP" || doc.Results[1].Exempted == nil || doc.Results[1].Exempted.Reason != "CHG-1234" {
			t.Errorf("whole-function exemption: %+v", doc.Results[1])
		}
		if strings.Count(buf.String(), `"exempted"`) != 2 {
			t.Errorf("exempted must be omitted where it does not apply:\n%s", buf.String())
		}
	})
	t.Run("sarif", func(t *testing.T) {
		var buf bytes.Buffer
		if err := (SARIF{}).Output(&buf, res); err != nil {
			t.Fatal(err)
		}
		var log struct {
			Runs []struct {
				Results []struct {
					RuleID       string
					Suppressions []map[string]string
				}
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		rs := log.Runs[0].Results
		if len(rs) != 2 {
			t.Fatalf("%d results, want 2", len(rs))
		}
		for _, r := range rs {
			switch r.RuleID {
			case "bootstrap-nested":
				if len(r.Suppressions) != 1 || r.Suppressions[0]["kind"] != "inSource" || r.Suppressions[0]["status"] != "accepted" ||
					!strings.Contains(r.Suppressions[0]["justification"], "vendor layout") {
					t.Errorf("suppressions %v", r.Suppressions)
				}
			default:
				if r.Suppressions != nil {
					t.Errorf("%s is not exempted but has %v", r.RuleID, r.Suppressions)
				}
			}
		}
	})
	t.Run("text", func(t *testing.T) {
		var buf bytes.Buffer
		(Text{}).Output(&buf, res)
		out := buf.String()
		for _, want := range []string{"PASS  Stack/Vendor", "bootstrap-nested bin/nested/bootstrap EXEMPTED", "exempted: vendor layout, wrapper in a layer (tag bootstrap-guard:exempt)",
			"exempt from every check", "2 checked: 1 passed, 0 failed, 1 skipped; 1 exempted finding"} {
			if !strings.Contains(out, want) {
				t.Errorf("text lacks %q:\n%s", want, out)
			}
		}
	})
}
