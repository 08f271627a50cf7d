package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // substring; "" means no error
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.FailMode != FailClosed || c.WarnDays != DefaultWarnDays || c.TopicARN != "" || c.LogLevel != slog.LevelInfo || !c.Date.IsZero() {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "all set", env: map[string]string{EnvFailMode: "OPEN", EnvAllowRuntimes: "go1.x, provided", EnvDenyRuntimes: "nodejs20.x",
			EnvWarnDays: "30", EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:guard", EnvLogLevel: "debug", EnvDate: "2027-03-04"},
			check: func(t *testing.T, c Config) {
				if c.FailMode != FailOpen || strings.Join(c.Allow, ",") != "go1.x,provided" || strings.Join(c.Deny, ",") != "nodejs20.x" ||
					c.WarnDays != 30 || c.TopicARN != "arn:aws:sns:us-east-1:123456789012:guard" || c.LogLevel != slog.LevelDebug ||
					c.Date.Format(time.DateOnly) != "2027-03-04" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "bad fail mode", env: map[string]string{EnvFailMode: "maybe"}, wantErr: EnvFailMode},
		{name: "unknown runtime", env: map[string]string{EnvDenyRuntimes: "python2"}, wantErr: EnvDenyRuntimes},
		{name: "allowed and denied", env: map[string]string{EnvAllowRuntimes: "go1.x", EnvDenyRuntimes: "go1.x"}, wantErr: "both list"},
		{name: "bad warn days", env: map[string]string{EnvWarnDays: "-1"}, wantErr: EnvWarnDays},
		{name: "bad topic", env: map[string]string{EnvTopicARN: "guard-topic"}, wantErr: EnvTopicARN},
		{name: "bad level", env: map[string]string{EnvLogLevel: "loud"}, wantErr: EnvLogLevel},
		{name: "bad date", env: map[string]string{EnvDate: "04/03/2027"}, wantErr: EnvDate},
		{name: "insecure registries in a release build", env: map[string]string{EnvInsecureRegistries: "127.0.0.1:5000"}, wantErr: "only by test builds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestRender(t *testing.T) {
	nested := result.Finding{Rule: result.BootstrapNested, Severity: result.Error, Path: "bin/hello/bootstrap",
		Message: "bootstrap is at bin/hello/bootstrap in the function package, not at the zip root.", Remediation: "zip -j function.zip bin/hello/bootstrap"}
	soon := result.Finding{Rule: result.RuntimeDeprecationSoon, Severity: result.Warning, Message: "provided.al2 is deprecated on 2026-07-31.", Remediation: "Move to provided.al2023."}
	tests := []struct {
		name        string
		res         result.Result
		status      hookapi.HookStatus
		code        hookapi.ErrorCode
		annotations map[string]hookapi.AnnotationStatus
		first       string   // annotation listed first
		inMessage   []string // in order
	}{
		{name: "fail", res: result.Result{Target: "HelloFunction", Runtime: "provided.al2023", Architecture: "arm64",
			Findings:  []result.Finding{nested, soon},
			Evaluated: []result.RuleID{result.RuntimeDeprecationSoon, result.PackageUnreadable, result.BootstrapMissing, result.BootstrapNested}},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, first: "bootstrap-nested",
			annotations: map[string]hookapi.AnnotationStatus{"bootstrap-nested": hookapi.AnnotationFailed, "runtime-deprecation-soon": hookapi.AnnotationFailed,
				"package-unreadable": hookapi.AnnotationPassed, "bootstrap-missing": hookapi.AnnotationPassed},
			inMessage: []string{"HelloFunction", "bin/hello/bootstrap", "zip -j function.zip bin/hello/bootstrap", "Warning [runtime-deprecation-soon]"}},
		{name: "pass with warning", res: result.Result{Target: "Fn", Runtime: "provided.al2", Architecture: "x86_64", Findings: []result.Finding{soon},
			Evaluated: []result.RuleID{result.BootstrapMissing, result.RuntimeDeprecationSoon}},
			status: hookapi.StatusSuccess, first: "runtime-deprecation-soon",
			annotations: map[string]hookapi.AnnotationStatus{"bootstrap-missing": hookapi.AnnotationPassed, "runtime-deprecation-soon": hookapi.AnnotationFailed},
			inMessage:   []string{"Fn (provided.al2, x86_64) passed", "Move to provided.al2023."}},
		{name: "skip", res: result.Result{Target: "ImageFunction", SkipReason: "container image"},
			status: hookapi.StatusSuccess, first: SkipAnnotation,
			annotations: map[string]hookapi.AnnotationStatus{SkipAnnotation: hookapi.AnnotationSkipped},
			inMessage:   []string{"ImageFunction was not checked: container image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.res
			res.Finish()
			r := Render(res)
			if r.HookStatus != tt.status || r.ErrorCode != tt.code {
				t.Errorf("status, code = %s, %q; want %s, %q", r.HookStatus, r.ErrorCode, tt.status, tt.code)
			}
			if len(r.Annotations) != len(tt.annotations) {
				t.Errorf("%d annotations, want %d: %+v", len(r.Annotations), len(tt.annotations), r.Annotations)
			}
			for name, want := range tt.annotations {
				a, ok := annotation(r, name)
				if !ok || a.Status != want {
					t.Errorf("annotation %s = %+v (present %v), want status %s", name, a, ok, want)
				}
				if rule, _ := result.Lookup(result.RuleID(name)); ok && rule.Help != a.RemediationLink {
					t.Errorf("annotation %s link = %q, want %q", name, a.RemediationLink, rule.Help)
				}
			}
			if len(r.Annotations) > 0 && r.Annotations[0].AnnotationName != tt.first {
				t.Errorf("first annotation = %s, want %s", r.Annotations[0].AnnotationName, tt.first)
			}
			at := 0
			for _, s := range tt.inMessage {
				i := strings.Index(r.Message[at:], s)
				if i < 0 {
					t.Errorf("message lacks %q after byte %d:\n%s", s, at, r.Message)
					break
				}
				at += i + len(s)
			}
		})
	}
}

func TestRenderLongMessage(t *testing.T) {
	res := result.Result{Target: "Big"}
	for i := 0; i < 200; i++ {
		res.Findings = append(res.Findings, result.Finding{Rule: result.PathUnsafe, Severity: result.Error, Message: strings.Repeat("é", 40), Remediation: "fix"})
	}
	res.Finish()
	r := Render(res)
	if len(r.Message) > hookapi.MaxMessage || !strings.HasSuffix(r.Message, "…") {
		t.Errorf("message of %d bytes, ends %q", len(r.Message), r.Message[len(r.Message)-8:])
	}
	if !strings.HasPrefix(r.Message, "Big will fail on Lambda: 200 problems.") {
		t.Errorf("message starts %q", r.Message[:60])
	}
	for _, a := range r.Annotations {
		if len(a.StatusMessage) > maxAnnotationText {
			t.Errorf("annotation %s: statusMessage of %d bytes", a.AnnotationName, len(a.StatusMessage))
		}
	}
}

// newTestHandler returns a Handler with no clients and its log in a buffer.
func newTestHandler(t *testing.T, cfg Config, c Clients) (*Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cfg.LogOutput = &logs
	if cfg.Date.IsZero() {
		cfg.Date = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	}
	return New(cfg, c), &logs
}

// logLines decodes the handler's JSON log lines.
func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(b)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("log line is not JSON: %v", err)
		}
		out = append(out, m)
	}
}

