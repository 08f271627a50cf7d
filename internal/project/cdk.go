package project

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CDK stages an asset by copying its source into the cloud assembly as asset.<hash> (a folder, or
// a file with its extension) and writes that name as the resource's aws:asset:path metadata; with
// staging disabled (cdk synth --no-staging, context aws:cdk:disable-asset-staging, as SAM CLI
// runs it) the metadata is the source path itself (aws/aws-cdk,
// packages/aws-cdk-lib/core/lib/asset-staging.ts stageByCopying, relativeStagedPath;
// packages/aws-cdk-lib/cx-api ASSET_RESOURCE_METADATA_PATH_KEY). Neither the template, the
// assets manifest (source.path is the staged name too) nor tree.json records the source folder of
// a staged asset, so AssetSource finds it as the folder whose files are the copy's.

// Bounds on the search for an asset's source: files looked at and bytes compared.
const (
	maxSearchFiles = 200_000
	maxCompare     = 1 << 30
)

// skipDirs are never an asset's source: dependencies, version control, and CDK's own output.
var skipDirs = map[string]bool{"node_modules": true, ".git": true, CDKOutDir: true, ".venv": true, "__pycache__": true}

// ErrAmbiguous is returned when more than one folder has exactly the asset's files.
var ErrAmbiguous = errors.New("project: more than one folder matches the asset")

// AssetSource returns the folder (or file) a CDK asset was staged from. assemblyDir is the cloud
// assembly, assetPath the resource's aws:asset:path, appDir the CDK app's folder (where cdk synth
// ran: Code.fromAsset paths are relative to it). It returns "" and no error when the asset is
// bundled (aws:asset:is-bundled: its files are a build's output, not a copy) or no folder matches.
func AssetSource(assemblyDir, assetPath, appDir string, bundled bool) (string, error) {
	if assetPath == "" || bundled {
		return "", nil
	}
	if filepath.IsAbs(assetPath) {
		return assetPath, nil // staging disabled: the metadata is the source
	}
	staged := filepath.Join(assemblyDir, assetPath)
	st, err := os.Stat(staged)
	if err != nil {
		return "", fmt.Errorf("asset %s: %w", assetPath, err)
	}
	absAsm, _ := filepath.Abs(assemblyDir)
	if !st.IsDir() {
		return findFile(staged, st.Size(), appDir, absAsm)
	}
	want, err := tree(staged)
	if err != nil {
		return "", err
	}
	if len(want) == 0 {
		return "", nil
	}
	// The largest file anchors the search: its relative path fixes where the source root is.
	anchor := want[0]
	for _, f := range want[1:] {
		if f.size > anchor.size {
			anchor = f
		}
	}
	var found []string
	seen := 0
	err = walk(appDir, absAsm, func(p string, size int64) error {
		if seen++; seen > maxSearchFiles {
			return errStop
		}
		if size != anchor.size || filepath.Base(p) != filepath.Base(anchor.rel) {
			return nil
		}
		rel := filepath.FromSlash(anchor.rel)
		if !strings.HasSuffix(p, string(filepath.Separator)+rel) {
			return nil
		}
		root := strings.TrimSuffix(p, string(filepath.Separator)+rel)
		if same, err := sameTree(staged, root, want); err == nil && same {
			found = append(found, root)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	return pick(found)
}

var errStop = errors.New("stop")

func pick(found []string) (string, error) {
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	slices.Sort(found)
	return "", fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(found, ", "))
}

type file struct {
	rel  string // slash-separated
	size int64
}

// tree lists the regular files below dir, sorted.
func tree(dir string) ([]file, error) {
	var out []file
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, file{filepath.ToSlash(rel), info.Size()})
		if len(out) > maxSearchFiles {
			return fmt.Errorf("asset %s: more than %d files", dir, maxSearchFiles)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list asset %s: %w", dir, err)
	}
	slices.SortFunc(out, func(a, b file) int { return strings.Compare(a.rel, b.rel) })
	return out, nil
}

// sameTree reports whether root holds exactly the files of the staged copy, byte for byte.
func sameTree(staged, root string, want []file) (bool, error) {
	got, err := tree(root)
	if err != nil || len(got) != len(want) {
		return false, err
	}
	var compared int64
	for i := range want {
		if got[i] != want[i] {
			return false, nil
		}
		if compared += want[i].size; compared > maxCompare {
			return false, nil
		}
		if eq, err := sameFile(filepath.Join(staged, want[i].rel), filepath.Join(root, want[i].rel)); err != nil || !eq {
			return false, err
		}
	}
	return true, nil
}

func findFile(staged string, size int64, appDir, absAsm string) (string, error) {
	var found []string
	seen := 0
	err := walk(appDir, absAsm, func(p string, sz int64) error {
		if seen++; seen > maxSearchFiles {
			return errStop
		}
		if sz == size {
			if eq, err := sameFile(staged, p); err == nil && eq {
				found = append(found, p)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	return pick(found)
}

// walk visits the regular files below dir, leaving out skipDirs, hidden folders and the
// assembly itself.
func walk(dir, absAsm string, visit func(p string, size int64) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // an unreadable folder is not the source
		}
		if d.IsDir() {
			if p != dir && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if abs, _ := filepath.Abs(p); abs == absAsm || exists(filepath.Join(p, assemblyFile)) && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		return visit(p, info.Size())
	})
}

func sameFile(a, b string) (bool, error) {
	ha, err := hashFile(a)
	if err != nil {
		return false, err
	}
	hb, err := hashFile(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ha, hb), nil
}

func hashFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return h.Sum(nil), nil
}
