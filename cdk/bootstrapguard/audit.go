package bootstrapguard

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
)

// AuditRoleProps configure NewAuditRole.
type AuditRoleProps struct {
	// AuditorAccountId is the account that runs `bootstrap-guard audit --org` and may assume
	// the role. Required.
	AuditorAccountId *string
	// RoleName is the role's name, as given to `bootstrap-guard audit --role`; default
	// BootstrapGuardAudit.
	RoleName *string
}

// NewAuditRole is the read-only role `bootstrap-guard audit --org` assumes in an account: the
// construct form of deploy/audit-role.yaml, with the same statements (TestAuditRole keeps both
// equal to audit.Permissions). Put it in the stack a StackSet deploys to every member account.
func NewAuditRole(scope constructs.Construct, id *string, props *AuditRoleProps) awsiam.Role {
	if props == nil || props.AuditorAccountId == nil || *props.AuditorAccountId == "" {
		panic("AuditRoleProps.AuditorAccountId is required: the account that runs the audit")
	}
	name := props.RoleName
	if name == nil {
		name = jsii.String(audit.DefaultRole)
	}
	sub := func(s string) *string { return awscdk.Fn_Sub(jsii.String(s), nil) }
	doc := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		// ListFunctions and GetAuthorizationToken support no resource-level permissions.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ListFunctions"), Actions: jsii.Strings("lambda:ListFunctions"), Resources: jsii.Strings("*")}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ReadFunctions"), Actions: jsii.Strings("lambda:GetFunction", "lambda:ListTags"),
			Resources: &[]*string{sub("arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*")}}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ReadLayers"), Actions: jsii.Strings("lambda:GetLayerVersion"),
			Resources: &[]*string{sub("arn:${AWS::Partition}:lambda:*:*:layer:*:*")}}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ReadCustomRuntimeAliases"), Actions: jsii.Strings("lambda:GetRuntimeAlias"),
			Resources: &[]*string{sub("arn:${AWS::Partition}:lambda:*:*:runtime/*")}}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("EcrToken"), Actions: jsii.Strings("ecr:GetAuthorizationToken"), Resources: jsii.Strings("*")}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String("ReadImages"), Actions: jsii.Strings("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
			Resources: &[]*string{sub("arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/*")}}),
	}})
	role := awsiam.NewRole(scope, id, &awsiam.RoleProps{
		RoleName:           name,
		Description:        jsii.String("Read-only access for bootstrap-guard audit"),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		AssumedBy:          awsiam.NewAccountPrincipal(props.AuditorAccountId),
		InlinePolicies:     &map[string]awsiam.PolicyDocument{"bootstrap-guard-audit": doc},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The audit reads every function, layer, runtime alias and image repository of the account, whatever their names: the resources are all of them by design, and every action is a read."),
	}}, jsii.Bool(true))
	return role
}
