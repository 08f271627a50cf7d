package bootstrapguard

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/textdist"
)

// MaxStackNameFilters is how many names AWS::CloudFormation::LambdaHook accepts in
// StackFilters.StackNames.Include, and in Exclude: "Minimum: 1, Maximum: 50"
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudformation-lambdahook-stacknames.html).
const MaxStackNameFilters = 50

// alwaysExcluded is how many Exclude entries the construct adds itself: its own stack, CDKToolkit
// and StackSet-BootstrapGuard-* (see NewBootstrapGuard).
const alwaysExcluded = 3

// maxStackName is CloudFormation's limit on a stack name (CreateStack, StackName: "must start
// with an alphabetical character and can't be longer than 128 characters";
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html).
const maxStackName = 128

var (
	auditSchedule   = regexp.MustCompile(`^(rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$`)
	auditBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ValidateProps checks props the way CloudFormation and the hook will, so that a mistake fails at
// synth naming the prop instead of at deploy time (or never). NewBootstrapGuard panics with its
// error. Values that are CDK tokens (known only at deploy time) are not checked.
func ValidateProps(props *BootstrapGuardProps, stackName string) error {
	if props == nil {
		return nil
	}
	var errs []error
	bad := func(prop, format string, args ...any) {
		errs = append(errs, fmt.Errorf("BootstrapGuardProps.%s: %s", prop, fmt.Sprintf(format, args...)))
	}
	// AWS::CloudFormation::LambdaHook Alias: "Pattern: ^(?!(?i)aws)[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$"
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-lambdahook.html).
	if a := str(props.Alias, DefaultAlias); !isToken(a) {
		if err := ValidateAlias(a); err != nil {
			bad("Alias", "%v", err)
		}
	}
	for _, f := range []struct {
		prop string
		v    *string
	}{{"Enforcement", props.Enforcement}, {"FailureMode", props.FailureMode}} {
		// AWS::CloudFormation::LambdaHook FailureMode: "Allowed values: FAIL | WARN".
		if m := str(f.v, EnforcementFail); !isToken(m) && m != EnforcementFail && m != EnforcementWarn {
			bad(f.prop, "%q: want FAIL (a failed check stops the stack operation) or WARN (it goes on with a warning)%s", m, hint(m, "OnUnreadable", []string{OnUnreadableBlock, OnUnreadableAllow, "closed", "open"}, EnforcementFail, EnforcementWarn))
		}
	}
	if e, m := str(props.Enforcement, ""), str(props.FailureMode, ""); e != "" && m != "" && e != m {
		bad("Enforcement", "%q contradicts the deprecated FailureMode %q: set Enforcement only", e, m)
	}
	if o := str(props.OnUnreadable, ""); o != "" && !isToken(o) {
		if _, ok := failModes[strings.ToLower(o)]; !ok {
			bad("OnUnreadable", "%q: want block (an unreadable package stops the stack operation) or allow (it goes on with a warning)%s", o, hint(o, "Enforcement", []string{EnforcementFail, EnforcementWarn}, OnUnreadableBlock, OnUnreadableAllow))
		} else if props.FailOpen != nil && *props.FailOpen != (strings.ToLower(o) == OnUnreadableAllow) {
			bad("OnUnreadable", "%q contradicts the deprecated FailOpen %v: set OnUnreadable only", o, *props.FailOpen)
		}
	}
	if a := str(props.CentralTopicArn, ""); a != "" && !isToken(a) && !arnOf(a, "sns") {
		bad("CentralTopicArn", "%q is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME)", a)
	}
	if a := str(props.CentralTopicKeyArn, ""); a != "" && !isToken(a) && !arnOf(a, "kms") {
		bad("CentralTopicKeyArn", "%q is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)", a)
	}
	if a := str(props.CentralEventBusArn, ""); a != "" && !isToken(a) && (!arnOf(a, "events") || !strings.Contains(a, ":event-bus/")) {
		bad("CentralEventBusArn", "%q is not an event bus ARN (arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME)", a)
	}
	// The hook answers RESOURCE and CHANGE_SET targets (STACK and CLOUD_CONTROL would only cost
	// invocations answered SUCCESS unread); AWS::CloudFormation::LambdaHook TargetOperations
	// allows STACK | RESOURCE | CHANGE_SET | CLOUD_CONTROL.
	if ops := props.TargetOperations; ops != nil {
		seen := map[string]bool{}
		if len(*ops) == 0 {
			bad("TargetOperations", "empty: want RESOURCE, CHANGE_SET or both")
		}
		for _, op := range list(ops) {
			switch {
			case isToken(op):
			case op != "RESOURCE" && op != "CHANGE_SET":
				bad("TargetOperations", "%q: want RESOURCE, CHANGE_SET or both (the hook evaluates no other target)", op)
			case seen[op]:
				bad("TargetOperations", "%q listed twice", op)
			}
			seen[op] = true
		}
	}
	if rs := str(props.ReadScope, ReadScopeAccount); !isToken(rs) {
		switch strings.ToUpper(rs) {
		case ReadScopeAccount, ReadScopeOrganization, ReadScopeBuckets:
		default:
			bad("ReadScope", "%q: want %s, %s or %s", rs, ReadScopeAccount, ReadScopeOrganization, ReadScopeBuckets)
		}
	}
	// An organization ID is "o-" followed by 10 to 32 lowercase letters or digits
	// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html, Id).
	if o := str(props.OrganizationId, ""); o != "" && !isToken(o) && !orgIDPattern.MatchString(o) {
		bad("OrganizationId", "%q: want o- and 10 to 32 lowercase letters or digits", o)
	}
	if inc := list(props.IncludeStacks); len(inc) > MaxStackNameFilters {
		bad("IncludeStacks", "%d names; CloudFormation's LambdaHook StackNames.Include takes at most %d", len(inc), MaxStackNameFilters)
	}
	if exc := list(props.ExcludeStacks); len(exc)+alwaysExcluded > MaxStackNameFilters {
		bad("ExcludeStacks", "%d names plus the %d the guard always excludes (its own stack %q, CDKToolkit, StackSet-BootstrapGuard-*) exceed the %d CloudFormation's LambdaHook StackNames.Exclude takes; use wildcards",
			len(exc), alwaysExcluded, stackName, MaxStackNameFilters)
	}
	for _, f := range []struct {
		prop  string
		names *[]*string
	}{{"IncludeStacks", props.IncludeStacks}, {"ExcludeStacks", props.ExcludeStacks}} {
		for _, n := range list(f.names) {
			if err := validateStackPattern(n); err != nil {
				bad(f.prop, "%v", err)
			}
		}
	}
	for _, b := range list(props.CodeBuckets) {
		if err := validateBucketPattern(b); err != nil {
			bad("CodeBuckets", "%v", err)
		}
	}
	for _, k := range list(props.CodeBucketKeyArns) {
		if !isToken(k) && (!strings.HasPrefix(k, "arn:") || !strings.Contains(k, ":kms:")) {
			bad("CodeBucketKeyArns", "%q is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)", k)
		}
	}
	for _, e := range list(props.NotificationEmails) {
		if !isToken(e) && (strings.Count(e, "@") != 1 || strings.HasPrefix(e, "@") || strings.HasSuffix(e, "@") || strings.ContainsAny(e, " ,;")) {
			bad("NotificationEmails", "%q is not an email address", e)
		}
	}
	if w := props.WarnDays; w != nil && (*w < 0 || *w != float64(int(*w))) {
		bad("WarnDays", "%v: want a whole number of days, 0 (no warning) or more", *w)
	}
	for _, id := range list(props.SkipRules) {
		if _, ok := result.Lookup(result.RuleID(id)); !ok {
			bad("SkipRules", "%q is not a rule ID (see docs/rules.md)", id)
		}
	}
	// EventBridge schedule expressions: "rate(value unit)" or "cron(fields)" (EventBridge User
	// Guide, "Schedule expressions for rules"; AWS::Events::Rule ScheduleExpression).
	if sch := str(props.AuditSchedule, ""); sch != "" && !isToken(sch) && !auditSchedule.MatchString(sch) {
		bad("AuditSchedule", "%q is not an EventBridge schedule expression: want rate(1 day), rate(12 hours) or cron(0 6 * * ? *)", sch)
	}
	if b := str(props.AuditBucket, ""); b != "" {
		if str(props.AuditSchedule, "") == "" {
			bad("AuditBucket", "%q is set but AuditSchedule is not: the bucket is for the scheduled audit's reports", b)
		} else if !isToken(b) && !auditBucketName.MatchString(b) {
			bad("AuditBucket", "%q is not a bucket name", b)
		}
	}
	return errors.Join(errs...)
}

