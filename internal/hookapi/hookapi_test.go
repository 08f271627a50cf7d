package hookapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// forms are the two shapes every event in testdata exists in: the resource type in both targetType
// and targetName (the Lambda hooks user guide), and targetType RESOURCE with the type in
// targetName (the API reference's HookTarget, cloudformation-cli hook_client.py, the Java plugin's
// test requests). Stack and change-set events carry their template by payload URL in the first
// and inline in the second, as the Java plugin's stack-level request does.
var forms = []string{"", "target-resource"}

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeCase is what one testdata event must decode to.
type decodeCase struct {
	file       string
	point      InvocationPoint
	resource   bool
	logicalID  string
	runtime    string
	arch       string
	bucket     string
	key        string
	version    string
	zipFile    bool
	pkgType    string
	layers     int
	invocation int
	tags       map[string]string
}

func TestDecodeEvents(t *testing.T) {
	tests := []decodeCase{
		{file: "create.json", point: CreatePreProvision, resource: true, logicalID: "HelloFunction", runtime: "provided.al2023", arch: "arm64",
			bucket: "cdk-hnb659fds-assets-123456789012-us-east-1", key: "3f1c0e5d9b7a.zip", invocation: 1, tags: map[string]string{"team": "payments"}},
		{file: "update.json", point: UpdatePreProvision, resource: true, logicalID: "HelloFunction", runtime: "provided.al2023", arch: "x86_64",
			bucket: "cdk-hnb659fds-assets-123456789012-us-east-1", key: "9e8d7c6b5a4f.zip", version: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", invocation: 1},
		{file: "delete.json", point: DeletePreProvision, resource: true, logicalID: "HelloFunction", invocation: 1},
		{file: "stack.json", point: CreatePreProvision, logicalID: "App", invocation: 1},
		{file: "change-set.json", point: CreatePreProvision, logicalID: "arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs-1/7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", invocation: 1},
		{file: "image.json", point: CreatePreProvision, resource: true, logicalID: "ImageFunction", arch: "x86_64", pkgType: "Image", invocation: 1},
		{file: "inline.json", point: CreatePreProvision, resource: true, logicalID: "InlineFunction", runtime: "python3.13", zipFile: true, invocation: 1},
		{file: "layers.json", point: CreatePreProvision, resource: true, logicalID: "LayeredFunction", runtime: "provided.al2023", arch: "x86_64",
			bucket: "cdk-hnb659fds-assets-123456789012-us-east-1", key: "5a4b3c2d1e0f.zip", layers: 1, invocation: 1},
		{file: "exempt.json", point: CreatePreProvision, resource: true, logicalID: "LegacyFunction", runtime: "go1.x",
			bucket: "legacy-artifacts", key: "legacy.zip", invocation: 1, tags: map[string]string{"bootstrap-guard:exempt": "CHG-1234 retired after the Q3 migration"}},
		{file: "lenient.json", point: UpdatePreProvision, resource: true, logicalID: "LenientFunction", runtime: "provided.al2", arch: "arm64",
			bucket: "artifacts-123", key: "fn.zip", version: "7", invocation: 2, tags: map[string]string{"cost-centre": "4711", "public": "false"}},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(filepath.Join(form, tt.file), func(t *testing.T) { checkDecoded(t, filepath.Join(form, tt.file), tt) })
		}
	}
}

