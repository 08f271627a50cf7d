package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryOptions configure a Registry fetcher.
type RegistryOptions struct {
	// Insecure allows plain HTTP (a test registry); otherwise HTTPS, except for loopback
	// addresses, where go-containerregistry falls back to HTTP by itself.
	Insecure bool
	// Auth authenticates to the registry; nil means anonymous. For ECR use ECRAuth.
	Auth authn.Authenticator
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// Registry reads an image from a registry through the Distribution API
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md): one GET of the
// manifest by tag or digest, one GET of the config blob by digest, and for a tag one HEAD of the
// manifest at the end to confirm the tag did not move. go-containerregistry adds one GET /v2/ per
// fetcher to learn how to authenticate. Layers are never requested.
type Registry struct {
	ref    name.Reference
	name   string
	puller *remote.Puller
	stats  *Counter
}

// NewRegistry returns a fetcher for ref (REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:…, without a
// transport prefix).
func NewRegistry(ref string, o RegistryOptions) (*Registry, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, append(nopts, name.StrictValidation)...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	t := o.Transport
	if t == nil {
		t = http.DefaultTransport
	}
	c := &Counter{inner: t}
	opts := []remote.Option{
		remote.WithTransport(c),
		remote.WithUserAgent("bootstrap-guard"),
		// One quick retry for a transient fault; the caller's context bounds the rest. The default
		// (1 s, 3 s, 9 s) would spend most of the hook's budget on a registry that is down.
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 2}),
	}
	if o.Auth != nil {
		opts = append(opts, remote.WithAuth(o.Auth))
	}
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return &Registry{ref: r, name: "docker://" + r.Name(), puller: p, stats: c}, nil
}

// Name implements Fetcher.
func (r *Registry) Name() string { return r.name }

// Reference is the parsed reference.
func (r *Registry) Reference() name.Reference { return r.ref }

// Stats returns the requests made and response bytes read so far.
func (r *Registry) Stats() (requests int, bytes int64) {
	return int(r.stats.requests.Load()), r.stats.bytes.Load()
}

// Manifest implements Fetcher.
func (r *Registry) Manifest(ctx context.Context) (Manifest, error) {
	d, err := r.puller.Get(ctx, r.ref)
	if err != nil {
		return Manifest{}, r.fail("get manifest", err)
	}
	if len(d.Manifest) > MaxManifest {
		return Manifest{}, readError(r.name, fmt.Errorf("manifest of %d bytes: %w", len(d.Manifest), ErrTooLarge))
	}
	return Manifest{Raw: d.Manifest, MediaType: d.MediaType, Digest: d.Digest}, nil
}

// Blob implements Fetcher: GET /v2/REPO/blobs/DIGEST, verified by go-containerregistry against the
// digest, and here against the descriptor's size.
func (r *Registry) Blob(ctx context.Context, desc v1.Descriptor) ([]byte, error) {
	if desc.Size > MaxConfig {
		return nil, readError(r.name, fmt.Errorf("blob %s of %d bytes: %w", desc.Digest, desc.Size, ErrTooLarge))
	}
	l, err := r.puller.Layer(ctx, r.ref.Context().Digest(desc.Digest.String()))
	if err != nil {
		return nil, r.fail("get blob "+desc.Digest.String(), err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, r.fail("get blob "+desc.Digest.String(), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		if strings.Contains(err.Error(), "error verifying") {
			// go-containerregistry's verifying reader has no exported error type.
			err = fmt.Errorf("%w: %w", ErrDigest, err)
		}
		return nil, r.fail("read blob "+desc.Digest.String(), err)
	}
	if int64(len(b)) != desc.Size {
		return nil, readError(r.name, fmt.Errorf("blob %s: %d bytes, the manifest says %d: %w", desc.Digest, len(b), desc.Size, ErrDigest))
	}
	if h, _, err := v1.SHA256(strings.NewReader(string(b))); err != nil || h != desc.Digest {
		return nil, readError(r.name, fmt.Errorf("blob %s: %w", desc.Digest, ErrDigest))
	}
	return b, nil
}

// Confirm implements Fetcher: for a tag, HEAD the manifest again and compare digests.
func (r *Registry) Confirm(ctx context.Context, digest v1.Hash) error {
	if _, ok := r.ref.(name.Digest); ok {
		return nil
	}
	d, err := r.puller.Head(ctx, r.ref)
	if err != nil {
		return r.fail("confirm tag", err)
	}
	if d.Digest != digest {
		return readError(r.name, fmt.Errorf("%s was %s and is now %s: %w", r.ref.Identifier(), digest, d.Digest, ErrMoved))
	}
	return nil
}

// fail wraps a registry error as a ReadError, classifying the statuses a user can act on.
func (r *Registry) fail(op string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusNotFound:
			err = fmt.Errorf("%w (%w)", ErrNotFound, err)
		case te.StatusCode == http.StatusUnauthorized, te.StatusCode == http.StatusForbidden:
			err = fmt.Errorf("%w (%w)", ErrAccessDenied, err)
		}
	}
	return readError(r.name, fmt.Errorf("%s: %w", op, err))
}

// Counter is an http.RoundTripper that counts requests and response body bytes, for the bench
// and the hook's log line.
type Counter struct {
	inner    http.RoundTripper
	requests atomic.Int64
	bytes    atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.RoundTrip(req)
	if err != nil {
		return nil, err // not a request the registry answered (e.g. the https probe of a plain-HTTP registry)
	}
	c.requests.Add(1)
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.bytes}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
