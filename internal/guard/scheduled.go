package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// reportMargin is the time kept before the function's deadline to write the report.
const reportMargin = 3 * time.Second

// EnvAuditBucket names the bucket the scheduled audit writes its full JSON report to.
const EnvAuditBucket = "BOOTSTRAP_GUARD_AUDIT_BUCKET"

// EventBridge's scheduled events carry "source": "aws.events" and "detail-type": "Scheduled Event"
// (EventBridge User Guide, "Creating a rule that runs on a schedule", the example event; the same
// shape as aws-lambda-go's events.CloudWatchEvent: version, id, detail-type, source, account,
// time, region, resources, detail).
const (
	scheduledSource     = "aws.events"
	scheduledDetailType = "Scheduled Event"
)

// PutObjectAPI is the S3 call the scheduled audit makes; *s3.Client satisfies it.
type PutObjectAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Scheduled is what the scheduled audit needs beyond the hook: the account's Lambda control
// plane (ListFunctions, GetFunction), its Security Hub and the report bucket.
type Scheduled struct {
	Region      string // AWS_REGION: the function audits its own Region
	Lambda      audit.LambdaAPI
	SecurityHub audit.SecurityHubAPI
	S3          PutObjectAPI
	Bucket      string // BOOTSTRAP_GUARD_AUDIT_BUCKET; "" refuses a scheduled event
}

// Entry is the hook function's handler: a hook request takes exactly Handler.Invoke's path; an
// EventBridge scheduled event runs the audit of the function's own account and Region.
type Entry struct {
	Hook  *Handler
	Sched Scheduled
	now   func() time.Time
}

// ScheduledSummary is the answer to a scheduled event.
type ScheduledSummary struct {
	Account   string          `json:"account"`
	Region    string          `json:"region"`
	Functions int             `json:"functions"`
	Failed    int             `json:"failed"`
	Undecided int             `json:"undecided"`
	Findings  audit.Published `json:"findings"`
	Report    string          `json:"report"` // s3://bucket/key
}

