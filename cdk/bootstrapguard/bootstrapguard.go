// Package bootstrapguard is the reusable CDK construct that puts Bootstrap Guard in an account and
// region: the hook function, its least-privilege roles, the AWS::CloudFormation::LambdaHook, and
// failure notifications. Import it into any Go CDK app:
//
//	bootstrapguard.NewBootstrapGuard(stack, jsii.String("Guard"), &bootstrapguard.BootstrapGuardProps{
//		NotificationEmails: jsii.Strings("platform@example.com"),
//	})
package bootstrapguard

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
)

// Defaults. The hook answers within CloudFormation's 30 seconds per invocation: a 28-second
// function timeout leaves the handler a 25-second budget (it keeps 3 s back for the answer and
// the notification). 256 MB gives the arm64 function enough CPU to inflate a bootstrap's first
// pages quickly; the benchmark shows a check needs well under 128 MB of memory.
const (
	DefaultAlias       = "Private::Lambda::BootstrapGuard"
	DefaultFailureMode = "FAIL"
	DefaultMemoryMB    = 256
	DefaultTimeout     = 28 // seconds
	// ExemptTag on a function exempts it: "RULE[,RULE...]: reason" exempts those rules, any
	// other value the whole function (see internal/exemptions).
	ExemptTag = "bootstrap-guard:exempt"
)

// DefaultTargetOperations are the hook's target operations unless TargetOperations says otherwise.
var DefaultTargetOperations = []string{"RESOURCE", "CHANGE_SET"}

// DefaultCodeBuckets are the buckets CDK publishes assets to (the default bootstrap qualifier is
// hnb659fds; the pattern accepts any).
var DefaultCodeBuckets = []string{"cdk-*-assets-${AWS::AccountId}-${AWS::Region}"}

