package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func checkRef(t *testing.T, tr *imagetest.Registry, repoTag string, fn Function) (result.Result, error) {
	t.Helper()
	f, err := NewRegistry(tr.Host+"/"+repoTag, RegistryOptions{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Check(ctx, f, fn)
}

func TestRules(t *testing.T) {
	tr := imagetest.StartRegistry(t)
	good := imagetest.LambdaImage(t, "amd64")
	tr.Push(t, "fn/good-amd64:v1", good)
	tr.Push(t, "fn/good-arm64:v1", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "arm64", Variant: "v8", OCI: true, Entrypoint: []string{"/var/runtime/bootstrap"}}))
	tr.Push(t, "fn/arm64:v1", imagetest.LambdaImage(t, "arm64"))
	tr.Push(t, "fn/windows:v1", imagetest.Image(t, imagetest.Spec{OS: "windows", Arch: "amd64", Cmd: []string{"app.exe"}}))
	tr.Push(t, "fn/noentry:v1", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64"}))
	tr.Push(t, "fn/cmdonly:v1", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64", Cmd: []string{"/app/bootstrap"}}))
	tr.Push(t, "fn/buildx:v1", imagetest.BuildxIndex(t, good, types.OCIImageIndex))
	tr.Push(t, "fn/list:v1", mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList),
		mutate.IndexAddendum{Add: imagetest.LambdaImage(t, "arm64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}}))
	tr.Push(t, "fn/attestation:v1", imagetest.Attestation(t))
	tr.Push(t, "fn/zstd:v1", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64", OCI: true, LayerType: types.OCILayerZStd, Cmd: []string{"/app/bootstrap"}}))
	tr.Push(t, "fn/foreign:v1", imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "amd64", LayerType: "application/vnd.example.weird", Cmd: []string{"/app/bootstrap"}}))

	// Shapes mutate will not build: pushed as bytes.
	cfgBad := []byte(`{"architecture":"amd64","os":"linux","config":{"Entrypoint":"not a list"}}`)
	cfgBadD, _, _ := v1.SHA256(strings.NewReader(string(cfgBad)))
	badManifest, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cfgBad)), Digest: cfgBadD}})
	tr.PutRaw(t, "fn/badconfig:v1", types.OCIManifestSchema1, badManifest, cfgBad)
	helm := []byte(`{"name":"chart"}`)
	helmD, _, _ := v1.SHA256(strings.NewReader(string(helm)))
	helmManifest, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: "application/vnd.cncf.helm.config.v1+json", Size: int64(len(helm)), Digest: helmD}})
	tr.PutRaw(t, "fn/helm:v1", types.OCIManifestSchema1, helmManifest, helm)

	tests := []struct {
		name, ref string
		arch      string
		overrides Overrides
		want      []result.RuleID // error findings
		warn      []result.RuleID
		inMessage string
	}{
		{name: "good amd64 on x86_64", ref: "fn/good-amd64:v1", arch: result.ArchX86},
		{name: "good amd64, default architecture", ref: "fn/good-amd64:v1"},
		{name: "good OCI arm64/v8 on arm64", ref: "fn/good-arm64:v1", arch: result.ArchARM},
		{name: "good arm64 on arm64", ref: "fn/arm64:v1", arch: result.ArchARM},
		{name: "arm64 image on x86_64", ref: "fn/arm64:v1", arch: result.ArchX86, want: []result.RuleID{result.ImageArchMismatch}, inMessage: "linux/arm64"},
		{name: "amd64 image on arm64", ref: "fn/good-amd64:v1", arch: result.ArchARM, want: []result.RuleID{result.ImageArchMismatch}, inMessage: "exec format error"},
		{name: "windows image", ref: "fn/windows:v1", want: []result.RuleID{result.ImageNotLinux}, inMessage: "windows"},
		{name: "no entrypoint, no cmd", ref: "fn/noentry:v1", want: []result.RuleID{result.ImageEntrypointMissing}},
		{name: "no entrypoint, ImageConfig.EntryPoint set", ref: "fn/noentry:v1", overrides: Overrides{EntryPoint: []string{"/app/bootstrap"}}},
		{name: "no entrypoint, ImageConfig.Command set", ref: "fn/noentry:v1", overrides: Overrides{Command: []string{"/app/bootstrap"}}},
		{name: "CMD only", ref: "fn/cmdonly:v1"},
		{name: "buildx index with attestation", ref: "fn/buildx:v1", want: []result.RuleID{result.ImageManifestUnsupported}, inMessage: "attestation"},
		{name: "docker manifest list", ref: "fn/list:v1", want: []result.RuleID{result.ImageManifestUnsupported}, inMessage: "manifest list"},
		{name: "attestation manifest itself", ref: "fn/attestation:v1", want: []result.RuleID{result.ImageManifestUnsupported}, inMessage: "attestation"},
		{name: "zstd layers warn", ref: "fn/zstd:v1", warn: []result.RuleID{result.ImageManifestUnsupported}},
		{name: "unknown layer type", ref: "fn/foreign:v1", want: []result.RuleID{result.ImageManifestUnsupported}, inMessage: "vnd.example.weird"},
		{name: "helm chart artifact", ref: "fn/helm:v1", want: []result.RuleID{result.ImageManifestUnsupported}, inMessage: "helm"},
		{name: "malformed config", ref: "fn/badconfig:v1", want: []result.RuleID{result.ImageUnreadable}},
		{name: "unknown architecture", ref: "fn/good-amd64:v1", arch: "x86", want: []result.RuleID{result.ArchitectureUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := checkRef(t, tr, tc.ref, Function{Target: "Fn", Architecture: tc.arch, ImageConfig: tc.overrides})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			var errs, warns []result.RuleID
			for _, f := range res.Findings {
				if f.Severity == result.Error {
					errs = append(errs, f.Rule)
				} else {
					warns = append(warns, f.Rule)
				}
			}
			if fmt.Sprint(errs) != fmt.Sprint(tc.want) || fmt.Sprint(warns) != fmt.Sprint(tc.warn) {
				t.Fatalf("errors %v warnings %v, want %v and %v; findings %+v", errs, warns, tc.want, tc.warn, res.Findings)
			}
			wantStatus := result.Pass
			if len(tc.want) > 0 {
				wantStatus = result.Fail
			}
			if res.Status != wantStatus {
				t.Errorf("status %s, want %s", res.Status, wantStatus)
			}
			if tc.inMessage != "" && !strings.Contains(res.Findings[0].Message, tc.inMessage) {
				t.Errorf("message %q does not mention %q", res.Findings[0].Message, tc.inMessage)
			}
			// The verdict names the digest it read.
			if !strings.Contains(res.Image, "@sha256:") || !strings.HasPrefix(res.Image, tr.Host+"/"+strings.Split(tc.ref, ":")[0]+"@") {
				t.Errorf("Image = %q, want the reference pinned to a digest", res.Image)
			}
		})
	}
}

