package bootstrapguard

import (
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"

	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// A plain template is the guard as a CloudFormation template with no CDK around it: every prop a
// parameter with the construct's default, the hook's code from a bucket and key, no assets and no
// CDK bootstrap. It is synthesized from NewBootstrapGuard itself (the same resources and logical
// IDs); what the construct decides at synth from a prop becomes a condition on a parameter.

// TemplateParameter describes one parameter of the plain template.
type TemplateParameter struct {
	Name, Type, Default, Description string
	AllowedValues                    []string
	AllowedPattern                   string
	MinValue, MaxValue               *float64
}

// logRetentionDays are the values CloudWatch Logs accepts for RetentionInDays
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
var logRetentionDays = []string{"1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"}

func num(f float64) *float64 { return &f }

// TemplateParameters are the plain template's parameters. member is the stack set's template:
// code from HookCodeBucketPrefix-REGION, WARN and the ORGANIZATION read scope by default.
func TemplateParameters(member bool, hookKey string) []TemplateParameter {
	enforcement, scope := EnforcementFail, ReadScopeAccount
	code := TemplateParameter{Name: "HookCodeBucket", Type: "String", AllowedPattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
		Description: "Bucket holding the hook package (hook.zip of the release), in this stack's region"}
	if member {
		enforcement, scope = EnforcementWarn, ReadScopeOrganization
		code = TemplateParameter{Name: "HookCodeBucketPrefix", Type: "String", AllowedPattern: "^[a-z0-9][a-z0-9.-]{1,50}$",
			Description: "The hook package is read from the bucket PREFIX-REGION of each region"}
	}
	return []TemplateParameter{
		code,
		{Name: "HookCodeKey", Type: "String", Default: hookKey, AllowedPattern: "^.+\\.zip$", Description: "Object key of the hook package"},
		{Name: "Enforcement", Type: "String", Default: enforcement, AllowedValues: []string{EnforcementFail, EnforcementWarn},
			Description: "What a failed check does to the stack operation: FAIL stops it, WARN lets it go on with a warning (the hook's FailureMode)"},
		{Name: "HookStatus", Type: "String", Default: "ENABLED", AllowedValues: []string{"ENABLED", "DISABLED"},
			Description: "DISABLED turns the hook off at once, keeping everything else in place"},
		{Name: "OnUnreadable", Type: "String", Default: OnUnreadableBlock, AllowedValues: []string{OnUnreadableBlock, OnUnreadableAllow},
			Description: "When a package cannot be read: block stops the stack operation, allow lets it go on with a warning"},
		{Name: "ReadScope", Type: "String", Default: scope, AllowedValues: []string{ReadScopeAccount, ReadScopeOrganization, ReadScopeBuckets},
			Description: "Buckets the hook may read packages from: any of this account, any of this organization, or only CodeBuckets"},
		{Name: "OrganizationId", Type: "String", Default: "", AllowedPattern: "^(o-[a-z0-9]{10,32})?$",
			Description: "Organization of the ORGANIZATION scope (default: the account's own)"},
		{Name: "CodeBuckets", Type: "CommaDelimitedList", Default: "", Description: "Further bucket names (with *) the hook may read; in the BUCKETS scope the only ones (default: the CDK asset buckets)"},
		{Name: "CodeBucketKeyArns", Type: "CommaDelimitedList", Default: "", Description: "Further KMS key ARNs the hook may decrypt packages with, through S3"},
		{Name: "ImageRepositoryArns", Type: "CommaDelimitedList", Default: "", Description: "ECR repository ARNs (with *) whose images the hook may read (default: the CDK container asset repositories)"},
		{Name: "AllowRuntimes", Type: "CommaDelimitedList", Default: "", Description: "Runtimes accepted even when deprecated"},
		{Name: "DenyRuntimes", Type: "CommaDelimitedList", Default: "", Description: "Runtimes rejected even when supported"},
		{Name: "SkipRules", Type: "CommaDelimitedList", Default: "", Description: "Rule IDs or rule families the hook does not apply"},
		{Name: "WarnDays", Type: "Number", Default: "180", MinValue: num(0), MaxValue: num(3650), Description: "Days before a runtime's deprecation the hook starts warning (0: never)"},
		{Name: "IncludeStacks", Type: "CommaDelimitedList", Default: "", Description: "Stack name patterns the hook checks (default: all)"},
		{Name: "ExcludeStacks", Type: "CommaDelimitedList", Default: "", Description: "Stack name patterns the hook never checks (its own stack and CDKToolkit always)"},
		{Name: "NotificationEmail", Type: "String", Default: "", AllowedPattern: "^([^@\\s,;]+@[^@\\s,;]+)?$", Description: "An email address subscribed to the failure topic"},
		{Name: "CentralTopicArn", Type: "String", Default: "", AllowedPattern: "^(arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:.+)?$", Description: "SNS topic of the management or security account the hook publishes its notices to"},
		{Name: "CentralTopicKeyArn", Type: "String", Default: "", AllowedPattern: "^(arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+)?$", Description: "KMS key of CentralTopicArn"},
		{Name: "CentralEventBusArn", Type: "String", Default: "", AllowedPattern: "^(arn:[a-z-]+:events:[a-z0-9-]+:[0-9]{12}:event-bus/.+)?$", Description: "Event bus of the management or security account that failed hook invocations are forwarded to"},
		{Name: "Alias", Type: "String", Default: DefaultAlias, AllowedPattern: "^(?!(?i)aws)[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$", Description: "Alias of the hook type"},
		{Name: "LogRetentionDays", Type: "Number", Default: "30", AllowedValues: logRetentionDays, Description: "Days the hook's logs are kept"},
		{Name: "MemorySize", Type: "Number", Default: strconv.Itoa(DefaultMemoryMB), MinValue: num(128), MaxValue: num(10240), Description: "Memory of the hook function, MB"},
		{Name: "Timeout", Type: "Number", Default: strconv.Itoa(DefaultTimeout), MinValue: num(1), MaxValue: num(900), Description: "Timeout of the hook function, seconds (CloudFormation waits 30)"},
		{Name: "RuntimesCatalogue", Type: "String", Default: "", AllowedPattern: "^(ssm:/.+|s3://[^/]+/.+)?$", Description: "A runtime catalogue to load instead of the built-in one: ssm:/NAME or s3://BUCKET/KEY"},
		{Name: "RuntimesCacheSeconds", Type: "Number", Default: "300", MinValue: num(1), MaxValue: num(86400), Description: "How long a loaded catalogue is reused"},
		{Name: "Exemptions", Type: "String", Default: "any", AllowedValues: []string{"any", "rules-only", "none"}, Description: "Which bootstrap-guard:exempt tags the hook honours"},
		{Name: "TargetOperations", Type: "CommaDelimitedList", Default: strings.Join(DefaultTargetOperations, ","),
			Description: "When the hook runs: RESOURCE (before each function is provisioned), CHANGE_SET (when a change set is created), or both"},
		{Name: "StrictUpdates", Type: "String", Default: "false", AllowedValues: []string{"false", "true"},
			Description: "true: updating a function on a deprecated runtime is an error from the deprecation date (default: a warning until Lambda blocks updates)"},
		{Name: "CustomRuntimeArns", Type: "CommaDelimitedList", Default: "", Description: "Customer-managed runtimes (arn:...:runtime/NAME) whose aliases the hook may read (default: this account's)"},
		{Name: "AuditSchedule", Type: "String", Default: "", AllowedPattern: "^((rate|cron)\\(.+\\))?$",
			Description: "An EventBridge schedule expression, rate(1 day) say, that runs the audit of the deployed functions of this account and region with the hook function: Security Hub findings and a JSON report in S3 (default: off)"},
		{Name: "AuditBucket", Type: "String", Default: "", AllowedPattern: "^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$",
			Description: "An existing bucket for the scheduled audit's reports (default: a bucket of its own)"},
	}
}

// TemplateParameterNames are the names of the plain template's parameters (the member template's
// first is HookCodeBucketPrefix instead of HookCodeBucket).
func TemplateParameterNames(member bool) []string {
	var out []string
	for _, p := range TemplateParameters(member, "") {
		out = append(out, p.Name)
	}
	return out
}

// PlainTemplateOptions configure NewPlainGuardStack.
type PlainTemplateOptions struct {
	// HookKey is HookCodeKey's default: the content-hash key of the release's hook.zip.
	HookKey string
	// Member makes the stack set's member template (see TemplateParameters).
	Member bool
	// Description of the template.
	Description string
}

// NewPlainGuardStack adds a stack that synthesizes to the plain template: no assets, no CDK
// bootstrap version rule, no CDK metadata resource.
func NewPlainGuardStack(scope constructs.Construct, id string, opts PlainTemplateOptions) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Synthesizer:        awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
		AnalyticsReporting: jsii.Bool(false),
		Description:        jsii.String(opts.Description),
	})
	t := &plain{stack: stack, params: map[string]awscdk.CfnParameter{}, conds: map[string]awscdk.CfnCondition{}, defaults: map[string]string{}}
	for _, p := range TemplateParameters(opts.Member, opts.HookKey) {
		props := &awscdk.CfnParameterProps{Type: jsii.String(p.Type), Description: jsii.String(p.Description),
			MinValue: p.MinValue, MaxValue: p.MaxValue}
		if p.Default != "" || p.Name != "HookCodeBucket" && p.Name != "HookCodeBucketPrefix" {
			props.Default = p.Default
		}
		if len(p.AllowedValues) > 0 {
			props.AllowedValues = jsii.Strings(p.AllowedValues...)
		}
		if p.AllowedPattern != "" {
			props.AllowedPattern = jsii.String(p.AllowedPattern)
		}
		t.params[p.Name] = awscdk.NewCfnParameter(stack, jsii.String(p.Name), props)
		t.defaults[p.Name] = p.Default
	}
	t.build(opts.Member)
	return stack
}

