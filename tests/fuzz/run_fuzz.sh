#!/bin/sh
# make fuzz: runs every libFuzzer harness for FUZZ_SECONDS each, starting from
# its seed corpus (copied, so the repository's corpus stays small). A crash
# stops with its input in build/fuzz/<name>/crash-*: keep it as a regression
# test in tests/fuzz/regress/<name>/ once fixed.
set -eu
SECONDS_EACH=${FUZZ_SECONDS:-60}
status=0
for bin in "$@"; do
  name=$(basename "$bin" | sed 's/^fuzz_//')
  work=build/fuzz/$name
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"$name"/* "$work/corpus/" 2>/dev/null || true
  echo "=== fuzz $name for ${SECONDS_EACH}s"
  if ! "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -artifact_prefix="$work/" "$work/corpus" > "$work/log" 2>&1; then
    tail -40 "$work/log"
    echo "FUZZ FAILURE in $name: input kept in $work/"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done " "$work/log" | tail -2
  fi
done
exit $status
