package cli

import (
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// loadImage makes a target of an image reference given on the command line, with --arch.
func (l *loader) loadImage(ref string) ([]target, error) {
	if _, err := image.Open(ref, image.RegistryOptions{}); err != nil {
		return nil, err
	}
	fn := engine.Function{
		Function: inspect.Function{Target: ref, Architecture: l.flags.arch, PackageType: inspect.PackageImage},
		Image:    &engine.Image{Ref: ref, Open: l.resolver().OpenImage},
	}
	return []target{{source: ref, fn: fn}}, nil
}
