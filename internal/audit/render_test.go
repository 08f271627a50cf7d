package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// sampleReport has a failing, a passing, an exempt and an unread function in two accounts, and a
// third account that could not be assumed.
func sampleReport() *Report {
	arn := func(acc, name string) string { return "arn:aws:lambda:eu-west-1:" + acc + ":function:" + name }
	fail := result.Result{Target: arn("111111111111", "orders"), Runtime: "provided.al2023", Architecture: "arm64",
		Findings: []result.Finding{
			{Rule: result.BootstrapNested, Severity: result.Error, Message: "bootstrap is at bin/bootstrap, not at the zip root.", Remediation: "zip -j"},
			{Rule: result.RuntimeDeprecationSoon, Severity: result.Warning, Message: "soon"},
		}, Package: &result.Package{Inspected: true, Source: "GetFunction Code.Location"}}
	fail.Finish()
	pass := result.Result{Target: arn("111111111111", "users"), Runtime: "python3.13", Architecture: "x86_64", Package: &result.Package{Inspected: true}}
	pass.Finish()
	exempt := result.Result{Target: arn("222222222222", "legacy"), Runtime: "go1.x", Architecture: "x86_64", SkipReason: "exempt",
		Exempted: &result.Exempted{Reason: "retiring", Tag: "bootstrap-guard:exempt"}}
	exempt.Finish()
	unread := notInspected(arn("222222222222", "secret"), typesConfig("nodejs22.x"), "could not read the deployed code (access denied)")
	return &Report{
		Accounts: []Account{{ID: "111111111111", Name: "shop"}, {ID: "222222222222", Name: "legacy"}, {ID: "333333333333", Name: "sandbox", Err: errors.New("assume role: AccessDenied")}},
		Functions: []Function{
			{Account: "111111111111", Region: "eu-west-1", Name: "orders", ARN: fail.Target, Result: fail},
			{Account: "111111111111", Region: "eu-west-1", Name: "users", ARN: pass.Target, Result: pass},
			{Account: "222222222222", Region: "eu-west-1", Name: "legacy", ARN: exempt.Target, Result: exempt},
			{Account: "222222222222", Region: "eu-west-1", Name: "secret", ARN: unread.Target, Result: unread, Err: errors.New("access denied")},
		},
		Errors: []Scope{{Account: "333333333333", AccountName: "sandbox", Err: errors.New("assume role: AccessDenied")}},
	}
}

func TestSummarize(t *testing.T) {
	s := sampleReport().Summarize()
	if s.Functions != 4 || s.Failed != 1 || s.Passed != 1 || s.Skipped != 1 || s.NotInspected != 1 {
		t.Errorf("counts %+v", s)
	}
	wantRules := []RuleCount{{result.BootstrapNested, result.Error, 1}, {result.RuntimeDeprecationSoon, result.Warning, 1}}
	if !reflect.DeepEqual(s.Rules, wantRules) {
		t.Errorf("rules %+v, want %+v", s.Rules, wantRules)
	}
	if s.Runtimes[0].Name != "provided.al2023" || s.Runtimes[0].Failed != 1 || len(s.Runtimes) != 4 {
		t.Errorf("runtimes %+v", s.Runtimes)
	}
	want := []GroupCount{
		{Name: "111111111111", Label: "shop", Functions: 2, Failed: 1},
		{Name: "222222222222", Label: "legacy", Functions: 2, NotInspected: 1},
		{Name: "333333333333", Label: "sandbox", Error: "assume role: AccessDenied"},
	}
	if !reflect.DeepEqual(s.Accounts, want) {
		t.Errorf("accounts\n got %+v\nwant %+v", s.Accounts, want)
	}
}

func TestWrite(t *testing.T) {
	rep := sampleReport()
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Write(&buf, "json", rep, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Results []result.Result `json:"results"`
			Summary Summary         `json:"summary"`
			Errors  []scopeError    `json:"errors"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Results) != 4 || doc.Results[0].Target != rep.Functions[0].ARN || doc.Results[0].Status != result.Fail {
			t.Errorf("results %+v", doc.Results)
		}
		if doc.Summary.Failed != 1 || len(doc.Errors) != 1 || doc.Errors[0].Account != "333333333333" {
			t.Errorf("summary %+v errors %+v", doc.Summary, doc.Errors)
		}
	})
	t.Run("csv", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Write(&buf, "csv", rep, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || !reflect.DeepEqual(rows[0], CSVHeader) {
			t.Fatalf("rows %v", rows)
		}
		want := []string{"111111111111", "eu-west-1", "orders", rep.Functions[0].ARN, "FAIL", "provided.al2023", "arm64", "bootstrap-nested runtime-deprecation-soon", "true", ""}
		if !reflect.DeepEqual(rows[1], want) {
			t.Errorf("row %v\nwant %v", rows[1], want)
		}
		if rows[4][4] != "SKIP" || rows[4][8] != "false" || !strings.Contains(rows[4][9], "access denied") {
			t.Errorf("unread row %v", rows[4])
		}
	})
	t.Run("text", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Write(&buf, "text", rep, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, s := range []string{
			"STATUS  ACCOUNT       REGION     FUNCTION  RUNTIME          ARCH    RULES\n",
			"FAIL    111111111111  eu-west-1  orders    provided.al2023  arm64   bootstrap-nested runtime-deprecation-soon\n",
			"UNREAD  222222222222",
			"error [bootstrap-nested] bootstrap is at bin/bootstrap",
			"4 functions: 1 failed, 1 passed, 1 skipped, 1 not inspected",
			"not audited: assume role: AccessDenied",
		} {
			if !strings.Contains(out, s) {
				t.Errorf("text lacks %q:\n%s", s, out)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Error("colour without Color")
		}
	})
	t.Run("sarif", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Write(&buf, "sarif", rep, WriteOptions{Version: "1.2.3"}); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) || !strings.Contains(buf.String(), rep.Functions[0].ARN) {
			t.Errorf("sarif:\n%.500s", buf.String())
		}
	})
	if err := Write(&bytes.Buffer{}, "xml", rep, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "csv") {
		t.Errorf("unknown format: %v", err)
	}
}