func checkDecoded(t *testing.T, file string, tt decodeCase) {
	t.Helper()
	req, err := DecodeRequest(readEvent(t, file))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	if tt.resource && req.Type() != TypeLambdaFunction {
		t.Errorf("Type = %q, want %s", req.Type(), TypeLambdaFunction)
	}
	if req.ActionInvocationPoint != tt.point {
		t.Errorf("point = %q, want %q", req.ActionInvocationPoint, tt.point)
	}
	if got := req.IsResource(); got != tt.resource {
		t.Errorf("IsResource = %v, want %v", got, tt.resource)
	}
	if req.RequestData.TargetLogicalID != tt.logicalID {
		t.Errorf("logical ID = %q, want %q", req.RequestData.TargetLogicalID, tt.logicalID)
	}
	if int(req.RequestContext.Invocation) != tt.invocation {
		t.Errorf("invocation = %d, want %d", req.RequestContext.Invocation, tt.invocation)
	}
	if req.ClientRequestToken == "" {
		t.Error("clientRequestToken is empty")
	}
	if !tt.resource {
		return
	}
	p, err := req.RequestData.TargetModel.FunctionProperties()
	if err != nil {
		t.Fatalf("FunctionProperties: %v", err)
	}
	got := []string{string(p.Runtime), p.Architecture(), string(p.Code.S3Bucket), string(p.Code.S3Key), string(p.Code.S3ObjectVersion), string(p.PackageType)}
	want := []string{tt.runtime, tt.arch, tt.bucket, tt.key, tt.version, tt.pkgType}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runtime, arch, bucket, key, version, package type = %q, want %q", got, want)
	}
	if (p.Code.ZipFile != "") != tt.zipFile {
		t.Errorf("ZipFile = %q, want set: %v", p.Code.ZipFile, tt.zipFile)
	}
	if len(p.Layers) != tt.layers {
		t.Errorf("layers = %q, want %d", p.Layers, tt.layers)
	}
	for k, v := range tt.tags {
		if got, ok := p.Tag(k); !ok || got != v {
			t.Errorf("tag %q = %q (present %v), want %q", k, got, ok, v)
		}
	}
}

// TestBothForms holds the two sets of events to each other: every event exists in both, the
// second has targetType RESOURCE wherever the first has the resource type, and both decode to the
// same target and properties.
func TestBothForms(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	twins, _ := filepath.Glob("testdata/target-resource/*.json")
	if len(twins) != len(files) {
		t.Errorf("%d events but %d in the RESOURCE form", len(files), len(twins))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			a, b := readEvent(t, name), readEvent(t, filepath.Join("target-resource", name))
			ra, errA := DecodeRequest(a)
			rb, errB := DecodeRequest(b)
			if (errA != nil) != (errB != nil) {
				t.Fatalf("decode errors differ: %v / %v", errA, errB)
			}
			if ClientToken(a) != ClientToken(b) {
				t.Errorf("tokens differ: %q / %q", ClientToken(a), ClientToken(b))
			}
			if errA != nil {
				return
			}
			if ra.Type() != rb.Type() || ra.IsResource() != rb.IsResource() || ra.RequestData.TargetLogicalID != rb.RequestData.TargetLogicalID ||
				ra.ActionInvocationPoint != rb.ActionInvocationPoint {
				t.Errorf("targets differ: %s %v %s / %s %v %s", ra.Type(), ra.IsResource(), ra.RequestData.TargetLogicalID, rb.Type(), rb.IsResource(), rb.RequestData.TargetLogicalID)
			}
			if !ra.IsResource() {
				return
			}
			if ra.RequestData.TargetType != ra.RequestData.TargetName {
				t.Errorf("user-guide form: targetType %q, targetName %q", ra.RequestData.TargetType, ra.RequestData.TargetName)
			}
			if rb.RequestData.TargetType != TargetResource || rb.RequestData.TargetName != ra.RequestData.TargetName {
				t.Errorf("RESOURCE form: targetType %q, targetName %q", rb.RequestData.TargetType, rb.RequestData.TargetName)
			}
			pa, errA := ra.RequestData.TargetModel.FunctionProperties()
			pb, errB := rb.RequestData.TargetModel.FunctionProperties()
			if (errA != nil) != (errB != nil) || !reflect.DeepEqual(pa, pb) {
				t.Errorf("properties differ: %+v (%v) / %+v (%v)", pa, errA, pb, errB)
			}
		})
	}
}

