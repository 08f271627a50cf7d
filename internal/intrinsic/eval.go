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

// Limits on evaluation, so that a hostile template cannot make folding expensive: steps per
// Evaluator, the length of a string a function builds and the length of a list it builds.
const (
	maxSteps  = 200_000
	maxString = 1 << 20
	maxList   = 10_000
)

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
	paramErr   map[string]string
	mappings   *Node
	conditions *Node
	resources  *Node
	conds      map[string]int8 // 1 evaluating, 2 true, 3 false
	steps      int
	// defaults names the parameters whose value is their Default; trace, when set, records
	// which of them an evaluation read.
	defaults map[string]bool
	trace    map[string]bool
}

// New prepares an evaluator for a template (its Parameters, Mappings, Conditions and Resources)
// with values given by the user, which win over parameter defaults. A parameter of an SSM type
// (AWS::SSM::Parameter::Value<...>) has as Default the name of an SSM parameter, not its value,
// so it stays unresolved unless given.
func New(template *Node, given map[string]string) *Evaluator {
	e := &Evaluator{params: map[string]*Node{}, paramErr: map[string]string{}, conds: map[string]int8{}, defaults: map[string]bool{}}
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
			if val.Kind == Scalar && (typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")) {
				// A list parameter's value is one comma-separated string.
				list := &Node{Kind: List, Line: val.Line, Column: val.Column}
				for _, s := range strings.Split(val.Value, ",") {
					list.Items = append(list.Items, &Node{Kind: Scalar, Value: strings.TrimSpace(s), Line: val.Line, Column: val.Column})
				}
				val = list
			}
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

func (e *Evaluator) step(n *Node) error {
	e.steps++
	if e.steps > maxSteps {
		return e.errAt(n, nil, true, "evaluation needs more than %d steps", maxSteps)
	}
	return nil
}

// Resolve evaluates n while it is an intrinsic function, leaving the contents of the map or list
// it yields as written: callers that read a map (Code, CodeUri) resolve each field they need, so
// one unresolved field does not hide the others. A nil result with a nil error means the value is
// AWS::NoValue, that is absent.
func (e *Evaluator) Resolve(n *Node) (*Node, error) {
	for {
		name, arg, ok := n.Function()
		if !ok {
			return n, nil
		}
		if err := e.step(n); err != nil {
			return nil, err
		}
		v, err := e.call(n, name, arg)
		if err != nil || v == nil {
			return nil, err
		}
		n = v
	}
}

// Eval evaluates n and everything inside it. AWS::NoValue removes a map key or list item; a nil
// result with a nil error means n itself is AWS::NoValue.
func (e *Evaluator) Eval(n *Node) (*Node, error) {
	n, err := e.Resolve(n)
	if err != nil || n == nil {
		return nil, err
	}
	// Every node visited is a step: aliases can make a small template a very large tree.
	if err := e.step(n); err != nil {
		return nil, err
	}
	switch n.Kind {
	case Map:
		out := &Node{Kind: Map, Line: n.Line, Column: n.Column}
		for i, k := range n.Keys {
			v, err := e.Eval(n.Vals[i])
			if err != nil {
				return nil, err
			}
			if v != nil {
				out.Keys = append(out.Keys, k)
				out.Vals = append(out.Vals, v)
			}
		}
		return out, nil
	case List:
		out := &Node{Kind: List, Line: n.Line, Column: n.Column}
		for _, it := range n.Items {
			v, err := e.Eval(it)
			if err != nil {
				return nil, err
			}
			if v != nil {
				out.Items = append(out.Items, v)
			}
		}
		return out, nil
	}
	return n, nil
}

// String evaluates n to a string. ok is false when n is absent (or AWS::NoValue).
func (e *Evaluator) String(n *Node) (s string, ok bool, err error) {
	if n == nil {
		return "", false, nil
	}
	v, err := e.Eval(n)
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
	s, ok, err := e.String(n)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", e.errAt(call, call, true, "an argument is empty")
	}
	return s, nil
}

