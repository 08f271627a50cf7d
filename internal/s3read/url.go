package s3read

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
)

// ErrURL rejects a location this package will not fetch.
var ErrURL = errors.New("not an HTTPS URL on an AWS S3 host")

// ErrTooLarge rejects an object larger than the caller's cap.
var ErrTooLarge = errors.New("larger than allowed")

// URLPolicy says which presigned URLs may be fetched: layer locations (GetLayerVersionByArn's
// Content.Location) and hook payloads (requestData.payload). The zero value allows only HTTPS URLs
// on AWS S3 hosts, for the first request and every redirect: a forged location cannot make the
// hook reach anything else (no SSRF).
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

// IsS3Host reports whether host is an Amazon S3 endpoint of one of the documented forms, path-style
// (the endpoint itself) or virtual-hosted (a bucket name, which may hold dots, before it):
//
//	s3.REGION.SUFFIX                  regular   https://docs.aws.amazon.com/general/latest/gr/s3.html
//	s3.dualstack.REGION.SUFFIX        dual-stack (same page; AmazonS3/latest/API/RESTAPI.html)
//	s3-fips.REGION.SUFFIX             FIPS (same page)
//	s3-fips.dualstack.REGION.SUFFIX   FIPS dual-stack (same page)
//	s3-REGION.SUFFIX                  legacy dash-Region endpoint, and
//	s3.amazonaws.com, s3-external-1.amazonaws.com   the legacy global endpoints
//	    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html#VirtualHostingBackwardsCompatibility)
//
// where REGION matches its partition's region pattern and SUFFIX is that partition's DNS suffix,
// both from the SDK's partition table (s3Partitions). Nothing else under amazonaws.com passes:
// other services let their customers choose labels (a load balancer named s3-x,
// s3-x-123.us-east-1.elb.amazonaws.com; a database s3.abc.us-east-1.rds.amazonaws.com), and
// those hosts are not S3. Access points (s3-accesspoint.REGION) are not accepted: presigned
// layer locations and hook payloads are plain bucket URLs.
func IsS3Host(host string) bool {
	for _, p := range s3Partitions {
		rest, ok := strings.CutSuffix(host, "."+p.suffix)
		if !ok {
			continue
		}
		labels := strings.Split(rest, ".")
		for n := 1; n <= 3 && n <= len(labels); n++ {
			endpoint, bucket := labels[len(labels)-n:], labels[:len(labels)-n]
			if p.isEndpoint(endpoint) && (len(bucket) == 0 || isBucket(bucket)) {
				return true
			}
		}
	}
	return false
}

// s3Partition is one row of the SDK's partition table (aws-sdk-go-v2,
// internal/endpoints/awsrulesfn/partitions.json: id, regionRegex, dnsSuffix), for the partitions
// S3 presigned URLs come from. The isolated partitions (aws-iso*) are left out.
type s3Partition struct {
	id, suffix string
	region     *regexp.Regexp
	global     bool // the legacy global endpoints exist (aws only)
}

var s3Partitions = []s3Partition{
	{"aws", "amazonaws.com", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`), true},
	{"aws-us-gov", "amazonaws.com", regexp.MustCompile(`^us\-gov\-\w+\-\d+$`), false},
	{"aws-cn", "amazonaws.com.cn", regexp.MustCompile(`^cn\-\w+\-\d+$`), false},
	{"aws-eusc", "amazonaws.eu", regexp.MustCompile(`^eusc\-(de)\-\w+\-\d+$`), false},
}

// isEndpoint reports whether labels (the last one to three labels before the suffix) are an S3
// endpoint of the partition.
func (p s3Partition) isEndpoint(labels []string) bool {
	switch len(labels) {
	case 1:
		l := labels[0]
		if p.global && (l == "s3" || l == "s3-external-1") {
			return true
		}
		r, ok := strings.CutPrefix(l, "s3-")
		return ok && p.region.MatchString(r)
	case 2:
		return (labels[0] == "s3" || labels[0] == "s3-fips") && p.region.MatchString(labels[1])
	case 3:
		return (labels[0] == "s3" || labels[0] == "s3-fips") && labels[1] == "dualstack" && p.region.MatchString(labels[2])
	}
	return false
}

// isBucket reports whether labels form a bucket name as virtual-hosted URLs carry it: 3 to 63
// characters of lowercase letters, digits, dots and hyphens, each label starting and ending with
// a letter or digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
func isBucket(labels []string) bool {
	n := len(labels) - 1
	for _, l := range labels {
		n += len(l)
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return n >= 3 && n <= 63
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
	return rangeread.New(ctx, &httpObject{client: policy.client(client), url: rawURL, name: name}, opts)
}

// client returns a copy of c (http.DefaultClient when nil) whose redirects are held to the policy
// too: S3 answers presigned GETs directly, so a redirect elsewhere is never needed.
func (p URLPolicy) client(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	next := c.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if _, err := p.Check(req.URL.String()); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cc
}

// Fetch attempts and backoff for whole-object GETs. AWS's Python hook library retries the payload
// GET 3 times on HTTP 500, 502, 503 and 504 (cloudformation-cli-python-plugin
// src/cloudformation_cli_python_lib/utils.py, HOOK_REMOTE_PAYLOAD_RETRY_*); here the waits are
// shorter, since the whole decision has to fit CloudFormation's 30 seconds.
const (
	fetchAttempts = 3
	fetchBackoff  = 200 * time.Millisecond
)

// Fetch GETs a whole object from a presigned URL under the policy and returns its body, at most
// max bytes (a larger object is ErrTooLarge, decided from Content-Length before reading when the
// server sends one). name is how errors refer to it: the URL is presigned and must not reach logs.
func Fetch(ctx context.Context, client *http.Client, rawURL, name string, policy URLPolicy, max int64) ([]byte, error) {
	if _, err := policy.Check(rawURL); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	client = policy.client(client)
	var lastErr error
	for attempt := range fetchAttempts {
		if attempt > 0 {
			t := time.NewTimer(fetchBackoff << (attempt - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("get %s: %w (after: %v)", name, ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		b, retry, err := fetchOnce(ctx, client, rawURL, name, max)
		if err == nil || !retry {
			return b, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func fetchOnce(ctx context.Context, client *http.Client, rawURL, name string, max int64) (body []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, ErrURL)
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the presigned URL: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, ctx.Err() == nil && !errors.Is(err, ErrURL), fmt.Errorf("get %s: %w", name, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, false, fmt.Errorf("get %s: %w (HTTP 404)", name, ErrNotFound)
	case http.StatusForbidden:
		return nil, false, fmt.Errorf("get %s: %w (HTTP 403; an expired presigned URL?)", name, ErrAccessDenied)
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, true, fmt.Errorf("get %s: HTTP %d", name, resp.StatusCode)
	default:
		return nil, false, fmt.Errorf("get %s: HTTP %d", name, resp.StatusCode)
	}
	if resp.ContentLength > max {
		return nil, false, fmt.Errorf("get %s: %w: %d bytes, at most %d", name, ErrTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, false, fmt.Errorf("get %s: %w: more than %d bytes", name, ErrTooLarge, max)
	}
	if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		return nil, true, fmt.Errorf("read %s: body of %d bytes, Content-Length %d", name, len(b), resp.ContentLength)
	}
	return b, false, nil
}
