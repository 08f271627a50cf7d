package cfn

import (
	"fmt"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Artifact is the code package a packaging tool uploads for one function in place of what the
// template's Code names: the Serverless Framework's template points Code at its deployment
// bucket, and `serverless deploy` uploads a local zip there (internal/project says which).
type Artifact struct {
	// Path is a local zip or directory, or an s3:// URI; "" when it is not known.
	Path string
	// Problem, when set, says why the package cannot be taken to be Path; the function is then
	// judged without its package.
	Problem string
}

// artifact reads the function's package from Options.Artifacts, reporting whether there was one.
func (r *reader) artifact(f *Function, id string) bool {
	a, ok := r.set.opts.Artifacts[id]
	if !ok {
		return false
	}
	switch {
	case a.Problem != "" || a.Path == "":
		why := a.Problem
		if why == "" {
			why = "the packaging tool's output does not say which zip it uploads"
		}
		f.notInspected(result.ReasonMissingPath, a.Path, why)
	case strings.HasPrefix(a.Path, "s3://"):
		r.uri(f, a.Path)
	default:
		src, err := r.open(a.Path)
		if err != nil {
			f.notInspected(result.ReasonMissingPath, a.Path, fmt.Sprintf("the package %s cannot be read (%v)", a.Path, unwrapPath(err)))
			return true
		}
		f.Code = src
		f.Package = result.Package{Inspected: true, Source: a.Path}
	}
	return true
}

// scalars returns the scalar entries of a map node (nil when there are none).
func scalars(n *intrinsic.Node) map[string]string {
	if n == nil || n.Kind != intrinsic.Map {
		return nil
	}
	var out map[string]string
	for i, k := range n.Keys {
		if v, ok := scalarValue(n.Vals[i]); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
