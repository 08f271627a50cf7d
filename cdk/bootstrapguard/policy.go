package bootstrapguard

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Read scopes: which buckets the hook function may read code packages from (and which KMS keys it
// may decrypt them with, through S3 only).
const (
	// ReadScopeAccount: objects in any bucket of the guard's own account. The default: SAM,
	// Serverless Framework, CodePipeline/CodeBuild, Terraform and CDK all upload to buckets of
	// the deploying account, so every deployment tool works with no configuration.
	ReadScopeAccount = "ACCOUNT"
	// ReadScopeOrganization: objects in any bucket of the guard's organization, for artifact
	// buckets shared across accounts. The org roll-out's default.
	ReadScopeOrganization = "ORGANIZATION"
	// ReadScopeBuckets: only the buckets in CodeBuckets (default: the CDK asset buckets).
	ReadScopeBuckets = "BUCKETS"
)

// readScope validates props.ReadScope.
func readScope(props *BootstrapGuardProps) string {
	scope := strings.ToUpper(str(props.ReadScope, ReadScopeAccount))
	switch scope {
	case ReadScopeAccount, ReadScopeOrganization, ReadScopeBuckets:
		return scope
	}
	panic(fmt.Sprintf("ReadScope %q: want %s, %s or %s", *props.ReadScope, ReadScopeAccount, ReadScopeOrganization, ReadScopeBuckets))
}

// sameOrganization is the value aws:ResourceOrgID must have: the organization ID given, or the
// policy variable for the role's own organization (the form AWS's data perimeter examples use,
// IAM User Guide, "Control access to resources based on the organization"), which lets one
// template serve every member account without naming the organization.
func sameOrganization(props *BootstrapGuardProps) string {
	return str(props.OrganizationId, "${aws:PrincipalOrgID}")
}

// addReadPolicies gives the hook function's role read access to code packages, by scope, and
// returns the resources cdk-nag's IAM5 reports for them (wildcards that are the point).
//
// Condition keys, from the IAM User Guide's "AWS global condition context keys"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
// aws:ResourceAccount is the account that owns the resource requested (for S3 objects, the
// bucket's owner; for KMS, the key's); aws:ResourceOrgID the organization of that account. From
// the KMS Developer Guide ("kms:ViaService",
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service):
// kms:ViaService limits a KMS permission to requests an AWS service makes on the principal's
// behalf, here S3 in the guard's region (s3.REGION.amazonaws.com).
func addReadPolicies(role awsiam.Role, props *BootstrapGuardProps) (nagResources []any) {
	stmts, nag := readStatements(awscdk.Stack_Of(role), props)
	for _, st := range stmts {
		role.AddToPolicy(awsiam.NewPolicyStatement(st))
	}
	return nag
}

// readStatements are the statements addReadPolicies grants, by scope (the plain templates wrap
// each scope's in a condition).
func readStatements(stack awscdk.Stack, props *BootstrapGuardProps) (stmts []*awsiam.PolicyStatementProps, nagResources []any) {
	add := func(p *awsiam.PolicyStatementProps) { stmts = append(stmts, p) }
	objects := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:s3:::*/*"), nil)
	viaS3 := map[string]any{"kms:ViaService": awscdk.Fn_Sub(jsii.String("s3.${AWS::Region}.amazonaws.com"), nil)}
	read := jsii.Strings("s3:GetObject", "s3:GetObjectVersion")
	switch readScope(props) {
	case ReadScopeAccount:
		add((&awsiam.PolicyStatementProps{
			Sid:        jsii.String("ReadCodePackagesInThisAccount"),
			Actions:    read,
			Resources:  &[]*string{objects},
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceAccount": stack.Account()}},
		}))
		add((&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DecryptCodePackagesWithKeysOfThisAccount"),
			Actions:    jsii.Strings("kms:Decrypt"),
			Resources:  &[]*string{awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"), nil)},
			Conditions: &map[string]any{"StringEquals": viaS3},
		}))
		nagResources = append(nagResources, "Resource::arn:<AWS::Partition>:s3:::*/*", "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*")
	case ReadScopeOrganization:
		org := sameOrganization(props)
		add((&awsiam.PolicyStatementProps{
			Sid:        jsii.String("ReadCodePackagesInThisOrganization"),
			Actions:    read,
			Resources:  &[]*string{objects},
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": org}},
		}))
		cond := map[string]any{"aws:ResourceOrgID": org}
		for k, v := range viaS3 {
			cond[k] = v
		}
		add((&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DecryptCodePackagesWithKeysOfThisOrganization"),
			Actions:    jsii.Strings("kms:Decrypt"),
			Resources:  &[]*string{awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:kms:${AWS::Region}:*:key/*"), nil)},
			Conditions: &map[string]any{"StringEquals": cond},
		}))
		nagResources = append(nagResources, "Resource::arn:<AWS::Partition>:s3:::*/*", "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:*:key/*")
	}

	// Buckets listed by name: anything else the platform team wants read (another
	// organization's artifact bucket, say). In the BUCKETS scope they are all there is, and
	// default to the CDK asset buckets.
	buckets := list(props.CodeBuckets)
	if len(buckets) == 0 && readScope(props) == ReadScopeBuckets {
		buckets = DefaultCodeBuckets
	}
	if len(buckets) > 0 {
		var listed []*string
		for _, b := range buckets {
			listed = append(listed, awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:s3:::"+b+"/*"), nil))
			nagForm := strings.NewReplacer("${", "<", "}", ">").Replace(b)
			nagResources = append(nagResources, "Resource::arn:<AWS::Partition>:s3:::"+nagForm+"/*")
		}
		add((&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadCodePackagesInListedBuckets"),
			Actions:   read,
			Resources: &listed,
		}))
	}
	if keys := list(props.CodeBucketKeyArns); len(keys) > 0 {
		add((&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DecryptCodePackagesWithListedKeys"),
			Actions:    jsii.Strings("kms:Decrypt"),
			Resources:  jsii.Strings(keys...),
			Conditions: &map[string]any{"StringEquals": viaS3},
		}))
	}
	return stmts, nagResources
}

// newOrgRead lets every principal of the organization read the bucket's objects: the Lambda
// service reads function code with the deploying principal's permissions, from any member account.
func newOrgRead(b awss3.Bucket, orgID *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OrganizationReadsHookCode"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject", "s3:GetObjectVersion"),
		Resources:  &[]*string{b.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}},
	})
}
