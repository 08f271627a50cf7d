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
	return NewAssetFinder(appDir).Source(assemblyDir, assetPath, bundled)
}

// AssetFinder finds the sources of the assets of one CDK app; it lists the app's files once.
type AssetFinder struct {
	app   string
	files []found // regular files below app, outside skipDirs, hidden folders and assemblies
	err   error
	done  bool
}

type found struct {
	path string
	size int64
}

// NewAssetFinder returns a finder for the app in appDir.
func NewAssetFinder(appDir string) *AssetFinder { return &AssetFinder{app: appDir} }

func (a *AssetFinder) list() ([]found, error) {
	if !a.done {
		a.done = true
		a.err = walk(a.app, func(p string, size int64) error {
			if len(a.files) >= maxSearchFiles {
				return errStop
			}
			a.files = append(a.files, found{p, size})
			return nil
		})
		if errors.Is(a.err, errStop) {
			a.err = nil
		}
	}
	return a.files, a.err
}

// Source is AssetSource for one asset of the app.
func (a *AssetFinder) Source(assemblyDir, assetPath string, bundled bool) (string, error) {
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
	files, err := a.list()
	if err != nil {
		return "", err
	}
	var matches []string
	if !st.IsDir() {
		for _, f := range files {
			if f.size == st.Size() {
				if eq, err := sameFile(staged, f.path); err == nil && eq {
					matches = append(matches, f.path)
				}
			}
		}
		return pick(matches)
	}
	want, err := tree(staged)
	if err != nil || len(want) == 0 {
		return "", err
	}
	// The largest file anchors the search: its relative path fixes where the source root is.
	anchor := want[0]
	for _, f := range want[1:] {
		if f.size > anchor.size {
			anchor = f
		}
	}
	suffix := string(filepath.Separator) + filepath.FromSlash(anchor.rel)
	for _, f := range files {
		if f.size != anchor.size || !strings.HasSuffix(f.path, suffix) {
			continue
		}
		root := strings.TrimSuffix(f.path, suffix)
		if same, err := sameTree(staged, root, want); err == nil && same {
			matches = append(matches, root)
		}
	}
	return pick(matches)
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

// walk visits the regular files below dir, leaving out skipDirs, hidden folders and cloud
// assemblies (folders holding manifest.json).
func walk(dir string, visit func(p string, size int64) error) error {
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
			if p != dir && exists(filepath.Join(p, assemblyFile)) {
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
