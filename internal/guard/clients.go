package guard

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// AWSClients builds the real clients from the environment (credentials, region, and the
// AWS_ENDPOINT_URL_S3 / _LAMBDA / _SNS overrides, which the SDK honours). S3 uses path-style
// addressing when a custom endpoint is set. The hook and the CLI's hook-event command share it.
func AWSClients(ctx context.Context, getenv func(string) string) (Clients, error) {
	cfg, err := s3read.LoadConfig(ctx)
	if err != nil {
		return Clients{}, fmt.Errorf("aws clients: %w", err)
	}
	return Clients{
		S3:     s3read.NewClient(cfg, getenv),
		Lambda: lambda.NewFromConfig(cfg),
		SNS:    sns.NewFromConfig(cfg),
		SSM:    ssm.NewFromConfig(cfg), // honours AWS_ENDPOINT_URL_SSM
		// AWS_ENDPOINT_URL_ECR overrides the endpoint, as for the other services.
		ECR: ecr.NewFromConfig(cfg),
		// AWS_ENDPOINT_URL_LAMBDA_CORE overrides the Lambda Core endpoint (internal/cmr).
		LambdaCore: cmr.NewFromConfig(cfg, getenv),
		// Layer locations are presigned S3 URLs; each request is bounded by the decision's
		// context, this only stops a connection that hangs without one.
		HTTP: &http.Client{Timeout: 20 * time.Second},
	}, nil
}

// NewFromEnv is what the hook's main and the CLI's hook-event command both call: the
// configuration from BOOTSTRAP_GUARD_* variables and real clients from the AWS environment.
func NewFromEnv(ctx context.Context, getenv func(string) string) (*Handler, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	clients, err := AWSClients(ctx, getenv)
	if err != nil {
		return nil, err
	}
	h := New(cfg, clients)
	h.processStart = processStarted
	return h, nil
}
