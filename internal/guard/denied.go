package guard

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
)

// denial is what an S3 AccessDenied says about who denied a read. Since 2024 S3 adds the policy
// type and the reason to access-denied messages for requests from the same account or
// organization: "User: ARN is not authorized to perform: ACTION on resource: "ARN" because no
// identity-based policy allows the ACTION action" or "... with an explicit deny in a
// resource-based policy" (Amazon S3 User Guide, "Troubleshoot access denied (403 Forbidden)
// errors", https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html).
// Requests across organizations, and S3-compatible servers such as MinIO, say only "Access Denied".
type denial struct {
	action   string // s3:GetObject, kms:Decrypt, ... ("" when the message does not say)
	resource string // the ARN the message names
	by       denier
}

// denier is the kind of policy that denied the request.
type denier int

const (
	deniedUnknown        denier = iota // the message does not say
	deniedNoAllow                      // no identity-based policy allows it: the role lacks a statement
	deniedIdentityDeny                 // an explicit deny in an identity-based policy (or a permissions boundary)
	deniedResourcePolicy               // an explicit deny, or no allow, in the bucket policy or key policy
	deniedOrgPolicy                    // a service or resource control policy of the organization
	deniedVPCEndpoint                  // the VPC endpoint policy
	deniedSession                      // a session policy
)

var deniedMessage = regexp.MustCompile(`not authorized to perform: ([a-zA-Z0-9-]+:[A-Za-z0-9]+) on resource: "?([^" ]+)"?`)

// denialOf reads the denial out of an S3 error (it wraps the SDK's API error).
func denialOf(err error) denial {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return denial{}
	}
	msg := apiErr.ErrorMessage()
	var d denial
	if m := deniedMessage.FindStringSubmatch(msg); m != nil {
		d.action, d.resource = m[1], m[2]
	}
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "service control policy"), strings.Contains(lower, "resource control policy"):
		d.by = deniedOrgPolicy
	case strings.Contains(lower, "vpc endpoint policy"):
		d.by = deniedVPCEndpoint
	case strings.Contains(lower, "session policy"):
		d.by = deniedSession
	case strings.Contains(lower, "resource-based policy"):
		d.by = deniedResourcePolicy
	case strings.Contains(lower, "explicit deny in an identity-based policy"), strings.Contains(lower, "permissions boundary"):
		d.by = deniedIdentityDeny
	case strings.Contains(lower, "no identity-based policy allows"):
		d.by = deniedNoAllow
	}
	return d
}

// readStatement is the IAM statement that lets the hook function's role read one object, in the
// JSON a platform team can paste into a policy.
func readStatement(region, bucket, key string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:%s:s3:::%s/%s"}`, audit.Partition(region), bucket, key)
}

// decryptStatement is the IAM statement that lets the role decrypt with a KMS key through S3 only.
func decryptStatement(region, keyARN string) string {
	if keyARN == "" {
		keyARN = fmt.Sprintf("arn:%s:kms:%s:ACCOUNT:key/KEY-ID", audit.Partition(region), regionOr(region))
	}
	return fmt.Sprintf(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"%s","Condition":{"StringEquals":{"kms:ViaService":"s3.%s.amazonaws.com"}}}`, keyARN, regionOr(region))
}

func regionOr(region string) string {
	if region == "" {
		return "REGION"
	}
	return region
}

// deniedFix says what to change when S3 denied the hook's read of bucket/key: the statement the
// role lacks, or the policy that denies it.
func deniedFix(d denial, region, bucket, key string) string {
	const role = "the hook function's role (FunctionRole of the Bootstrap Guard stack)"
	if strings.HasPrefix(d.action, "kms:") {
		switch d.by {
		case deniedResourcePolicy:
			return fmt.Sprintf("the object is encrypted with KMS key %s, whose key policy does not let %s use it: add a key policy statement allowing that role kms:Decrypt (with kms:ViaService s3.%s.amazonaws.com), or let the key policy delegate to IAM", orUnknown(d.resource), role, regionOr(region))
		default:
			return fmt.Sprintf("the object is encrypted with a KMS key %s cannot use: give the role %s (the default read scope grants it for keys of this account whose key policy delegates to IAM)", role, decryptStatement(region, d.resource))
		}
	}
	switch d.by {
	case deniedResourcePolicy:
		return fmt.Sprintf("the bucket policy of %s denies %s: exempt that role from the bucket policy's Deny statement (aws:PrincipalArn), or allow it there if the bucket belongs to another account", bucket, role)
	case deniedOrgPolicy:
		return fmt.Sprintf("a service or resource control policy of the organization denies %s reading s3://%s/%s: exempt that role in the policy", role, bucket, key)
	case deniedVPCEndpoint:
		return fmt.Sprintf("the VPC endpoint policy of the hook function's S3 endpoint denies reading bucket %s: allow s3:GetObject on it there", bucket)
	case deniedIdentityDeny:
		return fmt.Sprintf("an explicit Deny in a policy or permissions boundary attached to %s blocks reading bucket %s: remove it for that bucket", role, bucket)
	case deniedNoAllow:
		return fmt.Sprintf("%s lacks the statement %s (the default read scope covers buckets of the hook's own account; for a bucket of another account of the organization deploy the guard with ReadScope ORGANIZATION, otherwise add the bucket to CodeBuckets)", role, readStatement(region, bucket, key))
	}
	return fmt.Sprintf("%s needs the statement %s; the default read scope grants it only for buckets of the hook's own account (ReadScope ORGANIZATION widens it to the organization, CodeBuckets adds others). If the role has it, the bucket policy of %s, an organization policy or, for SSE-KMS objects, the key policy denies the read (the key needs %s)",
		role, readStatement(region, bucket, key), bucket, decryptStatement(region, ""))
}

func orUnknown(s string) string {
	if s == "" {
		return "(unnamed in the error)"
	}
	return s
}
