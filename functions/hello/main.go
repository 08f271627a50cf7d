// Command hello is a correct custom-runtime function: built as bootstrap for linux/arm64 and
// zipped with zip -j so bootstrap sits at the zip root. The broken samples reuse it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type response struct {
	Message string `json:"message"`
}

func handle(ctx context.Context, event map[string]any) (response, error) {
	return response{Message: "hello from a bootstrap that Lambda can start"}, nil
}

func main() { lambda.Start(handle) }