func (e *Evaluator) list(call, n *Node) ([]*Node, error) {
	v, err := e.Eval(n)
	if err != nil {
		return nil, err
	}
	if v == nil || v.Kind != List {
		return nil, e.errAt(call, call, true, "expects a list")
	}
	return v.Items, nil
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
		var b strings.Builder
		for i, p := range parts {
			s, err := e.str(call, p)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(s)
			if b.Len() > maxString {
				return nil, e.errAt(call, call, true, "builds a string longer than %d bytes", maxString)
			}
		}
		return e.at(call, b.String()), nil
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
		if strings.Count(s, sep) >= maxList {
			return nil, e.errAt(call, call, true, "splits into more than %d items", maxList)
		}
		out := &Node{Kind: List, Line: call.Line, Column: call.Column}
		for _, p := range strings.Split(s, sep) {
			out.Items = append(out.Items, e.at(call, p))
		}
		return out, nil
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
			return e.Resolve(items[1])
		}
		return e.Resolve(items[2])
	case "Fn::Base64":
		s, err := e.str(call, arg)
		if err != nil {
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

// at makes a scalar at the position of the expression that produced it.
func (e *Evaluator) at(call *Node, s string) *Node {
	return &Node{Kind: Scalar, Value: s, Line: call.Line, Column: call.Column}
}

func (e *Evaluator) ref(call *Node, name string) (*Node, error) {
	if name == NoValue {
		return nil, nil
	}
	if v, ok := e.params[name]; ok {
		if e.trace != nil && e.defaults[name] {
			e.trace[name] = true
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
// GetAtt, "${!Text}" the literal "${Text}".
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
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			b.WriteString("${" + s) // no closing brace: CloudFormation leaves the text as is
			break
		}
		name := s[:j]
		s = s[j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		name = strings.TrimSpace(name)
		var val string
		if v := vars.Get(name); v != nil {
			str, err := e.str(call, v)
			if err != nil {
				return nil, err
			}
			val = str
		} else if strings.Contains(name, ".") {
			return nil, e.errAt(call, call, false, "${%s} is an attribute of a resource, known only after deployment", name)
		} else {
			v, err := e.ref(call, name)
			if err != nil {
				return nil, err
			}
			if v == nil || v.Kind != Scalar {
				return nil, e.errAt(call, call, true, "${%s} is not a string", name)
			}
			val = v.Value
		}
		b.WriteString(val)
		if b.Len() > maxString {
			return nil, e.errAt(call, call, true, "builds a string longer than %d bytes", maxString)
		}
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
				return e.Resolve(d)
			}
		}
		return nil, e.errAt(call, call, true, "mapping %s has no entry %s/%s", keys[0], keys[1], keys[2])
	}
	return e.Resolve(v)
}

// Condition evaluates a named condition of the Conditions section. fromDefaults reports whether
// the value depends on a parameter that took its Default (rather than a value the user gave): a
// deployment may well give another value.
func (e *Evaluator) Condition(name string) (value, fromDefaults bool, err error) {
	e.conds = map[string]int8{} // evaluate afresh, so every parameter read is seen
	e.trace = map[string]bool{}
	defer func() { e.trace = nil }()
	v, err := e.condition(&Node{Kind: Map, Keys: []string{"Condition"}, Vals: []*Node{Str(name)}}, name)
	return v, len(e.trace) > 0, err
}

// condition evaluates a named condition of the Conditions section.
func (e *Evaluator) condition(call *Node, name string) (bool, error) {
	switch e.conds[name] {
	case 1:
		return false, e.errAt(call, call, true, "condition %s depends on itself", name)
	case 2:
		return true, nil
	case 3:
		return false, nil
	}
	def := e.conditions.Get(name)
	if def == nil {
		return false, e.errAt(call, call, true, "condition %s is not defined in Conditions", name)
	}
	e.conds[name] = 1
	v, err := e.cond(def)
	if err != nil {
		delete(e.conds, name)
		return false, err
	}
	e.conds[name] = 3
	if v {
		e.conds[name] = 2
	}
	return v, nil
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
		a, err := e.Eval(items[0])
		if err != nil {
			return false, err
		}
		b, err := e.Eval(items[1])
		if err != nil {
			return false, err
		}
		return flat(a) == flat(b), nil
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
				if ee, ok := AsError(err); ok && ee.Malformed {
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

// flat renders an evaluated value exactly, for Fn::Equals.
func flat(n *Node) string {
	if n == nil {
		return "\x00"
	}
	switch n.Kind {
	case Scalar:
		return "s" + n.Value
	case List:
		var b strings.Builder
		b.WriteString("[")
		for _, it := range n.Items {
			b.WriteString(strconv.Quote(flat(it)))
		}
		return b.String()
	case Map:
		var b strings.Builder
		b.WriteString("{")
		for i, k := range n.Keys {
			b.WriteString(strconv.Quote(k) + strconv.Quote(flat(n.Vals[i])))
		}
		return b.String()
	}
	return "null"
}
