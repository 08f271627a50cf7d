# Templates: the intrinsic-function evaluator and the parameters-file reader are parsers of
# untrusted input too (FuzzTemplate, in the Makefile, covers the YAML/JSON template path).
EXTRA_FUZZ_TARGETS += ./internal/intrinsic:FuzzEval ./internal/cfn:FuzzParameters \
	./internal/cfn:FuzzTemplateVerdicts ./internal/cfn:FuzzYAMLNodeBound

# The largest RSS and the time of the CLI over the hostile corpus of the template tests, plus
# devices, FIFOs and oversize files as file arguments: make bench-hostile [HOSTILE_BIN=other binary]
HOSTILE_DIR := $(or $(TMPDIR),/tmp)/bootstrap-guard-hostile
.PHONY: bench-hostile
bench-hostile:
	@rm -rf $(HOSTILE_DIR) && mkdir -p $(HOSTILE_DIR)/corpus
	BOOTSTRAP_GUARD_HOSTILE_CORPUS=$(HOSTILE_DIR)/corpus $(GO) test -count=1 -run '^TestWriteHostileCorpus$$' ./internal/cfn
	$(if $(HOSTILE_BIN),,$(GO) build -o $(HOSTILE_DIR)/bootstrap-guard ./cmd/bootstrap-guard)
	mk/bench-hostile.sh $(or $(HOSTILE_BIN),$(HOSTILE_DIR)/bootstrap-guard) $(HOSTILE_DIR)/corpus
