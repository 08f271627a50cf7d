package engine

import (
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cfn"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// TemplateOptions say how much of a template function is read beyond its local files.
type TemplateOptions struct {
	// Registries reads the ImageUri of image functions from their registries (through Resolver);
	// otherwise they are SKIP, "image not inspected".
	Registries bool
	// Resolver opens images in registries; nil means anonymous reads.
	Resolver *Resolver
}

// FromTemplate is the Function of a function read from a template or cloud assembly: its
// settings, tags and template notes, and for an image function the image to read — a built
// image beside its CDK asset, the registry when o.Registries is set, or none (SKIP, saying why).
func FromTemplate(f *cfn.Function, o TemplateOptions) Function {
	fn := Function{Function: f.Function, Tags: f.Tags, Template: f}
	if f.PackageType == inspect.PackageImage {
		fn.Image = templateImage(f, o)
	}
	return fn
}

func templateImage(f *cfn.Function, o TemplateOptions) *Image {
	im := &Image{}
	if o.Resolver != nil {
		im.Open = o.Resolver.OpenImage
	}
	ci := f.Image
	if ci == nil {
		im.Skip = "container image not inspected: the template says nothing about it"
		return im
	}
	im.Overrides = image.Overrides{EntryPoint: ci.EntryPoint, Command: ci.Command, WorkingDirectory: ci.WorkingDirectory}
	switch {
	case ci.Built != "":
		im.Ref = ci.Built
	case o.Registries && ci.URI != "":
		im.Ref = image.TransportDocker + ci.URI
	case ci.URI != "":
		im.Skip = "container image not inspected: pass --images to read " + ci.URI + " from its registry"
	case ci.Asset != "":
		im.Skip = fmt.Sprintf("container image not inspected: %s is the image asset's Docker build context, not a built image; save the built image there as image.tar (docker save) or an OCI layout (oci/) to check it, or check the pushed image with --images and a literal ImageUri", ci.Asset)
	default:
		im.Skip = "container image not inspected: " + ci.URIProblem
	}
	return im
}
