package intrinsic

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// node builds a tree from JSON text (map keys sorted; positions unset).
func node(t testing.TB, s string) *Node {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return fromAny(v)
}

func fromAny(v any) *Node {
	switch v := v.(type) {
	case nil:
		return &Node{Kind: Null}
	case string:
		return Str(v)
	case float64:
		b, _ := json.Marshal(v)
		return Str(string(b))
	case bool:
		if v {
			return Str("true")
		}
		return Str("false")
	case []any:
		n := &Node{Kind: List}
		for _, it := range v {
			n.Items = append(n.Items, fromAny(it))
		}
		return n
	case map[string]any:
		n := &Node{Kind: Map}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			n.Set(k, fromAny(v[k]))
		}
		return n
	}
	panic("unreachable")
}

const template = `{
  "Parameters": {
    "Stage": {"Type": "String", "Default": "dev"},
    "Subnets": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
    "NoDefault": {"Type": "String"},
    "FromSSM": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/runtime"},
    "Loop": {"Type": "String", "Default": {"Ref": "Loop"}}
  },
  "Mappings": {"Runtimes": {"dev": {"py": "python3.13"}, "prod": {"py": "python3.12"}}},
  "Conditions": {
    "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
    "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
    "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["a", "a"]}]},
    "Either": {"Fn::Or": [{"Fn::Equals": [{"Ref": "NoDefault"}, "x"]}, {"Condition": "IsDev"}]},
    "Unknown": {"Fn::And": [{"Fn::Equals": [{"Ref": "NoDefault"}, "x"]}, {"Condition": "IsDev"}]},
    "SelfA": {"Condition": "SelfB"},
    "SelfB": {"Condition": "SelfA"}
  },
  "Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}}
}`

