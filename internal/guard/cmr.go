package guard

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// EnvStrictUpdates makes updating a function on a deprecated runtime an error from the
// deprecation date (by default a warning until Lambda's update-block date): true or false.
const EnvStrictUpdates = "BOOTSTRAP_GUARD_STRICT_UPDATES"

// LifecycleConfig is how the hook judges runtime lifecycles beyond the catalogue's dates.
type LifecycleConfig struct {
	// StrictUpdates (EnvStrictUpdates) makes an update on a deprecated runtime an error.
	StrictUpdates bool
	// CustomRuntimeTTL is how long a runtime alias read is kept; zero means cmr.DefaultTTL.
	CustomRuntimeTTL time.Duration
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

// lifecycleOptions applies the LifecycleConfig to the engine's options, and reads customer-managed
// runtimes' aliases through clients.LambdaCore, kept per execution environment (cmr.Cache). A
// read that fails (denied, timed out) is custom-runtime-unchecked with the fail mode's weight:
// an error when the hook runs fail-closed, a warning when fail-open; its message says why.
func lifecycleOptions(opts *inspect.Options, cfg Config, clients Clients) {
	opts.StrictUpdates = cfg.Lifecycle.StrictUpdates
	if clients.LambdaCore == nil {
		opts.CustomRuntimesOff = "the hook has no Lambda Core client"
	} else {
		opts.CustomRuntimes = cmr.NewCache(clients.LambdaCore, cfg.Lifecycle.CustomRuntimeTTL)
	}
	opts.CustomRuntimeFailure = result.Warning
	if cfg.FailMode != FailOpen {
		opts.CustomRuntimeFailure = result.Error
	}
}

// customRuntimeFunction adds the function's RuntimeConfig and DurableConfig to what the engine
// is told.
func customRuntimeFunction(fn *inspect.Function, p *hookapi.FunctionProperties) {
	if rc := p.RuntimeConfig; rc != nil {
		fn.RuntimeConfig = &cmr.Config{RuntimeArn: string(rc.RuntimeArn), RuntimeAlias: string(rc.RuntimeAlias)}
	}
	if d := bytes.TrimSpace(p.DurableConfig); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		fn.Durable = true
	}
}

// customRuntimeImage adds custom-runtime-image to an image function's result: the image engine
// (internal/image) does not know RuntimeConfig.
func customRuntimeImage(res *result.Result, fn inspect.Function) {
	if f, ok := inspect.CustomRuntimeImageFinding(fn); ok {
		res.Findings = append(res.Findings, f)
		res.Evaluated = append(res.Evaluated, result.CustomRuntimeImage)
		res.Finish()
	}
}