type plain struct {
	stack    awscdk.Stack
	params   map[string]awscdk.CfnParameter
	conds    map[string]awscdk.CfnCondition
	defaults map[string]string
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

var noValue = ref("AWS::NoValue")

func fnIf(cond string, yes, no any) map[string]any {
	return map[string]any{"Fn::If": []any{cond, yes, no}}
}

// cond adds (once) a condition and returns its name.
func (t *plain) cond(name string, expr awscdk.ICfnConditionExpression) string {
	if _, ok := t.conds[name]; !ok {
		t.conds[name] = awscdk.NewCfnCondition(t.stack, jsii.String(name), &awscdk.CfnConditionProps{Expression: expr})
	}
	return name
}

// has is the condition "parameter p is not empty" (for a list, its items joined).
func (t *plain) has(p string) string {
	var v *string
	if *t.params[p].Type() == "CommaDelimitedList" {
		v = awscdk.Fn_Join(jsii.String(""), t.params[p].ValueAsList())
	} else {
		v = t.params[p].ValueAsString()
	}
	return t.cond("Has"+p, awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(v, jsii.String(""))))
}

// is is the condition "parameter p has the value v".
func (t *plain) is(p, v, name string) string {
	return t.cond(name, awscdk.Fn_ConditionEquals(t.params[p].ValueAsString(), jsii.String(v)))
}