// TestIndexNamesChildDigest: the fix for an index names the digest of the manifest Lambda could
// have used, so pointing ImageUri at it is one copy-paste.
func TestIndexNamesChildDigest(t *testing.T) {
	tr := imagetest.StartRegistry(t)
	img := imagetest.LambdaImage(t, "amd64")
	d, _ := img.Digest()
	tr.Push(t, "fn/buildx:v1", imagetest.BuildxIndex(t, img, types.OCIImageIndex))
	res, err := checkRef(t, tr, "fn/buildx:v1", Function{Target: "Fn"})
	if err != nil {
		t.Fatal(err)
	}
	f := res.FindingsFor(result.ImageManifestUnsupported)
	if len(f) != 1 || !strings.Contains(f[0].Remediation, d.String()) || !strings.Contains(f[0].Remediation, "--provenance=false") {
		t.Fatalf("remediation should name --provenance=false and %s: %+v", d, f)
	}
	// On arm64 no entry matches: the message says so.
	res, err = checkRef(t, tr, "fn/buildx:v1", Function{Target: "Fn", Architecture: result.ArchARM})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.FindingsFor(result.ImageManifestUnsupported); len(f) != 1 || !strings.Contains(f[0].Message, "None of its images is for linux/arm64") {
		t.Fatalf("arm64: %+v", res.Findings)
	}
}

