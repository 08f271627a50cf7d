package cli

import (
	"strings"
	"testing"
)

// TestEnvFlag: --env sets the function's environment, so the exec wrapper is checked.
func TestEnvFlag(t *testing.T) {
	dir := t.TempDir()
	fn := writeZip(t, dir, "fn.zip", "run.sh", 0o755)
	wrapperLayer := writeZip(t, dir, "lwa.zip", "bootstrap", 0o755)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"wrapper missing", []string{"check", "--runtime", "nodejs24.x", "--handler", "run.sh", "--env", "AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap", fn},
			ExitFail, "exec-wrapper-missing", ""},
		{"wrapper from its layer: the handler is only a warning", []string{"check", "--runtime", "nodejs24.x", "--handler", "run.sh",
			"--env", "AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap", "--layer", wrapperLayer, fn}, ExitPass, "handler-missing", ""},
		{"without the wrapper the handler fails", []string{"check", "--runtime", "nodejs24.x", "--handler", "run.sh", fn},
			ExitFail, "handler-missing", ""},
		{"not KEY=VALUE", []string{"check", "--env", "AWS_LAMBDA_EXEC_WRAPPER", fn}, ExitUsage, "", "KEY=VALUE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}
}
