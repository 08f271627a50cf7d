// Package hookapi holds the wire types of the CloudFormation Lambda hook protocol: the request
// CloudFormation sends to the hook's function and the response it expects back. aws-lambda-go has
// no types for it (its cfn package is for custom resources), so the project defines its own.
//
// Field names and enum values follow the CloudFormation Hooks User Guide ("Create Lambda functions
// to evaluate resources for Lambda Hooks").
package hookapi

import (
	"encoding/json"
	"fmt"
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

// Target types that are not resources: their requestData carries a presigned URL to the
// template instead of inline properties.
const (
	TargetStack     = "STACK"
	TargetChangeSet = "CHANGE_SET"
)

// TypeLambdaFunction is the resource type this project evaluates.
const TypeLambdaFunction = "AWS::Lambda::Function"

// MaxMessage is how much of Response.Message CloudFormation keeps (1024 for Cloud Control).
const MaxMessage = 4096

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
	// Payload is a presigned S3 URL to the template, for STACK and CHANGE_SET targets. It is a
	// credential: never log it.
	Payload string `json:"payload,omitempty"`
}

// TargetModel holds a resource's properties as they are about to be provisioned (intrinsic
// functions evaluated). ResourceProperties is empty on delete, PreviousResourceProperties on
// create. They stay raw so that a resource type the hook does not know round-trips untouched.
type TargetModel struct {
	ResourceProperties         json.RawMessage `json:"resourceProperties,omitempty"`
	PreviousResourceProperties json.RawMessage `json:"previousResourceProperties,omitempty"`
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
// without an invocation point or target type, which CloudFormation always sends; everything else
// is decoded leniently.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		return Request{}, fmt.Errorf("decode hook request: %w", err)
	}
	if r.ActionInvocationPoint == "" {
		return r, fmt.Errorf("decode hook request: no actionInvocationPoint")
	}
	if r.RequestData.TargetType == "" && r.RequestData.TargetName == "" {
		return r, fmt.Errorf("decode hook request: no requestData.targetType")
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
func (r *Request) IsResource() bool {
	switch r.RequestData.TargetType {
	case TargetStack, TargetChangeSet:
		return false
	}
	return r.RequestData.TargetModel != nil
}

// Type returns the target's resource type (targetType, falling back to targetName).
func (r *Request) Type() string {
	if r.RequestData.TargetType != "" {
		return r.RequestData.TargetType
	}
	return r.RequestData.TargetName
}
