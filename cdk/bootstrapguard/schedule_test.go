package bootstrapguard

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
)

// TestScheduledAudit: AuditSchedule adds an EventBridge schedule targeting the hook function, the
// permission for EventBridge to invoke it from that rule only, a report bucket (encrypted, TLS
// only, no public access, versioned, expiring) named in the function's environment, and the
// audit's policy on the hook's role, with cdk-nag satisfied. Without it none of these exist.
func TestScheduledAudit(t *testing.T) {
	stack, tmpl := synth(t, "Scheduled", &BootstrapGuardProps{AuditSchedule: jsii.String("rate(1 day)")})
	for _, msg := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *msg.Id, msg.Entry.Data)
	}
	fnID := onlyLogicalID(t, tmpl, "AWS::Lambda::Function")
	bucketID := onlyLogicalID(t, tmpl, "AWS::S3::Bucket")
	fnArn := map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}
	tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), m(map[string]any{
		"ScheduleExpression": "rate(1 day)", "State": "ENABLED",
		"Targets": []any{m(map[string]any{"Id": "Hook", "Arn": fnArn})},
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), m(map[string]any{
		"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com", "FunctionName": fnArn,
		"SourceArn": obj(m(map[string]any{"Fn::GetAtt": arr(&[]any{"Arn"})})), "SourceAccount": map[string]any{"Ref": "AWS::AccountId"},
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), m(map[string]any{
		"BucketEncryption":               m(map[string]any{"ServerSideEncryptionConfiguration": []any{m(map[string]any{"ServerSideEncryptionByDefault": m(map[string]any{"SSEAlgorithm": "AES256"})})}}),
		"PublicAccessBlockConfiguration": m(map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}),
		"VersioningConfiguration":        m(map[string]any{"Status": "Enabled"}),
		"LifecycleConfiguration": m(map[string]any{"Rules": []any{obj(m(map[string]any{"ExpirationInDays": AuditReportDays, "Status": "Enabled",
			"NoncurrentVersionExpiration": m(map[string]any{"NoncurrentDays": AuditNoncurrentDays})}))}}),
	}))
	// TLS only: the bucket policy denies any request without aws:SecureTransport.
	tmpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), m(map[string]any{
		"PolicyDocument": obj(m(map[string]any{"Statement": arr(&[]any{obj(m(map[string]any{"Effect": "Deny", "Action": "s3:*",
			"Condition": m(map[string]any{"Bool": m(map[string]any{"aws:SecureTransport": "false"})})}))})})),
	}))
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
		"Environment": obj(m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_AUDIT_BUCKET": map[string]any{"Ref": bucketID}}))})),
	}))
	sub := func(s string) map[string]any { return map[string]any{"Fn::Sub": s} }
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), m(map[string]any{
		"PolicyDocument": m(map[string]any{"Version": "2012-10-17", "Statement": []any{
			m(map[string]any{"Sid": "WriteAuditReports", "Effect": "Allow", "Action": "s3:PutObject",
				"Resource": map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{bucketID, "Arn"}}, "/audit/*"}}}}),
			m(map[string]any{"Sid": "ListFunctions", "Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"}),
			m(map[string]any{"Sid": "ReadFunctions", "Effect": "Allow", "Action": []any{"lambda:GetFunction", "lambda:ListTags"},
				"Resource": sub("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*")}),
			m(map[string]any{"Sid": "ImportFindings", "Effect": "Allow", "Action": "securityhub:BatchImportFindings",
				"Resource": sub("arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default")}),
			m(map[string]any{"Sid": "ReadFindings", "Effect": "Allow", "Action": "securityhub:GetFindings",
				"Resource": sub("arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default")}),
		}}),
	}))

	// Every action the audit makes (audit.Permissions) is granted: by the audit's policy or by
	// the hook's own role.
	b, _ := json.Marshal(tmpl.ToJSON())
	for _, p := range audit.Permissions {
		if !strings.Contains(string(b), `"`+p.Action+`"`) {
			t.Errorf("%s (%s) is granted nowhere", p.Action, p.Why)
		}
	}

	// A given bucket: no bucket of its own; the policy and the environment name the given one.
	_, tmpl = synth(t, "ScheduledGivenBucket", &BootstrapGuardProps{AuditSchedule: jsii.String("cron(0 6 * * ? *)"), AuditBucket: jsii.String("audit-reports")})
	tmpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(0))
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), m(map[string]any{
		"Environment": obj(m(map[string]any{"Variables": obj(m(map[string]any{"BOOTSTRAP_GUARD_AUDIT_BUCKET": "audit-reports"}))})),
	}))
	b, _ = json.Marshal(tmpl.ToJSON())
	if !strings.Contains(string(b), `"Action":"s3:PutObject","Effect":"Allow","Resource":{"Fn::Sub":"arn:${AWS::Partition}:s3:::audit-reports/audit/*"}`) {
		t.Errorf("given bucket: no PutObject on it:\n%s", b)
	}

	// Off by default: no schedule, no bucket, no audit permissions, no environment variable.
	_, tmpl = synth(t, "NotScheduled", nil)
	b, _ = json.Marshal(tmpl.ToJSON())
	for _, s := range []string{"ScheduleExpression", "AWS::S3::Bucket", "lambda:ListFunctions", "securityhub:", "BOOTSTRAP_GUARD_AUDIT_BUCKET", "AWS::Lambda::Permission"} {
		if strings.Contains(string(b), s) {
			t.Errorf("without AuditSchedule the template has %s", s)
		}
	}
}

