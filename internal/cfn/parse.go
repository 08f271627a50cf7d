package cfn

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// Bounds on a parsed template, beyond the parser's own nesting limit (10,000): how deep the tree
// may be, and how many nodes it may expand to once aliases are followed. A "billion laughs"
// alias bomb is a few hundred bytes that expands to 10^9 nodes: aliases share the converted
// anchor instead of copying it, and the node budget bounds everything else. CloudFormation's own template limit is
// 1 MB (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html);
// a real template has some tens of thousands of nodes.
const (
	maxDepth = 256
	maxNodes = 1_000_000
)

// shortForms maps CloudFormation's YAML short-form tags to the function names of the full form
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html).
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!If": "Fn::If", "!Join": "Fn::Join",
	"!Select": "Fn::Select", "!FindInMap": "Fn::FindInMap", "!Equals": "Fn::Equals",
	"!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Base64": "Fn::Base64",
	"!Cidr": "Fn::Cidr", "!ImportValue": "Fn::ImportValue", "!GetAZs": "Fn::GetAZs",
	"!Split": "Fn::Split", "!Transform": "Fn::Transform",
	// AWS::LanguageExtensions functions, written the same way.
	"!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString", "!ForEach": "Fn::ForEach",
}

// parseNode reads a template, JSON or YAML (JSON is YAML's flow style, so one parser serves both
// and both keep line numbers), into a tree of intrinsic nodes with the short-form tags turned into
// their full form: !Ref X becomes {Ref: X}, !GetAtt A.B becomes {Fn::GetAtt: [A, B]}.
func parseNode(b []byte, name string) (*intrinsic.Node, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%w: %s is empty", ErrTemplate, name)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if n, err := parseJSON(b); err == nil {
			return n, nil
		} else if errors.Is(err, errTooBig) || isDepthError(err) {
			return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, name, err)
		}
		// Not strict JSON: YAML's flow style may still read it.
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s is neither JSON nor YAML: %w", ErrTemplate, name, err)
	}
	c := &converter{}
	n, err := c.convert(&doc, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, name, err)
	}
	if n == nil || n.Kind != intrinsic.Map {
		return nil, fmt.Errorf("%w: %s is not a template: its top level is not a map", ErrTemplate, name)
	}
	return n, nil
}

type converter struct {
	nodes int
	// expanding holds the anchors being expanded, to refuse an alias inside its own anchor.
	expanding map[*yaml.Node]bool
	// anchors holds each anchored value converted once: every alias to it shares the result, so
	// an alias bomb costs memory for its anchors, not for its expansion. Readers of the tree
	// bound their own walks (the evaluator counts steps).
	anchors map[*yaml.Node]*intrinsic.Node
}

var errTooBig = errors.New("template expands to too many values (aliases?)")

