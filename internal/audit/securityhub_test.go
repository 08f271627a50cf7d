package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// TestSecurityHub audits an account three times and publishes each audit to Security Hub (an
// httptest server behind the real SDK client): failing functions become ACTIVE findings, the same
// finding is updated while the function keeps failing (CreatedAt kept), and archived once it is
// fixed or deleted; a function that could not be decided changes nothing.
func TestSecurityHub(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	hello := testenv.HelloBootstrap(t)
	m.Put(t, "code", "good.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": hello}))
	m.Put(t, "code", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/bootstrap": hello}))
	srv := testenv.StartLambda(t, account, region)
	var mu sync.Mutex
	keys := map[string]string{"orders": "nested.zip", "users": "nested.zip", "fine": "good.zip", "unread": "missing.zip"}
	for name := range keys {
		srv.AddFunction(testenv.LambdaFunction{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", Architectures: []string{"arm64"},
			Code: func() string { mu.Lock(); defer mu.Unlock(); return m.Presign(t, "code", keys[name]) }})
	}
	hub := testenv.StartSecurityHub(t)
	shc := securityhub.New(securityhub.Options{Region: region, BaseEndpoint: aws.String(hub.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDIT", "secret", "")})
	lc := lambdaClient(srv)
	h := hookFor(lc, m, guard.Config{})
	clock := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	publish := func(want audit.Published) {
		t.Helper()
		rep, err := audit.Run(context.Background(), []audit.Account{{ID: account, Regions: []audit.Region{regionOf(srv, lc, h)}}}, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(24 * time.Hour)
		got, err := audit.Publish(context.Background(), shc, account, region, rep, clock)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("published %+v, want %+v", got, want)
		}
	}
	state := func(name string) (string, string, string) {
		f := hub.Findings()[audit.FindingID(srv.ARN(name))]
		if f == nil {
			return "", "", ""
		}
		s, _ := f["RecordState"].(string)
		c, _ := f["CreatedAt"].(string)
		u, _ := f["UpdatedAt"].(string)
		return s, c, u
	}

	publish(audit.Published{Created: 2})
	for _, name := range []string{"orders", "users"} {
		if s, _, _ := state(name); s != "ACTIVE" {
			t.Errorf("%s: %q, want an ACTIVE finding", name, s)
		}
	}
	if s, _, _ := state("fine"); s != "" {
		t.Errorf("a passing function has a finding (%s)", s)
	}
	f := hub.Findings()[audit.FindingID(srv.ARN("orders"))]
	res := f["Resources"].([]any)[0].(map[string]any)
	if res["Type"] != "AwsLambdaFunction" || res["Id"] != srv.ARN("orders") || f["SchemaVersion"] != "2018-10-08" || f["ProductArn"] != "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default" {
		t.Errorf("finding %v", f)
	}
	_, created, _ := state("orders")

	// users is fixed: its finding is archived; orders still fails: updated, CreatedAt kept.
	mu.Lock()
	keys["users"] = "good.zip"
	mu.Unlock()
	publish(audit.Published{Updated: 1, Archived: 1})
	if s, c, u := state("orders"); s != "ACTIVE" || c != created || u == created {
		t.Errorf("orders: %s created %s updated %s; want ACTIVE, created %s, updated later", s, c, u, created)
	}
	if s, _, _ := state("users"); s != "ARCHIVED" {
		t.Errorf("users fixed: %q, want ARCHIVED", s)
	}

	// orders cannot be read this time: its finding stays as it was.
	mu.Lock()
	keys["orders"] = "missing.zip"
	mu.Unlock()
	publish(audit.Published{})
	if s, _, _ := state("orders"); s != "ACTIVE" {
		t.Errorf("orders unread: %q, want its finding still ACTIVE", s)
	}

	// orders is deleted: archived.
	srv.RemoveFunction("orders")
	publish(audit.Published{Archived: 1})
	if s, _, _ := state("orders"); s != "ARCHIVED" {
		t.Errorf("orders deleted: %q, want ARCHIVED", s)
	}
	// Nothing left to do.
	publish(audit.Published{})
}
