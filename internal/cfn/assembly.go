package cfn

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
)

type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		DisplayName string `json:"displayName"`
		Properties  struct {
			TemplateFile  string `json:"templateFile"`
			File          string `json:"file"`
			DirectoryName string `json:"directoryName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

type assetManifest struct {
	Files map[string]struct {
		Source struct {
			Path string `json:"path"`
		} `json:"source"`
		Destinations map[string]struct {
			ObjectKey string `json:"objectKey"`
		} `json:"destinations"`
	} `json:"files"`
}

// Bounds on nested assemblies (CDK stages): how deep, and how many in all, so that a manifest
// naming ten nested assemblies that each name ten more is not read ten to the eighth times. An
// assembly directory is read once: naming it again (directoryName "." names the assembly
// itself) is refused.
const (
	maxAssemblyDepth = 8
	maxAssemblies    = 100
)

// LoadAssembly reads a CDK cloud assembly (cdk.out): every stack template, with code resolved
// through the asset metadata and asset manifests, and nested assemblies (stages).
func LoadAssembly(dir string) (*Set, error) {
	return LoadAssemblyWith(dir, Options{})
}

// LoadAssemblyWith reads a CDK cloud assembly with options (parameters, --s3); Options.Assets is
// not used, since each assembly names its own asset directory.
func LoadAssemblyWith(dir string, opts Options) (*Set, error) {
	s := &Set{opts: opts, assemblies: map[string]bool{}}
	if err := s.loadAssembly(dir, 0); err != nil {
		s.Close()
		return nil, err
	}
	s.unknownParameters()
	return s, nil
}

func (s *Set) loadAssembly(dir string, depth int) error {
	if depth > maxAssemblyDepth {
		return fmt.Errorf("%w: %s: assemblies nested more than %d deep", ErrTemplate, dir, maxAssemblyDepth)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrTemplate, dir, err)
	}
	if s.assemblies[abs] {
		return fmt.Errorf("%w: %s: the assembly is named again as a nested assembly", ErrTemplate, dir)
	}
	if len(s.assemblies) >= maxAssemblies {
		return fmt.Errorf("%w: %s: more than %d assemblies in all", ErrTemplate, dir, maxAssemblies)
	}
	s.assemblies[abs] = true
	b, err := readLimited(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%w: %s/manifest.json: %w", ErrTemplate, dir, err)
	}
	a := &assets{dir: dir, byKey: map[string]string{}}
	ids := make([]string, 0, len(m.Artifacts))
	for id := range m.Artifacts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		art := m.Artifacts[id]
		if art.Type != "cdk:asset-manifest" || art.Properties.File == "" {
			continue
		}
		b, err := readLimited(filepath.Join(dir, filepath.Base(art.Properties.File)))
		if err != nil {
			return err
		}
		var am assetManifest
		if err := json.Unmarshal(b, &am); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrTemplate, art.Properties.File, err)
		}
		for _, f := range am.Files {
			for _, d := range f.Destinations {
				if d.ObjectKey != "" {
					a.byKey[d.ObjectKey] = f.Source.Path
				}
			}
		}
	}
	for _, id := range ids {
		art := m.Artifacts[id]
		switch art.Type {
		case "aws:cloudformation:stack":
			file := filepath.Join(dir, filepath.Base(art.Properties.TemplateFile))
			b, err := readLimited(file)
			if err != nil {
				return err
			}
			t, err := s.parseTemplate(b, file)
			if err != nil {
				return err
			}
			name := art.DisplayName
			if name == "" {
				name = id
			}
			s.add(t, name, file, a)
		case "cdk:cloud-assembly":
			if art.Properties.DirectoryName == "" {
				continue
			}
			if err := s.loadAssembly(filepath.Join(dir, filepath.Base(art.Properties.DirectoryName)), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
