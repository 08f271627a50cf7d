package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestEscape: control characters, bidi overrides and invalid bytes are escaped; ordinary text,
// accents included, is left alone.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"Fn\x00":                     `Fn\x00`,
		"\x1b[2J\x1b[32mPASS":        `\x1b[2J\x1b[32mPASS`,
		"a\nPASS  forged":            `a\x0aPASS  forged`,
		"go1.x\r":                    `go1.x\x0d`,
		"del\x7f c1\u0085":           `del\x7f c1\u0085`,
		"evil\u202egnp.zip":          `evil\u202egnp.zip`,
		"bad\xffbyte":                `bad\xffbyte`,
		"Función-élan/日本 python3.13": "Función-élan/日本 python3.13",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextEscapesResults: a result whose every string holds escape sequences prints none of them.
func TestTextEscapesResults(t *testing.T) {
	esc := "\x1b]0;owned\x07\x1b[2K\r"
	r := result.Result{Target: "Stack/Fn" + esc, Runtime: "go1.x" + esc, Architecture: "x86_64" + esc, SkipReason: "skip" + esc, Image: "img" + esc,
		Location: &result.Location{File: "t.yaml" + esc, Line: 3},
		Findings: []result.Finding{{Rule: result.RuntimeDeprecated, Severity: result.Error, Path: "p" + esc, Message: "m" + esc + "\x00", Remediation: "r" + esc,
			Exempted: &result.Exempted{Reason: "why" + esc, Tag: "tag" + esc}}}}
	r.Finish()
	var b bytes.Buffer
	if err := (Text{}).Output(&b, []result.Result{r}); err != nil {
		t.Fatal(err)
	}
	for _, c := range b.String() {
		if c != '\n' && (c < 0x20 || c == 0x7f) {
			t.Fatalf("control character %U in output:\n%q", c, b.String())
		}
	}
	if !strings.Contains(b.String(), `Stack/Fn\x1b]0;owned\x07`) {
		t.Errorf("target not shown escaped:\n%s", b.String())
	}
}
