package cfn

import (
	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// lifecycleProperties reads the properties of the 2026 function features the engine judges:
// RuntimeConfig (AWS::Lambda::Function RuntimeConfig {RuntimeArn, RuntimeAlias}; SAM passes the
// same property through, and SAM Globals reach it by withGlobals) and whether DurableConfig is
// set. A RuntimeConfig member that depends on a value known only at deployment (a Ref or
// Fn::GetAtt of an AWS::Lambda::Runtime in the same stack) is a runtime-unresolved note, and the
// engine leaves RuntimeConfig's checks out.
func (r *reader) lifecycleProperties(f *Function, props *intrinsic.Node) {
	if d := props.Get("DurableConfig"); d != nil {
		if v, err := r.ev.Resolve(d); err == nil && v != nil {
			f.Durable = true
		}
	}
	n := props.Get("RuntimeConfig")
	if n == nil {
		return
	}
	v, err := r.ev.Resolve(n)
	if err != nil {
		r.unresolved(f, result.RuntimeUnresolved, "RuntimeConfig", err)
		f.RuntimeConfig = &cmr.Config{Unresolved: true}
		return
	}
	if v == nil {
		return
	}
	cfg := &cmr.Config{}
	if v.Kind != intrinsic.Map {
		f.RuntimeConfig = cfg // not an object: the engine reports its members missing
		return
	}
	for _, m := range []struct {
		name string
		to   *string
	}{{"RuntimeArn", &cfg.RuntimeArn}, {"RuntimeAlias", &cfg.RuntimeAlias}} {
		s, _, err := r.ev.String(v.Get(m.name))
		if err != nil {
			r.unresolved(f, result.RuntimeUnresolved, "RuntimeConfig."+m.name, err)
			cfg.Unresolved = true
			continue
		}
		*m.to = s
	}
	f.RuntimeConfig = cfg
}
