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
		// each of these is the good file with one thing wrong
		"nosource.json":     `{"retrieved":"2027-01-01","runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"noretrieved.json":  `{"source":"x","runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"badretrieved.json": `{"source":"x","retrieved":"last week","runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"typofield.json":    `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"2.26","deprecation":"2029-01-01"}]}`,
		"extrafield.json":   `{"source":"x","retrieved":"2027-01-01","version":2,"runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"family.json":       `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"a","family":"rust","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"os.json":           `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"a","family":"provided","os":"ubuntu","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"glibc.json":        `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"new","deprecated":"2029-01-01"}]}`,
		"name.json":         `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"A B","family":"provided","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]}`,
		"trailing.json":     `{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"a","family":"provided","os":"al2","glibc":"2.26","deprecated":"2029-01-01"}]} {}`,
		"array.json":        `[]`,
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

// TestUnlisted: names that fit a family's pattern and are newer than the catalogue's newest are
// taken for releases the catalogue has not heard of; everything else is not.
func TestUnlisted(t *testing.T) {
	c := Default()
	tests := []struct {
		name       string
		want       bool
		fam        Family
		newest, os string
	}{
		{"nodejs26.x", true, FamilyNode, "nodejs24.x", "al2023"},
		{"nodejs34.x", true, FamilyNode, "nodejs24.x", "al2023"},
		{"python3.15", true, FamilyPython, "python3.14", "al2023"},
		{"python4.0", true, FamilyPython, "python3.14", "al2023"},
		{"java29", true, FamilyJava, "java25", "al2023"},
		{"java17.al2025", true, FamilyJava, "java25", "al2023"}, // java17 on a newer Amazon Linux than any listed
		{"dotnet12", true, FamilyDotnet, "dotnet10", "al2023"},
		{"ruby4.1", true, FamilyRuby, "ruby4.0", "al2023"},
		{"ruby5.0", true, FamilyRuby, "ruby4.0", "al2023"},
		{"provided.al2025", true, FamilyProvided, "provided.al2023", "al2025"},
		// in the catalogue
		{"nodejs24.x", false, "", "", ""},
		{"java8.al2", false, "", "", ""},
		{"java17.al2023", false, "", "", ""},
		// fit no pattern
		{"nodejs22", false, "", "", ""},
		{"nodejs26", false, "", "", ""},
		{"python3.12.x", false, "", "", ""},
		{"go1.23", false, "", "", ""},
		{"go2.x", false, "", "", ""},
		{"Nodejs26.x", false, "", "", ""},
		{"nodejs026.x", false, "", "", ""},
		{"provided.al", false, "", "", ""},
		{"provided.fedora", false, "", "", ""},
		{"cobol85", false, "", "", ""},
		{"", false, "", "", ""},
		// fit a pattern but are not newer: a gap, not the future
		{"nodejs23.x", false, "", "", ""},
		{"python3.5", false, "", "", ""},
		{"dotnet7", false, "", "", ""},
		{"java21.al2023", false, "", "", ""}, // java21 already runs on al2023
		{"provided.al2022", false, "", "", ""},
		// too far ahead to be a release
		{"nodejs240.x", false, "", "", ""},
		{"python3.140", false, "", "", ""},
		{"python5.0", false, "", "", ""},
		{"dotnet100", false, "", "", ""},
		{"provided.al2099", false, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok := c.Unlisted(tc.name)
			if ok != tc.want {
				t.Fatalf("Unlisted(%q) = %v, want %v", tc.name, ok, tc.want)
			}
			if !ok {
				return
			}
			if u.Runtime.Name != tc.name || u.Runtime.Family != tc.fam || u.Newest.Name != tc.newest || u.Runtime.OS != tc.os {
				t.Errorf("got %+v / newest %s, want family %s, newest %s, os %s", u.Runtime, u.Newest.Name, tc.fam, tc.newest, tc.os)
			}
			if !u.Runtime.Deprecated.IsZero() || u.Runtime.Successor != "" {
				t.Errorf("an unlisted runtime has no lifecycle: %+v", u.Runtime)
			}
		})
	}
	if u, _ := c.Unlisted("provided.al2025"); u.Runtime.Glibc != "" || !u.Runtime.OSOnly() {
		t.Errorf("provided.al2025: glibc %q, OS-only %v; want unknown glibc, OS-only", u.Runtime.Glibc, u.Runtime.OSOnly())
	}
	if u, _ := c.Unlisted("nodejs26.x"); u.Runtime.Glibc != "2.34" {
		t.Errorf("nodejs26.x: glibc %q, want the newest nodejs's 2.34", u.Runtime.Glibc)
	}
}

// TestUnlistedFollowsTheCatalogue: what counts as newer moves with the catalogue in use.
func TestUnlistedFollowsTheCatalogue(t *testing.T) {
	c, err := Parse([]byte(`{"source":"test","retrieved":"2027-06-01","runtimes":[
		{"name":"nodejs26.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2029-04-30"},
		{"name":"nodejs24.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2028-04-30","successor":"nodejs26.x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Unlisted("nodejs26.x"); ok {
		t.Error("nodejs26.x is listed now")
	}
	if u, ok := c.Unlisted("nodejs28.x"); !ok || u.Newest.Name != "nodejs26.x" {
		t.Errorf("nodejs28.x: %+v, %v; want unlisted, newest nodejs26.x", u, ok)
	}
	if _, ok := c.Unlisted("python3.15"); ok {
		t.Error("python3.15: a catalogue without python has no newest python to be newer than")
	}
}

func FuzzParseCatalogue(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(`{"source":"x","retrieved":"2027-01-01","runtimes":[{"name":"provided.al2025","family":"provided","os":"al2025","glibc":"2.40","deprecated":"2031-01-01"}]}`))
	f.Add([]byte(`{"runtimes":[{"name":"a","family":"provided","deprecated":"2029-01-01","successor":"a"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever parses must be usable: lookups, successors and the future-runtime logic.
		for _, r := range c.Runtimes[:min(len(c.Runtimes), 64)] {
			if _, ok := c.Lookup(r.Name); !ok {
				t.Fatalf("%s not found after parsing", r.Name)
			}
			c.Latest(r)
			c.Unlisted(r.Name + "0")
		}
		c.Closest("nodejs26", time.Now())
	})
}
