// Package runtimes is the Lambda runtime catalogue: which runtime identifiers exist, which
// operating system and glibc each runs on, and when each is deprecated and blocked.
//
// The data lives in catalogue.json (embedded), with its source and retrieval date, so a refresh is
// a data change and never a code change. Load reads a newer file of the same shape at run time.
package runtimes

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/textdist"
)

//go:embed catalogue.json
var embedded []byte

// Family groups runtimes that share a handler convention.
type Family string

// Runtime families. OS-only runtimes (provided*, go1.x) start /var/task/bootstrap or run a
// named binary; managed ones load the handler's file.
const (
	FamilyProvided Family = "provided"
	FamilyGo       Family = "go"
	FamilyNode     Family = "nodejs"
	FamilyPython   Family = "python"
	FamilyJava     Family = "java"
	FamilyDotnet   Family = "dotnet"
	FamilyRuby     Family = "ruby"
)

// Date is a calendar day in the catalogue file (YYYY-MM-DD), compared as UTC midnight.
type Date struct{ time.Time }

// UnmarshalJSON reads "YYYY-MM-DD"; an empty string or null leaves the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("date %q: %w", s, err)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or "" for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(d.Format(time.DateOnly))
}

// Runtime is one catalogue row.
type Runtime struct {
	Name          string `json:"name"`
	Family        Family `json:"family"`
	OS            string `json:"os"`    // al1, al2, al2023
	Glibc         string `json:"glibc"` // newest GLIBC_x.y symbol version the OS provides
	Deprecated    Date   `json:"deprecated"`
	CreateBlocked Date   `json:"createBlocked,omitzero"`
	UpdateBlocked Date   `json:"updateBlocked,omitzero"`
	ContainerOnly bool   `json:"containerOnly,omitempty"` // zip packages were never accepted
	Successor     string `json:"successor,omitempty"`
}

// OSOnly reports whether Lambda starts a bootstrap executable for this runtime (provided,
// provided.al2, provided.al2023) rather than loading a handler into a managed language runtime.
func (r Runtime) OSOnly() bool { return r.Family == FamilyProvided }

// Catalogue is a set of runtimes with the provenance of its data.
type Catalogue struct {
	// Source says where the data comes from (the AWS page, a mirror); Retrieved is the day it was
	// taken from there (YYYY-MM-DD). Both are required: a catalogue nobody can date cannot be
	// trusted to call a runtime newer than it.
	Source    string    `json:"source"`
	Retrieved string    `json:"retrieved"`
	Runtimes  []Runtime `json:"runtimes"`
	// Origin is where this copy was loaded from: "built in", a file, an SSM parameter, an S3
	// object. Set by the loader, not part of the file.
	Origin string `json:"-"`
	byName map[string]Runtime
	newest map[Family]Runtime // per family, by its naming pattern; see Newest
}

// Embedded is the Origin of the catalogue compiled into the binary.
const Embedded = "built in (internal/runtimes/catalogue.json)"

// MaxSize bounds a catalogue file; the embedded one is under 10 KiB.
const MaxSize = 1 << 20

// ErrCatalogue reports a catalogue file that cannot be used.
var ErrCatalogue = errors.New("runtimes: invalid catalogue")

// Default returns the embedded catalogue. It panics only if the embedded file is broken, which
// the package tests rule out.
func Default() *Catalogue {
	c, err := Parse(embedded)
	if err != nil {
		panic(err)
	}
	c.Origin = Embedded
	return c
}

// EmbeddedJSON returns the bytes of the built-in catalogue file.
func EmbeddedJSON() []byte { return append([]byte(nil), embedded...) }

// Load reads a catalogue file (same shape as catalogue.json), to refresh dates without a rebuild.
func Load(path string) (*Catalogue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open runtime catalogue: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read runtime catalogue %s: %w", path, err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("runtime catalogue %s: %w", path, err)
	}
	c.Origin = "file " + path
	return c, nil
}

