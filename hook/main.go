// Command hook is the CloudFormation Lambda hook: built as bootstrap for the provided.al2023
// runtime, it answers every AWS::Lambda::Function create and update with a verdict on whether
// Lambda will be able to start the function. The decision lives in internal/guard. The same
// function, invoked by an EventBridge schedule, audits the functions already deployed in its
// account and Region (guard.Entry).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
)

func main() {
	// Configuration is read once: a bad value stops the init, so the problem shows in the
	// function's logs before any stack operation depends on it.
	h, err := guard.EntryFromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bootstrap-guard hook: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
