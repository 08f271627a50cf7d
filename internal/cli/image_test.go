package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func TestCheckImages(t *testing.T) {
	reg := imagetest.StartRegistry(t)
	amd := imagetest.LambdaImage(t, "amd64")
	d := reg.Push(t, "app:amd64", amd)
	reg.Push(t, "app:arm64", imagetest.LambdaImage(t, "arm64"))
	reg.Push(t, "app:buildx", imagetest.BuildxIndex(t, amd, types.OCIImageIndex))
	reg.Push(t, "app:noentry", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64"}))
	dir := t.TempDir()
	oci := filepath.Join(dir, "layout")
	p, _ := layout.Write(oci, empty.Index)
	if err := p.AppendImage(imagetest.LambdaImage(t, "arm64")); err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(dir, "app.tar")
	tag, _ := name.NewTag("app:latest")
	if err := tarball.WriteToFile(tarPath, tag, imagetest.Image(t, imagetest.Spec{OS: "windows", Arch: "amd64", Cmd: []string{"x"}})); err != nil {
		t.Fatal(err)
	}
	docker := func(tag string) string { return "docker://" + reg.Host + "/app:" + tag }
	ins := "--insecure-registry=" + reg.Host

	tests := []struct {
		name string
		args []string
		code int
		rule result.RuleID // first finding
	}{
		{"good x86_64", []string{"check", ins, docker("amd64")}, ExitPass, ""},
		{"good arm64", []string{"check", "--arch", "arm64", ins, docker("arm64")}, ExitPass, ""},
		{"arm64 on x86_64", []string{"check", ins, docker("arm64")}, ExitFail, result.ImageArchMismatch},
		{"buildx index", []string{"check", ins, docker("buildx")}, ExitFail, result.ImageManifestUnsupported},
		{"no entrypoint", []string{"check", ins, docker("noentry")}, ExitFail, result.ImageEntrypointMissing},
		{"oci layout", []string{"check", "--arch", "arm64", "oci:" + oci}, ExitPass, ""},
		{"oci layout, wrong arch", []string{"check", "oci:" + oci}, ExitFail, result.ImageArchMismatch},
		{"docker-archive", []string{"check", "docker-archive:" + tarPath}, ExitFail, result.ImageNotLinux},
		{"missing tag", []string{"check", ins, docker("gone")}, ExitUsage, ""},
		{"not a reference", []string{"check", "docker://Not/Valid!"}, ExitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(append(tt.args, "--format", "json")...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.code, out, errOut)
			}
			if code == ExitUsage {
				if errOut == "" {
					t.Error("no error message")
				}
				return
			}
			var doc struct{ Results []result.Result }
			if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Results) != 1 {
				t.Fatalf("output: %v\n%s", err, out)
			}
			r := doc.Results[0]
			if tt.rule != "" && (len(r.Findings) == 0 || r.Findings[0].Rule != tt.rule) {
				t.Errorf("findings %+v, want %s first", r.Findings, tt.rule)
			}
			if !strings.Contains(r.Image, "sha256:") {
				t.Errorf("image %q does not name the digest", r.Image)
			}
		})
	}
	// The JSON names the exact digest read for a tag.
	_, out, _ := runCLI("check", ins, "--format", "json", docker("amd64"))
	if !strings.Contains(out, `"image": "`+reg.Host+`/app@`+d.String()+`"`) {
		t.Errorf("JSON lacks the pinned image:\n%s", out)
	}
}

// TestTemplateImages: an image function in a template is read from its registry only with
// --images, and otherwise SKIPs saying so; a CDK image asset with a built image beside its build
// context is checked from that image.
func TestTemplateImages(t *testing.T) {
	reg := imagetest.StartRegistry(t)
	reg.Push(t, "app:arm64", imagetest.LambdaImage(t, "arm64"))
	dir := t.TempDir()
	tpl := filepath.Join(dir, "app.template.json")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(tpl, `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"PackageType":"Image","Architectures":["x86_64"],
		"Code":{"ImageUri":"`+reg.Host+`/app:arm64"}}}}}`)
	ins := "--insecure-registry=" + reg.Host

	code, out, errOut := runCLI("check", ins, tpl)
	if code != ExitPass || !strings.Contains(out, "SKIP") || !strings.Contains(out, "--images") {
		t.Errorf("without --images: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI("check", ins, "--images", tpl)
	if code != ExitFail || !strings.Contains(out, "image-arch-mismatch") {
		t.Errorf("with --images: exit %d\n%s%s", code, out, errOut)
	}

	// A cdk.out-shaped template whose function points at an image asset directory.
	asm := filepath.Join(dir, "cdk.out")
	asset := filepath.Join(asm, "asset.abc123")
	os.MkdirAll(asset, 0o755)
	write(filepath.Join(asset, "Dockerfile"), "FROM public.ecr.aws/lambda/provided:al2023\n")
	cdkTpl := filepath.Join(asm, "App.template.json")
	write(cdkTpl, `{"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Metadata":{"aws:asset:path":"asset.abc123","aws:asset:property":"Code.ImageUri"},
		"Properties":{"PackageType":"Image","Architectures":["arm64"],"Code":{"ImageUri":{"Fn::Sub":"${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:abc123"}}}}}}`)
	code, out, _ = runCLI("check", "--assets", asm, cdkTpl)
	if code != ExitPass || !strings.Contains(out, "Docker build context") {
		t.Errorf("unbuilt asset: exit %d\n%s", code, out)
	}
	tag, _ := name.NewTag("app:latest")
	if err := tarball.WriteToFile(filepath.Join(asset, "image.tar"), tag, imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "arm64"})); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI("check", "--assets", asm, cdkTpl)
	if code != ExitFail || !strings.Contains(out, "image-entrypoint-missing") {
		t.Errorf("built asset without entrypoint: exit %d\n%s", code, out)
	}
}

// TestRegistryAuth: the CLI gets the ECR token from the AWS environment (here an httptest ECR
// endpoint through AWS_ENDPOINT_URL_ECR, with the real SDK client) for ECR hosts only, once per
// run; other registries get the Docker config's credentials (none here: anonymous).
func TestRegistryAuth(t *testing.T) {
	ecrSrv := imagetest.StartECR(t, "pw")
	t.Setenv("AWS_ENDPOINT_URL_ECR", ecrSrv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	l := &loader{}
	for range 2 {
		o, err := l.resolver().RegistryOptions(context.Background(), "docker://123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := o.Auth.Authorization()
		if err != nil || cfg.Username != "AWS" || cfg.Password != "pw" {
			t.Fatalf("ECR auth = %+v, %v", cfg, err)
		}
	}
	if n := ecrSrv.Calls(); n != 1 {
		t.Errorf("GetAuthorizationToken called %d times, want 1", n)
	}
	o, err := l.resolver().RegistryOptions(context.Background(), "docker://ghcr.io/acme/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := o.Auth.Authorization(); cfg.Password != "" || cfg.Auth != "" {
		t.Errorf("a non-ECR registry got credentials: %+v", cfg)
	}
	if ecrSrv.Calls() != 1 {
		t.Error("the ECR token was fetched for a non-ECR registry")
	}
}
