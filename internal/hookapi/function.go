package hookapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// FunctionProperties are the AWS::Lambda::Function properties the hook reads. Others are ignored.
type FunctionProperties struct {
	FunctionName  String     `json:"FunctionName,omitempty"`
	Runtime       String     `json:"Runtime,omitempty"`
	Handler       String     `json:"Handler,omitempty"`
	PackageType   String     `json:"PackageType,omitempty"`
	Architectures StringList `json:"Architectures,omitempty"`
	Layers        StringList `json:"Layers,omitempty"`
	Code          Code       `json:"Code"`
	Tags          []Tag      `json:"Tags,omitempty"`
	// ImageConfig overrides a container image's ENTRYPOINT, CMD and WORKDIR (PackageType: Image).
	ImageConfig ImageConfig `json:"ImageConfig,omitempty"`
}

// ImageConfig is the function's ImageConfig property
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-imageconfig.html).
type ImageConfig struct {
	EntryPoint       StringList `json:"EntryPoint,omitempty"`
	Command          StringList `json:"Command,omitempty"`
	WorkingDirectory String     `json:"WorkingDirectory,omitempty"`
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

// FunctionProperties decodes the resource properties as a Lambda function's.
func (m *TargetModel) FunctionProperties() (FunctionProperties, error) {
	var p FunctionProperties
	if m == nil || isEmpty(m.ResourceProperties) {
		return p, nil
	}
	if err := json.Unmarshal(m.ResourceProperties, &p); err != nil {
		return FunctionProperties{}, fmt.Errorf("decode AWS::Lambda::Function properties: %w", err)
	}
	return p, nil
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
