// Command legacy is a go1.x-era function: a binary named after its handler, on the go1.x runtime,
// which Lambda deprecated on 2024-01-08.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context) (string, error) { return "hello from go1.x", nil }

func main() { lambda.Start(handle) }
