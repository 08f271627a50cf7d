package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Transports, named as skopeo names them (containers-transports(5)), so a CI script that already
// copies images with skopeo can point the guard at the same strings.
const (
	TransportDocker        = "docker://"
	TransportOCI           = "oci:"
	TransportDockerArchive = "docker-archive:"
)

// IsImageRef reports whether s names an image by one of the transports.
func IsImageRef(s string) bool {
	return strings.HasPrefix(s, TransportDocker) || strings.HasPrefix(s, TransportOCI) || strings.HasPrefix(s, TransportDockerArchive)
}

// Open returns the fetcher for a transport-prefixed reference: docker://REGISTRY/REPO:TAG (or
// @sha256:…), oci:DIR[:REF] (an OCI image layout, as docker buildx --output type=oci,tar=false
// or skopeo copy write), docker-archive:FILE[:REPO:TAG] (docker save output).
func Open(ref string, o RegistryOptions) (Fetcher, error) {
	switch {
	case strings.HasPrefix(ref, TransportDocker):
		return NewRegistry(strings.TrimPrefix(ref, TransportDocker), o)
	case strings.HasPrefix(ref, TransportOCI):
		dir, sel := splitLocal(strings.TrimPrefix(ref, TransportOCI))
		return &Layout{dir: dir, ref: sel}, nil
	case strings.HasPrefix(ref, TransportDockerArchive):
		file, sel := splitLocal(strings.TrimPrefix(ref, TransportDockerArchive))
		return &Archive{file: file, tag: sel}, nil
	}
	return nil, fmt.Errorf("image reference %q: want docker://REGISTRY/REPO:TAG, oci:DIR or docker-archive:FILE", ref)
}

// BuiltBeside returns the built image left in a CDK image asset's directory, as a transport
// reference: an OCI image layout in dir (or its oci/ subdirectory), or docker save output as
// dir/image.tar; "" when dir holds only a Docker build context. Nothing here builds an image.
func BuiltBeside(dir string) string {
	for _, d := range []string{dir, filepath.Join(dir, "oci")} {
		if _, err := os.Stat(filepath.Join(d, "oci-layout")); err == nil {
			return TransportOCI + d
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "image.tar")); err == nil && st.Mode().IsRegular() {
		return TransportDockerArchive + filepath.Join(dir, "image.tar")
	}
	return ""
}

// splitLocal splits PATH[:REF]. A path that exists as given wins, so a file name with a colon
// still works.
func splitLocal(s string) (string, string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	if p, ref, ok := strings.Cut(s, ":"); ok {
		return p, ref
	}
	return s, ""
}

// Layout reads an OCI image layout directory
// (https://github.com/opencontainers/image-spec/blob/main/image-layout.md): index.json lists
// what the layout holds; the entry chosen (the only one, or the one whose
// org.opencontainers.image.ref.name annotation is the REF) is what a push would send.
type Layout struct {
	dir, ref string
}

const refNameAnnotation = "org.opencontainers.image.ref.name"

// Name implements Fetcher.
func (l *Layout) Name() string {
	if l.ref != "" {
		return TransportOCI + l.dir + ":" + l.ref
	}
	return TransportOCI + l.dir
}

