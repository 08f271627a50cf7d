package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// parseJSON reads a JSON template with the standard library's decoder, keeping each value's line
// and column: several times faster than the YAML parser on the large JSON templates CDK
// synthesizes. Input that is not strict JSON is left to the YAML parser (a YAML flow mapping
// also starts with "{").
func parseJSON(b []byte) (*intrinsic.Node, error) {
	p := &jsonParser{b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	p.dec.UseNumber()
	for i, c := range b {
		if c == '\n' {
			p.newlines = append(p.newlines, i)
		}
	}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, errors.New("data after the top-level value")
	}
	return n, nil
}

type jsonParser struct {
	b        []byte
	dec      *json.Decoder
	newlines []int // offsets of '\n'
	nodes    int
}

// pos turns the decoder's offset (just before the next token, separators included) into the
// line and column of the token itself.
func (p *jsonParser) pos() (int, int) {
	off := int(p.dec.InputOffset())
	for off < len(p.b) {
		switch p.b[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	line := sort.SearchInts(p.newlines, off) // newlines before off
	col := off + 1
	if line > 0 {
		col = off - p.newlines[line-1]
	}
	return line + 1, col
}

func (p *jsonParser) value(depth int) (*intrinsic.Node, error) {
	if depth > maxDepth {
		line, _ := p.pos()
		return nil, fmt.Errorf("line %d: nested more than %d levels deep", line, maxDepth)
	}
	p.nodes++
	if p.nodes > maxNodes {
		return nil, errTooBig
	}
	line, col := p.pos()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &intrinsic.Node{Line: line, Column: col}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n.Kind = intrinsic.Map
			for p.dec.More() {
				kl, kc := p.pos()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("line %d: a map key is not a string", kl)
				}
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Keys = append(n.Keys, key)
				n.Vals = append(n.Vals, val)
				n.KeyLines = append(n.KeyLines, kl)
				n.KeyColumns = append(n.KeyColumns, kc)
			}
		case '[':
			n.Kind = intrinsic.List
			for p.dec.More() {
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, val)
			}
		default:
			return nil, fmt.Errorf("line %d: unexpected %v", line, v)
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.Kind, n.Value = intrinsic.Scalar, v
	case json.Number:
		n.Kind, n.Value = intrinsic.Scalar, v.String()
	case bool:
		n.Kind, n.Value = intrinsic.Scalar, fmt.Sprint(v)
	case nil:
		n.Kind = intrinsic.Null
	}
	return n, nil
}
