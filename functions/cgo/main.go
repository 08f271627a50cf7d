// Command cgo calls into C, so it links glibc dynamically and needs the glibc of the machine that
// built it: fine on provided.al2023 when built there, broken on provided.al2 (glibc 2.26).
package main

/*
#include <stdlib.h>
#include <string.h>
static size_t greeting_len(void) { return strlen("hello from C"); }
*/
import "C"

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context) (int, error) { return int(C.greeting_len()), nil }

func main() { lambda.Start(handle) }
