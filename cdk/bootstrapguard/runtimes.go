package bootstrapguard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes/remote"
)

// catalogue turns the RuntimesCatalogue and RuntimesCacheSeconds props into the hook's
// environment (the variables internal/guard reads) and grants the function's role
// exactly one read: ssm:GetParameter on that parameter, or s3:GetObject on that object. A bad
// value stops the synth with the prop's name, as FailureMode does.
func catalogue(role awsiam.Role, env map[string]*string, props *BootstrapGuardProps) {
	if props.RuntimesCacheSeconds != nil {
		s := int(*props.RuntimesCacheSeconds)
		if s < 1 || s > 86400 {
			panic(fmt.Sprintf("RuntimesCacheSeconds %v: want 1 to 86400", *props.RuntimesCacheSeconds))
		}
		env[guard.EnvRuntimesTTL] = jsii.String(strconv.Itoa(s))
	}
	if props.RuntimesCatalogue == nil || *props.RuntimesCatalogue == "" {
		return
	}
	loc, err := remote.ParseLocation(*props.RuntimesCatalogue)
	if err != nil {
		panic(fmt.Sprintf("RuntimesCatalogue %v", err))
	}
	env[guard.EnvRuntimes] = jsii.String(loc.String())
	var stmt *awsiam.PolicyStatementProps
	switch loc.Kind {
	case remote.KindSSM:
		arn := loc.Parameter
		if !strings.HasPrefix(arn, "arn:") {
			// A hierarchical name's ARN drops its leading slash: /guard/runtimes is
			// parameter/guard/runtimes
			// (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html).
			arn = *awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/"+strings.TrimPrefix(arn, "/")), nil)
		}
		stmt = &awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadRuntimeCatalogue"),
			Actions:   jsii.Strings("ssm:GetParameter"),
			Resources: &[]*string{jsii.String(arn)},
		}
	case remote.KindS3:
		stmt = &awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadRuntimeCatalogue"),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &[]*string{awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:s3:::"+loc.Bucket+"/"+loc.Key), nil)},
		}
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(stmt))
}
