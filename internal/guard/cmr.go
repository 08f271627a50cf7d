package guard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// EnvStrictUpdates makes updating a function on a deprecated runtime an error from the
// deprecation date (by default a warning until Lambda's update-block date): true or false.
const EnvStrictUpdates = "BOOTSTRAP_GUARD_STRICT_UPDATES"

// LifecycleConfig is how the hook judges runtime lifecycles beyond the catalogue's dates.
type LifecycleConfig struct {
	// StrictUpdates (EnvStrictUpdates) makes an update on a deprecated runtime an error.
	StrictUpdates bool
}

// lifecycleFromEnv reads the LifecycleConfig variables.
func lifecycleFromEnv(getenv func(string) string) (LifecycleConfig, error) {
	var lc LifecycleConfig
	if v := strings.TrimSpace(getenv(EnvStrictUpdates)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return lc, fmt.Errorf("%s=%q: want true or false", EnvStrictUpdates, v)
		}
		lc.StrictUpdates = b
	}
	return lc, nil
}

// lifecycleOptions applies the LifecycleConfig to the engine's options.
func lifecycleOptions(opts *inspect.Options, cfg Config) {
	opts.StrictUpdates = cfg.Lifecycle.StrictUpdates
}
