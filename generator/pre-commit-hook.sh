#!/bin/sh
# Runs this repository's platformgen with the arguments given, in the current directory: the
# entry of the pre-commit hook (.pre-commit-hooks.yaml). cargo builds it on the first run.
set -eu
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
exec cargo run --quiet --locked --manifest-path "$root/Cargo.toml" \
    --package generator --bin platformgen -- "$@"
