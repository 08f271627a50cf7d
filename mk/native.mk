# Real native code for the native-code and extension tests (internal/native, internal/inspect):
# npm platform packages (npm pack) and Debian's Python extension modules for amd64 and arm64
# (apt-get download, after dpkg --add-architecture arm64). Downloaded once into .cache/native/
# (ignored by git) and reused; the stamp file records that the set is complete.
NATIVE_CACHE := .cache/native
NATIVE_STAMP := $(NATIVE_CACHE)/.complete-v2
# Pinned npm versions: the tests name the files these versions ship.
NATIVE_NPM := @img/sharp-linux-x64@0.34.5 @img/sharp-linux-arm64@0.34.5 @img/sharp-linuxmusl-x64@0.34.5 \
	@img/sharp-darwin-arm64@0.34.5 @img/sharp-wasm32@0.34.5 sharp@0.34.5 \
	@img/sharp-libvips-linux-x64@1.2.4 @img/sharp-libvips-linux-arm64@1.2.4 \
	@esbuild/linux-arm64@0.25.12 @esbuild/linux-x64@0.25.12 @esbuild/darwin-arm64@0.25.12 esbuild@0.25.12 \
	@rollup/rollup-linux-x64-gnu@4.53.3 @rollup/rollup-linux-x64-musl@4.53.3 @rollup/rollup-linux-arm64-gnu@4.53.3 rollup@4.53.3
# Debian 12 (bookworm, CPython 3.11) packages with small extension modules, for both architectures.
NATIVE_DEB := python3-yaml python3-markupsafe python3-msgpack python3-cffi-backend python3-bcrypt \
	python3-psutil python3-ujson python3-regex python3-simplejson python3-nacl

.PHONY: native-cache
native-cache: $(NATIVE_STAMP)
$(NATIVE_STAMP):
	@mkdir -p $(NATIVE_CACHE)/npm $(NATIVE_CACHE)/deb
	cd $(NATIVE_CACHE)/npm && npm pack --silent $(NATIVE_NPM) >/dev/null
	@if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
	apt-get update -qq
	cd $(NATIVE_CACHE)/deb && apt-get download -qq $(NATIVE_DEB) $(addsuffix :arm64,$(NATIVE_DEB))
	@set -e; cd $(NATIVE_CACHE)/deb && for d in *.deb; do \
	  arch=$$(dpkg-deb -f $$d Architecture); mkdir -p root-$$arch; dpkg-deb -x $$d root-$$arch; done
	@touch $@

TEST_DEPS += native-cache

# Fuzz targets of the native-code parsing (run by make fuzz).
EXTRA_FUZZ_TARGETS += ./internal/native:FuzzParseWheel ./internal/native:FuzzNames \
	./internal/native:FuzzAnalyzeHead ./internal/zipread:FuzzReadHeads

# make bench also measures the native-code checks: a 50 MB Python package with 150 extension
# modules (with and without WHEEL files) beside a 50 MB custom-runtime package, against MinIO.
.PHONY: bench-native
bench-native: tools native-cache
	BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -run '^$$' -bench BenchmarkNativeRead -benchtime 3x -count 1 ./internal/bench
bench: bench-native
