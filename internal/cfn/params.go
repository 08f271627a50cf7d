package cfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/safeio"
)

// maxParamsFile bounds a parameters file.
const maxParamsFile = 1 << 20

// ReadParameters reads parameter values from a file in any of the forms the AWS tools write:
//
//   - CloudFormation's list, as for aws cloudformation create-stack --parameters file://...:
//     [{"ParameterKey": "K", "ParameterValue": "V"}]
//   - aws cloudformation deploy --parameter-overrides file://...: ["K=V"], or the CodePipeline
//     template configuration {"Parameters": {"K": "V"}}
//     (https://awscli.amazonaws.com/v2/documentation/api/latest/reference/cloudformation/deploy/index.html)
//   - SAM CLI's parameter overrides: the text K=V K2="v 2" (or ParameterKey=K,ParameterValue=V),
//     alone or as the parameter_overrides line of a samconfig.toml, a string or a list of
//     strings (aws/aws-sam-cli, samcli/cli/types.py, CfnParameterOverridesType).
func ReadParameters(path string) (map[string]string, error) {
	b, err := safeio.ReadFile(path, maxParamsFile)
	if err != nil {
		return nil, fmt.Errorf("--parameters: %w", err)
	}
	out, err := parseParameters(b)
	if err != nil {
		return nil, fmt.Errorf("--parameters %s: %w", path, err)
	}
	return out, nil
}

var samconfigLine = regexp.MustCompile(`(?m)^\s*parameter_overrides\s*=\s*(.+?)\s*$`)

func parseParameters(b []byte) (map[string]string, error) {
	trimmed := bytes.TrimSpace(b)
	out := map[string]string{}
	// A samconfig.toml starts with a table header, which looks like a JSON list.
	if m := samconfigLine.FindSubmatch(trimmed); m != nil {
		text, err := tomlStrings(string(m[1]))
		if err != nil {
			return nil, fmt.Errorf("parameter_overrides: %w", err)
		}
		return parseOverrides(text)
	}
	switch {
	case bytes.HasPrefix(trimmed, []byte("[")):
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("not a JSON list: %w", err)
		}
		for i, raw := range list {
			var kv struct {
				ParameterKey   *string
				ParameterValue *string
			}
			var s string
			switch {
			case json.Unmarshal(raw, &s) == nil:
				k, v, ok := strings.Cut(s, "=")
				if !ok || k == "" {
					return nil, fmt.Errorf("item %d: %q is not Key=Value", i+1, s)
				}
				out[k] = v
			case json.Unmarshal(raw, &kv) == nil && kv.ParameterKey != nil:
				if kv.ParameterValue != nil { // UsePreviousValue items have none
					out[*kv.ParameterKey] = *kv.ParameterValue
				}
			default:
				return nil, fmt.Errorf("item %d is neither {\"ParameterKey\", \"ParameterValue\"} nor \"Key=Value\"", i+1)
			}
		}
		return out, nil
	case bytes.HasPrefix(trimmed, []byte("{")):
		var doc struct {
			Parameters map[string]json.RawMessage
		}
		if err := json.Unmarshal(trimmed, &doc); err != nil || doc.Parameters == nil {
			return nil, fmt.Errorf("a JSON object must be {\"Parameters\": {\"Key\": \"Value\"}}")
		}
		for k, raw := range doc.Parameters {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				s = strings.TrimSpace(string(raw)) // numbers and booleans as written
			}
			out[k] = s
		}
		return out, nil
	}
	return parseOverrides(string(trimmed))
}

// tomlStrings reads a TOML string ("..." or '...') or a list of them, joined by spaces.
func tomlStrings(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") {
		inner := strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
		var parts []string
		for inner = strings.TrimSpace(inner); inner != ""; inner = strings.TrimLeft(strings.TrimSpace(inner), ",") {
			inner = strings.TrimSpace(inner)
			if inner == "" {
				break
			}
			s, rest, err := tomlString(inner)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
			inner = rest
		}
		return strings.Join(parts, " "), nil
	}
	s, _, err := tomlString(v)
	return s, err
}

func tomlString(v string) (string, string, error) {
	switch {
	case strings.HasPrefix(v, `"`):
		q, err := strconv.QuotedPrefix(v)
		if err != nil {
			return "", "", fmt.Errorf("unterminated string %s", v)
		}
		s, err := strconv.Unquote(q)
		return s, v[len(q):], err
	case strings.HasPrefix(v, "'"):
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", "", fmt.Errorf("unterminated string %s", v)
		}
		return v[1 : end+1], v[end+2:], nil
	}
	return "", "", fmt.Errorf("%s is not a string", v)
}

// parseOverrides splits SAM CLI's override text: space-separated Key=Value (or
// ParameterKey=K,ParameterValue=V) where a value may be quoted with " or ' and backslash escapes
// the next character.
func parseOverrides(text string) (map[string]string, error) {
	out := map[string]string{}
	for _, tok := range splitQuoted(text) {
		if strings.HasPrefix(tok, "ParameterKey=") {
			k, v, ok := strings.Cut(strings.TrimPrefix(tok, "ParameterKey="), ",ParameterValue=")
			if !ok {
				return nil, fmt.Errorf("%q: want ParameterKey=K,ParameterValue=V", tok)
			}
			out[k] = v
			continue
		}
		k, v, ok := strings.Cut(tok, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not Key=Value", tok)
		}
		out[k] = v
	}
	return out, nil
}

func splitQuoted(s string) []string {
	var toks []string
	var cur strings.Builder
	var quote rune
	in := false
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
			in = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if in {
				toks = append(toks, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		toks = append(toks, cur.String())
	}
	return toks
}
