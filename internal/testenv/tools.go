package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Node returns a Node.js 20 to run npm-installed tools with: the official build in .cache/node on
// x86-64 (mk/node.mk), else node on PATH.
func Node(t testing.TB) string {
	t.Helper()
	if runtime.GOARCH == "amd64" {
		return NodeBinary(t, "linux-x64", 20)
	}
	if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	return NodeBinary(t, "linux-arm64", 20)
}

// NPMTool returns the path of a file of an npm package installed under .cache/<cache> by
// mk/project.mk (serverless-cache, cdk-ts-cache): .cache/<cache>/node_modules/<rel>. It skips the
// test when it is absent, unless BOOTSTRAP_GUARD_REQUIRE_SERVERS=1 (make test), where absence is a
// failure.
func NPMTool(t testing.TB, cache, rel string) string {
	t.Helper()
	if root, err := ModuleRoot(); err == nil {
		p := filepath.Join(root, ".cache", cache, "node_modules", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not installed in .cache/%s (run make %s-cache)", rel, cache, cache)
	if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// ToolEnv is the environment npm-installed deployment tools run offline in: dummy AWS
// credentials and region (nothing is called), telemetry, update checks and notifications off, and
// a HOME of the test's own so nothing of the user's is read or written.
func ToolEnv(t testing.TB) []string {
	t.Helper()
	return []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=dummy", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		// Serverless Framework v3: lib/utils/telemetry/are-disabled.js, @serverless/utils
		// get-notifications-mode.js, lib/utils/log-deprecation.js.
		"SLS_TELEMETRY_DISABLED=1", "SLS_NOTIFICATIONS_MODE=off", "SLS_DEPRECATION_DISABLE=*",
		// CDK CLI: no version check, no telemetry, no notices.
		"CDK_DISABLE_VERSION_CHECK=1", "CDK_DISABLE_CLI_TELEMETRY=1", "CI=true",
	}
}
