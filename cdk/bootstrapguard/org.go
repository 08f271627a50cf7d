package bootstrapguard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// OrgRolloutProps configure the organization-wide roll-out.
type OrgRolloutProps struct {
	// OrganizationalUnitIds whose accounts get the guard (ou-xxxx, or the root r-xxxx). Required.
	OrganizationalUnitIds *[]*string
	// Regions the guard is deployed to in each account. Required.
	Regions *[]*string
	// CodeBucketPrefix names the per-region buckets holding the hook's code: the bucket of region R
	// is PREFIX-R. Lambda reads code only from a bucket in its own region, so each region needs
	// one; every account of the organization may read them (see NewCodeBucket). Required.
	CodeBucketPrefix *string
	// HookZip is the hook package to roll out (bootstrap at the root); its content hash names the
	// object key, so a new build rolls out as a stack set update. Default: the hook built from the
	// module graph at synth time, as for the single-account guard (HookZip).
	HookZip *string
	// CallAs SELF (the management account) or DELEGATED_ADMIN. Default SELF.
	CallAs *string
	// StackSetName. Default BootstrapGuard (member stacks are StackSet-BootstrapGuard-*, which the
	// hook excludes from its own checks).
	StackSetName *string
	// Guard configures the guard in every member account, as for NewBootstrapGuard. Its Code is
	// ignored: member accounts read the code from the regional buckets. Its ReadScope defaults
	// to ORGANIZATION here.
	Guard *BootstrapGuardProps
}

// OrgRollout deploys the guard to every account of the chosen OUs and regions through a
// service-managed StackSet with automatic deployment: accounts that join an OU later get the
// guard when they join, and lose it when they leave. A service-managed StackSet never deploys to
// the management account; deploy BootstrapGuardStack there directly if it runs workloads.
type OrgRollout struct {
	constructs.Construct
	StackSet awscloudformation.CfnStackSet
	// CodeKey is the object key the hook package must have in every regional bucket.
	CodeKey string
	// CodeZip is the copy of the package in the cloud assembly (OrgCodeDir), to upload under CodeKey.
	CodeZip string
}

// OrgCodeDir is the directory of the cloud assembly (cdk.out) that holds the hook package of the
// organization roll-out, named as the last part of its object key.
const OrgCodeDir = "bootstrap-guard-org"

// HookKey returns the object key of a hook package: its content hash, so that each build is a new
// object and a stack set update rolls it out.
func HookKey(zipPath string) (string, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return "", fmt.Errorf("hook package: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hook package %s: %w", zipPath, err)
	}
	return "bootstrap-guard/hook-" + hex.EncodeToString(h.Sum(nil))[:16] + ".zip", nil
}