// TestOnlyManifestAndConfig: a check reads the manifest and the config blob and never a layer, in
// at most four requests (the /v2/ ping, manifest, config, and for a tag the HEAD confirming it).
func TestOnlyManifestAndConfig(t *testing.T) {
	tr := imagetest.StartRegistry(t)
	img := imagetest.LambdaImage(t, "amd64")
	d := tr.Push(t, "fn/app:v1", img)
	layers := imagetest.LayerDigests(t, img)
	for _, ref := range []string{"fn/app:v1", "fn/app@" + d.String()} {
		t.Run(ref, func(t *testing.T) {
			tr.Reset()
			f, err := NewRegistry(tr.Host+"/"+ref, RegistryOptions{Insecure: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Check(context.Background(), f, Function{Target: "Fn"})
			if err != nil || res.Status != result.Pass {
				t.Fatalf("Check: %v %+v", err, res)
			}
			reqs := tr.Requests()
			for _, r := range reqs {
				for _, l := range layers {
					if strings.Contains(r, l) {
						t.Errorf("layer requested: %s", r)
					}
				}
			}
			want := 4
			if strings.Contains(ref, "@") {
				want = 3 // by digest: nothing to confirm
			}
			if len(reqs) != want {
				t.Errorf("%d requests %v, want %d", len(reqs), reqs, want)
			}
			n, b := f.Stats()
			if n != len(reqs) || b <= 0 || b > 16<<10 {
				t.Errorf("stats: %d requests, %d bytes", n, b)
			}
			if res.Image != tr.Host+"/fn/app@"+d.String() {
				t.Errorf("Image = %q", res.Image)
			}
		})
	}
}

// TestFaults: a registry that fails, hangs, or moves the tag mid-check gives an error (the hook's
// InternalFailure or fail-open), never a verdict.
func TestFaults(t *testing.T) {
	tr := imagetest.StartRegistry(t)
	img := imagetest.LambdaImage(t, "amd64")
	tr.Push(t, "fn/app:v1", img)
	cfgName, _ := img.ConfigName()
	other := imagetest.LambdaImage(t, "amd64")

	tests := []struct {
		name   string
		before func(w http.ResponseWriter, r *http.Request) bool
		is     error
		budget time.Duration
	}{
		{name: "manifest 500", before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/manifests/") {
				http.Error(w, "boom", http.StatusInternalServerError)
				return true
			}
			return false
		}},
		{name: "config 500", before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/blobs/") {
				http.Error(w, "boom", http.StatusInternalServerError)
				return true
			}
			return false
		}},
		{name: "config 404", is: ErrNotFound, before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/blobs/") {
				http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"gone"}]}`, http.StatusNotFound)
				return true
			}
			return false
		}},
		{name: "access denied", is: ErrAccessDenied, before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/manifests/") {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"no"}]}`, http.StatusForbidden)
				return true
			}
			return false
		}},
		{name: "config bytes swapped", is: ErrDigest, before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/blobs/") {
				w.Write([]byte(`{"architecture":"amd64","os":"linux"}`))
				return true
			}
			return false
		}},
		{name: "hangs", is: context.DeadlineExceeded, budget: 300 * time.Millisecond, before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/blobs/") {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return true
			}
			return false
		}},
		{name: "tag moved mid-check", is: ErrMoved, before: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/blobs/"+cfgName.String()) && r.Method == http.MethodGet {
				tr.Push(t, "fn/app:v1", other) // through the same server, while this request waits
			}
			return false
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr.Push(t, "fn/app:v1", img)
			tr.Before(tc.before)
			defer tr.Before(nil)
			budget := tc.budget
			if budget == 0 {
				budget = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			f, err := NewRegistry(tr.Host+"/fn/app:v1", RegistryOptions{Insecure: true})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, err := Check(ctx, f, Function{Target: "Fn"})
			if err == nil {
				t.Fatalf("no error; verdict %s %+v", res.Status, res.Findings)
			}
			if !IsReadError(err) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error is not a ReadError: %v", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if el := time.Since(start); el > budget+time.Second {
				t.Errorf("took %s, budget %s", el, budget)
			}
		})
	}
}

// TestMediaTypeSniffing: an OCI manifest or index without a mediaType field, served with a
// generic Content-Type, is still recognised by its shape.
func TestMediaTypeSniffing(t *testing.T) {
	cfg := []byte(`{"architecture":"arm64","os":"linux","config":{"Cmd":["/app/bootstrap"]}}`)
	h, _, _ := v1.SHA256(strings.NewReader(string(cfg)))
	man := []byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":` + fmt.Sprint(len(cfg)) + `,"digest":"` + h.String() + `"},"layers":[]}`)
	idx := []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"` + h.String() + `","platform":{"os":"linux","architecture":"arm64"}}]}`)
	tests := []struct {
		name string
		raw  []byte
		mt   types.MediaType
		arch string
		want []result.RuleID
	}{
		{"manifest as application/json", man, "application/json", result.ArchARM, nil},
		{"manifest with no content type", man, "", result.ArchX86, []result.RuleID{result.ImageArchMismatch}},
		{"index as application/json", idx, "application/json", result.ArchARM, []result.RuleID{result.ImageManifestUnsupported}},
		{"declared type wins over a generic header", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`), "text/plain", result.ArchX86, []result.RuleID{result.ImageManifestUnsupported}},
		{"neither", []byte(`{"schemaVersion":2}`), "application/json", result.ArchX86, []result.RuleID{result.ImageManifestUnsupported}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Check(context.Background(), newMem(tc.raw, tc.mt, cfg), Function{Target: "Fn", Architecture: tc.arch})
			if err != nil {
				t.Fatal(err)
			}
			var got []result.RuleID
			for _, f := range res.Findings {
				got = append(got, f.Rule)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("findings %+v, want %v", res.Findings, tc.want)
			}
		})
	}
}
