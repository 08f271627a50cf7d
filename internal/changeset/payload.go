// Package changeset owns the CHANGE_SET target of the CloudFormation Lambda hook: it decodes the
// change set CloudFormation puts behind requestData.payload, selects the Lambda functions the
// change set creates or updates, turns each one's properties into the hookapi.FunctionProperties
// the RESOURCE target checks (resolving what the request makes certain, deferring what only
// execution will tell), and aggregates the per-function verdicts into one hook answer.
//
// Sources for the payload's shape:
//   - CloudFormation Hooks User Guide, "Create Lambda functions to evaluate resources for Lambda
//     Hooks", section "Evaluating change set operations with Lambda Hooks"
//     (https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/lambda-hooks-create-lambda-function.html):
//     camelCase {template, changedResources: [{logicalResourceId, resourceType, action,
//     lineNumber, beforeContext, afterContext}]}, contexts as JSON strings wrapping
//     {"Properties": ...} with every number and boolean as a string.
//   - aws-cloudformation/cloudformation-cli-java-plugin (commit 36e4e41)
//     src/main/java/software/amazon/cloudformation/proxy/hook/targetmodel/StackHookTargetModel.java
//     (Template, PreviousTemplate, ResolvedTemplate, ChangedResources) and ChangedResource.java
//     (LogicalResourceId, ResourceType, LineNumber, Action, ResourceProperties,
//     PreviousResourceProperties, all strings but LineNumber), with its test request
//     src/test/java/software/amazon/cloudformation/data/hook/preCreate.request.with-stack-level-hook.json,
//     which spells the top-level keys in camelCase and the items' keys in PascalCase.
//
// Which spelling a Lambda hook receives beyond the user guide is not confirmed, so both are read:
// encoding/json matches keys case-insensitively, which covers logicalResourceId against
// LogicalResourceId, and the two names of each context (afterContext, ResourceProperties) are
// separate fields.
package changeset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Bounds on a payload. MaxPayload caps the bytes fetched: one template is at most 1 MB
// (CloudFormation quotas, "Template body size in an Amazon S3 object",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html) and
// the registry libraries' model may carry it three times (Template, PreviousTemplate,
// ResolvedTemplate) plus every changed resource's properties before and after, JSON-escaped
// inside strings; 16 MiB holds that with room and is read into memory in well under a second.
// MaxChanges caps the changedResources items: a template declares at most 500 resources (same
// quotas page), so a change set deletes at most 500 and creates or updates at most 500.
// maxContextDepth and maxContextNodes bound one context's tree.
const (
	MaxPayload      = 16 << 20
	MaxChanges      = 1000
	maxContextDepth = 64
	maxContextNodes = 200_000
)

// Resource types evaluated. AWS::Serverless::Function is expanded by the SAM transform before a
// change set is computed, so it is not expected in one; it is read if it ever appears.
const (
	TypeFunction           = "AWS::Lambda::Function"
	TypeServerlessFunction = "AWS::Serverless::Function"
)

// Change actions of a changed resource (user guide: CREATE | UPDATE | DELETE).
const (
	ActionCreate = "CREATE"
	ActionUpdate = "UPDATE"
	ActionDelete = "DELETE"
)

// ErrPayload marks a payload that is not a change set the hook can read: the caller answers by
// its fail mode, never SUCCESS.
var ErrPayload = errors.New("not a readable change-set payload")

// Payload is a decoded change set.
type Payload struct {
	// Template is the template as submitted (JSON or YAML text); it is not read beyond its
	// presence, since the changed resources carry the properties.
	Template string
	Changes  []Change
}

// Change is one item of changedResources.
type Change struct {
	LogicalID    string
	ResourceType string
	Action       string // upper case as sent; see Payload.Functions for the ones evaluated
	Line         int
	// After holds the properties after the change: the afterContext (ResourceProperties)
	// decoded from its string form, a JSON object; nil when absent, null or empty.
	After json.RawMessage
	// afterUnreadable says the after state was sent but is not a JSON object (the Java
	// plugin's fixture has placeholder text there); such a function is deferred, not guessed at.
	afterUnreadable bool
}

