// Package cmr is what Bootstrap Guard knows about Lambda's customer-managed runtimes: the
// RuntimeConfig a function names one with, its documented value patterns, and the runtime
// alias's facts (release lifecycle, compatible architectures, state) as the Lambda Core API's
// GetRuntimeAlias returns them, read through a signed client (client.go) and kept in a cache.
//
// Sources: Lambda Developer Guide "Customer-managed runtimes", "Using a customer-managed runtime"
// (cmr-using), "Runtime lifecycle" (cmr-lifecycle); Lambda API FunctionRuntimeConfig
// (https://docs.aws.amazon.com/lambda/latest/api/API_FunctionRuntimeConfig.html); Lambda Core
// API GetRuntimeAlias and RuntimeReleaseLifecycle
// (https://docs.aws.amazon.com/lambda/latest/lambda-core/API_GetRuntimeAlias.html).
package cmr

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Runtime is the Runtime value of a function that uses a customer-managed runtime: "A function
// uses one with Runtime: custom plus RuntimeConfig" (cmr-using; the Lambda API's Runtime enum
// lists "custom", aws-sdk-go-v2 service/lambda v1.118.0 types.RuntimeCustom).
const Runtime = "custom"

// Config is a function's RuntimeConfig (Lambda API FunctionRuntimeConfig; CloudFormation
// AWS::Lambda::Function RuntimeConfig; SAM RuntimeConfig). Both members are required.
type Config struct {
	RuntimeArn   string `json:"RuntimeArn,omitempty"`
	RuntimeAlias string `json:"RuntimeAlias,omitempty"`
	// Unresolved says a member depends on a value known only at deployment (a template's Ref or
	// Fn::GetAtt): its checks are left out, and the template reader says so.
	Unresolved bool `json:"-"`
}

// The documented value constraints of FunctionRuntimeConfig.
var (
	// RuntimeArn: "Length Constraints: Minimum length of 48. Maximum length of 2048. Pattern:
	// arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:runtime/.+".
	arnPattern = regexp.MustCompile(`^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:runtime/.+$`)
	// RuntimeAlias: "Minimum length of 1. Maximum length of 128"; the alias name pattern of
	// CreateRuntimeAlias/GetRuntimeAlias: [A-Za-z0-9_]([A-Za-z0-9_.-]{0,126}[A-Za-z0-9_])?
	aliasPattern = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,126}[A-Za-z0-9_])?$`)
)

// Limits of FunctionRuntimeConfig's members.
const (
	MinARN   = 48
	MaxARN   = 2048
	MaxAlias = 128
)

// Missing names the members of c that are empty ("RuntimeArn", "RuntimeAlias").
func (c Config) Missing() []string {
	var m []string
	if strings.TrimSpace(c.RuntimeArn) == "" {
		m = append(m, "RuntimeArn")
	}
	if strings.TrimSpace(c.RuntimeAlias) == "" {
		m = append(m, "RuntimeAlias")
	}
	return m
}

// Problems lists what in a complete c breaks the documented patterns, one sentence each.
func (c Config) Problems() []string {
	var p []string
	switch a := c.RuntimeArn; {
	case len(a) > MaxARN:
		p = append(p, fmt.Sprintf("RuntimeArn is %d characters; Lambda accepts at most %d", len(a), MaxARN))
	case !arnPattern.MatchString(a):
		p = append(p, fmt.Sprintf("RuntimeArn %.80q is not a runtime ARN (arn:PARTITION:lambda:REGION:ACCOUNT:runtime/NAME)", a))
	case len(a) < MinARN:
		p = append(p, fmt.Sprintf("RuntimeArn %q is %d characters; Lambda accepts at least %d", a, len(a), MinARN))
	}
	switch a := c.RuntimeAlias; {
	case len(a) > MaxAlias:
		p = append(p, fmt.Sprintf("RuntimeAlias is %d characters; Lambda accepts at most %d", len(a), MaxAlias))
	case !aliasPattern.MatchString(a):
		p = append(p, fmt.Sprintf("RuntimeAlias %.80q breaks Lambda's alias pattern (letters, digits and _ . -, starting and ending with a letter, digit or _)", a))
	}
	return p
}

// ARN is a parsed runtime ARN.
type ARN struct {
	Partition, Region, Account, Name string
}

// ParseARN splits a runtime ARN (arn:PARTITION:lambda:REGION:ACCOUNT:runtime/NAME).
func ParseARN(s string) (ARN, error) {
	if !arnPattern.MatchString(s) {
		return ARN{}, fmt.Errorf("%.80q is not a runtime ARN", s)
	}
	parts := strings.SplitN(s, ":", 6)
	return ARN{Partition: parts[1], Region: parts[3], Account: parts[4], Name: strings.TrimPrefix(parts[5], "runtime/")}, nil
}

// Alias is what GetRuntimeAlias returns that decides a verdict.
type Alias struct {
	Arn            string
	RuntimeVersion string
	// State: CREATING, ACTIVE, UPDATING, DELETING or PENDING_DELETION.
	State string
	// Architectures the runtime version supports (x86_64, arm64); empty when not stated.
	Architectures []string
	// Lifecycle is the alias's release lifecycle; the alias's own overrides the runtime's
	// ("By default, this is inherited from the runtime lifecycle", UpdateRuntimeAlias).
	Lifecycle Lifecycle
}

// Lifecycle is a RuntimeReleaseLifecycle: a release state and three dates (UTC days; zero when
// not set).
type Lifecycle struct {
	// ReleaseState: PREVIEW, GA or DEPRECATED ("Reads report DEPRECATED once DeprecationDate is
	// reached").
	ReleaseState  string
	Deprecation   time.Time
	CreateBlocked time.Time
	UpdateBlocked time.Time
}

// Alias states (GetRuntimeAlias State).
const (
	StateActive          = "ACTIVE"
	StateCreating        = "CREATING"
	StateUpdating        = "UPDATING"
	StateDeleting        = "DELETING"
	StatePendingDeletion = "PENDING_DELETION"
)

// Reader reads a runtime alias: *Client, and *Cache around it.
type Reader interface {
	GetRuntimeAlias(ctx context.Context, runtimeArn, alias string) (*Alias, error)
}
