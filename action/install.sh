#!/usr/bin/env bash
# Installs the bootstrap-guard CLI of a release into $BOOTSTRAP_GUARD_DIR (default
# $RUNNER_TEMP/bootstrap-guard) and prints its path. Used by action.yml; runs anywhere bash, curl
# and sha256sum (or shasum) are.
#   BOOTSTRAP_GUARD_VERSION   a release tag (v1.2.3), or latest
#   BOOTSTRAP_GUARD_RELEASES  where releases are (default the GitHub releases of the project);
#                             https://.../releases/download/TAG/FILE, or a file:// directory
#                             holding TAG/FILE (the tests)
#   RUNNER_OS, RUNNER_ARCH    set by GitHub Actions (Linux|macOS|Windows, X64|ARM64)
# The binary is checked against the release's SHA256SUMS before it is installed.
set -euo pipefail

version=${BOOTSTRAP_GUARD_VERSION:-latest}
base=${BOOTSTRAP_GUARD_RELEASES:-https://github.com/bootstrap-guard/bootstrap-guard/releases}
dir=${BOOTSTRAP_GUARD_DIR:-${RUNNER_TEMP:-/tmp}/bootstrap-guard}

case "${RUNNER_OS:-$(uname -s)}" in
  Linux) os=linux ;;
  macOS|Darwin) os=darwin ;;
  Windows|MINGW*|MSYS*) os=windows ;;
  *) echo "bootstrap-guard: no release binary for the OS ${RUNNER_OS:-$(uname -s)}" >&2; exit 1 ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
  X64|x86_64|amd64) arch=amd64 ;;
  ARM64|aarch64|arm64) arch=arm64 ;;
  *) echo "bootstrap-guard: no release binary for the CPU ${RUNNER_ARCH:-$(uname -m)}" >&2; exit 1 ;;
esac
file=bootstrap-guard_${os}_${arch}
exe=bootstrap-guard
if [ "$os" = windows ]; then file=$file.exe; exe=$exe.exe; fi

# GitHub serves the newest release's files under releases/latest/download/.
case "$base" in
  file://*) if [ "$version" = latest ]; then echo "bootstrap-guard: name a version with a file:// release directory" >&2; exit 1; fi
            url=$base/$version ;;
  *) if [ "$version" = latest ]; then url=$base/latest/download; else url=$base/download/$version; fi ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/$file" "$url/$file"
curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$url/SHA256SUMS"
want=$(awk -v f="$file" '$2 == f || $2 == "*"f { print $1 }' "$tmp/SHA256SUMS")
if [ -z "$want" ]; then echo "bootstrap-guard: $file is not in the release's SHA256SUMS" >&2; exit 1; fi
if command -v sha256sum >/dev/null; then got=$(sha256sum "$tmp/$file" | cut -d' ' -f1); else got=$(shasum -a 256 "$tmp/$file" | cut -d' ' -f1); fi
if [ "$got" != "$want" ]; then echo "bootstrap-guard: $file has SHA-256 $got, SHA256SUMS says $want" >&2; exit 1; fi
mkdir -p "$dir"
mv "$tmp/$file" "$dir/$exe"
chmod 755 "$dir/$exe"
echo "$dir/$exe"
