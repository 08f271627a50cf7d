# Bootstrap Guard. `make demo` and `make test` work on a fresh machine: every tool they need is
# installed here, at a pinned version, into ./.bin.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO      ?= go
BIN     := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)
# Packages outside cdk/: the awscdk module is large, so its tests run on their own (test-cdk).
GO_PKGS  = $(shell $(GO) list ./... | grep -v /cdk)

MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
RIE_VERSION   := v0.0.0-20261030222936-bef5c4ba774d
MINIO := $(BIN)/minio
RIE   := $(BIN)/aws-lambda-rie
# staticcheck, pinned like the test servers, for make lint.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(BIN)/staticcheck

.PHONY: help
help:
	@echo "make demo    build the sample functions and show what Bootstrap Guard decides"
	@echo "make test    run every test (installs MinIO and the Lambda RIE into .bin first)"
	@echo "make build | zip | clean | lint | bench | fuzz | synth | deploy | destroy"

# Test servers, pinned (see ../shared/reference/local-servers.md). The stamp files make a version
# change reinstall.
$(BIN)/.minio-$(MINIO_VERSION):
	@mkdir -p $(BIN)
	@echo "installing MinIO $(MINIO_VERSION) into .bin (several minutes on first run)"
	GOBIN=$(BIN) $(GO) install github.com/minio/minio@$(MINIO_VERSION)
	@touch $@
$(BIN)/.rie-$(RIE_VERSION):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	@touch $@

$(BIN)/.staticcheck-$(STATICCHECK_VERSION):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@touch $@

.PHONY: tools
tools: $(BIN)/.minio-$(MINIO_VERSION) $(BIN)/.rie-$(RIE_VERSION) $(BIN)/.staticcheck-$(STATICCHECK_VERSION)

# Each area keeps its targets in mk/<area>.mk; they may add prerequisites to test (TEST_DEPS).
TEST_DEPS :=
include $(sort $(wildcard mk/*.mk))

# All tests: unit, fuzz seed corpora, integration against MinIO and the Lambda RIE (installed
# above), under the race detector. The CDK tests run in their own step (test-cdk, mk/cdk.mk).
.PHONY: test
test: tools lint $(TEST_DEPS)
	BOOTSTRAP_GUARD_REQUIRE_SERVERS=1 BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -race -count=1 $(GO_PKGS)

# gofmt, go vet, staticcheck (pinned; installed into .bin on first use) and a go.mod that go mod
# tidy would leave as it is.
.PHONY: lint
lint: $(BIN)/.staticcheck-$(STATICCHECK_VERSION)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.bin/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(GO_PKGS)
	$(STATICCHECK) $(GO_PKGS)
	$(GO) mod tidy -diff

# Fuzz every parser of untrusted bytes for FUZZTIME each (default 30s): make fuzz FUZZTIME=10m
FUZZTIME ?= 30s
FUZZ_TARGETS = ./internal/zipread:FuzzReader ./internal/elfinfo:FuzzParse ./internal/elfinfo:FuzzSniff \
	./internal/inspect:FuzzCheck ./internal/inspect:FuzzExecutable ./internal/cfn:FuzzTemplate \
	$(EXTRA_FUZZ_TARGETS)
.PHONY: fuzz
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "== $$fn ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg; done
