package cfnspec

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// Deployed returns the resources a template deploys with the given parameter (and pseudo
// parameter) values, the defaults for the others: each resource whose condition holds, by
// logical ID, as {"Type": ..., "Properties": ...} with everything that can be evaluated before
// deployment evaluated (parameters, conditions, Fn::If, Fn::Sub, Fn::Join, ...) and references to
// resources left as written. Scalars come out as strings, as CloudFormation passes them. It lets
// two templates that reach the same resources in different ways (a CDK app's, and a plain template
// with parameters) be compared.
func Deployed(template []byte, given map[string]string) (map[string]any, error) {
	var raw map[string]any
	if err := json.Unmarshal(template, &raw); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	root := toNode(raw, 0)
	e := intrinsic.New(root, given)
	out := map[string]any{}
	resources, _ := raw["Resources"].(map[string]any)
	for id, r := range resources {
		res, _ := r.(map[string]any)
		if c, ok := res["Condition"].(string); ok {
			v, _, err := e.Condition(c)
			if err != nil {
				return nil, fmt.Errorf("%s: condition %s: %w", id, c, err)
			}
			if !v {
				continue
			}
		}
		props, _ := res["Properties"].(map[string]any)
		f, _, err := fold(e, toNode(props, 0), 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		out[id] = map[string]any{"Type": res["Type"], "Properties": fromNode(f)}
	}
	return out, nil
}

func toNode(v any, depth int) *intrinsic.Node {
	if depth > maxDepth {
		return &intrinsic.Node{Kind: intrinsic.Null}
	}
	switch v := v.(type) {
	case string:
		return intrinsic.Str(v)
	case float64:
		b, _ := json.Marshal(v)
		return intrinsic.Str(string(b))
	case bool:
		return intrinsic.Str(fmt.Sprint(v))
	case []any:
		n := &intrinsic.Node{Kind: intrinsic.List}
		for _, it := range v {
			n.Items = append(n.Items, toNode(it, depth+1))
		}
		return n
	case map[string]any:
		n := &intrinsic.Node{Kind: intrinsic.Map}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Keys = append(n.Keys, k)
			n.Vals = append(n.Vals, toNode(v[k], depth+1))
		}
		return n
	}
	return &intrinsic.Node{Kind: intrinsic.Null}
}

func fromNode(n *intrinsic.Node) any {
	switch n.Kind {
	case intrinsic.Scalar:
		return n.Value
	case intrinsic.List:
		out := []any{}
		for _, it := range n.Items {
			out = append(out, fromNode(it))
		}
		return out
	case intrinsic.Map:
		out := map[string]any{}
		for i, k := range n.Keys {
			out[k] = fromNode(n.Vals[i])
		}
		return out
	}
	return nil
}

// fold evaluates n where it can; present is false for AWS::NoValue.
func fold(e *intrinsic.Evaluator, n *intrinsic.Node, depth int) (out *intrinsic.Node, present bool, err error) {
	if depth > maxDepth {
		return nil, false, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	if name, arg, isFn := n.Function(); isFn {
		if v, err := e.Eval(n); err == nil {
			return v, v != nil, nil
		}
		if name == "Fn::If" && arg.Kind == intrinsic.List && len(arg.Items) == 3 {
			c, _, err := e.Condition(arg.Items[0].Value)
			if err != nil {
				return nil, false, fmt.Errorf("condition %s: %w", arg.Items[0].Value, err)
			}
			if c {
				return fold(e, arg.Items[1], depth+1)
			}
			return fold(e, arg.Items[2], depth+1)
		}
		a, _, err := fold(e, arg, depth+1)
		if err != nil {
			return nil, false, err
		}
		return &intrinsic.Node{Kind: intrinsic.Map, Keys: []string{name}, Vals: []*intrinsic.Node{a}}, true, nil
	}
	switch n.Kind {
	case intrinsic.Map:
		out := &intrinsic.Node{Kind: intrinsic.Map}
		for i, k := range n.Keys {
			v, ok, err := fold(e, n.Vals[i], depth+1)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out.Keys = append(out.Keys, k)
				out.Vals = append(out.Vals, v)
			}
		}
		return out, true, nil
	case intrinsic.List:
		out := &intrinsic.Node{Kind: intrinsic.List}
		for _, it := range n.Items {
			v, ok, err := fold(e, it, depth+1)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out.Items = append(out.Items, v)
			}
		}
		return out, true, nil
	}
	return n, true, nil
}

// CanonicalPolicies rewrites, in place, the Action, NotAction, Resource and NotResource of every
// policy statement under v that hold a one-item list to that item: IAM reads "Resource": "X" and
// "Resource": ["X"] alike (IAM JSON policy grammar, <action_block> and <resource_block>,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), and the CDK
// writes the string where a template may write the list.
func CanonicalPolicies(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			switch k {
			case "Action", "NotAction", "Resource", "NotResource":
				if l, ok := x.([]any); ok && len(l) == 1 {
					t[k] = l[0]
					continue
				}
			}
			t[k] = CanonicalPolicies(x)
		}
	case []any:
		for i, x := range t {
			t[i] = CanonicalPolicies(x)
		}
	}
	return v
}
