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
	./internal/native:FuzzAnalyzeHead ./internal/zipread:FuzzReadHeads ./internal/native:FuzzAnalyzeJS

# make bench also measures the native-code checks: a 50 MB Python package with 150 extension
# modules (with and without WHEEL files) beside a 50 MB custom-runtime package, against MinIO.
.PHONY: bench-native
bench-native: tools native-cache native-corpus
	BOOTSTRAP_GUARD_BIN=$(BIN) $(GO) test -run '^$$' -bench BenchmarkNativeRead -benchtime 3x -count 1 ./internal/bench
bench: bench-native

# The loader-oracle corpus (internal/native TestLoaderOracle): each package below installed by npm
# on its own, once per platform npm installs for (its os/cpu/libc filters pick the optional
# platform packages), with --ignore-scripts as a build on another machine would ship it:
#   .cache/native/trees/<variant>/<name@version, / as +>/node_modules
# The rule for the list (README "Native code"): the native packages in the dependency trees of the
# most used Lambda libraries (Datadog's tracer, ws, AWS CRT, Sentry, Prisma-free ORMs/drivers) and
# npm's most depended-upon native packages, each loader convention at least twice, with an older
# major where its layout changed (sharp 0.33/0.34/0.35, sodium-native 4/5, bcrypt 5/6).
NATIVE_CORPUS := @datadog/native-appsec@11.0.3 @datadog/native-metrics@4.0.0 @datadog/pprof@5.20.0 \
	@datadog/native-iast-taint-tracking@4.2.1 @datadog/native-iast-rewriter@2.8.0 @datadog/libdatadog@0.21.0 \
	bufferutil@4.1.0 utf-8-validate@6.0.6 aws-crt@1.33.2 sodium-native@5.1.0 sodium-native@4.3.3 oracledb@26.0.0 \
	lmdb@3.5.6 msgpackr-extract@3.0.7 @node-rs/argon2@2.2.1 @node-rs/bcrypt@2.0.0 @node-rs/xxhash@1.7.8 snappy@7.4.3 \
	libsql@0.5.29 @sentry/profiling-node@11.1.0 @parcel/watcher@2.6.0 sharp@0.35.6 sharp@0.34.5 sharp@0.33.5 \
	esbuild@0.25.12 rollup@4.53.3 @swc/core@1.16.22 better-sqlite3@12.11.1 bcrypt@6.0.0 bcrypt@5.1.1 argon2@0.45.1 \
	lightningcss@1.33.0 classic-level@3.0.0 cpu-features@0.0.10 ssh2@1.17.0 @serialport/bindings-cpp@13.0.1 \
	microtime@3.1.1 @napi-rs/canvas@1.2.1 @tailwindcss/oxide@4.3.5 @resvg/resvg-js@2.6.2 dtrace-provider@0.8.8 \
	@mongodb-js/zstd@7.0.0 kerberos@7.0.0 farmhash@5.0.1 unix-dgram@2.0.7
# variant = name, npm's --os --cpu --libc ("-": none), and whether optional dependencies are omitted
NATIVE_VARIANTS := "x64 linux x64 glibc -" "arm64 linux arm64 glibc -" "musl linux x64 musl -" \
	"darwin darwin arm64 - -" "noopt linux x64 glibc omit"
NATIVE_TREES := $(NATIVE_CACHE)/trees
NATIVE_TREES_STAMP := $(NATIVE_TREES)/.complete-v1

.PHONY: native-corpus
native-corpus: $(NATIVE_TREES_STAMP)
# One npm install per (variant, package), six at a time (npm's cache is shared and safe for that).
$(NATIVE_TREES_STAMP):
	@set -e; for v in $(NATIVE_VARIANTS); do for p in $(NATIVE_CORPUS); do echo "$$v $$p"; done; done | \
	  xargs -P 6 -L 1 sh -c 'd=$(NATIVE_TREES)/$$0/$$(echo $$5 | tr / +); [ -d $$d/node_modules ] && exit 0; \
	    libc=; [ $$3 = - ] || libc=--libc=$$3; omit=; [ $$4 = - ] || omit=--omit=optional; mkdir -p $$d; \
	    npm install --prefix $$d --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
	      --os=$$1 --cpu=$$2 $$libc $$omit $$5 >/dev/null || { echo "npm install $$5 ($$0) failed"; rm -rf $$d; exit 255; }'
	@touch $@

TEST_DEPS += native-corpus

# The arm64 loader oracle (TestLoaderOracleARM64): real arm64 Node.js builds under qemu-user with
# Debian's arm64 C and C++ libraries. About 7 minutes of emulation, so it is a target of its own.
.PHONY: test-oracle-arm64
test-oracle-arm64: native-cache native-corpus node-cache-arm64
	@if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; apt-get update -qq; fi
	@command -v qemu-aarch64 >/dev/null && [ -e /lib/ld-linux-aarch64.so.1 ] && [ -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ] || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user libc6:arm64 libstdc++6:arm64; }
	BOOTSTRAP_GUARD_ORACLE_ARM64=1 $(GO) test -count=1 -run 'TestLoaderOracleARM64' -timeout 30m ./internal/native
