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
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
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
	// Guard configures the guard in every member account, as for NewBootstrapGuard; the stack set
	// passes it to the member template's parameters (ParameterValues). Member accounts read the
	// code from the regional buckets, so Code must be nil. Enforcement defaults to WARN here (a
	// roll-out starts by showing what the guard would stop; one parameter, Enforcement=FAIL,
	// makes it stop them) and ReadScope to ORGANIZATION.
	Guard *BootstrapGuardProps
	// GuardParameters are further member template parameter values, over those of Guard (the
	// plain organization template passes its own parameters through).
	GuardParameters map[string]*string
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
	body := MemberTemplate(key)
	values, err := ParameterValues(props.Guard)
	if err != nil {
		panic(fmt.Sprintf("bootstrapguard: %s/%s: %v", *scope.Node().Path(), *id, err))
	}
	values["HookCodeBucketPrefix"] = props.CodeBucketPrefix
	values["HookCodeKey"] = jsii.String(key)
	for k, v := range props.GuardParameters {
		values[k] = v
	}
	var params []any
	for _, k := range TemplateParameterNames(true) {
		if v, ok := values[k]; ok {
			params = append(params, &awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(k), ParameterValue: v})
		}
	}
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
		Parameters:   params,
	})
	awscdk.NewCfnOutput(this, jsii.String("CodeKey"), &awscdk.CfnOutputProps{
		Value:       jsii.String(key),
		Description: jsii.String("Object key the hook package needs in every PREFIX-REGION bucket (make publish-org)"),
	})
	return &OrgRollout{Construct: this, StackSet: ss, CodeKey: key, CodeZip: codeZip}
}

// MemberTemplate is the plain member template (NewPlainGuardStack with Member) as JSON: the guard
// with its code read from the bucket PREFIX-REGION of the member's region under key (the
// HookCodeKey default), every prop a parameter the stack set sets. It is synthesized in an app of
// its own (no CDK bootstrap needed in member accounts).
func MemberTemplate(key string) string {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(mustTemp())})
	stack := NewPlainGuardStack(app, "BootstrapGuardMember", PlainTemplateOptions{HookKey: key, Member: true,
		Description: "Bootstrap Guard in a member account (deployed by the BootstrapGuard stack set)"})
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

// CentralNotificationsProps configure NewCentralNotifications.
type CentralNotificationsProps struct {
	// OrganizationId (o-...) whose accounts may publish to the topic and put events on the bus.
	// Required.
	OrganizationId *string
	// NotificationEmails subscribed to the topic: one subscription for the whole organization.
	NotificationEmails *[]*string
}

// CentralNotifications is one topic and one event bus for the notices of every member account.
type CentralNotifications struct {
	constructs.Construct
	Topic awssns.Topic
	Key   awskms.Key
	Bus   awsevents.EventBus
	Rule  awsevents.Rule
}

// NewCentralNotifications adds, in the management or security account, the topic member guards
// publish to (BootstrapGuardProps.CentralTopicArn, CentralTopicKeyArn) and the event bus their
// failed-invocation rules forward to (CentralEventBusArn), with a rule sending those events to
// the topic. Both accept principals of the organization only (aws:PrincipalOrgID).
func NewCentralNotifications(scope constructs.Construct, id *string, props *CentralNotificationsProps) *CentralNotifications {
	if props == nil || str(props.OrganizationId, "") == "" {
		panic("bootstrapguard: CentralNotifications needs OrganizationId")
	}
	if o := *props.OrganizationId; !isToken(o) && !orgIDPattern.MatchString(o) {
		panic(fmt.Sprintf("bootstrapguard: CentralNotificationsProps.OrganizationId %q: want o- and 10 to 32 lowercase letters or digits", o))
	}
	this := constructs.NewConstruct(scope, id)
	inOrg := map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": *props.OrganizationId}}
	key := awskms.NewKey(this, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Bootstrap Guard notifications of the organization"),
		EnableKeyRotation: jsii.Bool(true),
	})
	// Publishers of an encrypted topic need kms:GenerateDataKey* and kms:Decrypt on its key
	// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse).
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OrganizationPublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": *props.OrganizationId},
			"StringLike": map[string]any{"kms:ViaService": "sns.*.amazonaws.com"}},
	}), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgePublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
	}), nil)
	topic := awssns.NewTopic(this, jsii.String("Notices"), &awssns.TopicProps{
		DisplayName: jsii.String("Bootstrap Guard (organization)"), MasterKey: key, EnforceSSL: jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OrganizationPublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &inOrg,
	}))
	for _, e := range list(props.NotificationEmails) {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	bus := awsevents.NewEventBus(this, jsii.String("Bus"), &awsevents.EventBusProps{
		Description: jsii.String("Bootstrap Guard: failed hook invocations of the organization's accounts"),
	})
	// "To receive events from accounts in an organization": a bus policy with aws:PrincipalOrgID
	// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).
	bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OrganizationPutsEvents"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("events:PutEvents"),
		Resources:  &[]*string{bus.EventBusArn()},
		Conditions: &inOrg,
	}))
	rule := awsevents.NewRule(this, jsii.String("HookFailed"), &awsevents.RuleProps{
		EventBus:    bus,
		Description: jsii.String("Bootstrap Guard: failed hook invocations of any account"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(HookEventSource),
			DetailType: jsii.Strings(HookEventDetailType),
			Detail:     &map[string]any{"status": []any{map[string]any{"anything-but": hookStatusesNotFailed}}},
		},
	})
	rule.AddTarget(awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{Message: FailureNotice()}))
	awscdk.NewCfnOutput(this, jsii.String("TopicArn"), &awscdk.CfnOutputProps{Value: topic.TopicArn(),
		Description: jsii.String("centralTopicArn of the member guards")})
	awscdk.NewCfnOutput(this, jsii.String("TopicKeyArn"), &awscdk.CfnOutputProps{Value: key.KeyArn(),
		Description: jsii.String("centralTopicKeyArn of the member guards")})
	awscdk.NewCfnOutput(this, jsii.String("EventBusArn"), &awscdk.CfnOutputProps{Value: bus.EventBusArn(),
		Description: jsii.String("centralEventBusArn of the member guards")})
	return &CentralNotifications{Construct: this, Topic: topic, Key: key, Bus: bus, Rule: rule}
}
