package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
)

// Deployed is what GetFunction says about one function, turned into what the hook reads.
type Deployed struct {
	// Props are the function's properties as an UPDATE of it would carry them to the hook
	// (AWS::Lambda::Function property names: Runtime, Handler, PackageType, Architectures, Layers,
	// Environment, Tags, ImageConfig, Code.ImageUri).
	Props hookapi.FunctionProperties
	// CodeURL is the presigned Code.Location of a zip function ("" for an image).
	CodeURL string
	// Unknown says why the check cannot see what the hook would (tags or environment variables
	// GetFunction could not return); "" when nothing is missing.
	Unknown string
}

// FromGetFunction maps a GetFunction answer (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html)
// to the properties the hook receives for the same function: FunctionConfiguration's Runtime,
// Handler, PackageType, Architectures, Layers[].Arn, Environment.Variables (where
// AWS_LAMBDA_EXEC_WRAPPER lives), RuntimeConfig, DurableConfig and
// ImageConfigResponse.ImageConfig carry the same names and
// meaning as the AWS::Lambda::Function properties; Tags is a map here and a Key/Value list there.
// An image function is checked against Code.ResolvedImageUri, the digest Lambda resolved the tag
// to and runs (Code.ImageUri when Lambda gives no digest).
func FromGetFunction(out *lambda.GetFunctionOutput) (Deployed, error) {
	if out == nil || out.Configuration == nil {
		return Deployed{}, fmt.Errorf("GetFunction answered without a Configuration")
	}
	c := out.Configuration
	p := hookapi.FunctionProperties{
		FunctionName: hookapi.String(aws.ToString(c.FunctionName)),
		Runtime:      hookapi.String(c.Runtime),
		Handler:      hookapi.String(aws.ToString(c.Handler)),
		PackageType:  hookapi.String(c.PackageType),
	}
	for _, a := range c.Architectures {
		p.Architectures = append(p.Architectures, string(a))
	}
	for _, l := range c.Layers {
		p.Layers = append(p.Layers, aws.ToString(l.Arn))
	}
	var unknown []string
	if e := c.Environment; e != nil {
		if len(e.Variables) > 0 {
			p.Environment.Variables = make(map[string]hookapi.String, len(e.Variables))
			for k, v := range e.Variables {
				p.Environment.Variables[k] = hookapi.String(v)
			}
		}
		if e.Error != nil {
			// Lambda could not decrypt the variables for the caller (a KMS key it may not use).
			unknown = append(unknown, fmt.Sprintf("its environment variables (%s: %s)", aws.ToString(e.Error.ErrorCode), aws.ToString(e.Error.Message)))
		}
	}
	if ic := c.ImageConfigResponse; ic != nil && ic.ImageConfig != nil {
		p.ImageConfig = hookapi.ImageConfig{
			EntryPoint:       ic.ImageConfig.EntryPoint,
			Command:          ic.ImageConfig.Command,
			WorkingDirectory: hookapi.String(aws.ToString(ic.ImageConfig.WorkingDirectory)),
		}
	}
	if rc := c.RuntimeConfig; rc != nil {
		// A customer-managed runtime (Runtime: custom): the same RuntimeArn and RuntimeAlias as
		// AWS::Lambda::Function's RuntimeConfig (Lambda API reference, FunctionRuntimeConfig).
		p.RuntimeConfig = &hookapi.RuntimeConfig{RuntimeArn: hookapi.String(aws.ToString(rc.RuntimeArn)), RuntimeAlias: hookapi.String(aws.ToString(rc.RuntimeAlias))}
	}
	if c.DurableConfig != nil {
		// The hook reads only whether DurableConfig is present.
		p.DurableConfig = json.RawMessage(`{}`)
	}
	keys := make([]string, 0, len(out.Tags))
	for k := range out.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.Tags = append(p.Tags, hookapi.Tag{Key: hookapi.String(k), Value: hookapi.String(out.Tags[k])})
	}
	if out.TagsError != nil {
		// "Lambda returns tag data only if you have explicit allow permissions for
		// lambda:ListTags" (GetFunction, Tags); without them the exemption tag cannot be seen.
		unknown = append(unknown, fmt.Sprintf("its tags (%s: %s; grant lambda:ListTags)", aws.ToString(out.TagsError.ErrorCode), aws.ToString(out.TagsError.Message)))
	}
	d := Deployed{Props: p}
	if code := out.Code; code != nil {
		if c.PackageType == types.PackageTypeImage {
			uri := aws.ToString(code.ResolvedImageUri)
			if uri == "" {
				uri = aws.ToString(code.ImageUri)
			}
			d.Props.Code.ImageURI = hookapi.String(uri)
		} else {
			d.CodeURL = aws.ToString(code.Location)
		}
		if code.Error != nil {
			unknown = append(unknown, fmt.Sprintf("its code (%s: %s)", aws.ToString(code.Error.ErrorCode), aws.ToString(code.Error.Message)))
		}
	}
	if c.PackageType != types.PackageTypeImage && d.CodeURL == "" && len(unknown) == 0 {
		unknown = append(unknown, "its code (GetFunction returned no Code.Location)")
	}
	d.Unknown = strings.Join(unknown, "; ")
	return d, nil
}
