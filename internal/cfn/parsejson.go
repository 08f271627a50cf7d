package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// parseJSON reads a JSON template with the standard library's decoder, keeping each value's line
// and column: several times faster than the YAML parser on the large JSON templates CDK
// synthesizes. Input that is not strict JSON is left to the YAML parser (a YAML flow mapping
// also starts with "{").
func parseJSON(b []byte) (*intrinsic.Node, []dupKey, error) {
	p := &jsonParser{b: b, dec: json.NewDecoder(bytes.NewReader(b)), line: 1}
	p.dec.UseNumber()
	n, err := p.value(0)
	if err != nil {
		return nil, nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, nil, errors.New("data after the top-level value")
	}
	return n, p.dups, nil
}

type jsonParser struct {
	b     []byte
	dec   *json.Decoder
	nodes int
	path  []string // keys leading to the value being read
	dups  []dupKey
	// The position reached so far: offsets only grow, so lines are counted once, without an
	// index of the input's newlines.
	off, line, lineStart int
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
	for ; p.off < off; p.off++ {
		if p.b[p.off] == '\n' {
			p.line++
			p.lineStart = p.off + 1
		}
	}
	return p.line, off - p.lineStart + 1
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
			var seen keySet
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
				if len(seen.keys) == 16 && seen.m == nil {
					seen.m = make(map[string]int, 32)
					for i, k := range seen.keys {
						seen.m[k] = seen.lines[i]
					}
				}
				if first, dup := seen.add(key, kl); dup && len(p.dups) < maxDups {
					p.dups = append(p.dups, dupKey{path: slices.Clone(p.path), key: key, line: kl, first: first})
				}
				p.path = append(p.path, key)
				val, err := p.value(depth + 1)
				p.path = p.path[:len(p.path)-1]
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
