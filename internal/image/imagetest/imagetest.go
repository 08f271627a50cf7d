// Package imagetest serves go-containerregistry's registry implementation on loopback and builds
// images for each image rule with its mutate and random packages, for the tests of internal/image,
// internal/guard, the CLI, the hook under the RIE and the bench. It also serves ECR's
// GetAuthorizationToken over HTTP for the real SDK client: ECR auth has no local server.
package imagetest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
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

// Registry is a registry on loopback with a log of the requests it answered and an optional
// hook in front of it for faults and authentication.
type Registry struct {
	Host string // 127.0.0.1:PORT
	srv  *httptest.Server

	mu     sync.Mutex
	log    []string
	before func(w http.ResponseWriter, r *http.Request) bool
	auth   string // required Authorization header; "" for none
}

// StartRegistry serves a new, empty registry until the test ends.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	tr := &Registry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.log = append(tr.log, r.Method+" "+r.URL.Path)
		before, auth := tr.before, tr.auth
		tr.mu.Unlock()
		if auth != "" && r.Header.Get("Authorization") != auth {
			// What ECR answers without credentials: a Basic challenge.
			w.Header().Set("WWW-Authenticate", `Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"`)
			http.Error(w, `{"errors":[{"code":"DENIED","message":"Not Authorized"}]}`, http.StatusUnauthorized)
			return
		}
		if before != nil && before(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.Host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

// Requests returns the requests answered so far, as "METHOD /path".
func (tr *Registry) Requests() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.log...)
}

// Reset clears the request log.
func (tr *Registry) Reset() {
	tr.mu.Lock()
	tr.log = nil
	tr.mu.Unlock()
}

// Before installs a hook run before the registry: returning true means it answered. nil removes it.
func (tr *Registry) Before(f func(w http.ResponseWriter, r *http.Request) bool) {
	tr.mu.Lock()
	tr.before = f
	tr.mu.Unlock()
}

// RequireBasic makes the registry answer like ECR: 401 with a Basic challenge unless the request
// carries AWS:password. Pushes made through Push still work (they authenticate).
func (tr *Registry) RequireBasic(password string) {
	tr.mu.Lock()
	tr.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("AWS:"+password))
	tr.mu.Unlock()
}

func (tr *Registry) pushOptions() []remote.Option {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.auth == "" {
		return nil
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(tr.auth, "Basic "))
	user, pass, _ := strings.Cut(string(raw), ":")
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: user, Password: pass})}
}

