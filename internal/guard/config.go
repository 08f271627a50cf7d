package guard

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes/remote"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// FailMode says what the hook answers when it cannot read a package.
type FailMode string

// Fail modes.
const (
	// FailClosed answers FAILED/InternalFailure: an unreadable package stops the stack.
	FailClosed FailMode = "closed"
	// FailOpen answers SUCCESS with a warning annotation.
	FailOpen FailMode = "open"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvFailMode = "BOOTSTRAP_GUARD_FAIL_MODE"
	EnvTopicARN = "BOOTSTRAP_GUARD_TOPIC_ARN"
	EnvLogLevel = "BOOTSTRAP_GUARD_LOG_LEVEL"
	// The policy's variables (engine.PolicyFromEnv reads them).
	EnvAllowRuntimes = engine.EnvAllowRuntimes
	EnvDenyRuntimes  = engine.EnvDenyRuntimes
	EnvWarnDays      = engine.EnvWarnDays
	EnvDate          = engine.EnvDate
	EnvExemptions    = engine.EnvExemptions
	EnvSkipRules     = engine.EnvSkipRules
	// EnvInsecureRegistries lists loopback registries (127.0.0.1:PORT) read over plain HTTP with
	// the ECR token, standing in for ECR. Honoured only by hooks built with the
	// bootstrapguard_testurls tag (the RIE tests); a release build refuses it at init.
	EnvInsecureRegistries = "BOOTSTRAP_GUARD_INSECURE_REGISTRIES"
	// EnvRuntimes names a runtime catalogue to load instead of the built-in one: ssm:NAME, an
	// SSM parameter ARN, or s3://BUCKET/KEY.
	EnvRuntimes = "BOOTSTRAP_GUARD_RUNTIMES"
	// EnvRuntimesTTL is how long a loaded catalogue is used before it is read again (a Go
	// duration such as 5m, or whole seconds).
	EnvRuntimesTTL = "BOOTSTRAP_GUARD_RUNTIMES_TTL"
)

// ExemptTag is the function tag that exempts it from checks (see package exemptions).
const ExemptTag = exemptions.Tag

// DefaultRuntimesTTL is how long a catalogue loaded from SSM or S3 is kept per execution
// environment: a new catalogue reaches every warm hook within five minutes, and a busy hook reads
// SSM about once per five minutes per environment, far below GetParameter's throughput limit.
const DefaultRuntimesTTL = 5 * time.Minute

// Defaults.
const (
	DefaultWarnDays = engine.DefaultWarnDays
	// DefaultBudget caps one decision well inside CloudFormation's 30 seconds per invocation
	// ("When Hooks invoke your Lambda it will wait up to 30 seconds": CloudFormation Hooks User
	// Guide, https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/
	// lambda-hooks-create-lambda-function.html). It counts from the invocation, so on a cold
	// start the time since the process started is part of it (see Handler.begin).
	DefaultBudget = 25 * time.Second
	// DefaultMargin is kept back from the Lambda deadline for the answer and the notification.
	DefaultMargin = 3 * time.Second
	// MaxPayload caps the target model fetched from requestData.payload. A resource's payload
	// holds its properties before and after the change, and one template holds at most 1 MB
	// (CloudFormation quotas: template body size in an S3 object); 4 MiB leaves room for both
	// and for expanded transforms, and still reads in well under a second.
	MaxPayload = 4 << 20
	// maxInitForBudget is the longest cold start counted against the first invocation's budget:
	// Lambda limits the Init phase to 10 seconds (https://docs.aws.amazon.com/lambda/latest/dg/
	// lambda-runtime-environment.html). A longer gap between process start and the first request
	// means the environment was initialised ahead of the invocation (provisioned concurrency,
	// proactive initialisation) and CloudFormation's clock was not running (inferred).
	maxInitForBudget = 10 * time.Second
	// NotifyTimeout bounds the SNS publish of a FAILED verdict.
	NotifyTimeout = 2 * time.Second
)

