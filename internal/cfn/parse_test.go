package cfn

import "testing"

// TestParseShortForms: each short-form tag becomes its full form, positions are kept, anchors and
// merge keys work, and JSON and YAML of the same template give the same tree.
func TestParseShortForms(t *testing.T) {
	yml := `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: &props
      Role: !GetAtt Db.Endpoint.Address
      Runtime: !If [IsNew, !Ref New, !Sub "python${V}"]
      Handler: !Join ['.', [app, !Select [0, !Split [',', 'h,x']]]]
      Code: !Frob x
  Other:
    Type: AWS::Lambda::Function
    Properties:
      <<: *props
      Runtime: python3.13
`
	n, err := parseNode([]byte(yml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fn := n.Get("Resources").Get("Fn")
	props := fn.Get("Properties")
	for key, want := range map[string]string{
		"Role":    `!GetAtt Db.Endpoint.Address`,
		"Runtime": `!If [IsNew, !Ref New, !Sub "python${V}"]`,
		"Handler": `!Join [., [app, !Select [0, !Split [",", "h,x"]]]]`,
		"Code":    `!Frob x`,
	} {
		if got := props.Get(key).Describe(); got != want {
			t.Errorf("%s: got %s, want %s", key, got, want)
		}
	}
	if name, arg, _ := props.Get("Role").Function(); name != "Fn::GetAtt" || arg.Items[0].Value != "Db" || arg.Items[1].Value != "Endpoint.Address" {
		t.Errorf("GetAtt split: %s %s", name, arg.Describe())
	}
	if l, c := n.Get("Resources").KeyPos("Other"); l != 9 || c != 3 {
		t.Errorf("Other at %d:%d, want 9:3", l, c)
	}
	if r := props.Get("Runtime"); r.Line != 6 || r.Column != 16 {
		t.Errorf("Runtime value at %d:%d, want 6:16", r.Line, r.Column)
	}
	other := n.Get("Resources").Get("Other").Get("Properties")
	if other.Get("Runtime").Value != "python3.13" || other.Get("Handler").Describe() != props.Get("Handler").Describe() {
		t.Errorf("merge key: %s", other.Describe())
	}

	js := `{"Resources": {"Fn": {"Type": "AWS::Lambda::Function",
  "Properties": {"Runtime": {"Fn::If": ["IsNew", {"Ref": "New"}, {"Fn::Sub": "python${V}"}]}}}}}`
	j, err := parseNode([]byte(js), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	jr := j.Get("Resources").Get("Fn").Get("Properties").Get("Runtime")
	if jr.Describe() != props.Get("Runtime").Describe() {
		t.Errorf("JSON %s differs from YAML %s", jr.Describe(), props.Get("Runtime").Describe())
	}
	if jr.Line != 2 || jr.Column != 29 {
		t.Errorf("JSON Runtime value at %d:%d, want 2:29", jr.Line, jr.Column)
	}
	if l, c := j.Get("Resources").KeyPos("Fn"); l != 1 || c != 16 {
		t.Errorf("JSON Fn at %d:%d, want 1:16", l, c)
	}
	// Flow-style YAML that is not strict JSON still reads.
	if f, err := parseNode([]byte(`{Resources: {Fn: {Type: AWS::Lambda::Function}}}`), "flow.yaml"); err != nil || f.Get("Resources").Get("Fn").Get("Type").Value != "AWS::Lambda::Function" {
		t.Errorf("flow YAML: %v", err)
	}
}
