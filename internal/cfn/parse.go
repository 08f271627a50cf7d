package cfn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
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
	// maxYAMLBound bounds yamlNodeBound: block-style YAML of a few MB and flow-style YAML of
	// 700 KB are decoded (and then held to maxNodes), and the decoder's tree stays under about
	// 200 MB whatever the bytes (TestHostileTemplates: question-marks.yaml).
	maxYAMLBound = maxNodes
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
//
// Strict JSON is read as a token stream that counts nodes as it goes. YAML is decoded by
// go.yaml.in/yaml/v3, which builds its whole tree before handing it over, so the YAML is measured
// first: yamlNodeBound, from the bytes alone, bounds the nodes the decoder can build, and an input
// past maxNodes is refused before it allocates any.
//
// A second YAML document is refused, and so is a repeated map key where it decides what is judged
// (see judgedDuplicate). CloudFormation documents a repeated section as undefined behaviour ("might
// incorrectly provision resources",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html), and
// cfn-lint's loader rejects both (aws-cloudformation/cfn-lint, src/cfnlint/decode/cfn_yaml.py:
// construct_yaml_map raises "Duplicate found", loads uses PyYAML's get_single_data, which refuses a
// stream of more than one document). Reading one of two values would judge a template
// CloudFormation may deploy differently. A repeated key elsewhere (in Outputs, in another
// resource's properties: two of AWS's own public sample templates have one) is a warning, and
// the last value is read.
func parseNode(b []byte, name string) (*intrinsic.Node, error) {
	n, _, err := parseNodeWarn(b, name)
	return n, err
}

// parseNodeWarn is parseNode, returning the warnings about repeated keys that are not refused.
func parseNodeWarn(b []byte, name string) (*intrinsic.Node, []string, error) {
	n, dups, err := decode(b, name)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, d := range dups {
		if judgedDuplicate(n, d.path) {
			return nil, nil, fmt.Errorf("%w: %s: line %d: %w %q in %s (first at line %d): CloudFormation's behaviour with a repeated key is undefined, so the template is not judged", ErrTemplate, name, d.line, errDuplicate, d.key, d.where(), d.first)
		}
		warnings = append(warnings, fmt.Sprintf("%s: line %d: %s %q in %s (first at line %d); the last value is read", name, d.line, errDuplicate, d.key, d.where(), d.first))
	}
	return n, warnings, nil
}

// dupKey is a key repeated in one map: path is the keys leading to the map.
type dupKey struct {
	path        []string
	key         string
	line, first int
}

func (d dupKey) where() string {
	if len(d.path) == 0 {
		return "the template's top level"
	}
	return strings.Join(d.path, ".")
}

// maxDups bounds the repeated keys recorded.
const maxDups = 100

// judgedDuplicate reports whether a map at path decides a verdict: the top level (two Resources
// sections), a section that feeds values (Parameters, Mappings, Conditions, SAM Globals), the
// Resources map itself (two resources of one logical ID), and anything inside a function or layer
// resource.
func judgedDuplicate(t *intrinsic.Node, path []string) bool {
	if len(path) == 0 {
		return true
	}
	switch path[0] {
	case "Parameters", "Mappings", "Conditions", "Globals", "Transform":
		return true
	case "Resources":
		if len(path) == 1 {
			return true
		}
		typ, _ := scalarValue(t.Get("Resources").Get(path[1]).Get("Type"))
		switch typ {
		case "AWS::Lambda::Function", "AWS::Serverless::Function", "AWS::Lambda::LayerVersion", "AWS::Serverless::LayerVersion", "":
			return true
		}
		return strings.HasPrefix(path[1], forEachKey)
	}
	return false
}

func decode(b []byte, name string) (*intrinsic.Node, []dupKey, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil, fmt.Errorf("%w: %s is empty", ErrTemplate, name)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if n, dups, err := parseJSON(b); err == nil {
			return n, dups, nil
		} else if errors.Is(err, errTooBig) || isDepthError(err) {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrTemplate, name, err)
		}
		// Not strict JSON: YAML's flow style may still read it.
	}
	if bound := yamlNodeBound(b); bound > maxYAMLBound {
		return nil, nil, fmt.Errorf("%w: %s: %w: up to %d YAML nodes, at most %d are decoded", ErrTemplate, name, errTooBig, bound, maxYAMLBound)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("%w: %s is neither JSON nor YAML: %w", ErrTemplate, name, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, nil, fmt.Errorf("%w: %s holds more than one YAML document (the second starts at line %d); a template is one document", ErrTemplate, name, next.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%w: %s: after the first document: %w", ErrTemplate, name, err)
	}
	c := &converter{}
	n, err := c.convert(&doc, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrTemplate, name, err)
	}
	if n == nil || n.Kind != intrinsic.Map {
		return nil, nil, fmt.Errorf("%w: %s is not a template: its top level is not a map", ErrTemplate, name)
	}
	return n, c.dups, nil
}

