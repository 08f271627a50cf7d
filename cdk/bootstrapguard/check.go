package bootstrapguard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// PackageCheckOptions configure the synth-time check. Every field is optional; nil means all
// defaults, the same defaults as `bootstrap-guard check` and the hook.
type PackageCheckOptions struct {
	// Date (YYYY-MM-DD, UTC) on which runtime deprecations are evaluated. Default: today. Pin it
	// to make a synth read the same every day.
	Date *string
	// WarnDays before a runtime's deprecation date the check starts warning. Default 180; 0
	// disables the warning.
	WarnDays *float64
	// AllowRuntimes are accepted even when deprecated (their findings become warnings);
	// DenyRuntimes are rejected even when supported.
	AllowRuntimes, DenyRuntimes *[]*string
	// SkipRules are rule IDs (as in docs/rules.md) or rule families whose findings are
	// dropped.
	SkipRules *[]*string
	// StrictUpdates makes updating a function on a deprecated runtime an error from the
	// deprecation date, as the hook's BOOTSTRAP_GUARD_STRICT_UPDATES does. Default false.
	StrictUpdates *bool
	// Exemptions says which bootstrap-guard:exempt tags count, as BOOTSTRAP_GUARD_EXEMPTIONS does
	// for the hook: any (default), rules-only or none.
	Exemptions *string
}

// AnnotationIDPrefix starts the ID of every warning the check adds (AddWarningV2), followed by the
// rule ID: Annotations_Of(scope).AcknowledgeWarning("bootstrap-guard:runtime-deprecation-soon", why)
// acknowledges one, and `cdk synth --strict` fails on the rest.
const AnnotationIDPrefix = "bootstrap-guard:"

// NewPackageCheck returns an aspect that checks, at synth time, every Lambda function of the
// constructs it is added to whose code is a local asset (awslambda.Code_FromAsset, and the
// constructs built on it), with the function's runtime, handler, architecture, environment and
// layers (the layers that are local assets are read, others are counted). It uses the same engine
// and rules as `bootstrap-guard check` and the hook. Each error finding becomes an error
// annotation on the function, so `cdk synth` fails naming the construct path, the rule ID, the
// package and the fix; each warning becomes an acknowledgeable warning annotation. A function
// tagged bootstrap-guard:exempt is treated as the hook treats it (package exemptions): a
// whole-function exemption skips it with an info annotation; "RULE[,RULE...]: reason" turns those
// rules' findings into info annotations that say they are exempted, and why.
//
//	awscdk.Aspects_Of(app).Add(bootstrapguard.NewPackageCheck(nil), nil)
//
// A package used by several functions with the same settings is checked once (results are kept by
// asset hash and settings). It panics, naming the option, when an option is invalid.
func NewPackageCheck(opts *PackageCheckOptions) awscdk.IAspect {
	eng, err := engine.New(opts.policy())
	if err != nil {
		panic(fmt.Sprintf("bootstrapguard: PackageCheckOptions: %v", err))
	}
	return &packageCheck{engine: eng, results: map[string]checked{}, layers: map[string]map[string]constructs.IConstruct{}}
}

