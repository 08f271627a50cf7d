package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// BenchmarkAudit1000 audits an account of 1,000 functions: the Lambda API server
// (testenv.LambdaServer) lists them 50 a page and answers GetFunction with a presigned MinIO URL
// per function; 100 distinct packages (the sample hello bootstrap, linux/arm64, a tenth of them
// nested so they fail); every fifth function also uses a layer. Each function is checked by the
// hook's path (guard.Handler.CheckDeployed) as `bootstrap-guard audit` checks it. `make bench`
// prints functions per second, Lambda API and S3 requests per function, S3 bytes per function
// and the peak heap, at the default concurrency (8 checks at once per account) and at 32.
func BenchmarkAudit1000(b *testing.B) {
	setup(b)
	const n, packages = 1000, 100
	zipOf := func(name string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, _ := zw.CreateHeader(h)
		w.Write(env.bootstrap)
		zw.Close()
		return buf.Bytes()
	}
	good, nested := zipOf("bootstrap"), zipOf("bin/bootstrap")
	for i := range packages {
		body := good
		if i%10 == 0 {
			body = nested
		}
		env.minio.Put(b, "bench", fmt.Sprintf("audit/pkg-%03d.zip", i), body)
	}
	env.minio.Put(b, "bench", "audit/layer.zip", zipOf("extensions/telemetry"))
	srv := testenv.StartLambda(b, "123456789012", "eu-west-1")
	const layer = "arn:aws:lambda:eu-west-1:123456789012:layer:telemetry:3"
	srv.AddLayer(layer, func() string { return env.minio.Presign(b, "bench", "audit/layer.zip") })
	for i := range n {
		key := fmt.Sprintf("audit/pkg-%03d.zip", i%packages)
		fn := testenv.LambdaFunction{Name: fmt.Sprintf("service-%04d", i), Runtime: "provided.al2023", Handler: "bootstrap",
			Architectures: []string{"arm64"}, Code: func() string { return env.minio.Presign(b, "bench", key) }}
		if i%5 == 0 {
			fn.Layers = []string{layer}
		}
		srv.AddFunction(fn)
	}
	for _, conc := range []int{audit.DefaultConcurrency, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			ct := &countingTransport{}
			lc := lambda.New(lambda.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", ""), Retryer: audit.NewRetryer(audit.RetryOptions{})})
			h := guard.New(guard.Config{URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}, Policy: engine.Policy{Date: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}, LogOutput: io.Discard},
				guard.Clients{Lambda: lc, HTTP: &http.Client{Transport: audit.RetryTransport(ct, audit.RetryOptions{})}})
			accounts := []audit.Account{{ID: "123456789012", Regions: []audit.Region{{Name: "eu-west-1", Lambda: lc, Eval: h.CheckDeployed}}}}
			lambdaBefore := srv.Count(testenv.OpListFunctions) + srv.Count(testenv.OpGetFunction) + srv.Count(testenv.OpGetLayerVersionByArn)
			var elapsed time.Duration
			var peak uint64
			b.ResetTimer()
			for b.Loop() {
				peak = max(peak, peakHeap(func() {
					start := time.Now()
					rep, err := audit.Run(context.Background(), accounts, audit.Options{Concurrency: conc})
					elapsed += time.Since(start)
					if err != nil || len(rep.Functions) != n || rep.Undecided() != 0 {
						b.Fatalf("audit: %v, %d functions, %d undecided", err, len(rep.Functions), rep.Undecided())
					}
					if s := rep.Summarize(); s.Failed != n/10 {
						b.Fatalf("%d failed, want %d", s.Failed, n/10)
					}
				}))
			}
			runs := float64(b.N)
			lambdaCalls := srv.Count(testenv.OpListFunctions) + srv.Count(testenv.OpGetFunction) + srv.Count(testenv.OpGetLayerVersionByArn) - lambdaBefore
			b.ReportMetric(n*runs/elapsed.Seconds(), "functions/s")
			b.ReportMetric(float64(lambdaCalls)/runs/n, "lambda-requests/function")
			b.ReportMetric(float64(ct.requests.Load())/runs/n, "s3-requests/function")
			b.ReportMetric(float64(ct.bytes.Load())/runs/n/1024, "s3-KiB/function")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
