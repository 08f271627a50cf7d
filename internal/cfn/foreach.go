package cfn

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// Bounds on Fn::ForEach expansion: CloudFormation allows 500 resources per stack, and copies of
// resource bodies share the parser's node budget.
const (
	maxExpanded = 2000
	forEachKey  = "Fn::ForEach::"
)

// expandForEach replaces each Fn::ForEach::Name entry of Resources with the resources it
// generates (AWS::LanguageExtensions,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html):
// [Identifier, Collection, {OutputKey: OutputValue}], where ${Identifier} and &{Identifier} (the
// value with non-alphanumerics removed) in the output key and in the strings of the output value,
// and {Ref: Identifier}, take each value of the collection in turn. Replacing in every string,
// not only in Fn::Sub, is inferred from the examples (CodeUri: src/${Name}/). A loop that cannot
// be expanded (its collection unresolved, its syntax wrong) generates nothing; the evaluator's
// error is returned for the caller to report.
func expandForEach(t *intrinsic.Node, ev *intrinsic.Evaluator) []error {
	res := t.Get("Resources")
	if res == nil || res.Kind != intrinsic.Map {
		return nil
	}
	has := false
	for _, k := range res.Keys {
		if strings.HasPrefix(k, forEachKey) {
			has = true
		}
	}
	if !has {
		return nil
	}
	x := &expander{ev: ev}
	out := &intrinsic.Node{Kind: intrinsic.Map, Line: res.Line, Column: res.Column}
	x.expandInto(out, res, nil, 0)
	*res = *out
	return x.errs
}

type expander struct {
	ev      *intrinsic.Evaluator
	count   int
	copied  int
	errs    []error
	stopped bool // a bound was reached: nothing more is generated
}

// expandInto copies the entries of m into out, expanding loops with the bindings so far.
func (x *expander) expandInto(out, m *intrinsic.Node, binds map[string]string, depth int) {
	for i, k := range m.Keys {
		if x.stopped {
			return
		}
		v := m.Vals[i]
		line, col := m.KeyPos(k)
		if !strings.HasPrefix(k, forEachKey) {
			if x.count >= maxExpanded {
				x.errs = append(x.errs, fmt.Errorf("Fn::ForEach generates more than %d resources; the rest are not read", maxExpanded))
				x.stopped = true
				return
			}
			x.count++
			key := substitute(k, binds)
			nv := x.copy(v, binds, 0)
			if nv == nil {
				x.stopped = true
				return
			}
			out.Keys = append(out.Keys, key)
			out.Vals = append(out.Vals, nv)
			out.KeyLines = append(out.KeyLines, line)
			out.KeyColumns = append(out.KeyColumns, col)
			continue
		}
		if depth > 4 {
			x.errs = append(x.errs, fmt.Errorf("line %d: %s: loops nested more than 5 deep", line, k))
			continue
		}
		if v == nil || v.Kind != intrinsic.List || len(v.Items) != 3 || v.Items[0].Kind != intrinsic.Scalar || v.Items[2].Kind != intrinsic.Map {
			x.errs = append(x.errs, fmt.Errorf("line %d: %s is not [Identifier, Collection, {OutputKey: OutputValue}]", line, k))
			continue
		}
		id := v.Items[0].Value
		coll, err := x.ev.Eval(x.copy(v.Items[1], binds, 0))
		if err != nil || coll == nil || coll.Kind != intrinsic.List {
			if err == nil {
				err = fmt.Errorf("line %d: %s: the collection is not a list", line, k)
			}
			x.errs = append(x.errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		for _, it := range coll.Items {
			if it.Kind != intrinsic.Scalar {
				x.errs = append(x.errs, fmt.Errorf("line %d: %s: a collection item is not a string", line, k))
				break
			}
			nb := make(map[string]string, len(binds)+1)
			for bk, bv := range binds {
				nb[bk] = bv
			}
			nb[id] = it.Value
			x.expandInto(out, v.Items[2], nb, depth+1)
		}
	}
}

// copy duplicates n with the loop bindings applied; nil when the node budget is spent.
func (x *expander) copy(n *intrinsic.Node, binds map[string]string, depth int) *intrinsic.Node {
	if n == nil {
		return nil
	}
	if len(binds) == 0 {
		return n // outside any loop, nothing changes: share the node
	}
	x.copied++
	if x.copied > maxNodes || depth > maxDepth {
		if x.copied == maxNodes+1 || depth > maxDepth {
			x.errs = append(x.errs, fmt.Errorf("Fn::ForEach expands to more than %d values", maxNodes))
		}
		return nil
	}
	c := &intrinsic.Node{Kind: n.Kind, Line: n.Line, Column: n.Column}
	switch n.Kind {
	case intrinsic.Scalar:
		c.Value = substitute(n.Value, binds)
	case intrinsic.List:
		for _, it := range n.Items {
			ci := x.copy(it, binds, depth+1)
			if ci == nil {
				return nil
			}
			c.Items = append(c.Items, ci)
		}
	case intrinsic.Map:
		if name, arg, ok := n.Function(); ok && name == "Ref" && arg.Kind == intrinsic.Scalar {
			if v, ok := binds[arg.Value]; ok {
				return &intrinsic.Node{Kind: intrinsic.Scalar, Value: v, Line: n.Line, Column: n.Column}
			}
		}
		for i, k := range n.Keys {
			cv := x.copy(n.Vals[i], binds, depth+1)
			if cv == nil {
				return nil
			}
			c.Keys = append(c.Keys, substitute(k, binds))
			c.Vals = append(c.Vals, cv)
			l, col := n.KeyPos(k)
			c.KeyLines = append(c.KeyLines, l)
			c.KeyColumns = append(c.KeyColumns, col)
		}
	}
	return c
}

// substitute replaces ${Id} with the value and &{Id} with its alphanumeric characters only.
func substitute(s string, binds map[string]string) string {
	if !strings.ContainsAny(s, "$&") {
		return s
	}
	for id, v := range binds {
		s = strings.ReplaceAll(s, "${"+id+"}", v)
		s = strings.ReplaceAll(s, "&{"+id+"}", strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, v))
	}
	return s
}
