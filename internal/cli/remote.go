package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// loadS3 checks s3://bucket/key with the code path the hook uses: ranged GETs pinned to one
// object, through aws-sdk-go-v2 configured from the environment (AWS_ENDPOINT_URL_S3 and the
// usual credential chain).
func (l *loader) loadS3(path string) ([]target, error) {
	bucket, key, err := s3read.ParseURL(path)
	if err != nil {
		return nil, err
	}
	src, err := l.s3(bucket, key, "")
	if err != nil {
		return nil, err
	}
	src.Name = path
	t, err := l.fromFlags(path, src)
	if err != nil {
		return nil, err
	}
	return []target{t}, nil
}

func runHookEvent(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("hook-event", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: bootstrap-guard hook-event EVENT.json

Prints the response the hook gives to a CloudFormation Lambda hook event, deciding exactly as the
deployed hook does: configuration from BOOTSTRAP_GUARD_* variables, packages read from S3 with the
AWS environment (AWS_ENDPOINT_URL_S3 points it at another S3, such as MinIO).
Exit status: 0 SUCCESS, 1 FAILED, 2 the event file cannot be read.
`)
	}
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitUsage
	}
	if len(paths) != 1 {
		fs.Usage()
		return ExitUsage
	}
	b, err := readEvent(paths[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "bootstrap-guard hook-event: %v\n", err)
		return ExitUsage
	}
	h, err := guard.NewFromEnv(ctx, env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bootstrap-guard hook-event: %v\n", err)
		return ExitUsage
	}
	out, err := h.Invoke(ctx, b)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bootstrap-guard hook-event: %v\n", escapedError{err})
		return ExitUsage
	}
	fmt.Fprintln(env.Stdout, string(out))
	var resp hookapi.Response
	if err := json.Unmarshal(out, &resp); err != nil || resp.HookStatus != hookapi.StatusSuccess {
		return ExitFail
	}
	return ExitPass
}
