package audit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// OrganizationsAPI lists an organization's accounts; *organizations.Client satisfies it. The
// caller must be the management account or a delegated administrator
// (organizations:ListAccounts).
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, opts ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// DefaultRole is the name of the read-only role an organization-wide audit assumes in each
// account (deploy/audit-role.yaml creates it).
const DefaultRole = "BootstrapGuardAudit"

// SessionName is the role session name, so CloudTrail shows who read the functions.
const SessionName = "bootstrap-guard-audit"

// OrgAccounts lists the organization's accounts, page by page. Accounts that are not ACTIVE
// (suspended, closing, closed, pending activation) cannot be audited and come back with Err set,
// so they are reported rather than dropped. The account's State is read, and Status only when
// State is absent: Organizations retires Status on 9 September 2026 (ListAccounts, Account.Status
// in the Organizations API reference).
func OrgAccounts(ctx context.Context, api OrganizationsAPI) ([]Account, error) {
	var out []Account
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the organization's accounts: %w", err)
		}
		for _, a := range page.Accounts {
			acc := Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name)}
			state := string(a.State)
			if state == "" {
				state = string(a.Status)
			}
			if state != string(orgtypes.AccountStateActive) {
				acc.Err = fmt.Errorf("the account is %s", state)
			}
			out = append(out, acc)
		}
	}
	return out, nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// ParseAccounts reads a list of 12-digit account IDs, each at most once.
func ParseAccounts(ids []string) ([]Account, error) {
	seen := map[string]bool{}
	var out []Account
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if !accountID.MatchString(id) {
			return nil, fmt.Errorf("%q is not an account ID (12 digits)", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, Account{ID: id})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no account given")
	}
	return out, nil
}

// Partition is the AWS partition of a Region, for role ARNs: aws-cn for the China Regions,
// aws-us-gov for GovCloud, aws otherwise (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html,
// "partition").
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// AssumeRole returns base with credentials of the role named role in account, assumed through
// stsClient and refreshed before they expire (an audit of a large account can outlast one
// session). The role is assumed once here, so that an account whose role cannot be assumed is
// known before anything is listed.
func AssumeRole(ctx context.Context, base aws.Config, stsClient stscreds.AssumeRoleAPIClient, account, role string) (aws.Config, error) {
	arn := fmt.Sprintf("arn:%s:iam::%s:role/%s", Partition(base.Region), account, role)
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName
	}))
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("assume %s: %w", arn, err)
	}
	return cfg, nil
}

// OrganizationsRegion is the one Region Organizations answers in for a partition: its endpoint
// is organizations.us-east-1.amazonaws.com in the commercial partition,
// organizations.us-gov-west-1.amazonaws.com in GovCloud and
// organizations.cn-northwest-1.amazonaws.com.cn in China (AWS General Reference, "AWS
// Organizations endpoints and quotas").
func OrganizationsRegion(region string) string {
	switch Partition(region) {
	case "aws-cn":
		return "cn-northwest-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	}
	return "us-east-1"
}

// STSClient returns the STS client AssumeRole uses: the Regional endpoint of base's Region
// (AWS_ENDPOINT_URL_STS overrides it, as for every service).
func STSClient(base aws.Config) *sts.Client { return sts.NewFromConfig(base) }
