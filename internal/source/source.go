// Package source is the bottom of the source layer: what a function's code is once it has been
// resolved to something readable (a Package), and the one error every "could not read" message
// is built from (Error). It imports nothing of the project, so the inspection engine
// (internal/inspect), the image reader (internal/image) and the front-ends share these types;
// the resolvers that turn an S3 object, a layer ARN, a presigned URL, a local path or an image
// reference into a Package live in internal/engine.
package source

import (
	"errors"
	"fmt"
	"io"
)

// Package is one code package: the function's own, or a layer's. Exactly one of ReaderAt (a zip
// of Size bytes), Dir (an unpacked directory) or Inline (Code.ZipFile: source text in the
// template) is set, or none: a package named but not available here (a layer ARN; a template's S3
// object or missing path), which is judged only by what does not need its files.
type Package struct {
	// Name identifies the package in messages and errors: a file path, s3://bucket/key, a layer
	// ARN.
	Name     string
	ReaderAt io.ReaderAt
	Size     int64
	Dir      string
	Inline   bool
}

// Available reports whether the package's files can be read here.
func (p Package) Available() bool { return p.ReaderAt != nil || p.Dir != "" || p.Inline }

// Kind says what kind of source could not be read, so a message can say what access to grant.
type Kind string

// Kinds of sources.
const (
	KindUnknown Kind = ""      // a read during the check (a file that vanished, a ranged GET that failed)
	KindS3      Kind = "s3"    // an S3 object: Bucket and Key are set
	KindLayer   Kind = "layer" // a layer version, by ARN (GetLayerVersionByArn, then its Content.Location URL)
	KindURL     Kind = "url"   // a presigned URL
	KindPath    Kind = "path"  // a local file or directory
	KindImage   Kind = "image" // a container image; Repo, Account, Region and NotECR describe it
)

// Error reports that the bytes of a source could not be read (network, permissions, a missing
// object, a file that vanished): the check could not decide. It is distinct from a package that
// was read and found corrupt, which is a finding (package-unreadable, image-unreadable).
type Error struct {
	Kind Kind
	// Source names what could not be read: s3://bucket/key, a layer ARN, a path, an image.
	Source string
	// Bucket and Key are set for KindS3.
	Bucket, Key string
	// Repo, Account and Region describe an image in ECR (Account and Region empty when not
	// known); NotECR says the registry is not ECR, which Lambda cannot pull from anyway.
	Repo, Account, Region string
	NotECR                bool
	Err                   error
}

func (e *Error) Error() string {
	if e.Kind == KindImage {
		return fmt.Sprintf("read image %s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("read %s: %v", e.Source, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsError reports whether err (or anything it wraps) is an *Error.
func IsError(err error) bool { return As(err) != nil }

// IsImage reports whether err wraps an *Error about a container image.
func IsImage(err error) bool {
	e := As(err)
	return e != nil && e.Kind == KindImage
}
