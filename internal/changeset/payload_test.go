package changeset

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// The request of the change-set fixtures (internal/hookapi/testdata/change-set.json).
var testRequest = Request{
	AccountID:   "123456789012",
	StackID:     "arn:aws:cloudformation:us-east-1:123456789012:stack/App/1a2b3c4d-5e6f-11ef-9c7a-0a1b2c3d4e5f",
	ChangeSetID: "arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs-1/7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
}

func readPayload(t *testing.T, name string) *Payload {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return p
}

// want is what a selected function must look like: its action, the S3 location read (when
// checked now) or a text of the deferral reason.
type want struct {
	id, action      string
	bucket, key     string
	deferred        string // substring of Function.Deferred; "" means checked now
	arch, exemptTag string
	unknown         []string
}

// TestFunctions reads the three real-shaped payloads in testdata (the user guide's camelCase
// with string contexts, the registry libraries' PascalCase, contexts as objects with SAM
// functions) and checks which functions are selected and how each is read.
func TestFunctions(t *testing.T) {
	tests := []struct {
		file     string
		template bool
		want     []want
	}{
		{file: "user-guide.json", template: true, want: []want{
			// Literal location; an unknown application variable is left out, not deferred.
			{id: "Good", action: "CREATE", bucket: "assets", key: "good.zip", arch: "arm64", unknown: []string{"TABLE_NAME"}},
			// A CDK asset bucket written with pseudo parameters, resolved from the request.
			{id: "Nested", action: "UPDATE", bucket: "cdk-hnb659fds-assets-123456789012-us-east-1", key: "nested.zip", arch: "arm64"},
			{id: "LaterKey", action: "CREATE", deferred: "Code is known only when the change set executes (Code.S3Key: " + KnownAfterApply},
			{id: "NewLayer", action: "CREATE", deferred: "Layers is known only when the change set executes (!Ref DepsLayer1A2B3C4D)"},
			// Retired (DELETE) and Bucket (not a function) are not selected.
		}},
		{file: "registry.json", template: true, want: []want{
			{id: "Good", action: "CREATE", bucket: "assets", key: "good.zip", arch: "arm64"},
			{id: "Nested", action: "UPDATE", bucket: "assets", key: "nested.zip", arch: "arm64"},
			{id: "Placeholder", action: "CREATE", deferred: "not a JSON object"},
		}},
		{file: "objects.json", template: true, want: []want{
			{id: "Good", action: "CREATE", bucket: "assets", key: "good.zip", arch: "arm64"},
			{id: "SamFn", action: "CREATE", bucket: "sam-artifacts-123456789012", key: "nested.zip", arch: "arm64", exemptTag: "bootstrap-nested: vendor ships bin/hello"},
			{id: "SamLocal", action: "CREATE", deferred: `CodeUri "./hello" is not an S3 location`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := readPayload(t, tt.file)
			if tt.template && p.Template == "" {
				t.Error("template not read")
			}
			fns := p.Functions(testRequest)
			if len(fns) != len(tt.want) {
				var ids []string
				for _, f := range fns {
					ids = append(ids, f.LogicalID+":"+f.Deferred)
				}
				t.Fatalf("selected %d functions %q, want %d", len(fns), ids, len(tt.want))
			}
			for i, w := range tt.want {
				t.Run(w.id, func(t *testing.T) {
					f := fns[i]
					if f.LogicalID != w.id || f.Action != w.action {
						t.Fatalf("function %d = %s %s, want %s %s", i, f.LogicalID, f.Action, w.id, w.action)
					}
					if w.deferred != "" {
						if !strings.Contains(f.Deferred, w.deferred) {
							t.Errorf("deferred %q, want it to hold %q", f.Deferred, w.deferred)
						}
						return
					}
					if f.Deferred != "" {
						t.Fatalf("deferred: %s", f.Deferred)
					}
					c := f.Props.Code
					if string(c.S3Bucket) != w.bucket || string(c.S3Key) != w.key {
						t.Errorf("code s3://%s/%s, want s3://%s/%s", c.S3Bucket, c.S3Key, w.bucket, w.key)
					}
					if f.Props.Architecture() != w.arch || f.Props.Runtime != "provided.al2023" || f.Props.Handler != "bootstrap" {
						t.Errorf("props %+v", f.Props)
					}
					if v, _ := f.Props.Tag("bootstrap-guard:exempt"); v != w.exemptTag {
						t.Errorf("exemption tag %q, want %q", v, w.exemptTag)
					}
					if strings.Join(f.Unknown, ",") != strings.Join(w.unknown, ",") {
						t.Errorf("unknown variables %q, want %q", f.Unknown, w.unknown)
					}
				})
			}
		})
	}
}

// TestDecodeErrors: what is not a change set is an error wrapping ErrPayload, naming the problem.
func TestDecodeErrors(t *testing.T) {
	big := `{"changedResources":[` + strings.Repeat(`{"action":"DELETE"},`, MaxChanges) + `{"action":"DELETE"}]}`
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "not a JSON object"},
		{"XML error", "<Error><Code>AccessDenied</Code></Error>", "not a JSON object"},
		{"list", "[]", "not a JSON object"},
		{"truncated", `{"changedResources":[{"logicalResourceId":"A"`, "unexpected end"},
		{"no changedResources", `{"template":"{}"}`, "no changedResources"},
		{"changedResources not a list", `{"changedResources":{}}`, "cannot unmarshal"},
		{"too many", big, "more than 1000"},
		{"context a number", `{"changedResources":[{"afterContext":5}]}`, "want a JSON string or object"},
		{"logical ID an object", `{"changedResources":[{"logicalResourceId":{}}]}`, "want a scalar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if !errors.Is(err, ErrPayload) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrPayload with %q", err, tt.want)
			}
		})
	}
	if _, err := Decode(make([]byte, MaxPayload+1)); !errors.Is(err, ErrPayload) {
		t.Errorf("oversized: %v", err)
	}
}

