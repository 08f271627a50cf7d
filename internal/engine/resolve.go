package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
)

// LayerAPI is the Lambda control-plane call that resolves a layer ARN; *lambda.Client
// satisfies it.
type LayerAPI interface {
	GetLayerVersionByArn(ctx context.Context, in *lambda.GetLayerVersionByArnInput, opts ...func(*lambda.Options)) (*lambda.GetLayerVersionByArnOutput, error)
}

// Resolver is the source layer: it turns where a function's code is (an S3 object, a layer ARN,
// a presigned URL, an image reference) into something the engine reads by byte ranges, and every
// failure into a *source.Error. One Resolver serves one evaluation (it counts what was read);
// the clients may be shared.
type Resolver struct {
	S3     s3read.GetObjectAPI // nil: S3 objects cannot be read
	Lambda LayerAPI            // nil: layer ARNs cannot be resolved
	HTTP   *http.Client        // fetches presigned URLs; nil means http.DefaultClient
	URLs   s3read.URLPolicy    // which URLs may be fetched
	// ECR returns the authenticator of ECR registries; nil means ECR images cannot be read.
	ECR func(ctx context.Context) (*image.ECRAuth, error)
	// Insecure lists registries (HOST:PORT) reached over plain HTTP.
	Insecure []string
	// InsecureAsECR gives Insecure registries the ECR token, as stand-ins for ECR (the hook's
	// tests); otherwise they are treated as any other registry.
	InsecureAsECR bool
	// Keychain authenticates registries other than ECR with the Docker configuration (docker
	// login, credential helpers); otherwise they are read anonymously.
	Keychain bool

	mu         sync.Mutex
	readers    []*rangeread.Reader
	registries []*image.Registry
}

// Stats reports the requests made and bytes read so far.
func (r *Resolver) Stats() (requests int, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rd := range r.readers {
		s := rd.Stats()
		requests += s.Requests
		bytes += s.Bytes
	}
	for _, reg := range r.registries {
		n, b := reg.Stats()
		requests += n
		bytes += b
	}
	return requests, bytes
}

func (r *Resolver) keep(rd *rangeread.Reader) {
	r.mu.Lock()
	r.readers = append(r.readers, rd)
	r.mu.Unlock()
}

// S3Object opens an S3 object by byte ranges, pinned to one version.
func (r *Resolver) S3Object(ctx context.Context, bucket, key, version string) (inspect.Source, error) {
	name := "s3://" + bucket + "/" + key
	if version != "" {
		name += " (version " + version + ")"
	}
	fail := func(err error) (inspect.Source, error) {
		return inspect.Source{}, &source.Error{Kind: source.KindS3, Source: name, Bucket: bucket, Key: key, Err: err}
	}
	if r.S3 == nil {
		return fail(errors.New("no S3 client configured"))
	}
	rd, err := s3read.Open(ctx, r.S3, bucket, key, version, rangeread.Options{})
	if err != nil {
		return fail(err)
	}
	r.keep(rd)
	return inspect.Source{Name: name, ReaderAt: rd, Size: rd.Size()}, nil
}

// Layer resolves a layer version ARN to its package (GetLayerVersionByArn, then its
// Content.Location presigned URL) and opens it by byte ranges.
func (r *Resolver) Layer(ctx context.Context, arn string) (inspect.Source, error) {
	fail := func(err error) (inspect.Source, error) {
		return inspect.Source{}, &source.Error{Kind: source.KindLayer, Source: arn, Err: err}
	}
	if r.Lambda == nil {
		return fail(errors.New("no Lambda client configured"))
	}
	out, err := r.Lambda.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(arn)})
	if err != nil {
		return fail(fmt.Errorf("get layer version: %w", err))
	}
	if out.Content == nil || aws.ToString(out.Content.Location) == "" {
		return fail(errors.New("get layer version: no Content.Location in the answer"))
	}
	src, err := r.openURL(ctx, aws.ToString(out.Content.Location), arn)
	if err != nil {
		return fail(err)
	}
	return src, nil
}

// URL opens a presigned URL by byte ranges under the URL policy; name is how messages name it
// (never the URL, which carries credentials).
func (r *Resolver) URL(ctx context.Context, url, name string) (inspect.Source, error) {
	src, err := r.openURL(ctx, url, name)
	if err != nil {
		return inspect.Source{}, &source.Error{Kind: source.KindURL, Source: name, Err: err}
	}
	return src, nil
}

func (r *Resolver) openURL(ctx context.Context, url, name string) (inspect.Source, error) {
	client := r.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	rd, err := s3read.OpenURL(ctx, client, url, name, r.URLs, rangeread.Options{})
	if err != nil {
		return inspect.Source{}, err
	}
	r.keep(rd)
	return inspect.Source{Name: name, ReaderAt: rd, Size: rd.Size()}, nil
}

