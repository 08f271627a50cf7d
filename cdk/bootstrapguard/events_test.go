package bootstrapguard

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// hookEventSchema lists the fields of the "CloudFormation Hook Invocation Progress" event: the
// envelope every EventBridge event has (EventBridge User Guide, "Amazon EventBridge events")
// and the detail fields of aws-cdk's events mixins (aws-cdk-go awscdkmixinspreview
// awscloudformation/events: CloudFormationHookInvocationProgressProps, HookDetail, TargetDetail,
// Result).
var hookEventSchema = map[string][]string{
	"":                     {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"},
	"detail":               {"hook-detail", "target-detail", "status", "status-reason", "result"},
	"detail.hook-detail":   {"hook-type-name", "hook-type-arn", "hook-version", "failure-mode", "description", "documentation-url", "source-url"},
	"detail.target-detail": {"target-name", "target-type", "target-id", "target-action", "target-invocation-point"},
	"detail.result":        {"data"},
}

func loadEvent(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/hook-invocation-failed.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// lookup follows an input-transformer path ($.a.b-c, $.list[0]) through an event.
func lookup(ev map[string]any, path string) (any, bool) {
	if !strings.HasPrefix(path, "$.") {
		return nil, false
	}
	var cur any = ev
	for _, part := range strings.Split(path[2:], ".") {
		idx := -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil, false
			}
			part, idx = part[:i], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return nil, false
			}
			cur = l[idx]
		}
	}
	return cur, true
}

// matches evaluates an EventBridge pattern against an event for the parts the rule uses: nested
// objects, lists of exact values, and anything-but lists (EventBridge User Guide, "Content
// filtering in Amazon EventBridge event patterns").
func matches(pattern map[string]any, ev map[string]any) bool {
	for k, want := range pattern {
		got, ok := ev[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matches(w, sub) {
				return false
			}
		case []any:
			hit := false
			for _, v := range w {
				if rule, ok := v.(map[string]any); ok {
					if but, ok := rule["anything-but"].([]any); ok {
						hit = hit || !containsValue(but, got)
					}
					continue
				}
				hit = hit || v == got
			}
			if !hit {
				return false
			}
		}
	}
	return true
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestFailureRule holds the synthesized EventBridge rule to a sample event written to the event's
// schema: every field the sample has is in the schema, every $.path the rule's target reads
// exists in it, and the pattern matches failures of this hook and nothing else.
func TestFailureRule(t *testing.T) {
	ev := loadEvent(t)
	for scope, fields := range hookEventSchema {
		obj := ev
		if scope != "" {
			v, ok := lookup(ev, "$."+scope)
			if !ok {
				t.Fatalf("sample has no %s", scope)
			}
			obj = v.(map[string]any)
		}
		var have []string
		for k := range obj {
			have = append(have, k)
		}
		sort.Strings(have)
		want := append([]string(nil), fields...)
		sort.Strings(want)
		if strings.Join(have, ",") != strings.Join(want, ",") {
			t.Errorf("sample %q has fields %v, the schema %v", scope, have, want)
		}
	}

	tmpl := synthTemplate(t, nil)
	var rule map[string]any
	for _, r := range tmpl["Resources"].(map[string]any) {
		if res := r.(map[string]any); res["Type"] == "AWS::Events::Rule" {
			rule = res["Properties"].(map[string]any)
		}
	}
	if rule == nil {
		t.Fatal("no AWS::Events::Rule")
	}
	pattern := rule["EventPattern"].(map[string]any)
	it := rule["Targets"].([]any)[0].(map[string]any)["InputTransformer"].(map[string]any)
	paths := it["InputPathsMap"].(map[string]any)
	tmplText, _ := it["InputTemplate"].(string)
	if len(paths) < 5 {
		t.Fatalf("input paths %v", paths)
	}
	for name, p := range paths {
		path := p.(string)
		if strings.Contains(path, "stack-id") {
			t.Errorf("%s reads %s, which the event does not have", name, path)
		}
		v, ok := lookup(ev, path)
		if !ok || v == nil {
			t.Errorf("%s: %s is not in the sample event", name, path)
		}
		if !strings.Contains(tmplText, "<"+name+">") {
			t.Errorf("%s is read but not used in the template %q", name, tmplText)
		}
	}
	for _, m := range regexp.MustCompile(`<([A-Za-z0-9_-]+)>`).FindAllStringSubmatch(tmplText, -1) {
		if _, ok := paths[m[1]]; !ok {
			t.Errorf("template uses <%s>, which no path fills", m[1])
		}
	}
	t.Logf("rule pattern %v; target paths %v", pattern, paths)

	variant := func(status, hook string) map[string]any {
		b, _ := json.Marshal(ev)
		var c map[string]any
		json.Unmarshal(b, &c)
		d := c["detail"].(map[string]any)
		d["status"] = status
		d["hook-detail"].(map[string]any)["hook-type-name"] = hook
		return c
	}
	for _, tc := range []struct {
		status, hook string
		want         bool
	}{
		{"HOOK_COMPLETE_FAILED", DefaultAlias, true},
		{"HOOK_FAILED", DefaultAlias, true},
		{"FAILED", DefaultAlias, true},
		{"HOOK_IN_PROGRESS", DefaultAlias, false},
		{"HOOK_PENDING", DefaultAlias, false},
		{"HOOK_COMPLETE_SUCCEEDED", DefaultAlias, false},
		{"IN_PROGRESS", DefaultAlias, false},
		{"SUCCESS", DefaultAlias, false},
		{"HOOK_COMPLETE_FAILED", "Acme::Other::Hook", false},
	} {
		if got := matches(pattern, variant(tc.status, tc.hook)); got != tc.want {
			t.Errorf("status %s of %s: matched %v, want %v", tc.status, tc.hook, got, tc.want)
		}
	}
}
