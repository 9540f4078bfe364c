#!/usr/bin/env bash
# Layers are folders and includes point down (STYLE.md §1):
#   core -> log, format -> catalog -> table -> ingest, stream, sql -> model -> serve, obs -> cli
# A file may include its own module and any module of a lower rank.
set -euo pipefail
root="${FLOE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
declare -A rank=([core]=0 [log]=1 [format]=1 [catalog]=2 [table]=3 [ingest]=4 [stream]=4 [sql]=4
                 [model]=5 [serve]=6 [obs]=6 [cli]=7)
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
