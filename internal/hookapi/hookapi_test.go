package hookapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeEvents(t *testing.T) {
	tests := []struct {
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
	}{
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
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			req, err := DecodeRequest(readEvent(t, tt.file))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
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
		})
	}
}

// TestRoundTrip encodes each decoded event and decodes it again: nothing the hook reads may be lost
// or changed on the way.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "malformed") {
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
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readEvent(t, tt.file)
			req, err := DecodeRequest(b)
			if (err != nil) != tt.requestErr {
				t.Fatalf("DecodeRequest error = %v, want error: %v", err, tt.requestErr)
			}
			if !tt.requestErr {
				if _, err := req.RequestData.TargetModel.FunctionProperties(); err == nil {
					t.Error("FunctionProperties: no error for Code given as a list")
				}
			}
			// A truncated document is not JSON at all, so even the token is lost there.
			want := tt.token
			if !json.Valid(b) {
				want = ""
			}
			if got := ClientToken(b); got != want {
				t.Errorf("ClientToken = %q, want %q", got, want)
			}
		})
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