// Code opens a function's package and its layers at once: each open is one round trip (the tail
// of the zip), and layers first need a Lambda API call. open returns the function's own package.
func (r *Resolver) Code(ctx context.Context, open func(context.Context) (inspect.Source, error), layerARNs []string) (inspect.Source, []inspect.Source, error) {
	var code inspect.Source
	layers := make([]inspect.Source, len(layerARNs))
	errs := make([]error, 1+len(layerARNs))
	var wg sync.WaitGroup
	wg.Go(func() { code, errs[0] = open(ctx) })
	for i, arn := range layerARNs {
		wg.Go(func() { layers[i], errs[i+1] = r.Layer(ctx, arn) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return inspect.Source{}, nil, err
	}
	return code, layers, nil
}

// ImageURI is the Image of a function whose Code.ImageUri is uri: read from its registry through
// the resolver, or an image-unreadable verdict when uri is no image reference.
func (r *Resolver) ImageURI(uri string, overrides image.Overrides) *Image {
	uri = strings.TrimSpace(uri)
	im := &Image{Overrides: overrides, Open: r.OpenImage}
	if uri == "" {
		im.Problem = "The function has PackageType: Image but no Code.ImageUri, so there is no image to start."
		im.Fix = "Set Code.ImageUri to the image in ECR (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or @sha256:…)."
		return im
	}
	if _, err := name.ParseReference(uri, name.StrictValidation); err != nil {
		im.Ref = uri
		im.Problem = fmt.Sprintf("Code.ImageUri %q is not an image reference: %v.", uri, err)
		im.Fix = "Set Code.ImageUri to ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or REPO@sha256:DIGEST."
		return im
	}
	im.Ref = image.TransportDocker + uri
	return im
}

// OpenImage returns the fetcher of a transport-prefixed image reference. A docker:// reference
// is authenticated as RegistryOptions says. Every error of a docker:// reference is a
// *source.Error of KindImage that says which repository, account and Region to grant.
func (r *Resolver) OpenImage(ctx context.Context, ref string) (image.Fetcher, error) {
	if !strings.HasPrefix(ref, image.TransportDocker) {
		return image.Open(ref, image.RegistryOptions{})
	}
	uri := strings.TrimPrefix(ref, image.TransportDocker)
	parsed, err := name.ParseReference(uri)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	host := parsed.Context().RegistryStr()
	account, region, isECR := image.ECRHost(host)
	detail := func(err error) error {
		e := source.Error{Kind: source.KindImage, Source: ref, Err: err}
		if inner := source.As(err); inner != nil && inner.Kind == source.KindImage {
			e = *inner
		}
		e.Repo, e.Account, e.Region = parsed.Context().RepositoryStr(), account, region
		e.NotECR = !isECR && !slices.Contains(r.Insecure, host)
		return &e
	}
	opts, err := r.RegistryOptions(ctx, ref)
	if err != nil {
		if source.IsError(err) {
			return nil, detail(err)
		}
		return nil, err
	}
	reg, err := image.NewRegistry(uri, opts)
	if err != nil {
		return nil, detail(err)
	}
	r.mu.Lock()
	r.registries = append(r.registries, reg)
	r.mu.Unlock()
	return detailedFetcher{reg, detail}, nil
}

// RegistryOptions authenticates a docker:// reference: the ECR token when its registry is ECR
// (and, with InsecureAsECR, when it is one of Insecure) — the token never goes to a registry a
// reference merely names —, the Docker configuration for any other when Keychain is set; plain
// HTTP for Insecure hosts. A failure to get the ECR token is a *source.Error.
func (r *Resolver) RegistryOptions(ctx context.Context, ref string) (image.RegistryOptions, error) {
	var opts image.RegistryOptions
	if r.HTTP != nil {
		opts.Transport = r.HTTP.Transport
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	parsed, err := name.ParseReference(strings.TrimPrefix(ref, image.TransportDocker))
	if err != nil {
		return opts, fmt.Errorf("image reference %q: %w", ref, err)
	}
	host := parsed.Context().RegistryStr()
	_, _, isECR := image.ECRHost(host)
	opts.Insecure = slices.Contains(r.Insecure, host)
	fail := func(err error) (image.RegistryOptions, error) {
		return opts, &source.Error{Kind: source.KindImage, Source: ref, Err: err}
	}
	switch {
	case isECR || opts.Insecure && r.InsecureAsECR:
		if r.ECR == nil {
			return fail(errors.New("no ECR client configured"))
		}
		a, err := r.ECR(ctx)
		if err != nil {
			return fail(err)
		}
		if opts.Auth, err = a.Authenticator(ctx); err != nil {
			return fail(err)
		}
	case r.Keychain:
		if opts.Auth, err = authn.DefaultKeychain.Resolve(parsed.Context()); err != nil {
			return opts, fmt.Errorf("credentials for %s: %w", host, err)
		}
	}
	return opts, nil
}

// detailedFetcher adds the repository's details to the fetcher's read errors.
type detailedFetcher struct {
	*image.Registry
	detail func(error) error
}

func (f detailedFetcher) Manifest(ctx context.Context) (image.Manifest, error) {
	m, err := f.Registry.Manifest(ctx)
	if err != nil {
		return m, f.detail(err)
	}
	return m, nil
}

func (f detailedFetcher) Blob(ctx context.Context, desc v1.Descriptor) ([]byte, error) {
	b, err := f.Registry.Blob(ctx, desc)
	if err != nil {
		return b, f.detail(err)
	}
	return b, nil
}

func (f detailedFetcher) Confirm(ctx context.Context, digest v1.Hash) error {
	if err := f.Registry.Confirm(ctx, digest); err != nil {
		return f.detail(err)
	}
	return nil
}

// FS is the filesystem Lambda assembles from fn's resolved package and layers (the package at
// var/task, the layers merged at opt) as an io/fs view: what the rules read (inspect.FS).
func FS(fn Function) (fs.FS, error) { return inspect.FS(fn.Function) }
