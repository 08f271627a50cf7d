package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLIWith is runCLI with an environment.
func runCLIWith(getenv map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return getenv[k] },
		Now:    func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	return code, out.String(), errOut.String()
}

// TestCreateAndUpdate: the done-when check. python3.9 on 2026-12-06 (deprecated
// 2025-12-15, Lambda blocks creates from 2027-02-01 and updates from 2027-03-03): a create FAILs,
// an update PASSes with a warning, and --strict-updates (or BOOTSTRAP_GUARD_STRICT_UPDATES) makes
// the update FAIL; java17.al2023 is in the catalogue.
func TestCreateAndUpdate(t *testing.T) {
	dir := t.TempDir()
	fn := filepath.Join(dir, "fn")
	os.MkdirAll(fn, 0o755)
	os.WriteFile(filepath.Join(fn, "app.py"), []byte("def handler(e, c):\n    return 1\n"), 0o644)
	base := []string{"check", "--runtime", "python3.9", "--handler", "app.handler", "--date", "2026-12-06"}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		want   []string
		absent []string
	}{
		{"create", nil, []string{"--action", "create"}, ExitFail, []string{"FAIL", "error runtime-deprecated", "will block creating functions on it from 2027-02-01"}, []string{"since 2027"}},
		{"update", nil, []string{"--action", "update"}, ExitPass, []string{"PASS", "warning runtime-deprecated", "Lambda accepts this update"}, []string{"since 2027"}},
		{"update strict flag", nil, []string{"--action", "update", "--strict-updates"}, ExitFail, []string{"error runtime-deprecated", "strict updates"}, nil},
		{"update strict env", map[string]string{"BOOTSTRAP_GUARD_STRICT_UPDATES": "true"}, []string{"--action", "update"}, ExitFail, []string{"error runtime-deprecated"}, nil},
		{"flag wins over env", map[string]string{"BOOTSTRAP_GUARD_STRICT_UPDATES": "true"}, []string{"--action", "update", "--strict-updates=false"}, ExitPass, []string{"warning runtime-deprecated"}, nil},
		{"update after the update block", nil, []string{"--action", "update", "--date", "2027-03-03"}, ExitFail, []string{"has blocked updating existing functions on it since 2027-03-03", "This update will be rejected"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLIWith(tc.env, append(append(append([]string{}, base...), tc.args...), fn)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			flat := strings.Join(strings.Fields(out), " ")
			for _, w := range tc.want {
				if !strings.Contains(flat, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(flat, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
	if code, _, errOut := runCLIWith(map[string]string{"BOOTSTRAP_GUARD_STRICT_UPDATES": "maybe"}, append(base, fn)...); code != ExitUsage || !strings.Contains(errOut, "BOOTSTRAP_GUARD_STRICT_UPDATES") {
		t.Errorf("bad variable: exit %d, %s", code, errOut)
	}
	jar := filepath.Join(dir, "jar")
	os.MkdirAll(filepath.Join(jar, "example"), 0o755)
	os.WriteFile(filepath.Join(jar, "example", "Handler.class"), []byte("\xca\xfe\xba\xbe"), 0o644)
	code, out, _ := runCLI("check", "--runtime", "java17.al2023", "--handler", "example.Handler::handleRequest", jar)
	if code != ExitPass || strings.Contains(out, "runtime-newer-than-catalogue") {
		t.Errorf("java17.al2023: exit %d\n%s", code, out)
	}
}