// policy is the options as the engine's Policy, the one the hook, the CLI and the construct use.
// It panics, naming the option, when one is invalid.
func (opts *PackageCheckOptions) policy() engine.Policy {
	p := engine.DefaultPolicy()
	if opts == nil {
		return p
	}
	p.Allow, p.Deny = list(opts.AllowRuntimes), list(opts.DenyRuntimes)
	if d := str(opts.Date, ""); d != "" {
		day, err := time.Parse(time.DateOnly, d)
		if err != nil {
			panic(fmt.Sprintf("bootstrapguard: PackageCheckOptions.Date %q: want YYYY-MM-DD", d))
		}
		p.Date = day
	}
	if opts.WarnDays != nil {
		w := *opts.WarnDays
		if w < 0 || w != float64(int(w)) || int(w) > engine.MaxWarnDays {
			panic(fmt.Sprintf("bootstrapguard: PackageCheckOptions.WarnDays %v: want a whole number of days, 0 or more", w))
		}
		p.WarnDays = int(w) // 0 turns the warning off
	}
	var err error
	if p.SkipRules, err = engine.ParseRules("bootstrapguard: PackageCheckOptions.SkipRules", list(opts.SkipRules)); err != nil {
		panic(err.Error())
	}
	if p.Exemptions, err = exemptions.ParseMode(str(opts.Exemptions, "")); err != nil {
		panic(fmt.Sprintf("bootstrapguard: PackageCheckOptions.Exemptions %v", err))
	}
	if opts.StrictUpdates != nil {
		p.StrictUpdates = *opts.StrictUpdates
	}
	synthLifecycle(&p) // cmr.go
	return p
}

type checked struct {
	res result.Result
	err error
}

// packageCheck is the aspect. CDK calls Visit once per construct (from its single jsii callback
// goroutine; the mutex keeps it safe if that ever changes).
type packageCheck struct {
	engine *engine.Engine

	mu      sync.Mutex
	results map[string]checked                          // by asset hashes and settings
	layers  map[string]map[string]constructs.IConstruct // stack path -> layer logical ID -> LayerVersion
	// checks counts engine runs, for tests of the cache; spent is the time the check took,
	// jsii calls included, for the benchmark.
	checks int
	spent  time.Duration
}

