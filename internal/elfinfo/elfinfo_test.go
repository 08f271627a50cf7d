package elfinfo

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func parseFile(t *testing.T, path string) (*Info, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(bytes.NewReader(b), int64(len(b)))
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		file    string
		typ     uint16
		machine uint16
		interp  string
		glibc   string // newest required, "" for none
		needed  string
	}{
		{"dynamic-x86_64", TypeDyn, EMX86_64, "/lib64/ld-linux-x86-64.so.2", "2.34", "libc.so.6"},
		{"static-x86_64", TypeExec, EMX86_64, "", "", ""},
		{"object-x86_64.o", TypeRel, EMX86_64, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			info, err := parseFile(t, filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != tc.typ || info.Machine != tc.machine || info.Class != 64 || info.BigEndian {
				t.Errorf("got type %d machine %d class %d, want %d %d 64", info.Type, info.Machine, info.Class, tc.typ, tc.machine)
			}
			if info.Interp != tc.interp {
				t.Errorf("got interp %q, want %q", info.Interp, tc.interp)
			}
			got := ""
			if v, ok := info.MaxGlibc(); ok {
				got = v.String()
			}
			if got != tc.glibc {
				t.Errorf("got glibc %q, want %q", got, tc.glibc)
			}
			if tc.needed != "" && !slices.Contains(info.Needed, tc.needed) {
				t.Errorf("got needed %v, want %s", info.Needed, tc.needed)
			}
		})
	}
}

// TestAgainstDebugElf compares glibc versions with what debug/elf finds through the section
// headers, on the fixture and on any system binaries present.
func TestAgainstDebugElf(t *testing.T) {
	paths := []string{"testdata/dynamic-x86_64"}
	for _, p := range []string{"/bin/ls", "/usr/bin/gcc", "/usr/bin/git"} {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			ef, err := elf.Open(p)
			if err != nil {
				t.Skip(err)
			}
			defer ef.Close()
			syms, _ := ef.ImportedSymbols()
			want := map[string]bool{}
			for _, s := range syms {
				if v, ok := ParseVersion(trimPrefix(s.Version, "GLIBC_")); ok && s.Library != "" {
					want[v.String()] = true
				}
			}
			info, err := parseFile(t, p)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, v := range info.Glibc {
				got[v.String()] = true
			}
			for v := range want {
				if !got[v] {
					t.Errorf("debug/elf finds GLIBC_%s, Parse does not (got %v)", v, info.Glibc)
				}
			}
		})
	}
}

func trimPrefix(s, p string) string {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return "x"
}

func TestGoBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go binaries")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\ngo 1.26\n"), 0o644)
	for _, tc := range []struct {
		goarch  string
		machine uint16
	}{{"amd64", EMX86_64}, {"arm64", EMAARCH64}, {"386", EM386}, {"riscv64", EMRISCV}} {
		t.Run(tc.goarch, func(t *testing.T) {
			out := filepath.Join(dir, tc.goarch)
			cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", out, ".")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+tc.goarch, "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			info, err := parseFile(t, out)
			if err != nil {
				t.Fatal(err)
			}
			if info.Machine != tc.machine || !info.Static() {
				t.Errorf("got machine %d static %v, want %d static", info.Machine, info.Static(), tc.machine)
			}
			if info.BytesRead > 4096 {
				t.Errorf("read %d bytes, want the headers only (< 4 KiB)", info.BytesRead)
			}
		})
	}
}

// TestMalformed corrupts one structure at a time; each is a format error, never a panic.
func TestMalformed(t *testing.T) {
	orig, err := os.ReadFile("testdata/dynamic-x86_64")
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	tests := []struct {
		name   string
		mutate func(b []byte) []byte
	}{
		{"empty", func(b []byte) []byte { return nil }},
		{"not elf", func(b []byte) []byte { return []byte("#!/bin/sh\n") }},
		{"bad class", func(b []byte) []byte { b[4] = 9; return b }},
		{"bad encoding", func(b []byte) []byte { b[5] = 9; return b }},
		{"header truncated", func(b []byte) []byte { return b[:40] }},
		{"phoff outside", func(b []byte) []byte { le.PutUint64(b[32:], 1<<40); return b }},
		{"phoff huge", func(b []byte) []byte { le.PutUint64(b[32:], 1<<63+5); return b }},
		{"phnum huge", func(b []byte) []byte { le.PutUint16(b[56:], 0xffff); return b }},
		{"phentsize wrong", func(b []byte) []byte { le.PutUint16(b[54:], 7); return b }},
		{"no phdrs", func(b []byte) []byte { le.PutUint16(b[56:], 0); return b }},
		{"interp outside", func(b []byte) []byte { setPhdr(b, 3, func(p []byte) { le.PutUint64(p[8:], 1<<50) }); return b }},
		{"interp too long", func(b []byte) []byte { setPhdr(b, 3, func(p []byte) { le.PutUint64(p[32:], 1<<20) }); return b }},
		{"dynamic outside", func(b []byte) []byte { setPhdr(b, 2, func(p []byte) { le.PutUint64(p[8:], 1<<50) }); return b }},
		{"truncated after headers", func(b []byte) []byte { return b[:1024] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(bytes.Clone(orig))
			_, err := Parse(bytes.NewReader(b), int64(len(b)))
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("got %v, want a format error", err)
			}
		})
	}
}

// setPhdr edits the first program header of type typ in a 64-bit little-endian file.
func setPhdr(b []byte, typ uint32, edit func([]byte)) {
	le := binary.LittleEndian
	off, n := le.Uint64(b[32:]), le.Uint16(b[56:])
	for i := uint64(0); i < uint64(n); i++ {
		p := b[off+i*56:]
		if le.Uint32(p) == typ {
			edit(p)
			return
		}
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{{"2.34", true}, {"2.2.5", true}, {"2", false}, {"2.x", false}, {"1.2.3.4", false}, {"-1.2", false}} {
		if _, ok := ParseVersion(tc.s); ok != tc.ok {
			t.Errorf("ParseVersion(%q) ok=%v, want %v", tc.s, ok, tc.ok)
		}
	}
	a, _ := ParseVersion("2.2.5")
	b, _ := ParseVersion("2.17")
	if !a.Less(b) || b.Less(a) {
		t.Errorf("2.2.5 should order before 2.17")
	}
}
