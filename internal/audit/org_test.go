package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// TestOrganization lists an organization's accounts through Organizations, assumes the audit
// role in each through STS (both httptest servers behind the real SDK clients) and audits two
// Regions of every account it can reach, with the account's own credentials, while one account's
// Lambda throttles: the account whose role cannot be assumed and the suspended one are reported,
// the others audited in full.
func TestOrganization(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "code", false)
	hello := testenv.HelloBootstrap(t)
	m.Put(t, "code", "good.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": hello}))
	m.Put(t, "code", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/bootstrap": hello}))
	org := testenv.StartOrganizations(t, []testenv.OrgAccount{
		{ID: "222222222222", Name: "shop"}, {ID: "333333333333", Name: "no-role"},
		{ID: "444444444444", Name: "old", State: "SUSPENDED"}, {ID: "555555555555", Name: "data"},
	})
	stsSrv := testenv.StartSTS(t, audit.DefaultRole, "222222222222", "555555555555")
	servers := map[string]*testenv.LambdaServer{}
	for _, acc := range []string{"222222222222", "555555555555"} {
		for _, reg := range []string{"eu-west-1", "us-east-1"} {
			s := testenv.StartLambda(t, acc, reg)
			for i := range 3 {
				key := "good.zip"
				if i == 0 {
					key = "nested.zip"
				}
				s.AddFunction(testenv.LambdaFunction{Name: fmt.Sprintf("fn-%d", i), Runtime: "provided.al2023", Handler: "bootstrap",
					Architectures: []string{"arm64"}, Code: func() string { return m.Presign(t, "code", key) }})
			}
			servers[acc+"/"+reg] = s
		}
	}
	servers["555555555555/eu-west-1"].ThrottleEvery(testenv.OpGetFunction, 2)

	base := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDITOR", "secret", ""),
		Retryer: func() aws.Retryer { return audit.NewRetryer(fastRetry) }}
	orgClient := organizations.NewFromConfig(base, func(o *organizations.Options) { o.BaseEndpoint = aws.String(org.URL) })
	stsClient := sts.NewFromConfig(base, func(o *sts.Options) { o.BaseEndpoint = aws.String(stsSrv.URL) })
	accounts, err := audit.OrgAccounts(context.Background(), orgClient)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 4 || accounts[2].Err == nil || accounts[0].Err != nil || accounts[1].Name != "no-role" {
		t.Fatalf("accounts %+v", accounts)
	}
	for i := range accounts {
		id := accounts[i].ID
		accounts[i].Open = func(ctx context.Context) ([]audit.Region, error) {
			cfg, err := audit.AssumeRole(ctx, base, stsClient, id, audit.DefaultRole)
			if err != nil {
				return nil, err
			}
			var regions []audit.Region
			for _, reg := range []string{"eu-west-1", "us-east-1"} {
				srv := servers[id+"/"+reg]
				lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = reg; o.BaseEndpoint = aws.String(srv.URL) })
				h := guard.New(guard.Config{Policy: engine.Policy{Date: day}, URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}}, guard.Clients{Lambda: lc, HTTP: &http.Client{}})
				regions = append(regions, audit.Region{Name: reg, Lambda: lc, Eval: h.CheckDeployed})
			}
			return regions, nil
		}
	}
	rep, err := audit.Run(context.Background(), accounts, audit.Options{Accounts: 2, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != 12 || rep.Undecided() != 0 {
		t.Fatalf("%d functions, %d undecided; want 12 and 0", len(rep.Functions), rep.Undecided())
	}
	for _, f := range rep.Functions {
		wantStatus := result.Pass
		if f.Name == "fn-0" {
			wantStatus = result.Fail
		}
		if f.Result.Status != wantStatus || !strings.Contains(f.ARN, ":"+f.Account+":") || !strings.Contains(f.ARN, ":"+f.Region+":") {
			t.Errorf("%s in %s/%s: %s, want %s", f.ARN, f.Account, f.Region, f.Result.Status, wantStatus)
		}
	}
	// Each account's Lambda saw only that account's assumed-role credentials.
	for key, srv := range servers {
		if got := srv.Keys(); !reflect.DeepEqual(got, []string{testenv.RoleKey(srv.Account)}) {
			t.Errorf("%s: signed by %v, want only %s", key, got, testenv.RoleKey(srv.Account))
		}
	}
	if len(rep.Errors) != 2 || rep.Errors[0].Account != "333333333333" || !strings.Contains(rep.Errors[0].Err.Error(), "AccessDenied") ||
		rep.Errors[1].Account != "444444444444" || !strings.Contains(rep.Errors[1].Err.Error(), "SUSPENDED") {
		t.Errorf("errors %+v", rep.Errors)
	}
	want := []string{"arn:aws:iam::222222222222:role/BootstrapGuardAudit", "arn:aws:iam::333333333333:role/BootstrapGuardAudit", "arn:aws:iam::555555555555:role/BootstrapGuardAudit"}
	got := stsSrv.Roles()
	if len(got) < 3 {
		t.Errorf("roles asked %v, want %v", got, want)
	}
	for _, r := range want {
		if !strings.Contains(strings.Join(got, " "), r) {
			t.Errorf("role %s not asked for (asked %v)", r, got)
		}
	}
	if n := servers["555555555555/eu-west-1"].Count(testenv.OpGetFunction); n <= 3 {
		t.Errorf("%d GetFunction calls in the throttled account, want retries beyond 3", n)
	}
	s := rep.Summarize()
	if len(s.Accounts) != 4 || s.Accounts[0].Label != "shop" || s.Accounts[0].Functions != 6 || s.Accounts[0].Failed != 2 || s.Accounts[1].Error == "" {
		t.Errorf("by account %+v", s.Accounts)
	}
}

func TestParseAccounts(t *testing.T) {
	got, err := audit.ParseAccounts([]string{"222222222222", " 333333333333", "222222222222"})
	if err != nil || len(got) != 2 || got[1].ID != "333333333333" {
		t.Errorf("%+v, %v", got, err)
	}
	for _, bad := range [][]string{{"12345"}, {"arn:aws:iam::222222222222:root"}, {}} {
		if _, err := audit.ParseAccounts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		if got := audit.Partition(region); got != want {
			t.Errorf("Partition(%s) = %s, want %s", region, got, want)
		}
	}
}
