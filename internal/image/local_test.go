package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func TestLocalSources(t *testing.T) {
	dir := t.TempDir()
	good := imagetest.LambdaImage(t, "amd64")
	arm := imagetest.LambdaImage(t, "arm64")

	// An OCI layout with one image, one with two named images, one holding a buildx index.
	one := filepath.Join(dir, "one")
	p, err := layout.Write(one, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(good); err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(dir, "two")
	p, _ = layout.Write(two, empty.Index)
	p.AppendImage(good, layout.WithAnnotations(map[string]string{refNameAnnotation: "x86"}))
	p.AppendImage(arm, layout.WithAnnotations(map[string]string{refNameAnnotation: "arm"}))
	bx := filepath.Join(dir, "buildx")
	p, _ = layout.Write(bx, empty.Index)
	if err := p.AppendIndex(imagetest.BuildxIndex(t, good, types.OCIImageIndex)); err != nil {
		t.Fatal(err)
	}
	// docker save output, one image and two.
	archive := filepath.Join(dir, "app.tar")
	tag, _ := name.NewTag("app:latest")
	if err := tarball.WriteToFile(archive, tag, good); err != nil {
		t.Fatal(err)
	}
	multi := filepath.Join(dir, "multi.tar")
	t1, _ := name.NewTag("app:x86")
	t2, _ := name.NewTag("app:arm")
	if err := tarball.MultiWriteToFile(multi, map[name.Tag]v1.Image{t1: good, t2: arm}); err != nil {
		t.Fatal(err)
	}
	noentry := filepath.Join(dir, "noentry.tar")
	tarball.WriteToFile(noentry, tag, imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64"}))

	tests := []struct {
		ref     string
		arch    string
		want    []result.RuleID
		openErr string
	}{
		{ref: "oci:" + one},
		{ref: "oci:" + one, arch: result.ArchARM, want: []result.RuleID{result.ImageArchMismatch}},
		{ref: "oci:" + two + ":arm", arch: result.ArchARM},
		{ref: "oci:" + two + ":x86", arch: result.ArchARM, want: []result.RuleID{result.ImageArchMismatch}},
		{ref: "oci:" + two, openErr: "name one"},
		{ref: "oci:" + two + ":nope", openErr: "no entry"},
		{ref: "oci:" + bx, want: []result.RuleID{result.ImageManifestUnsupported}},
		{ref: "docker-archive:" + archive},
		{ref: "docker-archive:" + archive, arch: result.ArchARM, want: []result.RuleID{result.ImageArchMismatch}},
		{ref: "docker-archive:" + multi + ":app:arm", arch: result.ArchARM},
		{ref: "docker-archive:" + multi, openErr: "2 images"},
		{ref: "docker-archive:" + noentry, want: []result.RuleID{result.ImageEntrypointMissing}},
		{ref: "docker-archive:" + filepath.Join(dir, "missing.tar"), openErr: "not found"},
		{ref: "docker-archive:" + filepath.Join(one, "index.json"), openErr: "tar"},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.ref, dir)+"/"+tc.arch, func(t *testing.T) {
			f, err := Open(tc.ref, RegistryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Check(context.Background(), f, Function{Target: "Fn", Architecture: tc.arch})
			if tc.openErr != "" {
				if err == nil || !IsReadError(err) || !strings.Contains(err.Error(), tc.openErr) {
					t.Fatalf("err = %v, want a read error mentioning %q", err, tc.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []result.RuleID
			for _, f := range res.Findings {
				got = append(got, f.Rule)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Fatalf("findings %+v, want %v", res.Findings, tc.want)
			}
			if !strings.Contains(res.Image, "sha256:") {
				t.Errorf("Image %q does not name a digest", res.Image)
			}
		})
	}
}

// TestLayoutTampered: a blob whose bytes do not match its digest is a read error, not a verdict.
func TestLayoutTampered(t *testing.T) {
	dir := t.TempDir()
	img := imagetest.LambdaImage(t, "amd64")
	p, _ := layout.Write(dir, empty.Index)
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigName()
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", cfg.Hex), []byte(`{"os":"linux","architecture":"amd64"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Check(context.Background(), &Layout{dir: dir}, Function{Target: "Fn"})
	if !errors.Is(err, ErrDigest) {
		t.Fatalf("err = %v, want a digest mismatch", err)
	}
}

func TestOpen(t *testing.T) {
	for _, bad := range []string{"", "app:latest", "s3://bucket/key", "docker://", "docker://UPPER/case:x"} {
		if _, err := Open(bad, RegistryOptions{}); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	f, err := Open("docker://123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag", RegistryOptions{})
	if err != nil || f.Name() != "docker://123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag" {
		t.Fatalf("Open: %v %v", f, err)
	}
}
