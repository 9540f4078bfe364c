#!/usr/bin/env bash
# Checks that every C file under src/ and bench/ is formatted as .clang-format says
# (clang-format 14, Debian's). Prints the files that differ and fails; `make format` fixes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 1; }
bad=()
while IFS= read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(find src bench -name '*.[ch]' | sort)
if ((${#bad[@]})); then
  echo "check-format: ${#bad[@]} files differ from .clang-format (run: make format):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: $(find src bench -name '*.[ch]' | wc -l) files formatted"
