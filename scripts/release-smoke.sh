#!/bin/sh
# Runs the commands that read and repair repositories with the *release* build, on a few MB: Swift 6.3.1 has
# miscompiled code in release builds that the debug build (which the tests use) runs correctly, so make test ends here.
set -eu
bin="${1:-.build/release/triplicate}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
export TRIPLICATE_PASSWORD=smoke-password XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
t() { "$bin" "$@"; }
expect() { want=$1; shift; set +e; "$bin" "$@" >"$work/out" 2>&1; got=$?; set -e
	if [ "$got" != "$want" ]; then echo "release smoke: '$*' exited $got, expected $want:"; cat "$work/out"; exit 1; fi; }

mkdir -p "$work/src/2026"
for i in 1 2 3 4; do head -c 700000 /dev/urandom >"$work/src/2026/IMG_$i.NEF"; done
printf 'catalog' >"$work/src/Catalog.lrcat"
sleep 1.2
t init --repo "$work/repo" >/dev/null
t backup "$work/src" --repo "$work/repo" --pack-size 1 --quiet
expect 0 check --read-data --repo "$work/repo"
# A pack rots: check names it and records it, the next backup stores the data again, repair removes the pack.
pack=$(find "$work/repo/data" -type f -size +100k | head -1)
dd if=/dev/zero of="$pack" bs=4096 seek=20 count=1 conv=notrunc 2>/dev/null
expect 1 check --read-data --repo "$work/repo"
touch "$work"/src/2026/*.NEF
sleep 1.2
t backup "$work/src" --repo "$work/repo" --pack-size 1 --quiet
expect 0 repair --repo "$work/repo" --read-data
expect 0 repair --repo "$work/repo"
grep -q "nothing to repair" "$work/out"
expect 0 check --read-data --repo "$work/repo"
expect 0 check --read-data-subset 50% --repo "$work/repo"
grep -q "of the data verified in the last 30 days" "$work/out"
t restore latest --target "$work/out-restore" --repo "$work/repo" >/dev/null
diff -r "$work/src" "$work/out-restore/src"
expect 0 ls latest --repo "$work/repo"
expect 0 stats --repo "$work/repo"
# Forget: a dry run removes nothing; keeping the newest leaves one snapshot that restores.
expect 0 forget --keep-last 1 --dry-run --repo "$work/repo"
grep -q "would remove 1 snapshot" "$work/out"
expect 0 forget --keep-last 1 --repo "$work/repo"
expect 0 check --repo "$work/repo"
# Prune: a dry run deletes nothing; then the data of the forgotten snapshot goes, and what is kept restores.
expect 0 prune --dry-run --repo "$work/repo"
grep -q "nothing was changed: a dry run" "$work/out"
expect 0 prune --max-unused 0% --repo "$work/repo"
grep -q "freed" "$work/out"
expect 0 check --read-data --repo "$work/repo"
rm -rf "$work/out-restore"
t restore latest --target "$work/out-restore" --repo "$work/repo" >/dev/null
diff -r "$work/src" "$work/out-restore/src"
# A password change: the new one opens the repository, the old one no longer does.
TRIPLICATE_NEW_PASSWORD=changed-password expect 0 key passwd --repo "$work/repo"
TRIPLICATE_PASSWORD=changed-password expect 0 key list --repo "$work/repo"
expect 12 key list --repo "$work/repo"
TRIPLICATE_PASSWORD=changed-password TRIPLICATE_NEW_PASSWORD=smoke-password expect 0 key passwd --repo "$work/repo"

# A plan of three folders: a damaged pack on one copy is healed from another; status says what is at risk.
cat >"$work/plan.toml" <<EOF
[[source]]
path = "$work/src"
[[destination]]
name = "nas"
repo = "$work/nas"
media = "nas"
site = "onsite"
[[destination]]
name = "usb"
repo = "$work/usb"
media = "usb"
site = "onsite"
[[destination]]
name = "off"
repo = "$work/off"
media = "cloud"
site = "offsite"
EOF
t init --plan "$work/plan.toml" >/dev/null
t backup --plan "$work/plan.toml" --quiet
expect 0 status --plan "$work/plan.toml"
pack=$(cd "$work/usb" && find data -type f | head -1)
dd if=/dev/zero of="$work/usb/$pack" bs=64 seek=2 count=1 conv=notrunc 2>/dev/null
expect 0 check --plan "$work/plan.toml" --read-data
grep -q "restored from" "$work/out"
cmp "$work/usb/$pack" "$work/nas/$pack"
head -c 1000 /dev/urandom >"$work/src/2026/IMG_new.NEF"
expect 4 status --plan "$work/plan.toml"
expect 0 sync --plan "$work/plan.toml"
echo "release smoke: every command passed with $bin"
