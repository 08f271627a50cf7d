package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Media types this package reasons about beyond those go-containerregistry names.
const (
	// dockerLayerZstd is what docker buildx writes for compression=zstd without oci-mediatypes;
	// it is in no spec (containers/image PR #2906 discusses it).
	dockerLayerZstd types.MediaType = "application/vnd.docker.image.rootfs.diff.tar.zstd"
	// inTotoLayer is the layer type of a buildx attestation manifest (provenance, SBOM):
	// https://github.com/moby/buildkit/blob/master/docs/attestations/attestation-storage.md
	inTotoLayer types.MediaType = "application/vnd.in-toto+json"
	// attestationRefType marks an attestation manifest inside an index, with its
	// vnd.docker.reference.digest naming the image it attests (same buildkit document).
	attestationRefType = "vnd.docker.reference.type"
)

// fixIndex is the remediation for an index or a manifest list: what docker buildx pushes by
// default since 0.10 (provenance attestations) or for several --platform values.
const fixIndex = "Push a single-platform image manifest: build with docker build --provenance=false --platform %s " +
	"(or docker buildx build --provenance=false --sbom=false --platform %s --push), or point ImageUri at the digest of the %s manifest inside the index%s."

// Check decides whether Lambda will be able to start fn from the image f reads. It returns an
// error only when it could not decide: the image could not be read (a *ReadError) or ctx ended.
// The result's Image names the digest that was read, so the verdict is about one exact image.
func Check(ctx context.Context, f Fetcher, fn Function) (result.Result, error) {
	if fn.Architecture == "" {
		fn.Architecture = result.ArchX86
	}
	res := result.Result{Target: fn.Target, Architecture: fn.Architecture, Source: f.Name(), Image: f.Name()}
	k := &check{ctx: ctx, f: f, fn: fn, res: &res}
	if err := k.run(); err != nil {
		return result.Result{}, fmt.Errorf("check %s: %w", fn.Target, err)
	}
	res.Finish()
	return res, nil
}

type check struct {
	ctx context.Context
	f   Fetcher
	fn  Function
	res *result.Result
}

func (k *check) evaluated(ids ...result.RuleID) { k.res.Evaluated = append(k.res.Evaluated, ids...) }

func (k *check) add(id result.RuleID, sev result.Severity, msg, fix string) {
	k.res.Findings = append(k.res.Findings, result.Finding{Rule: id, Severity: sev, Message: msg, Remediation: fix})
}

// platform is the Docker/OCI platform string for a Lambda architecture.
func platform(arch string) string {
	if arch == result.ArchARM {
		return "linux/arm64"
	}
	return "linux/amd64"
}

// goarch maps a Lambda architecture to the GOARCH-style value image configs carry
// (https://github.com/opencontainers/image-spec/blob/main/config.md: "architecture" uses GOARCH).
func goarch(arch string) string {
	switch arch {
	case result.ArchX86:
		return "amd64"
	case result.ArchARM:
		return "arm64"
	}
	return ""
}

