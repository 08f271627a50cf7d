package intrinsic

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error says why a value could not be evaluated before deployment. Unresolved errors name what the
// value waits for (a resource attribute, a parameter without a value); the others are malformed
// intrinsics that CloudFormation itself would reject.
type Error struct {
	Expr         string // the expression, in short form
	Reason       string
	Line, Column int
	// Malformed is set when the expression is not a valid use of the function.
	Malformed bool
	// Budget is set when the evaluation needed more work than a value may take (see maxSteps).
	Budget bool
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Expr, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Expr, e.Reason)
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Limits on evaluation, so that a hostile template cannot make folding expensive. The budget is
// per value: every evaluation a caller starts (a function's Runtime, one environment variable, a
// loop's collection) and every named condition gets maxSteps steps and maxBytes bytes of its own,
// so what one value costs never makes another unresolved. A literal costs nothing. Results are
// remembered per node (aliases share nodes) together with what they cost, so a value reached
// again is charged its full cost without being evaluated again: the verdict is the one a fresh
// evaluation would give, and the work is paid once.
const (
	maxSteps  = 200_000
	maxBytes  = 8 << 20 // bytes of strings built by one value
	maxString = 1 << 20 // one string
	maxList   = 10_000  // one list built from a string (Fn::Split, a list parameter)
	// maxRetained bounds the bytes of built strings kept for reuse; past it, results are
	// evaluated again when reached again (still within each value's budget).
	maxRetained = 64 << 20
	maxMemo     = 1 << 20 // remembered nodes
	// maxNest bounds how deeply evaluations nest (a Ref to a parameter whose Default is a Ref
	// to another, and so on), so that the Go stack stays small.
	maxNest = 1_000
)

// BudgetText says what a value may take, for messages.
var BudgetText = fmt.Sprintf("%d evaluation steps and %d MiB of built strings", maxSteps, maxBytes>>20)

// Pseudo parameters (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).
// They are known only at deployment unless the user gives them (--parameter AWS::Region=eu-west-1);
// AWS::Partition and AWS::URLSuffix follow from a given region.
const (
	NoValue = "AWS::NoValue"
)

var pseudo = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, NoValue: true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// Evaluator folds intrinsic functions over one template.
type Evaluator struct {
	params     map[string]*Node
	listParams map[string]bool // params whose value is a comma-separated list, split when read
	paramErr   map[string]string
	mappings   *Node
	conditions *Node
	resources  *Node
	conds      map[string]*condResult
	// defaults names the parameters whose value is their Default.
	defaults map[string]bool

	// The budget of the value being evaluated, and whether it read a parameter's Default.
	steps, bytes int
	readDefault  bool
	depth        int // nesting of public calls: the outermost one starts a budget
	nest         int // nesting of remembered evaluations

	// Remembered results of Resolve (per function node) and Eval (per map or list node).
	resolved, evaluated map[*Node]*memo
	retained            int
}

// condResult is a named condition's remembered value.
type condResult struct {
	value, busy, fromDefaults bool
	err                       error
}

// memo is what evaluating a node gave and cost. When done is false the evaluation ran out of
// budget with steps and bytes available: with no more than that it runs out again.
type memo struct {
	val          *Node
	err          error
	steps, bytes int
	done, busy   bool
	hasVal       bool // val and err are kept (false past maxRetained: evaluate again)
	readDefault  bool
}

