package cfn

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestListTags(t *testing.T) {
	tests := []struct {
		props string
		want  map[string]string
	}{
		{`{"Tags":[{"Key":"bootstrap-guard:exempt","Value":"bootstrap-nested: vendor"},{"Key":"team","Value":"payments"}]}`,
			map[string]string{"bootstrap-guard:exempt": "bootstrap-nested: vendor", "team": "payments"}},
		{`{"Tags":[{"Key":"n","Value":42},{"Key":"sub","Value":{"Fn::Sub":"${AWS::Region}"}}]}`, map[string]string{"n": "42"}},
		{`{"Tags":{"team":"payments"}}`, nil}, // SAM's map form is read elsewhere
		{`{}`, nil},
	}
	for _, tc := range tests {
		var props map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.props), &props); err != nil {
			t.Fatal(err)
		}
		if got := listTags(props); !maps.Equal(got, tc.want) {
			t.Errorf("listTags(%s) = %v, want %v", tc.props, got, tc.want)
		}
	}
}
