package cfnspec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// miniDB is a service spec database in the real one's layout, with two resource types.
const miniDB = `{"schema":{
 "resource":{"type":"entities","entities":[
  {"$id":"1","cloudFormationType":"AWS::CloudFormation::LambdaHook","attributes":{"HookArn":{"type":{"type":"string"}}},
   "properties":{
    "FailureMode":{"type":{"type":"string","allowedValues":["FAIL","WARN"]},"required":true},
    "HookStatus":{"type":{"type":"string","allowedValues":["ENABLED","DISABLED"]},"required":true},
    "TargetOperations":{"type":{"type":"array","element":{"type":"string"}},"required":true},
    "StackFilters":{"type":{"type":"ref","reference":{"$ref":"9"}}}}},
  {"$id":"2","cloudFormationType":"AWS::Lambda::Function","attributes":{"Arn":{"type":{"type":"string"}}},
   "properties":{"MemorySize":{"type":{"type":"integer"}},"Tags":{"type":{"type":"array","element":{"type":"tag"}}},
    "Environment":{"type":{"type":"map","element":{"type":"string"}}}}}]},
 "typeDefinition":{"type":"entities","entities":[
  {"$id":"9","name":"StackFilters","properties":{"FilteringCriteria":{"type":{"type":"string","allowedValues":["ALL","ANY"]},"required":true}}}]}}}`

func mini(t *testing.T) *Spec {
	t.Helper()
	s, err := Parse([]byte(miniDB))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, template string
		want           []string // substrings of the errors, in order; none: valid
	}{
		{"valid", `{"Parameters":{"Mode":{"Type":"String"}},"Conditions":{"On":{"Fn::Equals":[{"Ref":"Mode"},"FAIL"]}},
		  "Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"MemorySize":"256","Tags":[{"Key":"a","Value":"b"}],"Environment":{"A":{"Fn::Sub":"${AWS::Region}-${Mode}-${!Literal}"}}}},
		  "Hook":{"Type":"AWS::CloudFormation::LambdaHook","Condition":"On","Properties":{"FailureMode":{"Fn::If":["On",{"Ref":"Mode"},"WARN"]},"HookStatus":"ENABLED",
		   "TargetOperations":["RESOURCE",{"Ref":"AWS::NoValue"}],"StackFilters":{"FilteringCriteria":"ALL"}}}},
		  "Outputs":{"Arn":{"Value":{"Fn::GetAtt":["Fn","Arn"]}}}}`, nil},
		{"unknown type", `{"Resources":{"X":{"Type":"AWS::Lambda::Functoin"}}}`, []string{`unknown resource type "AWS::Lambda::Functoin"`}},
		{"unknown and missing properties", `{"Resources":{"H":{"Type":"AWS::CloudFormation::LambdaHook","Properties":{"failureMode":"FAIL","HookStatus":"ENABLED","TargetOperations":[]}}}}`,
			[]string{"required property FailureMode is missing", "unknown property failureMode (did you mean FailureMode?)"}},
		{"allowed values, in both branches of Fn::If", `{"Conditions":{"C":{"Fn::Equals":["a","a"]}},"Resources":{"H":{"Type":"AWS::CloudFormation::LambdaHook","Properties":{"FailureMode":{"Fn::If":["C","FAIL","STOP"]},"HookStatus":"ON","TargetOperations":[]}}}}`,
			[]string{`FailureMode.Fn::If[2]: "STOP" is not one of FAIL WARN`, `HookStatus: "ON" is not one of ENABLED DISABLED`}},
		{"property type", `{"Resources":{"H":{"Type":"AWS::CloudFormation::LambdaHook","Properties":{"FailureMode":"FAIL","HookStatus":"ENABLED","TargetOperations":"RESOURCE","StackFilters":{"FilteringCriteria":"SOME"}}}}}`,
			[]string{`StackFilters.FilteringCriteria: "SOME" is not one of ALL ANY`, "TargetOperations: want a list"}},
		{"numbers and tags", `{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"MemorySize":256.5,"Tags":[{"Key":"a"}]}}}}`,
			[]string{"MemorySize: want an integer", "Tags.0: required property Value is missing"}},
		{"references", `{"Resources":{"F":{"Type":"AWS::Lambda::Function","Condition":"Nope","Properties":{"Environment":{"A":{"Ref":"Missing"},"B":{"Fn::Sub":"${Other.Arn}"},"C":{"Fn::GetAtt":["F","Nope"]}}}}}}`,
			[]string{"Condition: \"Nope\" is not defined", "Environment.A: Ref Missing names no parameter", "Environment.B: Fn::GetAtt Other.Arn names no resource", "Environment.C: Fn::GetAtt: F (AWS::Lambda::Function) has no attribute Nope"}},
		{"parameter type", `{"Parameters":{"P":{"Type":"Strng"}},"Resources":{"F":{"Type":"AWS::Lambda::Function"}}}`, []string{`type "Strng" is not a CloudFormation parameter type`}},
		{"not JSON", `Resources:`, []string{"not a JSON template"}},
	}
	s := mini(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := s.Validate([]byte(tt.template))
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tt.want), errs)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d: %v, want %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, b := range []string{``, `[]`, `{"schema":{}}`} {
		if _, err := Parse([]byte(b)); err == nil {
			t.Errorf("Parse(%q): no error", b)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "db.json.gz")); err == nil || !strings.Contains(err.Error(), "db.json.gz") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// DBPath finds the cached database (make cfn-spec-cache): $BOOTSTRAP_GUARD_CFN_SPEC, else