// New prepares an evaluator for a template (its Parameters, Mappings, Conditions and Resources)
// with values given by the user, which win over parameter defaults. A parameter of an SSM type
// (AWS::SSM::Parameter::Value<...>) has as Default the name of an SSM parameter, not its value,
// so it stays unresolved unless given.
func New(template *Node, given map[string]string) *Evaluator {
	e := &Evaluator{params: map[string]*Node{}, listParams: map[string]bool{}, paramErr: map[string]string{},
		conds: map[string]*condResult{}, defaults: map[string]bool{}}
	e.mappings = template.Get("Mappings")
	e.conditions = template.Get("Conditions")
	e.resources = template.Get("Resources")
	ps := template.Get("Parameters")
	if ps != nil && ps.Kind == Map {
		for i, name := range ps.Keys {
			p := ps.Vals[i]
			typ := ""
			if t := p.Get("Type"); t != nil && t.Kind == Scalar {
				typ = t.Value
			}
			var val *Node
			if v, ok := given[name]; ok {
				val = &Node{Kind: Scalar, Value: v, Line: p.Line, Column: p.Column}
			} else if d := p.Get("Default"); d != nil && d.Kind != Null {
				if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value") {
					e.paramErr[name] = fmt.Sprintf("parameter %s is read from SSM parameter %s at deployment; give its value with --parameter %s=VALUE", name, d.Describe(), name)
					continue
				}
				val = d
				e.defaults[name] = true
			} else {
				e.paramErr[name] = fmt.Sprintf("parameter %s has no Default and no value was given (--parameter %s=VALUE or --parameters FILE)", name, name)
				continue
			}
			// A list parameter's value is one comma-separated string
			// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/parameters-section-structure.html);
			// it is split when read, within the reading value's budget.
			e.listParams[name] = val.Kind == Scalar && (typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<"))
			e.params[name] = val
		}
	}
	for name, v := range given {
		if pseudo[name] && name != NoValue {
			e.params[name] = Str(v)
		}
	}
	// The partition and URL suffix follow from the region.
	if r := e.params["AWS::Region"]; r != nil && r.Kind == Scalar {
		part, suffix := "aws", "amazonaws.com"
		switch {
		case strings.HasPrefix(r.Value, "cn-"):
			part, suffix = "aws-cn", "amazonaws.com.cn"
		case strings.HasPrefix(r.Value, "us-gov-"):
			part = "aws-us-gov"
		}
		if e.params["AWS::Partition"] == nil {
			e.params["AWS::Partition"] = Str(part)
		}
		if e.params["AWS::URLSuffix"] == nil {
			e.params["AWS::URLSuffix"] = Str(suffix)
		}
	}
	return e
}

func (e *Evaluator) errAt(n *Node, expr *Node, malformed bool, format string, args ...any) *Error {
	if expr == nil {
		expr = n
	}
	err := &Error{Expr: expr.Describe(), Reason: fmt.Sprintf(format, args...), Malformed: malformed}
	if n != nil {
		err.Line, err.Column = n.Line, n.Column
	}
	return err
}

// IsBudget reports whether err is an evaluation that ran out of its budget: the value is not
// unresolved but refused, and callers report it as an error.
func IsBudget(err error) bool {
	e, ok := AsError(err)
	return ok && e.Budget
}

func (e *Evaluator) exhausted(n *Node) error {
	err := e.errAt(n, nil, true, "evaluation needs more than %d steps, %d bytes or %d levels of nesting", maxSteps, maxBytes, maxNest)
	err.Budget = true
	return err
}

// charge spends steps and bytes of the current value's budget.
func (e *Evaluator) charge(n *Node, steps, bytes int) error {
	e.steps += steps
	e.bytes += bytes
	if e.steps > maxSteps || e.bytes > maxBytes {
		return e.exhausted(n)
	}
	return nil
}

func (e *Evaluator) step(n *Node) error { return e.charge(n, 1, 0) }

// begin starts a value's budget when called from outside the evaluator; end closes it.
func (e *Evaluator) begin() {
	if e.depth == 0 {
		e.steps, e.bytes, e.readDefault = 0, 0, false
	}
	e.depth++
}

func (e *Evaluator) end() { e.depth-- }