// BootstrapGuardProps configure the guard. Every field is optional; a nil *BootstrapGuardProps
// means all defaults.
type BootstrapGuardProps struct {
	// Alias of the hook type, Name1::Name2::Name3. Default Private::Lambda::BootstrapGuard.
	Alias *string
	// Enforcement is what a failed check does to the stack operation: FAIL stops it, WARN lets it
	// go on with a warning (the LambdaHook's FailureMode). Default FAIL.
	Enforcement *string
	// OnUnreadable is what the hook answers when it cannot read a function's package: block
	// (FAILED/InternalFailure: the function is not deployed unchecked) or allow (SUCCESS with a
	// warning). Default block.
	OnUnreadable *string
	// Deprecated: FailureMode is the old name of Enforcement (it differed from FailOpen's "fail
	// mode" by three letters). Still honoured, with a warning annotation.
	FailureMode *string
	// HookEnabled false registers the hook DISABLED. Default true.
	HookEnabled *bool
	// TargetOperations are when the hook runs: RESOURCE (as CloudFormation is about to create or
	// update each Lambda function) and CHANGE_SET (during CreateChangeSet: a failing function
	// fails the change set before anything is provisioned). Default both (DefaultTargetOperations).
	// CHANGE_SET alone leaves unchecked the functions whose code location is known only once the
	// change set executes, and every deployment without a change set (aws cloudformation
	// create-stack, Serverless Framework v3).
	TargetOperations *[]*string
	// Deprecated: FailOpen true is OnUnreadable allow. Still honoured, with a warning annotation.
	FailOpen *bool
	// CentralTopicArn is an SNS topic of the management or security account that the hook
	// publishes its notices to instead of a topic of its own account (see NewCentralNotifications).
	CentralTopicArn *string
	// CentralTopicKeyArn is the KMS key that encrypts CentralTopicArn, if any: the hook needs
	// kms:GenerateDataKey* and kms:Decrypt on it, through SNS only.
	CentralTopicKeyArn *string
	// CentralEventBusArn is an EventBridge bus of the management or security account that failed
	// hook invocations are forwarded to, besides the local topic (see NewCentralNotifications).
	CentralEventBusArn *string
	// ReadScope says which buckets the hook may read code packages from: ACCOUNT (default: any
	// bucket of this account, so SAM, Serverless Framework, pipeline and CDK deployments work
	// with no configuration), ORGANIZATION (any bucket of this organization: shared artifact
	// buckets) or BUCKETS (only CodeBuckets). Objects encrypted with customer managed KMS keys
	// of the same account (organization) are readable too, through S3 only.
	ReadScope *string
	// OrganizationId (o-xxxx) for the ORGANIZATION scope. Default: the role's own organization
	// (the ${aws:PrincipalOrgID} policy variable).
	OrganizationId *string
	// CodeBuckets are further bucket name patterns (with * and ${AWS::...} substitutions) the
	// hook may read code packages from, whatever the scope. In the BUCKETS scope they are the
	// only ones, and default to the CDK asset buckets of the account and region.
	CodeBuckets *[]*string
	// CodeBucketKeyArns are further KMS keys (of other accounts, say) the hook may decrypt code
	// packages with, through S3 only.
	CodeBucketKeyArns *[]*string
	// AllowRuntimes are accepted even when deprecated (with a warning); DenyRuntimes are
	// rejected even when supported.
	AllowRuntimes, DenyRuntimes *[]*string
	// WarnDays before a runtime's deprecation the hook starts warning. Default 180; 0 disables.
	WarnDays *float64
	// IncludeStacks limits the hook to these stack names (wildcards allowed). Default: all.
	IncludeStacks *[]*string
	// ExcludeStacks are never checked, in addition to the guard's own stack and CDKToolkit,
	// which are always excluded so that a broken guard can never block its own fix.
	ExcludeStacks *[]*string
	// NotificationEmails are subscribed to the failure topic.
	NotificationEmails *[]*string
	// LogRetention of the hook's log group. Default one month.
	LogRetention awslogs.RetentionDays
	// MemorySize in MB and Timeout in seconds of the hook function.
	MemorySize, Timeout *float64
	// Code of the hook function. Default: the hook package (HookPackage) built for linux/arm64 at
	// synth time from the module graph of the app's module (see BuildHook), so `cdk deploy` works
	// from a clean checkout and from any module that requires this one.
	Code awslambda.Code
	// RuntimesCatalogue is a runtime catalogue the hook loads instead of its built-in one, so a
	// newer one needs no redeploy: ssm:/NAME (a String parameter, advanced tier for more than
	// 4 KB), an SSM parameter ARN, or s3://BUCKET/KEY. The role may read that one parameter or
	// object and nothing else. Default: the built-in catalogue.
	RuntimesCatalogue *string
	// RuntimesCacheSeconds is how long a loaded catalogue is reused. Default 300.
	RuntimesCacheSeconds *float64
	// Exemptions says which bootstrap-guard:exempt tags the hook honours: any (default),
	// rules-only (per-rule exemptions only) or none.
	Exemptions *string
	// SkipRules are rule IDs (as in docs/rules.md) the hook does not apply: their
	// findings are neither reported nor stop a deployment.
	SkipRules *[]*string

	// --- Container images (PackageType: Image) ---

	// ImageRepositories are ECR repository name patterns (with * and ${AWS::...}
	// substitutions; a full repository ARN is taken as is) whose images the hook may read: their
	// manifest and config blob only. Default: the CDK container asset repositories of the account
	// and region. An image elsewhere is a read error (fail mode applies) naming what to grant.
	ImageRepositories *[]*string

	// --- Runtime lifecycle and customer-managed runtimes (cmr.go) ---

	// StrictUpdates makes updating a function on a deprecated runtime an error from the
	// deprecation date. Default false: a warning until Lambda's update-block date.
	StrictUpdates *bool
	// CustomRuntimeArns are the customer-managed runtimes (arn:...:lambda:REGION:ACCOUNT:runtime/NAME)
	// whose aliases the hook may read with lambda:GetRuntimeAlias. Default: the runtimes of this
	// account and region; list a shared runtime of another account here.
	CustomRuntimeArns *[]*string

	// --- Scheduled audit (schedule.go) ---

	// AuditSchedule runs the audit of the functions already deployed in this account and
	// region on a schedule (an EventBridge schedule expression: rate(1 day), cron(0 6 * * ? *)),
	// with the hook function itself: failing functions become Security Hub findings and the full
	// JSON report goes to AuditBucket. Default: off.
	AuditSchedule *string
	// AuditBucket is the name of an existing bucket of this account for the scheduled audit's
	// reports (written under audit/). Default: a bucket of its own (encrypted, TLS only, no public
	// access, versioned, reports expire after AuditReportDays).
	AuditBucket *string
}

