# Sample functions, built the way teams build them (the style of the go1.x -> provided.al2023
# field report): go build -o bin/<name>/bootstrap, then zip. Each broken one repeats a real mistake.
# Outputs: functions/bin/<name>.zip. Run from functions/ so zip entry names are what a user gets.

FN_DIR  := functions
FN_BIN  := $(FN_DIR)/bin
FN_NAMES := hello nested legacy noexec wrongarch darwin cgo crlf
FN_ZIPS := $(addprefix $(FN_BIN)/,$(addsuffix .zip,$(FN_NAMES)))
FN_SRC  := $(wildcard $(FN_DIR)/*/*.go)
GOBUILD_FN := CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -tags lambda.norpc


.PHONY: build zip clean
build: $(FN_BIN)/hello/bootstrap $(FN_BIN)/nested/bootstrap $(FN_BIN)/legacy/hello \
	$(FN_BIN)/noexec/bootstrap $(FN_BIN)/wrongarch/bootstrap $(FN_BIN)/darwin/bootstrap \
	$(FN_BIN)/cgo/bootstrap $(FN_BIN)/crlf/bootstrap
zip: $(FN_ZIPS)
clean:
	rm -rf $(FN_BIN) build

# Correct: linux/arm64, static, bootstrap at the zip root.
$(FN_BIN)/hello/bootstrap: $(FN_SRC)
	GOOS=linux GOARCH=arm64 $(GOBUILD_FN) -o $@ ./$(FN_DIR)/hello
$(FN_BIN)/hello.zip: $(FN_BIN)/hello/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip -j bin/hello.zip bin/hello/bootstrap

# The field report's trap: zip without -j keeps bin/nested/, so there is no bootstrap at the root.
$(FN_BIN)/nested/bootstrap: $(FN_SRC)
	GOOS=linux GOARCH=arm64 $(GOBUILD_FN) -o $@ ./$(FN_DIR)/hello
$(FN_BIN)/nested.zip: $(FN_BIN)/nested/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip bin/nested.zip bin/nested/bootstrap

# go1.x style: x86_64 binary named after the handler, on a runtime deprecated in 2024.
$(FN_BIN)/legacy/hello: $(FN_SRC)
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o $@ ./$(FN_DIR)/legacy
$(FN_BIN)/legacy.zip: $(FN_BIN)/legacy/hello
	rm -f $@ && cd $(FN_DIR) && zip -j bin/legacy.zip bin/legacy/hello

# Copied through a filesystem that dropped the execute bit.
$(FN_BIN)/noexec/bootstrap: $(FN_SRC)
	GOOS=linux GOARCH=arm64 $(GOBUILD_FN) -o $@ ./$(FN_DIR)/hello
	chmod 644 $@
$(FN_BIN)/noexec.zip: $(FN_BIN)/noexec/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip -j bin/noexec.zip bin/noexec/bootstrap

# Built for the laptop's CPU (amd64) and deployed to an arm64 function.
$(FN_BIN)/wrongarch/bootstrap: $(FN_SRC)
	GOOS=linux GOARCH=amd64 $(GOBUILD_FN) -o $@ ./$(FN_DIR)/hello
$(FN_BIN)/wrongarch.zip: $(FN_BIN)/wrongarch/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip -j bin/wrongarch.zip bin/wrongarch/bootstrap

# Built on a Mac without GOOS=linux.
$(FN_BIN)/darwin/bootstrap: $(FN_SRC)
	GOOS=darwin GOARCH=arm64 $(GOBUILD_FN) -o $@ ./$(FN_DIR)/hello
$(FN_BIN)/darwin.zip: $(FN_BIN)/darwin/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip -j bin/darwin.zip bin/darwin/bootstrap

# cgo on a current distribution (Debian 12: glibc 2.36), deployed to provided.al2 (glibc 2.26).
$(FN_BIN)/cgo/bootstrap: $(FN_SRC)
	GOOS=linux GOARCH=amd64 CGO_ENABLED=1 $(GO) build -trimpath -ldflags="-s -w" -tags lambda.norpc -o $@ ./$(FN_DIR)/cgo
$(FN_BIN)/cgo.zip: $(FN_BIN)/cgo/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip -j bin/cgo.zip bin/cgo/bootstrap

# A shell runtime saved with CRLF line endings.
$(FN_BIN)/crlf/bootstrap: $(FN_DIR)/crlf/bootstrap
	mkdir -p $(dir $@) && cp $< $@ && chmod 755 $@
$(FN_BIN)/crlf.zip: $(FN_BIN)/crlf/bootstrap
	rm -f $@ && cd $(FN_DIR) && zip -j bin/crlf.zip bin/crlf/bootstrap
