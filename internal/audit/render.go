package audit

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/report"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Formats lists the output formats Write accepts.
var Formats = []string{"text", "json", "sarif", "csv"}

// Summary counts an audit by verdict, rule, runtime and account.
type Summary struct {
	Functions    int `json:"functions"`
	Failed       int `json:"failed"`
	Passed       int `json:"passed"`
	Skipped      int `json:"skipped"` // exempt, or nothing to check by design
	NotInspected int `json:"notInspected"`
	// Rules counts, per rule, the functions with a finding of it that is not exempted.
	Rules []RuleCount `json:"rules"`
	// Runtimes counts functions per runtime ("(image)" for container images).
	Runtimes []GroupCount `json:"runtimes"`
	// Accounts counts functions per account; an account that could not be audited has Error.
	Accounts []GroupCount `json:"accounts"`
}

// RuleCount is how many functions one rule fires on.
type RuleCount struct {
	Rule      result.RuleID   `json:"rule"`
	Severity  result.Severity `json:"severity"`
	Functions int             `json:"functions"`
}

// GroupCount counts the functions of one runtime or account.
type GroupCount struct {
	Name         string `json:"name"`
	Label        string `json:"label,omitempty"` // an account's name
	Functions    int    `json:"functions"`
	Failed       int    `json:"failed"`
	NotInspected int    `json:"notInspected,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Summarize counts the report.
func (r *Report) Summarize() Summary {
	s := Summary{Functions: len(r.Functions)}
	rules := map[result.RuleID]*RuleCount{}
	runtimes := map[string]*GroupCount{}
	accounts := map[string]*GroupCount{}
	var accOrder []string
	account := func(id, name string) *GroupCount {
		g, ok := accounts[id]
		if !ok {
			g = &GroupCount{Name: id, Label: name}
			accounts[id] = g
			accOrder = append(accOrder, id)
		}
		return g
	}
	for _, a := range r.Accounts {
		if a.ID != "" { // the current account is known from its functions' ARNs
			account(a.ID, a.Name)
		}
	}
	for i := range r.Functions {
		f := &r.Functions[i]
		res := &f.Result
		rt := res.Runtime
		if rt == "" {
			rt = "(image)"
		}
		g := runtimes[rt]
		if g == nil {
			g = &GroupCount{Name: rt}
			runtimes[rt] = g
		}
		a := account(f.Account, "")
		g.Functions++
		a.Functions++
		switch {
		case !f.Decided():
			s.NotInspected++
			g.NotInspected++
			a.NotInspected++
			continue
		case res.Status == result.Fail:
			s.Failed++
			g.Failed++
			a.Failed++
		case res.Status == result.Skip:
			s.Skipped++
		default:
			s.Passed++
		}
		seen := map[result.RuleID]bool{}
		for _, fd := range res.Findings {
			if !fd.Counts() || seen[fd.Rule] || fd.Severity == result.Info {
				continue
			}
			seen[fd.Rule] = true
			rc := rules[fd.Rule]
			if rc == nil {
				rc = &RuleCount{Rule: fd.Rule, Severity: fd.Severity}
				rules[fd.Rule] = rc
			}
			rc.Functions++
		}
	}
	for _, e := range r.Errors {
		a := account(e.Account, e.AccountName)
		msg := e.Err.Error()
		if e.Region != "" {
			msg = e.Region + ": " + msg
		}
		if a.Error != "" {
			msg = a.Error + "; " + msg
		}
		a.Error = msg
	}
	for _, rc := range rules {
		s.Rules = append(s.Rules, *rc)
	}
	slices.SortFunc(s.Rules, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)), cmp.Compare(b.Functions, a.Functions), cmp.Compare(a.Rule, b.Rule))
	})
	for _, g := range runtimes {
		s.Runtimes = append(s.Runtimes, *g)
	}
	slices.SortFunc(s.Runtimes, func(a, b GroupCount) int {
		return cmp.Or(cmp.Compare(b.Failed, a.Failed), cmp.Compare(b.Functions, a.Functions), cmp.Compare(a.Name, b.Name))
	})
	for _, id := range accOrder {
		s.Accounts = append(s.Accounts, *accounts[id])
	}
	return s
}

func sevRank(s result.Severity) int {
	switch s {
	case result.Error:
		return 0
	case result.Warning:
		return 1
	}
	return 2
}

// WriteOptions tune Write.
type WriteOptions struct {
	Color   bool   // ANSI colour in text
	Version string // tool version, for SARIF
}

// Write renders the report in a format of Formats: text (a table, the failing functions'
// findings, the summary), json (check's contract, {"results": [...]}, with target = function
// ARN, plus "summary" and "errors"), sarif (check's SARIF, one result per finding, the ARN as the
// artifact) or csv (one row per function).
func Write(w io.Writer, format string, r *Report, o WriteOptions) error {
	switch format {
	case "text":
		return writeText(w, r, o)
	case "json":
		return writeJSON(w, r)
	case "sarif":
		return report.SARIF{Version: o.Version}.Output(w, r.Results())
	case "csv":
		return writeCSV(w, r)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// scopeError is an account or Region that could not be audited, in JSON.
type scopeError struct {
	Account     string `json:"account"`
	AccountName string `json:"accountName,omitempty"`
	Region      string `json:"region,omitempty"`
	Error       string `json:"error"`
}

func writeJSON(w io.Writer, r *Report) error {
	doc := struct {
		Results []result.Result `json:"results"`
		Summary Summary         `json:"summary"`
		Errors  []scopeError    `json:"errors"`
	}{Results: r.Results(), Summary: r.Summarize(), Errors: []scopeError{}}
	for _, e := range r.Errors {
		doc.Errors = append(doc.Errors, scopeError{e.Account, e.AccountName, e.Region, e.Err.Error()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// rulesOf lists the rules of the findings that count (errors, then warnings).
func rulesOf(res *result.Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Counts() && f.Severity != result.Info && !slices.Contains(out, string(f.Rule)) {
			out = append(out, string(f.Rule))
		}
	}
	return out
}

// CSVHeader is the first row of the csv format.
var CSVHeader = []string{"account", "region", "function", "arn", "status", "runtime", "architecture", "rules", "inspected", "detail"}

func writeCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for i := range r.Functions {
		f := &r.Functions[i]
		res := &f.Result
		detail := ""
		inspected := true
		if p := res.Package; p != nil {
			inspected = p.Inspected
			detail = p.Detail
		}
		cw.Write([]string{f.Account, f.Region, f.Name, f.ARN, string(res.Status), res.Runtime, res.Architecture,
			strings.Join(rulesOf(res), " "), strconv.FormatBool(inspected), detail})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func writeText(w io.Writer, r *Report, o WriteOptions) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + "\x1b[0m"
	}
	rows := [][]string{{"STATUS", "ACCOUNT", "REGION", "FUNCTION", "RUNTIME", "ARCH", "RULES"}}
	for i := range r.Functions {
		f := &r.Functions[i]
		status := string(f.Result.Status)
		if !f.Decided() {
			status = "UNREAD"
		}
		rt := f.Result.Runtime
		if rt == "" {
			rt = "(image)"
		}
		rules := strings.Join(rulesOf(&f.Result), " ")
		if rules == "" {
			rules = "-"
		}
		rows = append(rows, []string{status, f.Account, f.Region, f.Name, rt, f.Result.Architecture, rules})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row[:len(row)-1] {
			widths[i] = max(widths[i], len(c))
		}
	}
	for n, row := range rows {
		for i, c := range row {
			cell := c
			if i < len(row)-1 {
				cell += strings.Repeat(" ", widths[i]-len(c)+2)
			}
			if i == 0 && n > 0 {
				switch c {
				case string(result.Fail):
					cell = paint("\x1b[31;1m", cell)
				case string(result.Pass):
					cell = paint("\x1b[32m", cell)
				default:
					cell = paint("\x1b[33m", cell)
				}
			}
			bw.WriteString(cell)
		}
		bw.WriteString("\n")
	}
	var detail bool
	for i := range r.Functions {
		f := &r.Functions[i]
		if f.Result.Status != result.Fail && f.Decided() {
			continue
		}
		if !detail {
			bw.WriteString("\nWhat fails, and why:\n")
			detail = true
		}
		fmt.Fprintf(bw, "\n%s\n", f.ARN)
		for _, fd := range f.Result.Findings {
			if !fd.Counts() || fd.Severity == result.Info {
				continue
			}
			fmt.Fprintf(bw, "  %s [%s] %s\n", fd.Severity, fd.Rule, fd.Message)
			if fd.Remediation != "" {
				fmt.Fprintf(bw, "      fix: %s\n", fd.Remediation)
			}
		}
	}
	s := r.Summarize()
	fmt.Fprintf(bw, "\n%d functions: %d failed, %d passed, %d skipped, %d not inspected\n", s.Functions, s.Failed, s.Passed, s.Skipped, s.NotInspected)
	if len(s.Rules) > 0 {
		bw.WriteString("\nBy rule (functions):\n")
		for _, rc := range s.Rules {
			fmt.Fprintf(bw, "  %6d  %-8s %s\n", rc.Functions, rc.Severity, rc.Rule)
		}
	}
	if len(s.Runtimes) > 0 {
		bw.WriteString("\nBy runtime (functions, failed):\n")
		for _, g := range s.Runtimes {
			fmt.Fprintf(bw, "  %6d %6d  %s\n", g.Functions, g.Failed, g.Name)
		}
	}
	bw.WriteString("\nBy account (functions, failed, not inspected):\n")
	for _, g := range s.Accounts {
		name := g.Name
		if g.Label != "" {
			name += " (" + g.Label + ")"
		}
		fmt.Fprintf(bw, "  %6d %6d %6d  %s\n", g.Functions, g.Failed, g.NotInspected, name)
		if g.Error != "" {
			fmt.Fprintf(bw, "                         not audited: %s\n", g.Error)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}
