package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/zipread"
)

// MaxUnzipped is Lambda's limit on the function plus all its layers, unzipped.
const MaxUnzipped = 262_144_000

// MaxLayers is how many layers a function may have.
const MaxLayers = 5

// Checker applies the rules. It is safe for concurrent use.
type Checker struct {
	cat         *runtimes.Catalogue
	now         func() time.Time
	window      time.Duration
	allow, deny map[string]bool
	// strictUpdates makes an update on a deprecated runtime an error before Lambda's update-block
	// date (Options.StrictUpdates).
	strictUpdates bool
	// Customer-managed runtimes (runtime_cmr.go).
	cmrs       cmr.Reader
	cmrsOff    string
	cmrFailure result.Severity
}

// New returns a Checker for opts.
func New(opts Options) *Checker {
	c := &Checker{cat: opts.Catalogue, now: opts.Now, window: opts.WarnWindow, allow: set(opts.Allow), deny: set(opts.Deny), strictUpdates: opts.StrictUpdates,
		cmrs: opts.CustomRuntimes, cmrsOff: opts.CustomRuntimesOff, cmrFailure: opts.CustomRuntimeFailure}
	if c.cat == nil {
		c.cat = runtimes.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.window == 0 {
		c.window = DefaultWarnWindow
	}
	return c
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}

// check is the state of one Check call.
type check struct {
	*Checker
	ctx  context.Context
	fn   Function
	day  time.Time
	res  *result.Result
	rt   runtimes.Runtime
	view fsView
	exe  *exeRuleSet // the rules of the executable being checked; nil means bootstrap-*
}

func (k *check) evaluated(ids ...result.RuleID) {
	k.res.Evaluated = append(k.res.Evaluated, ids...)
}

func (k *check) add(id result.RuleID, sev result.Severity, path, msg, fix string) {
	k.res.Findings = append(k.res.Findings, result.Finding{Rule: id, Severity: sev, Message: msg, Remediation: fix, Path: path})
}

// Check decides whether Lambda will be able to start fn. It returns an error only when it could not
// decide: a source could not be read (the error wraps a *SourceError) or ctx ended.
func (c *Checker) Check(ctx context.Context, fn Function) (result.Result, error) {
	if fn.Architecture == "" {
		fn.Architecture = result.ArchX86
	}
	if fn.PackageType == "" {
		fn.PackageType = PackageZip
	}
	if fn.Action == "" {
		fn.Action = Create
	}
	res := result.Result{Target: fn.Target, Runtime: fn.Runtime, Architecture: fn.Architecture}
	k := &check{Checker: c, ctx: ctx, fn: fn, day: c.now().UTC(), res: &res}
	if err := k.run(); err != nil {
		return result.Result{}, fmt.Errorf("check %s: %w", fn.Target, err)
	}
	res.Finish()
	return res, nil
}

func (k *check) run() error {
	if err := k.ctx.Err(); err != nil {
		return err
	}
	if k.fn.PackageType == PackageImage {
		k.customRuntimeImageRule() // runtime_cmr.go
		k.res.SkipReason = "container image: Lambda starts the image's own entrypoint, so there is no zip to inspect"
		return nil
	}
	known := k.runtimeRules()
	k.architectureRule()

	// Open the function's package and its layers.
	k.evaluated(result.PackageUnreadable)
	task, err := k.open(k.fn.Code, taskRoot, "function package")
	if err != nil {
		return err
	}
	k.view.task = task
	k.evaluated(result.LayersTooMany)
	if len(k.fn.Layers) > MaxLayers {
		k.add(result.LayersTooMany, result.Error, "", fmt.Sprintf("%d layers; Lambda allows at most %d.", len(k.fn.Layers), MaxLayers),
			"Merge layers or move their content into the function package.")
	}
	for i, l := range k.fn.Layers {
		if l.Name == "" {
			l.Name = fmt.Sprintf("layer %d", i+1)
		}
		lt, err := k.open(l, optRoot, "layer "+l.Name)
		if err != nil {
			return err
		}
		if lt != nil {
			k.view.layers = append(k.view.layers, lt)
		}
	}
	if task == nil {
		return nil // unreadable: package-unreadable says so; nothing else can be judged
	}
	if task.opaque {
		// The package is not available here (an S3 object not read, a path not present): the
		// runtime and architecture are judged, and the handler's form, nothing that needs files.
		// The caller says why the package was not inspected.
		if known && !k.rt.OSOnly() && k.rt.Family != runtimes.FamilyGo {
			return k.handlerRules()
		}
		return nil
	}
	if err := k.ctx.Err(); err != nil {
		return err
	}
	k.sizeRule()
	k.pathRules()
	if !known {
		return nil
	}
	switch {
	case k.rt.OSOnly():
		err = k.bootstrapRules()
	case k.rt.Family == runtimes.FamilyGo:
		err = k.goHandlerRules()
	default:
		err = k.handlerRules()
	}
	if err != nil {
		return err
	}
	if err := k.durableRule(); err != nil { // runtime_durable.go
		return err
	}
	return k.nativeRules() // native.go: native code and Lambda extensions
}

// open indexes a source; a corrupt one becomes a package-unreadable finding and a nil tree.
func (k *check) open(src Source, root, what string) (*tree, error) {
	t, err := openTree(src, root)
	if err == nil && t.overflow > 0 {
		// A folder of more files than a zip may hold entries here (zipread.MaxEntries).
		// Lambda's limit is on bytes: 262,144,000 unzipped, function and layers
		// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
		if t.unzipped >= MaxUnzipped {
			k.evaluated(result.PackageTooLarge)
			k.add(result.PackageTooLarge, result.Error, "",
				fmt.Sprintf("The %s %s holds more than %d files adding up to at least %d bytes; Lambda's limit is %d unzipped (\"Unzipped size must be smaller than 262144000 bytes\").", what, src.Name, maxDirFiles, t.unzipped, MaxUnzipped),
				"Deploy only what the function needs (build output, not the source tree), or deploy as a container image (10 GB limit).")
		} else {
			k.add(result.PackageUnreadable, result.Error, "",
				fmt.Sprintf("The %s %s holds more than %d files, more than are read of a package (the bound on a zip's entries), so it cannot be checked.", what, src.Name, maxDirFiles),
				"Deploy only what the function needs (build output, not the source tree): a package of this many files is almost always a directory given by mistake.")
		}
		return nil, nil
	}
	if err == nil {
		if t.zr != nil {
			if a, b, ok := t.zr.Overlap(); ok {
				k.add(result.PackageUnreadable, result.Error, a.Name,
					fmt.Sprintf("The %s %s is malformed: entries %q and %q overlap, a construction used by zip bombs; no zip tool writes it.", what, src.Name, a.Name, b.Name),
					"Rebuild the package with a standard zip tool.")
				return nil, nil
			}
		}
		return t, nil
	}
	if IsSourceError(err) || !errors.Is(err, zipread.ErrFormat) {
		return nil, fmt.Errorf("open %s %s: %w", what, src.Name, err)
	}
	k.add(result.PackageUnreadable, result.Error, "",
		fmt.Sprintf("The %s %s is not a readable zip archive: %v. Lambda rejects it or cannot extract it.", what, src.Name, err),
		"Rebuild the package with a standard zip tool (zip -j out.zip bootstrap, or your framework's packager) and upload it again; check the upload was not truncated.")
	return nil, nil
}

func (k *check) architectureRule() {
	k.evaluated(result.ArchitectureUnknown)
	switch k.fn.Architecture {
	case result.ArchX86, result.ArchARM:
		return
	}
	k.add(result.ArchitectureUnknown, result.Error, "",
		fmt.Sprintf("Architecture %q is not a Lambda architecture; Lambda accepts x86_64 or arm64.", k.fn.Architecture),
		"Set Architectures to [x86_64] or [arm64].")
}

func (k *check) sizeRule() {
	k.evaluated(result.PackageTooLarge)
	total := k.view.task.unzipped
	for _, l := range k.view.layers {
		total = min(total+l.unzipped, 1<<62)
	}
	if total >= MaxUnzipped {
		k.add(result.PackageTooLarge, result.Error, "",
			fmt.Sprintf("The function and its layers unzip to %d bytes; Lambda's limit is %d (\"Unzipped size must be smaller than 262144000 bytes\").", total, MaxUnzipped),
			"Strip debug symbols (-ldflags=\"-s -w\"), drop unused dependencies, move large data to S3 or EFS, or deploy as a container image (10 GB limit).")
	}
}