// unlessDefault is the parameter's value, or no value (the construct's default) when it has its
// default: the template with default parameters is the construct's with default props.
func (t *plain) unlessDefault(p string) any {
	return fnIf(t.is(p, t.defaults[p], p+"IsDefault"), noValue, ref(p))
}

// build adds the guard and turns its synth-time decisions into conditions.
func (t *plain) build(member bool) {
	stack := t.stack
	var bucket awss3.IBucket
	if member {
		bucket = awss3.Bucket_FromBucketName(stack, jsii.String("CodeBucket"),
			awscdk.Fn_Sub(jsii.String("${HookCodeBucketPrefix}-${AWS::Region}"), nil))
	} else {
		bucket = awss3.Bucket_FromBucketName(stack, jsii.String("CodeBucket"), t.params["HookCodeBucket"].ValueAsString())
	}
	orgID := awscdk.Token_AsString(awscdk.Fn_ConditionIf(jsii.String(t.has("OrganizationId")),
		t.params["OrganizationId"].ValueAsString(), jsii.String("${aws:PrincipalOrgID}")), nil)
	props := &BootstrapGuardProps{
		Alias:          t.params["Alias"].ValueAsString(),
		Enforcement:    t.params["Enforcement"].ValueAsString(),
		OrganizationId: orgID,
		// Placeholders for what is overridden below with conditions.
		ReadScope:          jsii.String(ReadScopeAccount),
		CentralTopicArn:    t.params["CentralTopicArn"].ValueAsString(),
		CentralTopicKeyArn: t.params["CentralTopicKeyArn"].ValueAsString(),
		CentralEventBusArn: t.params["CentralEventBusArn"].ValueAsString(),
		Code:               awslambda.Code_FromBucket(bucket, t.params["HookCodeKey"].ValueAsString(), nil),
		// A placeholder: the schedule, its bucket and policy exist only with AuditSchedule (scheduledAudit).
		AuditSchedule: jsii.String("rate(1 day)"),
	}
	g := NewBootstrapGuard(stack, jsii.String("Guard"), props)
	AddNagChecks(stack)

	// The hook: its status and stack filters.
	g.Hook.AddPropertyOverride(jsii.String("HookStatus"), ref("HookStatus"))
	g.Hook.AddPropertyOverride(jsii.String("TargetOperations"), ref("TargetOperations"))
	own := []any{ref("AWS::StackName"), "CDKToolkit", "StackSet-BootstrapGuard-*"}
	g.Hook.AddPropertyOverride(jsii.String("StackFilters.StackNames.Exclude"), fnIf(t.has("ExcludeStacks"),
		map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::Join": []any{",", append(append([]any{}, own...),
			map[string]any{"Fn::Join": []any{",", ref("ExcludeStacks")}})}}}}, own))
	g.Hook.AddPropertyOverride(jsii.String("StackFilters.StackNames.Include"), fnIf(t.has("IncludeStacks"), ref("IncludeStacks"), noValue))

	// The function: size, and the environment the hook reads (internal/guard ConfigFromEnv).
	fn := g.Function.Node().DefaultChild().(awslambda.CfnFunction)
	fn.AddPropertyOverride(jsii.String("MemorySize"), ref("MemorySize"))
	fn.AddPropertyOverride(jsii.String("Timeout"), ref("Timeout"))
	envVar := func(name string, v any) {
		fn.AddPropertyOverride(jsii.String("Environment.Variables."+name), v)
	}
	envVar(guard.EnvFailMode, fnIf(t.is("OnUnreadable", OnUnreadableAllow, "AllowUnreadable"), failModes[OnUnreadableAllow], failModes[OnUnreadableBlock]))
	envVar(engine.EnvAllowRuntimes, fnIf(t.has("AllowRuntimes"), map[string]any{"Fn::Join": []any{",", ref("AllowRuntimes")}}, noValue))
	envVar(engine.EnvDenyRuntimes, fnIf(t.has("DenyRuntimes"), map[string]any{"Fn::Join": []any{",", ref("DenyRuntimes")}}, noValue))
	envVar(engine.EnvSkipRules, fnIf(t.has("SkipRules"), map[string]any{"Fn::Join": []any{",", ref("SkipRules")}}, noValue))
	envVar(engine.EnvWarnDays, t.unlessDefault("WarnDays"))
	envVar(engine.EnvExemptions, t.unlessDefault("Exemptions"))
	envVar(guard.EnvRuntimes, fnIf(t.has("RuntimesCatalogue"), ref("RuntimesCatalogue"), noValue))
	envVar(guard.EnvRuntimesTTL, t.unlessDefault("RuntimesCacheSeconds"))
	envVar(engine.EnvStrictUpdates, fnIf(t.is("StrictUpdates", "true", "StrictUpdatesOn"), "true", noValue))
	envVar(guard.EnvTopicARN, fnIf(t.has("CentralTopicArn"), ref("CentralTopicArn"), stack.Resolve(g.Topic.TopicArn())))

	logs := g.Node().FindChild(jsii.String("Logs")).Node().DefaultChild().(awslogs.CfnLogGroup)
	logs.AddPropertyOverride(jsii.String("RetentionInDays"), ref("LogRetentionDays"))

	// Notifications: one optional email subscription, the central bus target.
	sub := awssns.NewCfnSubscription(g.Construct, jsii.String("NotificationEmailSubscription"), &awssns.CfnSubscriptionProps{
		TopicArn: g.Topic.TopicArn(), Protocol: jsii.String("email"), Endpoint: t.params["NotificationEmail"].ValueAsString(),
	})
	sub.CfnOptions().SetCondition(t.conds[t.has("NotificationEmail")])
	t.centralBus(g)
	t.policy(g)
	t.scheduledAudit(g, fn)
	// CDK's own template validation (aws-cdk-lib 2.275) reads both branches of an Fn::If with the
	// parameters' defaults, so it warns about the empty IncludeStacks, ExcludeStacks and
	// CentralEventBusArn that the conditions keep out of the deployed template (F3031, F3033).
}