// remember evaluates n with f once, and charges its remembered cost when n is reached again.
func (e *Evaluator) remember(tp *map[*Node]*memo, n *Node, f func() (*Node, error)) (*Node, error) {
	if *tp == nil {
		*tp = map[*Node]*memo{}
	}
	table := *tp
	m := table[n]
	if m != nil {
		switch {
		case m.busy:
			return nil, e.errAt(n, n, true, "refers to itself")
		case m.done:
			if err := e.charge(n, m.steps, m.bytes); err != nil {
				return nil, err
			}
			if m.hasVal {
				e.readDefault = e.readDefault || m.readDefault
				return m.val, m.err
			}
			// Known to fit: evaluate again, within the steps just charged.
			e.steps -= m.steps
			e.bytes -= m.bytes
		case maxSteps-e.steps <= m.steps && maxBytes-e.bytes <= m.bytes:
			return nil, e.exhausted(n)
		}
	}
	if m == nil {
		m = &memo{}
		if len(table) < maxMemo {
			table[n] = m
		}
	}
	if e.nest >= maxNest {
		return nil, e.exhausted(n)
	}
	steps0, bytes0, outer := e.steps, e.bytes, e.readDefault
	availSteps, availBytes := maxSteps-e.steps, maxBytes-e.bytes
	e.readDefault = false
	m.busy = true
	e.nest++
	v, err := f()
	e.nest--
	m.busy = false
	read := e.readDefault
	e.readDefault = outer || read
	if IsBudget(err) {
		*m = memo{steps: availSteps, bytes: availBytes}
		return nil, err
	}
	*m = memo{done: true, steps: e.steps - steps0, bytes: e.bytes - bytes0, readDefault: read}
	if e.retained+m.bytes <= maxRetained {
		e.retained += m.bytes
		m.val, m.err, m.hasVal = v, err, true
	}
	return v, err
}

// Resolve evaluates n while it is an intrinsic function, leaving the contents of the map or list
// it yields as written: callers that read a map (Code, CodeUri) resolve each field they need, so
// one unresolved field does not hide the others. A nil result with a nil error means the value is
// AWS::NoValue, that is absent.
func (e *Evaluator) Resolve(n *Node) (*Node, error) {
	e.begin()
	defer e.end()
	return e.resolve(n)
}

func (e *Evaluator) resolve(n *Node) (*Node, error) {
	name, arg, ok := n.Function()
	if !ok {
		return n, nil
	}
	return e.remember(&e.resolved, n, func() (*Node, error) {
		if err := e.step(n); err != nil {
			return nil, err
		}
		v, err := e.call(n, name, arg)
		if err != nil || v == nil {
			return nil, err
		}
		return e.resolve(v)
	})
}

// Eval evaluates n and everything inside it. AWS::NoValue removes a map key or list item; a nil
// result with a nil error means n itself is AWS::NoValue.
func (e *Evaluator) Eval(n *Node) (*Node, error) {
	e.begin()
	defer e.end()
	return e.eval(n)
}

func (e *Evaluator) eval(n *Node) (*Node, error) {
	n, err := e.resolve(n)
	if err != nil || n == nil {
		return nil, err
	}
	if n.Kind != Map && n.Kind != List {
		return n, nil // a literal: no cost
	}
	return e.remember(&e.evaluated, n, func() (*Node, error) {
		// Every map and list visited is a step: aliases can make a small template a very
		// large tree.
		if err := e.step(n); err != nil {
			return nil, err
		}
		if n.Kind == Map {
			out := &Node{Kind: Map, Line: n.Line, Column: n.Column}
			for i, k := range n.Keys {
				v, err := e.eval(n.Vals[i])
				if err != nil {
					return nil, err
				}
				if v != nil {
					out.Keys = append(out.Keys, k)
					out.Vals = append(out.Vals, v)
				}
			}
			return out, nil
		}
		out := &Node{Kind: List, Line: n.Line, Column: n.Column}
		for _, it := range n.Items {
			v, err := e.eval(it)
			if err != nil {
				return nil, err
			}
			if v != nil {
				out.Items = append(out.Items, v)
			}
		}
		return out, nil
	})
}

