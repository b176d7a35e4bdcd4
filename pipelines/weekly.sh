#!/bin/sh
# The Monday job: ingest the inbox, run every stage, write the district and street reports for the
# last complete week, and the run summary. Waits up to an hour for a run already in progress.
# Usage: pipelines/weekly.sh [extra demandlab weekly options, e.g. --week 2026-W46]
set -eu
HOME_DIR=${DEMANDLAB_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$HOME_DIR"
exec "$HOME_DIR/.venv/bin/demandlab" weekly --config "$HOME_DIR/demandlab.toml" --per-street --wait 3600 "$@"