// TestResolution: pseudo parameters resolve from the request where certain; what is not certain
// defers the function with a reason, never a guess.
func TestResolution(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		code     string // Code property JSON
		key      string // resolved S3Key ("" when deferred)
		deferred string
	}{
		{"literal", testRequest, `{"S3Bucket":"b","S3Key":"k.zip"}`, "k.zip", ""},
		{"Sub with account, region, partition, suffix", testRequest,
			`{"S3Bucket":"b","S3Key":{"Fn::Sub":"${AWS::AccountId}/${AWS::Region}/${AWS::Partition}/${AWS::URLSuffix}/k.zip"}}`, "123456789012/us-east-1/aws/amazonaws.com/k.zip", ""},
		{"Ref AWS::StackName", testRequest, `{"S3Bucket":"b","S3Key":{"Fn::Join":["/",[{"Ref":"AWS::StackName"},"k.zip"]]}}`, "App/k.zip", ""},
		{"China partition", Request{AccountID: "123456789012", StackID: "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/App/x"},
			`{"S3Bucket":"b","S3Key":{"Fn::Sub":"${AWS::URLSuffix}/k.zip"}}`, "amazonaws.com.cn/k.zip", ""},
		{"account from the stack ARN", Request{StackID: "arn:aws:cloudformation:eu-west-1:210987654321:stack/App/x"},
			`{"S3Bucket":"b","S3Key":{"Fn::Sub":"${AWS::AccountId}-${AWS::Region}.zip"}}`, "210987654321-eu-west-1.zip", ""},
		{"region from the change set ARN", Request{AccountID: "1", ChangeSetID: "arn:aws:cloudformation:ap-south-1:1:changeSet/c/x"},
			`{"S3Bucket":"b","S3Key":{"Fn::Sub":"${AWS::Region}.zip"}}`, "ap-south-1.zip", ""},
		{"URLSuffix of an unlisted partition", Request{AccountID: "1", StackID: "arn:aws-iso:cloudformation:us-iso-east-1:1:stack/App/x"},
			`{"S3Bucket":"b","S3Key":{"Fn::Sub":"${AWS::URLSuffix}.zip"}}`, "", "AWS::URLSuffix of this partition"},
		{"no stack ARN: region unknown", Request{AccountID: "1"}, `{"S3Bucket":"b","S3Key":{"Fn::Sub":"${AWS::Region}.zip"}}`, "", "Code.S3Key"},
		{"parameter", testRequest, `{"S3Bucket":"b","S3Key":{"Ref":"AssetKey"}}`, "", "!Ref AssetKey"},
		{"GetAtt of a new resource", testRequest, `{"S3Bucket":{"Fn::GetAtt":["Bucket","Name"]},"S3Key":"k.zip"}`, "", "!GetAtt Bucket.Name"},
		{"KNOWN_AFTER_APPLY inside a value", testRequest, `{"S3Bucket":"b","S3Key":"prefix/{{changeSet:KNOWN_AFTER_APPLY}}.zip"}`, "", KnownAfterApply},
		{"ImportValue", testRequest, `{"S3Bucket":{"Fn::ImportValue":"Shared-Bucket"},"S3Key":"k.zip"}`, "", "ImportValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after, _ := json.Marshal(map[string]any{"Properties": map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": json.RawMessage(tt.code)}})
			p := &Payload{Changes: []Change{{LogicalID: "Fn", ResourceType: TypeFunction, Action: ActionCreate, After: after}}}
			fns := p.Functions(tt.req)
			if len(fns) != 1 {
				t.Fatalf("%d functions", len(fns))
			}
			f := fns[0]
			if tt.deferred != "" {
				if !strings.Contains(f.Deferred, tt.deferred) {
					t.Errorf("deferred %q, want it to hold %q", f.Deferred, tt.deferred)
				}
				return
			}
			if f.Deferred != "" || string(f.Props.Code.S3Key) != tt.key {
				t.Errorf("key %q deferred %q, want key %q", f.Props.Code.S3Key, f.Deferred, tt.key)
			}
		})
	}
}

