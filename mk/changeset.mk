# CHANGE_SET targets (internal/changeset): the fuzz target of the payload decoder, and the
# `make bench` row of a 200-function change set checked by the hook against MinIO.

EXTRA_FUZZ_TARGETS += ./internal/changeset:FuzzDecode

.PHONY: bench-changeset
bench: bench-changeset
bench-changeset: tools
	BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -run '^$$' -bench 'BenchmarkChangeSet200$$' -benchtime 3x -count 1 ./internal/bench
