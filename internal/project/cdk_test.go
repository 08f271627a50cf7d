package project

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestAssetSource(t *testing.T) {
	const boot = "\x7fELF bootstrap of gobad"
	app := layout(t, map[string]string{
		"lambda/gobad/bin/bootstrap":            boot,
		"lambda/gogood/bootstrap":               "\x7fELF bootstrap of gogood",
		"lambda/gogood/config.json":             "{}",
		"lambda/twin-a/bootstrap":               "twin",
		"lambda/twin-b/bootstrap":               "twin",
		"dist/fn.zip":                           "PK zip of fn",
		"node_modules/pkg/lambda/bin/bootstrap": boot, // dependencies are never the source
		"cdk.out/manifest.json":                 "{}",
		"cdk.out/asset.aaa/bin/bootstrap":       boot,
		"cdk.out/asset.bbb/bootstrap":           "\x7fELF bootstrap of gogood",
		"cdk.out/asset.bbb/config.json":         "{}",
		"cdk.out/asset.ccc.zip":                 "PK zip of fn",
		"cdk.out/asset.ddd/bootstrap":           "twin",
		"cdk.out/asset.eee/bootstrap":           "built by a bundler",
		"cdk.out/asset.fff/bootstrap":           "\x7fELF bootstrap of gogood", // gogood without config.json
	})
	asm := filepath.Join(app, "cdk.out")
	for _, tc := range []struct {
		name, asset string
		bundled     bool
		want        string // relative to app; "" none
		err         error
	}{
		{"staged folder", "asset.aaa", false, "lambda/gobad", nil},
		{"staged folder with two files", "asset.bbb", false, "lambda/gogood", nil},
		{"staged file", "asset.ccc.zip", false, "dist/fn.zip", nil},
		{"two identical sources", "asset.ddd", false, "", ErrAmbiguous},
		{"bundled", "asset.eee", true, "", nil},
		{"no folder has exactly these files", "asset.fff", false, "", nil},
		{"no staging: the path is the source", filepath.Join(app, "lambda/gobad"), false, "lambda/gobad", nil},
		{"staged asset missing", "asset.zzz", false, "", os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AssetSource(asm, tc.asset, app, tc.bundled)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want != "" {
				want = filepath.Join(app, want)
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
