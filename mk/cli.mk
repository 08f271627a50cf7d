# The bootstrap-guard command, built into .bin for the demo and for people.
CLI := $(BIN)/bootstrap-guard
CLI_SRC = $(shell find cmd internal -name '*.go' -not -name '*_test.go') go.mod $(wildcard internal/runtimes/*.json)

.PHONY: cli
cli: $(CLI)
$(CLI): $(CLI_SRC)
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $@ ./cmd/bootstrap-guard

# The demo: build the samples the way teams do, then show what the guard decides about each.
.PHONY: demo
demo: $(CLI) zip
	@echo
	@echo "== bootstrap-guard check, one sample function at a time =="
	@set -e; fail=0; for n in $(FN_NAMES); do \
	  args="$$(make -s --no-print-directory fn-args-$$n)"; \
	  echo; echo "\$$ bootstrap-guard check $$args $(FN_BIN)/$$n.zip"; \
	  $(CLI) check $$args --date $(DEMO_DATE) $(FN_BIN)/$$n.zip || fail=$$((fail+1)); \
	done; echo; echo "$$fail of $(words $(FN_NAMES)) samples rejected, as intended: only hello should pass."

# The date the demo evaluates runtime lifecycles on; pinned so the demo reads the same every day.
DEMO_DATE ?= 2026-11-24
fn-args-%:
	@echo $(FN_$*)
