package guard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
)

func imageProps(uri, arch string, imageConfig map[string]any) map[string]any {
	p := map[string]any{"PackageType": "Image", "Architectures": []string{arch}, "Code": map[string]any{"ImageUri": uri}}
	if imageConfig != nil {
		p["ImageConfig"] = imageConfig
	}
	return p
}

// TestImageFunctions runs image events through the handler against a registry on loopback that
// answers like ECR (Basic auth with the token from GetAuthorizationToken, served to the real SDK
// client by an httptest endpoint).
func TestImageFunctions(t *testing.T) {
	reg := imagetest.StartRegistry(t)
	reg.RequireBasic("ecr-password")
	ecr := imagetest.StartECR(t, "ecr-password")
	repo := "cdk-hnb659fds-container-assets-123456789012-us-east-1"
	good := imagetest.LambdaImage(t, "amd64")
	goodDigest := reg.Push(t, repo+":good", good)
	reg.Push(t, repo+":arm", imagetest.LambdaImage(t, "arm64"))
	reg.Push(t, repo+":buildx", imagetest.BuildxIndex(t, good, types.OCIImageIndex))
	reg.Push(t, repo+":windows", imagetest.Image(t, imagetest.Spec{OS: "windows", Arch: "amd64", Cmd: []string{"app.exe"}}))
	reg.Push(t, repo+":noentry", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64"}))
	uri := func(tag string) string { return reg.Host + "/" + repo + ":" + tag }

	tests := []struct {
		name       string
		props      map[string]any
		mode       FailMode
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		annotation string // first annotation
		inMessage  []string
	}{
		{name: "good x86_64", props: imageProps(uri("good"), "x86_64", nil), status: hookapi.StatusSuccess,
			inMessage: []string{"ImageFunction (image " + reg.Host + "/" + repo + "@" + goodDigest.String() + ", x86_64) passed"}},
		{name: "good arm64", props: imageProps(uri("arm"), "arm64", nil), status: hookapi.StatusSuccess, inMessage: []string{"passed"}},
		{name: "by digest", props: imageProps(reg.Host+"/"+repo+"@"+goodDigest.String(), "x86_64", nil), status: hookapi.StatusSuccess, inMessage: []string{"passed"}},
		{name: "arm64 image on x86_64", props: imageProps(uri("arm"), "x86_64", nil), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "image-arch-mismatch", inMessage: []string{"linux/arm64", "docker build --platform linux/amd64 --provenance=false"}},
		{name: "buildx index", props: imageProps(uri("buildx"), "x86_64", nil), status: hookapi.StatusFailed, code: hookapi.NonCompliant,
			annotation: "image-manifest-unsupported", inMessage: []string{"attestation", "--provenance=false", goodDigest.String()}},
		{name: "windows", props: imageProps(uri("windows"), "x86_64", nil), status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "image-not-linux"},
		{name: "no entrypoint", props: imageProps(uri("noentry"), "x86_64", nil), status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "image-entrypoint-missing"},
		{name: "no entrypoint, ImageConfig supplies one", props: imageProps(uri("noentry"), "x86_64", map[string]any{"EntryPoint": []string{"/app/bootstrap"}}), status: hookapi.StatusSuccess},
		{name: "no ImageUri", props: map[string]any{"PackageType": "Image"}, status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "image-unreadable", inMessage: []string{"no Code.ImageUri"}},
		{name: "ImageUri not a reference", props: imageProps("Not An Image!", "x86_64", nil), status: hookapi.StatusFailed, code: hookapi.NonCompliant, annotation: "image-unreadable"},
		{name: "missing tag, fail-closed", props: imageProps(uri("gone"), "x86_64", nil), status: hookapi.StatusFailed, code: hookapi.InternalFailure, inMessage: []string{"image not found", "pushed"}},
		{name: "missing tag, fail-open", props: imageProps(uri("gone"), "x86_64", nil), mode: FailOpen, status: hookapi.StatusSuccess, annotation: "package-read-error", inMessage: []string{"Warning (fail-open)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newTestHandler(t, Config{FailMode: tt.mode, InsecureRegistries: []string{reg.Host}}, Clients{ECR: ecr.Client()})
			out, err := h.Invoke(context.Background(), eventFrom(t, "image.json", "", tt.props))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			if r.HookStatus != tt.status || r.ErrorCode != tt.code {
				t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
			}
			for _, s := range tt.inMessage {
				if !strings.Contains(r.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, r.Message)
				}
			}
			if tt.annotation != "" && (len(r.Annotations) == 0 || r.Annotations[0].AnnotationName != tt.annotation) {
				t.Errorf("annotations %+v, want %s first", r.Annotations, tt.annotation)
			}
			if lines := logLines(t, logs); len(lines) != 1 {
				t.Errorf("%d log lines", len(lines))
			}
		})
	}
	if n := ecr.Calls(); n < 1 || n > len(tests) {
		t.Errorf("GetAuthorizationToken called %d times", n)
	}
}

