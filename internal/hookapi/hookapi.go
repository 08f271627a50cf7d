// Package hookapi holds the wire types of the CloudFormation Lambda hook protocol: the request
// CloudFormation sends to the hook's function and the response it expects back. aws-lambda-go has
// no types for it (its cfn package is for custom resources), so the project defines its own.
//
// Field names and enum values follow the CloudFormation Hooks User Guide ("Create Lambda functions
// to evaluate resources for Lambda Hooks") and what AWS's own hook tooling sends and reads:
// aws-cloudformation/cloudformation-cli src/rpdk/core/contract/hook_client.py (make_request),
// aws-cloudformation/cloudformation-cli-java-plugin src/main/java/software/amazon/cloudformation/
// HookAbstractWrapper.java with its requests under src/test/java/software/amazon/cloudformation/
// data/hook/, and aws-cloudformation/cloudformation-cli-python-plugin
// src/cloudformation_cli_python_lib/utils.py (HookRequestDataFooBar). docs/hook.md's "Hook protocol"
// table lists each field with its source.
package hookapi

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// InvocationPoint is when CloudFormation calls the hook.
type InvocationPoint string

// Invocation points.
const (
	CreatePreProvision InvocationPoint = "CREATE_PRE_PROVISION"
	UpdatePreProvision InvocationPoint = "UPDATE_PRE_PROVISION"
	DeletePreProvision InvocationPoint = "DELETE_PRE_PROVISION"
)

// HookStatus is the hook's verdict.
type HookStatus string

// Hook statuses.
const (
	StatusSuccess    HookStatus = "SUCCESS"
	StatusFailed     HookStatus = "FAILED"
	StatusInProgress HookStatus = "IN_PROGRESS"
)

// ErrorCode says why a FAILED verdict failed. It is required with FAILED.
type ErrorCode string

// Error codes.
const (
	// NonCompliant: the target was evaluated and rejected.
	NonCompliant ErrorCode = "NonCompliant"
	// InternalFailure: the hook itself could not decide.
	InternalFailure ErrorCode = "InternalFailure"
)

// AnnotationStatus is the outcome of one check shown in the console and in GetHookResult.
type AnnotationStatus string

// Annotation statuses.
const (
	AnnotationPassed  AnnotationStatus = "PASSED"
	AnnotationFailed  AnnotationStatus = "FAILED"
	AnnotationSkipped AnnotationStatus = "SKIPPED"
)

// SeverityLevel ranks an annotation.
type SeverityLevel string

// Severity levels, from least to most severe.
const (
	SeverityInformational SeverityLevel = "INFORMATIONAL"
	SeverityLow           SeverityLevel = "LOW"
	SeverityMedium        SeverityLevel = "MEDIUM"
	SeverityHigh          SeverityLevel = "HIGH"
	SeverityCritical      SeverityLevel = "CRITICAL"
)

// Target kinds. A resource target comes in two forms: the Lambda hooks user guide shows the
// resource type in both targetType and targetName, while the CloudFormation API reference
// (HookTarget: TargetType RESOURCE, the type in TargetTypeName) and AWS's hook tooling
// (cloudformation-cli hook_client.py make_request: target_type="RESOURCE"; the Java plugin's
// data/hook/preCreate.request.with-resource-properties.json) send "RESOURCE" in targetType and the
// type in targetName. Stack and change-set targets carry their kind in both fields (Java plugin
// data/hook/preCreate.request.with-stack-level-hook.json); either one is enough here.
const (
	TargetResource  = "RESOURCE"
	TargetStack     = "STACK"
	TargetChangeSet = "CHANGE_SET"
)

// TypeLambdaFunction is the resource type this project evaluates.
const TypeLambdaFunction = "AWS::Lambda::Function"

// MaxMessage is how much of Response.Message CloudFormation keeps: the Lambda hooks user guide
// ("Create Lambda functions to evaluate resources for Lambda Hooks", response fields) says messages
// are truncated to 4096 characters (1024 for Cloud Control API targets). Counted in bytes here,
// which never exceeds the character count.
const MaxMessage = 4096

// Annotation field limits, from the CloudFormation API reference's Annotation data type
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Annotation.html): each
// field has a minimum length of 1 (so empty fields are left out) and these maximum lengths.
// Counted in bytes here, which never exceeds the character count.
const (
	MaxAnnotationName        = 1024
	MaxAnnotationStatusMsg   = 16384
	MaxAnnotationRemediation = 16384
	MaxAnnotationLink        = 5120
)

