package faults

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// concurrentChecks is a stack of 200 functions provisioned in parallel: one hook invocation each.
const concurrentChecks = 200

// TestConcurrentChecks runs 200 decisions at once through one Handler against MinIO, twice, with
// good and broken packages mixed. Every verdict must be right, and the heap after the second
// round must not have grown past the first by more than a small allowance (no leak per check).
// make test runs it under the race detector.
func TestConcurrentChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	m := testenv.StartMinIO(t)
	m.Bucket(t, "load", false)
	good := hello(t)
	broken := zipOf(t, "bin/hello/bootstrap", good[:4096])
	for i := range 10 {
		m.Put(t, "load", fmt.Sprintf("good-%d.zip", i), good)
		m.Put(t, "load", fmt.Sprintf("nested-%d.zip", i), broken)
	}
	h := handler(s3Client(m, m.Endpoint), 25*time.Second)
	round := func() (heap uint64, took time.Duration) {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan string, concurrentChecks)
		for i := range concurrentChecks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key, want := fmt.Sprintf("good-%d.zip", i%10), hookapi.StatusSuccess
				if i%4 == 3 {
					key, want = fmt.Sprintf("nested-%d.zip", i%10), hookapi.StatusFailed
				}
				resp := decide(t, h, event(fmt.Sprintf("Fn%03d", i), "load", key))
				if resp.HookStatus != want || (want == hookapi.StatusFailed && resp.ErrorCode != hookapi.NonCompliant) {
					errs <- fmt.Sprintf("Fn%03d (%s): got %s/%s %q, want %s", i, key, resp.HookStatus, resp.ErrorCode, resp.Message, want)
				}
				if resp.ClientRequestToken != fmt.Sprintf("token-Fn%03d", i) {
					errs <- fmt.Sprintf("Fn%03d: token %q came back", i, resp.ClientRequestToken)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		took = time.Since(start)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse, took
	}
	heap1, took1 := round()
	heap2, took2 := round()
	t.Logf("%d concurrent checks: round 1 %v, heap %.1f MiB; round 2 %v, heap %.1f MiB",
		concurrentChecks, took1.Round(time.Millisecond), float64(heap1)/(1<<20), took2.Round(time.Millisecond), float64(heap2)/(1<<20))
	if heap2 > heap1+16<<20 {
		t.Errorf("heap grew from %d to %d bytes between identical rounds", heap1, heap2)
	}
}