// Parse decodes and validates catalogue JSON against the shape of catalogue.json: exactly its
// fields (a misspelt field is an error, not a silently missing date), a source and retrieval date,
// known families, Amazon Linux OS names, glibc versions, dates as YYYY-MM-DD, unique names and
// successors that exist. Every catalogue, built in or loaded, passes the same checks.
func Parse(b []byte) (*Catalogue, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrCatalogue, MaxSize)
	}
	var c Catalogue
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCatalogue, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the catalogue object", ErrCatalogue)
	}
	if strings.TrimSpace(c.Source) == "" {
		return nil, fmt.Errorf("%w: no source (where the data comes from)", ErrCatalogue)
	}
	if _, err := time.Parse(time.DateOnly, c.Retrieved); err != nil {
		return nil, fmt.Errorf("%w: retrieved %q: want the retrieval date as YYYY-MM-DD", ErrCatalogue, c.Retrieved)
	}
	if len(c.Runtimes) == 0 {
		return nil, fmt.Errorf("%w: no runtimes", ErrCatalogue)
	}
	c.byName = make(map[string]Runtime, len(c.Runtimes))
	for i, r := range c.Runtimes {
		if r.Name == "" || r.Family == "" {
			return nil, fmt.Errorf("%w: runtime %d without name or family", ErrCatalogue, i+1)
		}
		if !validName(r.Name) {
			return nil, fmt.Errorf("%w: runtime name %.40q: want lowercase letters, digits, dots and hyphens", ErrCatalogue, r.Name)
		}
		if !knownFamily(r.Family) {
			return nil, fmt.Errorf("%w: %s: family %q: want provided, go, nodejs, python, java, dotnet or ruby", ErrCatalogue, r.Name, r.Family)
		}
		if osYear(r.OS) == 0 {
			return nil, fmt.Errorf("%w: %s: os %q: want al1, al2, al2023 or another Amazon Linux", ErrCatalogue, r.Name, r.OS)
		}
		if !validGlibc(r.Glibc) {
			return nil, fmt.Errorf("%w: %s: glibc %q: want a version like 2.34", ErrCatalogue, r.Name, r.Glibc)
		}
		if _, dup := c.byName[r.Name]; dup {
			return nil, fmt.Errorf("%w: %s listed twice", ErrCatalogue, r.Name)
		}
		if r.Deprecated.IsZero() {
			return nil, fmt.Errorf("%w: %s has no deprecation date", ErrCatalogue, r.Name)
		}
		c.byName[r.Name] = r
	}
	for _, r := range c.Runtimes {
		if r.Successor != "" {
			if _, ok := c.byName[r.Successor]; !ok {
				return nil, fmt.Errorf("%w: %s names unknown successor %s", ErrCatalogue, r.Name, r.Successor)
			}
		}
	}
	c.newest = newestByFamily(c.Runtimes)
	return &c, nil
}

func validName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func knownFamily(f Family) bool {
	switch f {
	case FamilyProvided, FamilyGo, FamilyNode, FamilyPython, FamilyJava, FamilyDotnet, FamilyRuby:
		return true
	}
	return false
}

// validGlibc accepts MAJOR.MINOR with small numbers, as in 2.17 or 2.34.
func validGlibc(s string) bool {
	var a, b int
	var rest string
	n, _ := fmt.Sscanf(s, "%d.%d%s", &a, &b, &rest)
	return n == 2 && a > 0 && a < 10 && b >= 0 && b < 1000 && s == fmt.Sprintf("%d.%d", a, b)
}

// Lookup finds a runtime by its exact identifier (Lambda's runtime names are case-sensitive).
func (c *Catalogue) Lookup(name string) (Runtime, bool) {
	r, ok := c.byName[name]
	return r, ok
}

// Phase is where a runtime stands in its lifecycle on a given day.
type Phase int

// Lifecycle phases, in order.
const (
	Supported Phase = iota
	Deprecated
	CreateBlocked
	UpdateBlocked
)

// PhaseOn returns the lifecycle phase of r on day.
func (r Runtime) PhaseOn(day time.Time) Phase {
	switch {
	case r.ContainerOnly:
		// Never available for zip packages: as blocked as a runtime can be.
		return UpdateBlocked
	case passed(r.UpdateBlocked, day):
		return UpdateBlocked
	case passed(r.CreateBlocked, day):
		return CreateBlocked
	case passed(r.Deprecated, day):
		return Deprecated
	}
	return Supported
}

// passed reports whether the date d has been reached on day (a date takes effect on that day).
func passed(d Date, day time.Time) bool {
	return !d.IsZero() && !day.Before(d.Time)
}

// Latest follows successor links from r to the end of the chain: the runtime the catalogue
// recommends moving to. It returns r's own name when r has no successor.
func (c *Catalogue) Latest(r Runtime) string {
	seen := map[string]bool{r.Name: true}
	cur := r
	for cur.Successor != "" && !seen[cur.Successor] {
		seen[cur.Successor] = true
		cur = c.byName[cur.Successor]
	}
	return cur.Name
}

// Closest suggests the catalogue runtime nearest to an unknown name: a case or spacing
// difference first, then the smallest edit distance among current (not update-blocked) runtimes
// on day. It returns "" when nothing is reasonably close.
func (c *Catalogue) Closest(name string, day time.Time) string {
	norm := strings.ToLower(strings.TrimSpace(name))
	norm = strings.NewReplacer(" ", "", "_", "", "-", "").Replace(norm)
	if r, ok := c.byName[norm]; ok {
		return r.Name
	}
	best, bestD := Runtime{}, 1<<30
	for _, r := range c.Runtimes {
		if r.PhaseOn(day) >= UpdateBlocked {
			continue
		}
		// Ties go to the newer runtime: the one deprecated later, then the later name.
		d := textdist.Levenshtein(norm, r.Name)
		if d < bestD || d == bestD && (r.Deprecated.After(best.Deprecated.Time) ||
			r.Deprecated.Equal(best.Deprecated.Time) && r.Name > best.Name) {
			best, bestD = r, d
		}
	}
	// More than half the name changed is not a suggestion, it is a guess.
	if bestD*2 > len(best.Name) {
		return ""
	}
	return best.Name
}
