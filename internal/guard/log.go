package guard

import (
	"context"
	"log/slog"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// logDecision writes the one structured line per decision. It names things and counts costs; it
// never writes URLs with query strings (presigned) or anything from the request's credentials.
func (h *Handler) logDecision(ctx context.Context, d decision, resp hookapi.Response, start time.Time) {
	rules := []string{}
	failed := []string{}
	for _, a := range resp.Annotations {
		rules = append(rules, a.AnnotationName)
		if a.Status == hookapi.AnnotationFailed {
			failed = append(failed, a.AnnotationName)
		}
	}
	attrs := []slog.Attr{
		slog.String("stack", stackName(d.req.StackID)),
		slog.String("logicalId", d.req.RequestData.TargetLogicalID),
		slog.String("target", d.req.Type()),
		slog.String("invocationPoint", string(d.req.ActionInvocationPoint)),
		slog.String("runtime", string(d.props.Runtime)),
		slog.String("hookStatus", string(resp.HookStatus)),
		slog.String("errorCode", string(resp.ErrorCode)),
		slog.Any("rules", rules),
		slog.Any("failedRules", failed),
		slog.Int64("bytesRead", d.bytes),
		slog.Int("s3Requests", d.requests),
		slog.Int64("durationMs", time.Since(start).Milliseconds()),
	}
	if d.res != nil && d.res.Image != "" {
		attrs = append(attrs, slog.String("image", d.res.Image)) // the digest the verdict is about
	}
	if id := lambdaRequestID(ctx); id != "" {
		attrs = append(attrs, slog.String("requestId", id))
	}
	level := slog.LevelInfo
	if d.err != nil {
		attrs = append(attrs, slog.String("error", redact(d.err.Error())))
		if pe, ok := d.err.(*panicError); ok {
			attrs = append(attrs, slog.String("stackTrace", string(pe.stack)))
		}
		level = slog.LevelError
	}
	if d.exempt != nil {
		// Every exemption is logged with its reason, what it covered and the policy in force,
		// whether or not it was honoured.
		attrs = append(attrs, slog.String("exemptReason", d.exempt.Reason), slog.String("exemptTag", d.exempt.Value),
			slog.Any("exemptedRules", nonNil(d.exemptedRules())), slog.String("exemptionMode", string(d.mode)))
	}
	if d.catalogue != "" {
		attrs = append(attrs, slog.String("runtimeCatalogue", d.catalogue))
	}
	h.log.LogAttrs(ctx, level, "decision", attrs...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