// CheckStats reports how many packages an aspect made by NewPackageCheck checked (cache hits
// excluded) and how long its checks took in all, jsii round trips included.
func CheckStats(aspect awscdk.IAspect) (checked int, spent time.Duration) {
	p, ok := aspect.(*packageCheck)
	if !ok {
		return 0, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checks, p.spent
}

// Visit registers the check of node if it is the CloudFormation resource of a Lambda function.
// The check itself runs when CDK validates the tree, after every aspect (tags from Tags_Of, which
// run as aspects too, included) has run and before the templates are written, so its annotations
// reach the cloud assembly (aws-cdk-lib: core/lib/private/synthesis.ts: invokeAspects, prepareApp,
// validateTree, then synthesizeTree).
func (p *packageCheck) Visit(node constructs.IConstruct) {
	cfn, ok := node.(awslambda.CfnFunction)
	if !ok {
		return
	}
	cfn.Node().AddValidation(&deferredCheck{p: p, cfn: cfn})
}

// deferredCheck is a constructs.IValidation that reports nothing itself: a validation error
// would abort the synth at the first function, while annotations report every function.
type deferredCheck struct {
	p   *packageCheck
	cfn awslambda.CfnFunction
}

// Validate runs the check and returns no validation error.
func (d *deferredCheck) Validate() *[]*string {
	d.p.check(d.cfn)
	return &[]*string{}
}

func (p *packageCheck) check(cfn awslambda.CfnFunction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	defer func() { p.spent += time.Since(start) }()
	// The annotation goes on the construct the user wrote (the awslambda.Function), whose
	// default child is this resource; a bare CfnFunction gets it itself.
	target := constructs.IConstruct(cfn)
	if scope := cfn.Node().Scope(); scope != nil && scope.Node().DefaultChild() != nil && *scope.Node().DefaultChild().Node().Path() == *cfn.Node().Path() {
		target = scope
	}
	isImage := cfn.PackageType() != nil && *cfn.PackageType() == inspect.PackageImage
	var code *assetCode
	if isImage {
		code = imageAsset(target)
	} else {
		code = localAsset(target)
	}
	if code == nil {
		return // inline code, an S3 object, an image by URI, or a resource of its own: not a local asset
	}
	stack := awscdk.Stack_Of(cfn)
	props := resolvedProps(stack, cfn)
	fn := engine.Function{Function: inspect.Function{
		Target:      *target.Node().Path(),
		Runtime:     asString(props["runtime"]),
		Handler:     asString(props["handler"]),
		PackageType: inspect.PackageZip,
		Env:         resolveEnv(props["environment"]),
	}}
	if isImage {
		// An image asset is a Docker build context; a built image left beside it is read, as
		// `bootstrap-guard check cdk.out` reads it (image.BuiltBeside). Without one the function
		// is SKIP and says nothing.
		fn.PackageType = inspect.PackageImage
		fn.Image = &engine.Image{Ref: image.BuiltBeside(code.staged), Skip: "container image not inspected: " + code.name() + " is the image asset's Docker build context, not a built image"}
		if fn.Image.Ref != "" {
			fn.Image.Skip = ""
		}
		if cfg, _ := props["imageConfig"].(map[string]any); cfg != nil {
			fn.Image.Overrides = image.Overrides{EntryPoint: asStrings(cfg["entryPoint"]), Command: asStrings(cfg["command"]), WorkingDirectory: asString(cfg["workingDirectory"])}
		}
	}
	if tags := cfn.Tags().TagValues(); tags != nil {
		if v, ok := (*tags)[ExemptTag]; ok && v != nil {
			fn.Tags = map[string]string{ExemptTag: *v}
		}
	}
	if archs, _ := props["architectures"].([]any); len(archs) > 0 {
		fn.Architecture = asString(archs[0])
	}
	// Results are kept by what decides them: settings, package and layer hashes, environment,
	// exemption tag.
	synthRuntimeConfig(&fn.Function, props) // cmr.go
	keyParts := []string{fn.Runtime, fn.Handler, fn.Architecture, code.hash, fn.Tags[ExemptTag], runtimeConfigKey(fn.Function)}
	if !p.engine.ExemptWhole(fn.Tags) && !isImage {
		src, closer, err := inspect.OpenPath(code.staged)
		if err != nil {
			awscdk.Annotations_Of(target).AddError(jsii.String(fmt.Sprintf("bootstrap-guard: could not check this function's package %s: %v", code.name(), err)))
			return
		}
		defer closer.Close()
		src.Name = code.name()
		fn.Code = src
		for i, l := range p.functionLayers(stack, props["layers"]) {
			if l.asset == nil {
				fn.Layers = append(fn.Layers, inspect.Source{Name: l.name})
				keyParts = append(keyParts, "layer:"+l.name)
				continue
			}
			ls, lc, err := inspect.OpenPath(l.asset.staged)
			if err != nil {
				awscdk.Annotations_Of(target).AddError(jsii.String(fmt.Sprintf("bootstrap-guard: could not check layer %d (%s): %v", i+1, l.asset.name(), err)))
				return
			}
			defer lc.Close()
			ls.Name = l.name + " (" + l.asset.name() + ")"
			fn.Layers = append(fn.Layers, ls)
			keyParts = append(keyParts, "layer:"+l.asset.hash)
		}
	}
	envJSON, _ := json.Marshal(fn.Env) // map keys are sorted: a stable key
	keyParts = append(keyParts, string(envJSON))
	sum := sha256.Sum256([]byte(strings.Join(keyParts, "\x00")))
	key := hex.EncodeToString(sum[:])

	c, ok := p.results[key]
	if !ok {
		if !p.engine.ExemptWhole(fn.Tags) {
			p.checks++ // an exempt function is not read: no check to count
		}
		c.res, c.err = p.engine.Evaluate(context.Background(), fn)
		p.results[key] = c
	}
	if c.err != nil {
		awscdk.Annotations_Of(target).AddError(jsii.String(fmt.Sprintf("bootstrap-guard: could not check this function's package %s: %v", code.name(), c.err)))
		return
	}
	if c.res.Exempted != nil {
		awscdk.Annotations_Of(target).AddInfo(jsii.String(fmt.Sprintf("bootstrap-guard: not checked, tagged %s=%q", ExemptTag, fn.Tags[ExemptTag])))
		return
	}
	for _, f := range c.res.Findings {
		msg := annotation(f, code.name())
		if f.Exempted != nil {
			// Still reported, but it no longer fails the synth.
			awscdk.Annotations_Of(target).AddInfo(jsii.String(fmt.Sprintf("%s Exempted by the tag %s (%s).", msg, f.Exempted.Tag, f.Exempted.Reason)))
			continue
		}
		switch f.Severity {
		case result.Error:
			awscdk.Annotations_Of(target).AddError(jsii.String(msg))
		case result.Warning:
			awscdk.Annotations_Of(target).AddWarningV2(jsii.String(AnnotationIDPrefix+string(f.Rule)), jsii.String(msg))
		default:
			awscdk.Annotations_Of(target).AddInfo(jsii.String(msg))
		}
	}
}

// annotation renders a finding as one line: rule ID, what is wrong, where, and the fix.
func annotation(f result.Finding, pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", f.Rule, f.Message)
	fmt.Fprintf(&b, " Package: %s", pkg)
	if f.Path != "" {
		fmt.Fprintf(&b, " (entry %s)", f.Path)
	}
	b.WriteString(".")
	if f.Remediation != "" {
		fmt.Fprintf(&b, " Fix: %s", f.Remediation)
	}
	return b.String()
}

// assetCode is a local asset as CDK staged it.
type assetCode struct {
	source string // the path the user gave (a zip, or a directory CDK zips)
	staged string // the copy in the cloud assembly, which is what gets uploaded
	hash   string
}

// name is how messages name the package: the user's own path, relative to the working directory
// when it is below it.
func (a *assetCode) name() string {
	p := a.source
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		}
	}
	return p
}

