package cmr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// No aws-sdk-go-v2 client exists for the Lambda Core API (the Go module proxy has no
// service/lambdacore, and service/lambda v1.117.0/v1.118.0 have no GetRuntimeAlias), so Client
// sends the one request as a generated client would, from the service model
// (aws-sdk-php src/data/lambda-core/2026-04-30/api-2.json: protocol rest-json, signatureVersion
// v4, endpointPrefix and signingName "lambda") and the API reference: SigV4 with
// aws-sdk-go-v2's own signer, credentials from aws.Config, the endpoint override variables
// aws-sdk-go-v2 documents for a service ID ("Lambda Core": AWS_ENDPOINT_URL_LAMBDA_CORE, then
// AWS_ENDPOINT_URL), rest-json errors (X-Amzn-ErrorType), and retries of throttling and server
// errors.

// ServiceID is the Lambda Core API's service ID (api-2.json metadata.serviceId).
const ServiceID = "Lambda Core"

// signingName is the SigV4 service name (api-2.json metadata.signingName).
const signingName = "lambda"

// apiPath is GetRuntimeAlias's request URI: GET /2026-10-01/runtimes/RuntimeName/aliases/Name.
const apiPath = "/2026-10-01/runtimes/%s/aliases/%s"

// MaxResponse bounds a GetRuntimeAlias answer (a few hundred bytes in the documented shape).
const MaxResponse = 1 << 20

// emptyPayloadHash is the SHA-256 of an empty body, as SigV4 signs a GET.
var emptyPayloadHash = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// Client reads runtime aliases through the Lambda Core API.
type Client struct {
	creds    aws.CredentialsProvider
	http     aws.HTTPClient
	region   string // the configuration's region, when the ARN's cannot be used
	endpoint string // an override: AWS_ENDPOINT_URL_LAMBDA_CORE, AWS_ENDPOINT_URL, or cfg.BaseEndpoint
	signer   *v4.Signer
	now      func() time.Time
	attempts int
	backoff  time.Duration
}

// NewFromConfig returns a Client using cfg's credentials and HTTP client. getenv (os.Getenv)
// supplies the endpoint overrides.
func NewFromConfig(cfg aws.Config, getenv func(string) string) *Client {
	c := &Client{creds: cfg.Credentials, http: cfg.HTTPClient, region: cfg.Region, signer: v4.NewSigner(), now: time.Now, attempts: 3, backoff: 100 * time.Millisecond}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second}
	}
	envKey := "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(ServiceID, " ", "_"))
	switch {
	case getenv != nil && strings.TrimSpace(getenv(envKey)) != "":
		c.endpoint = strings.TrimSpace(getenv(envKey))
	case getenv != nil && strings.TrimSpace(getenv("AWS_ENDPOINT_URL")) != "":
		c.endpoint = strings.TrimSpace(getenv("AWS_ENDPOINT_URL"))
	case cfg.BaseEndpoint != nil:
		c.endpoint = *cfg.BaseEndpoint
	}
	c.endpoint = strings.TrimSuffix(c.endpoint, "/")
	return c
}

// APIError is an error answer of the Lambda Core API.
type APIError struct {
	StatusCode int
	Code       string // AccessDeniedException, ResourceNotFoundException, ...
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.StatusCode, e.Message)
}

// Denied reports an authorization failure (the role may not call GetRuntimeAlias on the
// runtime).
func (e *APIError) Denied() bool {
	return e.StatusCode == http.StatusForbidden || strings.Contains(e.Code, "AccessDenied")
}

// NotFound reports a runtime or alias that does not exist (or is not shared with the caller).
func (e *APIError) NotFound() bool {
	return e.StatusCode == http.StatusNotFound || e.Code == "ResourceNotFoundException"
}

func (e *APIError) retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// endpointFor is the endpoint of region: the override, else https://lambda.REGION.amazonaws.com
// (endpointPrefix "lambda"; amazonaws.com.cn in the China partition).
func (c *Client) endpointFor(partition, region string) string {
	if c.endpoint != "" {
		return c.endpoint
	}
	suffix := "amazonaws.com"
	if partition == "aws-cn" {
		suffix = "amazonaws.com.cn"
	}
	return "https://lambda." + region + "." + suffix
}

