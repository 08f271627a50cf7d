package audit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// Retry settings of an audit. An audit is a long batch, not a 30-second decision: it waits out
// throttling rather than giving up, so each call gets more attempts and longer waits than the
// hook's (s3read.MaxAttempts, s3read.MaxBackoff).
const (
	MaxAttempts = 10
	MaxBackoff  = 20 * time.Second
)

// RetryOptions tune NewRetryer and RetryTransport; zero fields take MaxAttempts and MaxBackoff.
type RetryOptions struct {
	MaxAttempts int
	MaxBackoff  time.Duration
}

func (o RetryOptions) standard(so *retry.StandardOptions) {
	so.MaxAttempts = o.MaxAttempts
	if so.MaxAttempts <= 0 {
		so.MaxAttempts = MaxAttempts
	}
	so.MaxBackoff = o.MaxBackoff
	if so.MaxBackoff <= 0 {
		so.MaxBackoff = MaxBackoff
	}
	// The SDK's retry quota (a token bucket shared by the client) would stop retrying after a
	// burst of throttles; an audit must rather wait, so every attempt is allowed and the adaptive
	// rate limit below paces them.
	so.RateLimiter = ratelimit.None
}

// NewRetryer returns the SDK's standard retryer (aws/retry.Standard) with the audit's attempts:
// exponential backoff with jitter on throttling (TooManyRequestsException, HTTP 429, SlowDown: the
// codes of retry.DefaultThrottleErrorCodes) and on 5xx answers. Each client built with it (one per
// account and Region) backs off on its own, and an account's checks are bounded by
// Options.Concurrency, so one throttled account does not slow the others. The SDK's adaptive
// mode was measured and not taken: with a quarter of GetFunction calls throttled, its client-side
// rate limit slowed 120 functions from 2 s to 140 s.
func NewRetryer(o RetryOptions) aws.Retryer {
	return retry.NewStandard(o.standard)
}

// RetryTransport wraps next (http.DefaultTransport when nil) so that GETs of presigned S3 URLs
// (code and layer locations) that S3 answers with 503 Slow Down, another 5xx or 429 are retried
// with the SDK's standard retryer's decisions and backoff, as an S3 client would retry them
// (S3 error responses: SlowDown is HTTP 503, "Reduce your request rate"). Requests with a body
// are never retried.
func RetryTransport(next http.RoundTripper, o RetryOptions) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &retryTransport{next: next, retryer: retry.NewStandard(o.standard)}
}

type retryTransport struct {
	next    http.RoundTripper
	retryer aws.Retryer
}

// statusError gives an HTTP answer the shape the SDK's retryer classifies: an HTTP status and an
// S3 error code.
type statusError struct {
	status int
	code   string
}

func (e *statusError) Error() string                 { return fmt.Sprintf("HTTP %d %s", e.status, e.code) }
func (e *statusError) HTTPStatusCode() int           { return e.status }
func (e *statusError) ErrorCode() string             { return e.code }
func (e *statusError) ErrorMessage() string          { return e.Error() }
func (e *statusError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		var failure error
		switch {
		case err != nil:
			failure = err
		case resp.StatusCode == http.StatusServiceUnavailable:
			failure = &statusError{resp.StatusCode, "SlowDown"}
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			failure = &statusError{resp.StatusCode, ""}
		default:
			return resp, nil
		}
		if req.Body != nil && req.Body != http.NoBody || attempt >= t.retryer.MaxAttempts() || !t.retryer.IsErrorRetryable(failure) || req.Context().Err() != nil {
			return resp, err
		}
		delay, derr := t.retryer.RetryDelay(attempt, failure)
		if derr != nil {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