func (c *converter) convert(y *yaml.Node, depth int) (*intrinsic.Node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested more than %d levels deep", y.Line, maxDepth)
	}
	c.nodes++
	if c.nodes > maxNodes {
		return nil, fmt.Errorf("line %d: %w: more than %d", y.Line, errTooBig, maxNodes)
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return nil, nil
		}
		return c.convert(y.Content[0], depth)
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, fmt.Errorf("line %d: alias without anchor", y.Line)
		}
		if v, ok := c.anchors[y.Alias]; ok {
			return v, nil
		}
		if c.expanding[y.Alias] {
			return nil, fmt.Errorf("line %d: alias *%s refers to itself", y.Line, y.Value)
		}
		if c.expanding == nil {
			c.expanding = map[*yaml.Node]bool{}
			c.anchors = map[*yaml.Node]*intrinsic.Node{}
		}
		c.expanding[y.Alias] = true
		v, err := c.convert(y.Alias, depth+1)
		delete(c.expanding, y.Alias)
		if err != nil {
			return nil, err
		}
		c.anchors[y.Alias] = v
		return v, nil
	}
	out := &intrinsic.Node{Line: y.Line, Column: y.Column}
	switch y.Kind {
	case yaml.ScalarNode:
		if y.Tag == "!!null" {
			out.Kind = intrinsic.Null
		} else {
			out.Kind = intrinsic.Scalar
			out.Value = y.Value
		}
	case yaml.SequenceNode:
		out.Kind = intrinsic.List
		out.Items = make([]*intrinsic.Node, 0, len(y.Content))
		for _, it := range y.Content {
			v, err := c.convert(it, depth+1)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, v)
		}
	case yaml.MappingNode:
		out.Kind = intrinsic.Map
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				if err := c.merge(out, v, depth); err != nil {
					return nil, err
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a map key is not a string", k.Line)
			}
			val, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			out.Keys = append(out.Keys, k.Value)
			out.Vals = append(out.Vals, val)
			out.KeyLines = append(out.KeyLines, k.Line)
			out.KeyColumns = append(out.KeyColumns, k.Column)
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", y.Line)
	}
	if fn, ok := shortForms[y.Tag]; ok {
		return c.shortForm(fn, out, y)
	}
	if strings.HasPrefix(y.Tag, "!") && !strings.HasPrefix(y.Tag, "!!") {
		// An unknown local tag: kept as a function CloudFormation would not know, so that the
		// value stays unresolved instead of passing for data.
		return &intrinsic.Node{Kind: intrinsic.Map, Keys: []string{"Fn::" + strings.TrimPrefix(y.Tag, "!")}, Vals: []*intrinsic.Node{out}, Line: y.Line, Column: y.Column}, nil
	}
	return out, nil
}

// merge applies a YAML merge key (<<: *anchor or <<: [*a, *b]): keys already present win.
func (c *converter) merge(out *intrinsic.Node, v *yaml.Node, depth int) error {
	src, err := c.convert(v, depth+1)
	if err != nil {
		return err
	}
	maps := []*intrinsic.Node{src}
	if src.Kind == intrinsic.List {
		maps = src.Items
	}
	for _, m := range maps {
		if m.Kind != intrinsic.Map {
			return fmt.Errorf("line %d: << merges a value that is not a map", v.Line)
		}
		for i, k := range m.Keys {
			if out.Get(k) == nil {
				out.Keys = append(out.Keys, k)
				out.Vals = append(out.Vals, m.Vals[i])
				l, col := m.KeyPos(k)
				out.KeyLines = append(out.KeyLines, l)
				out.KeyColumns = append(out.KeyColumns, col)
			}
		}
	}
	return nil
}

// shortForm wraps a tagged value in its function: {Fn::Name: value}. !GetAtt takes "A.B" as well
// as [A, B]; the attribute part may itself contain dots (Endpoint.Address), so it splits at the
// first one.
func (c *converter) shortForm(fn string, v *intrinsic.Node, y *yaml.Node) (*intrinsic.Node, error) {
	if fn == "Fn::GetAtt" && v.Kind == intrinsic.Scalar {
		res, attr, ok := strings.Cut(v.Value, ".")
		if !ok {
			// Malformed, but one property's problem: it stays an unresolved GetAtt rather than
			// refusing the template.
			return &intrinsic.Node{Kind: intrinsic.Map, Keys: []string{fn}, Vals: []*intrinsic.Node{v}, Line: y.Line, Column: y.Column}, nil
		}
		v = &intrinsic.Node{Kind: intrinsic.List, Line: v.Line, Column: v.Column, Items: []*intrinsic.Node{
			{Kind: intrinsic.Scalar, Value: res, Line: v.Line, Column: v.Column},
			{Kind: intrinsic.Scalar, Value: attr, Line: v.Line, Column: v.Column},
		}}
	}
	return &intrinsic.Node{Kind: intrinsic.Map, Keys: []string{fn}, Vals: []*intrinsic.Node{v}, Line: y.Line, Column: y.Column}, nil
}

func isDepthError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "levels deep")
}