func (k *check) run() error {
	if err := k.ctx.Err(); err != nil {
		return err
	}
	k.evaluated(result.ArchitectureUnknown)
	archKnown := goarch(k.fn.Architecture) != ""
	if !archKnown {
		k.add(result.ArchitectureUnknown, result.Error,
			fmt.Sprintf("Architecture %q is not a Lambda architecture; Lambda accepts x86_64 or arm64.", k.fn.Architecture),
			"Set Architectures to [x86_64] or [arm64].")
	}

	k.evaluated(result.ImageUnreadable, result.ImageManifestUnsupported)
	m, err := k.f.Manifest(k.ctx)
	if err != nil {
		return err
	}
	k.pin(m)
	mt := m.MediaType
	if !mt.IsImage() && !mt.IsIndex() && mt != types.DockerManifestSchema1 && mt != types.DockerManifestSchema1Signed {
		// A registry's generic Content-Type (application/json, or none) says less than the
		// manifest itself: its mediaType field, or, since OCI makes that field optional, its shape.
		if declared := declaredMediaType(m.Raw); declared != "" {
			mt = declared
		} else if (mt == "" || mt == "application/json") && sniffed(m.Raw) != "" {
			mt = sniffed(m.Raw)
		}
	}
	switch {
	case mt.IsIndex():
		k.index(m, mt)
		return k.confirm(m)
	case mt == types.DockerManifestSchema1, mt == types.DockerManifestSchema1Signed:
		k.add(result.ImageManifestUnsupported, result.Error,
			fmt.Sprintf("%s is a Docker image manifest V2 schema 1 (%s). Lambda takes Docker image manifest V2 schema 2 and OCI image manifests.", k.f.Name(), mt),
			"Push the image again with a current Docker (1.10 or newer writes schema 2), or convert it: crane copy / skopeo copy --format v2s2.")
		return k.confirm(m)
	case mt.IsImage():
	case mt == "":
		k.add(result.ImageUnreadable, result.Error,
			fmt.Sprintf("%s: the manifest has no media type (neither the registry's Content-Type nor a mediaType field), so it is not a container image Lambda can use.", k.f.Name()),
			"Push the image again with docker push, crane or skopeo, which write a Docker V2 schema 2 or OCI image manifest.")
		return k.confirm(m)
	default:
		k.add(result.ImageManifestUnsupported, result.Error,
			fmt.Sprintf("%s is a %s, not a container image manifest. Lambda takes Docker image manifest V2 schema 2 (%s) and OCI image manifests (%s).", k.f.Name(), mt, types.DockerManifestSchema2, types.OCIManifestSchema1),
			"Point ImageUri at a container image, not at another kind of artifact.")
		return k.confirm(m)
	}

	var man v1.Manifest
	if err := strictJSON(m.Raw, &man); err != nil || man.SchemaVersion != 2 {
		why := "schemaVersion is not 2"
		if err != nil {
			why = err.Error()
		}
		k.add(result.ImageUnreadable, result.Error,
			fmt.Sprintf("%s: the image manifest (%s) is malformed: %s.", k.f.Name(), mt, why),
			"Push the image again with docker push, crane or skopeo.")
		return k.confirm(m)
	}
	if !k.manifestTypes(&man, mt) {
		return k.confirm(m)
	}

	k.evaluated(result.ImageNotLinux, result.ImageArchMismatch, result.ImageEntrypointMissing)
	raw, err := k.f.Blob(k.ctx, man.Config)
	if err != nil {
		return err
	}
	var cfg configFile
	if err := strictJSON(raw, &cfg); err != nil {
		k.add(result.ImageUnreadable, result.Error,
			fmt.Sprintf("%s: the image config %s is not valid JSON for an image config: %v.", k.f.Name(), man.Config.Digest, err),
			"Rebuild and push the image with docker build or buildx.")
		return k.confirm(m)
	}
	if m.Synthetic {
		k.res.Image = fmt.Sprintf("%s (config %s)", k.f.Name(), man.Config.Digest)
	}
	k.platformRules(&cfg, archKnown)
	k.entrypointRule(&cfg)
	return k.confirm(m)
}

// pin makes the result name the exact image read: REF@sha256:….
func (k *check) pin(m Manifest) {
	if !m.Synthetic && m.Digest.Hex != "" {
		name := k.f.Name()
		if strings.HasPrefix(name, TransportDocker) {
			// What Code.ImageUri takes: REGISTRY/REPO@sha256:….
			name = repository(strings.TrimPrefix(name, TransportDocker))
		}
		k.res.Image = name + "@" + m.Digest.String()
	}
}

// repository drops the tag or digest of a reference: host:5000/repo:tag → host:5000/repo.
func repository(ref string) string {
	slash := strings.LastIndex(ref, "/")
	if i := strings.IndexAny(ref[slash+1:], "@:"); i >= 0 {
		return ref[:slash+1+i]
	}
	return ref
}

func (k *check) confirm(m Manifest) error {
	if m.Synthetic {
		return nil
	}
	return k.f.Confirm(k.ctx, m.Digest)
}

// declaredMediaType reads the manifest's own mediaType field, "" when absent or not JSON.
func declaredMediaType(raw []byte) types.MediaType {
	var v struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.MediaType
}

// sniffed tells an OCI index from an OCI image manifest that omit mediaType (allowed by the image
// spec: https://github.com/opencontainers/image-spec/blob/main/manifest.md) by their fields.
func sniffed(raw []byte) types.MediaType {
	var v struct {
		SchemaVersion int               `json:"schemaVersion"`
		Manifests     json.RawMessage   `json:"manifests"`
		Config        json.RawMessage   `json:"config"`
		Layers        []json.RawMessage `json:"layers"`
	}
	if json.Unmarshal(raw, &v) != nil || v.SchemaVersion != 2 {
		return ""
	}
	switch {
	case v.Manifests != nil && v.Config == nil:
		return types.OCIImageIndex
	case v.Config != nil && v.Manifests == nil:
		return types.OCIManifestSchema1
	}
	return ""
}

// strictJSON decodes one JSON value and rejects trailing data: a manifest with two documents is
// not one any registry wrote.
func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON document")
	}
	return nil
}

