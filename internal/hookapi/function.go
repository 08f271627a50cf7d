package hookapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// FunctionProperties are the AWS::Lambda::Function properties the hook reads. Others are ignored.
type FunctionProperties struct {
	FunctionName  String      `json:"FunctionName,omitempty"`
	Runtime       String      `json:"Runtime,omitempty"`
	Handler       String      `json:"Handler,omitempty"`
	PackageType   String      `json:"PackageType,omitempty"`
	Architectures StringList  `json:"Architectures,omitempty"`
	Layers        StringList  `json:"Layers,omitempty"`
	Code          Code        `json:"Code"`
	Tags          []Tag       `json:"Tags,omitempty"`
	Environment   Environment `json:"Environment"`
	// ImageConfig overrides a container image's ENTRYPOINT, CMD and WORKDIR (PackageType: Image).
	ImageConfig ImageConfig `json:"ImageConfig,omitempty"`
	// RuntimeConfig names a customer-managed runtime (Runtime: custom): AWS::Lambda::Function
	// RuntimeConfig {RuntimeArn, RuntimeAlias}.
	RuntimeConfig *RuntimeConfig `json:"RuntimeConfig,omitempty"`
	// DurableConfig makes the function a durable function; only its presence is read.
	DurableConfig json.RawMessage `json:"DurableConfig,omitempty"`
}

// RuntimeConfig is the function's RuntimeConfig property.
type RuntimeConfig struct {
	RuntimeArn   String `json:"RuntimeArn,omitempty"`
	RuntimeAlias String `json:"RuntimeAlias,omitempty"`
}

// ImageConfig is the function's ImageConfig property
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-imageconfig.html).
type ImageConfig struct {
	EntryPoint       StringList `json:"EntryPoint,omitempty"`
	Command          StringList `json:"Command,omitempty"`
	WorkingDirectory String     `json:"WorkingDirectory,omitempty"`
}

// Environment is the function's Environment property: the variables Lambda sets for it
// (AWS::Lambda::Function Environment: {"Variables": {NAME: value}}). Wrapper scripts named by
// AWS_LAMBDA_EXEC_WRAPPER live here.
type Environment struct {
	Variables map[string]String `json:"Variables,omitempty"`
}

// Code is the function's Code property.
type Code struct {
	S3Bucket        String `json:"S3Bucket,omitempty"`
	S3Key           String `json:"S3Key,omitempty"`
	S3ObjectVersion String `json:"S3ObjectVersion,omitempty"`
	ZipFile         String `json:"ZipFile,omitempty"`
	ImageURI        String `json:"ImageUri,omitempty"`
}

// Tag is one resource tag.
type Tag struct {
	Key   String `json:"Key"`
	Value String `json:"Value"`
}

// FunctionProperties decodes the resource properties as a Lambda function's. Properties that
// arrive as a JSON string holding an object are decoded from that string: change-set payloads
// carry ResourceProperties that way (Java plugin data/hook/preCreate.request.with-stack-level-hook.json),
// and accepting it for a resource costs nothing (inferred: no source shows it for a resource).
func (m *TargetModel) FunctionProperties() (FunctionProperties, error) {
	var p FunctionProperties
	if m == nil || isEmpty(m.ResourceProperties) {
		return p, nil
	}
	raw := bytes.TrimSpace(m.ResourceProperties)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return FunctionProperties{}, fmt.Errorf("decode AWS::Lambda::Function properties: %w", err)
		}
		if t := bytes.TrimSpace([]byte(s)); len(t) == 0 || t[0] != '{' {
			return FunctionProperties{}, fmt.Errorf("decode AWS::Lambda::Function properties: a string that does not hold a JSON object (%.20q)", s)
		}
		raw = []byte(s)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return FunctionProperties{}, fmt.Errorf("decode AWS::Lambda::Function properties: %w", err)
	}
	return p, nil
}

// Env returns the function's environment variables as plain strings (nil when it has none).
func (p *FunctionProperties) Env() map[string]string {
	if len(p.Environment.Variables) == 0 {
		return nil
	}
	out := make(map[string]string, len(p.Environment.Variables))
	for k, v := range p.Environment.Variables {
		out[k] = string(v)
	}
	return out
}

// Tag returns the value of the tag named key and whether it is present.
func (p *FunctionProperties) Tag(key string) (string, bool) {
	for _, t := range p.Tags {
		if string(t.Key) == key {
			return string(t.Value), true
		}
	}
	return "", false
}

// Architecture returns the function's single architecture ("" when not set: Lambda's default).
func (p *FunctionProperties) Architecture() string {
	if len(p.Architectures) == 0 {
		return ""
	}
	return p.Architectures[0]
}

func isEmpty(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

// isBlank is isEmpty, or an empty object or string: a property set that holds nothing.
func isBlank(b []byte) bool {
	if isEmpty(b) {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) == nil && len(m) == 0 {
		return true
	}
	var s string
	return json.Unmarshal(b, &s) == nil && strings.TrimSpace(s) == ""
}

// String is a scalar that CloudFormation may send as a JSON string, number or boolean (a template's
// `Value: 128` arrives as "128" or 128 depending on the path it took). Null is the empty string.
type String string

// UnmarshalJSON accepts a string, number, boolean or null.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if isEmpty(b) {
		*s = ""
		return nil
	}
	switch b[0] {
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
		return nil
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(strconv.FormatBool(v))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string, number or boolean, got %.20s", b)
	}
	*s = String(n)
	return nil
}

// StringList is a list of scalars; a single scalar is read as a list of one.
type StringList []string

// UnmarshalJSON accepts a list of scalars, one scalar, or null.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if isEmpty(b) {
		*l = nil
		return nil
	}
	if b[0] != '[' {
		var s String
		if err := s.UnmarshalJSON(b); err != nil {
			return err
		}
		*l = StringList{string(s)}
		return nil
	}
	var items []String
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out := make(StringList, 0, len(items))
	for _, s := range items {
		out = append(out, string(s))
	}
	*l = out
	return nil
}

// Int is an integer that may arrive as a JSON string ("1"). Null and "" are zero.
type Int int

// UnmarshalJSON accepts a number, a numeric string, or null.
func (n *Int) UnmarshalJSON(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(string(s))
	if err != nil {
		return fmt.Errorf("want an integer: %w", err)
	}
	*n = Int(v)
	return nil
}
