package bootstrapguard

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
	if m := str(props.FailureMode, DefaultFailureMode); !isToken(m) && m != "FAIL" && m != "WARN" {
		// AWS::CloudFormation::LambdaHook FailureMode: "Allowed values: FAIL | WARN".
		bad("FailureMode", "%q: want FAIL (stop the stack operation) or WARN (let it go on with a warning)", m)
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

// isToken reports whether s is a CDK token (a value known only at deploy time).
func isToken(s string) bool {
	return *awscdk.Token_IsUnresolved(s)
}