// validateStackPattern checks a stack name filter: a stack name (letters, digits and hyphens,
// starting with a letter, at most 128 characters) in which * and ? may stand for any characters,
// as in the examples of https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/hooks-stack-level-filtering.html
// ("stack-test-*"). That ? is accepted in stack names as it is in hook target names
// (wildcard-hook-targets.html) is inferred.
func validateStackPattern(p string) error {
	if isToken(p) {
		return nil
	}
	if p == "" || len(p) > maxStackName {
		return fmt.Errorf("%q: a stack name pattern has 1 to %d characters", p, maxStackName)
	}
	for i, c := range p {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '*', c == '?':
		case (c >= '0' && c <= '9' || c == '-') && i > 0:
		default:
			return fmt.Errorf("%q: a stack name has letters, digits and hyphens and starts with a letter (wildcards * and ? allowed); %q at %d is not allowed", p, c, i)
		}
	}
	return nil
}

// bucketSubstitutions are the Fn::Sub variables a bucket pattern may use: the pattern becomes
// part of the arn:${AWS::Partition}:s3:::PATTERN/* resource of the hook's role.
var bucketSubstitutions = []string{"${AWS::AccountId}", "${AWS::Region}"}

// validateBucketPattern checks a bucket name pattern against S3's naming rules (3 to 63
// characters: lowercase letters, digits, dots and hyphens;
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), with * for any
// characters and ${AWS::AccountId} / ${AWS::Region} for the deploying account and region. A slash
// or another ${...} would widen or break the IAM resource the pattern becomes.
func validateBucketPattern(p string) error {
	if isToken(p) {
		return nil
	}
	literal := p
	for _, v := range bucketSubstitutions {
		literal = strings.ReplaceAll(literal, v, "")
	}
	if strings.Contains(literal, "${") {
		return fmt.Errorf("%q: only %s may be substituted in a bucket name pattern", p, strings.Join(bucketSubstitutions, " and "))
	}
	if literal == "" || literal == strings.Repeat("*", len(literal)) && !strings.Contains(p, "${") {
		return fmt.Errorf("%q: a pattern that matches every bucket lets the hook read any object; name the buckets", p)
	}
	if len(literal) > 63 {
		return fmt.Errorf("%q: bucket names have at most 63 characters", p)
	}
	for i, c := range literal {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '*') {
			return fmt.Errorf("%q: bucket names have lowercase letters, digits, dots and hyphens (and * in a pattern); %q at %d is not allowed", p, c, i)
		}
	}
	return nil
}

var orgIDPattern = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// arnOf reports whether s is an ARN of service: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func arnOf(s, service string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == service && parts[5] != ""
}

// hint explains a bad value v: a value of the other setting says so, else the nearest valid one.
func hint(v, other string, otherValues []string, valid ...string) string {
	for _, o := range otherValues {
		if strings.EqualFold(v, o) {
			return fmt.Sprintf("; %s is a value of %s", v, other)
		}
	}
	return didYouMean(v, valid...)
}

// didYouMean names the closest of valid to v (case-insensitive edit distance at most 2), as ", did you mean X?", or "".
func didYouMean(v string, valid ...string) string {
	best, dist := "", 3
	for _, c := range valid {
		if d := textdist.Levenshtein(strings.ToLower(v), strings.ToLower(c)); d < dist {
			best, dist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// isToken reports whether s is a CDK token (a value known only at deploy time).
func isToken(s string) bool {
	return *awscdk.Token_IsUnresolved(s)
}
