# Release artefacts (make release), reproducible: the same commit gives the same bytes.
#   dist/bootstrap-guard_OS_ARCH[.exe]   the CLI for linux, darwin, windows x amd64, arm64
#   dist/hook.zip                        the hook (bootstrap at the root, linux/arm64)
#   dist/bootstrap-guard.template.json            the guard in one account (plain CloudFormation)
#   dist/bootstrap-guard-org.template.json        the organization stack set
#   dist/bootstrap-guard-code-bucket.template.json  a regional code bucket of the organization
#   dist/SHA256SUMS
# Reproducible: -trimpath (no local paths), -buildvcs=false (the commit is stamped with -X instead,
# so a dirty work tree does not change the bytes), CGO_ENABLED=0, and the zip's timestamps set from
# SOURCE_DATE_EPOCH (the commit's time; https://reproducible-builds.org/docs/source-date-epoch/),
# written as UTC with no extra fields (zip -X).
DIST ?= dist
RELEASE_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 315532800)
RELEASE_COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# A tag v* on the commit names the release; otherwise a Go pseudo-version of the commit.
RELEASE_VERSION   ?= $(shell git describe --tags --exact-match --match 'v*' 2>/dev/null || \
	echo v0.0.0-$$(TZ=UTC date -d @$(SOURCE_DATE_EPOCH) +%Y%m%d%H%M%S)-$$(git rev-parse --short=12 HEAD 2>/dev/null || echo 000000000000))
# Computed once by the make that starts the release and passed to the makes it runs, so that a
# commit made while a release builds cannot give its parts different stamps.
export SOURCE_DATE_EPOCH RELEASE_COMMIT RELEASE_VERSION
CLI_PKG      := github.com/bootstrap-guard/bootstrap-guard/internal/cli
RELEASE_LDFLAGS = -s -w -X $(CLI_PKG).version=$(RELEASE_VERSION) -X $(CLI_PKG).commit=$(RELEASE_COMMIT)
RELEASE_BUILD   = CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '$(RELEASE_LDFLAGS)'

# The names of the release's CLI files.
cli_name = bootstrap-guard_$(subst /,_,$(1))$(if $(findstring windows,$(1)),.exe)

.PHONY: release release-cli release-hook release-templates
release:
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@$(MAKE) -s release-cli release-hook DIST=$(DIST)
	@$(MAKE) -s release-templates DIST=$(DIST)
	@cd $(DIST) && sha256sum $$(ls | grep -v SHA256SUMS | sort) > SHA256SUMS
	@echo "release $(RELEASE_VERSION) ($(RELEASE_COMMIT)) in $(DIST)/:"; cd $(DIST) && ls -l --time-style=+ | tail -n +2

