package cfn

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// Image is what a template says about a container-image function (PackageType: Image).
type Image struct {
	// URI is the literal image URI (Code.ImageUri, or SAM's ImageUri); "" when there is none or
	// it is built by an intrinsic (CDK's Fn::Sub of the asset repository), and then URIProblem
	// says why.
	URI, URIProblem string
	// Built is a built image found beside a CDK image asset, as a transport reference
	// (oci:DIR or docker-archive:FILE); "" when the asset holds only its Docker build context.
	Built string
	// Asset is the asset's local path (its Docker build context), "" when not a local asset.
	Asset string
	// EntryPoint, Command and WorkingDirectory are ImageConfig's overrides.
	EntryPoint, Command []string
	WorkingDirectory    string
}

// imageOf reads an image function's ImageUri and ImageConfig. props are the resource's
// properties (merged with SAM Globals for a SAM function).
func imageOf(r resource, props map[string]json.RawMessage, sam bool, a *assets) *Image {
	im := &Image{}
	uriProps := props
	if !sam {
		uriProps, _ = object(props, "Code")
	}
	uri, ok, err := scalar(uriProps, "ImageUri")
	switch {
	case err != nil:
		im.URIProblem = err.Error()
	case !ok || uri == "":
		im.URIProblem = "no ImageUri"
	default:
		im.URI = uri
	}
	if cfg, err := object(props, "ImageConfig"); err == nil && cfg != nil {
		im.EntryPoint = stringList(cfg["EntryPoint"])
		im.Command = stringList(cfg["Command"])
		im.WorkingDirectory, _, _ = scalar(cfg, "WorkingDirectory")
	}
	// A CDK image asset is a Docker build context in cdk.out (aws:asset:path). Nothing here
	// builds it; a built image left beside it is used: an OCI image layout in the asset directory
	// (or its oci/ subdirectory), or docker save output as image.tar.
	if rel := a.assetPath(r, ""); rel != "" {
		dir := rel
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(a.dir, rel)
		}
		im.Asset = dir
		for _, d := range []string{dir, filepath.Join(dir, "oci")} {
			if _, err := os.Stat(filepath.Join(d, "oci-layout")); err == nil {
				im.Built = "oci:" + d
				break
			}
		}
		if im.Built == "" {
			if st, err := os.Stat(filepath.Join(dir, "image.tar")); err == nil && st.Mode().IsRegular() {
				im.Built = "docker-archive:" + filepath.Join(dir, "image.tar")
			}
		}
	}
	return im
}

// stringList reads a list of literal strings; anything else is nil (not known before deploy).
func stringList(raw json.RawMessage) []string {
	var out []string
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

// isImage reports whether a function is a container-image function.
func isImage(fn *inspect.Function) bool { return fn.PackageType == inspect.PackageImage }
