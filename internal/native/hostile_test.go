package native_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestCorruptedNativePackages flips bytes all over real packages with native code (module data,
// local headers, the central directory): every check must return a verdict, never an error for
// in-memory bytes and never a panic, and FAIL exactly when there is an error finding.
func TestCorruptedNativePackages(t *testing.T) {
	pkgs := map[string]struct {
		runtime, arch string
		code          []entry
	}{
		"python": {"python3.11", "x86_64", cat([]entry{pyApp, wheel("msgpack", "cp311-cp311-manylinux_2_17_x86_64")}, debTree(t, "amd64", "", goodDebFor("amd64")...))},
		"node":   {"nodejs20.x", "x86_64", cat([]entry{nodeApp}, npmTree(t, "", "sharp", tgzSharp), npmTree(t, "", "@img/sharp-linux-x64", tgzSharpLinuxX64))},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, p := range pkgs {
		z := zipOf(t, p.code)
		for i := 0; i < 150; i++ {
			bad := bytes.Clone(z)
			for j := 0; j < 1+rng.IntN(8); j++ {
				bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
			}
			fn := inspect.Function{Target: name, Runtime: p.runtime, Architecture: p.arch, Handler: "app.handler",
				Code: inspect.Source{Name: name + ".zip", ReaderAt: bytes.NewReader(bad), Size: int64(len(bad))}}
			res, err := inspect.New(inspect.Options{}).Check(context.Background(), fn)
			if err != nil {
				t.Fatalf("%s mutation %d: %v", name, i, err)
			}
			if (res.Status == result.Fail) != res.HasErrors() {
				t.Fatalf("%s mutation %d: status %s with findings %+v", name, i, res.Status, res.Findings)
			}
		}
	}
}
