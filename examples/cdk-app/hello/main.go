// Command hello is the example app's Lambda function: it answers every event with a greeting.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, event map[string]any) (string, error) {
	return "hello from the example app", nil
}

func main() { lambda.Start(handle) }
