# Handler resolution (internal/handler) and the package corpus (internal/inspect TestCorpus).

# The corpus builds packages with the tools users build them with; make test installs the
# missing ones (Debian packages). Rows whose tool is still missing skip, saying which.
CORPUS_TOOLS := zip unzip bsdtar
.PHONY: corpus-tools
corpus-tools:
	@missing=; for t in $(CORPUS_TOOLS); do command -v $$t >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing zip, unzip and bsdtar (libarchive-tools) for the corpus test"; \
	  apt-get install -y -q zip unzip libarchive-tools >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q zip unzip libarchive-tools >/dev/null 2>&1; } || \
	  echo "could not install them: corpus rows that need them will skip"; \
	fi
TEST_DEPS += corpus-tools

EXTRA_FUZZ_TARGETS += ./internal/handler:FuzzResolve ./internal/inspect:FuzzHandlerView

# Handler resolution cost on the largest packages (bytes read, reads, time); part of make bench.
.PHONY: bench-handler
bench-handler:
	$(GO) test -run '^$$' -bench 'BenchmarkHandlerResolution|BenchmarkNodeHandlerCode' -benchtime 20x -count 1 ./internal/inspect
bench: bench-handler

# Node.js handler code on the hook's path: a 50 MB package in MinIO, read with ranged GETs.
.PHONY: bench-jshandler
bench-jshandler: tools
	BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -run '^$$' -bench BenchmarkNodeHandlerRead -benchtime 3x -count 1 ./internal/bench
bench: bench-jshandler

# JavaScript handler code (internal/jsmodule): the parser and the analyses built on it.
EXTRA_FUZZ_TARGETS += ./internal/jsmodule:FuzzModule ./internal/handler:FuzzNodeCode

# TypeScript's compiler for the JavaScript handler corpus (internal/inspect TestJSCorpus): tsc's
# CommonJS output is one of the forms real tools emit. Downloaded once from npm into .cache.
TS_VERSION := 5.9.3
.cache/typescript/.v$(TS_VERSION):
	@set -e; rm -rf .cache/typescript; mkdir -p .cache/typescript; tmp=$$(mktemp -d); \
	  (cd $$tmp && npm pack --silent typescript@$(TS_VERSION) >/dev/null); \
	  tar -xzf $$tmp/typescript-$(TS_VERSION).tgz -C .cache/typescript --strip-components=1; rm -rf $$tmp
	@touch $@
.PHONY: js-corpus-tools
js-corpus-tools: .cache/typescript/.v$(TS_VERSION)
TEST_DEPS += js-corpus-tools