// Config is the hook's configuration, read once at start.
type Config struct {
	// Policy is what every front-end shares: date, warning window (0 days: no warning), allowed
	// and denied runtimes, exemption mode, rules turned off. Its catalogue is set by the hook.
	engine.Policy
	FailMode FailMode
	TopicARN string // SNS topic for FAILED verdicts; empty: no notifications
	LogLevel slog.Level
	// Region is the hook's own region (AWS_REGION, which Lambda sets), for the ARNs and
	// kms:ViaService values its messages spell out.
	Region string
	// Runtimes is where to load the runtime catalogue from; nil means the built-in one.
	Runtimes *remote.Location
	// RuntimesTTL is how long a loaded catalogue is kept; zero means DefaultRuntimesTTL.
	RuntimesTTL time.Duration
	// Lifecycle: strict updates and customer-managed runtime reads (cmr.go).
	Lifecycle LifecycleConfig

	// Not read from the environment: set by tests and the CLI.

	// Budget caps one decision; zero means DefaultBudget. Margin is kept back from the Lambda
	// deadline; zero means DefaultMargin (less for very short timeouts).
	Budget, Margin time.Duration
	// URLs says which presigned URLs may be fetched: layer locations and requestData.payload.
	// The zero value is HTTPS on AWS S3 hosts only; tests open it to http://127.0.0.1, and so does
	// the hook when built with the bootstrapguard_testurls tag (the RIE tests only).
	URLs s3read.URLPolicy
	// LogOutput receives the one JSON line per decision; nil means os.Stderr.
	LogOutput io.Writer

	// InsecureRegistries (EnvInsecureRegistries) are registries read over plain HTTP and given
	// the ECR token as if they were ECR.
	InsecureRegistries []string
}

// testLoopbackURLs opens the URL policy to http://127.0.0.1; only testurls.go, compiled with the
// bootstrapguard_testurls build tag, sets it.
var testLoopbackURLs bool

// ConfigFromEnv reads the configuration from environment variables through getenv (os.Getenv in
// the hook). A bad value is an error naming the variable, so a misconfigured hook fails at init,
// visibly, instead of deciding with a setting nobody meant.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	policy, err := engine.PolicyFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Policy: policy, FailMode: FailClosed, LogLevel: slog.LevelInfo}
	cfg.URLs.AllowLoopbackHTTP = testLoopbackURLs
	cfg.Region = strings.TrimSpace(getenv("AWS_REGION"))
	switch v := strings.ToLower(strings.TrimSpace(getenv(EnvFailMode))); v {
	case "":
	case string(FailClosed), string(FailOpen):
		cfg.FailMode = FailMode(v)
	default:
		return Config{}, fmt.Errorf("%s=%q: want closed or open", EnvFailMode, v)
	}
	if v := strings.TrimSpace(getenv(EnvTopicARN)); v != "" {
		if p := strings.Split(v, ":"); len(p) != 6 || p[0] != "arn" || p[2] != "sns" || p[5] == "" {
			return Config{}, fmt.Errorf("%s=%q: want an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", EnvTopicARN, v)
		}
		cfg.TopicARN = v
	}
	if v := strings.TrimSpace(getenv(EnvLogLevel)); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Config{}, fmt.Errorf("%s=%q: want debug, info, warn or error", EnvLogLevel, v)
		}
	}
	if v := strings.TrimSpace(getenv(EnvRuntimes)); v != "" {
		loc, err := remote.ParseLocation(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvRuntimes, err)
		}
		cfg.Runtimes = &loc
	}
	if v := strings.TrimSpace(getenv(EnvRuntimesTTL)); v != "" {
		d, err := time.ParseDuration(v)
		if n, nerr := strconv.Atoi(v); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
		if err != nil || d < time.Second || d > 24*time.Hour {
			return Config{}, fmt.Errorf("%s=%q: want a duration from 1s to 24h (e.g. 5m, or 300 seconds)", EnvRuntimesTTL, v)
		}
		cfg.RuntimesTTL = d
	}
	for _, r := range strings.Split(getenv(EnvInsecureRegistries), ",") {
		if r = strings.TrimSpace(r); r != "" {
			if !testLoopbackURLs {
				return Config{}, fmt.Errorf("%s is honoured only by test builds of the hook (bootstrapguard_testurls tag): unset it", EnvInsecureRegistries)
			}
			host, port, err := net.SplitHostPort(r)
			if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
				return Config{}, fmt.Errorf("%s: %q: want a loopback registry HOST:PORT", EnvInsecureRegistries, r)
			}
			cfg.InsecureRegistries = append(cfg.InsecureRegistries, r)
		}
	}
	return cfg, nil
}
