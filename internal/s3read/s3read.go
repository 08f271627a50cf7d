// Package s3read reads code packages by byte ranges: S3 objects through aws-sdk-go-v2, and the
// presigned HTTPS URLs Lambda returns for layers. Both become rangeread.Readers, so the check
// engine sees an io.ReaderAt and never the network.
package s3read

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
)

// GetObjectAPI is the one S3 call this package makes; *s3.Client satisfies it.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Errors callers branch on (errors.Is). Each also wraps the underlying SDK or HTTP error.
var (
	ErrNotFound     = errors.New("object not found")
	ErrAccessDenied = errors.New("access denied")
	// ErrChanged means the object was replaced between two range reads of one check.
	ErrChanged = errors.New("object changed while it was being read")
)

// classified wraps err with the sentinel its HTTP status or error code means.
func classified(err error) error {
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status := 0
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		status = hs.HTTPStatusCode()
	}
	switch {
	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		return fmt.Errorf("%w: %w", ErrChanged, err)
	case status == http.StatusNotFound || code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchVersion":
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case status == http.StatusForbidden || code == "AccessDenied":
		return fmt.Errorf("%w: %w", ErrAccessDenied, err)
	}
	return err
}

// object is a rangeread.Source over one S3 object.
type object struct {
	client      GetObjectAPI
	bucket, key string
	version     string // pinned version ID, given or learned from the first response
	etag        string // pinned ETag from the first response
}

// URL names the object for messages.
func (o *object) URL() string { return "s3://" + o.bucket + "/" + o.key }

// get fetches one range. A body cut short (a connection dropped mid-transfer, which the SDK does
// not retry once the response has started) is fetched once more.
func (o *object) get(ctx context.Context, rng string) ([]byte, *s3.GetObjectOutput, error) {
	b, out, err := o.getOnce(ctx, rng)
	if errors.Is(err, errShortBody) && ctx.Err() == nil {
		b, out, err = o.getOnce(ctx, rng)
	}
	return b, out, err
}

// errShortBody marks a body shorter than its Content-Length.
var errShortBody = errors.New("body shorter than Content-Length")

func (o *object) getOnce(ctx context.Context, rng string) ([]byte, *s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key), Range: aws.String(rng)}
	if o.version != "" {
		in.VersionId = aws.String(o.version)
	}
	if o.etag != "" {
		in.IfMatch = aws.String(o.etag)
	}
	out, err := o.client.GetObject(ctx, in)
	if err != nil {
		return nil, nil, fmt.Errorf("get %s of %s: %w", rng, o.URL(), classified(err))
	}
	defer out.Body.Close()
	want := int64(-1)
	if out.ContentLength != nil {
		want = *out.ContentLength
	}
	// The body is at most what was asked for; never trust a server's length blindly.
	b, err := io.ReadAll(io.LimitReader(out.Body, 64<<20))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %w", errShortBody, err)
		}
		return nil, nil, fmt.Errorf("read %s of %s: %w", rng, o.URL(), err)
	}
	if want >= 0 && int64(len(b)) != want {
		return nil, nil, fmt.Errorf("read %s of %s: %w (%d of %d bytes)", rng, o.URL(), errShortBody, len(b), want)
	}
	return b, out, nil
}

// Tail implements rangeread.Source.
func (o *object) Tail(ctx context.Context, n int64) ([]byte, int64, error) {
	b, out, err := o.get(ctx, "bytes=-"+strconv.FormatInt(n, 10))
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidRange" {
			return nil, 0, nil // an empty object has no suffix to give
		}
		return nil, 0, err
	}
	size, err := totalSize(aws.ToString(out.ContentRange), int64(len(b)))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", o.URL(), err)
	}
	o.etag = aws.ToString(out.ETag)
	if o.version == "" {
		o.version = aws.ToString(out.VersionId)
	}
	if o.version == "null" {
		o.version = "" // unversioned bucket: pin by ETag alone
	}
	return b, size, nil
}

// Range implements rangeread.Source.
func (o *object) Range(ctx context.Context, off, n int64) ([]byte, error) {
	b, _, err := o.get(ctx, fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	return b, err
}

// totalSize reads the object size from a Content-Range header ("bytes 0-99/1234"); without one,
// the body was the whole object.
func totalSize(contentRange string, bodyLen int64) (int64, error) {
	if contentRange == "" {
		return bodyLen, nil
	}
	i := strings.LastIndexByte(contentRange, '/')
	if i < 0 {
		return 0, fmt.Errorf("bad Content-Range %q", contentRange)
	}
	size, err := strconv.ParseInt(contentRange[i+1:], 10, 64)
	if err != nil || size < bodyLen {
		return 0, fmt.Errorf("bad Content-Range %q", contentRange)
	}
	return size, nil
}

// Open starts reading s3://bucket/key (at versionID when not empty) and returns a Reader whose
// first request has fetched the object's tail. ctx bounds all of the Reader's requests.
func Open(ctx context.Context, client GetObjectAPI, bucket, key, versionID string, opts rangeread.Options) (*rangeread.Reader, error) {
	if bucket == "" || key == "" {
		return nil, fmt.Errorf("s3read: bucket and key are required (got %q, %q)", bucket, key)
	}
	return rangeread.New(ctx, &object{client: client, bucket: bucket, key: key, version: versionID}, opts)
}

// ParseURL splits s3://bucket/key into its parts.
func ParseURL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URL", u)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" || key == "" {
		return "", "", fmt.Errorf("%q: want s3://bucket/key", u)
	}
	return bucket, key, nil
}

// DefaultTimeout bounds one range request, well inside the hook's 30-second budget.
const DefaultTimeout = 10 * time.Second