// String evaluates n to a string. ok is false when n is absent (or AWS::NoValue).
func (e *Evaluator) String(n *Node) (s string, ok bool, err error) {
	e.begin()
	defer e.end()
	return e.string(n)
}

func (e *Evaluator) string(n *Node) (s string, ok bool, err error) {
	if n == nil {
		return "", false, nil
	}
	v, err := e.eval(n)
	if err != nil {
		return "", false, err
	}
	if v == nil || v.Kind == Null {
		return "", false, nil
	}
	if v.Kind != Scalar {
		return "", false, e.errAt(n, n, true, "is a %s where a string is expected", kindName(v.Kind))
	}
	return v.Value, true, nil
}

func kindName(k Kind) string {
	switch k {
	case Map:
		return "map"
	case List:
		return "list"
	case Null:
		return "null"
	}
	return "string"
}

// args checks that a function's argument is a list of n to m items.
func (e *Evaluator) args(call, arg *Node, name string, n, m int) ([]*Node, error) {
	if arg == nil || arg.Kind != List || len(arg.Items) < n || len(arg.Items) > m {
		want := fmt.Sprintf("%d", n)
		if m > n {
			want = fmt.Sprintf("%d to %d", n, m)
		}
		return nil, e.errAt(call, call, true, "%s takes a list of %s arguments", name, want)
	}
	return arg.Items, nil
}

// stringAndItem checks a two-item argument list whose first item is a string (Join's and Split's
// delimiter, Select's index) and returns that string and the second item.
func (e *Evaluator) stringAndItem(call, arg *Node, name string) (string, *Node, error) {
	items, err := e.args(call, arg, name, 2, 2)
	if err != nil {
		return "", nil, err
	}
	s, err := e.str(call, items[0])
	if err != nil {
		return "", nil, err
	}
	return s, items[1], nil
}

func (e *Evaluator) str(call, n *Node) (string, error) {
	s, ok, err := e.string(n)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", e.errAt(call, call, true, "an argument is empty")
	}
	return s, nil
}

func (e *Evaluator) list(call, n *Node) ([]*Node, error) {
	v, err := e.eval(n)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Kind != List {
		return nil, e.errAt(call, call, true, "expects a list")
	}
	return v.Items, nil
}

// tooLong refuses a string longer than maxString: no value a function deploys with is.
func (e *Evaluator) tooLong(call *Node) error {
	err := e.errAt(call, call, true, "builds a string longer than %d bytes", maxString)
	err.Budget = true
	return err
}

// built charges a string a function builds to the value's budget, and refuses one longer than
// maxString.
func (e *Evaluator) built(call *Node, n int) error {
	if n > maxString {
		return e.tooLong(call)
	}
	return e.charge(call, 0, n)
}

