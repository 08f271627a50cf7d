package bootstrapguard

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// The account, region and organization the synthesized policies are evaluated in.
const (
	testAccount = "111111111111"
	otherAcct   = "222222222222"
	testRegion  = "eu-west-1"
	testOrg     = "o-a1b2c3d4e5"
)

// synthTemplate synthesizes the guard in a stack of testAccount/testRegion and returns the
// template as plain JSON values.
func synthTemplate(t *testing.T, props *BootstrapGuardProps) map[string]any {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Scope"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(testRegion)}})
	NewBootstrapGuard(stack, jsii.String("Guard"), props)
	AddNagChecks(stack)
	for _, msgs := range []*[]*cxapi.SynthesisMessage{
		assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
		assertions.Annotations_FromStack(stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
	} {
		for _, msg := range *msgs {
			t.Errorf("cdk-nag: %s: %v", *msg.Id, msg.Entry.Data)
		}
	}
	b, err := json.Marshal(app.Synth(nil).GetStackArtifact(stack.ArtifactId()).Template())
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// resolve evaluates the intrinsics CDK writes into policies (Fn::Sub with pseudo parameters, Ref
// to pseudo parameters, Fn::Join) for testAccount in testRegion.
func resolve(t *testing.T, v any) any {
	pseudo := map[string]string{"AWS::Partition": "aws", "AWS::Region": testRegion, "AWS::AccountId": testAccount, "AWS::URLSuffix": "amazonaws.com"}
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			return regexp.MustCompile(`\$\{AWS::[A-Za-z]+\}`).ReplaceAllStringFunc(s, func(m string) string {
				if r, ok := pseudo[m[2:len(m)-1]]; ok {
					return r
				}
				t.Fatalf("unresolved %s", m)
				return m
			})
		}
		if r, ok := x["Ref"].(string); ok && len(x) == 1 {
			if p, ok := pseudo[r]; ok {
				return p
			}
			return v // a resource: not a string the read statements need
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(x) == 1 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, fmt.Sprint(resolve(t, p)))
			}
			return strings.Join(parts, j[0].(string))
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolve(t, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(t, e)
		}
		return out
	}
	return v
}

// functionStatements returns the resolved statements of the hook function role's policy.
func functionStatements(t *testing.T, tmpl map[string]any) []map[string]any {
	t.Helper()
	for _, r := range tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] != "AWS::IAM::Policy" {
			continue
		}
		doc := resolve(t, res["Properties"].(map[string]any)["PolicyDocument"]).(map[string]any)
		var out []map[string]any
		found := false
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			out = append(out, st)
			if st["Sid"] == "ReadLayers" {
				found = true
			}
		}
		if found {
			return out
		}
	}
	t.Fatal("no policy with the ReadLayers statement")
	return nil
}

