package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// imageTarget is a container-image function: the image to read (a transport reference), or
// why it is not read.
type imageTarget struct {
	ref      string // docker://…, oci:…, docker-archive:…; "" when skipped
	fn       image.Function
	skip     string
	template bool // from a template: a read error is a SKIP saying so, not the end of the run
	l        *loader
}

// check reads the image (or says why not) and applies the image rules.
func (it *imageTarget) check(ctx context.Context) (result.Result, error) {
	res, err := it.l.checkImage(ctx, it)
	if err != nil && it.template && image.IsReadError(err) && ctx.Err() == nil {
		skip := *it
		skip.skip = "container image not inspected: " + err.Error()
		return it.l.checkImage(ctx, &skip)
	}
	return res, err
}

// loadImage makes a target of an image reference given on the command line, with --arch.
func (l *loader) loadImage(ref string) ([]target, error) {
	if _, err := image.Open(ref, image.RegistryOptions{}); err != nil {
		return nil, err
	}
	return []target{{source: ref, fn: inspect.Function{Target: ref, Architecture: l.flags.arch, PackageType: inspect.PackageImage},
		image: &imageTarget{ref: ref, fn: image.Function{Target: ref, Architecture: l.flags.arch}, l: l}}}, nil
}

// imageOf decides how a template's image function is checked: a built image beside its CDK
// asset, the registry with --images, or not at all (a SKIP saying why).
func (l *loader) imageOf(f cfn.Function) *imageTarget {
	it := &imageTarget{fn: image.Function{Target: f.Target, Architecture: f.Architecture}, template: true, l: l}
	im := f.Image
	if im == nil {
		it.skip = "container image not inspected: the template says nothing about it"
		return it
	}
	it.fn.ImageConfig = image.Overrides{EntryPoint: im.EntryPoint, Command: im.Command, WorkingDirectory: im.WorkingDirectory}
	switch {
	case im.Built != "":
		it.ref = im.Built
	case l.flags.images && im.URI != "":
		it.ref = image.TransportDocker + im.URI
	case im.URI != "":
		it.skip = "container image not inspected: pass --images to read " + im.URI + " from its registry"
	case im.Asset != "":
		it.skip = fmt.Sprintf("container image not inspected: %s is the image asset's Docker build context, not a built image; save the built image there as image.tar (docker save) or an OCI layout (oci/) to check it, or check the pushed image with --images and a literal ImageUri", im.Asset)
	default:
		it.skip = "container image not inspected: " + im.URIProblem
	}
	return it
}

// checkImage reads one image and applies the image rules.
func (l *loader) checkImage(ctx context.Context, it *imageTarget) (result.Result, error) {
	if it.skip != "" {
		res := result.Result{Target: it.fn.Target, Architecture: it.fn.Architecture, SkipReason: it.skip}
		if res.Architecture == "" {
			res.Architecture = inspect.ArchX86
		}
		res.Finish()
		return res, nil
	}
	opts, err := l.registryOptions(ctx, it.ref)
	if err != nil {
		return result.Result{}, err
	}
	f, err := image.Open(it.ref, opts)
	if err != nil {
		return result.Result{}, err
	}
	return image.Check(ctx, f, it.fn)
}

// registryOptions authenticates a docker:// reference: the ECR token (from the AWS environment,
// as the hook gets it) for an ECR registry, the Docker config (docker login, credential helpers)
// for any other; plain HTTP for --insecure-registry hosts.
func (l *loader) registryOptions(ctx context.Context, ref string) (image.RegistryOptions, error) {
	var o image.RegistryOptions
	if !strings.HasPrefix(ref, image.TransportDocker) {
		return o, nil
	}
	r, err := name.ParseReference(strings.TrimPrefix(ref, image.TransportDocker))
	if err != nil {
		return o, fmt.Errorf("image reference %q: %w", ref, err)
	}
	host := r.Context().RegistryStr()
	o.Insecure = slices.Contains(l.flags.insecure, host)
	if _, _, ok := image.ECRHost(host); ok {
		if l.ecrAuth == nil {
			cfg, err := s3read.LoadConfig(ctx)
			if err != nil {
				return o, err
			}
			l.ecrAuth = image.NewECRAuth(ecr.NewFromConfig(cfg))
		}
		if o.Auth, err = l.ecrAuth.Authenticator(ctx); err != nil {
			return o, err
		}
		return o, nil
	}
	if o.Auth, err = authn.DefaultKeychain.Resolve(r.Context()); err != nil {
		return o, fmt.Errorf("credentials for %s: %w", host, err)
	}
	return o, nil
}