// DefaultImageRepositories are the repositories CDK publishes image assets to (any bootstrap
// qualifier).
var DefaultImageRepositories = []string{"cdk-*-container-assets-${AWS::AccountId}-${AWS::Region}"}

// BootstrapGuard is the deployed guard.
type BootstrapGuard struct {
	constructs.Construct
	Function      awslambda.Function
	Topic         awssns.Topic
	Key           awskms.Key
	ExecutionRole awsiam.Role
	Hook          awscloudformation.CfnLambdaHook
	FailureRule   awsevents.Rule
	// Audit is the scheduled audit; nil unless AuditSchedule is set.
	Audit *ScheduledAudit
}

func str(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// propsPolicy is the hook's policy as the props set it: the same engine.Policy the CLI's flags
// and the synth-time check's options fill. A bad value stops the synth with the prop's name.
func propsPolicy(props *BootstrapGuardProps) engine.Policy {
	p := engine.Policy{WarnDays: engine.DefaultWarnDays, Allow: list(props.AllowRuntimes), Deny: list(props.DenyRuntimes)}
	if props.WarnDays != nil {
		p.WarnDays = int(*props.WarnDays)
	}
	if props.Exemptions != nil && *props.Exemptions != "" {
		mode, err := exemptions.ParseMode(*props.Exemptions)
		if err != nil {
			panic(fmt.Sprintf("Exemptions %v", err))
		}
		p.Exemptions = mode
	}
	var err error
	if p.SkipRules, err = engine.ParseRules("SkipRules", list(props.SkipRules)); err != nil {
		panic(err.Error())
	}
	p.StrictUpdates = props.StrictUpdates != nil && *props.StrictUpdates
	return p
}

func list(p *[]*string) []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, len(*p))
	for _, s := range *p {
		if s != nil && *s != "" {
			out = append(out, *s)
		}
	}
	return out
}

// ValidateAlias checks the hook alias format: three ::-separated names of 2-64 alphanumerics,
// not starting with AWS.
func ValidateAlias(alias string) error {
	parts := strings.Split(alias, "::")
	if len(parts) != 3 {
		return fmt.Errorf("hook alias %q: want Name1::Name2::Name3", alias)
	}
	for _, p := range parts {
		if len(p) < 2 || len(p) > 64 {
			return fmt.Errorf("hook alias %q: %q must have 2 to 64 characters", alias, p)
		}
		for _, c := range p {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return fmt.Errorf("hook alias %q: %q must be alphanumeric", alias, p)
			}
		}
	}
	if strings.HasPrefix(strings.ToUpper(parts[0]), "AWS") {
		return fmt.Errorf("hook alias %q must not start with AWS", alias)
	}
	return nil
}

