package cli

import (
	"context"
	"fmt"
)

func (l *loader) loadS3(path string) ([]target, error) {
	return nil, fmt.Errorf("%s: s3:// inputs are not supported yet", path)
}

func (l *loader) loadAssembly(path string) ([]target, error) {
	return nil, fmt.Errorf("%s: cloud assemblies are not supported yet", path)
}

func (l *loader) loadTemplate(path string) ([]target, error) {
	return nil, fmt.Errorf("%s: templates are not supported yet", path)
}

func runHookEvent(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "bootstrap-guard hook-event: not supported yet")
	return ExitUsage
}
