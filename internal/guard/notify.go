package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// Notification is the JSON body published to SNS for every FAILED verdict and every verdict that
// used an exemption.
type Notification struct {
	Source          string             `json:"source"` // always "bootstrap-guard"
	Stack           string             `json:"stack"`
	StackID         string             `json:"stackId"`
	LogicalID       string             `json:"logicalId"`
	Account         string             `json:"account"`
	Region          string             `json:"region"`
	InvocationPoint string             `json:"invocationPoint"`
	Runtime         string             `json:"runtime,omitempty"`
	HookStatus      hookapi.HookStatus `json:"hookStatus"`
	ErrorCode       hookapi.ErrorCode  `json:"errorCode"`
	Message         string             `json:"message"`
	Findings        []NotifiedFinding  `json:"findings"`
	// Exemption is set when the function's exemption tag was honoured: the platform team sees
	// every exemption used, with its reason, even when the verdict is SUCCESS.
	Exemption *NotifiedExemption `json:"exemption,omitempty"`
}

// NotifiedExemption is the exemption a decision honoured.
type NotifiedExemption struct {
	Tag    string   `json:"tag"`
	Value  string   `json:"value"`  // the tag's value as written
	Reason string   `json:"reason"` // its reason part
	Rules  []string `json:"rules"`  // the rules whose findings were exempted; ["*"] for the whole function
	Mode   string   `json:"mode"`   // BOOTSTRAP_GUARD_EXEMPTIONS in force
}

// NotifiedFinding is one failed or skipped check in a Notification.
type NotifiedFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
	Help     string `json:"help,omitempty"`
}

// arnPart returns field i (0-based) of an ARN, or "".
func arnPart(arn string, i int) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) <= i {
		return ""
	}
	return p[i]
}

// stackName takes the name out of arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID.
func stackName(stackID string) string {
	rest := arnPart(stackID, 5)
	if name, ok := strings.CutPrefix(rest, "stack/"); ok {
		name, _, _ = strings.Cut(name, "/")
		return name
	}
	return stackID
}

func newNotification(d *decision, resp hookapi.Response) Notification {
	n := Notification{
		Source:          "bootstrap-guard",
		Stack:           stackName(d.req.StackID),
		StackID:         d.req.StackID,
		LogicalID:       d.req.RequestData.TargetLogicalID,
		Account:         d.req.AWSAccountID,
		Region:          arnPart(d.req.StackID, 3),
		InvocationPoint: string(d.req.ActionInvocationPoint),
		Runtime:         string(d.props.Runtime),
		HookStatus:      resp.HookStatus,
		ErrorCode:       resp.ErrorCode,
		Message:         resp.Message,
		Findings:        []NotifiedFinding{},
	}
	for _, a := range resp.Annotations {
		if a.Status == hookapi.AnnotationPassed {
			continue
		}
		n.Findings = append(n.Findings, NotifiedFinding{Rule: a.AnnotationName, Severity: string(a.SeverityLevel), Message: a.StatusMessage, Fix: a.RemediationMessage, Help: a.RemediationLink})
	}
	if d.exempt != nil && d.exemptionUsed() {
		n.Exemption = &NotifiedExemption{Tag: ExemptTag, Value: d.exempt.Value, Reason: d.exempt.Reason, Rules: d.exemptedRules(), Mode: string(d.mode)}
	}
	return n
}

// notify publishes a FAILED verdict, or one that used an exemption, to the configured topic. It is best effort and bounded: a
// failure is logged and never changes the verdict.
func (h *Handler) notify(ctx context.Context, d *decision, resp hookapi.Response) {
	if h.cfg.TopicARN == "" || h.clients.SNS == nil {
		return
	}
	timeout := NotifyTimeout
	if dl, ok := ctx.Deadline(); ok {
		// Leave a little of the Lambda's time for returning the answer itself.
		timeout = min(timeout, time.Until(dl)-250*time.Millisecond)
	}
	if timeout <= 0 {
		h.log.WarnContext(ctx, "notification skipped: no time left", "logicalId", d.req.RequestData.TargetLogicalID)
		return
	}
	// The decision's own context may be cancelled already; the notification has its own bound.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	n := newNotification(d, resp)
	body, err := json.Marshal(n)
	if err != nil {
		h.log.WarnContext(ctx, "notification not sent", "error", err.Error())
		return
	}
	subject := fmt.Sprintf("Bootstrap Guard: %s in %s failed (%s)", n.LogicalID, n.Stack, resp.ErrorCode)
	if resp.HookStatus != hookapi.StatusFailed && n.Exemption != nil {
		subject = fmt.Sprintf("Bootstrap Guard: %s in %s passed with an exemption (%s)", n.LogicalID, n.Stack, strings.Join(n.Exemption.Rules, ","))
	}
	_, err = h.clients.SNS.Publish(nctx, &sns.PublishInput{
		TopicArn: aws.String(h.cfg.TopicARN),
		Subject:  aws.String(snsSubject(subject)),
		Message:  aws.String(string(body)),
	})
	if err != nil {
		h.log.WarnContext(ctx, "notification not sent", "topic", h.cfg.TopicARN, "error", redact(err.Error()))
	}
}

// snsSubject makes s a valid SNS subject: printable ASCII, no line breaks, under 100 characters.
func snsSubject(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 99; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}
