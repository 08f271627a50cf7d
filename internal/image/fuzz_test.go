package image

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// memFetcher serves a manifest and blobs from memory, checking digests as a registry client does.
type memFetcher struct {
	manifest []byte
	mt       types.MediaType
	blobs    map[v1.Hash][]byte
}

func (m *memFetcher) Name() string { return "docker://registry.example/fuzz:latest" }

func (m *memFetcher) Manifest(context.Context) (Manifest, error) {
	h, _, _ := v1.SHA256(bytes.NewReader(m.manifest))
	return Manifest{Raw: m.manifest, MediaType: m.mt, Digest: h}, nil
}

func (m *memFetcher) Blob(_ context.Context, d v1.Descriptor) ([]byte, error) {
	b, ok := m.blobs[d.Digest]
	if !ok {
		return nil, readError(m.Name(), ErrNotFound)
	}
	if err := verify(b, d); err != nil {
		return nil, readError(m.Name(), err)
	}
	return b, nil
}

func (m *memFetcher) Confirm(context.Context, v1.Hash) error { return nil }

func itoa(n int) string { return strconv.Itoa(n) }

func newMem(manifest []byte, mt types.MediaType, config []byte) *memFetcher {
	h, _, _ := v1.SHA256(bytes.NewReader(config))
	return &memFetcher{manifest: manifest, mt: mt, blobs: map[v1.Hash][]byte{h: config}}
}

// FuzzCheck runs the image rules on arbitrary manifest and config bytes. It must not panic, may
// fail only with a ReadError (a config the manifest does not describe), and must give a
// consistent verdict: FAIL exactly when there is an error finding.
func FuzzCheck(f *testing.F) {
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/lambda-entrypoint.sh"],"Cmd":["app.handler"]}}`)
	h, _, _ := v1.SHA256(bytes.NewReader(cfg))
	man, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2,
		Config: v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(cfg)), Digest: h},
		Layers: []v1.Descriptor{{MediaType: types.DockerLayer, Size: 10, Digest: h}}})
	f.Add(man, string(types.DockerManifestSchema2), cfg, "x86_64")
	f.Add(man, "", cfg, "arm64")
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:`+h.Hex+`","platform":{"os":"linux","architecture":"amd64"}}]}`), "", cfg, "x86_64")
	f.Add([]byte(`{"schemaVersion":1}`), string(types.DockerManifestSchema1), []byte(`{}`), "x86_64")
	f.Add([]byte(`not json`), string(types.OCIManifestSchema1), []byte(`{"os":"windows"}`), "arm64")
	f.Add([]byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":`+itoa(len(cfg))+`,"digest":"sha256:`+h.Hex+`"},"layers":[]}`), "application/json", cfg, "x86_64")
	f.Fuzz(func(t *testing.T, manifest []byte, mt string, config []byte, arch string) {
		res, err := Check(context.Background(), newMem(manifest, types.MediaType(mt), config), Function{Target: "fuzz", Architecture: arch})
		if err != nil {
			if !IsReadError(err) {
				t.Fatalf("Check returned a non-read error for in-memory bytes: %v", err)
			}
			return
		}
		if (res.Status == result.Fail) != res.HasErrors() {
			t.Fatalf("status %s with findings %+v", res.Status, res.Findings)
		}
		if res.Status == result.Pass && len(res.Evaluated) < 3 {
			t.Fatalf("PASS after evaluating only %v", res.Evaluated)
		}
		for _, fd := range res.Findings {
			if _, ok := result.Lookup(fd.Rule); !ok || fd.Message == "" {
				t.Fatalf("finding with unknown rule or no message: %+v", fd)
			}
		}
	})
}