// yamlNodeBound bounds, from the bytes alone, the number of nodes the YAML decoder builds for b.
// Every node the parser makes comes from a token: a scalar, alias, anchor or tag starts where a
// run of non-space characters starts or right after a flow indicator, and the indicators
// themselves (- ? : , [ ] { }) open collections or stand for empty values. A token yields at
// most two nodes (a key and the mapping it opens; an entry indicator and the empty value after
// it), a ? at most three (a mapping, an empty key, an empty value), and the document adds one.
// Text inside comments, quotes and block scalars is counted as if it were tokens, which only
// raises the bound. FuzzYAMLNodeBound checks the bound against the decoder.
func yamlNodeBound(b []byte) int {
	tokens, questions := 0, 0
	start := true
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			start = true
		case '?':
			questions++
			tokens++
			start = true
		case '-', ':', ',', '[', ']', '{', '}':
			tokens++
			start = true
		default:
			if start {
				tokens++
			}
			start = false
		}
	}
	return 2*tokens + questions + 2
}

type converter struct {
	nodes int
	path  []string // keys leading to the node being converted
	dups  []dupKey
	// expanding holds the anchors being expanded, to refuse an alias inside its own anchor.
	expanding map[*yaml.Node]bool
	// anchors holds each anchored value converted once: every alias to it shares the result, so
	// an alias bomb costs memory for its anchors, not for its expansion. Readers of the tree
	// bound their own walks (the evaluator counts steps).
	anchors map[*yaml.Node]*intrinsic.Node
}

var (
	errTooBig    = errors.New("template expands to too many values (aliases?)")
	errDuplicate = errors.New("repeated map key")
)

// keySet finds repeated keys of one map: a linear scan for a few keys, a map for many.
type keySet struct {
	keys  []string
	lines []int
	m     map[string]int
}

func newKeySet(n int) keySet {
	if n > 16 {
		return keySet{m: make(map[string]int, n)}
	}
	return keySet{}
}

// add records key at line; dup reports that it was there already, at first.
func (s *keySet) add(key string, line int) (first int, dup bool) {
	if s.m != nil {
		if l, ok := s.m[key]; ok {
			return l, true
		}
		s.m[key] = line
		return 0, false
	}
	for i, k := range s.keys {
		if k == key {
			return s.lines[i], true
		}
	}
	s.keys = append(s.keys, key)
	s.lines = append(s.lines, line)
	return 0, false
}

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
		var merges []*yaml.Node
		seen := newKeySet(len(y.Content) / 2)
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				merges = append(merges, v)
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a map key is not a string", k.Line)
			}
			if first, dup := seen.add(k.Value, k.Line); dup && len(c.dups) < maxDups {
				c.dups = append(c.dups, dupKey{path: slices.Clone(c.path), key: k.Value, line: k.Line, first: first})
			}
			c.path = append(c.path, k.Value)
			val, err := c.convert(v, depth+1)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return nil, err
			}
			out.Keys = append(out.Keys, k.Value)
			out.Vals = append(out.Vals, val)
			out.KeyLines = append(out.KeyLines, k.Line)
			out.KeyColumns = append(out.KeyColumns, k.Column)
		}
		// Merged keys come after the map's own, which win (https://yaml.org/type/merge.html).
		for _, m := range merges {
			if err := c.merge(out, m, depth); err != nil {
				return nil, err
			}
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

// merge applies a YAML merge key (<<: *anchor or <<: [*a, *b]): keys already present win. Each
// merged key is a node of the budget (a chain of anchors each merging the one before copies its
// keys again), and lookups in out use its index, so merging is linear.
func (c *converter) merge(out *intrinsic.Node, v *yaml.Node, depth int) error {
	src, err := c.convert(v, depth+1)
	if err != nil {
		return err
	}
	maps := []*intrinsic.Node{src}
	if src != nil && src.Kind == intrinsic.List {
		maps = src.Items
	}
	for _, m := range maps {
		if m == nil || m.Kind != intrinsic.Map {
			return fmt.Errorf("line %d: << merges a value that is not a map", v.Line)
		}
		if c.nodes += len(m.Keys); c.nodes > maxNodes {
			return fmt.Errorf("line %d: %w: more than %d", v.Line, errTooBig, maxNodes)
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
