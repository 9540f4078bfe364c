#!/usr/bin/env bash
# Layers are folders and includes point down (STYLE.md §1):
#   core -> log, format -> catalog -> table -> sql -> http -> ingest, stream -> model -> serve, obs -> cli
# (sql sits below ingest and stream: contracts and watermarks are SQL they compile; http,
# the shared HTTP service, sits between: ingest, queries and metrics register routes on it)
# A file may include its own module and any module of a lower rank.
set -euo pipefail
root="${FLOE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
declare -A rank=([core]=0 [log]=1 [format]=1 [catalog]=2 [table]=3 [sql]=4 [http]=5 [ingest]=6 [stream]=6
                 [model]=7 [serve]=8 [obs]=8 [cli]=9)
bad=0
while IFS= read -r file; do
  mod=$(basename "$(dirname "$file")")
  [[ -n "${rank[$mod]:-}" ]] || continue
  while IFS= read -r inc; do
    dep=${inc%%/*}
    [[ -n "${rank[$dep]:-}" ]] || continue
    if [[ "$dep" != "$mod" && ${rank[$dep]} -ge ${rank[$mod]} ]]; then
      echo "layering: ${file#$root/} includes \"$inc\": $mod (rank ${rank[$mod]}) may not depend on $dep (rank ${rank[$dep]})"
      bad=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find "$root/src" -name '*.[ch]')
exit $bad
