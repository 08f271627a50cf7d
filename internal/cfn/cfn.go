// Package cfn reads CloudFormation templates (JSON, including SAM) and CDK cloud assemblies and
// turns every Lambda function in them into an inspect.Function whose code is the local asset it
// will be deployed from: what the hook would check at deploy time, before anything is uploaded.
package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// ErrTemplate is matched by errors about a template's content.
var ErrTemplate = errors.New("cfn: unusable template")

// maxTemplate bounds a template read (CloudFormation's own limit is 1 MB from S3).
const maxTemplate = 16 << 20

// Function is one function found in a template.
type Function struct {
	inspect.Function
	// Template is the file the function is defined in.
	Template string
	// Tags are the function's tags as the hook will see them (CloudFormation's Tags list, SAM's
	// Tags map, SAM Globals), for exemptions. Nil means none.
	Tags map[string]string
	// Image is set for a container-image function (PackageType: Image).
	Image *Image
}

// Set is what a template or assembly holds, with the asset files opened for reading.
type Set struct {
	Functions []Function
	closers   []io.Closer
}

// Close closes the opened asset files.
func (s *Set) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// template is the part of a template this package reads.
type template struct {
	Globals struct {
		Function map[string]json.RawMessage `json:"Function"`
	} `json:"Globals"`
	Resources map[string]resource `json:"Resources"`
}

type resource struct {
	Type       string                     `json:"Type"`
	Properties map[string]json.RawMessage `json:"Properties"`
	Metadata   map[string]json.RawMessage `json:"Metadata"`
}

// parseTemplate decodes template JSON. YAML is refused with a way out: the standard library has
// no YAML parser, and CloudFormation's short-form tags (!Ref, !Sub) need one that knows them.
func parseTemplate(b []byte, name string) (*template, error) {
	trimmed := strings.TrimSpace(string(b))
	if !strings.HasPrefix(trimmed, "{") {
		return nil, fmt.Errorf("%w: %s is not JSON (YAML templates are not read; convert with `cfn-flip` or synthesize JSON)", ErrTemplate, name)
	}
	var t template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, name, err)
	}
	return &t, nil
}

// assets maps what a template says about code (an asset path, an S3 object key) to local files.
type assets struct {
	dir   string            // asset paths are relative to it
	byKey map[string]string // S3 object key -> asset path, from asset manifests
}

// LoadTemplate reads one template; asset paths in it are relative to assetsDir (for SAM, CodeUri is
// relative to the template's directory when assetsDir is empty).
func LoadTemplate(path, assetsDir string) (*Set, error) {
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	t, err := parseTemplate(b, path)
	if err != nil {
		return nil, err
	}
	if assetsDir == "" {
		assetsDir = filepath.Dir(path)
	}
	s := &Set{}
	a := &assets{dir: assetsDir, byKey: map[string]string{}}
	stack := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	stack = strings.TrimSuffix(stack, ".template")
	if err := s.add(t, stack, path, a); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTemplate+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxTemplate {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTemplate, path, maxTemplate)
	}
	return b, nil
}

// add collects the functions of a parsed template, in logical-ID order.
func (s *Set) add(t *template, stack, file string, a *assets) error {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := t.Resources[id]
		var fn *inspect.Function
		var err error
		switch r.Type {
		case "AWS::Lambda::Function":
			fn, err = s.lambdaFunction(t, id, r, a)
		case "AWS::Serverless::Function":
			fn, err = s.samFunction(t, id, r, a)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("%s/%s: %w", stack, id, err)
		}
		fn.Target = stack + "/" + id
		f := Function{Function: *fn, Template: file}
		if isImage(fn) {
			props := r.Properties
			if r.Type == "AWS::Serverless::Function" {
				props = map[string]json.RawMessage{}
				for k, v := range t.Globals.Function {
					props[k] = v
				}
				for k, v := range r.Properties {
					props[k] = v
				}
			}
			f.Image = imageOf(r, props, r.Type == "AWS::Serverless::Function", a)
		}
		s.Functions = append(s.Functions, f)
	}
	return nil
}
