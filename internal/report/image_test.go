package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestImageResult: every format names the digest an image verdict is about.
func TestImageResult(t *testing.T) {
	const pinned = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:7d3f9c1e2b4a5d6c8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"
	res := result.Result{Target: "App/ImageFn", Architecture: "x86_64", Image: pinned, Source: "cdk.out/App.template.json",
		Findings: []result.Finding{{Rule: result.ImageArchMismatch, Severity: result.Error, Message: "built for linux/arm64", Remediation: "docker build --platform linux/amd64 --provenance=false"}}}
	res.Finish()
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			out, err := New(format, Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := out.Output(&buf, []result.Result{res}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), pinned) || !strings.Contains(buf.String(), "image-arch-mismatch") {
				t.Errorf("%s output lacks the pinned image or the rule:\n%s", format, buf.String())
			}
		})
	}
}