// index explains an image index or manifest list: what is inside, which entry Lambda would have
// needed, and how to push a single manifest instead. Lambda does not take an index: "The image you
// build for your function must target only one of the architectures. Lambda does not support
// functions that use multi-architecture container images."
// (https://docs.aws.amazon.com/lambda/latest/dg/images-create.html, Requirements).
func (k *check) index(m Manifest, mt types.MediaType) {
	var idx v1.IndexManifest
	if err := strictJSON(m.Raw, &idx); err != nil {
		k.add(result.ImageUnreadable, result.Error,
			fmt.Sprintf("%s: the image index (%s) is malformed: %v.", k.f.Name(), mt, err),
			"Push a single-platform image manifest with docker build --provenance=false.")
		return
	}
	var platforms []string
	attestations := 0
	match := ""
	want := platform(k.fn.Architecture)
	for _, d := range idx.Manifests {
		if d.Annotations[attestationRefType] == "attestation-manifest" {
			attestations++
			continue
		}
		p := "unknown platform"
		if d.Platform != nil {
			p = d.Platform.OS + "/" + d.Platform.Architecture
			if d.Platform.Variant != "" {
				p += "/" + d.Platform.Variant
			}
			if d.Platform.OS == "unknown" {
				attestations++ // buildx also marks attestations with platform unknown/unknown
				continue
			}
		}
		if match == "" && (p == want || p == want+"/v8") {
			match = d.Digest.String()
		}
		platforms = append(platforms, p)
	}
	sort.Strings(platforms)
	kind := "an OCI image index"
	if mt == types.DockerManifestList {
		kind = "a Docker manifest list"
	}
	inside := fmt.Sprintf("%d image manifest(s) (%s)", len(platforms), strings.Join(platforms, ", "))
	if len(platforms) == 0 {
		inside = "no image manifest"
	}
	if attestations > 0 {
		inside += fmt.Sprintf(" and %d attestation manifest(s), as docker buildx pushes with provenance or SBOM attestations on (the default since buildx 0.10)", attestations)
	}
	msg := fmt.Sprintf("%s is %s holding %s. Lambda takes only a single-platform image manifest, not an index or a manifest list: CreateFunction fails with \"The image manifest or layer media type for the source image ... is not supported\".", k.f.Name(), kind, inside)
	at := ""
	if match != "" {
		at = fmt.Sprintf(" (%s is %s)", want, match)
	} else {
		msg += fmt.Sprintf(" None of its images is for %s, the function's architecture.", want)
	}
	p := platform(k.fn.Architecture)
	k.add(result.ImageManifestUnsupported, result.Error, msg, fmt.Sprintf(fixIndex, p, p, p, at))
}

// manifestTypes checks the config and layer media types of a single image manifest and reports
// whether the config should be read. Lambda's docs list no media types; the accepted set is the
// container image manifest formats ECR stores (Docker V2 schema 2, OCI v1.0 and later:
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html) with gzip
// or uncompressed tar layers. A buildx attestation manifest (in-toto layers) is not an image.
func (k *check) manifestTypes(man *v1.Manifest, mt types.MediaType) bool {
	name := k.f.Name()
	for _, l := range man.Layers {
		if l.MediaType == inTotoLayer || l.Annotations["in-toto.io/predicate-type"] != "" {
			k.add(result.ImageManifestUnsupported, result.Error,
				fmt.Sprintf("%s is a build attestation manifest (provenance or SBOM, layers of %s), not a runnable image.", name, l.MediaType),
				"Point ImageUri at the image itself; build with docker build --provenance=false --sbom=false so that the tag names the image, not an index with attestations.")
			return false
		}
	}
	if man.ArtifactType != "" || (man.Config.MediaType != types.OCIConfigJSON && man.Config.MediaType != types.DockerConfigJSON) {
		what := string(man.Config.MediaType)
		if man.ArtifactType != "" {
			what = man.ArtifactType
		}
		k.add(result.ImageManifestUnsupported, result.Error,
			fmt.Sprintf("%s is an artifact of type %q, not a container image (its config must be %s or %s).", name, what, types.OCIConfigJSON, types.DockerConfigJSON),
			"Point ImageUri at a container image built with docker build or buildx.")
		return false
	}
	if man.Config.Size <= 0 || man.Config.Size > MaxConfig || man.Config.Digest.Hex == "" {
		k.add(result.ImageUnreadable, result.Error,
			fmt.Sprintf("%s: the manifest's config descriptor is malformed (digest %q, size %d).", name, man.Config.Digest, man.Config.Size),
			"Push the image again with docker push, crane or skopeo.")
		return false
	}
	for _, l := range man.Layers {
		switch l.MediaType {
		case types.DockerLayer, types.DockerUncompressedLayer, types.OCILayer, types.OCIUncompressedLayer:
		case types.OCILayerZStd, dockerLayerZstd:
			// Inferred: Lambda's docs do not say whether zstd layers are taken, and users report
			// "UnsupportedImageLayerDetected" for layers Docker itself pulls. A warning, not a block.
			k.add(result.ImageManifestUnsupported, result.Warning,
				fmt.Sprintf("%s has a zstd-compressed layer %s (%s); Lambda documents no support for zstd layers.", name, l.Digest, l.MediaType),
				"Build with gzip layers (the buildx default): drop compression=zstd from --output.")
		default:
			k.add(result.ImageManifestUnsupported, result.Error,
				fmt.Sprintf("%s has layer %s of media type %q, which is not a container image layer Lambda takes (tar or tar+gzip).", name, l.Digest, l.MediaType),
				"Rebuild the image with docker build or buildx (gzip layers) and push it again.")
		}
	}
	if mt == types.DockerManifestSchema2 && len(man.Layers) == 0 {
		k.add(result.ImageUnreadable, result.Error,
			fmt.Sprintf("%s has no layers: there is no file for Lambda to start.", name),
			"Build the image from a base image (public.ecr.aws/lambda/provided:al2023 or a language base image).")
	}
	return true
}

