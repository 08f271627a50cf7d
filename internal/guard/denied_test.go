package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// TestReadDeniedByPolicy reads packages with credentials whose policy allows one bucket and
// denies another: MinIO's own policy engine (STS AssumeRole with a session policy, signed by the
// real aws-sdk-go-v2 STS client) makes the 403. The denied read names bucket, key, the statement
// the role lacks and the exemption tag, in the message and in the annotation; the allowed read in
// the same run passes, so the denial is the policy's doing.
func TestReadDeniedByPolicy(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "team-artifacts", false)
	m.Bucket(t, "locked-artifacts", false)
	arm := goBinary(t, "linux", "arm64")
	pkg := zipOf(t, entry{"bootstrap", 0o755, arm})
	m.Put(t, "team-artifacts", "fn.zip", pkg)
	m.Put(t, "locked-artifacts", "builds/fn.zip", pkg)

	policy := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::team-artifacts/*","arn:aws:s3:::locked-artifacts/*"]},
		{"Effect":"Deny","Action":["s3:*"],"Resource":["arn:aws:s3:::locked-artifacts","arn:aws:s3:::locked-artifacts/*"]}]}`
	stsc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.Secret, "")})
	out, err := stsc.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/BootstrapGuard-FunctionRole"), // MinIO ignores it
		RoleSessionName: aws.String("bootstrap-guard"),
		Policy:          aws.String(policy),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("MinIO STS AssumeRole: %v", err)
	}
	c := out.Credentials
	restricted := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))})

	for _, form := range forms {
		for _, mode := range []FailMode{FailClosed, FailOpen} {
			t.Run(filepath.Join(form, string(mode)), func(t *testing.T) {
				h, _ := newTestHandler(t, Config{FailMode: mode, Region: "eu-west-1"}, Clients{S3: restricted})
				allowed := decodeResponse(t, must(h.Invoke(context.Background(),
					eventFrom(t, filepath.Join(form, "create.json"), "Allowed", fnProps("provided.al2023", "arm64", "team-artifacts", "fn.zip", "")))))
				if allowed.HookStatus != hookapi.StatusSuccess {
					t.Fatalf("the allowed bucket: %s %s", allowed.HookStatus, allowed.Message)
				}
				r := decodeResponse(t, must(h.Invoke(context.Background(),
					eventFrom(t, filepath.Join(form, "create.json"), "Locked", fnProps("provided.al2023", "arm64", "locked-artifacts", "builds/fn.zip", "")))))
				wantStatus, wantCode := hookapi.StatusFailed, hookapi.InternalFailure
				if mode == FailOpen {
					wantStatus, wantCode = hookapi.StatusSuccess, ""
				}
				if r.HookStatus != wantStatus || r.ErrorCode != wantCode {
					t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, wantStatus, wantCode, r.Message)
				}
				a, ok := annotation(r, ReadErrorAnnotation)
				if !ok || a.Status != hookapi.AnnotationSkipped {
					t.Fatalf("annotation %s missing or not SKIPPED: %+v", ReadErrorAnnotation, r.Annotations)
				}
				statement := `{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::locked-artifacts/builds/fn.zip"}`
				for _, s := range []string{"Locked", "s3://locked-artifacts/builds/fn.zip", "access denied", statement, "bucket policy of locked-artifacts", "bootstrap-guard:exempt=<reason>"} {
					if !strings.Contains(r.Message, s) {
						t.Errorf("message lacks %q:\n%s", s, r.Message)
					}
				}
				for _, s := range []string{statement, "bootstrap-guard:exempt=<reason>"} {
					if !strings.Contains(a.RemediationMessage, s) {
						t.Errorf("annotation's remediation lacks %q:\n%s", s, a.RemediationMessage)
					}
				}
				if !strings.Contains(a.StatusMessage, "s3://locked-artifacts/builds/fn.zip") {
					t.Errorf("annotation's status message: %s", a.StatusMessage)
				}
			})
		}
	}
}

// TestDeniedFix reads the access-denied messages S3 sends within an account or organization
// (the forms in the S3 User Guide's "Troubleshoot access denied (403 Forbidden) errors") and
// checks that each leads to the right fix.
func TestDeniedFix(t *testing.T) {
	const user = `User: arn:aws:sts::123456789012:assumed-role/Guard-FunctionRole-1A2B/bootstrap-guard`
	const obj = `"arn:aws:s3:::team-artifacts/builds/fn.zip"`
	const key = `arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`
	tests := []struct {
		name, msg string
		by        denier
		want      []string
	}{
		{"no identity-based allow", user + ` is not authorized to perform: s3:GetObject on resource: ` + obj + ` because no identity-based policy allows the s3:GetObject action`, deniedNoAllow,
			[]string{`"Resource":"arn:aws:s3:::team-artifacts/builds/fn.zip"`, "lacks the statement", "ReadScope ORGANIZATION"}},
		{"bucket policy deny", user + ` is not authorized to perform: s3:GetObject on resource: ` + obj + ` with an explicit deny in a resource-based policy`, deniedResourcePolicy,
			[]string{"bucket policy of team-artifacts denies", "aws:PrincipalArn"}},
		{"SCP", user + ` is not authorized to perform: s3:GetObject on resource: ` + obj + ` with an explicit deny in a service control policy`, deniedOrgPolicy,
			[]string{"service or resource control policy", "s3://team-artifacts/builds/fn.zip"}},
		{"VPC endpoint", user + ` is not authorized to perform: s3:GetObject on resource: ` + obj + ` because no VPC endpoint policy allows the s3:GetObject action`, deniedVPCEndpoint,
			[]string{"VPC endpoint policy"}},
		{"identity deny", user + ` is not authorized to perform: s3:GetObject on resource: ` + obj + ` with an explicit deny in an identity-based policy`, deniedIdentityDeny,
			[]string{"explicit Deny"}},
		{"KMS, no allow", user + ` is not authorized to perform: kms:Decrypt on resource: ` + key + ` because no identity-based policy allows the kms:Decrypt action`, deniedNoAllow,
			[]string{`"Action":"kms:Decrypt","Resource":"` + key + `"`, `"kms:ViaService":"s3.eu-west-1.amazonaws.com"`}},
		{"KMS, key policy", user + ` is not authorized to perform: kms:Decrypt on resource: ` + key + ` because no resource-based policy allows the kms:Decrypt action`, deniedResourcePolicy,
			[]string{"key policy", key, "kms:ViaService s3.eu-west-1.amazonaws.com"}},
		{"bare (other organizations, MinIO)", `Access Denied`, deniedUnknown,
			[]string{`"Resource":"arn:aws:s3:::team-artifacts/builds/fn.zip"`, "bucket policy of team-artifacts", `"kms:ViaService":"s3.eu-west-1.amazonaws.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("%w: %w", s3read.ErrAccessDenied, &smithy.GenericAPIError{Code: "AccessDenied", Message: tt.msg})
			d := denialOf(err)
			if d.by != tt.by {
				t.Errorf("denier %d, want %d", d.by, tt.by)
			}
			fix := deniedFix(d, "eu-west-1", "team-artifacts", "builds/fn.zip")
			for _, s := range tt.want {
				if !strings.Contains(fix, s) {
					t.Errorf("fix lacks %q:\n%s", s, fix)
				}
			}
			// The statement the fix spells out is valid JSON.
			if i := strings.Index(fix, `{"Effect"`); i >= 0 {
				dec := json.NewDecoder(strings.NewReader(fix[i:]))
				var v map[string]any
				if err := dec.Decode(&v); err != nil {
					t.Errorf("statement is not JSON: %v\n%s", err, fix[i:])
				}
			}
		})
	}
	if got := audit.Partition("cn-north-1") + audit.Partition("us-gov-west-1") + audit.Partition("eu-west-1"); got != "aws-cnaws-us-govaws" {
		t.Errorf("partitions: %s", got)
	}
}