// NewOrgRollout adds the StackSet to scope's stack.
func NewOrgRollout(scope constructs.Construct, id *string, props *OrgRolloutProps) *OrgRollout {
	if props == nil || len(list(props.OrganizationalUnitIds)) == 0 || len(list(props.Regions)) == 0 || str(props.CodeBucketPrefix, "") == "" {
		panic("OrgRollout needs OrganizationalUnitIds, Regions and CodeBucketPrefix")
	}
	this := constructs.NewConstruct(scope, id)
	zip := str(props.HookZip, "")
	if zip == "" {
		// Built like the single-account guard's code (BuildHook), packed reproducibly.
		var err error
		if zip, err = HookZip(); err != nil {
			panic(err.Error())
		}
	}
	key, err := HookKey(zip)
	if err != nil {
		panic(err.Error())
	}
	// The package goes into the cloud assembly next to the templates, under the name its key ends
	// with, so that `make publish-org` uploads exactly the bytes the CodeKey output names.
	codeZip := filepath.Join(*awscdk.Stage_Of(this).Outdir(), OrgCodeDir, path.Base(key))
	if err := os.MkdirAll(filepath.Dir(codeZip), 0o755); err != nil {
		panic(fmt.Sprintf("bootstrap-guard: %v", err))
	}
	// An output directory reused across synths keeps only the current package.
	if old, _ := filepath.Glob(filepath.Join(filepath.Dir(codeZip), "hook-*.zip")); len(old) > 0 {
		for _, o := range old {
			if o != codeZip {
				os.Remove(o)
			}
		}
	}
	if err := copyFile(zip, codeZip, 0o644); err != nil {
		panic(fmt.Sprintf("bootstrap-guard: copy the hook package into the cloud assembly: %v", err))
	}
	body := MemberTemplate(*props.CodeBucketPrefix, key, props.Guard)
	name := str(props.StackSetName, "BootstrapGuard")
	ss := awscloudformation.NewCfnStackSet(this, jsii.String("StackSet"), &awscloudformation.CfnStackSetProps{
		StackSetName:    jsii.String(name),
		Description:     jsii.String("Bootstrap Guard: checks Lambda code packages before CloudFormation provisions them"),
		PermissionModel: jsii.String("SERVICE_MANAGED"),
		CallAs:          jsii.String(str(props.CallAs, "SELF")),
		AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
			Enabled:                      jsii.Bool(true),
			RetainStacksOnAccountRemoval: jsii.Bool(false),
		},
		Capabilities: jsii.Strings("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"),
		// ManagedExecution is typed `any` in CfnStackSetProps, so a CfnStackSet_ManagedExecutionProperty
		// would be rendered with its jsii field name ("active"), which CloudFormation does not know
		// (cdk synth's template validation reports it). The property is Active:
		// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudformation-stackset-managedexecution.html
		ManagedExecution: map[string]any{"Active": true},
		OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
			FailureTolerancePercentage: jsii.Number(10),
			MaxConcurrentPercentage:    jsii.Number(25),
			RegionConcurrencyType:      jsii.String("PARALLEL"),
		},
		StackInstancesGroup: []any{&awscloudformation.CfnStackSet_StackInstancesProperty{
			DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{OrganizationalUnitIds: props.OrganizationalUnitIds},
			Regions:           props.Regions,
		}},
		TemplateBody: jsii.String(body),
	})
	awscdk.NewCfnOutput(this, jsii.String("CodeKey"), &awscdk.CfnOutputProps{
		Value:       jsii.String(key),
		Description: jsii.String("Object key the hook package needs in every PREFIX-REGION bucket (make publish-org)"),
	})
	return &OrgRollout{Construct: this, StackSet: ss, CodeKey: key, CodeZip: codeZip}
}

// MemberTemplate synthesizes the guard as the stack set deploys it into each member account:
// the same construct, with its code read from the bucket PREFIX-REGION of the member's region.
// It is synthesized in an app of its own (no CDK bootstrap needed in member accounts) and
// returned as template JSON.
func MemberTemplate(bucketPrefix, key string, guard *BootstrapGuardProps) string {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(mustTemp())})
	stack := awscdk.NewStack(app, jsii.String("BootstrapGuardMember"), &awscdk.StackProps{
		Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
	})
	p := BootstrapGuardProps{}
	if guard != nil {
		p = *guard
	}
	if p.ReadScope == nil {
		// An organization shares artifact buckets across accounts; the guard of every member
		// account may read code packages from buckets of the organization (and no others).
		p.ReadScope = jsii.String(ReadScopeOrganization)
	}
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("CodeBucket"),
		awscdk.Fn_Sub(jsii.String(bucketPrefix+"-${AWS::Region}"), nil))
	p.Code = awslambda.Code_FromBucket(bucket, jsii.String(key), nil)
	NewBootstrapGuard(stack, jsii.String("Guard"), &p)
	tmpl := app.Synth(nil).GetStackArtifact(stack.ArtifactId()).Template()
	b, err := json.Marshal(tmpl)
	if err != nil {
		panic(fmt.Sprintf("member template: %v", err))
	}
	return string(b)
}

func mustTemp() string {
	d, err := os.MkdirTemp("", "bootstrap-guard-member")
	if err != nil {
		panic(err)
	}
	return d
}

// NewCodeBucket creates the bucket PREFIX-REGION in the stack's region that the member accounts
// of the organization read the hook's code from: versioned, encrypted, private, TLS only, and
// readable by any principal of organization orgID (aws:PrincipalOrgID), nothing more.
func NewCodeBucket(scope constructs.Construct, id *string, prefix, orgID *string) awss3.Bucket {
	stack := awscdk.Stack_Of(scope)
	name := awscdk.Fn_Join(jsii.String("-"), &[]*string{prefix, stack.Region()})
	logs := awss3.NewBucket(scope, jsii.String(*id+"AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_OBJECT_WRITER,
	})
	b := awss3.NewBucket(scope, id, &awss3.BucketProps{
		BucketName:             name,
		Versioned:              jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
	})
	b.AddToResourcePolicy(newOrgRead(b, orgID))
	return b
}
