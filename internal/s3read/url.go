package s3read

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
)

// ErrURL rejects a location this package will not fetch.
var ErrURL = errors.New("layer location is not an HTTPS S3 URL")

// URLPolicy says which layer locations may be fetched. The zero value allows only HTTPS URLs on
// AWS S3 hosts: a forged location cannot make the hook reach anything else (no SSRF).
type URLPolicy struct {
	// AllowLoopbackHTTP also allows http://127.0.0.1 and http://localhost, for tests only.
	AllowLoopbackHTTP bool
}

// Check validates a location.
func (p URLPolicy) Check(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: unparsable", ErrURL)
	}
	host := strings.ToLower(u.Hostname())
	if u.User != nil {
		return nil, fmt.Errorf("%w: credentials in URL", ErrURL)
	}
	if p.AllowLoopbackHTTP && u.Scheme == "http" && (host == "127.0.0.1" || host == "localhost") {
		return u, nil
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme %q", ErrURL, u.Scheme)
	}
	if !IsS3Host(host) {
		return nil, fmt.Errorf("%w: host %q", ErrURL, host)
	}
	if port := u.Port(); port != "" && port != "443" {
		return nil, fmt.Errorf("%w: port %s", ErrURL, port)
	}
	return u, nil
}

// IsS3Host reports whether host is an AWS S3 endpoint: s3.amazonaws.com, bucket.s3.amazonaws.com,
// s3.<region>.amazonaws.com, bucket.s3.<region>.amazonaws.com, the dualstack and FIPS forms, and the
// same under amazonaws.com.cn.
func IsS3Host(host string) bool {
	var rest string
	switch {
	case strings.HasSuffix(host, ".amazonaws.com"):
		rest = strings.TrimSuffix(host, ".amazonaws.com")
	case strings.HasSuffix(host, ".amazonaws.com.cn"):
		rest = strings.TrimSuffix(host, ".amazonaws.com.cn")
	default:
		return false
	}
	labels := strings.Split(rest, ".")
	for i, l := range labels {
		if l == "" {
			return false
		}
		if l == "s3" || l == "s3-fips" || strings.HasPrefix(l, "s3-") {
			// Everything after the s3 label must be region or dualstack labels.
			for _, r := range labels[i+1:] {
				if !isRegionish(r) && r != "dualstack" {
					return false
				}
			}
			return true
		}
	}
	return false
}

func isRegionish(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

// httpObject is a rangeread.Source over an HTTPS URL, pinned by ETag.
type httpObject struct {
	client *http.Client
	url    string
	name   string // what messages call it; never the URL, which is presigned
	etag   string
}

func (h *httpObject) get(ctx context.Context, rng string) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", h.name, err)
	}
	req.Header.Set("Range", rng)
	if h.etag != "" {
		req.Header.Set("If-Match", h.etag)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// url.Error repeats the presigned URL: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("get %s of %s: %w", rng, h.name, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
	case http.StatusPreconditionFailed:
		return nil, nil, fmt.Errorf("get %s of %s: %w", rng, h.name, ErrChanged)
	case http.StatusNotFound:
		return nil, nil, fmt.Errorf("get %s of %s: %w (HTTP 404)", rng, h.name, ErrNotFound)
	case http.StatusForbidden:
		return nil, nil, fmt.Errorf("get %s of %s: %w (HTTP 403; an expired presigned URL?)", rng, h.name, ErrAccessDenied)
	default:
		return nil, nil, fmt.Errorf("get %s of %s: HTTP %d", rng, h.name, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s of %s: %w", rng, h.name, err)
	}
	if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		return nil, nil, fmt.Errorf("read %s of %s: body of %d bytes, Content-Length %d", rng, h.name, len(b), resp.ContentLength)
	}
	return b, resp, nil
}

func (h *httpObject) Tail(ctx context.Context, n int64) ([]byte, int64, error) {
	b, resp, err := h.get(ctx, "bytes=-"+strconv.FormatInt(n, 10))
	if err != nil {
		return nil, 0, err
	}
	size, err := totalSize(resp.Header.Get("Content-Range"), int64(len(b)))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", h.name, err)
	}
	h.etag = resp.Header.Get("ETag")
	return b, size, nil
}

func (h *httpObject) Range(ctx context.Context, off, n int64) ([]byte, error) {
	b, resp, err := h.get(ctx, fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusPartialContent && n != int64(len(b)) {
		return nil, fmt.Errorf("%s: server ignored the range request", h.name)
	}
	return b, nil
}

// OpenURL reads a layer's Content.Location by byte ranges. name is how errors refer to it (the
// layer ARN): the URL itself is presigned and must not reach logs.
func OpenURL(ctx context.Context, client *http.Client, rawURL, name string, policy URLPolicy, opts rangeread.Options) (*rangeread.Reader, error) {
	if _, err := policy.Check(rawURL); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return rangeread.New(ctx, &httpObject{client: client, url: rawURL, name: name}, opts)
}
