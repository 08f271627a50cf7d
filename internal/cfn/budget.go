package cfn

import (
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// The reader evaluates through these methods: an evaluation that runs out of its budget
// (intrinsic.IsBudget) is a template-too-costly error on the function being read, so that a
// template built to exhaust the evaluator fails the function instead of leaving a value quietly
// unresolved. Each value has a budget of its own (package intrinsic), so one costly value never
// touches another.

func (r *reader) String(n *intrinsic.Node) (string, bool, error) {
	s, ok, err := r.ev.String(n)
	r.costly(err)
	return s, ok, err
}

func (r *reader) Resolve(n *intrinsic.Node) (*intrinsic.Node, error) {
	v, err := r.ev.Resolve(n)
	r.costly(err)
	return v, err
}

func (r *reader) Eval(n *intrinsic.Node) (*intrinsic.Node, error) {
	v, err := r.ev.Eval(n)
	r.costly(err)
	return v, err
}

func (r *reader) Condition(name string) (bool, bool, error) {
	v, fromDefaults, err := r.ev.Condition(name)
	r.costly(err)
	return v, fromDefaults, err
}

// costly notes a budget error on the current function, once.
func (r *reader) costly(err error) {
	if r.fn == nil || !intrinsic.IsBudget(err) {
		return
	}
	for _, n := range r.fn.notes {
		if n.Rule == result.TemplateTooCostly {
			return
		}
	}
	r.fn.note(result.TemplateTooCostly,
		fmt.Sprintf("A value of this function is refused: %v. Each value may take %s; a template that needs more is built to exhaust its reader, so the function is not passed.", err, intrinsic.BudgetText),
		"Write the value without the nested or repeated intrinsics (aliases, Fn::Sub variable maps, Fn::Join over large lists, towers of conditions) that make it this costly.")
}