// localAsset finds the asset of a function's or layer's code. awslambda.Code_FromAsset binds an
// s3_assets.Asset named "Code" under the function (or layer) construct, and the Asset stages its
// source through an AssetStaging named "Stage" (aws-cdk-lib: aws-lambda/lib/code.ts AssetCode.bind,
// aws-s3-assets/lib/asset.ts). Nil when the code is not a local asset.
func localAsset(owner constructs.IConstruct) *assetCode {
	return stagedAsset(owner, "Code", "Stage")
}

type layerRef struct {
	name  string
	asset *assetCode // nil when the layer is not a local asset of this app
}

// functionLayers resolves the function's Layers: a Ref to a LayerVersion of the same stack is
// read from its asset, anything else (an ARN, an import) is a layer whose content is not here,
// as `bootstrap-guard check cdk.out` treats them (internal/cfn/resources.go).
func (p *packageCheck) functionLayers(stack awscdk.Stack, layers any) []layerRef {
	items, _ := layers.([]any)
	if len(items) == 0 {
		return nil
	}
	byID := p.stackLayers(stack)
	var out []layerRef
	for i, it := range items {
		switch v := it.(type) {
		case string:
			out = append(out, layerRef{name: v})
		case map[string]any:
			if ref, ok := v["Ref"].(string); ok {
				if l := byID[ref]; l != nil {
					out = append(out, layerRef{name: *l.Node().Path(), asset: localAsset(l)})
					continue
				}
				out = append(out, layerRef{name: ref})
				continue
			}
			out = append(out, layerRef{name: fmt.Sprintf("layer %d", i+1)})
		default:
			out = append(out, layerRef{name: fmt.Sprintf("layer %d", i+1)})
		}
	}
	return out
}