// Manifest implements Fetcher.
func (l *Layout) Manifest(ctx context.Context) (Manifest, error) {
	raw, err := readLimited(filepath.Join(l.dir, "index.json"), MaxManifest)
	if err != nil {
		return Manifest{}, readError(l.Name(), err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		return Manifest{}, readError(l.Name(), fmt.Errorf("index.json is not an OCI index: %w", err))
	}
	var picked []v1.Descriptor
	for _, d := range idx.Manifests {
		if l.ref == "" || d.Annotations[refNameAnnotation] == l.ref {
			picked = append(picked, d)
		}
	}
	switch {
	case len(picked) == 0 && l.ref != "":
		return Manifest{}, readError(l.Name(), fmt.Errorf("no entry of index.json is named %q: %w", l.ref, ErrNotFound))
	case len(picked) == 0:
		return Manifest{}, readError(l.Name(), fmt.Errorf("index.json lists no image: %w", ErrNotFound))
	case len(picked) > 1:
		var names []string
		for _, d := range picked {
			names = append(names, d.Annotations[refNameAnnotation])
		}
		return Manifest{}, readError(l.Name(), fmt.Errorf("index.json lists %d images (%s): name one as oci:DIR:REF", len(picked), strings.Join(names, ", ")))
	}
	d := picked[0]
	if d.Size > MaxManifest {
		return Manifest{}, readError(l.Name(), fmt.Errorf("manifest %s of %d bytes: %w", d.Digest, d.Size, ErrTooLarge))
	}
	b, err := l.Blob(ctx, d)
	if err != nil {
		return Manifest{}, err
	}
	return Manifest{Raw: b, MediaType: d.MediaType, Digest: d.Digest}, nil
}

// Blob implements Fetcher: blobs/ALG/HEX, verified against digest and size.
func (l *Layout) Blob(ctx context.Context, desc v1.Descriptor) ([]byte, error) {
	if desc.Digest.Algorithm != "sha256" || len(desc.Digest.Hex) != 64 || strings.ContainsAny(desc.Digest.Hex, "/\\.") {
		return nil, readError(l.Name(), fmt.Errorf("digest %q: %w", desc.Digest, ErrDigest))
	}
	if desc.Size > MaxConfig {
		return nil, readError(l.Name(), fmt.Errorf("blob %s of %d bytes: %w", desc.Digest, desc.Size, ErrTooLarge))
	}
	b, err := readLimited(filepath.Join(l.dir, "blobs", desc.Digest.Algorithm, desc.Digest.Hex), MaxConfig)
	if err != nil {
		return nil, readError(l.Name(), err)
	}
	if err := verify(b, desc); err != nil {
		return nil, readError(l.Name(), err)
	}
	return b, nil
}

// Confirm implements Fetcher: a local layout does not move under the check.
func (l *Layout) Confirm(context.Context, v1.Hash) error { return nil }

func verify(b []byte, desc v1.Descriptor) error {
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if h != desc.Digest || int64(len(b)) != desc.Size {
		return fmt.Errorf("blob %s (%d bytes, descriptor says %d): %w", desc.Digest, len(b), desc.Size, ErrDigest)
	}
	return nil
}

func readLimited(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return b, nil
}

// Archive reads a `docker save` tarball: manifest.json names each image's config file
// (https://github.com/moby/moby/blob/master/image/spec/v1.2.md, "Combined Image JSON + Filesystem
// Changeset Format"). There is no registry manifest in it (docker push writes a Docker V2
// schema 2 manifest from it), so Manifest makes one up around the config, and the verdict names
// the config digest (the image ID). Only manifest.json and the config are read; layers are
// skipped over by the tar reader.
type Archive struct {
	file, tag string
	config    []byte
}

// Name implements Fetcher.
func (a *Archive) Name() string {
	if a.tag != "" {
		return TransportDockerArchive + a.file + ":" + a.tag
	}
	return TransportDockerArchive + a.file
}

type archiveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// Manifest implements Fetcher.
func (a *Archive) Manifest(ctx context.Context) (Manifest, error) {
	fail := func(err error) (Manifest, error) { return Manifest{}, readError(a.Name(), err) }
	raw, err := a.member("manifest.json", MaxManifest)
	if err != nil {
		return fail(err)
	}
	var entries []archiveEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return fail(fmt.Errorf("manifest.json is not a docker save manifest: %w", err))
	}
	var picked []archiveEntry
	for _, e := range entries {
		if a.tag == "" {
			picked = append(picked, e)
			continue
		}
		for _, t := range e.RepoTags {
			if t == a.tag || strings.TrimPrefix(t, "docker.io/library/") == a.tag {
				picked = append(picked, e)
				break
			}
		}
	}
	switch {
	case len(picked) == 0:
		return fail(fmt.Errorf("manifest.json has no image %q: %w", a.tag, ErrNotFound))
	case len(picked) > 1:
		return fail(fmt.Errorf("the archive holds %d images: name one as docker-archive:FILE:REPO:TAG", len(picked)))
	}
	e := picked[0]
	if e.Config == "" || path.IsAbs(e.Config) || strings.Contains(e.Config, "..") {
		return fail(fmt.Errorf("manifest.json names config %q", e.Config))
	}
	cfg, err := a.member(e.Config, MaxConfig)
	if err != nil {
		return fail(err)
	}
	a.config = cfg
	h, _, _ := v1.SHA256(bytes.NewReader(cfg))
	layers := make([]v1.Descriptor, 0, len(e.Layers))
	for range e.Layers {
		// docker push sends each layer as gzip, which is what Lambda will see. The digest is a
		// placeholder: layer digests are never read, and computing them means reading the layers.
		layers = append(layers, v1.Descriptor{MediaType: types.DockerLayer, Size: 1, Digest: h})
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2,
		Config: v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(cfg)), Digest: h}, Layers: layers}
	b, err := json.Marshal(m)
	if err != nil {
		return fail(err)
	}
	return Manifest{Raw: b, MediaType: types.DockerManifestSchema2, Synthetic: true}, nil
}

// Blob implements Fetcher: only the config is ever asked for.
func (a *Archive) Blob(_ context.Context, desc v1.Descriptor) ([]byte, error) {
	if a.config == nil {
		return nil, readError(a.Name(), errors.New("config asked for before the manifest"))
	}
	if err := verify(a.config, desc); err != nil {
		return nil, readError(a.Name(), err)
	}
	return a.config, nil
}

// Confirm implements Fetcher.
func (a *Archive) Confirm(context.Context, v1.Hash) error { return nil }

// member reads one file of the tar, at most max bytes.
func (a *Archive) member(name string, max int64) ([]byte, error) {
	f, err := os.Open(a.file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s is not in the archive (not docker save output?): %w", name, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s as a tar archive: %w", a.file, err)
		}
		if path.Clean(h.Name) != path.Clean(name) || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > max {
			return nil, fmt.Errorf("%s of %d bytes: %w", name, h.Size, ErrTooLarge)
		}
		return io.ReadAll(io.LimitReader(tr, max))
	}
}