// Ref parses HOST/repoTag.
func (tr *Registry) Ref(t testing.TB, repoTag string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(tr.Host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Push writes an image or an index under repoTag and returns its digest.
func (tr *Registry) Push(t testing.TB, repoTag string, x any) v1.Hash {
	t.Helper()
	ref := tr.Ref(t, repoTag)
	var d v1.Hash
	var err error
	switch v := x.(type) {
	case v1.Image:
		if err = remote.Write(ref, v, tr.pushOptions()...); err == nil {
			d, err = v.Digest()
		}
	case v1.ImageIndex:
		if err = remote.WriteIndex(ref, v, tr.pushOptions()...); err == nil {
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

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// PutRaw uploads blobs and then a manifest given as bytes (shapes mutate will not build), and
// returns the manifest's digest.
func (tr *Registry) PutRaw(t testing.TB, repoTag string, mt types.MediaType, manifest []byte, blobs ...[]byte) v1.Hash {
	t.Helper()
	ref := tr.Ref(t, repoTag)
	for _, b := range blobs {
		if err := remote.WriteLayer(ref.Context(), static.NewLayer(b, types.OCILayer), tr.pushOptions()...); err != nil {
			t.Fatalf("write blob: %v", err)
		}
	}
	if err := remote.Put(ref, rawManifest{raw: manifest, mt: mt}, tr.pushOptions()...); err != nil {
		t.Fatalf("put manifest %s: %v", repoTag, err)
	}
	h, _, err := v1.SHA256(strings.NewReader(string(manifest)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Spec describes a test image: its platform, its process, its media types.
type Spec struct {
	OS, Arch, Variant string
	Entrypoint, Cmd   []string
	OCI               bool            // OCI manifest and config media types instead of Docker's
	LayerType         types.MediaType // "" keeps random's Docker gzip layers
	LayerSize         int64           // bytes per layer; 0 means 256
	Layers            int64           // 0 means 2
}

// Image builds a random image to spec.
func Image(t testing.TB, s Spec) v1.Image {
	t.Helper()
	size, n := s.LayerSize, s.Layers
	if size == 0 {
		size = 256
	}
	if n == 0 {
		n = 2
	}
	img, err := random.Image(size, n)
	if err != nil {
		t.Fatal(err)
	}
	if s.LayerType != "" {
		l, err := random.Layer(size, s.LayerType)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.Append(empty.Image, mutate.Addendum{Layer: l, MediaType: s.LayerType}); err != nil {
			t.Fatal(err)
		}
	}
	if s.OCI {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = s.OS, s.Arch, s.Variant
	cf.Config.Entrypoint, cf.Config.Cmd = s.Entrypoint, s.Cmd
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// LambdaImage is a good image for GOARCH arch, shaped like an AWS base image: the runtime
// interface client's entrypoint and a handler as CMD.
func LambdaImage(t testing.TB, arch string) v1.Image {
	return Image(t, Spec{OS: "linux", Arch: arch, Entrypoint: []string{"/lambda-entrypoint.sh"}, Cmd: []string{"app.handler"}})
}

// Attestation is a buildx attestation manifest: OCI config, one in-toto layer
// (https://github.com/moby/buildkit/blob/master/docs/attestations/attestation-storage.md).
func Attestation(t testing.TB) v1.Image {
	t.Helper()
	l := static.NewLayer([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2"}`), "application/vnd.in-toto+json")
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, MediaType: "application/vnd.in-toto+json"})
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// BuildxIndex is what docker buildx pushes by default: an index of media type mt holding img
// (for linux/amd64) and an attestation manifest marked with vnd.docker.reference.type.
func BuildxIndex(t testing.TB, img v1.Image, mt types.MediaType) v1.ImageIndex {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, mt),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: Attestation(t), Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": d.String()},
		}},
	)
}

// LayerDigests lists an image's layer digests: none of them may ever be requested by a check.
func LayerDigests(t testing.TB, img v1.Image) []string {
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

// ECR is an httptest endpoint speaking ECR's JSON 1.1 protocol for GetAuthorizationToken, the one
// ECR call the guard makes; the real SDK client talks to it (directly, or through
// AWS_ENDPOINT_URL_ECR).
type ECR struct {
	URL      string
	password string
	deny     atomic.Bool
	calls    atomic.Int32
}

// StartECR serves GetAuthorizationToken handing out the token AWS:password.
func StartECR(t testing.TB, password string) *ECR {
	t.Helper()
	f := &ECR{password: password}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		io.Copy(io.Discard, r.Body)
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if f.deny.Load() {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"AccessDeniedException","message":"User is not authorized to perform: ecr:GetAuthorizationToken"}`))
			return
		}
		token := base64.StdEncoding.EncodeToString([]byte("AWS:" + f.password))
		json.NewEncoder(w).Encode(map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": token,
			"expiresAt":          float64(time.Now().Add(12 * time.Hour).Unix()),
			"proxyEndpoint":      "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
		}}})
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Client is a real SDK ECR client for this endpoint.
func (f *ECR) Client() *ecr.Client {
	return ecr.New(ecr.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

// Calls is how many GetAuthorizationToken requests arrived.
func (f *ECR) Calls() int { return int(f.calls.Load()) }

// Deny makes GetAuthorizationToken answer AccessDeniedException.
func (f *ECR) Deny(on bool) { f.deny.Store(on) }
