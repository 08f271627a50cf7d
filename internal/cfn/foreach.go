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
	if x.dropped > 0 {
		x.errs = append(x.errs, fmt.Errorf("%d more Fn::ForEach errors", x.dropped))
	}
	return x.errs
}

type expander struct {
	ev      *intrinsic.Evaluator
	count   int // resources generated
	copied  int // nodes copied
	bytes   int // bytes of substituted strings
	work    int // loop bodies entered
	errs    []error
	dropped int  // errors past maxLoopErrors
	stopped bool // a bound was reached: no loop generates anything more
}

// More bounds on expansion: loop bodies entered (a malformed inner loop generates nothing but
// is still entered once per outer item), bytes of strings built by substitution, and errors
// kept.
const (
	maxLoopWork   = 100_000
	maxLoopBytes  = 64 << 20
	maxLoopErrors = 20
)

func (x *expander) fail(err error) {
	if len(x.errs) < maxLoopErrors {
		x.errs = append(x.errs, err)
	} else {
		x.dropped++
	}
}

func (x *expander) stop(err error) {
	if !x.stopped {
		x.fail(err)
	}
	x.stopped = true
}

// expandInto copies the entries of m into out, expanding loops with the bindings so far. Entries
// outside any loop are always kept: a bound reached by a loop drops only what loops generate, never
// a resource written as it is.
func (x *expander) expandInto(out, m *intrinsic.Node, binds map[string]string, depth int) {
	for i, k := range m.Keys {
		v := m.Vals[i]
		line, col := m.KeyPos(k)
		if !strings.HasPrefix(k, forEachKey) {
			key := k
			nv := v
			if len(binds) > 0 {
				if x.stopped {
					return
				}
				if x.count >= maxExpanded {
					x.stop(fmt.Errorf("Fn::ForEach generates more than %d resources; the rest are not read", maxExpanded))
					return
				}
				x.count++
				key = x.substitute(k, binds)
				nv = x.copy(v, binds, 0)
				if nv == nil || x.stopped {
					x.stopped = true
					return
				}
			}
			out.Keys = append(out.Keys, key)
			out.Vals = append(out.Vals, nv)
			out.KeyLines = append(out.KeyLines, line)
			out.KeyColumns = append(out.KeyColumns, col)
			continue
		}
		if x.stopped {
			continue
		}
		if x.work++; x.work > maxLoopWork {
			x.stop(fmt.Errorf("Fn::ForEach loops are entered more than %d times; the rest are not read", maxLoopWork))
			continue
		}
		if depth > 4 {
			x.fail(fmt.Errorf("line %d: %s: loops nested more than 5 deep", line, k))
			continue
		}
		if v == nil || v.Kind != intrinsic.List || len(v.Items) != 3 || v.Items[0].Kind != intrinsic.Scalar || v.Items[2].Kind != intrinsic.Map {
			x.fail(fmt.Errorf("line %d: %s is not [Identifier, Collection, {OutputKey: OutputValue}]", line, k))
			continue
		}
		id := v.Items[0].Value
		cn := x.copy(v.Items[1], binds, 0)
		if cn == nil {
			x.stopped = true
			continue
		}
		coll, err := x.ev.Eval(cn)
		if err != nil || coll == nil || coll.Kind != intrinsic.List {
			if err == nil {
				err = fmt.Errorf("line %d: %s: the collection is not a list", line, k)
			}
			x.fail(fmt.Errorf("%s: %w", k, err))
			continue
		}
		for _, it := range coll.Items {
			if x.stopped {
				break
			}
			if it.Kind != intrinsic.Scalar {
				x.fail(fmt.Errorf("line %d: %s: a collection item is not a string", line, k))
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

// copy duplicates n with the loop bindings applied; nil when a bound is reached.
func (x *expander) copy(n *intrinsic.Node, binds map[string]string, depth int) *intrinsic.Node {
	if n == nil {
		return nil
	}
	if len(binds) == 0 {
		return n // outside any loop, nothing changes: share the node
	}
	x.copied++
	if x.copied > maxNodes || depth > maxDepth {
		x.stop(fmt.Errorf("Fn::ForEach expands to more than %d values", maxNodes))
		return nil
	}
	c := &intrinsic.Node{Kind: n.Kind, Line: n.Line, Column: n.Column}
	switch n.Kind {
	case intrinsic.Scalar:
		c.Value = x.substitute(n.Value, binds)
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
			c.Keys = append(c.Keys, x.substitute(k, binds))
			c.Vals = append(c.Vals, cv)
			l, col := n.KeyPos(k)
			c.KeyLines = append(c.KeyLines, l)
			c.KeyColumns = append(c.KeyColumns, col)
		}
	}
	if x.stopped {
		return nil
	}
	return c
}

// substitute applies the bindings to s (${Identifier} and &{Identifier}, the value with its
// non-alphanumerics removed), measuring each replacement before making it: the strings of one
// expansion add up to at most maxLoopBytes.
func (x *expander) substitute(s string, binds map[string]string) string {
	if !strings.ContainsAny(s, "$&") {
		return s
	}
	for id, v := range binds {
		for _, form := range [2]string{"${" + id + "}", "&{" + id + "}"} {
			n := strings.Count(s, form)
			if n == 0 {
				continue
			}
			if x.bytes += len(s) + n*max(len(v)-len(form), 0); x.bytes > maxLoopBytes {
				x.stop(fmt.Errorf("Fn::ForEach substitutions build more than %d bytes", maxLoopBytes))
				return ""
			}
			val := v
			if form[0] == '&' {
				val = alphanumeric(v)
			}
			s = strings.ReplaceAll(s, form, val)
		}
	}
	return s
}

// alphanumeric keeps the letters and digits of s.
func alphanumeric(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