// TestTarget covers every combination of targetType and targetName the sources show, and the
// ones they do not that the hook must still not misread.
func TestTarget(t *testing.T) {
	tests := []struct {
		targetType, targetName string
		typ                    string // Type(); "" means DecodeRequest rejects the request
		resource               bool
	}{
		{"AWS::Lambda::Function", "AWS::Lambda::Function", TypeLambdaFunction, true}, // Lambda hooks user guide
		{"RESOURCE", "AWS::Lambda::Function", TypeLambdaFunction, true},              // API HookTarget, hook_client.py, Java plugin
		{"RESOURCE", "AWS::S3::Bucket", "AWS::S3::Bucket", true},
		{"AWS::Lambda::Function", "", TypeLambdaFunction, true}, // older fixtures of ours: type only in targetType
		{"", "AWS::Lambda::Function", TypeLambdaFunction, true},
		{"RESOURCE", "", "", false},
		{"AWS::Lambda::Function", "RESOURCE", TypeLambdaFunction, true}, // the fields swapped: no source, but never a silent pass
		{"RESOURCE", "RESOURCE", "", false},
		{"STACK", "STACK", TargetStack, false}, // Java plugin stack-level request
		{"STACK", "App", TargetStack, false},
		{"", "STACK", TargetStack, false},
		{"CHANGE_SET", "CHANGE_SET", TargetChangeSet, false},
		{"RESOURCE", "CHANGE_SET", TargetChangeSet, false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.targetType+"|"+tt.targetName, func(t *testing.T) {
			ev, _ := json.Marshal(map[string]any{"actionInvocationPoint": "CREATE_PRE_PROVISION",
				"requestData": map[string]any{"targetType": tt.targetType, "targetName": tt.targetName, "targetLogicalId": "X"}})
			req, err := DecodeRequest(ev)
			if tt.typ == "" {
				if err == nil {
					t.Fatalf("accepted; Type() = %q", req.Type())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Type() != tt.typ || req.IsResource() != tt.resource {
				t.Errorf("Type, IsResource = %q, %v; want %q, %v", req.Type(), req.IsResource(), tt.typ, tt.resource)
			}
		})
	}
}

func TestTargetModel(t *testing.T) {
	tests := []struct {
		model             string
		empty, properties bool
	}{
		{`null`, true, false},
		{`{}`, true, false},
		{`{"resourceProperties":null,"previousResourceProperties":null}`, true, false},
		{`{"resourceProperties":{},"previousResourceProperties":{}}`, true, false},
		{`{"resourceProperties":"","previousResourceProperties":""}`, true, false},
		{`{"resourceProperties":{"Runtime":"provided.al2023"}}`, false, true},
		{`{"resourceProperties":{},"previousResourceProperties":{"Runtime":"provided.al2023"}}`, false, false},
		{`{"resourceProperties":"{\"Runtime\":\"provided.al2023\"}"}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			var m *TargetModel
			if err := json.Unmarshal([]byte(tt.model), &m); err != nil {
				t.Fatal(err)
			}
			if m.IsEmpty() != tt.empty || m.HasProperties() != tt.properties {
				t.Errorf("IsEmpty, HasProperties = %v, %v; want %v, %v", m.IsEmpty(), m.HasProperties(), tt.empty, tt.properties)
			}
		})
	}
	// Properties given as a string holding an object decode like the object.
	m, err := DecodeTargetModel([]byte(`{"resourceProperties":"{\"Runtime\":\"provided.al2023\",\"Environment\":{\"Variables\":{\"AWS_LAMBDA_EXEC_WRAPPER\":\"/opt/wrap\",\"N\":3}}}"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.FunctionProperties()
	if err != nil || p.Runtime != "provided.al2023" || p.Env()["AWS_LAMBDA_EXEC_WRAPPER"] != "/opt/wrap" || p.Env()["N"] != "3" {
		t.Errorf("stringified properties: %+v, %v", p, err)
	}
	if _, err := (&TargetModel{ResourceProperties: json.RawMessage(`"surprise"`)}).FunctionProperties(); err == nil {
		t.Error("a string that is not an object: no error")
	}
	if _, err := DecodeTargetModel([]byte(`[1]`)); err == nil {
		t.Error("DecodeTargetModel of a list: no error")
	}
}

// TestRoundTrip encodes each decoded event and decodes it again: nothing the hook reads may be lost
// or changed on the way.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	twins, _ := filepath.Glob("testdata/target-resource/*.json")
	for _, f := range append(files, twins...) {
		name, _ := filepath.Rel("testdata", f)
		if strings.HasPrefix(filepath.Base(name), "malformed") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			first, err := DecodeRequest(readEvent(t, name))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(first)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			second, err := DecodeRequest(b)
			if err != nil {
				t.Fatalf("decode again: %v\n%s", err, b)
			}
			b2, err := json.Marshal(second)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(b2) {
				t.Errorf("second encoding differs:\n%s\n%s", b, b2)
			}
			if first.ClientRequestToken != second.ClientRequestToken || first.RequestData.TargetLogicalID != second.RequestData.TargetLogicalID ||
				first.ActionInvocationPoint != second.ActionInvocationPoint || first.StackID != second.StackID {
				t.Errorf("header changed: %+v -> %+v", first, second)
			}
			if first.IsResource() {
				p1, err1 := first.RequestData.TargetModel.FunctionProperties()
				p2, err2 := second.RequestData.TargetModel.FunctionProperties()
				if err1 != nil || err2 != nil {
					t.Fatalf("properties: %v, %v", err1, err2)
				}
				if !reflect.DeepEqual(p1, p2) {
					t.Errorf("properties changed:\n%+v\n%+v", p1, p2)
				}
				// The typed properties round-trip too.
				pb, err := json.Marshal(p1)
				if err != nil {
					t.Fatal(err)
				}
				var p3 FunctionProperties
				if err := json.Unmarshal(pb, &p3); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(p1, p3) {
					t.Errorf("typed properties changed:\n%+v\n%+v", p1, p3)
				}
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		file       string
		requestErr bool // DecodeRequest fails; otherwise FunctionProperties does
		token      string
	}{
		{"malformed-truncated.json", true, "5d1e2f3a-truncated"},
		{"malformed-empty.json", true, "3b2a1c0d-empty"},
		{"malformed-code.json", false, "f8da6d11-b3c4-4f11-9c0e-3a3a5d2b1c01"},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(filepath.Join(form, tt.file), func(t *testing.T) { checkMalformed(t, filepath.Join(form, tt.file), tt.requestErr, tt.token) })
		}
	}
}

func checkMalformed(t *testing.T, file string, requestErr bool, token string) {
	t.Helper()
	b := readEvent(t, file)
	req, err := DecodeRequest(b)
	if (err != nil) != requestErr {
		t.Fatalf("DecodeRequest error = %v, want error: %v", err, requestErr)
	}
	if !requestErr {
		if _, err := req.RequestData.TargetModel.FunctionProperties(); err == nil {
			t.Error("FunctionProperties: no error for Code given as a list")
		}
	}
	// A truncated document is not JSON at all, so even the token is lost there.
	if !json.Valid(b) {
		token = ""
	}
	if got := ClientToken(b); got != token {
		t.Errorf("ClientToken = %q, want %q", got, token)
	}
}

func TestLenientScalars(t *testing.T) {
	tests := []struct {
		in      string
		want    String
		wantErr bool
	}{
		{`"x86_64"`, "x86_64", false},
		{`128`, "128", false},
		{`1.5`, "1.5", false},
		{`true`, "true", false},
		{`false`, "false", false},
		{`null`, "", false},
		{`{"Ref":"X"}`, "", true},
		{`["a"]`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var s String
			err := json.Unmarshal([]byte(tt.in), &s)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error: %v", err, tt.wantErr)
			}
			if s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
	var l StringList
	if err := json.Unmarshal([]byte(`["a", 1, true]`), &l); err != nil || !reflect.DeepEqual(l, StringList{"a", "1", "true"}) {
		t.Errorf("StringList = %q, %v; want [a 1 true]", l, err)
	}
	var n Int
	if err := json.Unmarshal([]byte(`"3"`), &n); err != nil || n != 3 {
		t.Errorf("Int from \"3\" = %d, %v", n, err)
	}
	if err := json.Unmarshal([]byte(`"three"`), &n); err == nil {
		t.Error("Int from \"three\": no error")
	}
}

func TestResponseWire(t *testing.T) {
	r := Response{HookStatus: StatusFailed, ErrorCode: NonCompliant, Message: "m", ClientRequestToken: "tok",
		Annotations: []Annotation{{AnnotationName: "bootstrap-missing", Status: AnnotationFailed, SeverityLevel: SeverityHigh,
			StatusMessage: "s", RemediationMessage: "r", RemediationLink: "https://example.com/help"}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"hookStatus":"FAILED","errorCode":"NonCompliant","message":"m","clientRequestToken":"tok","annotations":[{"annotationName":"bootstrap-missing","status":"FAILED","statusMessage":"s","remediationMessage":"r","remediationLink":"https://example.com/help","severityLevel":"HIGH"}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	// SUCCESS carries no errorCode and still echoes an empty token, which CloudFormation requires.
	b, _ = json.Marshal(Response{HookStatus: StatusSuccess})
	if want := `{"hookStatus":"SUCCESS","clientRequestToken":""}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// TestImageConfig: ImageUri and ImageConfig of an image function, with CloudFormation's lenient
// shapes (a scalar where a list is expected).
func TestImageConfig(t *testing.T) {
	m := TargetModel{ResourceProperties: []byte(`{"PackageType":"Image","Code":{"ImageUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1"},
		"ImageConfig":{"EntryPoint":"/app/bootstrap","Command":["serve",8080],"WorkingDirectory":"/app"}}`)}
	p, err := m.FunctionProperties()
	if err != nil {
		t.Fatal(err)
	}
	if p.Code.ImageURI != "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1" || strings.Join(p.ImageConfig.EntryPoint, " ") != "/app/bootstrap" ||
		strings.Join(p.ImageConfig.Command, " ") != "serve 8080" || p.ImageConfig.WorkingDirectory != "/app" {
		t.Errorf("got %+v", p)
	}
	if _, err := (&TargetModel{ResourceProperties: []byte(`{"ImageConfig":{"EntryPoint":{"a":1}}}`)}).FunctionProperties(); err == nil {
		t.Error("an object as EntryPoint was accepted")
	}
}

// TestClamp holds a response to the lengths the API reference gives for the message and the
// Annotation fields.
func TestClamp(t *testing.T) {
	long := strings.Repeat("é", 20000) // 40000 bytes
	r := Response{Message: long, Annotations: []Annotation{{AnnotationName: long, StatusMessage: long, RemediationMessage: long,
		RemediationLink: "https://example.com/" + strings.Repeat("a", MaxAnnotationLink)}, {AnnotationName: "short", StatusMessage: "ok", RemediationLink: "https://example.com/help"}}}
	r.Clamp()
	a := r.Annotations[0]
	for _, c := range []struct {
		name string
		s    string
		max  int
	}{{"message", r.Message, MaxMessage}, {"annotationName", a.AnnotationName, MaxAnnotationName},
		{"statusMessage", a.StatusMessage, MaxAnnotationStatusMsg}, {"remediationMessage", a.RemediationMessage, MaxAnnotationRemediation}} {
		if len(c.s) > c.max || len(c.s) < c.max-8 || !utf8.ValidString(c.s) || !strings.HasSuffix(c.s, "…") {
			t.Errorf("%s: %d bytes (max %d), valid UTF-8 %v", c.name, len(c.s), c.max, utf8.ValidString(c.s))
		}
	}
	if a.RemediationLink != "" {
		t.Errorf("an over-long link is kept cut: %d bytes", len(a.RemediationLink))
	}
	if b := r.Annotations[1]; b.AnnotationName != "short" || b.StatusMessage != "ok" || b.RemediationLink != "https://example.com/help" {
		t.Errorf("short annotation changed: %+v", b)
	}
}
