package bootstrapguard

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
)

// AuditReportDays is how long the scheduled audit's own bucket keeps a report (older versions
// of an object: AuditNoncurrentDays).
const (
	AuditReportDays     = 365
	AuditNoncurrentDays = 30
)

// ScheduledAudit is the scheduled audit of a BootstrapGuard (AuditSchedule): an EventBridge
// schedule invoking the hook function, the report bucket and the audit's own policy on the
// hook's role. Everything lives in one construct, so that none of it exists without the option.
type ScheduledAudit struct {
	constructs.Construct
	Rule       awsevents.CfnRule
	Permission awslambda.CfnPermission
	// Bucket is the report bucket the construct made; nil when AuditBucket names one.
	Bucket awss3.Bucket
	Policy awsiam.Policy
}

// auditGrantedByHookRole are the audit's actions (audit.Permissions) that the hook's own role
// already has, scoped as the hook needs them: layers (ReadLayers), customer-managed runtime
// aliases (cmr.go) and the configured image repositories (grantImageRead). A function whose layer,
// runtime or image lies beyond them is reported as not inspected, as it would be by the hook.
var auditGrantedByHookRole = map[string]bool{
	"lambda:GetLayerVersion": true, "lambda:GetRuntimeAlias": true,
	"ecr:GetAuthorizationToken": true, "ecr:BatchGetImage": true, "ecr:GetDownloadUrlForLayer": true,
}

// auditFunctionActions are the audit's remaining Lambda actions and the resources they take
// (Service Authorization Reference, "Actions, resources, and condition keys for AWS Lambda":
// ListFunctions has no resource type, so "*"; GetFunction and ListTags take the function).
func auditFunctionActions() (listed []string, perFunction []string) {
	for _, p := range audit.Permissions {
		switch {
		case auditGrantedByHookRole[p.Action]:
		case p.Action == "lambda:ListFunctions":
			listed = append(listed, p.Action)
		default:
			perFunction = append(perFunction, p.Action)
		}
	}
	return listed, perFunction
}

// addScheduledAudit adds the scheduled audit when props.AuditSchedule is set, and returns nil
// otherwise.
func addScheduledAudit(scope constructs.Construct, fn awslambda.Function, role awsiam.IRole, props *BootstrapGuardProps) *ScheduledAudit {
	schedule := str(props.AuditSchedule, "")
	if schedule == "" {
		return nil
	}
	this := constructs.NewConstruct(scope, jsii.String("ScheduledAudit"))
	a := &ScheduledAudit{Construct: this}
	bucketName := props.AuditBucket
	if bucketName == nil || *bucketName == "" {
		a.Bucket = awss3.NewBucket(this, jsii.String("Reports"), &awss3.BucketProps{
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			Versioned:         jsii.Bool(true),
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Expiration:                          awscdk.Duration_Days(jsii.Number(AuditReportDays)),
				NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(AuditNoncurrentDays)),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			}},
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		cdknag.NagSuppressions_AddResourceSuppressions(a.Bucket, &[]*cdknag.NagPackSuppression{
			{Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("The bucket holds only the scheduled audit's reports, written by the hook function's role; CloudTrail records who reads them.")},
		}, jsii.Bool(true))
		bucketName = a.Bucket.BucketName()
	}
	fn.AddEnvironment(jsii.String(guard.EnvAuditBucket), bucketName, nil)

	reportObjects := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:s3:::"+str(bucketName, "")+"/audit/*"), nil)
	if a.Bucket != nil {
		reportObjects = a.Bucket.ArnForObjects(jsii.String("audit/*"))
	}
	listed, perFunction := auditFunctionActions()
	sub := func(s string) *string { return awscdk.Fn_Sub(jsii.String(s), nil) }
	a.Policy = awsiam.NewPolicy(this, jsii.String("Policy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{
			// Statement 0: the plain template points its resource at its own bucket or the parameter's.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("WriteAuditReports"), Actions: jsii.Strings("s3:PutObject"),
				Resources: &[]*string{reportObjects}}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ListFunctions"), Actions: jsii.Strings(listed...), Resources: jsii.Strings("*")}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ReadFunctions"), Actions: jsii.Strings(perFunction...),
				Resources: &[]*string{sub("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*")}}),
			// Service Authorization Reference, "Actions, resources, and condition keys for AWS
			// Security Hub": BatchImportFindings takes the product resource type (the account's
			// default product, the only one Publish imports into) and GetFindings the hub
			// (arn:...:hub/default). Findings are archived by importing them again with
			// RecordState ARCHIVED (audit.Publish), so BatchUpdateFindings is not needed.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ImportFindings"), Actions: jsii.Strings("securityhub:BatchImportFindings"),
				Resources: &[]*string{sub("arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default")}}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ReadFindings"), Actions: jsii.Strings("securityhub:GetFindings"),
				Resources: &[]*string{sub("arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default")}}),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(a.Policy, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("The scheduled audit lists every function of this account and region (lambda:ListFunctions has no resource-level permissions), reads each one's configuration and tags (this account and region's functions only) and writes its reports under audit/ of its report bucket."),
			AppliesTo: &[]any{"Resource::*", "Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:*",
				&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::(<GuardScheduledAuditReports[0-9A-F]+\.Arn>|arn:<AWS::Partition>:s3:::[^/]+)\/audit\/\*$/`)}}},
	}, jsii.Bool(true))

	// The schedule invokes the hook function with EventBridge's scheduled event ("source":
	// "aws.events", "detail-type": "Scheduled Event"), which guard.Entry tells from a hook request.
	a.Rule = awsevents.NewCfnRule(this, jsii.String("Rule"), &awsevents.CfnRuleProps{
		Description:        jsii.String("Bootstrap Guard: scheduled audit of the functions deployed in this account and region"),
		ScheduleExpression: jsii.String(schedule),
		State:              jsii.String("ENABLED"),
		Targets:            &[]any{&awsevents.CfnRule_TargetProperty{Id: jsii.String("Hook"), Arn: fn.FunctionArn()}},
	})
	a.Permission = awslambda.NewCfnPermission(this, jsii.String("Invoke"), &awslambda.CfnPermissionProps{
		Action: jsii.String("lambda:InvokeFunction"), FunctionName: fn.FunctionArn(), Principal: jsii.String("events.amazonaws.com"),
		SourceArn: a.Rule.AttrArn(), SourceAccount: awscdk.Aws_ACCOUNT_ID(),
	})
	return a
}
