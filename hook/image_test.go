package main

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

func imageProps(uri, arch string) map[string]any {
	return map[string]any{"PackageType": "Image", "Architectures": []string{arch}, "Code": map[string]any{"ImageUri": uri}}
}

// TestImageUnderRIE runs the built bootstrap under the Lambda RIE against a registry on loopback
// that answers like ECR (Basic auth only with the token of GetAuthorizationToken, which the hook's
// real SDK client gets from an httptest endpoint through AWS_ENDPOINT_URL_ECR). Each image rule
// fires on its image; good single-platform images of both architectures pass; no layer is read.
func TestImageUnderRIE(t *testing.T) {
	reg := imagetest.StartRegistry(t)
	reg.RequireBasic("ecr-token-password")
	ecr := imagetest.StartECR(t, "ecr-token-password")
	repo := "cdk-hnb659fds-container-assets-123456789012-us-east-1"
	amd := imagetest.LambdaImage(t, "amd64")
	arm := imagetest.LambdaImage(t, "arm64")
	reg.Push(t, repo+":amd64", amd)
	reg.Push(t, repo+":arm64", arm)
	reg.Push(t, repo+":buildx", imagetest.BuildxIndex(t, amd, types.OCIImageIndex))
	reg.Push(t, repo+":windows", imagetest.Image(t, imagetest.Spec{OS: "windows", Arch: "amd64", Cmd: []string{"app.exe"}}))
	reg.Push(t, repo+":noentry", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64"}))
	layers := append(imagetest.LayerDigests(t, amd), imagetest.LayerDigests(t, arm)...)
	uri := func(tag string) string { return reg.Host + "/" + repo + ":" + tag }

	// The test build (bootstrapguard_testurls) is the only one that honours
	// BOOTSTRAP_GUARD_INSECURE_REGISTRIES.
	bootstrap := build(t, t.TempDir(), ".", "linux", hostArch(), "lambda.norpc", "bootstrapguard_testurls")
	rie := testenv.StartRIE(t, bootstrap, []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_ENDPOINT_URL_ECR=" + ecr.URL,
		"BOOTSTRAP_GUARD_INSECURE_REGISTRIES=" + reg.Host,
	})

	tests := []struct {
		name       string
		props      map[string]any
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		annotation string
		inMessage  string
	}{
		{"amd64 on x86_64", imageProps(uri("amd64"), "x86_64"), hookapi.StatusSuccess, "", "", "@sha256:"},
		{"arm64 on arm64", imageProps(uri("arm64"), "arm64"), hookapi.StatusSuccess, "", "", "passed"},
		{"arm64 on x86_64", imageProps(uri("arm64"), "x86_64"), hookapi.StatusFailed, hookapi.NonCompliant, "image-arch-mismatch", "exec format error"},
		{"amd64 on arm64", imageProps(uri("amd64"), "arm64"), hookapi.StatusFailed, hookapi.NonCompliant, "image-arch-mismatch", "linux/amd64"},
		{"buildx index", imageProps(uri("buildx"), "x86_64"), hookapi.StatusFailed, hookapi.NonCompliant, "image-manifest-unsupported", "--provenance=false"},
		{"windows", imageProps(uri("windows"), "x86_64"), hookapi.StatusFailed, hookapi.NonCompliant, "image-not-linux", "Linux"},
		{"no entrypoint", imageProps(uri("noentry"), "x86_64"), hookapi.StatusFailed, hookapi.NonCompliant, "image-entrypoint-missing", "ENTRYPOINT"},
		{"no ImageUri", map[string]any{"PackageType": "Image"}, hookapi.StatusFailed, hookapi.NonCompliant, "image-unreadable", "ImageUri"},
		{"missing tag", imageProps(uri("gone"), "x86_64"), hookapi.StatusFailed, hookapi.InternalFailure, "", "image not found"},
	}
	reg.Reset()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := rie.Invoke(t, event(t, "image.json", "ImageFunction", tt.props))
			checkAnswer(t, rie, body, tt.status, tt.code, tt.annotation, tt.inMessage)
		})
	}
	for _, req := range reg.Requests() {
		for _, l := range layers {
			if strings.Contains(req, l) {
				t.Errorf("a layer was requested: %s", req)
			}
		}
	}
	// One token for the whole run: the hook keeps it across invocations.
	if n := ecr.Calls(); n != 1 {
		t.Errorf("GetAuthorizationToken called %d times, want 1", n)
	}
}