// Request is what CloudFormation sends to the hook's function.
type Request struct {
	ClientRequestToken    string          `json:"clientRequestToken"`
	AWSAccountID          string          `json:"awsAccountId"`
	StackID               string          `json:"stackId"`
	ChangeSetID           string          `json:"changeSetId,omitempty"`
	HookTypeName          string          `json:"hookTypeName"`
	HookTypeVersion       string          `json:"hookTypeVersion,omitempty"`
	HookModel             json.RawMessage `json:"hookModel,omitempty"`
	ActionInvocationPoint InvocationPoint `json:"actionInvocationPoint"`
	RequestData           RequestData     `json:"requestData"`
	RequestContext        RequestContext  `json:"requestContext"`
}

// RequestData describes the target being provisioned.
type RequestData struct {
	TargetName      string       `json:"targetName"`
	TargetType      string       `json:"targetType"`
	TargetLogicalID string       `json:"targetLogicalId"`
	TargetModel     *TargetModel `json:"targetModel,omitempty"`
	// Payload is a presigned S3 URL to the target model, sent instead of targetModel when the
	// model is large (stack and change-set templates always; any target may get one). AWS's hook
	// libraries fetch it whenever targetModel is missing or empty, for every target type
	// (cloudformation-cli-java-plugin HookAbstractWrapper.isHookInvocationPayloadRemote;
	// cloudformation-cli-python-plugin utils.py is_hook_invocation_payload_remote). It is a
	// credential: never log it.
	Payload string `json:"payload,omitempty"`
}

// TargetModel holds a resource's properties as they are about to be provisioned (intrinsic
// functions evaluated). ResourceProperties is empty on delete, PreviousResourceProperties on
// create (or null: the Java plugin's test requests send null). They stay raw so that a resource
// type the hook does not know round-trips untouched. Stack and change-set models carry other keys
// (template, previousTemplate); of those the hook reads only a change set's changedResources
// (internal/changeset), which the registry libraries' fixtures send inline
// (cloudformation-cli-java-plugin data/hook/preCreate.request.with-stack-level-hook.json).
type TargetModel struct {
	ResourceProperties         json.RawMessage `json:"resourceProperties,omitempty"`
	PreviousResourceProperties json.RawMessage `json:"previousResourceProperties,omitempty"`
	ChangedResources           json.RawMessage `json:"changedResources,omitempty"`
}

// RequestContext counts invocations of one hook run and carries a callback context back.
type RequestContext struct {
	Invocation      Int             `json:"invocation"`
	CallbackContext json.RawMessage `json:"callbackContext,omitempty"`
}

// Response is what the hook's function returns.
type Response struct {
	HookStatus           HookStatus      `json:"hookStatus"`
	ErrorCode            ErrorCode       `json:"errorCode,omitempty"`
	Message              string          `json:"message,omitempty"`
	ClientRequestToken   string          `json:"clientRequestToken"`
	CallbackContext      json.RawMessage `json:"callbackContext,omitempty"`
	CallbackDelaySeconds int             `json:"callbackDelaySeconds,omitempty"`
	Annotations          []Annotation    `json:"annotations,omitempty"`
}

// Annotation is the result of one check, shown per check in the console.
type Annotation struct {
	AnnotationName     string           `json:"annotationName"`
	Status             AnnotationStatus `json:"status"`
	StatusMessage      string           `json:"statusMessage,omitempty"`
	RemediationMessage string           `json:"remediationMessage,omitempty"`
	RemediationLink    string           `json:"remediationLink,omitempty"`
	SeverityLevel      SeverityLevel    `json:"severityLevel,omitempty"`
}

// DecodeRequest parses a hook request. It rejects input that is not a JSON object and requests
// without an invocation point or a target whose kind and type can be told, which CloudFormation
// always sends; everything else is decoded leniently.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		return Request{}, fmt.Errorf("decode hook request: %w", err)
	}
	if r.ActionInvocationPoint == "" {
		return r, fmt.Errorf("decode hook request: no actionInvocationPoint")
	}
	if r.RequestData.TargetType == "" && r.RequestData.TargetName == "" {
		return r, fmt.Errorf("decode hook request: no requestData.targetType or targetName")
	}
	if r.Type() == "" {
		// targetType RESOURCE without targetName: a resource of unknown type. Answering it would
		// mean guessing; the caller reports it as a request it cannot read.
		return r, fmt.Errorf("decode hook request: requestData.targetType is RESOURCE but targetName (the resource type) is missing")
	}
	return r, nil
}

