#!/usr/bin/env bash
# Runs a bootstrap-guard binary over the hostile corpus (internal/cfn TestWriteHostileCorpus, plus
# devices, FIFOs and oversize files as file arguments) and prints, per input, the exit status,
# the wall time and the largest resident set (GNU time's %e and %M). Each run is held to
# $LIMIT_S seconds and $LIMIT_KB of address space, so an unbounded read cannot take the machine.
# Usage: mk/bench-hostile.sh BINARY CORPUS_DIR
set -u
bin=$1 corpus=$2
LIMIT_S=${LIMIT_S:-30} LIMIT_KB=${LIMIT_KB:-4194304}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/fifo.json" "$tmp/pkg"
truncate -s 10G "$tmp/sparse.json"
printf 'Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: go1.x, Handler: bootstrap, Code: {ZipFile: x}}\n' > "$tmp/t.yaml"
run() { # name, args...
  local name=$1; shift
  local out
  out=$( { /usr/bin/time -f '%e %M' bash -c 'ulimit -v '"$LIMIT_KB"'; exec timeout -s KILL '"$LIMIT_S"' "$@" >/dev/null 2>&1' _ "$@"; } 2>&1; echo "rc=$?")
  local rc=${out##*rc=} tm=$(printf '%s\n' "$out" | grep -E '^[0-9.]+ [0-9]+$' | tail -1)
  [ "$rc" = 137 ] && rc="killed"
  printf '%-38s exit %-6s %8ss %8s MB\n' "$name" "$rc" "${tm%% *}" "$(( ${tm##* } / 1024 ))"
}
for f in $(ls "$corpus" | sort); do
  run "check $f" "$bin" check "$corpus/$f"
done
run "check --parameters /dev/zero" "$bin" check --parameters /dev/zero "$tmp/t.yaml"
run "check --parameters 10G sparse" "$bin" check --parameters "$tmp/sparse.json" "$tmp/t.yaml"
run "check --parameters FIFO" "$bin" check --parameters "$tmp/fifo.json" "$tmp/t.yaml"
run "check FIFO template" "$bin" check "$tmp/fifo.json"
run "check FIFO package" "$bin" check "$tmp/pkg"
run "hook-event /dev/zero" "$bin" hook-event /dev/zero
run "hook-event 10G sparse" "$bin" hook-event "$tmp/sparse.json"
run "hook-event FIFO" "$bin" hook-event "$tmp/fifo.json"
run "runtimes --check /dev/zero" "$bin" runtimes --check /dev/zero
run "runtimes --check FIFO" "$bin" runtimes --check "$tmp/fifo.json"