// IsScheduledEvent reports whether payload is an EventBridge scheduled event: a JSON object whose
// top-level "source" is "aws.events" and "detail-type" is "Scheduled Event", and that carries none
// of a hook request's fields. Anything else (a hook request, bytes that are not JSON) is not.
func IsScheduledEvent(payload []byte) bool {
	var head struct {
		Source      *string         `json:"source"`
		DetailType  *string         `json:"detail-type"`
		Token       json.RawMessage `json:"clientRequestToken"`
		RequestData json.RawMessage `json:"requestData"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return false
	}
	return head.Source != nil && *head.Source == scheduledSource && head.DetailType != nil && *head.DetailType == scheduledDetailType &&
		head.Token == nil && head.RequestData == nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// DecodeScheduledEvent reads a scheduled event and returns the account it names.
func DecodeScheduledEvent(payload []byte) (events.CloudWatchEvent, error) {
	var ev events.CloudWatchEvent
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("scheduled event: not an EventBridge event: %w", err)
	}
	if ev.Source != scheduledSource || ev.DetailType != scheduledDetailType {
		return ev, fmt.Errorf("scheduled event: source %q, detail-type %q: want %q, %q", ev.Source, ev.DetailType, scheduledSource, scheduledDetailType)
	}
	if !accountID.MatchString(ev.AccountID) {
		return ev, fmt.Errorf("scheduled event: account %q is not a 12-digit AWS account ID", ev.AccountID)
	}
	return ev, nil
}

// Invoke implements aws-lambda-go's lambda.Handler.
func (e *Entry) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if !IsScheduledEvent(payload) {
		return e.Hook.Invoke(ctx, payload)
	}
	sum, err := e.RunScheduled(ctx, payload)
	// EventBridge invokes asynchronously and drops the answer: the log line is the record.
	attrs := []any{"account", sum.Account, "region", sum.Region, "functions", sum.Functions, "failed", sum.Failed,
		"undecided", sum.Undecided, "created", sum.Findings.Created, "updated", sum.Findings.Updated, "archived", sum.Findings.Archived, "report", sum.Report}
	if err != nil {
		e.Hook.log.ErrorContext(ctx, "scheduled audit", append(attrs, "error", err.Error())...)
	} else {
		e.Hook.log.InfoContext(ctx, "scheduled audit", attrs...)
	}
	if err != nil {
		// A function error: EventBridge's invocation is asynchronous and the error shows in
		// the function's logs and Errors metric.
		return nil, err
	}
	return json.Marshal(sum)
}

// RunScheduled audits the function's own account (the event's) and Region (AWS_REGION) with the
// hook's policy (Handler.CheckDeployed), writes the full JSON report to the report bucket and
// publishes the failing functions to Security Hub (created, updated, archived: audit.Publish).
// The report is written even when publishing fails; both errors are returned.
func (e *Entry) RunScheduled(ctx context.Context, payload []byte) (ScheduledSummary, error) {
	ev, err := DecodeScheduledEvent(payload)
	if err != nil {
		return ScheduledSummary{}, err
	}
	s := e.Sched
	switch {
	case s.Region == "":
		return ScheduledSummary{}, errors.New("scheduled audit: AWS_REGION is not set")
	case s.Bucket == "":
		return ScheduledSummary{}, fmt.Errorf("scheduled audit: %s is not set: the report has nowhere to go", EnvAuditBucket)
	case s.Lambda == nil || s.SecurityHub == nil || s.S3 == nil:
		return ScheduledSummary{}, errors.New("scheduled audit: missing a Lambda, Security Hub or S3 client")
	}
	now := time.Now
	if e.now != nil {
		now = e.now
	}
	account := ev.AccountID
	// The audit stops reportMargin before the function's deadline, so that what was audited is
	// still written to the report.
	auditCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		auditCtx, cancel = context.WithDeadline(ctx, dl.Add(-reportMargin))
		defer cancel()
	}
	rep, runErr := audit.Run(auditCtx, []audit.Account{{ID: account, Regions: []audit.Region{{Name: s.Region, Lambda: s.Lambda, Eval: e.Hook.CheckDeployed}}}}, audit.Options{})
	if runErr != nil && ctx.Err() != nil {
		return ScheduledSummary{}, fmt.Errorf("scheduled audit of %s %s: %w", account, s.Region, runErr)
	}
	sum := ScheduledSummary{Account: account, Region: s.Region, Functions: len(rep.Functions), Undecided: rep.Undecided()}
	for i := range rep.Functions {
		if rep.Functions[i].Result.Status == result.Fail {
			sum.Failed++
		}
	}
	at := now().UTC()
	var body bytes.Buffer
	if err := audit.Write(&body, "json", rep, audit.WriteOptions{}); err != nil {
		return sum, fmt.Errorf("scheduled audit: %w", err)
	}
	// The key is dated by the event's time (when the schedule fired): a retried delivery of the
	// same event writes the same object, and each run of the schedule an object of its own.
	fired := ev.Time
	if fired.IsZero() {
		fired = at
	}
	key := ReportKey(account, s.Region, fired)
	var errs []error
	if _, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key), Body: bytes.NewReader(body.Bytes()),
		ContentType: aws.String("application/json")}); err != nil {
		errs = append(errs, fmt.Errorf("scheduled audit: write the report to s3://%s/%s: %w", s.Bucket, key, err))
	} else {
		sum.Report = "s3://" + s.Bucket + "/" + key
	}
	if runErr != nil {
		// An audit cut short must not publish: Publish archives the findings of every function
		// it did not see, and the functions not reached yet would look fixed.
		errs = append(errs, fmt.Errorf("scheduled audit: stopped before the end (%d functions audited; raise the function's Timeout), Security Hub left as it was: %w", len(rep.Functions), runErr))
		return sum, errors.Join(errs...)
	}
	pub, err := audit.Publish(ctx, s.SecurityHub, account, s.Region, rep, at)
	sum.Findings = pub
	if err != nil {
		errs = append(errs, fmt.Errorf("scheduled audit: %w", err))
	}
	for _, se := range rep.Errors {
		errs = append(errs, fmt.Errorf("scheduled audit: not audited: %s %s: %w", se.Account, se.Region, se.Err))
	}
	return sum, errors.Join(errs...)
}

// ReportKey is where a scheduled audit's report goes: dated, so that reports are kept side by side
// and a lifecycle rule can expire them (audit/ACCOUNT/REGION/YYYY/MM/DD/TIMESTAMP.json).
func ReportKey(account, region string, at time.Time) string {
	at = at.UTC()
	return fmt.Sprintf("audit/%s/%s/%s/%s.json", account, region, at.Format("2006/01/02"), at.Format("20060102T150405Z"))
}

// EntryFromEnv is what the hook's main calls: the hook (NewFromEnv) and the scheduled audit's
// clients, in the function's own account and Region (AWS_ENDPOINT_URL_LAMBDA, _SECURITYHUB and
// _S3 are honoured by the SDK).
func EntryFromEnv(ctx context.Context, getenv func(string) string) (*Entry, error) {
	h, err := NewFromEnv(ctx, getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := s3read.LoadConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws clients: %w", err)
	}
	return &Entry{Hook: h, Sched: Scheduled{
		Region: cfg.Region,
		// Throttling (TooManyRequestsException) is retried with the audit's backoff.
		Lambda:      lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Retryer = audit.NewRetryer(audit.RetryOptions{}) }),
		SecurityHub: securityhub.NewFromConfig(cfg),
		S3:          s3read.NewClient(cfg, getenv),
		Bucket:      getenv(EnvAuditBucket),
	}}, nil
}
