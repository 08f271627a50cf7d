package bench

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// BenchmarkImageCheck compares, against go-containerregistry's registry on loopback answering
// like ECR (Basic auth with the GetAuthorizationToken token), how the hook checks a container
// image (manifest and config blob, never a layer) with pulling it, for images of one 5 MB and
// one 50 MB layer. Figures per line: ns/op, bytes-transferred/op and requests/op to the
// registry, ecr-calls/op (GetAuthorizationToken; the token is cached across checks). No heap
// figure: the registry serving the images lives in the benchmark process and dominates it.
func BenchmarkImageCheck(b *testing.B) {
	reg := imagetest.StartRegistry(b)
	reg.RequireBasic("bench")
	ecrSrv := imagetest.StartECR(b, "bench")
	for _, size := range []int64{5_000_000, 50_000_000} {
		img := imagetest.Image(b, imagetest.Spec{OS: "linux", Arch: "arm64", Entrypoint: []string{"/var/runtime/bootstrap"}, LayerSize: size, Layers: 1})
		repo := fmt.Sprintf("cdk-hnb659fds-container-assets-123456789012-us-east-1:%dmb", size/1_000_000)
		d := reg.Push(b, repo, img)
		byTag := reg.Host + "/" + repo
		byDigest := reg.Ref(b, repo).Context().Digest(d.String()).String()
		for _, m := range []struct {
			name, ref string
			pull      bool
		}{{"check-by-tag", byTag, false}, {"check-by-digest", byDigest, false}, {"full-pull", byTag, true}} {
			b.Run(fmt.Sprintf("%dMB/%s", size/1_000_000, m.name), func(b *testing.B) {
				auth := image.NewECRAuth(ecrSrv.Client())
				var requests, bytes int64
				for b.Loop() {
					n, k := checkOrPull(b, auth, m.ref, m.pull)
					requests += int64(n)
					bytes += k
				}
				n := float64(b.N)
				b.ReportMetric(float64(bytes)/n, "bytes-transferred/op")
				b.ReportMetric(float64(requests)/n, "requests/op")
				b.ReportMetric(float64(auth.Calls())/n, "ecr-calls/op")
			})
		}
	}
}

// checkOrPull runs the hook's check, or pulls every blob of the image, and returns the requests
// and response bytes it took.
func checkOrPull(b *testing.B, auth *image.ECRAuth, ref string, pull bool) (int, int64) {
	ctx := context.Background()
	a, err := auth.Authenticator(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if !pull {
		f, err := image.NewRegistry(ref, image.RegistryOptions{Insecure: true, Auth: a})
		if err != nil {
			b.Fatal(err)
		}
		res, err := image.Check(ctx, f, image.Function{Target: "bench", Architecture: result.ArchARM})
		if err != nil || res.Status != result.Pass {
			b.Fatalf("check: %v %+v", err, res.Findings)
		}
		return f.Stats()
	}
	t := &countingTransport{}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		b.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithAuth(a.(*authn.Basic)), remote.WithTransport(t), remote.WithContext(ctx))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := img.ConfigFile(); err != nil {
		b.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		rc.Close()
	}
	return int(t.requests.Load()), t.bytes.Load()
}
