package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// BenchmarkChangeSet200 answers one CHANGE_SET request for a change set of 200 Lambda functions,
// each with its own package in MinIO (the sample hello bootstrap, linux/arm64), the change set
// itself behind a presigned MinIO URL: the payload GET, then every function checked as a
// RESOURCE target would be, concurrently. `make bench` prints the time per change set, the S3
// requests and bytes (payload included) and the time per function; the hook's budget is 25 s.
func BenchmarkChangeSet200(b *testing.B) {
	setup(b)
	const n = 200
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, _ := zw.CreateHeader(h)
	w.Write(env.bootstrap)
	zw.Close()
	var changes []testenv.Change
	for i := range n {
		key := fmt.Sprintf("cs/fn-%03d.zip", i)
		env.minio.Put(b, "bench", key, buf.Bytes())
		changes = append(changes, testenv.Change{LogicalID: fmt.Sprintf("Service%03dHandler0A1B2C3D", i), Type: "AWS::Lambda::Function", Action: "CREATE",
			Props: map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []string{"arm64"},
				"Code": map[string]any{"S3Bucket": "bench", "S3Key": key}}})
	}
	env.minio.Put(b, "bench", "cs/payload.json", testenv.ChangeSetPayload(b, testenv.CamelCase, changes))
	req, err := s3.NewPresignClient(env.minio.Client()).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("cs/payload.json")}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	event := testenv.ChangeSetEvent(b, req.URL, 1, nil)
	ct := &countingTransport{}
	hook := guard.New(guard.Config{URLs: s3read.URLPolicy{AllowLoopbackHTTP: true}, Policy: engine.Policy{Date: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}, LogOutput: io.Discard},
		guard.Clients{S3: client(ct), HTTP: &http.Client{Transport: ct}})
	b.ResetTimer()
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		out, err := hook.Invoke(context.Background(), event)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		var r hookapi.Response
		if err := json.Unmarshal(out, &r); err != nil || r.HookStatus != hookapi.StatusSuccess {
			b.Fatalf("answer %s: %v\n%.400s", r.HookStatus, err, r.Message)
		}
	}
	runs := float64(b.N)
	b.ReportMetric(float64(ct.requests.Load())/runs, "s3-requests/op")
	b.ReportMetric(float64(ct.bytes.Load())/runs/1e6, "MB/op")
	b.ReportMetric(float64(elapsed.Milliseconds())/runs, "ms/changeset")
	b.ReportMetric(float64(elapsed.Microseconds())/runs/n/1000, "ms/function")
}