// wirePayload reads both spellings of the payload. Field matching is case-insensitive, so
// "changedResources" also reads "ChangedResources" and "template" reads "Template".
type wirePayload struct {
	Template         *contextValue `json:"template"`
	ChangedResources *[]wireChange `json:"changedResources"`
}

type wireChange struct {
	LogicalResourceID wireString    `json:"logicalResourceId"`
	ResourceType      wireString    `json:"resourceType"`
	Action            wireString    `json:"action"`
	LineNumber        wireString    `json:"lineNumber"`
	AfterContext      *contextValue `json:"afterContext"`
	// ResourceProperties is the registry libraries' name for the after state.
	ResourceProperties *contextValue `json:"resourceProperties"`
}

// Decode reads a change-set payload: the object behind requestData.payload (or an inline
// targetModel of the same shape). It errors, wrapping ErrPayload, on input that is not a JSON
// object, has no changedResources list, or exceeds the bounds; it never panics.
func Decode(b []byte) (*Payload, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrPayload, len(b), MaxPayload)
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrPayload)
	}
	var w wirePayload
	if err := json.Unmarshal(t, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	if w.ChangedResources == nil {
		return nil, fmt.Errorf("%w: no changedResources list", ErrPayload)
	}
	items := *w.ChangedResources
	if len(items) > MaxChanges {
		return nil, fmt.Errorf("%w: %d changed resources, more than %d", ErrPayload, len(items), MaxChanges)
	}
	p := &Payload{Changes: make([]Change, 0, len(items))}
	if w.Template != nil {
		p.Template = w.Template.text
	}
	for _, it := range items {
		c := Change{
			LogicalID:    strings.TrimSpace(string(it.LogicalResourceID)),
			ResourceType: strings.TrimSpace(string(it.ResourceType)),
			Action:       strings.ToUpper(strings.TrimSpace(string(it.Action))),
		}
		if n, err := parseLine(string(it.LineNumber)); err == nil {
			c.Line = n
		}
		ctx := it.AfterContext
		if ctx == nil || ctx.blank() {
			ctx = it.ResourceProperties
		}
		if ctx != nil && !ctx.blank() {
			c.After = ctx.object
			c.afterUnreadable = ctx.object == nil
		}
		p.Changes = append(p.Changes, c)
	}
	return p, nil
}

func parseLine(s string) (int, error) {
	var n int
	if s == "" {
		return 0, errors.New("empty")
	}
	_, err := fmt.Sscan(s, &n)
	return n, err
}

// contextValue is a context as it may arrive: a JSON string holding an object (the user guide;
// the registry libraries' strings), the object itself, null or "". text keeps a string's text,
// object the object's bytes.
type contextValue struct {
	text   string
	object json.RawMessage
	null   bool
}

func (c *contextValue) blank() bool {
	return c.null || (c.object == nil && strings.TrimSpace(c.text) == "")
}

// UnmarshalJSON accepts a string (holding JSON, or for a template any text), an object or null.
func (c *contextValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		c.null = true
		return nil
	case b[0] == '{':
		c.object = append(json.RawMessage(nil), b...)
		return nil
	case b[0] == '"':
		if err := json.Unmarshal(b, &c.text); err != nil {
			return err
		}
		if t := strings.TrimSpace(c.text); strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
			c.object = json.RawMessage(t)
		}
		return nil
	}
	return fmt.Errorf("want a JSON string or object, got %.20s", b)
}

// wireString is a scalar sent as a string, number, boolean or null.
type wireString string

func (s *wireString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	if b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = wireString(v)
		return nil
	}
	if b[0] == '{' || b[0] == '[' {
		return fmt.Errorf("want a scalar, got %.20s", b)
	}
	*s = wireString(b)
	return nil
}
