# The S3 reading benchmark against MinIO: the hook's ranged reader vs a full download, for
# 5, 50 and 250 MB packages with the bootstrap first and last. Figures per line: ns/op (wall time),
# bytes-transferred/op, requests/op, peak-heap-MiB. Then the hook's cold start: exec of the built
# bootstrap to its first runtime-API Next call (min/median/max over 7 starts). Last, an audit of
# 1,000 deployed functions (Lambda API server + MinIO): functions/s, requests and bytes per function.
.PHONY: bench
bench: tools
	BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -run '^$$' -bench BenchmarkPackageRead -benchtime 3x -count 1 ./internal/bench
	$(GO) test -run '^$$' -bench BenchmarkColdStart -benchtime 7x -count 1 ./hook
	$(GO) test -run '^$$' -bench 'BenchmarkCheck$$' -benchtime 200x -count 1 ./internal/inspect
	BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -run '^$$' -bench 'BenchmarkAudit1000' -benchtime 1x -count 1 ./internal/bench
