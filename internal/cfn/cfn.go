// Package cfn reads CloudFormation templates (JSON or YAML, including SAM) and CDK cloud
// assemblies and turns every Lambda function in them into an inspect.Function whose code is the
// package it will be deployed from: a local asset, an S3 object (read only when asked), or a
// package that is not available here, in which case the function is still judged on what needs no
// files and says why its package was not inspected. Values given by intrinsic functions are
// folded by package intrinsic when their inputs are known before deployment.
package cfn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/safeio"
)

// ErrTemplate is matched by errors about a template's content: the input is not a template.
var ErrTemplate = errors.New("cfn: unusable template")

// maxTemplate bounds a template read. CloudFormation's own limit is 1 MB from S3; a synthesized
// CDK template may be larger before CDK splits it, so the bound is generous.
const maxTemplate = 16 << 20

// Function is one function found in a template.
type Function struct {
	inspect.Function
	// Template is the file the function is defined in; Line and Column are where its logical ID
	// is written.
	Template     string
	Line, Column int
	// Tags are the function's tags as the hook will see them (CloudFormation's Tags list, SAM's
	// Tags map, SAM Globals), for exemptions. Nil means none.
	Tags map[string]string
	// Package says whether Code is the function's package or only names it.
	Package result.Package
	// Skip, when set, says why the function will not be created (its Condition is false).
	Skip string
	// Image is set for a container-image function (PackageType: Image).
	Image *Image
	// LogicalID is the resource's logical ID; Metadata its scalar Metadata entries (CDK's
	// aws:cdk:path and aws:asset:*, SAM's BuildMethod), for telling where it came from.
	LogicalID string
	Metadata  map[string]string
	// notes are template findings: values that stayed unresolved, the package not inspected.
	notes []result.Finding
	// unresolved records which of runtime, handler and architecture could not be evaluated.
	unresolved map[result.RuleID]bool
	// archs counts Architectures entries when there is more than one.
	archs int
}

// note records a template finding, with its rule's severity (result.Finding, as every rule
// family produces).
func (f *Function) note(rule result.RuleID, msg, fix string) {
	r, _ := result.Lookup(rule)
	f.notes = append(f.notes, result.Finding{Rule: rule, Severity: r.Severity, Message: msg, Remediation: fix})
}

// Options tune how a template is read.
type Options struct {
	// Assets is the directory local code paths are relative to (default: the template's).
	Assets string
	// Parameters are parameter values (and pseudo parameters such as AWS::Region) that win over
	// the template's defaults.
	Parameters map[string]string
	// OpenS3, when set, reads code stored in S3 (--s3). The Source it returns is closed by the
	// caller's own means; a nil OpenS3 leaves S3 packages uninspected (reason s3-object).
	OpenS3 func(bucket, key, version string) (inspect.Source, error)
	// Artifacts, by logical ID, are the packages a packaging tool uploads in place of what the
	// template's Code names (the Serverless Framework's zips); see Artifact.
	Artifacts map[string]Artifact
	// Built says the template is sam build's output: its CodeUri folders are built packages even
	// where the resource keeps its Metadata BuildMethod.
	Built bool
}

// Set is what a template or assembly holds, with the asset files opened for reading.
type Set struct {
	Functions []Function
	// Warnings are problems with the template that concern no one function (an Fn::ForEach loop
	// that could not be expanded); the CLI prints them on stderr.
	Warnings []string
	closers  []io.Closer
	opts     Options
	declared map[string]bool // parameters declared by the templates read
	// assemblies holds the cloud assembly directories read (absolute paths).
	assemblies map[string]bool
}

// Close closes the opened asset files.
func (s *Set) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// parseTemplate decodes a template and checks that it is one: a map with a Resources map.
// Warnings about the template (repeated keys that decide nothing judged) go to the set.
func (s *Set) parseTemplate(b []byte, name string) (*intrinsic.Node, error) {
	t, warnings, err := parseNodeWarn(b, name)
	if err != nil {
		return nil, err
	}
	r := t.Get("Resources")
	if r == nil || r.Kind != intrinsic.Map {
		return nil, fmt.Errorf("%w: %s has no Resources map, so it is not a CloudFormation template", ErrTemplate, name)
	}
	s.Warnings = append(s.Warnings, warnings...)
	return t, nil
}