// TestHandleWithoutReading covers requests answered without reading any package: the handler
// has no S3 or Lambda client, so any attempt to read would turn into an InternalFailure.
func TestHandleWithoutReading(t *testing.T) {
	tests := []struct {
		name, event, logicalID string
		props                  map[string]any
		status                 hookapi.HookStatus
		code                   hookapi.ErrorCode
		annotation             string
		annStatus              hookapi.AnnotationStatus
		inMessage              string
	}{
		{name: "delete", event: "delete.json", status: hookapi.StatusSuccess, inMessage: "DELETE_PRE_PROVISION is not evaluated"},
		{name: "stack", event: "stack.json", status: hookapi.StatusSuccess, inMessage: "STACK targets are not evaluated"},
		// Change sets read their payload: TestChangeSet.
		{name: "other resource", event: "create.json", status: hookapi.StatusSuccess, inMessage: "not evaluated"},
		{name: "image without an ECR client", event: "image.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: "ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on arn:aws:ecr:us-east-1:123456789012:repository/app"},
		{name: "exempt", event: "exempt.json", status: hookapi.StatusSuccess, annotation: "exempt", annStatus: hookapi.AnnotationSkipped, inMessage: "CHG-1234 retired after the Q3 migration"},
		{name: "inline python", event: "inline.json", status: hookapi.StatusSuccess, annotation: "runtime-deprecated", annStatus: hookapi.AnnotationPassed, inMessage: "InlineFunction (python3.13, x86_64) passed"},
		{name: "inline on OS-only runtime", event: "inline.json", logicalID: "InlineBootstrap",
			props:  map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"ZipFile": "#!/bin/sh\necho hi\n"}},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "bootstrap-missing", annStatus: hookapi.AnnotationFailed, inMessage: "InlineBootstrap"},
		{name: "go1.x inline", event: "inline.json", logicalID: "LegacyInline",
			props:  map[string]any{"Runtime": "go1.x", "Handler": "main", "Code": map[string]any{"ZipFile": "x"}},
			status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "runtime-deprecated", annStatus: hookapi.AnnotationFailed, inMessage: "provided.al2023"},
		{name: "malformed code", event: "malformed-code.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: "BrokenFunction: Bootstrap Guard could not read the function's properties"},
		{name: "truncated", event: "malformed-truncated.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: "could not read the hook request"},
		{name: "empty", event: "malformed-empty.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: "no actionInvocationPoint"},
		{name: "S3 package without a client", event: "create.json", status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: "no S3 client configured"},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(filepath.Join(form, tt.name), func(t *testing.T) {
				h, logs := newTestHandler(t, Config{}, Clients{})
				ev := eventFrom(t, filepath.Join(form, tt.event), tt.logicalID, tt.props)
				if tt.name == "other resource" {
					ev = bytes.ReplaceAll(ev, []byte(`"AWS::Lambda::Function"`), []byte(`"AWS::S3::Bucket"`))
				}
				out, err := h.Invoke(context.Background(), ev)
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				r := decodeResponse(t, out)
				if r.HookStatus != tt.status || r.ErrorCode != tt.code {
					t.Errorf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
				}
				if want := hookapi.ClientToken(ev); r.ClientRequestToken != want {
					t.Errorf("token = %q, want %q", r.ClientRequestToken, want)
				}
				if !strings.Contains(r.Message, tt.inMessage) {
					t.Errorf("message lacks %q:\n%s", tt.inMessage, r.Message)
				}
				if tt.annotation != "" {
					if a, ok := annotation(r, tt.annotation); !ok || a.Status != tt.annStatus {
						t.Errorf("annotation %s = %+v (present %v), want %s", tt.annotation, a, ok, tt.annStatus)
					}
				}
				lines := logLines(t, logs)
				if len(lines) != 1 {
					t.Fatalf("%d log lines, want 1", len(lines))
				}
				if lines[0]["hookStatus"] != string(tt.status) {
					t.Errorf("logged hookStatus %v, want %s", lines[0]["hookStatus"], tt.status)
				}
				if lines[0]["bytesRead"] != float64(0) {
					t.Errorf("logged bytesRead %v, want 0", lines[0]["bytesRead"])
				}
			})
		}
	}
}

func TestPanicIsInternalFailure(t *testing.T) {
	for _, mode := range []FailMode{FailClosed, FailOpen} {
		t.Run(string(mode), func(t *testing.T) {
			h, logs := newTestHandler(t, Config{FailMode: mode}, Clients{})
			h.decideFn = func(context.Context, *decision) { panic("index out of range [3] with length 3") }
			r, err := h.Handle(context.Background(), eventFrom(t, "create.json", "", nil))
			if err != nil {
				t.Fatal(err)
			}
			if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.InternalFailure || !strings.HasPrefix(r.Message, "HelloFunction: ") {
				t.Errorf("got %s/%s %q", r.HookStatus, r.ErrorCode, r.Message)
			}
			if !strings.Contains(logs.String(), "stackTrace") {
				t.Error("the panic's stack is not logged")
			}
		})
	}
}

// TestDeadline covers a decision that ignores its context: the hard deadline answers FAILED in
// either fail mode, on time.
func TestDeadline(t *testing.T) {
	for _, mode := range []FailMode{FailClosed, FailOpen} {
		t.Run(string(mode), func(t *testing.T) {
			h, _ := newTestHandler(t, Config{FailMode: mode, Budget: 300 * time.Millisecond}, Clients{})
			release := make(chan struct{})
			defer close(release)
			h.decideFn = func(context.Context, *decision) { <-release }
			start := time.Now()
			r, _ := h.Handle(context.Background(), eventFrom(t, "create.json", "", nil))
			if took := time.Since(start); took > 3*time.Second { // the decision never returns: only the deadline ends this
				t.Errorf("answered after %v", took)
			}
			if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.InternalFailure || !strings.Contains(r.Message, "in time") {
				t.Errorf("got %s/%s %q", r.HookStatus, r.ErrorCode, r.Message)
			}
		})
	}
}

func TestDeadlineFromLambdaContext(t *testing.T) {
	h, _ := newTestHandler(t, Config{}, Clients{})
	start := time.Now()
	tests := []struct {
		name     string
		timeout  time.Duration // 0: no deadline
		want     time.Duration
		tolerate time.Duration
	}{
		{"no deadline", 0, DefaultBudget, 0},
		{"30s function", 30 * time.Second, 25 * time.Second, 0},
		{"20s function", 20 * time.Second, 17 * time.Second, 0},
		{"3s function", 3 * time.Second, 2400 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tt.timeout))
				defer cancel()
			}
			if got := h.deadline(ctx, start).Sub(start); got != tt.want {
				t.Errorf("budget = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	in := `get https://b.s3.us-east-1.amazonaws.com/k.zip?X-Amz-Credential=AKIA&X-Amz-Signature=abc: 403 and s3://b/k (plain)`
	got := redact(in)
	if strings.Contains(got, "AKIA") || strings.Contains(got, "abc") || !strings.Contains(got, "https://b.s3.us-east-1.amazonaws.com/k.zip?REDACTED") || !strings.Contains(got, "s3://b/k (plain)") {
		t.Errorf("redact = %q", got)
	}
}

// TestPropertiesUnobtainable: a Lambda function target whose properties did not come is never a
// plain SUCCESS: fail-closed answers FAILED/InternalFailure, fail-open a warning and a SKIPPED
// annotation, and both say that the properties could not be obtained.
func TestPropertiesUnobtainable(t *testing.T) {
	models := map[string]string{
		"no targetModel":           ``,
		"null targetModel":         `null`,
		"empty targetModel":        `{}`,
		"empty properties":         `{"resourceProperties":{},"previousResourceProperties":null}`,
		"properties are \"\"":      `{"resourceProperties":""}`,
		"only previous properties": `{"resourceProperties":null,"previousResourceProperties":{"Runtime":"provided.al2023","Code":{"ZipFile":"x"}}}`,
	}
	for _, form := range forms {
		for name, model := range models {
			for _, mode := range []FailMode{FailClosed, FailOpen} {
				t.Run(filepath.Join(form, name, string(mode)), func(t *testing.T) {
					var ev map[string]any
					if err := json.Unmarshal(eventFrom(t, filepath.Join(form, "create.json"), "", nil), &ev); err != nil {
						t.Fatal(err)
					}
					rd := ev["requestData"].(map[string]any)
					delete(rd, "targetModel")
					if model != "" {
						rd["targetModel"] = json.RawMessage(model)
					}
					b, _ := json.Marshal(ev)
					h, _ := newTestHandler(t, Config{FailMode: mode}, Clients{})
					r := decodeResponse(t, must(h.Invoke(context.Background(), b)))
					if !strings.Contains(r.Message, "HelloFunction: Bootstrap Guard could not obtain the function's properties") {
						t.Errorf("message: %s", r.Message)
					}
					switch mode {
					case FailClosed:
						if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.InternalFailure {
							t.Errorf("got %s/%s, want FAILED/InternalFailure", r.HookStatus, r.ErrorCode)
						}
					case FailOpen:
						a, ok := annotation(r, PropertiesAnnotation)
						if r.HookStatus != hookapi.StatusSuccess || !strings.HasPrefix(r.Message, "Warning (fail-open)") || !ok || a.Status != hookapi.AnnotationSkipped {
							t.Errorf("got %s %q, annotations %+v", r.HookStatus, r.Message, r.Annotations)
						}
					}
				})
			}
		}
	}
}

// TestFunctionEnv: the function's Environment.Variables reach the engine.
func TestFunctionEnv(t *testing.T) {
	b := eventFrom(t, "target-resource/create.json", "", map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap",
		"Code":        map[string]any{"S3Bucket": "b", "S3Key": "k.zip"},
		"Environment": map[string]any{"Variables": map[string]any{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap-wrapper", "RETRIES": 3}}})
	req, err := hookapi.DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	props, err := req.RequestData.TargetModel.FunctionProperties()
	if err != nil {
		t.Fatal(err)
	}
	fn := function(&decision{req: req, props: props})
	if fn.Env["AWS_LAMBDA_EXEC_WRAPPER"] != "/opt/bootstrap-wrapper" || fn.Env["RETRIES"] != "3" || len(fn.Env) != 2 {
		t.Errorf("Env = %v", fn.Env)
	}
	if fn.Target != "HelloFunction" || fn.Runtime != "provided.al2023" || fn.Action != inspect.Create {
		t.Errorf("function = %+v", fn)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestBudgetCountsColdStart: CloudFormation's 30 seconds run from the invocation, so the first
// request of a freshly started process has its budget counted from the process start; later
// requests, processes initialised long before their first request, and handlers outside the
// deployed hook count from the request.
func TestBudgetCountsColdStart(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		processStart time.Time
		at           time.Duration // when the first request arrives, after t0
		want         []time.Duration
	}{
		{"cold start of 300 ms", t0, 300 * time.Millisecond, []time.Duration{0, 300 * time.Millisecond}},
		{"initialised 11 s ahead", t0, 11 * time.Second, []time.Duration{11 * time.Second, 11 * time.Second}},
		{"not the deployed hook", time.Time{}, 300 * time.Millisecond, []time.Duration{300 * time.Millisecond, 300 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newTestHandler(t, Config{}, Clients{})
			h.processStart = tt.processStart
			h.now = func() time.Time { return t0.Add(tt.at) }
			for i, want := range tt.want {
				if got := h.begin().Sub(t0); got != want {
					t.Errorf("request %d: budget starts at t0+%v, want t0+%v", i+1, got, want)
				}
			}
		})
	}
	// The deployed hook's handler carries the process start.
	h, err := NewFromEnv(context.Background(), func(k string) string {
		return map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if !h.processStart.Equal(processStarted) {
		t.Errorf("processStart = %v, want the package's start %v", h.processStart, processStarted)
	}
}

// TestExemptAdvice: a message that cannot decide offers the whole-function exemption tag only
// where the platform honours it; under rules-only or none it points at the platform team instead.
func TestExemptAdvice(t *testing.T) {
	for _, tc := range []struct {
		mode exemptions.Mode
		want string
	}{
		{"", "exempt the function with the tag bootstrap-guard:exempt=<reason>"},
		{exemptions.Any, "exempt the function with the tag bootstrap-guard:exempt=<reason>"},
		{exemptions.RulesOnly, "does not honour whole-function exemptions (BOOTSTRAP_GUARD_EXEMPTIONS=rules-only)"},
		{exemptions.None, "does not honour whole-function exemptions (BOOTSTRAP_GUARD_EXEMPTIONS=none)"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			h := &Handler{cfg: Config{Policy: engine.Policy{Exemptions: tc.mode}}}
			if got := h.exemptAdvice(); !strings.Contains(got, tc.want) {
				t.Errorf("exemptAdvice() = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}
