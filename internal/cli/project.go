package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/project"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// loadProject checks PATH for what a deployment tool made of it (internal/project decides and
// knows the layouts) and says what it decided on stderr. ok is false when PATH is none of them
// and is read as a package or template as before.
func (l *loader) loadProject(path string) (ts []target, ok bool, err error) {
	d, err := project.Detect(path)
	if err != nil {
		if errors.Is(err, project.ErrNotBuilt) {
			return nil, true, err
		}
		return nil, false, nil // the usual open error follows
	}
	if d.Why != "" {
		fmt.Fprintf(l.env.Stderr, "bootstrap-guard check: %s\n", d.Why)
	}
	switch d.Kind {
	case project.ServerlessPackage:
		ts, err = l.loadServerless(d.Check)
	case project.Assembly, project.CDKApp:
		ts, err = l.loadCDK(d.Check)
	case project.SAMBuild, project.Template:
		if d.Kind == project.Template && !d.Built && d.Check == path {
			return nil, false, nil // a template file named on the command line: as before
		}
		ts, err = l.loadTemplateBuilt(d.Check, d.Built)
	default:
		return nil, false, nil
	}
	return ts, true, err
}

// loadServerless checks `serverless package` output: the generated template, with every
// function's Code replaced by the zip serverless deploy uploads for it.
func (l *loader) loadServerless(dir string) ([]target, error) {
	sls, err := project.ReadServerless(dir)
	if err != nil {
		return nil, err
	}
	opts, err := l.templateOptions()
	if err != nil {
		return nil, err
	}
	opts.Artifacts = map[string]cfn.Artifact{}
	for id, a := range sls.Artifacts {
		if a.Image {
			continue
		}
		problem := a.Problem
		if a.Path == "" && problem == "" {
			problem = a.Why
		}
		opts.Artifacts[id] = cfn.Artifact{Path: a.Path, Problem: problem}
	}
	set, err := cfn.Load(sls.Template, opts)
	if err != nil {
		return nil, err
	}
	ts := l.fromSet(set)
	for i := range ts {
		a, ok := sls.Artifacts[ts[i].fn.Template.LogicalID]
		if !ok {
			continue
		}
		ts[i].fn.Target = sls.Service + "/" + a.Function
		ts[i].fn.Template.Target = ts[i].fn.Target
		o := &result.Origin{Tool: "serverless", Function: a.Function}
		if a.Config != "" {
			o.Config = &result.Location{File: display(a.Config), Line: a.ConfigLine}
		}
		ts[i].origin = o
		if ts[i].fn.Template.Package.Source == a.Path {
			ts[i].fn.Template.Package.Source = display(a.Path)
		}
		artifact := a.Path
		if rel, err := filepath.Rel(sls.ServiceDir, a.Path); err == nil && !strings.HasPrefix(rel, "..") {
			artifact = rel
		}
		ts[i].place = project.Place{Tool: "serverless", Function: a.Function, Artifact: artifact}
	}
	return ts, nil
}

// loadCDK checks a cloud assembly; each function carries its construct path and, when the
// assembly tells or the staged copy is found, its asset's source folder.
func (l *loader) loadCDK(dir string) ([]target, error) {
	ts, err := l.loadAssembly(dir)
	if err != nil {
		return nil, err
	}
	finder := project.NewAssetFinder(filepath.Dir(filepath.Clean(dir)))
	for i := range ts {
		f := ts[i].fn.Template
		if f == nil {
			continue
		}
		o := &result.Origin{Tool: "cdk", ConstructPath: f.Metadata["aws:cdk:path"]}
		if asset := f.Metadata["aws:asset:path"]; asset != "" {
			src, err := finder.Source(filepath.Dir(f.Template), asset, f.Metadata["aws:asset:is-bundled"] == "true")
			switch {
			case err != nil:
				fmt.Fprintf(l.env.Stderr, "bootstrap-guard check: warning: %s: source folder of %s not found: %v\n", f.Target, asset, err)
			case src != "":
				o.AssetSource = display(src)
			}
		}
		if o.ConstructPath == "" && o.AssetSource == "" {
			continue
		}
		ts[i].origin = o
		ts[i].place = project.Place{Tool: "cdk", ConstructPath: o.ConstructPath, AssetSource: o.AssetSource}
	}
	return ts, nil
}

// loadTemplateBuilt reads a template found in a project folder (built: sam build's output).
func (l *loader) loadTemplateBuilt(path string, built bool) ([]target, error) {
	opts, err := l.templateOptions()
	if err != nil {
		return nil, err
	}
	opts.Built = built
	set, err := cfn.Load(path, opts)
	if err != nil {
		return nil, err
	}
	ts := l.fromSet(set)
	if built {
		for i := range ts {
			f := ts[i].fn.Template
			ts[i].origin = &result.Origin{Tool: "sam"}
			ts[i].place = project.Place{Tool: "sam", Handler: f.Handler, BuildMethod: f.Metadata["BuildMethod"]}
		}
	}
	return ts, nil
}

// annotate completes a result with where the function comes from in its project and fix texts
// for that place. Whether its package was inspected the pipeline says (engine.Evaluate).
func (t target) annotate(res *result.Result) {
	if t.origin != nil {
		o := *t.origin
		res.Origin = &o
		project.Remedy(res, t.place)
	}
}

// uninspected reports whether a result's package should have been read and was not: the
// --require-inspection failure. A function that will not be created, or is exempt as a whole,
// needs no package.
func (t target) uninspected(res result.Result) bool {
	if res.Exempted != nil || t.fn.Template != nil && t.fn.Template.Skip != "" {
		return false
	}
	return res.Package != nil && !res.Package.Inspected
}

// display shortens a path to one relative to the working directory when it is below it.
func display(p string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(p) {
		return filepath.ToSlash(p)
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}