// GetRuntimeAlias reads alias of the runtime runtimeArn, in the runtime's own region (runtimes
// are regional).
func (c *Client) GetRuntimeAlias(ctx context.Context, runtimeArn, alias string) (*Alias, error) {
	arn, err := ParseARN(runtimeArn)
	if err != nil {
		return nil, fmt.Errorf("get runtime alias: %w", err)
	}
	if c.creds == nil {
		return nil, errors.New("get runtime alias: no AWS credentials")
	}
	region := arn.Region
	if region == "" {
		region = c.region
	}
	url := c.endpointFor(arn.Partition, region) + fmt.Sprintf(apiPath, escapeLabel(runtimeArn), escapeLabel(alias))
	var last error
	for attempt := 0; attempt < max(c.attempts, 1); attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("get runtime alias %s:%s: %w (after %v)", runtimeArn, alias, ctx.Err(), last)
			case <-time.After(c.backoff << (attempt - 1)):
			}
		}
		a, err := c.do(ctx, url, region)
		if err == nil {
			return a, nil
		}
		last = err
		var ae *APIError
		if errors.As(err, &ae) && !ae.retryable() || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("get runtime alias %s (alias %s): %w", runtimeArn, alias, last)
}

func (c *Client) do(ctx context.Context, url, region string) (*Alias, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bootstrap-guard (lambda-core GetRuntimeAlias)")
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieve credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, emptyPayloadHash, signingName, region, c.now().UTC()); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if len(body) > MaxResponse {
		return nil, fmt.Errorf("answer larger than %d bytes", MaxResponse)
	}
	if resp.StatusCode/100 != 2 {
		return nil, apiError(resp, body)
	}
	return DecodeAlias(body)
}

// apiError reads a rest-json error: the code from the X-Amzn-ErrorType header (up to a colon),
// else the body's __type or code; the message from the body's message or Message.
func apiError(resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	var b struct {
		Type1   string `json:"__type"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Msg2    string `json:"Message"`
	}
	_ = json.Unmarshal(body, &b) // a body that is not JSON leaves the status code to speak
	e.Code = resp.Header.Get("X-Amzn-ErrorType")
	if e.Code == "" {
		e.Code = b.Type1
	}
	if e.Code == "" {
		e.Code = b.Code
	}
	if i := strings.IndexAny(e.Code, ":#"); i >= 0 {
		// "ResourceNotFoundException:http://internal.amazon.com/..." or "aws.protocols#Name".
		if e.Code[i] == '#' {
			e.Code = e.Code[i+1:]
		} else {
			e.Code = e.Code[:i]
		}
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	e.Message = b.Message
	if e.Message == "" {
		e.Message = b.Msg2
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(bytes.ToValidUTF8(body[:min(len(body), 200)], nil)))
	}
	return e
}

// wireAlias is GetRuntimeAlias's response body ("Response Syntax").
type wireAlias struct {
	Arn           string `json:"Arn"`
	Compatibility *struct {
		Architectures    []string `json:"Architectures"`
		ManagedInstances string   `json:"ManagedInstances"`
	} `json:"Compatibility"`
	ReleaseLifecycle *struct {
		DeprecationDate         string `json:"DeprecationDate"`
		FunctionCreateBlockDate string `json:"FunctionCreateBlockDate"`
		FunctionUpdateBlockDate string `json:"FunctionUpdateBlockDate"`
		ReleaseState            string `json:"ReleaseState"`
	} `json:"ReleaseLifecycle"`
	RuntimeVersion string `json:"RuntimeVersion"`
	State          string `json:"State"`
}

// DecodeAlias reads a GetRuntimeAlias answer. Members outside the documented shape are ignored,
// as generated clients ignore them; dates must be YYYY-MM-DD (RuntimeReleaseLifecycle: "Pattern:
// \d{4}-\d{2}-\d{2}").
func DecodeAlias(b []byte) (*Alias, error) {
	var w wireAlias
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode GetRuntimeAlias answer: %w", err)
	}
	a := &Alias{Arn: w.Arn, RuntimeVersion: w.RuntimeVersion, State: w.State}
	if w.Compatibility != nil {
		a.Architectures = w.Compatibility.Architectures
	}
	if l := w.ReleaseLifecycle; l != nil {
		a.Lifecycle.ReleaseState = l.ReleaseState
		for _, d := range []struct {
			name, v string
			to      *time.Time
		}{
			{"DeprecationDate", l.DeprecationDate, &a.Lifecycle.Deprecation},
			{"FunctionCreateBlockDate", l.FunctionCreateBlockDate, &a.Lifecycle.CreateBlocked},
			{"FunctionUpdateBlockDate", l.FunctionUpdateBlockDate, &a.Lifecycle.UpdateBlocked},
		} {
			if d.v == "" {
				continue
			}
			t, err := time.Parse(time.DateOnly, d.v)
			if err != nil {
				return nil, fmt.Errorf("decode GetRuntimeAlias answer: ReleaseLifecycle.%s %.40q: want YYYY-MM-DD", d.name, d.v)
			}
			*d.to = t
		}
	}
	return a, nil
}

// escapeLabel percent-encodes a URI label as rest-json clients do: everything but the unreserved
// characters (A-Z a-z 0-9 - . _ ~), "/" and ":" included, since RuntimeName may be an ARN.
func escapeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
