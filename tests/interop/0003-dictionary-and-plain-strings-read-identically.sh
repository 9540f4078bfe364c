#!/usr/bin/env bash
# 0003-dictionary-and-plain-strings-read-identically: a column with 5 distinct values
# is dictionary-encoded (RLE_DICTIONARY, dictionary page); a column of 15,000 unique
# ~160-byte strings is written PLAIN (no dictionary page); a column of 7,500 distinct
# ~170-byte strings each twice starts as a dictionary and passes the 1 MiB
# dictionary limit mid-chunk, so its chunk mixes dictionary and PLAIN pages; all
# read the same through floe cat, DuckDB, hyparquet and icebird; and the same rows
# rolled into several files by --target-file-bytes.
. "$(dirname "$0")/lib.sh"

node "$HERE/gen.mjs" strings 15000 > "$T/strings.ndjson"
"$FLOE" --data "$T" load it.strings "$T/strings.ndjson" --schema "$(node "$HERE/gen.mjs" schema strings)"
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.strings --codec ZSTD --rows 15000 \
  --dict category,tag --plain note

"$FLOE" --data "$T" load it.strings_rolled "$T/strings.ndjson" --schema "$(node "$HERE/gen.mjs" schema strings)" \
  --target-file-bytes 100000
node "$HERE/check_table.mjs" --floe "$FLOE" --data "$T" --table it.strings_rolled --codec ZSTD --rows 15000 \
  --dict category --min-files 2
