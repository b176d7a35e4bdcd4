#!/bin/sh
# Backfill: load a folder of historical exports once, then write the reports of every ISO week
# from FIRST_WEEK to LAST_WEEK (each with its run summary), oldest first.
# Usage: pipelines/backfill.sh EXPORTS_DIR 2025-W01 2026-W46
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 EXPORTS_DIR FIRST_WEEK LAST_WEEK   (weeks like 2025-W01)" >&2
    exit 2
fi
EXPORTS=$1 FIRST=$2 LAST=$3
HOME_DIR=${DEMANDLAB_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$HOME_DIR"
BIN="$HOME_DIR/.venv/bin"
CONFIG="$HOME_DIR/demandlab.toml"
# every export in the folder: rows read = accepted + rejected is printed per file; exit 3 means one
# file failed and the others loaded — go on, the summary and the .error.txt say which
status=0
"$BIN/demandlab" ingest --config "$CONFIG" "$EXPORTS"/* || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    exit "$status"
fi
WEEKS=$("$BIN/python" -c '
import datetime as dt, sys
def monday(w):
    y, n = w.split("-W")
    return dt.date.fromisocalendar(int(y), int(n), 1)
d, last = monday(sys.argv[1]), monday(sys.argv[2])
while d <= last:
    y, n, _ = d.isocalendar()
    print(f"{y}-W{n:02d}")
    d += dt.timedelta(weeks=1)
' "$FIRST" "$LAST")
worst=$status
for week in $WEEKS; do
    code=0
    "$BIN/demandlab" weekly --config "$CONFIG" --week "$week" --wait 3600 || code=$?
    if [ "$code" -gt "$worst" ]; then worst=$code; fi
done
exit "$worst"
