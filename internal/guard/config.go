package guard

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
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
	EnvFailMode      = "BOOTSTRAP_GUARD_FAIL_MODE"
	EnvAllowRuntimes = "BOOTSTRAP_GUARD_ALLOW_RUNTIMES"
	EnvDenyRuntimes  = "BOOTSTRAP_GUARD_DENY_RUNTIMES"
	EnvWarnDays      = "BOOTSTRAP_GUARD_WARN_DAYS"
	EnvTopicARN      = "BOOTSTRAP_GUARD_TOPIC_ARN"
	EnvLogLevel      = "BOOTSTRAP_GUARD_LOG_LEVEL"
	EnvDate          = "BOOTSTRAP_GUARD_DATE"
	// EnvInsecureRegistries lists registries (host:port) read over plain HTTP with the ECR token,
	// standing in for ECR: for tests against a local registry, never set in an account.
	EnvInsecureRegistries = "BOOTSTRAP_GUARD_INSECURE_REGISTRIES"
)

// ExemptTag is the function tag that exempts it from checks; its value is the reason.
const ExemptTag = "bootstrap-guard:exempt"

// Defaults.
const (
	DefaultWarnDays = 180
	// DefaultBudget caps one decision well inside CloudFormation's 30 seconds per invocation.
	DefaultBudget = 25 * time.Second
	// DefaultMargin is kept back from the Lambda deadline for the answer and the notification.
	DefaultMargin = 3 * time.Second
	// NotifyTimeout bounds the SNS publish of a FAILED verdict.
	NotifyTimeout = 2 * time.Second
)

// Config is the hook's configuration, read once at start.
type Config struct {
	FailMode FailMode
	Allow    []string // runtimes accepted even when deprecated
	Deny     []string // runtimes rejected even when supported
	WarnDays int      // deprecation warning window in days; 0 disables the warning
	TopicARN string   // SNS topic for FAILED verdicts; empty: no notifications
	LogLevel slog.Level
	// Date is the evaluation date; zero means today.
	Date time.Time

	// Not read from the environment: set by tests and the CLI.

	// Budget caps one decision; zero means DefaultBudget. Margin is kept back from the Lambda
	// deadline; zero means DefaultMargin (less for very short timeouts).
	Budget, Margin time.Duration
	// LayerURLs says which layer locations may be fetched (tests allow http://127.0.0.1).
	LayerURLs s3read.URLPolicy
	// LogOutput receives the one JSON line per decision; nil means os.Stderr.
	LogOutput io.Writer

	// InsecureRegistries (EnvInsecureRegistries) are registries read over plain HTTP and given
	// the ECR token as if they were ECR.
	InsecureRegistries []string
}

// ConfigFromEnv reads the configuration from environment variables through getenv (os.Getenv in
// the hook). A bad value is an error naming the variable, so a misconfigured hook fails at init,
// visibly, instead of deciding with a setting nobody meant.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{FailMode: FailClosed, WarnDays: DefaultWarnDays, LogLevel: slog.LevelInfo}
	switch v := strings.ToLower(strings.TrimSpace(getenv(EnvFailMode))); v {
	case "":
	case string(FailClosed), string(FailOpen):
		cfg.FailMode = FailMode(v)
	default:
		return Config{}, fmt.Errorf("%s=%q: want closed or open", EnvFailMode, v)
	}
	var err error
	if cfg.Allow, err = runtimeList(EnvAllowRuntimes, getenv(EnvAllowRuntimes)); err != nil {
		return Config{}, err
	}
	if cfg.Deny, err = runtimeList(EnvDenyRuntimes, getenv(EnvDenyRuntimes)); err != nil {
		return Config{}, err
	}
	for _, a := range cfg.Allow {
		for _, d := range cfg.Deny {
			if a == d {
				return Config{}, fmt.Errorf("%s and %s both list %q", EnvAllowRuntimes, EnvDenyRuntimes, a)
			}
		}
	}
	if v := strings.TrimSpace(getenv(EnvWarnDays)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3650 {
			return Config{}, fmt.Errorf("%s=%q: want a whole number of days from 0 to 3650", EnvWarnDays, v)
		}
		cfg.WarnDays = n
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
	if v := strings.TrimSpace(getenv(EnvDate)); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return Config{}, fmt.Errorf("%s=%q: want YYYY-MM-DD", EnvDate, v)
		}
		cfg.Date = d
	}
	for _, r := range strings.Split(getenv(EnvInsecureRegistries), ",") {
		if r = strings.TrimSpace(r); r != "" {
			if strings.ContainsAny(r, "/ @") {
				return Config{}, fmt.Errorf("%s: %q: want a registry host[:port]", EnvInsecureRegistries, r)
			}
			cfg.InsecureRegistries = append(cfg.InsecureRegistries, r)
		}
	}
	return cfg, nil
}

// runtimeList parses a comma-separated list of runtime identifiers; a name that is not a Lambda
// runtime is an error, since a typo would silently allow or deny nothing.
func runtimeList(name, v string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, ok := runtimes.Default().Lookup(s); !ok {
			return nil, fmt.Errorf("%s: %q is not a Lambda runtime", name, s)
		}
		out = append(out, s)
	}
	return out, nil
}
