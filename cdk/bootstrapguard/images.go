package bootstrapguard

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// grantImageRead lets the hook read container images for PackageType: Image functions: the
// manifest (ecr:BatchGetImage) and the config blob (ecr:GetDownloadUrlForLayer: ECR serves
// every blob, the config included, through a download URL) of images in the configured
// repositories, with a registry token from ecr:GetAuthorizationToken, which takes no resource
// ("Resource": "*"). These are the pull permissions of
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html and of
// https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#configuration-images-permissions.
// It returns the cdk-nag IAM5 findings the wildcards raise, for the suppression.
func grantImageRead(role awsiam.Role, props *BootstrapGuardProps) []any {
	repos := list(props.ImageRepositories)
	if len(repos) == 0 {
		repos = DefaultImageRepositories
	}
	var arns []*string
	findings := []any{"Resource::*"}
	for _, r := range repos {
		arn := r
		if !strings.HasPrefix(r, "arn:") {
			arn = "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/" + r
		}
		arns = append(arns, awscdk.Fn_Sub(jsii.String(arn), nil))
		findings = append(findings, "Resource::"+strings.NewReplacer("${", "<", "}", ">").Replace(arn))
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadImages"),
		Actions:   jsii.Strings("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
		Resources: &arns,
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RegistryToken"),
		Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
		Resources: jsii.Strings("*"),
	}))
	return findings
}
