package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEmbeddedCatalogue(t *testing.T) {
	c := Default()
	if c.Source == "" || c.Retrieved == "" {
		t.Error("catalogue lacks its source or retrieval date")
	}
	for _, name := range []string{"provided.al2023", "provided.al2", "provided", "go1.x", "nodejs20.x", "python3.13", "java21", "dotnet8", "ruby3.4"} {
		if _, ok := c.Lookup(name); !ok {
			t.Errorf("%s missing from the catalogue", name)
		}
	}
	for _, r := range c.Runtimes {
		if r.Glibc == "" || r.OS == "" {
			t.Errorf("%s lacks OS or glibc", r.Name)
		}
	}
}

func TestPhaseOn(t *testing.T) {
	c := Default()
	tests := []struct {
		runtime, day string
		want         Phase
	}{
		{"provided.al2023", "2026-11-24", Supported},
		{"provided.al2", "2026-07-30", Supported},
		{"provided.al2", "2026-07-31", Deprecated}, // takes effect on the day
		{"provided.al2", "2027-02-01", CreateBlocked},
		{"provided.al2", "2027-03-03", UpdateBlocked},
		{"go1.x", "2026-11-24", CreateBlocked},
		{"nodejs20.x", "2026-11-24", Deprecated},
		{"dotnet9", "2026-01-01", UpdateBlocked}, // container only
	}
	for _, tc := range tests {
		t.Run(tc.runtime+"@"+tc.day, func(t *testing.T) {
			r, ok := c.Lookup(tc.runtime)
			if !ok {
				t.Fatalf("%s not found", tc.runtime)
			}
			if got := r.PhaseOn(date(tc.day)); got != tc.want {
				t.Errorf("got phase %d, want %d", got, tc.want)
			}
		})
	}
}

func TestLatestAndClosest(t *testing.T) {
	c := Default()
	day := date("2026-11-24")
	for _, tc := range []struct{ from, want string }{
		{"go1.x", "provided.al2023"}, {"nodejs18.x", "nodejs24.x"}, {"python3.14", "python3.14"},
	} {
		r, _ := c.Lookup(tc.from)
		if got := c.Latest(r); got != tc.want {
			t.Errorf("Latest(%s) = %s, want %s", tc.from, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"provided.al2024", "provided.al2023"},
		{"Provided.AL2023", "provided.al2023"},
		{"nodejs24", "nodejs24.x"},
		{"python3.15", "python3.14"},
		{"cobol85", ""},
	} {
		if got := c.Closest(tc.in, day); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"provided.al2025","family":"provided","os":"al2025","glibc":"2.40","deprecated":"2031-01-01"}]}`)
	c, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup("provided.al2025"); !ok {
		t.Error("loaded runtime not found")
	}
	for name, body := range map[string]string{
		"empty.json":     `{"runtimes":[]}`,
		"nodate.json":    `{"runtimes":[{"name":"a","family":"provided"}]}`,
		"baddate.json":   `{"runtimes":[{"name":"a","family":"provided","deprecated":"31/12/2029"}]}`,
		"dup.json":       `{"runtimes":[{"name":"a","family":"provided","deprecated":"2029-01-01"},{"name":"a","family":"provided","deprecated":"2029-01-01"}]}`,
		"successor.json": `{"runtimes":[{"name":"a","family":"provided","deprecated":"2029-01-01","successor":"b"}]}`,
		"garbage.json":   `not json`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(write(name, body)); !errors.Is(err, ErrCatalogue) {
				t.Errorf("got %v, want ErrCatalogue", err)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: want an error")
	}
}
