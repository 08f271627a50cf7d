package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// LambdaCore is an httptest server speaking the one Lambda Core API operation the guard calls,
// GetRuntimeAlias, in its documented wire protocol
// (https://docs.aws.amazon.com/lambda/latest/lambda-core/API_GetRuntimeAlias.html; service model
// aws-sdk-php src/data/lambda-core/2026-04-30/api-2.json: rest-json, SigV4 with signing name
// "lambda"): GET /2026-10-01/runtimes/{RuntimeName}/aliases/{Name} with percent-encoded labels,
// a SigV4 Authorization header whose scope names the runtime's region and the lambda service,
// the documented response syntax, and errors as X-Amzn-ErrorType plus {"Type", "Message"}. The
// Lambda control plane has no local server.
type LambdaCore struct {
	URL string

	mu       sync.Mutex
	aliases  map[[2]string]string // (runtime ARN, alias) -> response body
	denied   map[string]bool      // runtime ARNs the caller may not read
	requests []string             // "RUNTIME_ARN ALIAS" in order
	bad      []string             // protocol violations seen
}

// StartLambdaCore starts the server; it stops with the test, failing it if a request broke the
// protocol.
func StartLambdaCore(t testing.TB) *LambdaCore {
	t.Helper()
	s := &LambdaCore{aliases: map[[2]string]string{}, denied: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range s.bad {
			t.Errorf("lambda-core test server: %s", b)
		}
	})
	s.URL = srv.URL
	return s
}

// Env points aws-sdk-go-v2 configuration (in another process) at the server, as
// AWS_ENDPOINT_URL_<SERVICE ID> does for the "Lambda Core" service.
func (s *LambdaCore) Env() []string {
	return []string{"AWS_ENDPOINT_URL_LAMBDA_CORE=" + s.URL}
}

// PutAlias sets what GetRuntimeAlias answers for the alias: a JSON object in the documented
// response syntax.
func (s *LambdaCore) PutAlias(runtimeArn, alias, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliases[[2]string{runtimeArn, alias}] = body
}

// Deny makes reads of the runtime's aliases fail with AccessDeniedException.
func (s *LambdaCore) Deny(runtimeArn string, deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[runtimeArn] = deny
}

// Requests lists the reads served, as "RUNTIME_ARN ALIAS".
func (s *LambdaCore) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// AliasBody is a GetRuntimeAlias answer in the documented response syntax.
func AliasBody(runtimeArn, alias, state string, archs []string, lifecycle map[string]string) string {
	b, _ := json.Marshal(map[string]any{
		"Arn":               runtimeArn + "/alias/" + alias,
		"Name":              alias,
		"RuntimeVersion":    "1",
		"RuntimeVersionArn": runtimeArn + "/version/1",
		"State":             state,
		"Description":       "test alias",
		"Compatibility":     map[string]any{"Architectures": archs, "IntegrationModels": []string{"RuntimeAPI"}, "ManagedInstances": "NotSupported"},
		"ReleaseLifecycle":  lifecycle,
		"Created":           "2026-11-20T10:00:00Z",
		"LastModified":      "2026-11-20T10:00:00Z",
	})
	return string(b)
}

var (
	corePath  = regexp.MustCompile(`^/2026-10-01/runtimes/([^/]+)/aliases/([^/]+)$`)
	coreAuth  = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/([a-z0-9-]+)/lambda/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$`)
	arnRegion = regexp.MustCompile(`^arn:[a-z-]+:lambda:([a-z0-9-]+):\d{12}:runtime/`)
)

func (s *LambdaCore) fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": msg})
}

func (s *LambdaCore) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bad := func(format string, args ...any) {
		s.bad = append(s.bad, fmt.Sprintf(format, args...))
		s.fail(w, http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf(format, args...))
	}
	m := corePath.FindStringSubmatch(r.URL.EscapedPath())
	if r.Method != http.MethodGet || m == nil {
		bad("%s %s is not GetRuntimeAlias", r.Method, r.URL.EscapedPath())
		return
	}
	runtimeArn, err1 := url.PathUnescape(m[1])
	alias, err2 := url.PathUnescape(m[2])
	if err1 != nil || err2 != nil || strings.Contains(m[1], ":") {
		bad("labels not percent-encoded: %s", r.URL.EscapedPath())
		return
	}
	a := coreAuth.FindStringSubmatch(r.Header.Get("Authorization"))
	if a == nil || r.Header.Get("X-Amz-Date") == "" {
		bad("request not signed with SigV4 for the lambda service: Authorization %q", r.Header.Get("Authorization"))
		return
	}
	if rm := arnRegion.FindStringSubmatch(runtimeArn); rm != nil && rm[1] != a[1] {
		bad("signed for region %s, runtime is in %s", a[1], rm[1])
		return
	}
	if !strings.Contains(a[2], "host") || !strings.Contains(a[2], "x-amz-date") {
		bad("signed headers %s lack host or x-amz-date", a[2])
		return
	}
	s.requests = append(s.requests, runtimeArn+" "+alias)
	if s.denied[runtimeArn] {
		s.fail(w, http.StatusForbidden, "AccessDeniedException", fmt.Sprintf("User: arn:aws:sts::123456789012:assumed-role/guard/hook is not authorized to perform: lambda:GetRuntimeAlias on resource: %s/alias/%s because no identity-based policy allows the lambda:GetRuntimeAlias action", runtimeArn, alias))
		return
	}
	body, ok := s.aliases[[2]string{runtimeArn, alias}]
	if !ok {
		s.fail(w, http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("Runtime alias not found: %s/alias/%s", runtimeArn, alias))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(body))
}