// TestScheduledAuditProps: a schedule that is not an EventBridge expression, or a bucket without
// a schedule, stops the synth naming the prop; good values pass.
func TestScheduledAuditProps(t *testing.T) {
	tests := []struct {
		name  string
		props BootstrapGuardProps
		inErr string // "" when valid
	}{
		{"rate", BootstrapGuardProps{AuditSchedule: jsii.String("rate(1 day)")}, ""},
		{"rate hours", BootstrapGuardProps{AuditSchedule: jsii.String("rate(12 hours)")}, ""},
		{"cron", BootstrapGuardProps{AuditSchedule: jsii.String("cron(0 6 * * ? *)"), AuditBucket: jsii.String("audit-reports")}, ""},
		{"plain words", BootstrapGuardProps{AuditSchedule: jsii.String("daily")}, "AuditSchedule"},
		{"rate without unit", BootstrapGuardProps{AuditSchedule: jsii.String("rate(1)")}, "AuditSchedule"},
		{"cron with five fields", BootstrapGuardProps{AuditSchedule: jsii.String("cron(0 6 * * ?)")}, "AuditSchedule"},
		{"bucket without schedule", BootstrapGuardProps{AuditBucket: jsii.String("audit-reports")}, "AuditBucket"},
		{"bad bucket name", BootstrapGuardProps{AuditSchedule: jsii.String("rate(1 day)"), AuditBucket: jsii.String("Audit_Reports")}, "AuditBucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateProps(&tt.props, "S")
			switch {
			case tt.inErr == "" && err != nil:
				t.Errorf("valid props refused: %v", err)
			case tt.inErr != "" && (err == nil || !strings.Contains(err.Error(), "BootstrapGuardProps."+tt.inErr)):
				t.Errorf("error %v, want one naming %s", err, tt.inErr)
			}
		})
	}
}

// onlyLogicalID is the logical ID of the template's one resource of type typ.
func onlyLogicalID(t *testing.T, tmpl assertions.Template, typ string) string {
	t.Helper()
	found := tmpl.FindResources(jsii.String(typ), nil)
	var ids []string
	for id := range *found {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) != 1 {
		t.Fatalf("%s: %v, want one", typ, ids)
	}
	return ids[0]
}
