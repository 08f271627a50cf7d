// Package inspect decides whether Lambda will be able to start a function and whether its runtime
// is supported. It reads a code package through an io.ReaderAt (a local file, an S3 object, a CDK
// asset: it does not care which), opens only the zip entries it needs and only the bytes of them
// it needs, and returns a result.Result with stable rule IDs.
package inspect

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// Action is the operation CloudFormation (or the user) is about to perform.
type Action string

// Actions. Deprecation blocks apply to create and update separately.
const (
	Create Action = "create"
	Update Action = "update"
)

// Architectures Lambda accepts. An empty value means x86_64, Lambda's default.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// Package types. An empty value means Zip.
const (
	PackageZip   = "Zip"
	PackageImage = "Image"
)

// Source is one code package: the function's own, or a layer's. Exactly one of ReaderAt (a zip of
// Size bytes), Dir (an unpacked directory) or Inline (Code.ZipFile: source text in the template)
// is set, or none: a package named but not available here (a layer ARN; a template's S3 object or
// missing path), which is judged only by what does not need its files.
type Source struct {
	// Name identifies the source in messages and errors: a file path, s3://bucket/key, a layer ARN.
	Name     string
	ReaderAt io.ReaderAt
	Size     int64
	Dir      string
	Inline   bool
}

// Function is what is known about one function before it exists.
type Function struct {
	Target       string // how results name the function: logical ID, file name
	Runtime      string
	Handler      string
	Architecture string // x86_64 (default) or arm64
	PackageType  string // Zip (default) or Image
	Action       Action // create (default) or update
	Code         Source
	Layers       []Source // in the order Lambda extracts them into /opt (later ones win)
	// Env is the function's environment (Environment.Variables): AWS_LAMBDA_EXEC_WRAPPER,
	// NODE_PATH, PYTHONPATH and the like change how Lambda starts the code. Nil means none.
	Env map[string]string
	// RuntimeConfig names a customer-managed runtime (with Runtime: custom); nil when the
	// function sets none.
	RuntimeConfig *cmr.Config
	// Durable is set when the function has a DurableConfig (a durable function).
	Durable bool
}

// Options configure a Checker. The zero value is usable: the embedded runtime catalogue, today's
// date, a 180-day deprecation warning window, no allow or deny list.
type Options struct {
	Catalogue *runtimes.Catalogue
	// Now returns the evaluation date; nil means time.Now. Set it to evaluate against another day.
	Now func() time.Time
	// WarnWindow is how long before deprecation runtime-deprecation-soon starts warning.
	// Zero means 180 days; negative disables the warning.
	WarnWindow time.Duration
	// Allow lists runtimes accepted even when deprecated (their findings become warnings).
	Allow []string
	// Deny lists runtimes rejected even when supported (runtime-denied).
	Deny []string
	// StrictUpdates makes updating a function on a deprecated runtime an error from the
	// deprecation date. By default it is a warning until Lambda's update-block date, when Lambda
	// starts rejecting it (creating one is an error from the deprecation date either way).
	StrictUpdates bool
	// CustomRuntimes reads a customer-managed runtime's alias (release lifecycle, architectures,
	// state) through the Lambda Core API; nil leaves them unchecked, with a note saying
	// CustomRuntimesOff (why: no AWS credentials, say).
	CustomRuntimes    cmr.Reader
	CustomRuntimesOff string
	// CustomRuntimeFailure is the severity of custom-runtime-unchecked when the read fails:
	// Warning when empty; the hook's fail-closed mode makes it Error.
	CustomRuntimeFailure result.Severity
}

// DefaultWarnWindow is the default lead time of runtime-deprecation-soon.
const DefaultWarnWindow = 180 * 24 * time.Hour

// SourceError reports that the bytes of a source could not be read (network, permissions, a file
// that vanished): the check could not decide. It is distinct from a package that was read and
// found corrupt, which is a package-unreadable finding.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("read %s: %v", e.Source, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// IsSourceError reports whether err (or anything it wraps) is a *SourceError.
func IsSourceError(err error) bool {
	var se *SourceError
	return errors.As(err, &se)
}
