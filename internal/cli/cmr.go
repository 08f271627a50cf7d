package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// lifecycleFlags are check's flags for runtime lifecycles beyond the catalogue's dates.
type lifecycleFlags struct {
	strictUpdates bool
	set           bool // --strict-updates was given (else $BOOTSTRAP_GUARD_STRICT_UPDATES decides)
}

func (l *lifecycleFlags) register(fs *flag.FlagSet) {
	fs.Var((*strictFlag)(l), "strict-updates", "updating a function on a deprecated runtime is an error from the deprecation date, not a warning until Lambda blocks updates (default $"+engine.EnvStrictUpdates+", else false)")
}

// strictFlag is --strict-updates: a bool flag that records whether it was given.
type strictFlag lifecycleFlags

func (s *strictFlag) String() string   { return strconv.FormatBool(s != nil && s.strictUpdates) }
func (s *strictFlag) IsBoolFlag() bool { return true }
func (s *strictFlag) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	s.strictUpdates, s.set = b, true
	return nil
}

// apply sets the policy: --strict-updates, else the hook's variable, so a CI check and
// the hook judge an update alike; and a Lambda Core reader when AWS credentials are present, so
// a customer-managed runtime's lifecycle is read as the hook reads it (else a "not checked" note
// says why).
func (l *lifecycleFlags) apply(env Env, opts *engine.Policy) error {
	if l.set {
		opts.StrictUpdates = l.strictUpdates
	} else if v := strings.TrimSpace(env.Getenv(engine.EnvStrictUpdates)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: want true or false", engine.EnvStrictUpdates, v)
		}
		opts.StrictUpdates = b
	}
	if why := noCredentials(env.Getenv); why != "" {
		opts.CustomRuntimesOff = why
		return nil
	}
	opts.CustomRuntimes = &lazyCore{getenv: env.Getenv}
	return nil
}

// noCredentials says why no AWS credentials are at hand, or "" when some source of them is:
// the variables and files aws-sdk-go-v2's default chain reads first. The instance-metadata
// source is not probed (it costs seconds of timeouts on a machine that has none); on EC2 or in a
// container set AWS_PROFILE or the container variables, or the check says it did not read.
func noCredentials(getenv func(string) string) string {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if strings.TrimSpace(getenv(k)) != "" {
			return ""
		}
	}
	files := []string{getenv("AWS_SHARED_CREDENTIALS_FILE"), getenv("AWS_CONFIG_FILE")}
	if home := getenv("HOME"); home != "" {
		files = append(files, filepath.Join(home, ".aws", "credentials"), filepath.Join(home, ".aws", "config"))
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err == nil {
			return ""
		}
	}
	return "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or configure ~/.aws, to have it read"
}

// lazyCore loads the AWS configuration on the first read, so a check without a customer-managed
// runtime never touches it; reads are kept for the run (cmr.Cache).
type lazyCore struct {
	getenv func(string) string
	once   sync.Once
	r      cmr.Reader
	err    error
}

func (l *lazyCore) GetRuntimeAlias(ctx context.Context, runtimeArn, alias string) (*cmr.Alias, error) {
	l.once.Do(func() {
		cfg, err := s3read.LoadConfig(ctx)
		if err != nil {
			l.err = err
			return
		}
		l.r = cmr.NewCache(cmr.NewFromConfig(cfg, l.getenv), 0)
	})
	if l.err != nil {
		return nil, l.err
	}
	return l.r.GetRuntimeAlias(ctx, runtimeArn, alias)
}
