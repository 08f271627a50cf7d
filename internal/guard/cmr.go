package guard

import (
	"bytes"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// EnvStrictUpdates makes updating a function on a deprecated runtime an error from the
// deprecation date (engine.PolicyFromEnv reads it into Policy.StrictUpdates).
const EnvStrictUpdates = engine.EnvStrictUpdates

// LifecycleConfig is how the hook reads runtime lifecycles beyond the catalogue's dates.
type LifecycleConfig struct {
	// CustomRuntimeTTL is how long a runtime alias read is kept; zero means cmr.DefaultTTL.
	CustomRuntimeTTL time.Duration
}

// lifecyclePolicy gives the policy the hook's runtime-lifecycle lookup: customer-managed
// runtimes' aliases read through clients.LambdaCore, kept per execution environment
// (cmr.Cache). A read that fails (denied, timed out) is custom-runtime-unchecked with the fail
// mode's weight: an error when the hook runs fail-closed, a warning when fail-open; its message
// says why.
func lifecyclePolicy(p *engine.Policy, cfg Config, clients Clients) {
	if clients.LambdaCore == nil {
		p.CustomRuntimesOff = "the hook has no Lambda Core client"
	} else {
		p.CustomRuntimes = cmr.NewCache(clients.LambdaCore, cfg.Lifecycle.CustomRuntimeTTL)
	}
	p.CustomRuntimeFailure = result.Warning
	if cfg.FailMode != FailOpen {
		p.CustomRuntimeFailure = result.Error
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
