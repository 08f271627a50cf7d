# Container-image functions (internal/image): the fuzz target of the manifest/config rules, and
# the image rows of `make bench` (manifest + config vs a full pull, against a registry on
# loopback answering like ECR).

EXTRA_FUZZ_TARGETS += ./internal/image:FuzzCheck

.PHONY: bench-image
bench: bench-image
bench-image:
	$(GO) test -run '^$$' -bench 'BenchmarkImageCheck$$' -benchtime 5x -count 1 ./internal/bench