// stackLayers maps the logical IDs of a stack's layer resources to their owning constructs
// (the awslambda.LayerVersion), once per stack.
func (p *packageCheck) stackLayers(stack awscdk.Stack) map[string]constructs.IConstruct {
	path := *stack.Node().Path()
	if m, ok := p.layers[path]; ok {
		return m
	}
	m := map[string]constructs.IConstruct{}
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		l, ok := c.(awslambda.CfnLayerVersion)
		if !ok || *awscdk.Stack_Of(l).Node().Path() != path {
			continue
		}
		id, _ := resolvedAttributes(stack, l)["aws:cdk:cloudformation:logicalId"].(string)
		owner := constructs.IConstruct(l)
		if scope := l.Node().Scope(); scope != nil {
			owner = scope
		}
		m[id] = owner
	}
	p.layers[path] = m
	return m
}

// resolvedAttributes returns what a CloudFormation resource shows the construct tree inspector
// (the attributes tree.json is made of: aws:cdk:cloudformation:props, :logicalId, :type), with
// every token resolved as in the template. Reading the L1 properties one by one does not work from
// Go for the lazily rendered ones: jsii hands CfnFunction.Environment() of an awslambda.Function
// over as a struct copy whose Variables are lost, while resolving the inspector object resolves
// the Lazy values in place, inside the jsii runtime (aws-cdk-lib: core/lib/tree.ts TreeInspector,
// core/lib/cfn-resource.ts CfnResource.inspect).
func resolvedAttributes(stack awscdk.Stack, r awscdk.IInspectable) map[string]any {
	ti := awscdk.NewTreeInspector()
	r.Inspect(ti)
	resolved, _ := stack.Resolve(ti).(map[string]any)
	attrs, _ := resolved["attributes"].(map[string]any)
	return attrs
}

// resolvedProps returns the resolved CloudFormation properties of r (keys in the camelCase of the
// L1 props: runtime, handler, architectures, environment, layers, packageType).
func resolvedProps(stack awscdk.Stack, r awscdk.IInspectable) map[string]any {
	props, _ := resolvedAttributes(stack, r)["aws:cdk:cloudformation:props"].(map[string]any)
	return props
}

// asStrings is v when it is a list of strings; nil otherwise.
func asStrings(v any) []string {
	items, _ := v.([]any)
	var out []string
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// imageAsset finds the asset of an image function's code. awslambda.DockerImageCode_FromImageAsset
// binds an ecr_assets.DockerImageAsset named "AssetImage" under the function, which stages its
// build context through an AssetStaging named "Staging" (aws-cdk-lib: aws-lambda/lib/code.ts
// AssetImageCode.bind, aws-ecr-assets/lib/image-asset.ts). Nil when the image is not a local
// asset.
func imageAsset(owner constructs.IConstruct) *assetCode {
	return stagedAsset(owner, "AssetImage", "Staging")
}

// stagedAsset is the asset construct named assetID under owner, as its AssetStaging child named
// stagingID staged it; nil when owner has no such asset.
func stagedAsset(owner constructs.IConstruct, assetID, stagingID string) *assetCode {
	asset := owner.Node().TryFindChild(jsii.String(assetID))
	if asset == nil {
		return nil
	}
	stage, ok := asset.Node().TryFindChild(jsii.String(stagingID)).(awscdk.AssetStaging)
	if !ok || stage == nil {
		return nil
	}
	staged := *stage.AbsoluteStagedPath()
	if !filepath.IsAbs(staged) {
		staged = filepath.Join(*awscdk.Stage_Of(asset).Outdir(), staged)
	}
	return &assetCode{source: *stage.SourcePath(), staged: staged, hash: *stage.AssetHash()}
}

// asString is v when it is a string; "" for an intrinsic (a Ref, a GetAtt) known only at deploy.
func asString(v any) string {
	s, _ := v.(string)
	return s
}

// resolveEnv takes Environment.Variables; variables whose value is an intrinsic (a Ref, a
// GetAtt) are left out, since their value is known only at deploy time.
func resolveEnv(env any) map[string]string {
	m, _ := env.(map[string]any)
	vars, _ := m["variables"].(map[string]any)
	if len(vars) == 0 {
		return nil
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
