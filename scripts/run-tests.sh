#!/bin/sh
# Runs a test command (the suite), shows its output, and keeps its exit status; under CI=true a skipped test also fails
# the run: CI installs every tool the tests need, so a test that skips there hides a broken setup.
set -u
log=$(mktemp)
status=$(mktemp)
# Backups keep a block cache of each database they store (~/.cache/triplicate): the tests keep theirs in a folder of
# their own, removed afterwards, not in the home folder of whoever runs them.
XDG_CACHE_HOME=$(mktemp -d)
export XDG_CACHE_HOME
trap 'rm -rf "$log" "$status" "$XDG_CACHE_HOME"' EXIT INT TERM
{ "$@" 2>&1; echo $? >"$status"; } | tee "$log"
code=$(cat "$status")
if [ "$code" -eq 0 ] && [ "${CI:-}" = "true" ] && grep -q '^➜ Test .* skipped' "$log"; then
	echo "run-tests: under CI=true no test may be skipped:"
	grep '^➜ Test .* skipped' "$log"
	exit 1
fi
exit "$code"
