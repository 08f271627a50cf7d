// Package image decides whether Lambda will be able to start a container-image function
// (PackageType: Image) from the image's manifest and its config blob alone, never pulling a
// layer: a single-platform manifest of a media type Lambda takes, a Linux config for the
// function's architecture, and an ENTRYPOINT or CMD (from the image or from ImageConfig).
//
// It reads through a Fetcher (a registry, an OCI layout, a `docker save` archive) and produces a
// result.Result with the same rule registry as the zip engine (internal/inspect).
package image

import (
	"context"
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
)

// Family is the image rules (see result.Family): what a container-image function's manifest and
// config say about whether Lambda can start it.
var Family = result.Family{Name: "image", Package: "internal/image",
	Doc:   "Container images: a single-platform manifest Lambda takes, Linux on the function's CPU, an entrypoint.",
	Rules: []result.RuleID{result.ImageUnreadable, result.ImageManifestUnsupported, result.ImageNotLinux, result.ImageArchMismatch, result.ImageEntrypointMissing}}

// MaxManifest and MaxConfig bound what is read: a manifest or config larger than this is not an
// image anyone builds for Lambda, and the hook has 128 MB of memory. Real ones are a few KiB.
const (
	MaxManifest = 4 << 20
	MaxConfig   = 8 << 20
)

// Overrides is the function's ImageConfig property: values that replace the image's own
// ENTRYPOINT, CMD and WORKDIR (https://docs.aws.amazon.com/lambda/latest/dg/API_ImageConfig.html).
type Overrides struct {
	EntryPoint       []string
	Command          []string
	WorkingDirectory string
}

// Function is what is known about one image function before it exists.
type Function struct {
	Target       string // how results name the function: logical ID, image reference
	Architecture string // x86_64 (default) or arm64
	ImageConfig  Overrides
}

// Manifest is what a reference resolved to: the raw manifest bytes, their media type and digest.
type Manifest struct {
	Raw       []byte
	MediaType types.MediaType
	Digest    v1.Hash
	// Synthetic is set when there is no registry manifest (a `docker save` archive): the
	// fetcher made one up around the config, and the verdict names the config digest instead.
	Synthetic bool
}

// Fetcher reads one image: its manifest, and blobs by descriptor. Implementations bound what they
// read (MaxManifest, MaxConfig) and return *ReadError for anything they could not read.
type Fetcher interface {
	// Name is how messages name the image: docker://REGISTRY/REPO:TAG, oci:DIR, ….
	Name() string
	// Manifest resolves the reference and returns the manifest it points at.
	Manifest(ctx context.Context) (Manifest, error)
	// Blob returns the blob of desc, verified against its digest and size.
	Blob(ctx context.Context, desc v1.Descriptor) ([]byte, error)
	// Confirm reports an error wrapping ErrMoved if the reference no longer resolves to digest
	// (a tag pushed again while the check ran). A reference by digest, or a local file, always
	// confirms.
	Confirm(ctx context.Context, digest v1.Hash) error
}

// Errors a ReadError may wrap, for messages that say what to grant or retry.
var (
	ErrNotFound     = errors.New("image not found")
	ErrAccessDenied = errors.New("access denied")
	ErrMoved        = errors.New("the tag was pushed again while it was being checked")
	ErrTooLarge     = errors.New("larger than any image manifest or config")
	ErrDigest       = errors.New("content does not match its digest")
)

// ReadError reports that an image could not be read (network, permissions, a missing tag, a
// registry fault): the check could not decide. It is the source layer's one read error
// (source.Error, of KindImage), distinct from an image that was read and found malformed, which is
// an image-unreadable finding.
type ReadError = source.Error

// readError is the ReadError of the image named name.
func readError(name string, err error) *ReadError {
	return &source.Error{Kind: source.KindImage, Source: name, Err: err}
}

// IsReadError reports whether err (or anything it wraps) is a *ReadError about an image.
func IsReadError(err error) bool { return source.IsImage(err) }

// Unusable is the verdict on a function whose image cannot be looked up at all (no ImageUri, one
// that is not a reference): an image-unreadable finding. ref may be "".
func Unusable(fn Function, ref, msg, fix string) result.Result {
	if fn.Architecture == "" {
		fn.Architecture = result.ArchX86
	}
	res := result.Result{Target: fn.Target, Architecture: fn.Architecture, Image: ref, Source: ref,
		Evaluated: []result.RuleID{result.ImageUnreadable},
		Findings:  []result.Finding{{Rule: result.ImageUnreadable, Severity: result.Error, Message: msg, Remediation: fix}}}
	res.Finish()
	return res
}
