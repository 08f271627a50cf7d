package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// SecurityHubAPI is what publishing findings needs; *securityhub.Client satisfies it.
type SecurityHubAPI interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// GeneratorID marks the findings the audit publishes, so that a later audit finds its own.
const GeneratorID = "bootstrap-guard-audit"

// importBatch is BatchImportFindings' limit: "The maximum number of findings that you can import
// per request is 100" (Security Hub API reference, BatchImportFindings).
const importBatch = 100

// FindingID is the finding of one function: the same ID on every audit, so that importing it
// again updates it ("If a finding with the same ID ... already exists, BatchImportFindings updates
// it": Security Hub User Guide, "Using BatchImportFindings to create and update findings").
func FindingID(functionARN string) string { return GeneratorID + "/" + functionARN }

// Published counts what Publish did.
type Published struct {
	Created, Updated, Archived int
}

// Publish makes Security Hub in account and region show one ACTIVE finding, in the AWS Security
// Finding Format, for every function of the report in that account and Region that fails:
// created the first time, updated on later audits (same ID, CreatedAt kept), and ARCHIVED
// (RecordState) once the function passes, is exempt or is gone. Functions that could not be
// decided are left as they were. The product is the account's default product
// (arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default), which every account may
// import into.
func Publish(ctx context.Context, api SecurityHubAPI, account, region string, rep *Report, now time.Time) (Published, error) {
	var out Published
	ts := now.UTC().Format(time.RFC3339Nano)
	product := fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", Partition(region), region, account, account)
	active := map[string]shtypes.AwsSecurityFinding{}
	pages := securityhub.NewGetFindingsPaginator(api, &securityhub.GetFindingsInput{Filters: &shtypes.AwsSecurityFindingFilters{
		GeneratorId:  []shtypes.StringFilter{{Comparison: shtypes.StringFilterComparisonEquals, Value: aws.String(GeneratorID)}},
		AwsAccountId: []shtypes.StringFilter{{Comparison: shtypes.StringFilterComparisonEquals, Value: aws.String(account)}},
		Region:       []shtypes.StringFilter{{Comparison: shtypes.StringFilterComparisonEquals, Value: aws.String(region)}},
		RecordState:  []shtypes.StringFilter{{Comparison: shtypes.StringFilterComparisonEquals, Value: aws.String(string(shtypes.RecordStateActive))}},
	}, MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("read the audit's findings in Security Hub: %w", err)
		}
		for _, f := range page.Findings {
			active[aws.ToString(f.Id)] = f
		}
	}
	var batch []shtypes.AwsSecurityFinding
	seen := map[string]bool{}
	undecided := map[string]bool{} // their findings stay as they are
	for i := range rep.Functions {
		f := &rep.Functions[i]
		if f.Account != account || f.Region != region {
			continue
		}
		id := FindingID(f.ARN)
		if !f.Decided() {
			undecided[id] = true
			continue
		}
		if f.Result.Status != result.Fail {
			continue
		}
		fd := finding(f, id, product, account, region, ts)
		if old, ok := active[id]; ok {
			fd.CreatedAt = old.CreatedAt
			out.Updated++
		} else {
			out.Created++
		}
		seen[id] = true
		batch = append(batch, fd)
	}
	var ids []string
	for id := range active {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if seen[id] || undecided[id] {
			continue
		}
		old := active[id]
		old.RecordState = shtypes.RecordStateArchived
		old.UpdatedAt = aws.String(ts)
		batch = append(batch, old)
		out.Archived++
	}
	for start := 0; start < len(batch); start += importBatch {
		part := batch[start:min(start+importBatch, len(batch))]
		res, err := api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: part})
		if err != nil {
			return out, fmt.Errorf("import findings into Security Hub: %w", err)
		}
		if n := aws.ToInt32(res.FailedCount); n > 0 {
			var why []string
			for _, ff := range res.FailedFindings {
				why = append(why, aws.ToString(ff.Id)+": "+aws.ToString(ff.ErrorMessage))
			}
			return out, fmt.Errorf("import findings into Security Hub: %d of %d refused (%s)", n, len(part), strings.Join(why, "; "))
		}
	}
	return out, nil
}

// finding is one failing function in ASFF (Security Hub User Guide, "AWS Security Finding
// Format (ASFF)": the required attributes AwsAccountId, CreatedAt, Description, GeneratorId, Id,
// ProductArn, Resources, SchemaVersion 2018-10-08, Severity, Title, Types, UpdatedAt), with the
// function as an AwsLambdaFunction resource and the rule's fix as the remediation.
func finding(f *Function, id, product, account, region, ts string) shtypes.AwsSecurityFinding {
	var errs []result.Finding
	for _, fd := range f.Result.Findings {
		if fd.Counts() && fd.Severity == result.Error {
			errs = append(errs, fd)
		}
	}
	rules := make([]string, 0, len(errs))
	var desc, fix strings.Builder
	for _, fd := range errs {
		rules = append(rules, string(fd.Rule))
		fmt.Fprintf(&desc, "[%s] %s ", fd.Rule, fd.Message)
		if fd.Remediation != "" {
			fmt.Fprintf(&fix, "[%s] %s ", fd.Rule, fd.Remediation)
		}
	}
	out := shtypes.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"),
		Id:            aws.String(id),
		ProductArn:    aws.String(product),
		GeneratorId:   aws.String(GeneratorID),
		AwsAccountId:  aws.String(account),
		Region:        aws.String(region),
		Types:         []string{"Software and Configuration Checks"},
		CreatedAt:     aws.String(ts),
		UpdatedAt:     aws.String(ts),
		Severity:      &shtypes.Severity{Label: shtypes.SeverityLabelHigh},
		Title:         aws.String(clip(fmt.Sprintf("Lambda function %s would be stopped by Bootstrap Guard: %s", f.Name, strings.Join(rules, ", ")), 256)),
		Description:   aws.String(clip(strings.TrimSpace(desc.String()), 1024)),
		Resources: []shtypes.Resource{{
			Type: aws.String("AwsLambdaFunction"), Id: aws.String(f.ARN), Partition: shtypes.Partition(Partition(region)), Region: aws.String(region),
		}},
		Compliance:    &shtypes.Compliance{Status: shtypes.ComplianceStatusFailed},
		RecordState:   shtypes.RecordStateActive,
		ProductFields: map[string]string{"bootstrap-guard/rules": strings.Join(rules, " "), "bootstrap-guard/runtime": f.Result.Runtime},
	}
	if fix.Len() > 0 {
		out.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String(clip(strings.TrimSpace(fix.String()), 512))}}
	}
	return out
}

// clip shortens s to at most n bytes (ASFF caps Title at 256, Description at 1024 and
// Recommendation.Text at 512 characters), on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - 3
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}