// ClientToken digs the clientRequestToken out of input that may not decode as a Request, so that
// even an answer to a malformed request echoes it.
func ClientToken(b []byte) string {
	var v struct {
		Token json.RawMessage `json:"clientRequestToken"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	var s String
	if s.UnmarshalJSON(v.Token) != nil {
		return ""
	}
	return string(s)
}

// IsResource reports whether the request targets a single resource (not a stack or change set).
// Its properties may be inline (targetModel) or behind requestData.payload.
func (r *Request) IsResource() bool {
	switch r.Type() {
	case TargetStack, TargetChangeSet:
		return false
	}
	return true
}

// Type returns STACK or CHANGE_SET for those targets (recognised from either targetType or
// targetName), and otherwise the resource type: targetName, which holds it in both forms AWS
// uses, falling back to targetType when targetName is absent (or says RESOURCE) and targetType is not RESOURCE. It
// returns "" when the resource type cannot be told.
func (r *Request) Type() string {
	rd := &r.RequestData
	for _, kind := range []string{TargetStack, TargetChangeSet} {
		if rd.TargetType == kind || rd.TargetName == kind {
			return kind
		}
	}
	if rd.TargetName != "" && rd.TargetName != TargetResource {
		return rd.TargetName
	}
	if rd.TargetType != TargetResource {
		return rd.TargetType
	}
	return ""
}

// IsEmpty reports whether a target model carries no properties: missing, null, {}, or property
// sets that are all absent, null or {}. AWS's hook libraries fetch requestData.payload when
// targetModel is missing or {} (the Java wrapper tests targetModel == null || isEmpty(); the
// Python library tests `not targetModel`). The hook fetches whenever HasProperties is false, a
// superset (inferred: no source sends such a model with a payload, but reading it costs one
// request and guessing costs a silent pass).
func (m *TargetModel) IsEmpty() bool {
	return m == nil || isBlank(m.ResourceProperties) && isBlank(m.PreviousResourceProperties)
}

// HasProperties reports whether the model carries the resource's properties as they are about to
// be provisioned: resourceProperties present and not null, {} or "".
func (m *TargetModel) HasProperties() bool {
	return m != nil && !isBlank(m.ResourceProperties)
}

// DecodeTargetModel parses a target model fetched from requestData.payload: the same object that
// would otherwise arrive inline as targetModel (the Java wrapper sets the fetched map as the
// request's targetModel; the Python library sets the fetched JSON as targetModel).
func DecodeTargetModel(b []byte) (*TargetModel, error) {
	var m TargetModel
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode target model: %w", err)
	}
	return &m, nil
}

// Clamp cuts the response's message and annotation fields to the lengths CloudFormation accepts
// (MaxMessage and the Annotation limits above), on rune boundaries. The hook's own texts stay far
// shorter; this is the last line against a rule message or remediation link that grows.
func (r *Response) Clamp() {
	r.Message = Truncate(r.Message, MaxMessage)
	for i := range r.Annotations {
		a := &r.Annotations[i]
		a.AnnotationName = Truncate(a.AnnotationName, MaxAnnotationName)
		a.StatusMessage = Truncate(a.StatusMessage, MaxAnnotationStatusMsg)
		a.RemediationMessage = Truncate(a.RemediationMessage, MaxAnnotationRemediation)
		if len(a.RemediationLink) > MaxAnnotationLink {
			a.RemediationLink = "" // a cut URL leads nowhere; the field is optional
		}
	}
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut with an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	if n < len(mark) {
		return ""
	}
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// SeverityLevelOf is the annotation severity of a finding's severity: an error is HIGH, a warning
// MEDIUM, anything else INFORMATIONAL. The RESOURCE and CHANGE_SET answers both use it.
func SeverityLevelOf(s result.Severity) SeverityLevel {
	switch s {
	case result.Error:
		return SeverityHigh
	case result.Warning:
		return SeverityMedium
	}
	return SeverityInformational
}