# RELEASE_CLI_PLATFORMS narrows the matrix (make test builds the host's only).
RELEASE_CLI_PLATFORMS ?= $(RELEASE_PLATFORMS)
release-cli:
	@mkdir -p $(DIST)
	@set -e; for p in $(RELEASE_CLI_PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; \
	  out=$(DIST)/bootstrap-guard_$${os}_$${arch}; [ $$os = windows ] && out=$$out.exe; \
	  echo "building $$out"; GOOS=$$os GOARCH=$$arch $(RELEASE_BUILD) -o $$out ./cmd/bootstrap-guard; done

# The hook, as mk/hook.mk builds it, zipped with a fixed timestamp and mode 0755.
release-hook:
	@mkdir -p $(DIST) build/release-hook
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(HOOK_FLAGS) -o build/release-hook/bootstrap ./hook
	@chmod 755 build/release-hook/bootstrap && TZ=UTC touch -d @$(SOURCE_DATE_EPOCH) build/release-hook/bootstrap
	@rm -f $(DIST)/hook.zip && cd build/release-hook && TZ=UTC zip -q -X -j $(abspath $(DIST))/hook.zip bootstrap

# The plain templates, synthesized by the CDK app (cdk/release.go) for dist/hook.zip.
release-templates:
	@rm -rf build/release-cdk.out && mkdir -p build
	@echo "synthesizing the plain templates (go run ./cdk, -c releaseTemplates=$(DIST)/hook.zip); log in build/release-synth.log"
	@CDK_OUTDIR=build/release-cdk.out CDK_CONTEXT_JSON='{"releaseTemplates":"$(DIST)/hook.zip"}' $(GO) run ./cdk > build/release-synth.log 2>&1 || { cat build/release-synth.log; exit 1; }
	@cp build/release-cdk.out/BootstrapGuardTemplate.template.json $(DIST)/bootstrap-guard.template.json
	@cp build/release-cdk.out/BootstrapGuardOrgTemplate.template.json $(DIST)/bootstrap-guard-org.template.json
	@cp build/release-cdk.out/BootstrapGuardCodeBucketTemplate.template.json $(DIST)/bootstrap-guard-code-bucket.template.json

# In make test: the host's CLI and the hook zip, each built twice and compared byte for byte; the
# CLI's `version` must print the stamped version and commit; the zip must hold bootstrap alone, at
# the root, executable; SHA256SUMS must verify. (The templates are checked by test-cdk.)
HOST_PLATFORM := $(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH)
.PHONY: test-release
test-release:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  for d in a b; do $(MAKE) -s release-cli release-hook DIST=$$tmp/$$d RELEASE_CLI_PLATFORMS=$(HOST_PLATFORM) RELEASE_VERSION=v9.8.7-test >/dev/null; done; \
	  cli=$(call cli_name,$(HOST_PLATFORM)); \
	  cmp $$tmp/a/$$cli $$tmp/b/$$cli || { echo "test-release: the CLI is not reproducible"; exit 1; }; \
	  cmp $$tmp/a/hook.zip $$tmp/b/hook.zip || { echo "test-release: hook.zip is not reproducible"; exit 1; }; \
	  out=$$($$tmp/a/$$cli version); echo "test-release: $$out"; \
	  echo "$$out" | grep -q "^bootstrap-guard v9.8.7-test (commit $(RELEASE_COMMIT))$$" || { echo "test-release: version does not print the stamped version and commit"; exit 1; }; \
	  entries=$$(unzip -Z1 $$tmp/a/hook.zip); [ "$$entries" = bootstrap ] || { echo "test-release: hook.zip entries: $$entries"; exit 1; }; \
	  unzip -Z $$tmp/a/hook.zip | grep -q '^-rwxr-xr-x .* bootstrap$$' || { echo "test-release: bootstrap is not 0755 in hook.zip"; unzip -Z $$tmp/a/hook.zip; exit 1; }; \
	  (cd $$tmp/a && sha256sum $$cli hook.zip > SHA256SUMS && sha256sum --quiet -c SHA256SUMS); \
	  echo "test-release: $$cli and hook.zip are reproducible ($$(stat -c %s $$tmp/a/$$cli) and $$(stat -c %s $$tmp/a/hook.zip) bytes)"

TEST_DEPS += test-release

# The CloudFormation resource schemas the templates are validated against (internal/cfnspec): the
# service spec database of the npm package @aws-cdk/aws-service-spec, pinned, downloaded once into
# .cache/cfnspec/ (ignored by git) and reused.
CFNSPEC_VERSION := 0.1.216
CFNSPEC_CACHE   := .cache/cfnspec
CFNSPEC_STAMP   := $(CFNSPEC_CACHE)/.complete-$(CFNSPEC_VERSION)
.PHONY: cfn-spec-cache
cfn-spec-cache: $(CFNSPEC_STAMP)
$(CFNSPEC_STAMP):
	@set -e; mkdir -p $(CFNSPEC_CACHE); tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  (cd $$tmp && npm pack --silent @aws-cdk/aws-service-spec@$(CFNSPEC_VERSION) >/dev/null); \
	  tar -xzf $$tmp/aws-cdk-aws-service-spec-$(CFNSPEC_VERSION).tgz -C $$tmp package/db.json.gz; \
	  mv $$tmp/package/db.json.gz $(CFNSPEC_CACHE)/db.json.gz
	@touch $@
TEST_DEPS += cfn-spec-cache
EXTRA_FUZZ_TARGETS += ./internal/cfnspec:FuzzValidate

# The npm packages (npm/): `make npm-pack` packs them from dist/ (after make release) into
# dist/npm/; nothing is published.
.PHONY: npm-pack
npm-pack:
	node npm/pack.js --dist $(DIST) --version $(RELEASE_VERSION) --out $(DIST)/npm

# make test-npm: the packages as a TypeScript CDK team gets them. The host's CLI is built and
# packed with the launcher (the other platforms' packages hold a stand-in, and npm must not install
# them: their os/cpu do not match); a fresh TypeScript CDK app (npm/testapp: aws-cdk-lib and
# constructs from npm, through the npm cache in .cache/npm-tscdk) with a good and a nested-bootstrap
# Go function is synthesized; `npm i -D bootstrap-guard` then `npx bootstrap-guard check cdk.out`
# must give the verdicts of the CLI built with go build on the same assembly. Prints
# the time from npm i to the end of the first check.
NPM_TSCDK_CACHE := $(abspath .cache/npm-tscdk)
NPM_TSCDK_STAMP := $(NPM_TSCDK_CACHE)/.complete-v1
NPM_OFFLINE = --offline --cache $(NPM_TSCDK_CACHE)/npm-cache --no-audit --no-fund --loglevel=error
$(NPM_TSCDK_STAMP): npm/testapp/package.json
	@set -e; mkdir -p $(NPM_TSCDK_CACHE); tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  cp npm/testapp/package.json $$tmp/; cd $$tmp && npm install --cache $(NPM_TSCDK_CACHE)/npm-cache --no-audit --no-fund --loglevel=error
	@touch $@
.PHONY: test-npm
test-npm: $(FN_BIN)/hello/bootstrap $(NPM_TSCDK_STAMP)
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  ver=0.0.0-test.$$(git rev-parse --short=12 HEAD 2>/dev/null || echo 0); \
	  $(MAKE) -s release-cli DIST=$$tmp/dist RELEASE_CLI_PLATFORMS=$(HOST_PLATFORM) RELEASE_VERSION=v$$ver >/dev/null; \
	  $(GO) build -trimpath -o $$tmp/go-built/bootstrap-guard ./cmd/bootstrap-guard; \
	  host=$$(node -p 'process.platform + "-" + process.arch'); \
	  node npm/pack.js --dist $$tmp/dist --version $$ver --out $$tmp/tarballs --stand-in-except $$host >/dev/null; \
	  cp -R npm/testapp $$tmp/app; mkdir -p $$tmp/app/assets/hello $$tmp/app/assets/nested/hello; \
	  cp $(FN_BIN)/hello/bootstrap $$tmp/app/assets/hello/; cp $(FN_BIN)/hello/bootstrap $$tmp/app/assets/nested/hello/; \
	  cd $$tmp/app; \
	  node -e 'const fs=require("fs"),p=JSON.parse(fs.readFileSync("package.json"));p.overrides={};for(const f of fs.readdirSync("../tarballs")){const m=f.match(/^bootstrap-guard-cli-(.+)-'"$$ver"'\.tgz$$/);if(m)p.overrides["@bootstrap-guard/cli-"+m[1]]="file:../tarballs/"+f}fs.writeFileSync("package.json",JSON.stringify(p,null,2))'; \
	  npm install $(NPM_OFFLINE) >/dev/null; \
	  npx --no-install tsc -p . && CDK_OUTDIR=cdk.out node dist/bin/app.js; \
	  start=$$(date +%s%N); \
	  npm install -D ../tarballs/bootstrap-guard-$$ver.tgz $(NPM_OFFLINE) >/dev/null; \
	  code=0; npx --no-install bootstrap-guard check --date 2026-11-24 --format json cdk.out > npm.json || code=$$?; \
	  end=$$(date +%s%N); \
	  gocode=0; $$tmp/go-built/bootstrap-guard check --date 2026-11-24 --format json cdk.out > go.json || gocode=$$?; \
	  installed=$$(ls node_modules/@bootstrap-guard); \
	  [ "$$installed" = "cli-$$host" ] || { echo "test-npm: npm installed $$installed, want cli-$$host only"; exit 1; }; \
	  [ $$code = 1 ] && [ $$gocode = 1 ] || { echo "test-npm: exit status $$code (npm) and $$gocode (Go-built), want 1 (the nested function fails)"; exit 1; }; \
	  node $(CURDIR)/npm/verdicts.js npm.json go.json; \
	  echo "test-npm: npm i -D bootstrap-guard to the end of the first check: $$(( (end - start) / 1000000 )) ms"
TEST_DEPS += test-npm

# make test-action: the composite action's installer (action/install.sh) against a release
# directory served as file://: it installs the host's CLI after checking SHA256SUMS, and refuses a
# binary whose checksum does not match.
.PHONY: test-action
test-action:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  $(MAKE) -s release-cli DIST=$$tmp/releases/v9.8.7 RELEASE_CLI_PLATFORMS=$(HOST_PLATFORM) RELEASE_VERSION=v9.8.7 >/dev/null; \
	  (cd $$tmp/releases/v9.8.7 && sha256sum * > SHA256SUMS); \
	  bin=$$(BOOTSTRAP_GUARD_VERSION=v9.8.7 BOOTSTRAP_GUARD_RELEASES=file://$$tmp/releases BOOTSTRAP_GUARD_DIR=$$tmp/bin bash action/install.sh); \
	  $$bin version | grep -q '^bootstrap-guard v9.8.7 ' || { echo "test-action: installed $$bin does not run"; exit 1; }; \
	  echo "0000000000000000000000000000000000000000000000000000000000000000  $$(basename $$(ls $$tmp/releases/v9.8.7/bootstrap-guard_*))" > $$tmp/releases/v9.8.7/SHA256SUMS; \
	  if BOOTSTRAP_GUARD_VERSION=v9.8.7 BOOTSTRAP_GUARD_RELEASES=file://$$tmp/releases BOOTSTRAP_GUARD_DIR=$$tmp/bin2 bash action/install.sh 2>$$tmp/err; then \
	    echo "test-action: a binary with the wrong checksum was installed"; exit 1; fi; \
	  grep -q 'SHA256SUMS says' $$tmp/err || { echo "test-action: unexpected error: $$(cat $$tmp/err)"; exit 1; }; \
	  echo "test-action: install.sh installs $(HOST_PLATFORM) from a release and refuses a bad checksum"
TEST_DEPS += test-action