// call evaluates one function (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html).
func (e *Evaluator) call(call *Node, name string, arg *Node) (*Node, error) {
	switch name {
	case "Ref":
		if arg == nil || arg.Kind != Scalar {
			return nil, e.errAt(call, call, true, "Ref takes the name of a parameter or resource")
		}
		return e.ref(call, arg.Value)
	case "Fn::Sub":
		return e.sub(call, arg)
	case "Fn::Join":
		sep, second, err := e.stringAndItem(call, arg, name)
		if err != nil {
			return nil, err
		}
		parts, err := e.list(call, second)
		if err != nil {
			return nil, err
		}
		// Measure before building.
		strs := make([]string, len(parts))
		total := 0
		for i, p := range parts {
			s, err := e.str(call, p)
			if err != nil {
				return nil, err
			}
			strs[i] = s
			total += len(s)
			if i > 0 {
				total += len(sep)
			}
			if total > maxString {
				return nil, e.tooLong(call)
			}
		}
		if err := e.built(call, total); err != nil {
			return nil, err
		}
		return e.at(call, strings.Join(strs, sep)), nil
	case "Fn::Select":
		is, second, err := e.stringAndItem(call, arg, name)
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, e.errAt(call, call, true, "index %q is not a number", is)
		}
		list, err := e.list(call, second)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(list) {
			return nil, e.errAt(call, call, true, "index %d is outside a list of %d", i, len(list))
		}
		return list[i], nil
	case "Fn::Split":
		sep, second, err := e.stringAndItem(call, arg, name)
		if err != nil {
			return nil, err
		}
		s, err := e.str(call, second)
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, e.errAt(call, call, true, "the delimiter is empty")
		}
		return e.split(call, s, sep, false)
	case "Fn::FindInMap":
		return e.findInMap(call, arg)
	case "Fn::If":
		items, err := e.args(call, arg, name, 3, 3)
		if err != nil {
			return nil, err
		}
		if items[0].Kind != Scalar {
			return nil, e.errAt(call, call, true, "the first argument of Fn::If is a condition name")
		}
		c, err := e.condition(call, items[0].Value)
		if err != nil {
			return nil, err
		}
		if c {
			return items[1], nil
		}
		return items[2], nil
	case "Fn::Base64":
		s, err := e.str(call, arg)
		if err != nil {
			return nil, err
		}
		if err := e.built(call, base64.StdEncoding.EncodedLen(len(s))); err != nil {
			return nil, err
		}
		return e.at(call, base64.StdEncoding.EncodeToString([]byte(s))), nil
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		c, err := e.cond(call)
		if err != nil {
			return nil, err
		}
		return e.at(call, strconv.FormatBool(c)), nil
	case "Fn::GetAtt":
		return nil, e.errAt(call, call, false, "is an attribute of a resource, known only after deployment")
	case "Fn::ImportValue":
		return nil, e.errAt(call, call, false, "is exported by another stack, known only at deployment")
	case "Fn::GetAZs":
		return nil, e.errAt(call, call, false, "is the Availability Zones of the deployment region")
	case "Fn::Cidr":
		return nil, e.errAt(call, call, false, "is not evaluated here")
	case "Fn::Transform":
		return nil, e.errAt(call, call, false, "is the output of a macro, known only at deployment")
	}
	return nil, e.errAt(call, call, false, "%s is not evaluated here", name)
}

// split makes a list of the parts of s, counted before any is allocated and charged one step
// each. trim removes the spaces around each part (list parameters).
func (e *Evaluator) split(call *Node, s, sep string, trim bool) (*Node, error) {
	n := strings.Count(s, sep) + 1
	if n > maxList {
		err := e.errAt(call, call, true, "splits into more than %d items", maxList)
		err.Budget = true
		return nil, err
	}
	if err := e.charge(call, n, 0); err != nil {
		return nil, err
	}
	out := &Node{Kind: List, Line: call.Line, Column: call.Column, Items: make([]*Node, 0, n)}
	for p := range strings.SplitSeq(s, sep) {
		if trim {
			p = strings.TrimSpace(p)
		}
		out.Items = append(out.Items, e.at(call, p))
	}
	return out, nil
}

// at makes a scalar at the position of the expression that produced it.
func (e *Evaluator) at(call *Node, s string) *Node {
	return &Node{Kind: Scalar, Value: s, Line: call.Line, Column: call.Column}
}

func (e *Evaluator) ref(call *Node, name string) (*Node, error) {
	if name == NoValue {
		return nil, nil
	}
	if v, ok := e.params[name]; ok {
		if e.defaults[name] {
			e.readDefault = true
		}
		if e.listParams[name] {
			// Split on every read (charged each time), so that what a value costs does not
			// depend on which value read the parameter first.
			return e.split(v, v.Value, ",", true)
		}
		return v, nil
	}
	if msg, ok := e.paramErr[name]; ok {
		return nil, e.errAt(call, call, false, "%s", msg)
	}
	if pseudo[name] {
		return nil, e.errAt(call, call, false, "pseudo parameter %s is known only at deployment; give it with --parameter %s=VALUE", name, name)
	}
	if e.resources.Get(name) != nil {
		return nil, e.errAt(call, call, false, "refers to resource %s, whose value exists only after deployment", name)
	}
	return nil, e.errAt(call, call, true, "%s is neither a parameter nor a resource of the template", name)
}