// TestImageFaults: a registry that fails or stalls, or a tag moved mid-check, ends in
// InternalFailure within the budget, never SUCCESS.
func TestImageFaults(t *testing.T) {
	reg := imagetest.StartRegistry(t)
	ecr := imagetest.StartECR(t, "pw")
	repo := "app"
	img := imagetest.LambdaImage(t, "amd64")
	cfg, _ := img.ConfigName()
	other := imagetest.LambdaImage(t, "amd64")
	tests := []struct {
		name      string
		before    func(w http.ResponseWriter, r *http.Request) bool
		deny      bool
		inMessage string
	}{
		{name: "registry 500", inMessage: "500", before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/manifests/") {
				http.Error(w, "internal", http.StatusInternalServerError)
				return true
			}
			return false
		}},
		{name: "registry stalls", inMessage: "timed out", before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/blobs/") {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
				return true
			}
			return false
		}},
		{name: "tag moved mid-check", inMessage: "pushed again", before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/blobs/"+cfg.String()) {
				reg.Push(t, repo+":v1", other)
			}
			return false
		}},
		{name: "GetAuthorizationToken denied", deny: true, inMessage: "ecr:GetAuthorizationToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg.Before(nil)
			reg.Push(t, repo+":v1", img)
			reg.Before(tt.before)
			defer reg.Before(nil)
			ecr.Deny(tt.deny)
			defer ecr.Deny(false)
			budget := 2 * time.Second
			h, _ := newTestHandler(t, Config{Budget: budget, InsecureRegistries: []string{reg.Host}}, Clients{ECR: ecr.Client()})
			start := time.Now()
			out, err := h.Invoke(context.Background(), eventFrom(t, "image.json", "", imageProps(reg.Host+"/"+repo+":v1", "x86_64", nil)))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			if r.HookStatus != hookapi.StatusFailed || r.ErrorCode != hookapi.InternalFailure {
				t.Fatalf("status, code = %s, %q; want FAILED, InternalFailure\n%s", r.HookStatus, r.ErrorCode, r.Message)
			}
			if !strings.Contains(r.Message, tt.inMessage) {
				t.Errorf("message lacks %q:\n%s", tt.inMessage, r.Message)
			}
			if el := time.Since(start); el > budget+500*time.Millisecond {
				t.Errorf("answered after %s, budget %s", el, budget)
			}
		})
	}
}

// TestInsecureRegistriesTestBuild: a hook built with the bootstrapguard_testurls tag reads
// BOOTSTRAP_GUARD_INSECURE_REGISTRIES, loopback registries only.
func TestInsecureRegistriesTestBuild(t *testing.T) {
	old := testLoopbackURLs
	testLoopbackURLs = true
	defer func() { testLoopbackURLs = old }()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvInsecureRegistries {
				return v
			}
			return ""
		}
	}
	c, err := ConfigFromEnv(env("127.0.0.1:5000, localhost:5001"))
	if err != nil || strings.Join(c.InsecureRegistries, ",") != "127.0.0.1:5000,localhost:5001" {
		t.Errorf("got %q, %v", c.InsecureRegistries, err)
	}
	for _, bad := range []string{"registry.example:5000", "127.0.0.1:5000/repo", "127.0.0.1"} {
		if _, err := ConfigFromEnv(env(bad)); err == nil || !strings.Contains(err.Error(), EnvInsecureRegistries) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