// TestUnknownProperties: which unknown values defer a function (they can change whether it
// starts) and which are left out (they cannot).
func TestUnknownProperties(t *testing.T) {
	const later = KnownAfterApply
	tests := []struct {
		name     string
		props    map[string]any
		deferred string   // "" = checked now
		unknown  []string // variables left out
	}{
		{"application variable", map[string]any{"Environment": map[string]any{"Variables": map[string]any{"QUEUE_URL": later, "MODE": "prod"}}}, "", []string{"QUEUE_URL"}},
		{"exec wrapper", map[string]any{"Environment": map[string]any{"Variables": map[string]any{"AWS_LAMBDA_EXEC_WRAPPER": later}}}, "Environment variable AWS_LAMBDA_EXEC_WRAPPER", nil},
		{"NODE_PATH", map[string]any{"Environment": map[string]any{"Variables": map[string]any{"NODE_PATH": map[string]any{"Fn::GetAtt": []any{"Fs", "Path"}}}}}, "Environment variable NODE_PATH", nil},
		{"computed Variables", map[string]any{"Environment": map[string]any{"Variables": map[string]any{"Fn::If": []any{"C", map[string]any{}, map[string]any{}}}}}, "Environment.Variables", nil},
		{"runtime", map[string]any{"Runtime": map[string]any{"Ref": "RuntimeParam"}}, "Runtime is known only", nil},
		{"handler", map[string]any{"Handler": later}, "Handler is known only", nil},
		{"architecture", map[string]any{"Architectures": []any{map[string]any{"Ref": "Arch"}}}, "Architectures", nil},
		{"other tag", map[string]any{"Tags": []any{map[string]any{"Key": "owner", "Value": later}}}, "", nil},
		{"exemption tag value", map[string]any{"Tags": []any{map[string]any{"Key": "bootstrap-guard:exempt", "Value": later}}}, "bootstrap-guard:exempt tag's value", nil},
		{"computed tag key", map[string]any{"Tags": []any{map[string]any{"Key": map[string]any{"Ref": "K"}, "Value": "x"}}}, "a tag key", nil},
		{"image config", map[string]any{"ImageConfig": map[string]any{"Command": []any{later}}}, "ImageConfig", nil},
		{"role and memory do not matter", map[string]any{"Role": map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}}, "MemorySize": map[string]any{"Ref": "Mem"}}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"S3Bucket": "b", "S3Key": "k.zip"}}
			for k, v := range tt.props {
				props[k] = v
			}
			after, _ := json.Marshal(map[string]any{"Properties": props})
			f := (&Payload{Changes: []Change{{LogicalID: "Fn", ResourceType: TypeFunction, Action: ActionUpdate, After: after}}}).Functions(testRequest)[0]
			if tt.deferred == "" && f.Deferred != "" || !strings.Contains(f.Deferred, tt.deferred) {
				t.Errorf("deferred %q, want %q", f.Deferred, tt.deferred)
			}
			if strings.Join(f.Unknown, ",") != strings.Join(tt.unknown, ",") {
				t.Errorf("unknown %q, want %q", f.Unknown, tt.unknown)
			}
		})
	}
}

// TestLenientScalars: numbers and booleans arrive as strings (user guide) or natively (registry
// libraries); both read the same.
func TestLenientScalars(t *testing.T) {
	for _, after := range []string{
		`{"Properties":{"Runtime":"provided.al2023","Handler":"bootstrap","Architectures":"arm64","Code":{"S3Bucket":"b","S3Key":"k","S3ObjectVersion":"3"},"Tags":[{"Key":"n","Value":"1"}]}}`,
		`{"Properties":{"Runtime":"provided.al2023","Handler":"bootstrap","Architectures":["arm64"],"Code":{"S3Bucket":"b","S3Key":"k","S3ObjectVersion":3},"Tags":[{"Key":"n","Value":1}]}}`,
	} {
		f := (&Payload{Changes: []Change{{LogicalID: "Fn", ResourceType: TypeFunction, Action: ActionCreate, After: json.RawMessage(after)}}}).Functions(testRequest)[0]
		want := hookapi.Code{S3Bucket: "b", S3Key: "k", S3ObjectVersion: "3"}
		if f.Deferred != "" || f.Props.Code != want || f.Props.Architecture() != "arm64" {
			t.Errorf("%s: %+v %q", after, f.Props, f.Deferred)
		}
		if v, _ := f.Props.Tag("n"); v != "1" {
			t.Errorf("tag %q", v)
		}
	}
}
