// Package result holds what a check produces: a verdict per function with findings that carry
// stable rule IDs. Renderers (text, JSON, SARIF, the hook response) read these types and nothing
// else, so every output says the same thing.
package result

import (
	"slices"
	"strconv"
)

// Severity of a finding. Only errors fail a function.
type Severity string

// Severities, from most to least serious.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Architectures Lambda accepts (a function's Architectures, Result.Architecture). An empty value
// means x86_64, Lambda's default. Every package that names an architecture uses these.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// Status is the verdict on one function.
type Status string

// Statuses. SKIP means nothing could be checked by design (a container image), not a failure to
// read: a check that could not decide returns an error instead of a Result.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Finding is one problem (or note) about a function.
type Finding struct {
	Rule        RuleID   `json:"rule"`
	Severity    Severity `json:"severity"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation"`
	Path        string   `json:"path"` // path inside the package, as Lambda will see it; "" when none
	// Exempted is set when an exemption covers the finding: it is still reported, but an exempted
	// error no longer fails the function.
	Exempted *Exempted `json:"exempted,omitempty"`
}

// Exempted says why a finding (or a whole function) is exempt.
type Exempted struct {
	Reason string `json:"reason"`
	Tag    string `json:"tag"` // where the exemption comes from: the bootstrap-guard:exempt tag
}

// Counts reports whether the finding counts toward the verdict (it is not exempted).
func (f Finding) Counts() bool { return f.Exempted == nil }

// Result is the verdict on one function.
type Result struct {
	Target       string    `json:"target"`
	Runtime      string    `json:"runtime"`
	Architecture string    `json:"architecture"`
	Status       Status    `json:"status"`
	Findings     []Finding `json:"findings"`
	// Image names the container image a PackageType: Image function was checked against, pinned
	// to the digest that was read (REGISTRY/REPO@sha256:…); "" for zip functions.
	Image string `json:"image,omitempty"`
	// Evaluated lists every rule that was applied, with or without a finding; the hook turns
	// each into an annotation so the console shows what passed as well as what failed.
	Evaluated []RuleID `json:"-"`
	// Source is the file the function came from (a zip, a template), for renderers that point at
	// files, such as SARIF. It is not part of the JSON contract.
	Source string `json:"-"`
	// SkipReason says why a SKIP result was not checked.
	SkipReason string `json:"-"`
	// Exempted is set when the whole function is exempt (and SKIP: not checked).
	Exempted *Exempted `json:"exempted,omitempty"`
	// Location is where the function is defined, for functions read from a template: text output
	// prints file:line, SARIF a region. Absent for zips, directories and S3 objects.
	Location *Location `json:"location,omitempty"`
	// Package says whether the function's code package was inspected and where it is. Set for
	// every function the CLI checks (zips, directories and S3 objects are inspected when they can
	// be read at all); absent only in hook responses.
	Package *Package `json:"package,omitempty"`
	// Origin is where the function is declared in the project a deployment tool built the
	// template from: the Serverless Framework function, the CDK construct and asset folder.
	Origin *Origin `json:"origin,omitempty"`
}

// Origin is a function's place in the project its template was generated from.
type Origin struct {
	// Tool is the deployment tool: "serverless", "sam" or "cdk".
	Tool string `json:"tool"`
	// Function is the function's name in serverless.yml.
	Function string `json:"function,omitempty"`
	// Config is where the function is declared in the tool's configuration (serverless.yml).
	Config *Location `json:"config,omitempty"`
	// ConstructPath is the CDK construct path (the resource's aws:cdk:path metadata).
	ConstructPath string `json:"constructPath,omitempty"`
	// AssetSource is the folder (or file) a CDK asset was staged from, relative to the working
	// directory when it is below it; "" when the assembly does not tell.
	AssetSource string `json:"assetSource,omitempty"`
}

// Location is a position in a file: 1-based line and column (0 when unknown).
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String renders file:line (file alone without a line).
func (l Location) String() string {
	if l.Line > 0 {
		return l.File + ":" + strconv.Itoa(l.Line)
	}
	return l.File
}

// Package is what was known of a template function's code package. When Inspected is false, only
// the rules that need no files (runtime, architecture, the handler's form) were applied, Reason is
// one of the PackageReason values and a package-not-inspected finding says the same in words.
type Package struct {
	Inspected bool `json:"inspected"`
	// Source is where the package is: a local path, s3://bucket/key, "inline", an image URI.
	Source string `json:"source,omitempty"`
	// Reason is why the package was not inspected; empty when it was.
	Reason PackageReason `json:"reason,omitempty"`
	// Detail says the same in words, with the specifics (the parameter without a value).
	Detail string `json:"detail,omitempty"`
}

// PackageReason is why a template function's package was not inspected. The values are part of
// the JSON contract.
type PackageReason string

// Reasons a package was not inspected.
const (
	// ReasonS3Object: the code is an S3 object and --s3 was not given.
	ReasonS3Object PackageReason = "s3-object"
	// ReasonMissingPath: the local path the template names (CodeUri, a CDK asset) is not there.
	ReasonMissingPath PackageReason = "missing-local-path"
	// ReasonUnresolved: where the code is depends on an intrinsic function that cannot be
	// evaluated before deployment (a Ref to a parameter without a value, Fn::GetAtt).
	ReasonUnresolved PackageReason = "unresolved-intrinsic"
	// ReasonInvalid: the code property is malformed (CodeUri: {Key: x} without a Bucket).
	ReasonInvalid PackageReason = "invalid"
	// ReasonImage: a container image (the result is SKIP).
	ReasonImage PackageReason = "image"
	// ReasonUnreadable: the package could not be read: with --s3, an object missing or denied;
	// or a read that failed during the check.
	ReasonUnreadable PackageReason = "unreadable"
	// ReasonNeedsBuild: a SAM CodeUri that is a source directory sam build compiles (a Maven,
	// Gradle, .NET, Go or Cargo project, or a Metadata BuildMethod): the deployed package is the
	// build's output, not these files.
	ReasonNeedsBuild PackageReason = "needs-build"
	// ReasonExempt: the function is exempt as a whole (the result is SKIP), so its package was
	// not read.
	ReasonExempt PackageReason = "exempt"
)

// Finish sorts findings (exempted ones last, errors first, then by rule and path), removes
// duplicate evaluated rule IDs and sets Status from the findings: FAIL if and only if there is an
// error that is not exempted. A result whose SkipReason is set stays SKIP. It may be called again
// after findings change (exemptions are applied to a finished result).
func (r *Result) Finish() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		// What still counts comes first: exempted findings are reported after the live ones.
		if a.Counts() != b.Counts() {
			if a.Counts() {
				return -1
			}
			return 1
		}
		if d := a.Severity.rank() - b.Severity.rank(); d != 0 {
			return d
		}
		if a.Rule != b.Rule {
			return compareRank(a.Rule, b.Rule)
		}
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	seen := make(map[RuleID]bool, len(r.Evaluated))
	ev := r.Evaluated[:0]
	for _, id := range r.Evaluated {
		if !seen[id] {
			seen[id] = true
			ev = append(ev, id)
		}
	}
	r.Evaluated = ev
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	switch {
	case r.HasErrors():
		r.Status = Fail
	case r.SkipReason != "":
		r.Status = Skip
	default:
		r.Status = Pass
	}
}

// HasErrors reports whether any finding is an error that is not exempted.
func (r *Result) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == Error && f.Counts() {
			return true
		}
	}
	return false
}

// FindingsFor returns the findings of one rule.
func (r *Result) FindingsFor(id RuleID) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}
