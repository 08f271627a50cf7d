package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// LambdaFunction is one function the Lambda control-plane server holds.
type LambdaFunction struct {
	Name, Runtime, Handler string
	PackageType            string // "Zip" when empty
	Architectures          []string
	Layers                 []string // layer version ARNs
	Env                    map[string]string
	Tags                   map[string]string
	// ImageURI and ResolvedImageURI are an image function's Code.ImageUri and Code.ResolvedImageUri.
	ImageURI, ResolvedImageURI string
	// Code returns a zip function's Code.Location; it is called on every GetFunction, as Lambda
	// presigns a fresh URL for each answer.
	Code func() string
	// NoListTags answers GetFunction as for a caller without lambda:ListTags (TagsError).
	NoListTags bool
	// RuntimeArn and RuntimeAlias are a customer-managed runtime's RuntimeConfig (Runtime: custom).
	RuntimeArn, RuntimeAlias string
	// Durable gives the function a DurableConfig.
	Durable bool
}

// LambdaServer is an httptest server speaking the Lambda REST API (restJson1) that the real
// aws-sdk-go-v2 Lambda client talks to: ListFunctions (Marker/NextMarker, at most 50 per page),
// GetFunction and GetLayerVersionByArn, with TooManyRequestsException answers on demand. Lambda's
// control plane has no local server, so this stands in for it; the wire format follows the Lambda
// API reference (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html,
// API_GetFunction.html, API_GetLayerVersionByArn.html) and the SDK's schemas.
type LambdaServer struct {
	URL             string
	Region, Account string
	srv             *httptest.Server

	mu        sync.Mutex
	functions []LambdaFunction
	layers    map[string]func() string
	throttle  map[string]int // op -> answers still to throttle
	every     map[string]int // op -> throttle every n-th request
	count     map[string]int
	keys      map[string]bool // access key IDs that signed requests
}

// Lambda operations, as LambdaServer counts and throttles them.
const (
	OpListFunctions        = "ListFunctions"
	OpGetFunction          = "GetFunction"
	OpGetLayerVersionByArn = "GetLayerVersionByArn"
)

// StartLambda starts the server for one account and Region; it stops with the test.
func StartLambda(t testing.TB, account, region string) *LambdaServer {
	t.Helper()
	s := &LambdaServer{Region: region, Account: account, layers: map[string]func() string{},
		throttle: map[string]int{}, every: map[string]int{}, count: map[string]int{}, keys: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// ARN is a function's ARN in this server's account and Region.
func (s *LambdaServer) ARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.Region, s.Account, name)
}

// AddFunction adds a function (listed in the order added).
func (s *LambdaServer) AddFunction(f LambdaFunction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions = append(s.functions, f)
}

// RemoveFunction deletes a function.
func (s *LambdaServer) RemoveFunction(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions = slices.DeleteFunc(s.functions, func(f LambdaFunction) bool { return f.Name == name })
}

// AddLayer serves a layer version: location returns its Content.Location.
func (s *LambdaServer) AddLayer(arn string, location func() string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.layers[arn] = location
}

// Throttle makes the next n requests of op answer 429 TooManyRequestsException.
func (s *LambdaServer) Throttle(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[op] = n
}

// ThrottleEvery makes every n-th request of op answer 429 TooManyRequestsException.
func (s *LambdaServer) ThrottleEvery(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.every[op] = n
}

// Count is how many requests of op the server received (throttled ones included).
func (s *LambdaServer) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[op]
}

// Keys lists the access key IDs that signed requests to the server.
func (s *LambdaServer) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// AccessKey is the access key ID of a SigV4-signed request ("" when unsigned).
func AccessKey(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

func (s *LambdaServer) fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (s *LambdaServer) reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *LambdaServer) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	var op, name string
	switch {
	case r.Method == http.MethodGet && (path == "/2015-03-31/functions" || path == "/2015-03-31/functions/"):
		op = OpListFunctions
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/2015-03-31/functions/"):
		op = OpGetFunction
		var err error
		if name, err = url.PathUnescape(strings.TrimPrefix(path, "/2015-03-31/functions/")); err != nil || strings.Contains(name, "/") {
			s.fail(w, http.StatusBadRequest, "InvalidParameterValueException", "bad function name")
			return
		}
	case r.Method == http.MethodGet && path == "/2018-10-31/layers" && r.URL.Query().Get("find") == "LayerVersion":
		op = OpGetLayerVersionByArn
	default:
		s.fail(w, http.StatusNotFound, "UnknownOperationException", r.Method+" "+path)
		return
	}
	s.mu.Lock()
	s.count[op]++
	if k := AccessKey(r); k != "" {
		s.keys[k] = true
	}
	throttled := s.throttle[op] > 0 || s.every[op] > 0 && s.count[op]%s.every[op] == 0
	if s.throttle[op] > 0 {
		s.throttle[op]--
	}
	s.mu.Unlock()
	if throttled {
		// Lambda's throttling answer (Lambda API reference, Errors: TooManyRequestsException, HTTP 429).
		w.Header().Set("Retry-After", "0")
		s.fail(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
		return
	}
	switch op {
	case OpListFunctions:
		s.list(w, r)
	case OpGetFunction:
		s.get(w, name)
	case OpGetLayerVersionByArn:
		s.layer(w, r.URL.Query().Get("Arn"))
	}
}

