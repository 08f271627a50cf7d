package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/project"
	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/report"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// target is one function to check and the file it came from.
type target struct {
	fn     inspect.Function
	source string
	tags   map[string]string // the function's tags, from a template or assembly; nil otherwise
	tmpl   *cfn.Function     // set for functions read from a template or assembly
	image  *imageTarget      // set for a container-image function
	origin *result.Origin    // where a deployment tool's project declares it (project.go)
	place  project.Place     // the same, for fix texts
}

// loader turns PATH arguments into functions, keeping opened files until close.
type loader struct {
	ctx        context.Context
	flags      checkFlags
	env        Env
	closers    []io.Closer
	layers     []inspect.Source
	layersDone bool
	s3client   *s3.Client
	ecrAuth    *image.ECRAuth // one ECR token for every image of the run
}

func (l *loader) close() {
	for _, c := range l.closers {
		c.Close()
	}
}

// openSource opens a zip file or names a directory.
func (l *loader) openSource(path string) (inspect.Source, error) {
	src, c, err := inspect.OpenPath(path)
	if err != nil {
		return inspect.Source{}, err
	}
	l.closers = append(l.closers, c)
	return src, nil
}

// flagLayers opens the --layer arguments once.
func (l *loader) flagLayers() ([]inspect.Source, error) {
	if l.layersDone {
		return l.layers, nil
	}
	l.layersDone = true
	for _, p := range l.flags.layers {
		s, err := l.openSource(p)
		if err != nil {
			return nil, fmt.Errorf("--layer: %w", err)
		}
		l.layers = append(l.layers, s)
	}
	return l.layers, nil
}

// fromFlags builds a function from a package and the command-line settings.
func (l *loader) fromFlags(name string, code inspect.Source) (target, error) {
	layers, err := l.flagLayers()
	if err != nil {
		return target{}, err
	}
	return target{source: name, fn: inspect.Function{
		Target: name, Runtime: l.flags.runtime, Handler: l.flags.handler, Architecture: l.flags.arch,
		Action: inspect.Action(l.flags.action), Code: code, Layers: layers, Env: map[string]string(l.flags.env),
	}}, nil
}

// load turns one PATH into the functions it holds. Its error may quote the template (a key, a
// value): it is escaped for the terminal.
func (l *loader) load(path string) ([]target, error) {
	ts, err := l.loadPath(path)
	if err != nil {
		return nil, escapedError{err}
	}
	return ts, nil
}

func (l *loader) loadPath(path string) ([]target, error) {
	if strings.HasPrefix(path, "s3://") {
		return l.loadS3(path)
	}
	if image.IsImageRef(path) {
		return l.loadImage(path)
	}
	if ts, ok, err := l.loadProject(path); ok || err != nil {
		return ts, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil {
			return l.loadAssembly(path)
		}
		if err := notATemplateDir(path, st); err != nil {
			return nil, err
		}
	} else if isTemplate(path) {
		return l.loadTemplate(path)
	}
	src, err := l.openSource(path)
	if err != nil {
		return nil, err
	}
	t, err := l.fromFlags(path, src)
	if err != nil {
		return nil, err
	}
	return []target{t}, nil
}

// sourceOf names a remote reader as an engine source.
func sourceOf(name string, r *rangeread.Reader) inspect.Source {
	return inspect.Source{Name: name, ReaderAt: r, Size: r.Size()}
}

func isTemplate(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".yaml", ".yml", ".template":
		return true
	}
	return false
}

// templateOptions builds the template reading options from the flags, once.
func (l *loader) templateOptions() (cfn.Options, error) {
	opts := cfn.Options{Assets: l.flags.assets, Parameters: map[string]string{}}
	if l.flags.paramsFile != "" {
		ps, err := cfn.ReadParameters(l.flags.paramsFile)
		if err != nil {
			return opts, err
		}
		for k, v := range ps {
			opts.Parameters[k] = v
		}
	}
	for k, v := range l.flags.params {
		opts.Parameters[k] = v
	}
	if l.flags.s3 {
		opts.OpenS3 = l.openS3
	}
	return opts, nil
}

// openS3 opens template code in S3 with the caller's credentials, through the hook's ranged
// reader, so CI checks exactly the object CloudFormation will deploy.
func (l *loader) openS3(bucket, key, version string) (inspect.Source, error) {
	if l.s3client == nil {
		cfg, err := s3read.LoadConfig(l.ctx)
		if err != nil {
			return inspect.Source{}, err
		}
		l.s3client = s3read.NewClient(cfg, l.env.Getenv)
	}
	r, err := s3read.Open(l.ctx, l.s3client, bucket, key, version, rangeread.Options{})
	if err != nil {
		return inspect.Source{}, err
	}
	return sourceOf("s3://"+bucket+"/"+key, r), nil
}

// loadAssembly reads a CDK cloud assembly; each function keeps its template's settings.
func (l *loader) loadAssembly(path string) ([]target, error) {
	opts, err := l.templateOptions()
	if err != nil {
		return nil, err
	}
	set, err := cfn.LoadAssemblyWith(path, opts)
	if err != nil {
		return nil, err
	}
	return l.fromSet(set), nil
}

// loadTemplate reads a CloudFormation or SAM template (JSON or YAML) with its assets in --assets
// (default: the template's directory).
func (l *loader) loadTemplate(path string) ([]target, error) {
	opts, err := l.templateOptions()
	if err != nil {
		return nil, err
	}
	set, err := cfn.Load(path, opts)
	if err != nil {
		return nil, err
	}
	return l.fromSet(set), nil
}

func (l *loader) fromSet(set *cfn.Set) []target {
	l.closers = append(l.closers, set)
	for _, w := range set.Warnings {
		fmt.Fprintf(l.env.Stderr, "bootstrap-guard check: warning: %s\n", report.Escape(w))
	}
	out := make([]target, 0, len(set.Functions))
	for i := range set.Functions {
		f := &set.Functions[i]
		f.Action = inspect.Action(l.flags.action)
		t := target{fn: f.Function, source: f.Template, tags: f.Tags, tmpl: f}
		if f.PackageType == inspect.PackageImage {
			t.image = l.imageOf(*f)
		}
		out = append(out, t)
	}
	return out
}
