package cfn

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// scalar reads a property that must be a literal string; an intrinsic function is an error naming
// the property, since its value is known only at deploy time.
func scalar(props map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := props[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), true, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err == nil && len(obj) == 1 {
		for k := range obj {
			return "", false, fmt.Errorf("%s is %s, which is resolved only at deploy time; give it a literal value to check it here", name, k)
		}
	}
	return "", false, fmt.Errorf("%s is not a string", name)
}

// object reads a property that must be a JSON object.
func object(props map[string]json.RawMessage, name string) (map[string]json.RawMessage, error) {
	raw, ok := props[name]
	if !ok {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s is not an object", name)
	}
	return m, nil
}

// architecture reads Architectures (a one-element list).
func architecture(props map[string]json.RawMessage) (string, error) {
	raw, ok := props["Architectures"]
	if !ok {
		return "", nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("Architectures is not a list")
	}
	if len(list) == 0 {
		return "", nil
	}
	v, _, err := scalar(map[string]json.RawMessage{"Architectures": list[0]}, "Architectures")
	return v, err
}

// common reads Runtime, Handler, Architectures and PackageType.
func common(fn *inspect.Function, props map[string]json.RawMessage) error {
	var err error
	if fn.Runtime, _, err = scalar(props, "Runtime"); err != nil {
		return err
	}
	if fn.Handler, _, err = scalar(props, "Handler"); err != nil {
		return err
	}
	if fn.PackageType, _, err = scalar(props, "PackageType"); err != nil {
		return err
	}
	if fn.Architecture, err = architecture(props); err != nil {
		return err
	}
	return nil
}

// open turns an asset path into a source: a zip file or a directory.
func (s *Set) open(a *assets, rel string) (inspect.Source, error) {
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(a.dir, rel)
	}
	src, c, err := inspect.OpenPath(p)
	if err != nil {
		return inspect.Source{}, fmt.Errorf("asset %s: %w", rel, err)
	}
	s.closers = append(s.closers, c)
	return src, nil
}

// assetPath finds the local asset of a resource: its aws:asset:path metadata (CDK), or the
// object key of its S3 location in the assembly's asset manifests.
func (a *assets) assetPath(r resource, key string) string {
	if raw, ok := r.Metadata["aws:asset:path"]; ok {
		var p string
		if json.Unmarshal(raw, &p) == nil && p != "" {
			return p
		}
	}
	return a.byKey[key]
}

func (s *Set) lambdaFunction(t *template, id string, r resource, a *assets) (*inspect.Function, error) {
	fn := &inspect.Function{}
	if err := common(fn, r.Properties); err != nil {
		return nil, err
	}
	if fn.PackageType == inspect.PackageImage {
		return fn, nil
	}
	code, err := object(r.Properties, "Code")
	if err != nil {
		return nil, err
	}
	if _, ok := code["ZipFile"]; ok {
		fn.Code = inspect.Source{Name: id + " (inline Code.ZipFile)", Inline: true}
	} else {
		key, _, _ := scalar(code, "S3Key")
		rel := a.assetPath(r, key)
		if rel == "" {
			bucket, _, _ := scalar(code, "S3Bucket")
			if bucket != "" && key != "" {
				return nil, fmt.Errorf("code is s3://%s/%s, not a local asset: check it with `bootstrap-guard check s3://%s/%s`", bucket, key, bucket, key)
			}
			return nil, fmt.Errorf("code is neither inline nor a local asset (no aws:asset:path metadata, no asset manifest entry)")
		}
		if fn.Code, err = s.open(a, rel); err != nil {
			return nil, err
		}
	}
	fn.Layers, err = s.layers(t, r.Properties, a)
	return fn, err
}

func (s *Set) samFunction(t *template, id string, r resource, a *assets) (*inspect.Function, error) {
	fn := &inspect.Function{}
	// Globals.Function supplies what the function leaves out.
	props := map[string]json.RawMessage{}
	for k, v := range t.Globals.Function {
		props[k] = v
	}
	for k, v := range r.Properties {
		props[k] = v
	}
	if err := common(fn, props); err != nil {
		return nil, err
	}
	if fn.PackageType == inspect.PackageImage {
		return fn, nil
	}
	if _, ok := props["InlineCode"]; ok {
		fn.Code = inspect.Source{Name: id + " (InlineCode)", Inline: true}
	} else {
		uri, ok, err := scalar(props, "CodeUri")
		if err != nil {
			return nil, err
		}
		if !ok {
			if rel := a.assetPath(r, ""); rel != "" {
				uri = rel
			} else {
				return nil, fmt.Errorf("CodeUri is not a local path (an S3 location, or missing)")
			}
		}
		if strings.HasPrefix(uri, "s3://") {
			return nil, fmt.Errorf("CodeUri is %s, not a local path: check it with `bootstrap-guard check %s`", uri, uri)
		}
		if fn.Code, err = s.open(a, uri); err != nil {
			return nil, err
		}
	}
	var err error
	fn.Layers, err = s.layers(t, props, a)
	return fn, err
}

// layers resolves Layers: a Ref to a layer in the same template is read from its asset; an ARN
// (or anything else) is a layer whose content cannot be seen here.
func (s *Set) layers(t *template, props map[string]json.RawMessage, a *assets) ([]inspect.Source, error) {
	raw, ok := props["Layers"]
	if !ok {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("Layers is not a list")
	}
	var out []inspect.Source
	for i, it := range items {
		var ref struct {
			Ref string `json:"Ref"`
		}
		var arn string
		switch {
		case json.Unmarshal(it, &arn) == nil:
			out = append(out, inspect.Source{Name: arn})
		case json.Unmarshal(it, &ref) == nil && ref.Ref != "":
			lr, ok := t.Resources[ref.Ref]
			if !ok || (lr.Type != "AWS::Lambda::LayerVersion" && lr.Type != "AWS::Serverless::LayerVersion") {
				out = append(out, inspect.Source{Name: ref.Ref})
				continue
			}
			content, _ := object(lr.Properties, "Content")
			key, _, _ := scalar(content, "S3Key")
			rel := a.assetPath(lr, key)
			if rel == "" {
				if uri, ok, _ := scalar(lr.Properties, "ContentUri"); ok && !strings.HasPrefix(uri, "s3://") {
					rel = uri
				}
			}
			if rel == "" {
				out = append(out, inspect.Source{Name: ref.Ref})
				continue
			}
			src, err := s.open(a, rel)
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", ref.Ref, err)
			}
			src.Name = ref.Ref + " (" + rel + ")"
			out = append(out, src)
		default:
			out = append(out, inspect.Source{Name: fmt.Sprintf("layer %d", i+1)})
		}
	}
	return out, nil
}

// listTags reads CloudFormation's Tags property in its list form, [{"Key": k, "Value": v}], as
// AWS::Lambda::Function declares it (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html#cfn-lambda-function-tags)
// and CDK synthesizes it. Tags whose key or value is not a literal (an intrinsic function) are
// left out: their value is known only at deploy time, and the hook will see it then.
func listTags(props map[string]json.RawMessage) map[string]string {
	var list []map[string]json.RawMessage
	if raw, ok := props["Tags"]; !ok || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	tags := map[string]string{}
	for _, t := range list {
		k, kok, kerr := scalar(t, "Key")
		v, _, verr := scalar(t, "Value")
		if kok && kerr == nil && verr == nil {
			tags[k] = v
		}
	}
	return tags
}