// sub evaluates Fn::Sub: "${Name}" is a Ref (or an entry of the variable map), "${Res.Attr}" a
// GetAtt, "${!Text}" the literal "${Text}". Each variable is evaluated once per Fn::Sub, however
// often it is used.
func (e *Evaluator) sub(call, arg *Node) (*Node, error) {
	var tmpl *Node
	var vars *Node
	switch {
	case arg != nil && arg.Kind == Scalar:
		tmpl = arg
	case arg != nil && arg.Kind == List && len(arg.Items) == 2 && arg.Items[0].Kind == Scalar && (arg.Items[1].Kind == Map || arg.Items[1].Kind == Null):
		tmpl, vars = arg.Items[0], arg.Items[1]
	default:
		return nil, e.errAt(call, call, true, "Fn::Sub takes a string or [string, {variables}]")
	}
	s := tmpl.Value
	var b strings.Builder
	values := map[string]string{}
	write := func(t string) error {
		if b.Len()+len(t) > maxString {
			return e.tooLong(call)
		}
		b.WriteString(t)
		return nil
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			if err := write(s); err != nil {
				return nil, err
			}
			break
		}
		if err := write(s[:i]); err != nil {
			return nil, err
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			// No closing brace: CloudFormation leaves the text as is.
			if err := write("${" + s); err != nil {
				return nil, err
			}
			break
		}
		name := s[:j]
		s = s[j+1:]
		if strings.HasPrefix(name, "!") {
			if err := write("${" + name[1:] + "}"); err != nil {
				return nil, err
			}
			continue
		}
		name = strings.TrimSpace(name)
		val, seen := values[name]
		switch v := vars.Get(name); {
		case seen:
		case v != nil:
			str, err := e.str(call, v)
			if err != nil {
				return nil, err
			}
			val = str
		case strings.Contains(name, "."):
			return nil, e.errAt(call, call, false, "${%s} is an attribute of a resource, known only after deployment", name)
		default:
			v, err := e.ref(call, name)
			if err != nil {
				return nil, err
			}
			if v == nil || v.Kind != Scalar {
				return nil, e.errAt(call, call, true, "${%s} is not a string", name)
			}
			val = v.Value
		}
		values[name] = val
		if err := write(val); err != nil {
			return nil, err
		}
	}
	if err := e.built(call, b.Len()); err != nil {
		return nil, err
	}
	return e.at(call, b.String()), nil
}

func (e *Evaluator) findInMap(call, arg *Node) (*Node, error) {
	items, err := e.args(call, arg, "Fn::FindInMap", 3, 4)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 3)
	for i := range keys {
		if keys[i], err = e.str(call, items[i]); err != nil {
			return nil, err
		}
	}
	v := e.mappings.Get(keys[0]).Get(keys[1]).Get(keys[2])
	if v == nil {
		// AWS::LanguageExtensions adds a fourth argument, {DefaultValue: x}.
		if len(items) == 4 {
			if d := items[3].Get("DefaultValue"); d != nil {
				return d, nil
			}
		}
		return nil, e.errAt(call, call, true, "mapping %s has no entry %s/%s", keys[0], keys[1], keys[2])
	}
	return v, nil
}

// Condition evaluates a named condition of the Conditions section. fromDefaults reports whether
// the value depends on a parameter that took its Default (rather than a value the user gave): a
// deployment may well give another value.
func (e *Evaluator) Condition(name string) (value, fromDefaults bool, err error) {
	e.begin()
	defer e.end()
	v, err := e.condition(&Node{Kind: Map, Keys: []string{"Condition"}, Vals: []*Node{Str(name)}}, name)
	return v, e.readDefault, err
}