func (s *LambdaServer) config(f LambdaFunction) map[string]any {
	pt := f.PackageType
	if pt == "" {
		pt = "Zip"
	}
	c := map[string]any{"FunctionName": f.Name, "FunctionArn": s.ARN(f.Name), "PackageType": pt,
		"Version": "$LATEST", "LastModified": "2026-11-01T00:00:00.000+0000"}
	if f.Runtime != "" {
		c["Runtime"] = f.Runtime
	}
	if f.Handler != "" {
		c["Handler"] = f.Handler
	}
	archs := f.Architectures
	if len(archs) == 0 {
		archs = []string{"x86_64"}
	}
	c["Architectures"] = archs
	if len(f.Layers) > 0 {
		var ls []map[string]any
		for _, l := range f.Layers {
			ls = append(ls, map[string]any{"Arn": l, "CodeSize": 1})
		}
		c["Layers"] = ls
	}
	if len(f.Env) > 0 {
		c["Environment"] = map[string]any{"Variables": f.Env}
	}
	if f.RuntimeArn != "" {
		c["RuntimeConfig"] = map[string]any{"RuntimeArn": f.RuntimeArn, "RuntimeAlias": f.RuntimeAlias}
	}
	if f.Durable {
		c["DurableConfig"] = map[string]any{"ExecutionTimeout": 900, "RetentionPeriodInDays": 14}
	}
	return c
}

func (s *LambdaServer) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			s.fail(w, http.StatusBadRequest, "InvalidParameterValueException", "MaxItems")
			return
		}
		size = min(n, 50) // Lambda returns at most 50 per page whatever MaxItems says
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "page-"))
		if err != nil || !strings.HasPrefix(m, "page-") {
			s.fail(w, http.StatusBadRequest, "InvalidParameterValueException", "Marker")
			return
		}
		start = n
	}
	s.mu.Lock()
	fns := slices.Clone(s.functions)
	s.mu.Unlock()
	out := map[string]any{"Functions": []any{}}
	var page []any
	for i := start; i < len(fns) && i < start+size; i++ {
		page = append(page, s.config(fns[i]))
	}
	if page != nil {
		out["Functions"] = page
	}
	if start+size < len(fns) {
		out["NextMarker"] = fmt.Sprintf("page-%d", start+size)
	}
	s.reply(w, out)
}

func (s *LambdaServer) get(w http.ResponseWriter, name string) {
	s.mu.Lock()
	var fn *LambdaFunction
	for i := range s.functions {
		if f := &s.functions[i]; f.Name == name || s.ARN(f.Name) == name {
			fn = f
			break
		}
	}
	var f LambdaFunction
	if fn != nil {
		f = *fn
	}
	s.mu.Unlock()
	if fn == nil {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+s.ARN(name))
		return
	}
	out := map[string]any{"Configuration": s.config(f)}
	code := map[string]any{}
	if f.PackageType == "Image" {
		code["RepositoryType"] = "ECR"
		code["ImageUri"] = f.ImageURI
		if f.ResolvedImageURI != "" {
			code["ResolvedImageUri"] = f.ResolvedImageURI
		}
	} else {
		code["RepositoryType"] = "S3"
		if f.Code != nil {
			code["Location"] = f.Code()
		}
	}
	out["Code"] = code
	if f.NoListTags {
		out["TagsError"] = map[string]string{"ErrorCode": "AccessDeniedException", "Message": "not authorized to perform: lambda:ListTags"}
	} else if len(f.Tags) > 0 {
		out["Tags"] = f.Tags
	}
	s.reply(w, out)
}

func (s *LambdaServer) layer(w http.ResponseWriter, arn string) {
	s.mu.Lock()
	loc, ok := s.layers[arn]
	s.mu.Unlock()
	if !ok {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", "Layer version not found: "+arn)
		return
	}
	i := strings.LastIndex(arn, ":")
	v, _ := strconv.Atoi(arn[i+1:])
	s.reply(w, map[string]any{"LayerVersionArn": arn, "LayerArn": arn[:i], "Version": v,
		"Content": map[string]any{"Location": loc(), "CodeSize": 1, "CodeSha256": "unused"}})
}

// Presign returns a presigned GET URL for an object, valid for an hour: what Lambda's
// Code.Location and Content.Location are, served by MinIO.
func (m *MinIO) Presign(t testing.TB, bucket, key string) string {
	t.Helper()
	req, err := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatalf("presign s3://%s/%s: %v", bucket, key, err)
	}
	return req.URL
}
