package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeZip writes a zip of one executable script (enough for the CLI's plumbing; the engine's
// own tests cover binaries).
func writeZip(t *testing.T, dir, name, entry string, mode fs.FileMode) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: entry, Method: zip.Deflate}
	h.SetMode(mode)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("#!/bin/sh\necho hi\n"))
	zw.Close()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	return code, out.String(), errOut.String()
}

func TestCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := writeZip(t, dir, "good.zip", "bootstrap", 0o755)
	nested := writeZip(t, dir, "nested.zip", "bin/hello/bootstrap", 0o755)
	notZip := filepath.Join(dir, "notzip.zip")
	os.WriteFile(notZip, []byte("hello"), 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring expected on stdout
		stderr string // substring expected on stderr
	}{
		{"pass", []string{"check", good}, ExitPass, "PASS", ""},
		{"fail", []string{"check", nested}, ExitFail, "bootstrap-nested", ""},
		{"one of two fails", []string{"check", good, nested}, ExitFail, "2 checked: 1 passed, 1 failed", ""},
		{"flags after the path", []string{"check", nested, "--arch", "arm64", "--format", "json"}, ExitFail, `"architecture": "arm64"`, ""},
		{"corrupt zip is a finding", []string{"check", notZip}, ExitFail, "package-unreadable", ""},
		{"deprecated runtime", []string{"check", "--runtime", "go1.x", "--handler", "bootstrap", good}, ExitFail, "runtime-deprecated", ""},
		{"allowed deprecated runtime", []string{"check", "--runtime", "provided.al2", "--allow-runtime", "provided.al2", good}, ExitPass, "warning", ""},
		{"date moves the lifecycle", []string{"check", "--runtime", "provided.al2", "--date", "2026-01-01", "--warn-days", "-1", good}, ExitPass, "PASS", ""},
		{"layer provides bootstrap", []string{"check", "--layer", good, writeZip(t, dir, "fn.zip", "app.sh", 0o755)}, ExitPass, "PASS", ""},
		{"missing path", []string{"check"}, ExitUsage, "", "no PATH"},
		{"nonexistent file", []string{"check", filepath.Join(dir, "nope.zip")}, ExitUsage, "", "nope.zip"},
		{"bad arch", []string{"check", "--arch", "ppc", good}, ExitUsage, "", "--arch"},
		{"bad date", []string{"check", "--date", "24/11/2026", good}, ExitUsage, "", "--date"},
		{"bad action", []string{"check", "--action", "delete", good}, ExitUsage, "", "--action"},
		{"bad format", []string{"check", "--format", "xml", good}, ExitUsage, "", "format"},
		{"unknown flag", []string{"check", "--frobnicate", good}, ExitUsage, "", "frobnicate"},
		{"missing layer", []string{"check", "--layer", "nope.zip", good}, ExitUsage, "", "--layer"},
		{"unknown command", []string{"inspect"}, ExitUsage, "", "unknown command"},
		{"no command", nil, ExitUsage, "", "Usage"},
		{"rules", []string{"rules"}, ExitPass, "bootstrap-nested", ""},
		{"version", []string{"version"}, ExitPass, "bootstrap-guard", ""},
		{"help", []string{"check", "-h"}, ExitPass, "", "Usage: bootstrap-guard check"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			if code != tc.code {
				t.Errorf("got exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	dir := t.TempDir()
	nested := writeZip(t, dir, "nested.zip", "bin/hello/bootstrap", 0o755)
	code, out, _ := runCLI("check", "--format", "json", nested)
	if code != ExitFail {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Results []struct {
			Target   string `json:"target"`
			Status   string `json:"status"`
			Findings []struct {
				Rule, Path string
			} `json:"findings"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 1 || doc.Results[0].Target != nested || doc.Results[0].Findings[0].Rule != "bootstrap-nested" || doc.Results[0].Findings[0].Path != "bin/hello/bootstrap" {
		t.Fatalf("got %+v", doc)
	}
}

func TestDirectoryPath(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o644)
	if code, out, _ := runCLI("check", dir); code != ExitFail || !strings.Contains(out, "bootstrap-not-executable") {
		t.Fatalf("mode 0644 directory: exit %d\n%s", code, out)
	}
	os.Chmod(filepath.Join(dir, "bootstrap"), 0o755)
	if code, out, _ := runCLI("check", dir); code != ExitPass {
		t.Fatalf("mode 0755 directory: exit %d\n%s", code, out)
	}
}