// condition evaluates a named condition of the Conditions section once, with a budget of its own;
// its value (or error) is remembered, so a tower of conditions that each name the one below twice
// costs one evaluation per condition.
func (e *Evaluator) condition(call *Node, name string) (bool, error) {
	if err := e.step(call); err != nil {
		return false, err
	}
	if c, ok := e.conds[name]; ok {
		if c.busy {
			return false, e.errAt(call, call, true, "condition %s depends on itself", name)
		}
		e.readDefault = e.readDefault || c.fromDefaults
		return c.value, c.err
	}
	def := e.conditions.Get(name)
	if def == nil {
		return false, e.errAt(call, call, true, "condition %s is not defined in Conditions", name)
	}
	c := &condResult{busy: true}
	e.conds[name] = c
	steps, bytes, read := e.steps, e.bytes, e.readDefault
	e.steps, e.bytes, e.readDefault = 0, 0, false
	c.value, c.err = e.cond(def)
	c.fromDefaults = e.readDefault
	c.busy = false
	e.steps, e.bytes, e.readDefault = steps, bytes, read || c.fromDefaults
	return c.value, c.err
}

// cond evaluates a condition function. And and Or decide as soon as one operand decides, even if
// another is unresolved.
func (e *Evaluator) cond(n *Node) (bool, error) {
	if err := e.step(n); err != nil {
		return false, err
	}
	name, arg, ok := n.Function()
	if !ok {
		return false, e.errAt(n, n, true, "is not a condition function")
	}
	switch name {
	case "Condition":
		if arg == nil || arg.Kind != Scalar {
			return false, e.errAt(n, n, true, "Condition takes a condition name")
		}
		return e.condition(n, arg.Value)
	case "Fn::Equals":
		items, err := e.args(n, arg, name, 2, 2)
		if err != nil {
			return false, err
		}
		a, err := e.eval(items[0])
		if err != nil {
			return false, err
		}
		b, err := e.eval(items[1])
		if err != nil {
			return false, err
		}
		return e.equal(n, a, b)
	case "Fn::Not":
		items, err := e.args(n, arg, name, 1, 1)
		if err != nil {
			return false, err
		}
		v, err := e.cond(items[0])
		return !v, err
	case "Fn::And", "Fn::Or":
		items, err := e.args(n, arg, name, 2, 10)
		if err != nil {
			return false, err
		}
		decisive := name == "Fn::Or" // Or is decided by a true operand, And by a false one
		var pending error
		for _, it := range items {
			v, err := e.cond(it)
			if err != nil {
				if ee, ok := AsError(err); ok && ee.Malformed && !ee.Budget {
					return false, err
				}
				pending = err
				continue
			}
			if v == decisive {
				return decisive, nil
			}
		}
		if pending != nil {
			return false, pending
		}
		return !decisive, nil
	}
	return false, e.errAt(n, n, true, "%s is not a condition function", name)
}

// equal compares two evaluated values for Fn::Equals, a step per node compared; nil is
// AWS::NoValue. Nothing is rendered: shared values compare at once.
func (e *Evaluator) equal(at, a, b *Node) (bool, error) {
	if a == b {
		return true, nil
	}
	if a == nil || b == nil || a.Kind != b.Kind {
		return false, nil
	}
	if err := e.step(at); err != nil {
		return false, err
	}
	switch a.Kind {
	case Scalar:
		return a.Value == b.Value, nil
	case List:
		if len(a.Items) != len(b.Items) {
			return false, nil
		}
		for i := range a.Items {
			if eq, err := e.equal(at, a.Items[i], b.Items[i]); err != nil || !eq {
				return false, err
			}
		}
	case Map:
		if len(a.Keys) != len(b.Keys) {
			return false, nil
		}
		for i := range a.Keys {
			if a.Keys[i] != b.Keys[i] {
				return false, nil
			}
			if eq, err := e.equal(at, a.Vals[i], b.Vals[i]); err != nil || !eq {
				return false, err
			}
		}
	}
	return true, nil
}
