package audit

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func TestFromGetFunction(t *testing.T) {
	zipCfg := &types.FunctionConfiguration{
		FunctionName: aws.String("orders"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		PackageType: types.PackageTypeZip, Architectures: []types.Architecture{types.ArchitectureArm64},
		Layers:      []types.Layer{{Arn: aws.String("arn:aws:lambda:eu-west-1:123456789012:layer:otel:7")}},
		Environment: &types.EnvironmentResponse{Variables: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}},
	}
	tests := []struct {
		name    string
		out     *lambda.GetFunctionOutput
		want    Deployed
		unknown string // substring of Unknown
		err     bool
	}{
		{name: "zip", out: &lambda.GetFunctionOutput{Configuration: zipCfg,
			Code: &types.FunctionCodeLocation{Location: aws.String("https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/x?X-Amz-Signature=s")},
			Tags: map[string]string{"team": "orders", "bootstrap-guard:exempt": "native-glibc: vendor build"}},
			want: Deployed{CodeURL: "https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/x?X-Amz-Signature=s", Props: hookapi.FunctionProperties{
				FunctionName: "orders", Runtime: "python3.12", Handler: "app.handler", PackageType: "Zip",
				Architectures: hookapi.StringList{"arm64"}, Layers: hookapi.StringList{"arn:aws:lambda:eu-west-1:123456789012:layer:otel:7"},
				Environment: hookapi.Environment{Variables: map[string]hookapi.String{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}},
				Tags:        []hookapi.Tag{{Key: "bootstrap-guard:exempt", Value: "native-glibc: vendor build"}, {Key: "team", Value: "orders"}},
			}}},
		{name: "image pinned to the resolved digest", out: &lambda.GetFunctionOutput{
			Configuration: &types.FunctionConfiguration{FunctionName: aws.String("img"), PackageType: types.PackageTypeImage,
				ImageConfigResponse: &types.ImageConfigResponse{ImageConfig: &types.ImageConfig{Command: []string{"app.handler"}, WorkingDirectory: aws.String("/app")}}},
			Code: &types.FunctionCodeLocation{ImageUri: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/img:latest"),
				ResolvedImageUri: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/img@sha256:abc")}},
			want: Deployed{Props: hookapi.FunctionProperties{FunctionName: "img", PackageType: "Image",
				Code:        hookapi.Code{ImageURI: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/img@sha256:abc"},
				ImageConfig: hookapi.ImageConfig{Command: hookapi.StringList{"app.handler"}, WorkingDirectory: "/app"}}}},
		{name: "customer-managed runtime, durable", out: &lambda.GetFunctionOutput{
			Configuration: &types.FunctionConfiguration{FunctionName: aws.String("cmr"), Runtime: types.Runtime("custom"), Handler: aws.String("app.handler"),
				PackageType:   types.PackageTypeZip,
				RuntimeConfig: &types.FunctionRuntimeConfig{RuntimeArn: aws.String("arn:aws:lambda:eu-west-1:123456789012:runtime/acme"), RuntimeAlias: aws.String("prod")},
				DurableConfig: &types.DurableConfig{ExecutionTimeout: aws.Int32(900)}},
			Code: &types.FunctionCodeLocation{Location: aws.String("https://x.s3.amazonaws.com/k")}},
			want: Deployed{CodeURL: "https://x.s3.amazonaws.com/k", Props: hookapi.FunctionProperties{FunctionName: "cmr", Runtime: "custom", Handler: "app.handler", PackageType: "Zip",
				RuntimeConfig: &hookapi.RuntimeConfig{RuntimeArn: "arn:aws:lambda:eu-west-1:123456789012:runtime/acme", RuntimeAlias: "prod"},
				DurableConfig: json.RawMessage(`{}`)}}},
		{name: "tags withheld", out: &lambda.GetFunctionOutput{Configuration: zipCfg, Code: &types.FunctionCodeLocation{Location: aws.String("https://x.s3.amazonaws.com/k")},
			TagsError: &types.TagsError{ErrorCode: aws.String("AccessDeniedException"), Message: aws.String("no")}}, unknown: "lambda:ListTags"},
		{name: "environment not decrypted", out: &lambda.GetFunctionOutput{
			Configuration: &types.FunctionConfiguration{FunctionName: aws.String("kms"), Environment: &types.EnvironmentResponse{
				Error: &types.EnvironmentError{ErrorCode: aws.String("KMSAccessDeniedException"), Message: aws.String("denied")}}},
			Code: &types.FunctionCodeLocation{Location: aws.String("https://x.s3.amazonaws.com/k")}}, unknown: "KMSAccessDeniedException"},
		{name: "no code location", out: &lambda.GetFunctionOutput{Configuration: &types.FunctionConfiguration{FunctionName: aws.String("x")}}, unknown: "no Code.Location"},
		{name: "no configuration", out: &lambda.GetFunctionOutput{}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromGetFunction(tt.out)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if tt.unknown != "" {
				if !strings.Contains(got.Unknown, tt.unknown) {
					t.Errorf("Unknown = %q, want it to mention %q", got.Unknown, tt.unknown)
				}
				return
			}
			if got.Unknown != "" || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestArnAccount(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:lambda:eu-west-1:123456789012:function:f":          "123456789012",
		"arn:aws-cn:lambda:cn-north-1:210987654321:function:f:prod": "210987654321",
		"function:f": "", "": "", "arn:aws:lambda": "",
	} {
		if got := arnAccount(arn); got != want {
			t.Errorf("arnAccount(%q) = %q, want %q", arn, got, want)
		}
	}
}

func TestNotInspected(t *testing.T) {
	r := notInspected("arn:aws:lambda:eu-west-1:123456789012:function:f", types.FunctionConfiguration{Runtime: types.RuntimeNodejs22x}, errors.New("could not read x (access denied).").Error())
	if r.Status != result.Skip || r.Architecture != "x86_64" || r.Runtime != "nodejs22.x" || r.Package.Reason != result.ReasonUnreadable {
		t.Errorf("%+v", r)
	}
	if msg := r.Findings[0].Message; msg != "The deployed function was not checked: could not read x (access denied)." {
		t.Errorf("message %q", msg)
	}
}

func typesConfig(runtime string) types.FunctionConfiguration {
	return types.FunctionConfiguration{Runtime: types.Runtime(runtime)}
}