// configFile is the part of the image config the rules read
// (https://github.com/opencontainers/image-spec/blob/main/config.md).
type configFile struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	Config       struct {
		Entrypoint []string `json:"Entrypoint"`
		Cmd        []string `json:"Cmd"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"config"`
}

// platformRules: Lambda runs Linux images only ("Lambda supports only Linux-based container
// images", images-create.html), built for the function's one architecture.
func (k *check) platformRules(cfg *configFile, archKnown bool) {
	name := k.f.Name()
	arch := cfg.Architecture
	if arch == "" {
		arch = "(no architecture)"
	}
	plat := cfg.OS + "/" + arch
	if cfg.Variant != "" {
		plat += "/" + cfg.Variant
	}
	if cfg.OS != "linux" {
		os := cfg.OS
		if os == "" {
			os = "no operating system"
		}
		k.add(result.ImageNotLinux, result.Error,
			fmt.Sprintf("%s is built for %s (config %q); Lambda runs only Linux container images.", name, os, plat),
			fmt.Sprintf("Build from a Linux base image for %s: docker build --platform %s --provenance=false.", k.fn.Architecture, platform(k.fn.Architecture)))
		return
	}
	if !archKnown {
		return
	}
	want := goarch(k.fn.Architecture)
	okVariant := cfg.Variant == "" || (want == "arm64" && cfg.Variant == "v8")
	if cfg.Architecture == want && okVariant {
		return
	}
	other := ""
	switch cfg.Architecture {
	case "amd64":
		other = " (x86_64)"
	case "arm64":
		other = " (arm64, as an Apple-silicon Mac builds by default)"
	}
	k.add(result.ImageArchMismatch, result.Error,
		fmt.Sprintf("%s is built for %s%s but the function's architecture is %s: every invoke fails with \"exec format error\".", name, plat, other, k.fn.Architecture),
		fmt.Sprintf("Build for the function's architecture: docker build --platform %s --provenance=false; or set Architectures: [%s] if the image is right.", platform(k.fn.Architecture), otherArch(cfg.Architecture, k.fn.Architecture)))
}

func otherArch(goarch, fallback string) string {
	switch goarch {
	case "amd64":
		return result.ArchX86
	case "arm64":
		return result.ArchARM
	}
	return fallback
}

// entrypointRule: Lambda starts the image's ENTRYPOINT with CMD as its arguments, or
// ImageConfig.EntryPoint / ImageConfig.Command in their place
// (https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#images-parms). With neither
// there is no process to start. What Lambda reports then is inferred (Runtime.InvalidEntrypoint).
func (k *check) entrypointRule(cfg *configFile) {
	ep := nonEmpty(k.fn.ImageConfig.EntryPoint)
	cmd := nonEmpty(k.fn.ImageConfig.Command)
	if !ep {
		ep = nonEmpty(cfg.Config.Entrypoint)
	}
	if !cmd {
		cmd = nonEmpty(cfg.Config.Cmd)
	}
	if ep || cmd {
		return
	}
	k.add(result.ImageEntrypointMissing, result.Error,
		fmt.Sprintf("%s has no ENTRYPOINT and no CMD in its config, and the function's ImageConfig sets neither EntryPoint nor Command: Lambda has no process to start.", k.f.Name()),
		"Add ENTRYPOINT [\"/var/runtime/bootstrap\"] (or the runtime interface client of your language) to the Dockerfile, build FROM a Lambda base image (public.ecr.aws/lambda/...), or set ImageConfig.EntryPoint on the function.")
}

// nonEmpty reports whether an exec-form list names something to run.
func nonEmpty(list []string) bool {
	return len(list) > 0 && strings.TrimSpace(list[0]) != ""
}
