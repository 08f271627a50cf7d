package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// lifecycleFlags are check's flags for runtime lifecycles beyond the catalogue's dates.
type lifecycleFlags struct {
	strictUpdates bool
	set           bool // --strict-updates was given (else $BOOTSTRAP_GUARD_STRICT_UPDATES decides)
}

func (l *lifecycleFlags) register(fs *flag.FlagSet) {
	fs.Var((*strictFlag)(l), "strict-updates", "updating a function on a deprecated runtime is an error from the deprecation date, not a warning until Lambda blocks updates (default $"+guard.EnvStrictUpdates+", else false)")
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

// apply sets the engine's options: --strict-updates, else the hook's variable, so a CI check and
// the hook judge an update alike.
func (l *lifecycleFlags) apply(env Env, opts *inspect.Options) error {
	if l.set {
		opts.StrictUpdates = l.strictUpdates
		return nil
	}
	if v := strings.TrimSpace(env.Getenv(guard.EnvStrictUpdates)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: want true or false", guard.EnvStrictUpdates, v)
		}
		opts.StrictUpdates = b
	}
	return nil
}