// NewBootstrapGuard adds the guard to scope's stack.
func NewBootstrapGuard(scope constructs.Construct, id *string, props *BootstrapGuardProps) *BootstrapGuard {
	if props == nil {
		props = &BootstrapGuardProps{}
	}
	if err := ValidateProps(props, *awscdk.Stack_Of(scope).StackName()); err != nil {
		// As CDK constructs do: the synth stops here, naming the construct and the prop.
		panic(fmt.Sprintf("bootstrapguard: %s/%s: %v", *scope.Node().Path(), *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	stack := awscdk.Stack_Of(this)
	alias := str(props.Alias, DefaultAlias)
	failureMode := Enforcement(props)
	deprecations(this, props)

	// Notifications: a topic encrypted with a key of our own (EventBridge cannot publish to a
	// topic encrypted with the AWS managed SNS key), SSL only.
	key := awskms.NewKey(this, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Bootstrap Guard failure notifications"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgePublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
	}), nil)
	topic := awssns.NewTopic(this, jsii.String("Failures"), &awssns.TopicProps{
		DisplayName: jsii.String("Bootstrap Guard"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, e := range list(props.NotificationEmails) {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}

	// The function's role: read code packages and layers, publish its notices, write its logs.
	logGroup := awslogs.NewLogGroup(this, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     orDefault(props.LogRetention, awslogs.RetentionDays_ONE_MONTH),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(this, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Bootstrap Guard hook function: reads code packages and layers, publishes failures"),
	})
	logGroup.GrantWrite(role)
	readFindings := addReadPolicies(role, props)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadLayers"),
		Actions: jsii.Strings("lambda:GetLayerVersion"),
		// Layers may belong to any account (shared and public layers), but always to this region.
		Resources: &[]*string{awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:lambda:${AWS::Region}:*:layer:*:*"), nil)},
	}))
	imageFindings := grantImageRead(role, props)
	topic.GrantPublish(role)
	central := grantCentralTopic(role, props)
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("The hook reads the code package of every function being deployed, wherever its deployment tool uploaded it: object reads only (s3:GetObject, s3:GetObjectVersion; no list, no write), limited by aws:ResourceAccount (or aws:ResourceOrgID) to buckets of this account (organization) or to the listed buckets; kms:Decrypt only through S3 in this region (kms:ViaService) and only with keys of this account (organization) or the listed keys. Object keys and bucket names are not known in advance."),
			AppliesTo: &readFindings},
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("Functions may use layers of any account (shared and public layers); the hook reads their content with lambda:GetLayerVersion, in this region only."),
			AppliesTo: &[]any{"Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:*:layer:*:*"}},
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("kms:GenerateDataKey* is what SNS needs to publish to a topic encrypted with this construct's own key (granted by Topic.grantPublish on that key only)."),
			AppliesTo: &[]any{"Action::kms:GenerateDataKey*"}},
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("The hook reads the manifest and config of images in the configured ECR repositories (CDK asset repositories by default; tags are content hashes), and ecr:GetAuthorizationToken has no resource-level permissions."),
			AppliesTo: &imageFindings},
	}, jsii.Bool(true))

	topicArn := topic.TopicArn()
	if central != nil {
		topicArn = central
	}
	// The hook's environment, named by the constants the hook reads them with: the policy
	// (engine.Policy.Env), the fail mode and the topic.
	env := map[string]*string{guard.EnvTopicARN: topicArn, guard.EnvFailMode: jsii.String(FailMode(props))}
	for k, v := range propsPolicy(props).Env() {
		env[k] = jsii.String(v)
	}
	catalogue(role, env, props)
	lifecycleEnv(role, env, props) // cmr.go
	code := props.Code
	if code == nil {
		code = awslambda.Code_FromAsset(jsii.String(BuildHook()), nil)
	}
	fn := awslambda.NewFunction(this, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("Bootstrap Guard: CloudFormation Lambda hook that checks Lambda code packages before they are provisioned"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         code,
		MemorySize:   orDefaultF(props.MemorySize, DefaultMemoryMB),
		Timeout:      awscdk.Duration_Seconds(orDefaultF(props.Timeout, DefaultTimeout)),
		Role:         role,
		LogGroup:     logGroup,
		Environment:  &env,
		// One invocation per function in a stack: do not let a large stack starve other
		// functions in the account, but do not throttle the hook either (no reserved limit).
	})

	// The role CloudFormation assumes to invoke the hook: this function and nothing else. The
	// trust's aws:SourceAccount condition (StringEquals, this account) is the one AWS's own hook
	// tooling writes into the execution roles it creates (aws-cloudformation/cloudformation-cli,
	// src/rpdk/core/templates/hook-role.yml). That template also pins aws:SourceArn to
	// arn:...:type/hook/TYPE-NAME/*; it is left out here because the ARN form of a Lambda hook
	// registered by alias is not documented, and a wrong value would fail every invocation.
	execRole := awsiam.NewRole(this, jsii.String("HookExecutionRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("hooks.cloudformation.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
		}),
		Description: jsii.String("Lets CloudFormation invoke the Bootstrap Guard hook function"),
	})
	execRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeGuard"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{fn.FunctionArn()},
	}))

	// Never check the guard's own stack (a broken FAIL-mode hook must not block its fix) or the
	// CDK bootstrap stack.
	exclude := append([]string{*stack.StackName(), "CDKToolkit", "StackSet-BootstrapGuard-*"}, list(props.ExcludeStacks)...)
	stackNames := &awscloudformation.CfnLambdaHook_StackNamesProperty{Exclude: jsii.Strings(exclude...)}
	if inc := list(props.IncludeStacks); len(inc) > 0 {
		stackNames.Include = jsii.Strings(inc...)
	}
	status := "ENABLED"
	if props.HookEnabled != nil && !*props.HookEnabled {
		status = "DISABLED"
	}
	hook := awscloudformation.NewCfnLambdaHook(this, jsii.String("Hook"), &awscloudformation.CfnLambdaHookProps{
		Alias:            jsii.String(alias),
		ExecutionRole:    execRole.RoleArn(),
		FailureMode:      jsii.String(failureMode),
		HookStatus:       jsii.String(status),
		LambdaFunction:   fn.FunctionArn(),
		TargetOperations: jsii.Strings(targetOperations(props)...),
		TargetFilters: &awscloudformation.CfnLambdaHook_TargetFiltersProperty{
			// The schema takes either Targets or the Actions/InvocationPoints/TargetNames lists.
			// CREATE stays among the actions: CHANGE_SET targets fire only for it ("For
			// CHANGE_SET targets, only the CREATE action is applicable", Hooks User Guide, "Target
			// filters"). Whether TargetName narrows CHANGE_SET invocations is not documented; the
			// hook reads only the Lambda functions of a change set either way.
			Targets: []any{
				&awscloudformation.CfnLambdaHook_HookTargetProperty{Action: jsii.String("CREATE"), InvocationPoint: jsii.String("PRE_PROVISION"), TargetName: jsii.String("AWS::Lambda::Function")},
				&awscloudformation.CfnLambdaHook_HookTargetProperty{Action: jsii.String("UPDATE"), InvocationPoint: jsii.String("PRE_PROVISION"), TargetName: jsii.String("AWS::Lambda::Function")},
			},
		},
		StackFilters: &awscloudformation.CfnLambdaHook_StackFiltersProperty{
			FilteringCriteria: jsii.String("ALL"),
			StackNames:        stackNames,
		},
	})
	hook.Node().AddDependency(execRole)

	// Forward this hook's failed invocations to the topic too: they reach subscribers even when
	// the function itself could not publish (it timed out, or was throttled).
	rule := awsevents.NewRule(this, jsii.String("HookFailed"), &awsevents.RuleProps{
		Description:  jsii.String("Bootstrap Guard: failed hook invocations"),
		EventPattern: FailureEventPattern(alias),
	})
	rule.AddTarget(awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
		Message: FailureNotice(),
	}))
	forwardToCentralBus(rule, props)

	awscdk.NewCfnOutput(this, jsii.String("HookAlias"), &awscdk.CfnOutputProps{Value: jsii.String(alias)})
	awscdk.NewCfnOutput(this, jsii.String("TopicArn"), &awscdk.CfnOutputProps{Value: topic.TopicArn()})
	// The hook's ARN, for aws cloudformation list-hook-results --type-arn (what WARN let through).
	awscdk.NewCfnOutput(this, jsii.String("HookArn"), &awscdk.CfnOutputProps{Value: hook.AttrHookArn()})
	return &BootstrapGuard{Construct: this, Function: fn, Topic: topic, Key: key, ExecutionRole: execRole, Hook: hook, FailureRule: rule,
		Audit: addScheduledAudit(this, fn, role, props)}
}

func orDefault(v awslogs.RetentionDays, def awslogs.RetentionDays) awslogs.RetentionDays {
	if v == "" {
		return def
	}
	return v
}

func orDefaultF(v *float64, def float64) *float64 {
	if v == nil {
		return jsii.Number(def)
	}
	return v
}

// targetOperations returns TargetOperations, or DefaultTargetOperations when unset.
func targetOperations(props *BootstrapGuardProps) []string {
	if ops := list(props.TargetOperations); len(ops) > 0 {
		return ops
	}
	return DefaultTargetOperations
}
