package s3read

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MaxAttempts bounds SDK retries (throttling, 5xx, resets) so a slow S3 cannot eat the hook's
// 30-second budget; MaxBackoff bounds each wait.
const (
	MaxAttempts = 3
	MaxBackoff  = 2 * time.Second
)

// LoadConfig loads the AWS configuration from the environment with bounded retries. The SDK
// honours AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_SNS.
func LoadConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = MaxAttempts
			o.MaxBackoff = MaxBackoff
		})
	}))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewClient returns an S3 client for cfg. A custom endpoint (MinIO, a VPC endpoint with a custom
// name) gets path-style addressing, since bucket host names will not resolve there.
func NewClient(cfg aws.Config, getenv func(string) string) *s3.Client {
	custom := getenv("AWS_ENDPOINT_URL_S3") != "" || getenv("AWS_ENDPOINT_URL") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if custom {
			o.UsePathStyle = true
		}
	})
}
