package project

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkAssetFinder finds the sources of 10 staged assets in an app of 10,000 other files
// (node_modules, which holds most files of a real app, is never listed): one listing of the app,
// then a size-and-name filter per asset and a byte comparison of the candidates.
func BenchmarkAssetFinder(b *testing.B) {
	app := b.TempDir()
	write := func(rel string, body []byte) {
		p := filepath.Join(app, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 10_000; i++ {
		write(fmt.Sprintf("src/pkg%03d/file%03d.ts", i/100, i%100), []byte(fmt.Sprintf("export const v = %d;\n", i)))
	}
	const assets = 10
	boot := make([]byte, 2<<20) // a 2 MiB executable per function
	for i := 0; i < assets; i++ {
		boot[0] = byte(i)
		write(fmt.Sprintf("lambda/fn%d/bin/bootstrap", i), boot)
		write(fmt.Sprintf("cdk.out/asset.%d/bin/bootstrap", i), boot)
	}
	write("cdk.out/manifest.json", []byte("{}"))
	asm := filepath.Join(app, "cdk.out")
	b.ResetTimer()
	for b.Loop() {
		finder := NewAssetFinder(app)
		for i := 0; i < assets; i++ {
			src, err := finder.Source(asm, fmt.Sprintf("asset.%d", i), false)
			if err != nil || src != filepath.Join(app, fmt.Sprintf("lambda/fn%d", i)) {
				b.Fatalf("asset %d: %q %v", i, src, err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/assets/1000, "ms/asset")
}
