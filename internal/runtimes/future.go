package runtimes

import (
	"fmt"
	"regexp"
	"strconv"
)

// Lambda names each runtime family's releases by one pattern, and new releases follow it:
// nodejsNN.x, pythonX.Y, javaNN (javaNN.alYYYY for an OS variant), dotnetNN, rubyX.Y,
// provided.alYYYY. Sources: the identifier column of
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html ("Each major programming
// language release has a separate runtime, with a unique runtime identifier, such as nodejs24.x
// or python3.14"), and the Runtime enum of the Lambda API as generated in aws-sdk-go-v2
// (service/lambda/types/enums.go, v1.114.3), which already lists nodejs26.x, python3.15 and
// java17.al2023 ahead of their launch. go1.x was the only Go runtime and has no successor of its
// own name (Go runs on provided.al2023), so it has no pattern: a "go1.23" is a mistake, never a
// release.
//
// Numbers are written without leading zeros in every identifier AWS has published; "nodejs024.x"
// is therefore not a pattern match.
var patterns = map[Family]*regexp.Regexp{
	FamilyNode:     regexp.MustCompile(`^nodejs([1-9][0-9]{0,2})\.x$`),
	FamilyPython:   regexp.MustCompile(`^python([1-9][0-9]{0,1})\.(0|[1-9][0-9]{0,2})$`),
	FamilyJava:     regexp.MustCompile(`^java([1-9][0-9]{0,2})(?:\.al(2|20[0-9]{2}))?$`),
	FamilyDotnet:   regexp.MustCompile(`^dotnet([1-9][0-9]{0,2})$`),
	FamilyRuby:     regexp.MustCompile(`^ruby([1-9][0-9]{0,1})\.(0|[1-9][0-9]{0,2})$`),
	FamilyProvided: regexp.MustCompile(`^provided\.al(2|20[0-9]{2})$`),
}

// horizon bounds how far past the catalogue's newest a name may be and still count as a release
// the catalogue has not heard of. Lambda adds about one runtime per family per year (inferred from
// the catalogue's own dates: nodejs20/22/24, python3.12/13/14, java17/21/25); ten steps ahead is
// years past any catalogue a team would still run, so "nodejs240.x" is a typo, not the future.
const horizon = 10

// version is a parsed runtime identifier: up to two numbers, and for Java the OS suffix year
// (0 when absent; "al2" counts as 2).
type version struct {
	major, minor, os int
}

func (v version) less(w version) bool {
	if v.major != w.major {
		return v.major < w.major
	}
	return v.minor < w.minor
}

// parse returns the family and version of a name that fits a family's pattern.
func parse(name string) (Family, version, bool) {
	for fam, re := range patterns {
		m := re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		var v version
		v.major, _ = strconv.Atoi(m[1])
		switch fam {
		case FamilyPython, FamilyRuby:
			v.minor, _ = strconv.Atoi(m[2])
		case FamilyJava:
			if m[2] != "" {
				v.os, _ = strconv.Atoi(m[2])
			}
		}
		return fam, v, true
	}
	return "", version{}, false
}

// Newest returns the newest runtime of a family in the catalogue, judged by the family's
// naming pattern (names outside it, like nodejs8.10 or dotnetcore3.1, are older schemes).
func (c *Catalogue) Newest(fam Family) (Runtime, bool) {
	r, ok := c.newest[fam]
	return r, ok
}

// newestByFamily finds each family's newest runtime once, when a catalogue is parsed, so that
// judging a name costs the same however long the catalogue is.
func newestByFamily(rs []Runtime) map[Family]Runtime {
	best := map[Family]Runtime{}
	bestV := map[Family]version{}
	for _, r := range rs {
		f, v, ok := parse(r.Name)
		if !ok {
			continue
		}
		if _, seen := best[f]; !seen || bestV[f].less(v) || (!v.less(bestV[f]) && v.os > bestV[f].os) {
			best[f], bestV[f] = r, v
		}
	}
	return best
}

// Unlisted describes a runtime name the catalogue does not list but that fits Lambda's naming
// for a family and is newer than anything the catalogue knows of that family: most likely a
// runtime AWS released after the catalogue was made.
type Unlisted struct {
	// Runtime stands in for the unknown runtime: its name and family, with the OS and glibc of the
	// family's newest catalogued runtime (for a newer provided.alYYYY, glibc is left empty:
	// unknown, so no glibc requirement is judged). It has no lifecycle dates.
	Runtime Runtime
	// Newest is the catalogue's newest runtime of the family.
	Newest Runtime
}

// Unlisted reports whether name, absent from the catalogue, looks like a newer runtime of a
// family. It is false for names in the catalogue, names that fit no family pattern ("nodejs22",
// "python3.12.x", "go1.23"), names older than the family's newest (a gap in the catalogue is not
// the future: "nodejs23.x"), and names more than ten releases ahead.
func (c *Catalogue) Unlisted(name string) (Unlisted, bool) {
	if _, ok := c.byName[name]; ok {
		return Unlisted{}, false
	}
	fam, v, ok := parse(name)
	if !ok {
		return Unlisted{}, false
	}
	newest, ok := c.Newest(fam)
	if !ok {
		return Unlisted{}, false
	}
	_, nv, _ := parse(newest.Name)
	if !ahead(fam, v, nv) && !newerJavaOS(c, fam, name, v) {
		return Unlisted{}, false
	}
	rt := Runtime{Name: name, Family: fam, OS: newest.OS, Glibc: newest.Glibc}
	if fam == FamilyProvided {
		// A newer Amazon Linux for custom runtimes: its glibc is not known here.
		rt.OS = fmt.Sprintf("al%d", v.major)
		rt.Glibc = ""
	}
	return Unlisted{Runtime: rt, Newest: newest}, true
}

// ahead reports whether v is newer than the newest nv, within the horizon.
func ahead(fam Family, v, nv version) bool {
	switch fam {
	case FamilyPython, FamilyRuby:
		// X.Y: a later minor of the same major, or the first few minors of the next major
		// (ruby3.4 was followed by ruby4.0).
		switch v.major {
		case nv.major:
			return v.minor > nv.minor && v.minor <= nv.minor+horizon
		case nv.major + 1:
			return v.minor <= horizon
		}
		return false
	case FamilyProvided:
		// provided.al2023's successor is named for a later Amazon Linux year.
		return v.major > nv.major && v.major <= nv.major+horizon
	}
	return v.major > nv.major && v.major <= nv.major+horizon
}

// newerJavaOS reports whether name is a catalogued Java version on a newer Amazon Linux than any
// catalogue entry of that version has (java17.al2023 while the catalogue has java17 on al2): the
// Lambda API's Runtime enum lists such variants (see patterns).
func newerJavaOS(c *Catalogue, fam Family, name string, v version) bool {
	if fam != FamilyJava || v.os == 0 {
		return false
	}
	known := false
	for _, r := range c.Runtimes {
		f, rv, ok := parse(r.Name)
		if !ok || f != FamilyJava || rv.major != v.major {
			continue
		}
		known = true
		if osYear(r.OS) >= v.os {
			return false
		}
	}
	return known
}

// osYear turns al1/al2/al2023 into 1/2/2023 for comparison; anything else is 0.
func osYear(os string) int {
	var n int
	if _, err := fmt.Sscanf(os, "al%d", &n); err != nil || n <= 0 || os != fmt.Sprintf("al%d", n) {
		return 0
	}
	return n
}
