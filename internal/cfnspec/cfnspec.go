// Package cfnspec validates CloudFormation templates against the resource schemas of the AWS
// service specification that the CDK builds its L1 constructs from: the db.json.gz database of
// the npm package @aws-cdk/aws-service-spec (https://github.com/cdklabs/awscdk-service-spec).
// Its tables hold, for every resource type, its properties (type, required, allowed values) and
// attributes, and the property types they refer to.
//
// A template is checked the way CloudFormation would before it creates anything: every resource
// type exists; every property is one of its type's, required ones are present, literal values
// have the property's type and one of its allowed values; every Ref names a parameter, a resource
// or a pseudo parameter, every Fn::GetAtt an attribute of that resource's type, every condition
// used is defined, every parameter has a CloudFormation parameter type. Values computed by an
// intrinsic function are checked only as far as they are literal (both branches of Fn::If).
package cfnspec

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Type is a property's type in the database: string, integer, number, boolean, date-time, json,
// tag, array and map (of Element), ref (to a property type), union (of Types).
type Type struct {
	Type          string `json:"type"`
	Element       *Type  `json:"element"`
	Reference     *ref   `json:"reference"`
	Types         []Type `json:"types"`
	AllowedValues []any  `json:"allowedValues"` // strings, some numbers
}

type ref struct {
	ID string `json:"$ref"`
}

// Property is one property of a resource or property type.
type Property struct {
	Type     Type `json:"type"`
	Required bool `json:"required"`
}

// Resource is a resource type.
type Resource struct {
	CloudFormationType string              `json:"cloudFormationType"`
	Properties         map[string]Property `json:"properties"`
	Attributes         map[string]any      `json:"attributes"`
}

// Spec is the loaded database.
type Spec struct {
	Resources map[string]*Resource           // by CloudFormation type
	types     map[string]map[string]Property // property types by $id
}

// maxDB bounds the decompressed database (about 15 MB in 0.1.216).
const maxDB = 256 << 20

// Load reads db.json.gz.
func Load(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cfnspec: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("cfnspec: %s: %w", path, err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, maxDB+1))
	if err != nil {
		return nil, fmt.Errorf("cfnspec: %s: %w", path, err)
	}
	if len(b) > maxDB {
		return nil, fmt.Errorf("cfnspec: %s: more than %d bytes decompressed", path, maxDB)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("cfnspec: %s: %w", path, err)
	}
	return s, nil
}

