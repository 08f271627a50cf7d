package testenv

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// OrgAccount is one account of the Organizations server.
type OrgAccount struct {
	ID, Name string
	State    string // ACTIVE when empty
}

// StartOrganizations serves Organizations' ListAccounts over its awsJson1_1 wire protocol (POST /
// with X-Amz-Target: AWSOrganizationsV20161128.ListAccounts; Organizations API reference,
// ListAccounts), two accounts a page so that paging is exercised. Organizations has no local
// server; the real SDK client talks to this one.
func StartOrganizations(t testing.TB, accounts []OrgAccount) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AWSOrganizationsV20161128.ListAccounts" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException", "Message": r.Header.Get("X-Amz-Target")})
			return
		}
		var in struct{ NextToken string }
		json.NewDecoder(r.Body).Decode(&in)
		start := 0
		if in.NextToken != "" {
			start, _ = strconv.Atoi(in.NextToken)
		}
		var page []map[string]any
		for i := start; i < len(accounts) && i < start+2; i++ {
			a := accounts[i]
			state := a.State
			if state == "" {
				state = "ACTIVE"
			}
			page = append(page, map[string]any{"Id": a.ID, "Name": a.Name, "Email": a.ID + "@example.com",
				"Arn": "arn:aws:organizations::111111111111:account/o-example/" + a.ID, "State": state, "JoinedMethod": "CREATED",
				"JoinedTimestamp": float64(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix())})
		}
		out := map[string]any{"Accounts": page}
		if start+2 < len(accounts) {
			out["NextToken"] = strconv.Itoa(start + 2)
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// STSServer serves STS AssumeRole and GetCallerIdentity over its awsQuery wire protocol (form POST, XML answer; STS API
// reference, AssumeRole). A role in an account listed in Allowed is assumed with the access key
// ID RoleKey(account); any other is AccessDenied, as for a role that does not exist or does not
// trust the caller.
type STSServer struct {
	URL     string
	caller  string // the account GetCallerIdentity names for credentials it did not hand out
	mu      sync.Mutex
	allowed map[string]bool
	roles   []string // role ARNs asked for
}

// RoleKey is the access key ID of the session STSServer hands out for an account.
func RoleKey(account string) string { return "ASIA" + account }

// StartSTS starts the server; roles named role can be assumed in the allowed accounts.
func StartSTS(t testing.TB, role string, allowed ...string) *STSServer {
	t.Helper()
	s := &STSServer{allowed: map[string]bool{}}
	for _, a := range allowed {
		s.allowed[fmt.Sprintf("arn:aws:iam::%s:role/%s", a, role)] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// SetCaller sets the account GetCallerIdentity names for credentials the server did not hand out.
func (s *STSServer) SetCaller(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller = account
}

// Roles lists the role ARNs asked for, in order.
func (s *STSServer) Roles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.roles...)
}

func (s *STSServer) serve(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "text/xml")
	if r.Form.Get("Action") == "GetCallerIdentity" {
		account := strings.TrimPrefix(AccessKey(r), "ASIA")
		if !strings.HasPrefix(AccessKey(r), "ASIA") {
			s.mu.Lock()
			account = s.caller
			s.mu.Unlock()
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, xmlText(account), xmlText(account))
		return
	}
	if r.Form.Get("Action") != "AssumeRole" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, xmlText(r.Form.Get("Action")))
		return
	}
	arn := r.Form.Get("RoleArn")
	s.mu.Lock()
	s.roles = append(s.roles, arn)
	ok := s.allowed[arn]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, xmlText(arn))
		return
	}
	account := strings.Split(arn, ":")[4]
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret-%s</SecretAccessKey><SessionToken>token-%s</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId><Arn>%s</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		RoleKey(account), account, account, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), xmlText(r.Form.Get("RoleSessionName")), xmlText(arn))
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// LambdaByAccount is one Lambda endpoint in front of the per-account servers: a request signed
// with RoleKey(account) goes to that account's server, as Lambda serves each caller its own
// account's functions.
func LambdaByAccount(t testing.TB, servers ...*LambdaServer) string {
	t.Helper()
	byKey := map[string]*url.URL{}
	for _, s := range servers {
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		byKey[RoleKey(s.Account)] = u
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := byKey[AccessKey(r)]
		if !ok {
			w.Header().Set("X-Amzn-ErrorType", "UnrecognizedClientException")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"The security token included in the request is invalid."}`)
			return
		}
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