// request is one call the hook function's role might make, with the context keys IAM would see.
type request struct {
	action, resource string
	ctx              map[string]string
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func glob(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// allowed evaluates the Allow statements for a request the way IAM does for the parts these
// policies use: Action and Resource globs, StringEquals conditions (every key present and equal,
// policy variables of the principal substituted), no Deny statements.
func allowed(stmts []map[string]any, r request, principalOrg string) bool {
	vars := strings.NewReplacer("${aws:PrincipalOrgID}", principalOrg, "${aws:PrincipalAccount}", testAccount)
next:
	for _, st := range stmts {
		if st["Effect"] != "Allow" {
			continue
		}
		match := func(list []string, s string) bool {
			for _, p := range list {
				if glob(p, s) {
					return true
				}
			}
			return false
		}
		if !match(strs(st["Action"]), r.action) || !match(strs(st["Resource"]), r.resource) {
			continue
		}
		for op, kv := range mapOf(st["Condition"]) {
			if op != "StringEquals" {
				continue next // an operator this evaluator does not know never allows
			}
			for k, want := range mapOf(kv) {
				got, ok := r.ctx[k]
				if !ok {
					continue next
				}
				hit := false
				for _, w := range strs(want) {
					if vars.Replace(w) == got {
						hit = true
					}
				}
				if !hit {
					continue next
				}
			}
		}
		return true
	}
	return false
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func getObject(bucket, key, owner, org string) request {
	return request{"s3:GetObject", "arn:aws:s3:::" + bucket + "/" + key, map[string]string{"aws:ResourceAccount": owner, "aws:ResourceOrgID": org}}
}

func decrypt(keyAccount, keyRegion, via, org string) request {
	ctx := map[string]string{"aws:ResourceAccount": keyAccount, "aws:ResourceOrgID": org}
	if via != "" {
		ctx["kms:ViaService"] = via
	}
	return request{"kms:Decrypt", "arn:aws:kms:" + keyRegion + ":" + keyAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab", ctx}
}

// TestReadScope synthesizes the guard with each read scope and evaluates the function role's
// policy against the reads real deployments need: SAM's, the Serverless Framework's,
// CodePipeline's and CDK's buckets, of this account and of another, and SSE-KMS keys used
// through S3 or directly.
func TestReadScope(t *testing.T) {
	const samBucket = "aws-sam-cli-managed-default-samclisourcebucket-1q2w3e4r5t6y"
	const slsBucket = "payments-dev-serverlessdeploymentbucket-9x8y7z6w5v4u"
	const pipeBucket = "codepipeline-eu-west-1-483920175530"
	const cdkBucket = "cdk-hnb659fds-assets-" + testAccount + "-" + testRegion
	tests := []struct {
		name   string
		props  *BootstrapGuardProps
		allow  []request
		deny   []request
		sids   []string
		absent []string
	}{
		{name: "default: this account", props: nil,
			allow: []request{
				getObject(samBucket, "payments/7f3c9e1d.zip", testAccount, testOrg),
				getObject(slsBucket, "serverless/payments/dev/1764087600000-2026-11-25T16:20:00.000Z/checkout.zip", testAccount, testOrg),
				getObject(pipeBucket, "Payments/BuildArtif/Xy12Ab3", testAccount, testOrg),
				getObject(cdkBucket, "3f1c0e5d9b7a.zip", testAccount, testOrg),
				{"s3:GetObjectVersion", "arn:aws:s3:::" + samBucket + "/payments/7f3c9e1d.zip", map[string]string{"aws:ResourceAccount": testAccount}},
				decrypt(testAccount, testRegion, "s3."+testRegion+".amazonaws.com", testOrg),
			},
			deny: []request{
				getObject(samBucket, "payments/7f3c9e1d.zip", otherAcct, testOrg), // another account's bucket, even in the organization
				getObject(slsBucket, "x.zip", otherAcct, "o-zz99yy88xx"),
				getObject(pipeBucket, "Payments/BuildArtif/Xy12Ab3", otherAcct, testOrg),
				{"s3:PutObject", "arn:aws:s3:::" + samBucket + "/x.zip", map[string]string{"aws:ResourceAccount": testAccount}},
				{"s3:ListBucket", "arn:aws:s3:::" + samBucket, map[string]string{"aws:ResourceAccount": testAccount}},
				{"s3:DeleteObject", "arn:aws:s3:::" + samBucket + "/x.zip", map[string]string{"aws:ResourceAccount": testAccount}},
				decrypt(testAccount, testRegion, "", testOrg),                                 // not through S3
				decrypt(testAccount, testRegion, "sqs."+testRegion+".amazonaws.com", testOrg), // through another service
				decrypt(testAccount, "us-east-1", "s3.us-east-1.amazonaws.com", testOrg),      // another region
				decrypt(otherAcct, testRegion, "s3."+testRegion+".amazonaws.com", testOrg),    // another account's key
				{"kms:Encrypt", "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/k", map[string]string{"kms:ViaService": "s3." + testRegion + ".amazonaws.com"}},
			},
			sids: []string{"ReadCodePackagesInThisAccount", "DecryptCodePackagesWithKeysOfThisAccount"}, absent: []string{"ReadCodePackagesInListedBuckets"}},
		{name: "organization", props: &BootstrapGuardProps{ReadScope: jsii.String("ORGANIZATION")},
			allow: []request{
				getObject(samBucket, "payments/7f3c9e1d.zip", testAccount, testOrg),
				getObject(pipeBucket, "Shared/BuildArtif/Xy12Ab3", otherAcct, testOrg),
				decrypt(otherAcct, testRegion, "s3."+testRegion+".amazonaws.com", testOrg),
			},
			deny: []request{
				getObject(pipeBucket, "Shared/BuildArtif/Xy12Ab3", "333333333333", "o-zz99yy88xx"),
				decrypt(otherAcct, testRegion, "", testOrg),
				decrypt("333333333333", testRegion, "s3."+testRegion+".amazonaws.com", "o-zz99yy88xx"),
			},
			sids: []string{"ReadCodePackagesInThisOrganization", "DecryptCodePackagesWithKeysOfThisOrganization"}},
		{name: "named organization", props: &BootstrapGuardProps{ReadScope: jsii.String("organization"), OrganizationId: jsii.String(testOrg)},
			allow: []request{getObject(pipeBucket, "Shared/x", otherAcct, testOrg)},
			deny:  []request{getObject(pipeBucket, "Shared/x", otherAcct, "o-zz99yy88xx")},
			sids:  []string{"ReadCodePackagesInThisOrganization"}},
		{name: "listed buckets only", props: &BootstrapGuardProps{ReadScope: jsii.String("BUCKETS")},
			allow: []request{getObject(cdkBucket, "3f1c0e5d9b7a.zip", testAccount, testOrg)},
			deny:  []request{getObject(samBucket, "payments/7f3c9e1d.zip", testAccount, testOrg), decrypt(testAccount, testRegion, "s3."+testRegion+".amazonaws.com", testOrg)},
			sids:  []string{"ReadCodePackagesInListedBuckets"}, absent: []string{"ReadCodePackagesInThisAccount", "DecryptCodePackagesWithKeysOfThisAccount"}},
		{name: "this account plus a listed bucket and key", props: &BootstrapGuardProps{CodeBuckets: jsii.Strings("vendor-artifacts-*"),
			CodeBucketKeyArns: jsii.Strings("arn:aws:kms:eu-west-1:444444444444:key/9f8e7d6c-0000-1111-2222-333344445555")},
			allow: []request{getObject("vendor-artifacts-prod", "fn.zip", "444444444444", ""), getObject(samBucket, "a.zip", testAccount, testOrg),
				{"kms:Decrypt", "arn:aws:kms:eu-west-1:444444444444:key/9f8e7d6c-0000-1111-2222-333344445555", map[string]string{"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}},
			deny: []request{{"kms:Decrypt", "arn:aws:kms:eu-west-1:444444444444:key/9f8e7d6c-0000-1111-2222-333344445555", map[string]string{}}},
			sids: []string{"ReadCodePackagesInThisAccount", "ReadCodePackagesInListedBuckets", "DecryptCodePackagesWithListedKeys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts := functionStatements(t, synthTemplate(t, tt.props))
			have := map[string]bool{}
			for _, st := range stmts {
				if sid, _ := st["Sid"].(string); sid != "" {
					have[sid] = true
					if strings.Contains(sid, "CodePackages") {
						b, _ := json.Marshal(st)
						t.Logf("%s", b) // the synthesized read statements, for the README and the report
					}
				}
			}
			for _, sid := range tt.sids {
				if !have[sid] {
					t.Errorf("no statement %s", sid)
				}
			}
			for _, sid := range tt.absent {
				if have[sid] {
					t.Errorf("statement %s present", sid)
				}
			}
			for _, r := range tt.allow {
				if !allowed(stmts, r, testOrg) {
					t.Errorf("denied, want allowed: %s %s %v", r.action, r.resource, r.ctx)
				}
			}
			for _, r := range tt.deny {
				if allowed(stmts, r, testOrg) {
					t.Errorf("allowed, want denied: %s %s %v", r.action, r.resource, r.ctx)
				}
			}
		})
	}
}

func TestBadReadScope(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "ReadScope") {
			t.Fatalf("panic %v, want one naming ReadScope", r)
		}
	}()
	synthTemplate(t, &BootstrapGuardProps{ReadScope: jsii.String("EVERYWHERE")})
}