// scheduledAudit makes the scheduled audit conditional on AuditSchedule, and its own report
// bucket on AuditBucket being empty.
func (t *plain) scheduledAudit(g *BootstrapGuard, fn awslambda.CfnFunction) {
	on := t.has("AuditSchedule")
	hasBucket := t.has("AuditBucket")
	own := t.cond("CreatesAuditBucket", awscdk.Fn_ConditionAnd(t.conds[on], awscdk.Fn_ConditionNot(t.conds[hasBucket])))
	a := g.Audit
	for _, c := range *a.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if r, ok := c.(awscdk.CfnResource); ok {
			r.CfnOptions().SetCondition(t.conds[on])
		}
	}
	for _, c := range *a.Bucket.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if r, ok := c.(awscdk.CfnResource); ok {
			r.CfnOptions().SetCondition(t.conds[own])
		}
	}
	a.Rule.AddPropertyOverride(jsii.String("ScheduleExpression"), ref("AuditSchedule"))
	bucketID := *t.stack.GetLogicalId(a.Bucket.Node().DefaultChild().(awscdk.CfnElement))
	name := fnIf(hasBucket, ref("AuditBucket"), ref(bucketID))
	fn.AddPropertyOverride(jsii.String("Environment.Variables."+guard.EnvAuditBucket), fnIf(on, name, noValue))
	pol := a.Policy.Node().DefaultChild().(awsiam.CfnPolicy)
	pol.AddPropertyOverride(jsii.String("PolicyDocument.Statement.0.Resource"), fnIf(hasBucket,
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::${AuditBucket}/audit/*"},
		map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{bucketID, "Arn"}}, "/audit/*"}}}))
}

// centralBus makes the rule's central event bus target, and the role EventBridge uses for it,
// conditional on CentralEventBusArn.
func (t *plain) centralBus(g *BootstrapGuard) {
	has := t.has("CentralEventBusArn")
	// The role EventBridge assumes to put events on another account's bus (created by the
	// EventBus target, as a child of the rule).
	role := g.FailureRule.Node().TryFindChild(jsii.String("EventsRole"))
	if role == nil {
		panic("bootstrapguard: plain template: the rule has no role for its central bus target")
	}
	for _, c := range *role.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if r, ok := c.(awscdk.CfnResource); ok {
			r.CfnOptions().SetCondition(t.conds[has])
		}
	}
	// Targets: the local topic (index 0) and the central bus (index 1, added last by
	// forwardToCentralBus), which exists only with the parameter.
	rule := g.FailureRule.Node().DefaultChild().(awsevents.CfnRule)
	rule.AddPropertyOverride(jsii.String("Targets.1"), fnIf(has, map[string]any{
		"Arn": ref("CentralEventBusArn"), "Id": "Target1",
		"RoleArn": map[string]any{"Fn::GetAtt": []any{*t.stack.GetLogicalId(role.Node().DefaultChild().(awscdk.CfnElement)), "Arn"}},
	}, noValue))
}

// partitions for bucket ARNs built from names: the delimiter of Fn::Join cannot be a function
// ("For the Fn::Join delimiter, you can't use any functions",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-join.html),
// so each partition with its own literal; the partitions are those of the ARN reference
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: aws, aws-cn, aws-us-gov).
var partitions = []string{"aws-cn", "aws-us-gov", "aws"}

// bucketObjectArns is arn:PARTITION:s3:::NAME/* for each name of the list parameter p.
func (t *plain) bucketObjectArns(p string) any {
	var v any
	for i := len(partitions) - 1; i >= 0; i-- {
		part := partitions[i]
		prefix := "arn:" + part + ":s3:::"
		arns := map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::Join": []any{"", []any{prefix,
			map[string]any{"Fn::Join": []any{"/*," + prefix, ref(p)}}, "/*"}}}}}
		if v == nil {
			v = arns
			continue
		}
		v = fnIf(t.cond("InPartition"+camel(part),
			awscdk.Fn_ConditionEquals(awscdk.Aws_PARTITION(), jsii.String(part))), arns, v)
	}
	return v
}

// unwrapJsii removes the {"$jsii.map": {...}} envelopes that a Go map nested in an `any` value
// (a policy statement's Condition) keeps when it comes back from the jsii kernel through
// Stack.Resolve; written back into an override, the envelope would reach the template.
func unwrapJsii(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if inner, ok := t["$jsii.map"]; ok && len(t) == 1 {
			return unwrapJsii(inner)
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = unwrapJsii(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = unwrapJsii(x)
		}
		return out
	}
	return v
}

// camel turns aws-us-gov into AwsUsGov, for condition names.
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// policy rewrites the function role's policy: each read scope's statements under its condition,
// the listed buckets and keys, the runtime catalogue and image repositories from parameters.
func (t *plain) policy(g *BootstrapGuard) {
	stack := t.stack
	pol := g.Function.Role().Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awsiam.CfnPolicy)
	doc, _ := unwrapJsii(stack.Resolve(pol.PolicyDocument())).(map[string]any)
	stmts, _ := doc["Statement"].([]any)
	resolve := func(ps []*awsiam.PolicyStatementProps) []any {
		var out []any
		for _, p := range ps {
			out = append(out, unwrapJsii(stack.Resolve(awsiam.NewPolicyStatement(p).ToStatementJson())))
		}
		return out
	}
	var read []any
	for _, sc := range []string{ReadScopeAccount, ReadScopeOrganization} {
		ps, _ := readStatements(stack, &BootstrapGuardProps{ReadScope: jsii.String(sc), OrganizationId: awscdk.Token_AsString(awscdk.Fn_ConditionIf(jsii.String(t.has("OrganizationId")),
			t.params["OrganizationId"].ValueAsString(), jsii.String("${aws:PrincipalOrgID}")), nil)})
		c := t.is("ReadScope", sc, "ReadScope"+camel(strings.ToLower(sc)))
		for _, st := range resolve(ps) {
			read = append(read, fnIf(c, st, noValue))
		}
	}
	// Listed buckets: CodeBuckets, or in the BUCKETS scope by default the CDK asset buckets.
	hasBuckets := t.has("CodeBuckets")
	listed := t.cond("ReadsListedBuckets", awscdk.Fn_ConditionOr(awscdk.Fn_ConditionEquals(t.params["ReadScope"].ValueAsString(), jsii.String(ReadScopeBuckets)),
		awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(awscdk.Fn_Join(jsii.String(""), t.params["CodeBuckets"].ValueAsList()), jsii.String("")))))
	defaults, _ := readStatements(stack, &BootstrapGuardProps{ReadScope: jsii.String(ReadScopeBuckets)})
	var defaultListed map[string]any
	for _, st := range resolve(defaults) {
		if m := st.(map[string]any); m["Sid"] == "ReadCodePackagesInListedBuckets" {
			defaultListed = m
		}
	}
	listedStmt := map[string]any{}
	for k, v := range defaultListed {
		listedStmt[k] = v
	}
	listedStmt["Resource"] = fnIf(hasBuckets, t.bucketObjectArns("CodeBuckets"), defaultListed["Resource"])
	read = append(read, fnIf(listed, listedStmt, noValue))
	read = append(read, fnIf(t.has("CodeBucketKeyArns"), map[string]any{
		"Sid": "DecryptCodePackagesWithListedKeys", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": ref("CodeBucketKeyArns"),
		"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": map[string]any{"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}},
	}, noValue))

	// The runtime catalogue: one parameter of SSM or one object of S3, as catalogueAndExemptions
	// grants (ssm:/NAME is the parameter arn:...:parameter/NAME). Each Fn::Split gets its
	// delimiter appended, so that Fn::Select 1 exists whichever branch is evaluated.
	catalogueParam := t.params["RuntimesCatalogue"].ValueAsString()
	inSSM := t.cond("RuntimesCatalogueInSSM", awscdk.Fn_ConditionEquals(awscdk.Fn_Select(jsii.Number(0),
		awscdk.Fn_Split(jsii.String("ssm:/"), awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("x"), catalogueParam}), nil)), jsii.String("x")))
	catalogue := fnIf(t.has("RuntimesCatalogue"), map[string]any{"Sid": "ReadRuntimeCatalogue", "Effect": "Allow",
		"Action": fnIf(inSSM, "ssm:GetParameter", "s3:GetObject"),
		"Resource": fnIf(inSSM,
			map[string]any{"Fn::Sub": []any{"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}",
				map[string]any{"Name": map[string]any{"Fn::Select": []any{1, map[string]any{"Fn::Split": []any{"ssm:/", map[string]any{"Fn::Join": []any{"", []any{ref("RuntimesCatalogue"), "ssm:/"}}}}}}}}}},
			map[string]any{"Fn::Sub": []any{"arn:${AWS::Partition}:s3:::${Path}",
				map[string]any{"Path": map[string]any{"Fn::Select": []any{1, map[string]any{"Fn::Split": []any{"s3://", map[string]any{"Fn::Join": []any{"", []any{ref("RuntimesCatalogue"), "s3://"}}}}}}}}}}),
	}, noValue)
	// The catalogue's statement goes where the construct adds it: before the runtime aliases'
	// (catalogueAndExemptions runs before lifecycleEnv).
	cataloguePlaced := false
	isRead := map[string]bool{"ReadCodePackagesInThisAccount": true, "DecryptCodePackagesWithKeysOfThisAccount": true}
	var out []any
	placed := false
	for _, st := range stmts {
		m, _ := st.(map[string]any)
		sid, _ := m["Sid"].(string)
		switch {
		case isRead[sid]:
			if !placed {
				out = append(out, read...)
				placed = true
			}
		case sid == "ReadImages":
			c := map[string]any{}
			for k, v := range m {
				c[k] = v
			}
			c["Resource"] = fnIf(t.has("ImageRepositoryArns"), ref("ImageRepositoryArns"), m["Resource"])
			out = append(out, c)
		case sid == "ReadCustomRuntimeAliases":
			out = append(out, catalogue)
			cataloguePlaced = true
			// Each runtime listed, and its aliases (lifecycleEnv), else this account's runtimes.
			c := map[string]any{}
			for k, v := range m {
				c[k] = v
			}
			c["Resource"] = fnIf(t.has("CustomRuntimeArns"), map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::Join": []any{",", []any{
				map[string]any{"Fn::Join": []any{",", ref("CustomRuntimeArns")}},
				map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::Join": []any{"/alias/*,", ref("CustomRuntimeArns")}}, "/alias/*"}}},
			}}}}}, m["Resource"])
			out = append(out, c)
		case sid == "PublishToCentralTopic":
			out = append(out, fnIf(t.has("CentralTopicArn"), m, noValue))
		case sid == "EncryptForCentralTopic":
			out = append(out, fnIf(t.has("CentralTopicKeyArn"), m, noValue))
		default:
			out = append(out, st)
		}
	}
	if !placed {
		panic("bootstrapguard: plain template: no read statements in the function's policy")
	}
	if !cataloguePlaced {
		out = append(out, catalogue)
	}
	pol.AddPropertyOverride(jsii.String("PolicyDocument.Statement"), out)
}

// ParameterValues turns guard props into the plain template's parameter values (the stack set
// passes them to every member stack). Unset props are left out (the template's default applies).
// A prop the template cannot take is an error naming it.
func ParameterValues(props *BootstrapGuardProps) (map[string]*string, error) {
	out := map[string]*string{}
	if props == nil {
		return out, nil
	}
	set := func(name string, v *string) {
		if v != nil && *v != "" {
			out[name] = v
		}
	}
	join := func(name string, l *[]*string) {
		if l == nil || len(*l) == 0 {
			return
		}
		out[name] = awscdk.Fn_Join(jsii.String(","), l)
	}
	numStr := func(name string, f *float64) {
		if f != nil {
			out[name] = jsii.String(strconv.FormatFloat(*f, 'f', -1, 64))
		}
	}
	if e := Enforcement(props); props.Enforcement != nil || props.FailureMode != nil {
		out["Enforcement"] = jsii.String(e)
	}
	if props.OnUnreadable != nil || props.FailOpen != nil {
		out["OnUnreadable"] = jsii.String(OnUnreadable(props))
	}
	if props.HookEnabled != nil {
		out["HookStatus"] = jsii.String(map[bool]string{true: "ENABLED", false: "DISABLED"}[*props.HookEnabled])
	}
	if props.ReadScope != nil {
		out["ReadScope"] = jsii.String(strings.ToUpper(*props.ReadScope))
	}
	set("OrganizationId", props.OrganizationId)
	set("Alias", props.Alias)
	set("RuntimesCatalogue", props.RuntimesCatalogue)
	set("Exemptions", props.Exemptions)
	set("CentralTopicArn", props.CentralTopicArn)
	set("CentralTopicKeyArn", props.CentralTopicKeyArn)
	set("CentralEventBusArn", props.CentralEventBusArn)
	numStr("WarnDays", props.WarnDays)
	numStr("MemorySize", props.MemorySize)
	numStr("Timeout", props.Timeout)
	numStr("RuntimesCacheSeconds", props.RuntimesCacheSeconds)
	set("AuditSchedule", props.AuditSchedule)
	set("AuditBucket", props.AuditBucket)
	var errs []string
	for _, b := range list(props.CodeBuckets) {
		if strings.Contains(b, "${") {
			errs = append(errs, fmt.Sprintf("CodeBuckets %q: the template takes bucket names (with *), not ${...} substitutions", b))
		}
	}
	join("CodeBuckets", props.CodeBuckets)
	join("CodeBucketKeyArns", props.CodeBucketKeyArns)
	for _, r := range list(props.ImageRepositories) {
		if !isToken(r) && !strings.HasPrefix(r, "arn:") {
			errs = append(errs, fmt.Sprintf("ImageRepositories %q: the template takes repository ARNs (arn:aws:ecr:*:*:repository/NAME)", r))
		}
	}
	join("ImageRepositoryArns", props.ImageRepositories)
	join("TargetOperations", props.TargetOperations)
	join("CustomRuntimeArns", props.CustomRuntimeArns)
	if props.StrictUpdates != nil {
		out["StrictUpdates"] = jsii.String(strconv.FormatBool(*props.StrictUpdates))
	}
	join("AllowRuntimes", props.AllowRuntimes)
	join("DenyRuntimes", props.DenyRuntimes)
	join("SkipRules", props.SkipRules)
	join("IncludeStacks", props.IncludeStacks)
	join("ExcludeStacks", props.ExcludeStacks)
	switch emails := list(props.NotificationEmails); {
	case len(emails) == 1:
		out["NotificationEmail"] = jsii.String(emails[0])
	case len(emails) > 1:
		errs = append(errs, fmt.Sprintf("NotificationEmails: the template subscribes one address, not %d; use CentralTopicArn (NewCentralNotifications) for one topic of the whole organization", len(emails)))
	}
	if props.LogRetention != "" {
		errs = append(errs, "LogRetention: pass the LogRetentionDays parameter instead")
	}
	if props.Code != nil {
		errs = append(errs, "Code: the template reads the hook's code from HookCodeBucket(Prefix) and HookCodeKey")
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("BootstrapGuardProps for the plain template: %s", strings.Join(errs, "; "))
	}
	return out, nil
}
