package image

import (
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's registry implementation served on loopback, with a
// log of the requests it answered and an optional hook in front of it for faults.
type testRegistry struct {
	srv    *httptest.Server
	host   string
	mu     sync.Mutex
	log    []string
	before func(w http.ResponseWriter, r *http.Request) bool // true: answered, do not pass on
}

func newTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(discard{}, "", 0)))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.log = append(tr.log, r.Method+" "+r.URL.Path)
		before := tr.before
		tr.mu.Unlock()
		if before != nil && before(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (tr *testRegistry) requests() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.log...)
}

func (tr *testRegistry) reset() {
	tr.mu.Lock()
	tr.log = nil
	tr.mu.Unlock()
}

func (tr *testRegistry) ref(t testing.TB, repoTag string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(tr.host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// push writes img (or an index) under repoTag and returns its digest.
func (tr *testRegistry) push(t testing.TB, repoTag string, x any) v1.Hash {
	t.Helper()
	ref := tr.ref(t, repoTag)
	var d v1.Hash
	var err error
	switch v := x.(type) {
	case v1.Image:
		err = remote.Write(ref, v)
		if err == nil {
			d, err = v.Digest()
		}
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, v)
		if err == nil {
			d, err = v.Digest()
		}
	default:
		t.Fatalf("push %T", x)
	}
	if err != nil {
		t.Fatalf("push %s: %v", repoTag, err)
	}
	return d
}

// rawManifest is a manifest pushed as bytes, for shapes mutate will not build.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// putRaw uploads blobs and then a manifest given as bytes, and returns the manifest's digest.
func (tr *testRegistry) putRaw(t testing.TB, repoTag string, mt types.MediaType, manifest []byte, blobs ...[]byte) v1.Hash {
	t.Helper()
	ref := tr.ref(t, repoTag)
	for _, b := range blobs {
		if err := remote.WriteLayer(ref.Context(), static.NewLayer(b, types.OCILayer)); err != nil {
			t.Fatalf("write blob: %v", err)
		}
	}
	if err := remote.Put(ref, rawManifest{raw: manifest, mt: mt}); err != nil {
		t.Fatalf("put manifest %s: %v", repoTag, err)
	}
	h, _, err := v1.SHA256(strings.NewReader(string(manifest)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// lambdaImage is a random image of two small layers with the given platform and process.
type imageSpec struct {
	os, arch, variant string
	entrypoint, cmd   []string
	oci               bool
	layerType         types.MediaType // "" keeps random's Docker gzip layers
}

func makeImage(t testing.TB, s imageSpec) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.layerType != "" {
		l, err := random.Layer(256, s.layerType)
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.Append(empty.Image, mutate.Addendum{Layer: l, MediaType: s.layerType})
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = s.os, s.arch, s.variant
	cf.Config.Entrypoint, cf.Config.Cmd = s.entrypoint, s.cmd
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func lambdaImage(t testing.TB, arch string) v1.Image {
	return makeImage(t, imageSpec{os: "linux", arch: arch, entrypoint: []string{"/lambda-entrypoint.sh"}, cmd: []string{"app.handler"}})
}

// layerDigests lists an image's layer digests: none of them may ever be requested.
func layerDigests(t testing.TB, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.String())
	}
	return out
}
