package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/project"
	"github.com/bootstrap-guard/bootstrap-guard/internal/report"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// target is one function to check and the file it came from.
type target struct {
	fn     engine.Function
	source string
	origin *result.Origin // where a deployment tool's project declares it (project.go)
	place  project.Place  // the same, for fix texts
}

// loader turns PATH arguments into functions, keeping opened files until close.
type loader struct {
	ctx        context.Context
	flags      checkFlags
	env        Env
	closers    []io.Closer
	layers     []inspect.Source
	layersDone bool
	res        *engine.Resolver // the source layer, with the caller's AWS credentials
	ecrAuth    *image.ECRAuth   // one ECR token for every image of the run
}

// resolver is the source layer for the run: S3 objects with the caller's credentials (the SDK's
// usual chain, AWS_ENDPOINT_URL_S3), ECR images with the ECR token from the same environment,
// other registries with the Docker configuration (docker login, credential helpers), and
// --insecure-registry hosts over plain HTTP.
func (l *loader) resolver() *engine.Resolver {
	if l.res == nil {
		l.res = &engine.Resolver{Insecure: l.flags.insecure, Keychain: true, ECR: func(ctx context.Context) (*image.ECRAuth, error) {
			if l.ecrAuth == nil {
				cfg, err := s3read.LoadConfig(ctx)
				if err != nil {
					return nil, err
				}
				l.ecrAuth = image.NewECRAuth(ecr.NewFromConfig(cfg))
			}
			return l.ecrAuth, nil
		}}
	}
	return l.res
}

// s3 opens an S3 object through the resolver, with a client made on first use.
func (l *loader) s3(bucket, key, version string) (inspect.Source, error) {
	r := l.resolver()
	if r.S3 == nil {
		cfg, err := s3read.LoadConfig(l.ctx)
		if err != nil {
			return inspect.Source{}, err
		}
		r.S3 = s3read.NewClient(cfg, l.env.Getenv)
	}
	return r.S3Object(l.ctx, bucket, key, version)
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
	return target{source: name, fn: engine.Function{Function: inspect.Function{
		Target: name, Runtime: l.flags.runtime, Handler: l.flags.handler, Architecture: l.flags.arch,
		Action: inspect.Action(l.flags.action), Code: code, Layers: layers, Env: map[string]string(l.flags.env),
	}}}, nil
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
	src, err := l.s3(bucket, key, version)
	if err != nil {
		return inspect.Source{}, err
	}
	src.Name = "s3://" + bucket + "/" + key
	return src, nil
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
		fn := engine.FromTemplate(f, engine.TemplateOptions{Registries: l.flags.images, Resolver: l.resolver()})
		out = append(out, target{fn: fn, source: f.Template})
	}
	return out
}
