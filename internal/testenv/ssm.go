package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// SSM is an httptest server speaking the one SSM operation the hook calls, GetParameter, in SSM's
// own wire protocol (AWS JSON 1.1: POST / with X-Amz-Target: AmazonSSM.GetParameter, errors as
// {"__type": ..., "message": ...} with status 400), so the real aws-sdk-go-v2 SSM client talks to
// it exactly as it talks to SSM. SSM has no local server; the request and response shapes follow
// the SDK's own snapshots (service/ssm request_snapshot/GetParameter.request.snap and
// response_snapshot/GetParameter.response.snap, v1.82.1) and the GetParameter API reference
// (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html).
type SSM struct {
	URL string

	mu       sync.Mutex
	params   map[string]ssmParam
	denied   map[string]bool
	requests []string // parameter names asked for, in order
}

type ssmParam struct {
	value   string
	version int64
}

// StartSSM starts the server; it stops with the test.
func StartSSM(t testing.TB) *SSM {
	t.Helper()
	s := &SSM{params: map[string]ssmParam{}, denied: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Env points aws-sdk-go-v2 (in another process) at the server.
func (s *SSM) Env() []string {
	return []string{"AWS_ENDPOINT_URL_SSM=" + s.URL}
}

// Put creates or overwrites a String parameter, bumping its version as SSM does.
func (s *SSM) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	s.params[name] = ssmParam{value: value, version: p.version + 1}
}

// Delete removes a parameter.
func (s *SSM) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.params, name)
}

// Deny makes GetParameter on name answer AccessDeniedException, as IAM does for a role without
// ssm:GetParameter on it.
func (s *SSM) Deny(name string, deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[name] = deny
}

// Requests returns the parameter names asked for so far.
func (s *SSM) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *SSM) fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (s *SSM) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.fail(w, http.StatusBadRequest, "UnknownOperationException", r.Method+" "+r.URL.Path)
		return
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
		s.fail(w, http.StatusBadRequest, "SerializationException", "content type "+got)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || !strings.Contains(r.Header.Get("Authorization"), "/ssm/aws4_request") {
		s.fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request not signed for ssm")
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "AmazonSSM.GetParameter" {
		s.fail(w, http.StatusBadRequest, "UnknownOperationException", "operation "+target)
		return
	}
	var in struct {
		Name           string
		WithDecryption *bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
		s.fail(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("bad request body: %v", err))
		return
	}
	name := in.Name
	// A parameter may be asked for by ARN: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME names /NAME
	// when NAME is hierarchical.
	if i := strings.Index(name, ":parameter/"); strings.HasPrefix(name, "arn:") && i >= 0 {
		name = name[i+len(":parameter"):]
	}
	s.mu.Lock()
	s.requests = append(s.requests, in.Name)
	p, ok := s.params[name]
	denied := s.denied[name]
	s.mu.Unlock()
	switch {
	case denied:
		s.fail(w, http.StatusBadRequest, "AccessDeniedException", "User is not authorized to perform: ssm:GetParameter on resource: "+name)
		return
	case !ok:
		s.fail(w, http.StatusBadRequest, "ParameterNotFound", "")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"ARN": "arn:aws:ssm:us-east-1:123456789012:parameter" + name, "DataType": "text",
		"LastModifiedDate": float64(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC).Unix()),
		"Name":             name, "Type": "String", "Value": p.value, "Version": p.version,
	}})
}
