# The bootstrap-guard command, built into .bin for the demo and for people.
CLI := $(BIN)/bootstrap-guard
CLI_SRC = $(shell find cmd internal -name '*.go' -not -name '*_test.go') go.mod $(wildcard internal/runtimes/*.json)

.PHONY: cli
cli: $(CLI)
$(CLI): $(CLI_SRC)
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $@ ./cmd/bootstrap-guard

# The demo: build the samples the way teams do, synthesize them as a CDK app next to the guard
# itself, and check the cloud assembly as the hook would at deploy time. No AWS account needed.
# DEMO_DATE pins the day runtime lifecycles are evaluated on, so the demo reads the same every day.
DEMO_DATE ?= 2026-11-24
.PHONY: demo
demo: $(CLI) synth
	@echo
	@echo "== bootstrap-guard check $(CDK_OUT)   (every Lambda function in the synthesized app) =="
	@echo
	@$(CLI) check --date $(DEMO_DATE) $(CDK_OUT); code=$$?; \
	  echo; if [ $$code -eq 1 ]; then \
	    echo "Exit status 1: the broken samples are rejected with their reasons, as the hook would stop"; \
	    echo "their stack at deploy time. The guard's own function and the hello sample pass."; \
	  else echo "unexpected exit status $$code"; exit 1; fi
	@echo
	@echo "== one package at a time: bootstrap-guard check --arch arm64 functions/bin/nested.zip =="
	@$(CLI) check --date $(DEMO_DATE) --arch arm64 --format json $(FN_BIN)/nested.zip | head -20 || true
