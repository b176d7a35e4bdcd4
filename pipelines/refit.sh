#!/bin/sh
# Fit the theme model again now, under the run lock, and rewrite last week's reports with it.
# Theme ids stay stable: the refit starts from the current themes (see theme_events).
set -eu
HOME_DIR=${DEMANDLAB_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$HOME_DIR"
exec "$HOME_DIR/.venv/bin/demandlab" weekly --config "$HOME_DIR/demandlab.toml" --refit --per-street --wait 3600 "$@"