func TestEval(t *testing.T) {
	tmpl := node(t, template)
	for _, tc := range []struct {
		name, expr string
		given      map[string]string
		want       string // the evaluated value rendered with Describe, or an error substring after "!"
	}{
		{"literal", `"python3.13"`, nil, "python3.13"},
		{"ref default", `{"Ref": "Stage"}`, nil, "dev"},
		{"ref given", `{"Ref": "Stage"}`, map[string]string{"Stage": "prod"}, "prod"},
		{"ref list parameter", `{"Ref": "Subnets"}`, nil, "[a, b, c]"},
		{"ref without value", `{"Ref": "NoDefault"}`, nil, "!has no Default and no value was given"},
		{"ref ssm", `{"Ref": "FromSSM"}`, nil, "!read from SSM parameter /app/runtime"},
		{"ref ssm given", `{"Ref": "FromSSM"}`, map[string]string{"FromSSM": "python3.13"}, "python3.13"},
		{"ref resource", `{"Ref": "Table"}`, nil, "!refers to resource Table"},
		{"ref unknown", `{"Ref": "Nope"}`, nil, "!neither a parameter nor a resource"},
		{"ref self default", `{"Ref": "Loop"}`, nil, "!refers to itself"},
		{"pseudo unknown", `{"Ref": "AWS::Region"}`, nil, "!known only at deployment"},
		{"pseudo given", `{"Fn::Sub": "${AWS::Partition}:${AWS::Region}:${AWS::URLSuffix}"}`, map[string]string{"AWS::Region": "cn-north-1"}, "aws-cn:cn-north-1:amazonaws.com.cn"},
		{"novalue", `{"Ref": "AWS::NoValue"}`, nil, "null"},
		{"sub", `{"Fn::Sub": "python${V}-${Stage}${!Literal}"}`, nil, "!V is neither"},
		{"sub vars", `{"Fn::Sub": ["python${V}-${Stage}${!Literal}", {"V": "3.13"}]}`, nil, `python3.13-dev${Literal}`},
		{"sub getatt", `{"Fn::Sub": "${Table.Arn}"}`, nil, "!attribute of a resource"},
		{"sub unclosed", `{"Fn::Sub": "a${b"}`, nil, "a${b"},
		{"join", `{"Fn::Join": ["-", ["a", {"Ref": "Stage"}, {"Fn::Select": [1, {"Ref": "Subnets"}]}]]}`, nil, "a-dev-b"},
		{"join bad", `{"Fn::Join": ["-"]}`, nil, "!takes a list of 2 arguments"},
		{"select string index", `{"Fn::Select": ["0", ["x", "y"]]}`, nil, "x"},
		{"select out of range", `{"Fn::Select": [5, ["x"]]}`, nil, "!outside a list of 1"},
		{"split", `{"Fn::Select": [2, {"Fn::Split": [".", "a.b.c"]}]}`, nil, "c"},
		{"split empty delimiter", `{"Fn::Split": ["", "abc"]}`, nil, "!delimiter is empty"},
		{"findinmap", `{"Fn::FindInMap": ["Runtimes", {"Ref": "Stage"}, "py"]}`, nil, "python3.13"},
		{"findinmap missing", `{"Fn::FindInMap": ["Runtimes", "qa", "py"]}`, nil, "!no entry qa/py"},
		{"findinmap default", `{"Fn::FindInMap": ["Runtimes", "qa", "py", {"DefaultValue": "python3.11"}]}`, nil, "python3.11"},
		{"if", `{"Fn::If": ["IsProd", "big", "small"]}`, nil, "small"},
		{"if given", `{"Fn::If": ["IsProd", "big", "small"]}`, map[string]string{"Stage": "prod"}, "big"},
		{"if novalue", `{"Fn::If": ["IsDev", {"Ref": "AWS::NoValue"}, "x"]}`, nil, "null"},
		{"and", `{"Fn::If": ["Both", "y", "n"]}`, nil, "y"},
		{"or decided by one side", `{"Fn::If": ["Either", "y", "n"]}`, nil, "y"},
		{"and undecided", `{"Fn::If": ["Unknown", "y", "n"]}`, nil, "!has no Default"},
		{"condition cycle", `{"Fn::If": ["SelfA", "y", "n"]}`, nil, "!depends on itself"},
		{"condition undefined", `{"Fn::If": ["Nope", "y", "n"]}`, nil, "!not defined in Conditions"},
		{"base64", `{"Fn::Base64": "hi"}`, nil, "aGk="},
		{"getatt", `{"Fn::GetAtt": ["Table", "Arn"]}`, nil, "!known only after deployment"},
		{"importvalue", `{"Fn::ImportValue": "x"}`, nil, "!another stack"},
		{"getazs", `{"Fn::GetAZs": ""}`, nil, "!Availability Zones"},
		{"unknown function", `{"Fn::Frobnicate": 1}`, nil, "!not evaluated here"},
		{"list drops novalue", `["a", {"Ref": "AWS::NoValue"}, "b"]`, nil, "[a, b]"},
		{"data map is not a function", `{"Key": "fn.zip"}`, nil, "{Key: fn.zip}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(tmpl, tc.given)
			v, err := e.Eval(node(t, tc.expr))
			if want, isErr := strings.CutPrefix(tc.want, "!"); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %v, %v; want an error mentioning %q", v.Describe(), err, want)
				}
				if _, ok := AsError(err); !ok {
					t.Errorf("%v is not an *Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := v.Describe()
			if v != nil && v.Kind == Scalar {
				got = v.Value
			}
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestConditionFromDefaults(t *testing.T) {
	tmpl := node(t, template)
	v, fromDefaults, err := New(tmpl, nil).Condition("IsProd")
	if err != nil || v || !fromDefaults {
		t.Errorf("IsProd with the Default: %v %v %v, want false from defaults", v, fromDefaults, err)
	}
	v, fromDefaults, err = New(tmpl, map[string]string{"Stage": "dev"}).Condition("IsDev")
	if err != nil || !v || fromDefaults {
		t.Errorf("IsDev with Stage given: %v %v %v, want true, not from defaults", v, fromDefaults, err)
	}
}

func TestFunctionIsNotAnyOneKeyMap(t *testing.T) {
	for expr, want := range map[string]bool{
		`{"Ref": "x"}`: true, `{"Fn::Sub": "x"}`: true, `{"Condition": "c"}`: true,
		`{"Key": "x"}`: false, `{"Bucket": "b"}`: false, `{"Ref": "x", "Other": 1}`: false,
	} {
		if _, _, got := node(t, expr).Function(); got != want {
			t.Errorf("%s: Function() = %v, want %v", expr, got, want)
		}
	}
}

// FuzzEval evaluates arbitrary JSON expressions against a template with parameters, mappings
// and conditions: errors are fine, panics and runaway evaluation are not.
func FuzzEval(f *testing.F) {
	for _, s := range []string{`{"Ref": "Stage"}`, `{"Fn::Sub": ["${A}${B}", {"A": {"Ref": "Subnets"}}]}`,
		`{"Fn::Join": ["", [{"Fn::If": ["Either", "a", "b"]}]]}`, `{"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}`,
		`{"Fn::FindInMap": ["Runtimes", "dev", "py"]}`, `{"Fn::If": ["SelfA", 1, 2]}`} {
		f.Add(s)
	}
	tmpl := node(f, template)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		e := New(tmpl, map[string]string{"AWS::Region": "eu-west-1"})
		n := fromAny(v)
		e.Eval(n)
		e.String(n)
		n.Describe()
	})
}
