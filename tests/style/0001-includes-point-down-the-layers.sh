#!/usr/bin/env bash
# Layers are folders and includes point down (STYLE.md §1):
#   core -> log, format, json -> catalog -> table -> sql -> ingest, stream -> model -> serve, obs -> cli
# (sql sits below ingest and stream: contracts and watermarks are SQL they compile)
# A file may include its own module and any module of a lower rank.
set -euo pipefail
root="${FLOE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
declare -A rank=([core]=0 [log]=1 [format]=1 [json]=1 [catalog]=2 [table]=3 [sql]=4 [ingest]=5 [stream]=5
                 [model]=6 [serve]=7 [obs]=7 [cli]=8)
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
