# The CloudFormation Lambda hook (hook/, internal/guard, internal/hookapi).
# build/hook/bootstrap + build/hook.zip: linux/arm64 for deployment (bootstrap at the zip root).
# build/hook-local/bootstrap: the host's OS and CPU, for runs under the Lambda RIE.

HOOK_SRC   = $(shell find hook internal -name '*.go' -not -name '*_test.go') go.mod go.sum
HOOK_FLAGS = -trimpath -tags lambda.norpc -ldflags='-s -w' -buildvcs=false

build/hook/bootstrap: $(HOOK_SRC)
	@mkdir -p $(@D)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(HOOK_FLAGS) -o $@ ./hook

build/hook.zip: build/hook/bootstrap
	@rm -f $@
	cd build && zip -q -j -X hook.zip hook/bootstrap

build/hook-local/bootstrap: $(HOOK_SRC)
	@mkdir -p $(@D)
	CGO_ENABLED=0 $(GO) build $(HOOK_FLAGS) -o $@ ./hook

.PHONY: hook hook-local test-hook
hook: build/hook.zip
hook-local: build/hook-local/bootstrap

# Unit tests, MinIO integration and the built bootstrap under the RIE.
test-hook: tools
	BOOTSTRAP_GUARD_REQUIRE_SERVERS=1 $(GO) test -count=1 ./internal/hookapi/... ./internal/guard/... ./hook/...

# Fuzz targets of the hook's event decoding and answer (run by make fuzz).
EXTRA_FUZZ_TARGETS += ./internal/hookapi:FuzzDecodeRequest ./internal/guard:FuzzInvoke ./internal/guard:FuzzScheduledEvent