// .cache/cfnspec/db.json.gz of the module root. The tests of the real templates skip without it,
// unless BOOTSTRAP_GUARD_REQUIRE_SERVERS is set (make test), when they fail.
func TestRealDatabase(t *testing.T) {
	path := DBPath()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") != "" {
			t.Fatalf("%v: run make cfn-spec-cache", err)
		}
		t.Skipf("%v: run make cfn-spec-cache", err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hook := s.Resources["AWS::CloudFormation::LambdaHook"]
	if hook == nil || !hook.Properties["FailureMode"].Required || len(hook.Properties["FailureMode"].Type.AllowedValues) != 2 {
		t.Fatalf("LambdaHook in the database: %+v", hook)
	}
	good := `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"DisplayName":"x"}}}}`
	if errs := s.Validate([]byte(good)); len(errs) != 0 {
		t.Errorf("a valid topic: %v", errs)
	}
	bad := `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"DisplayNmae":"x"}}}}`
	if errs := s.Validate([]byte(bad)); len(errs) != 1 {
		t.Errorf("a misspelt property: %v", errs)
	}
}

func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"Resources":{"H":{"Type":"AWS::CloudFormation::LambdaHook","Properties":{"FailureMode":{"Fn::If":["C","FAIL",{"Fn::Sub":"${A.B}${"}]}}}}}`))
	f.Add([]byte(`{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"Tags":[[[[]]]]}}}}`))
	s, err := Parse([]byte(miniDB))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s.Validate(b)
	})
}

// TestDeployed: conditions drop resources, Fn::If picks a branch, parameters take their values or
// defaults, references to resources stay.
func TestDeployed(t *testing.T) {
	tmpl := `{"Parameters":{"Mode":{"Type":"String","Default":"FAIL"},"Names":{"Type":"CommaDelimitedList","Default":""}},
	 "Conditions":{"Warn":{"Fn::Equals":[{"Ref":"Mode"},"WARN"]},"HasNames":{"Fn::Not":[{"Fn::Equals":[{"Fn::Join":["",{"Ref":"Names"}]},""]}]}},
	 "Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"MemorySize":256,"Environment":{"M":{"Ref":"Mode"},"R":{"Fn::Sub":"${AWS::Region}"},
	   "N":{"Fn::If":["HasNames",{"Fn::Join":[",",{"Ref":"Names"}]},{"Ref":"AWS::NoValue"}]},"A":{"Fn::GetAtt":["Other","Arn"]}}}},
	  "OnlyWarn":{"Type":"AWS::SNS::Topic","Condition":"Warn","Properties":{"DisplayName":{"Fn::If":["Warn","w",{"Fn::GetAtt":["Fn","Arn"]}]}}}}}`
	for _, tt := range []struct {
		name  string
		given map[string]string
		want  string
	}{
		{"defaults", map[string]string{"AWS::Region": "eu-west-1"},
			`{"Fn":{"Properties":{"Environment":{"A":{"Fn::GetAtt":["Other","Arn"]},"M":"FAIL","R":"eu-west-1"},"MemorySize":"256"},"Type":"AWS::Lambda::Function"}}`},
		{"given", map[string]string{"AWS::Region": "eu-west-1", "Mode": "WARN", "Names": "a,b"},
			`{"Fn":{"Properties":{"Environment":{"A":{"Fn::GetAtt":["Other","Arn"]},"M":"WARN","N":"a,b","R":"eu-west-1"},"MemorySize":"256"},"Type":"AWS::Lambda::Function"},"OnlyWarn":{"Properties":{"DisplayName":"w"},"Type":"AWS::SNS::Topic"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Deployed([]byte(tmpl), tt.given)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
	if _, err := Deployed([]byte(`{"Resources":{"X":{"Type":"T","Condition":"Missing"}}}`), nil); err == nil {
		t.Error("an undefined condition: no error")
	}
}

func TestCanonicalPolicies(t *testing.T) {
	var v any
	json.Unmarshal([]byte(`{"P":{"Statement":[{"Action":["s3:GetObject"],"Resource":["a","b"],"NotResource":["c"]}]},"Resource":["x"],"Other":["y"]}`), &v)
	b, _ := json.Marshal(CanonicalPolicies(v))
	if want := `{"Other":["y"],"P":{"Statement":[{"Action":"s3:GetObject","NotResource":"c","Resource":["a","b"]}]},"Resource":"x"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