// assets maps what a template says about code (an asset path, an S3 object key) to local files.
type assets struct {
	dir   string            // asset paths are relative to it
	byKey map[string]string // S3 object key -> asset path, from asset manifests
}

// LoadTemplate reads one template; asset paths in it are relative to assetsDir (for SAM, CodeUri is
// relative to the template's directory when assetsDir is empty).
func LoadTemplate(path, assetsDir string) (*Set, error) {
	return Load(path, Options{Assets: assetsDir})
}

// Load reads one template with options.
func Load(path string, opts Options) (*Set, error) {
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	s := &Set{opts: opts}
	t, err := s.parseTemplate(b, path)
	if err != nil {
		return nil, err
	}
	dir := opts.Assets
	if dir == "" {
		dir = filepath.Dir(path)
	}
	a := &assets{dir: dir, byKey: map[string]string{}}
	stack := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	stack = strings.TrimSuffix(stack, ".template")
	s.add(t, stack, path, a)
	s.unknownParameters()
	return s, nil
}

// unknownParameters warns about given parameters no template of the set declares: a typo would
// otherwise leave the default in force without a word (CloudFormation rejects such a key).
func (s *Set) unknownParameters() {
	var unknown []string
	for k := range s.opts.Parameters {
		if !s.declared[k] && !strings.HasPrefix(k, "AWS::") {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		s.Warnings = append(s.Warnings, fmt.Sprintf("parameter %s is given but no template declares it", k))
	}
}

// readLimited reads a template or manifest: a regular file (a FIFO or device is refused without
// blocking) of at most maxTemplate bytes (a larger one is refused from its size, unread).
func readLimited(path string) ([]byte, error) {
	b, err := safeio.ReadFile(path, maxTemplate)
	if errors.Is(err, safeio.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return b, err
}

// add collects the functions of a parsed template, in logical-ID order. It does not fail: what
// cannot be known about one function becomes a note on that function.
func (s *Set) add(t *intrinsic.Node, stack, file string, a *assets) {
	ev := intrinsic.New(t, s.opts.Parameters)
	for _, err := range expandForEach(t, ev) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %v", file, err))
	}
	if ps := t.Get("Parameters"); ps != nil && ps.Kind == intrinsic.Map {
		if s.declared == nil {
			s.declared = map[string]bool{}
		}
		for _, k := range ps.Keys {
			s.declared[k] = true
		}
	}
	res := t.Get("Resources")
	// The last occurrence of a repeated logical ID wins, as with Get.
	index := make(map[string]int, len(res.Keys))
	for i, k := range res.Keys {
		index[k] = i
	}
	ids := make([]string, 0, len(index))
	for id := range index {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	r := &reader{set: s, t: t, ev: ev, a: a, file: file}
	for _, id := range ids {
		i := index[id]
		node := res.Vals[i]
		typ, _ := scalarValue(node.Get("Type"))
		if typ != "AWS::Lambda::Function" && typ != "AWS::Serverless::Function" {
			continue
		}
		f := Function{Template: file}
		if i < len(res.KeyLines) && i < len(res.KeyColumns) {
			f.Line, f.Column = res.KeyLines[i], res.KeyColumns[i]
		} else if node != nil {
			f.Line, f.Column = node.Line, node.Column
		}
		f.Target = stack + "/" + id
		f.LogicalID, f.Metadata = id, scalars(node.Get("Metadata"))
		r.function(&f, id, node, typ == "AWS::Serverless::Function")
		s.Functions = append(s.Functions, f)
	}
}

func scalarValue(n *intrinsic.Node) (string, bool) {
	if n == nil || n.Kind != intrinsic.Scalar {
		return "", false
	}
	return n.Value, true
}

// Apply adds what the template says about the function to its result: where it is defined, what
// became of its package, and the template findings (unresolved values, package not inspected).
// Findings the engine made for want of a value that is only unresolved (runtime-missing for a
// Runtime given by !Ref to a parameter without a value) are replaced by the unresolved warning.
func (f *Function) Apply(res *result.Result) {
	res.Location = &result.Location{File: f.Template, Line: f.Line, Column: f.Column}
	if res.Source == "" {
		res.Source = f.Template
	}
	pkg := f.Package
	res.Package = &pkg
	drop := map[result.RuleID]bool{}
	if f.unresolved[result.RuntimeUnresolved] {
		drop[result.RuntimeMissing] = true
	}
	if f.unresolved[result.HandlerUnresolved] {
		drop[result.HandlerMissing] = true
		drop[result.HandlerNotReadable] = true
	}
	if f.unresolved[result.ArchitectureUnresolved] {
		// The engine assumed x86_64; a mismatch with that guess is not a finding.
		drop[result.BootstrapArchMismatch] = true
		drop[result.ImageArchMismatch] = true
		drop[result.ArchitectureUnknown] = true
	}
	if len(drop) > 0 {
		kept := res.Findings[:0]
		for _, fd := range res.Findings {
			if !drop[fd.Rule] {
				kept = append(kept, fd)
			}
		}
		res.Findings = kept
	}
	if f.archs > 1 {
		for i, fd := range res.Findings {
			if fd.Rule == result.ArchitectureUnknown {
				// SAM concatenates Globals' list with the function's
				// (samtranslator/plugins/globals/globals.py; aws/serverless-application-model#3945
				// proposes replacing instead): say so rather than print the joined value.
				res.Findings[i].Message = fmt.Sprintf("Architectures has %d entries (%s): Lambda takes exactly one. In a SAM template, a function's Architectures is appended to Globals' rather than replacing it.", f.archs, f.Architecture)
				res.Findings[i].Remediation = "Give Architectures once: in Globals or in the function, or add IgnoreGlobals: [Architectures] to the function."
			}
		}
	}
	for _, n := range f.notes {
		if _, ok := result.Lookup(n.Rule); ok {
			res.Findings = append(res.Findings, n)
			res.Evaluated = append(res.Evaluated, n.Rule)
		}
	}
	res.Finish()
}

// CheckWithout checks the function again after readErr, a failure to read its package or a
// layer during a check (an S3 object that failed mid-read, a directory that vanished): what could
// not be read is judged as not available here, with a package-not-inspected finding for the
// package, instead of the whole run failing. The result still needs Apply.
func (f *Function) CheckWithout(ctx context.Context, c *inspect.Checker, readErr error) (result.Result, error) {
	var se *inspect.SourceError
	errors.As(readErr, &se)
	if se != nil && f.isLayer(se.Source) {
		for i := range f.Layers {
			f.Layers[i] = inspect.Source{Name: f.Layers[i].Name + " (not read: " + se.Err.Error() + ")"}
		}
	} else {
		src := f.Package.Source
		if src == "" {
			src = f.Code.Name
		}
		f.notInspected(result.ReasonUnreadable, src, fmt.Sprintf("reading it failed: %v", readErr))
		f.note(result.PackageNotInspected, fmt.Sprintf("The code package (%s) was not inspected: %s. Only the runtime, architecture and the handler's form were checked.", src, f.Package.Detail),
			"Check the package can be read (for S3: it exists and your credentials may read it) and run the check again.")
	}
	return c.Check(ctx, f.Function)
}

// isLayer reports whether a source name (a file inside a directory, an S3 URL) belongs to one of
// the function's layers rather than its own package.
func (f *Function) isLayer(name string) bool {
	within := func(s inspect.Source) bool {
		return name == s.Name || s.Dir != "" && (name == s.Dir || strings.HasPrefix(name, s.Dir+string(filepath.Separator)))
	}
	if within(f.Code) {
		return false
	}
	for _, l := range f.Layers {
		if within(l) {
			return true
		}
	}
	return false
}

// SkipResult is the result of a function that will not be created.
func (f *Function) SkipResult() result.Result {
	res := result.Result{Target: f.Target, Runtime: f.Runtime, Architecture: f.Architecture, SkipReason: f.Skip}
	res.Location = &result.Location{File: f.Template, Line: f.Line, Column: f.Column}
	res.Source = f.Template
	pkg := f.Package
	res.Package = &pkg
	res.Finish()
	return res
}
