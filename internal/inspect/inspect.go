// Package inspect decides whether Lambda will be able to start a function and whether its runtime
// is supported. It reads a code package through an io.ReaderAt (a local file, an S3 object, a CDK
// asset: it does not care which), opens only the zip entries it needs and only the bytes of them
// it needs, and returns a result.Result with stable rule IDs.
package inspect

import (
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
)

// Action is the operation CloudFormation (or the user) is about to perform.
type Action string

// Actions. Deprecation blocks apply to create and update separately.
const (
	Create Action = "create"
	Update Action = "update"
)

// Package types. An empty value means Zip.
const (
	PackageZip   = "Zip"
	PackageImage = "Image"
)

// Source is one code package: the function's own, or a layer's (see source.Package).
type Source = source.Package

// The rule families the zip engine decides (see result.Family; internal/engine registers them).
var (
	PackageFamily = result.Family{Name: "package", Package: "internal/inspect",
		Doc:   "The package and its layers as Lambda receives them: a readable zip, within the size and layer limits, for an architecture Lambda has.",
		Rules: []result.RuleID{result.PackageUnreadable, result.PackageTooLarge, result.LayersTooMany, result.ArchitectureUnknown}}
	BootstrapFamily = result.Family{Name: "bootstrap", Package: "internal/inspect",
		Doc:   "The executable a custom runtime (or go1.x) starts: at the root, executable, for Linux on the function's CPU, with its interpreter and glibc.",
		Rules: append([]result.RuleID{result.BootstrapMissing, result.BootstrapNested}, bootstrapExe.ids()...)}
	ExecWrapperFamily = result.Family{Name: "exec-wrapper", Package: "internal/inspect",
		Doc:   "The AWS_LAMBDA_EXEC_WRAPPER script or binary of a managed runtime, checked as a bootstrap is.",
		Rules: wrapperExe.ids()}
	HandlerFamily = result.Family{Name: "handler", Package: "internal/handler",
		Doc: "The handler a managed runtime loads, resolved as its runtime interface client resolves it, on the package and its layers, and the module it loads as the runtime's loader reads it.",
		Rules: []result.RuleID{result.HandlerMissing, result.HandlerNotReadable, result.HandlerSyntaxError, result.HandlerModuleFormat,
			result.HandlerCallbackRemoved, result.HandlerContextMethods, result.HandlerTypeScript}}
	PathsFamily = result.Family{Name: "paths", Package: "internal/inspect",
		Doc:   "Entry names and modes: folders Lambda's user cannot traverse, modes other hosts wrote, duplicates, unsafe and backslashed names.",
		Rules: []result.RuleID{result.PathNotTraversable, result.ModeForeignHost, result.PathDuplicate, result.PathUnsafe, result.PathBackslash}}
	RuntimeFamily = result.Family{Name: "runtime", Package: "internal/runtimes",
		Doc:   "The Runtime against the runtime catalogue and the platform's allow and deny lists.",
		Rules: []result.RuleID{result.RuntimeMissing, result.RuntimeUnknown, result.RuntimeUnlisted, result.RuntimeDenied, result.RuntimeDeprecated, result.RuntimeDeprecationSoon}}
	CustomRuntimeFamily = result.Family{Name: "custom-runtime", Package: "internal/cmr",
		Doc: "Customer-managed runtimes (Runtime: custom with RuntimeConfig): a complete, valid configuration for a .zip function, and the alias's release lifecycle, architectures and state.",
		Rules: []result.RuleID{result.CustomRuntimeConfigMissing, result.CustomRuntimeConfigMismatch, result.CustomRuntimeConfigInvalid, result.CustomRuntimeImage,
			result.CustomRuntimeDeprecated, result.CustomRuntimeArchMismatch, result.CustomRuntimeState, result.CustomRuntimeUnchecked}}
	DurableFamily = result.Family{Name: "durable", Package: "internal/inspect",
		Doc:   "Durable functions (DurableConfig): the durable execution SDK in the package or a layer, found by the runtime's own resolver.",
		Rules: []result.RuleID{result.DurableSDKMissing}}
	ExtensionFamily = result.Family{Name: "extension", Package: "internal/inspect",
		Doc:   "Lambda extensions in /opt/extensions: executable, for Linux on the function's CPU, with the runtime's glibc.",
		Rules: []result.RuleID{result.ExtensionNotExecutable, result.ExtensionNotLinux, result.ExtensionArchMismatch, result.ExtensionGlibc, result.ExtensionScriptCRLF}}
)

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

// SourceError reports that the bytes of a source could not be read: the check could not decide.
// It is the source layer's one read error (source.Error), distinct from a package that was read
// and found corrupt, which is a package-unreadable finding.
type SourceError = source.Error

// IsSourceError reports whether err (or anything it wraps) is a *SourceError.
func IsSourceError(err error) bool { return source.IsError(err) }
