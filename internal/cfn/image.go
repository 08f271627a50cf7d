package cfn

import (
	"path/filepath"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// Image is what a template says about a container-image function (PackageType: Image).
type Image struct {
	// URI is the image URI (Code.ImageUri, or SAM's ImageUri) when it is known before deployment;
	// "" when there is none or it depends on something unresolved (CDK's Fn::Sub of the asset
	// repository with no account and region given), and then URIProblem says why.
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

// image reads an image function's image URI and ImageConfig into f.Image. uriNode is
// Code.ImageUri (or SAM's ImageUri); props are the resource's properties (with SAM Globals).
func (r *reader) image(f *Function, res, props, uriNode *intrinsic.Node) {
	im := &Image{}
	uri, ok, err := r.String(uriNode)
	switch {
	case err != nil:
		im.URIProblem = "ImageUri is " + err.Error()
	case !ok || uri == "":
		im.URIProblem = "no ImageUri"
	default:
		im.URI = uri
	}
	if cfg, err := r.Resolve(props.Get("ImageConfig")); err == nil && cfg != nil && cfg.Kind == intrinsic.Map {
		im.EntryPoint = r.stringList(cfg.Get("EntryPoint"))
		im.Command = r.stringList(cfg.Get("Command"))
		im.WorkingDirectory, _, _ = r.String(cfg.Get("WorkingDirectory"))
	}
	// A CDK image asset is a Docker build context in cdk.out (aws:asset:path). Nothing here
	// builds it; a built image left beside it is used: an OCI image layout in the asset directory
	// (or its oci/ subdirectory), or docker save output as image.tar.
	if rel := r.a.assetPath(res, ""); rel != "" {
		dir := rel
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(r.a.dir, rel)
		}
		im.Asset = dir
		im.Built = image.BuiltBeside(dir)
	}
	f.Image = im
}

// stringList evaluates a list of strings; anything not known before deployment is nil.
func (r *reader) stringList(n *intrinsic.Node) []string {
	l, err := r.Resolve(n)
	if err != nil || l == nil {
		return nil
	}
	if l.Kind == intrinsic.Scalar {
		return []string{l.Value}
	}
	if l.Kind != intrinsic.List {
		return nil
	}
	out := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		s, ok, err := r.String(it)
		if err != nil || !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}
