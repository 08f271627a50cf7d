package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/cdk/bootstrapguard"
	"github.com/bootstrap-guard/bootstrap-guard/cdk/demo"
)

// BenchmarkSynthDemo synthesizes this repository's app with the demo stack (the guard, with
// cdk-nag, and the eight samples of functions/bin) without and with the package check, so the
// difference is what the check adds to a synth. Needs `make zip` (make bench-cdk runs it first).
// Each iteration synthesizes both, one after the other and in alternating order, so that the load
// of a shared machine weighs on both alike; a first synth of each warms the jsii runtime and the hook build and is
// not counted. Reported (medians over the iterations): without-ms and with-ms (wall time of one
// app.Synth, the hook build and cdk-nag included), added-ms (their difference), check-ms (time
// inside the check, jsii calls included) and packages (checked per synth).
func BenchmarkSynthDemo(b *testing.B) {
	root, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	root = filepath.Dir(root) // cdk/ -> the module root, where cdk.json runs the app
	for _, s := range demo.Samples {
		if _, err := os.Stat(filepath.Join(root, "functions", "bin", s.Name+".zip")); err != nil {
			b.Skipf("%v: run make zip first (make bench-cdk does)", err)
		}
	}
	b.Chdir(root)
	synth := func(check bool) (wall, spent time.Duration, packages int) {
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(b.TempDir()), Context: &map[string]any{
			"aws:cdk:enable-asset-metadata": true, "demo": "true", "packageCheck": check, "checkDate": "2026-11-24",
		}})
		start := time.Now()
		build(app)
		app.Synth(nil)
		wall = time.Since(start)
		for _, a := range *awscdk.Aspects_Of(app).All() {
			n, d := bootstrapguard.CheckStats(a)
			packages += n
			spent += d
		}
		return wall, spent, packages
	}
	synth(false)
	synth(true)
	var without, with, spent []float64
	var packages int
	i := 0
	for b.Loop() {
		// Alternate which goes first: the first synth of a pair is measurably slower on a
		// loaded machine, whichever it is.
		var w0, w1, s1 time.Duration
		if i%2 == 0 {
			w0, _, _ = synth(false)
			w1, s1, packages = synth(true)
		} else {
			w1, s1, packages = synth(true)
			w0, _, _ = synth(false)
		}
		i++
		without = append(without, ms(w0))
		with = append(with, ms(w1))
		spent = append(spent, ms(s1))
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(median(without), "without-ms")
	b.ReportMetric(median(with), "with-ms")
	b.ReportMetric(median(with)-median(without), "added-ms")
	b.ReportMetric(median(spent), "check-ms")
	b.ReportMetric(float64(packages), "packages")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
