package testenv

import (
	"encoding/json"
	"fmt"
	"testing"
)

// Change is one changed resource of a test change set.
type Change struct {
	LogicalID, Type, Action string
	Props                   map[string]any // the properties after the change; nil for DELETE
}

// Spellings of a change-set payload: the Lambda hooks user guide's camelCase, with each context a
// JSON string wrapping {"Properties": ...} and every scalar a string; and the registry hook
// libraries' PascalCase (cloudformation-cli-java-plugin StackHookTargetModel/ChangedResource),
// with ResourceProperties a JSON string of the properties themselves.
const (
	CamelCase  = "camelCase"
	PascalCase = "PascalCase"
)

// ChangeSetPayload builds the object CloudFormation puts behind a CHANGE_SET target's
// requestData.payload, in the given spelling.
func ChangeSetPayload(t testing.TB, spelling string, changes []Change) []byte {
	t.Helper()
	resources := map[string]any{}
	var items []map[string]any
	for i, c := range changes {
		resources[c.LogicalID] = map[string]any{"Type": c.Type, "Properties": c.Props}
		line := 10 + 12*i
		switch spelling {
		case CamelCase:
			it := map[string]any{"logicalResourceId": c.LogicalID, "resourceType": c.Type, "action": c.Action, "lineNumber": line, "beforeContext": nil, "afterContext": nil}
			if c.Props != nil {
				it["afterContext"] = mustJSON(t, map[string]any{"Properties": stringify(c.Props)})
			}
			items = append(items, it)
		case PascalCase:
			it := map[string]any{"LogicalResourceId": c.LogicalID, "ResourceType": c.Type, "LineNumber": line, "Action": c.Action, "PreviousResourceProperties": ""}
			if c.Props != nil {
				it["ResourceProperties"] = mustJSON(t, c.Props)
			}
			items = append(items, it)
		default:
			t.Fatalf("testenv: unknown spelling %q", spelling)
		}
	}
	tmpl := mustJSON(t, map[string]any{"Resources": resources})
	if spelling == PascalCase {
		b, _ := json.Marshal(map[string]any{"Template": tmpl, "PreviousTemplate": "", "ResolvedTemplate": tmpl, "ChangedResources": items})
		return b
	}
	b, _ := json.Marshal(map[string]any{"template": tmpl, "changedResources": items})
	return b
}

// ChangeSetEvent is the CHANGE_SET request of internal/hookapi/testdata/change-set.json with its
// payload URL replaced, at the given invocation with the given callback context (nil: none).
func ChangeSetEvent(t testing.TB, payloadURL string, invocation int, callback json.RawMessage) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(HookEvent(t, "change-set.json", "", nil), &ev); err != nil {
		t.Fatal(err)
	}
	ev["requestData"].(map[string]any)["payload"] = payloadURL
	ev["requestContext"] = map[string]any{"invocation": invocation, "callbackContext": callback}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stringify writes every number and boolean as a string, as the user guide's contexts do.
func stringify(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = stringify(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stringify(e)
		}
		return out
	case []string:
		return x
	case bool, int, int64, float64:
		return fmt.Sprint(x)
	}
	return v
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