// Parse reads the database's JSON: {"schema": {"resource": {"entities": [...]},
// "typeDefinition": {"entities": [...]}}}.
func Parse(b []byte) (*Spec, error) {
	var db struct {
		Schema struct {
			Resource struct {
				Entities []*Resource `json:"entities"`
			} `json:"resource"`
			TypeDefinition struct {
				Entities []struct {
					ID         string              `json:"$id"`
					Properties map[string]Property `json:"properties"`
				} `json:"entities"`
			} `json:"typeDefinition"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(b, &db); err != nil {
		return nil, fmt.Errorf("not a service spec database: %w", err)
	}
	s := &Spec{Resources: map[string]*Resource{}, types: map[string]map[string]Property{}}
	for _, r := range db.Schema.Resource.Entities {
		if r == nil || r.CloudFormationType == "" {
			continue
		}
		s.Resources[r.CloudFormationType] = r
	}
	for _, t := range db.Schema.TypeDefinition.Entities {
		s.types[t.ID] = t.Properties
	}
	if len(s.Resources) == 0 {
		return nil, errors.New("no resource types in the service spec database")
	}
	return s, nil
}

// parameterTypes are CloudFormation's parameter types
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
var parameterTypes = []string{"String", "Number", "List<Number>", "CommaDelimitedList"}

// pseudo are the pseudo parameters
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).
var pseudo = map[string]bool{"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true}

// maxDepth bounds the recursion into a hostile template.
const maxDepth = 64

// Validate checks a template (JSON) and returns every problem found, sorted.
func (s *Spec) Validate(template []byte) []error {
	var t struct {
		Parameters map[string]struct {
			Type string `json:"Type"`
		} `json:"Parameters"`
		Conditions map[string]any `json:"Conditions"`
		Resources  map[string]struct {
			Type       string         `json:"Type"`
			Properties map[string]any `json:"Properties"`
			Condition  *string        `json:"Condition"`
		} `json:"Resources"`
		Outputs map[string]any `json:"Outputs"`
	}
	if err := json.Unmarshal(template, &t); err != nil {
		return []error{fmt.Errorf("not a JSON template: %w", err)}
	}
	v := &validator{spec: s, params: map[string]bool{}, resources: map[string]string{}, conditions: map[string]bool{}}
	for name, p := range t.Parameters {
		v.params[name] = true
		if !validParamType(p.Type) {
			v.errf("Parameters.%s: type %q is not a CloudFormation parameter type", name, p.Type)
		}
	}
	for name := range t.Conditions {
		v.conditions[name] = true
	}
	if len(t.Resources) == 0 {
		v.errf("Resources: a template needs at least one resource")
	}
	for name, r := range t.Resources {
		v.resources[name] = r.Type
	}
	for name, c := range t.Conditions {
		v.value("Conditions."+name, c, nil, 0)
	}
	for name, r := range t.Resources {
		at := "Resources." + name
		if r.Condition != nil && !v.conditions[*r.Condition] {
			v.errf("%s.Condition: %q is not defined in Conditions", at, *r.Condition)
		}
		spec, ok := s.Resources[r.Type]
		if !ok {
			if !strings.HasPrefix(r.Type, "Custom::") && r.Type != "AWS::CloudFormation::CustomResource" {
				v.errf("%s: unknown resource type %q", at, r.Type)
			}
			continue
		}
		v.object(at+".Properties", r.Properties, spec.Properties, 0)
	}
	for name, o := range t.Outputs {
		v.value("Outputs."+name, o, nil, 0)
	}
	sort.Slice(v.errs, func(i, j int) bool { return v.errs[i].Error() < v.errs[j].Error() })
	return v.errs
}

func validParamType(t string) bool {
	for _, p := range parameterTypes {
		if t == p {
			return true
		}
	}
	// AWS-specific and SSM parameter types: AWS::EC2::KeyPair::KeyName, List<AWS::EC2::...>,
	// AWS::SSM::Parameter::Value<...>.
	return strings.HasPrefix(t, "AWS::") || strings.HasPrefix(t, "List<AWS::")
}

type validator struct {
	spec       *Spec
	params     map[string]bool
	resources  map[string]string
	conditions map[string]bool
	errs       []error
}

func (v *validator) errf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}

// object checks a map of properties against their specs.
func (v *validator) object(at string, obj map[string]any, props map[string]Property, depth int) {
	for name, p := range props {
		if _, ok := obj[name]; !ok && p.Required {
			v.errf("%s: required property %s is missing", at, name)
		}
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p, ok := props[k]
		if !ok {
			v.errf("%s: unknown property %s%s", at, k, nearest(k, props))
			continue
		}
		t := p.Type
		v.value(at+"."+k, obj[k], &t, depth+1)
	}
}

// nearest names a property differing from k only in case.
func nearest(k string, props map[string]Property) string {
	for name := range props {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf(" (did you mean %s?)", name)
		}
	}
	return ""
}

// isFunction reports whether m is an intrinsic function call, and its name.
func isFunction(m map[string]any) (string, any, bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// value checks x against t (nil: any value), following intrinsic functions.
func (v *validator) value(at string, x any, t *Type, depth int) {
	if depth > maxDepth {
		v.errf("%s: nested deeper than %d", at, maxDepth)
		return
	}
	if m, ok := x.(map[string]any); ok {
		if fn, arg, ok := isFunction(m); ok {
			v.function(at, fn, arg, t, depth)
			return
		}
	}
	if t == nil {
		switch c := x.(type) {
		case map[string]any:
			for k, e := range c {
				v.value(at+"."+k, e, nil, depth+1)
			}
		case []any:
			for i, e := range c {
				v.value(fmt.Sprintf("%s.%d", at, i), e, nil, depth+1)
			}
		}
		return
	}
	switch t.Type {
	case "json":
		v.value(at, x, nil, depth+1) // any JSON, but its functions are checked
	case "union":
		// Valid when valid as one of the types.
		for i := range t.Types {
			sub := &validator{spec: v.spec, params: v.params, resources: v.resources, conditions: v.conditions}
			sub.value(at, x, &t.Types[i], depth+1)
			if len(sub.errs) == 0 {
				return
			}
		}
		v.errf("%s: %s is none of the types the property takes", at, brief(x))
	case "string", "date-time":
		s, ok := scalar(x)
		if !ok {
			v.errf("%s: want a string, got %s", at, brief(x))
			return
		}
		if len(t.AllowedValues) > 0 && !allowed(s, t.AllowedValues) {
			v.errf("%s: %q is not one of %s", at, s, strings.Trim(fmt.Sprint(t.AllowedValues), "[]"))
		}
	case "integer", "number":
		switch c := x.(type) {
		case float64:
			if t.Type == "integer" && c != float64(int64(c)) {
				v.errf("%s: want an integer, got %v", at, c)
			}
		case string: // CloudFormation converts numeric strings
			var f float64
			if _, err := fmt.Sscan(c, &f); err != nil {
				v.errf("%s: want a number, got %q", at, c)
			}
		default:
			v.errf("%s: want a number, got %s", at, brief(x))
		}
	case "boolean":
		switch c := x.(type) {
		case bool:
		case string:
			if c != "true" && c != "false" {
				v.errf("%s: want true or false, got %q", at, c)
			}
		default:
			v.errf("%s: want a boolean, got %s", at, brief(x))
		}
	case "tag":
		m, ok := x.(map[string]any)
		if !ok {
			v.errf("%s: want a tag {Key, Value}, got %s", at, brief(x))
			return
		}
		v.object(at, m, map[string]Property{"Key": {Type: Type{Type: "string"}, Required: true}, "Value": {Type: Type{Type: "string"}, Required: true}}, depth+1)
	case "array":
		l, ok := x.([]any)
		if !ok {
			v.errf("%s: want a list, got %s", at, brief(x))
			return
		}
		for i, e := range l {
			if isNoValue(e) {
				continue
			}
			v.value(fmt.Sprintf("%s.%d", at, i), e, t.Element, depth+1)
		}
	case "map":
		m, ok := x.(map[string]any)
		if !ok {
			v.errf("%s: want a map, got %s", at, brief(x))
			return
		}
		for k, e := range m {
			v.value(at+"."+k, e, t.Element, depth+1)
		}
	case "ref":
		m, ok := x.(map[string]any)
		if !ok {
			v.errf("%s: want an object, got %s", at, brief(x))
			return
		}
		if t.Reference == nil {
			return
		}
		props, ok := v.spec.types[t.Reference.ID]
		if !ok {
			return // a type the database does not hold
		}
		v.object(at, m, props, depth+1)
	}
}

func isNoValue(x any) bool {
	m, ok := x.(map[string]any)
	return ok && len(m) == 1 && m["Ref"] == "AWS::NoValue"
}

// function checks an intrinsic function's references, and the literal parts of its result
// against t (Fn::If: both branches).
func (v *validator) function(at, fn string, arg any, t *Type, depth int) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			v.errf("%s: Ref takes a name", at)
			return
		}
		if !v.params[name] && v.resources[name] == "" && !pseudo[name] {
			v.errf("%s: Ref %s names no parameter, resource or pseudo parameter", at, name)
		}
	case "Fn::GetAtt":
		var res, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				res, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			res, attr, _ = strings.Cut(a, ".")
		}
		typ := v.resources[res]
		if typ == "" {
			v.errf("%s: Fn::GetAtt %s.%s names no resource", at, res, attr)
			return
		}
		if spec, ok := v.spec.Resources[typ]; ok {
			if _, ok := spec.Attributes[attr]; !ok {
				v.errf("%s: Fn::GetAtt: %s (%s) has no attribute %s", at, res, typ, attr)
			}
		}
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			v.errf("%s: Fn::If takes [condition, value if true, value if false]", at)
			return
		}
		if c, _ := a[0].(string); !v.conditions[c] {
			v.errf("%s: Fn::If: condition %v is not defined in Conditions", at, a[0])
		}
		for i, b := range a[1:] {
			if !isNoValue(b) {
				v.value(fmt.Sprintf("%s.Fn::If[%d]", at, i+1), b, t, depth+1)
			}
		}
	case "Condition":
		if c, _ := arg.(string); !v.conditions[c] {
			v.errf("%s: condition %v is not defined in Conditions", at, arg)
		}
	case "Fn::Sub":
		v.sub(at, arg, depth)
	default:
		// Fn::Join, Fn::Split, Fn::Select, Fn::Equals, ...: their arguments hold references.
		v.value(at+"."+fn, arg, nil, depth+1)
	}
}

// sub checks the ${Name} references of an Fn::Sub string (not ${!Literal}, not the variables of
// its map, not ${aws:...} IAM policy variables, which CloudFormation leaves alone).
func (v *validator) sub(at string, arg any, depth int) {
	var s string
	vars := map[string]bool{}
	switch a := arg.(type) {
	case string:
		s = a
	case []any:
		if len(a) != 2 {
			v.errf("%s: Fn::Sub takes a string or [string, {variables}]", at)
			return
		}
		s, _ = a[0].(string)
		if m, ok := a[1].(map[string]any); ok {
			for k, e := range m {
				vars[k] = true
				v.value(at+".Fn::Sub."+k, e, nil, depth+1)
			}
		}
	default:
		v.errf("%s: Fn::Sub takes a string or [string, {variables}]", at)
		return
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			v.errf("%s: Fn::Sub: unclosed ${ in %q", at, s)
			return
		}
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") || vars[name] || strings.Contains(name, ":") && !strings.HasPrefix(name, "AWS::") {
			continue
		}
		if res, attr, ok := strings.Cut(name, "."); ok {
			v.function(at, "Fn::GetAtt", []any{res, attr}, nil, depth)
			continue
		}
		v.function(at, "Ref", name, nil, depth)
	}
}

func scalar(x any) (string, bool) {
	switch c := x.(type) {
	case string:
		return c, true
	case float64, bool:
		return fmt.Sprint(c), true
	}
	return "", false
}

func allowed(s string, values []any) bool {
	for _, a := range values {
		if s == fmt.Sprint(a) {
			return true
		}
	}
	return false
}

func brief(x any) string {
	b, _ := json.Marshal(x)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// DBPath is where make cfn-spec-cache puts the database: $BOOTSTRAP_GUARD_CFN_SPEC, else
// .cache/cfnspec/db.json.gz in the module root (found from the working directory up).
func DBPath() string {
	if p := os.Getenv("BOOTSTRAP_GUARD_CFN_SPEC"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join(".cache", "cfnspec", "db.json.gz")
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "cfnspec", "db.json.gz")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join(".cache", "cfnspec", "db.json.gz")
		}
		dir = parent
	}
}
