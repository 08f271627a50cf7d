// Package intrinsic holds a template as a tree of nodes that remember where they were written, and
// evaluates CloudFormation's intrinsic functions (Ref, Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
// Fn::FindInMap, Fn::If and the condition functions) over it when their inputs are known before
// deployment: parameter defaults and overrides, pseudo parameters given by the user, mappings and
// conditions. Whatever depends on the deployed stack (Fn::GetAtt, a Ref to a resource,
// Fn::ImportValue) stays unresolved, and says why.
//
// Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
package intrinsic

import (
	"strconv"
	"strings"
)

// Kind is what a node holds.
type Kind uint8

// Kinds of node.
const (
	Null Kind = iota
	Scalar
	Map
	List
)

// Node is one value of a template with its position (1-based line and column; 0 when unknown).
// A map keeps its keys in the order they were written.
type Node struct {
	Kind   Kind
	Value  string // Scalar: the text, as written (numbers and booleans included)
	Keys   []string
	Vals   []*Node // Map: Vals[i] is the value of Keys[i]
	Items  []*Node // List
	Line   int
	Column int
	// KeyLines[i] is the line of Keys[i], when the parser knew it (a logical ID's line is where
	// a resource is defined).
	KeyLines   []int
	KeyColumns []int
	// index maps Keys[:indexed] to their last position, built when a large map is first read,
	// so that looking keys up in a map of many keys (Mappings, a Sub variable map, Globals) is
	// not quadratic.
	index   map[string]int
	indexed int
}

// indexFrom is the number of keys from which Get builds an index.
const indexFrom = 16

// lookup returns the position of key's last occurrence, or -1.
func (n *Node) lookup(key string) int {
	if len(n.Keys) < indexFrom {
		for i := len(n.Keys) - 1; i >= 0; i-- {
			if n.Keys[i] == key {
				return i
			}
		}
		return -1
	}
	if n.index == nil || n.indexed > len(n.Keys) {
		n.index, n.indexed = make(map[string]int, len(n.Keys)), 0
	}
	for ; n.indexed < len(n.Keys); n.indexed++ {
		n.index[n.Keys[n.indexed]] = n.indexed
	}
	if i, ok := n.index[key]; ok && n.Keys[i] == key {
		return i
	}
	return -1
}

// KeyPos returns the line and column key was written at, or those of its value.
func (n *Node) KeyPos(key string) (line, column int) {
	if n == nil || n.Kind != Map {
		return 0, 0
	}
	i := n.lookup(key)
	switch {
	case i < 0:
		return 0, 0
	case i < len(n.KeyLines) && i < len(n.KeyColumns) && n.KeyLines[i] > 0:
		return n.KeyLines[i], n.KeyColumns[i]
	case n.Vals[i] != nil:
		return n.Vals[i].Line, n.Vals[i].Column
	}
	return 0, 0
}

// Str returns a scalar node.
func Str(s string) *Node { return &Node{Kind: Scalar, Value: s} }

// Get returns the value of key in a map node, or nil. The last occurrence of a repeated key wins,
// as in JSON decoders.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	if i := n.lookup(key); i >= 0 {
		return n.Vals[i]
	}
	return nil
}

// Set adds or replaces key in a map node.
func (n *Node) Set(key string, v *Node) {
	if i := n.lookup(key); i >= 0 {
		n.Vals[i] = v
		return
	}
	n.Keys = append(n.Keys, key)
	n.Vals = append(n.Vals, v)
}

// IsNull reports whether n is absent or null.
func (n *Node) IsNull() bool { return n == nil || n.Kind == Null }

// Function returns the name of the intrinsic function n is ("Ref", "Fn::Sub", "Condition") and
// its argument, when n is a one-key map whose key is one. Any other one-key map is data: an
// invalid CodeUri: {Key: x} is not a function.
func (n *Node) Function() (string, *Node, bool) {
	if n == nil || n.Kind != Map || len(n.Keys) != 1 {
		return "", nil, false
	}
	k := n.Keys[0]
	if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
		return k, n.Vals[0], true
	}
	return "", nil, false
}

// Describe renders n briefly for messages, in the YAML short form people write: !Ref Runtime,
// !Sub "...", !GetAtt Fn.Arn.
func (n *Node) Describe() string {
	var b strings.Builder
	n.describe(&b, 0)
	s := b.String()
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func (n *Node) describe(b *strings.Builder, depth int) {
	if b.Len() > 200 || depth > 8 {
		b.WriteString("...")
		return
	}
	switch {
	case n == nil || n.Kind == Null:
		b.WriteString("null")
	case n.Kind == Scalar:
		if n.Value == "" || strings.ContainsAny(n.Value, " :,[]{}#\"'") {
			b.WriteString(strconv.Quote(n.Value))
		} else {
			b.WriteString(n.Value)
		}
	case n.Kind == List:
		b.WriteByte('[')
		for i, it := range n.Items {
			if b.Len() > 200 {
				b.WriteString("...")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			it.describe(b, depth+1)
		}
		b.WriteByte(']')
	default:
		if name, arg, ok := n.Function(); ok {
			b.WriteString("!" + strings.TrimPrefix(name, "Fn::") + " ")
			if name == "Fn::GetAtt" && arg != nil && arg.Kind == List && len(arg.Items) == 2 && arg.Items[0].Kind == Scalar && arg.Items[1].Kind == Scalar {
				b.WriteString(arg.Items[0].Value + "." + arg.Items[1].Value)
				return
			}
			arg.describe(b, depth+1)
			return
		}
		b.WriteByte('{')
		for i, k := range n.Keys {
			if b.Len() > 200 {
				b.WriteString("...")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": ")
			n.Vals[i].describe(b, depth+1)
		}
		b.WriteByte('}')
	}
}
