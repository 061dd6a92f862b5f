#!/usr/bin/env bash
# Writes the frozen format-version-1 repository in this folder. It was run once, by the first release of
# the format; its output is committed and must never be regenerated: later builds prove they still read it.
# Usage (from the package root, after `swift build`): Fixtures/frozen-v1/make-fixture.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${TRIPLICATE:-$here/../../.build/debug/triplicate}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export TRIPLICATE_PASSWORD="$(cat "$here/password")"
export TZ=UTC

src="$work/Photos"
mkdir -p "$src/2019/2019-07-04 Lake" "$src/Lightroom" "$src/Empty Folder" "$src/Café"
python3 - "$src" <<'PY'
import sys, random
src = sys.argv[1]
r = random.Random(2019)
open(f"{src}/2019/2019-07-04 Lake/DSC_0001.NEF", "wb").write(bytes(r.getrandbits(8) for _ in range(600_000)))
open(f"{src}/2019/2019-07-04 Lake/DSC_0001.xmp", "w").write("<x:xmpmeta><crs:Exposure2012>+0.35</crs:Exposure2012></x:xmpmeta>\n" * 40)
rows = "".join(f"INSERT INTO Adobe_images VALUES({i}, 'DSC_{i:04}.NEF', {r.randint(0, 5)});\n" for i in range(6000))
open(f"{src}/Lightroom/Catalog.lrcat", "w").write(rows)
open(f"{src}/Café/Notiz über Bilder.txt", "w").write("Urlaub am See, Juli 2019\n")
open(f"{src}/empty.txt", "w").close()
PY
ln -s "2019/2019-07-04 Lake/DSC_0001.NEF" "$src/latest.NEF"
chmod 600 "$src/Café/Notiz über Bilder.txt"
chmod 750 "$src/Lightroom"
find "$src" -exec touch -h -d "2019-07-04 12:00:00" {} +

rm -rf "$here/repo"
"$bin" init --repo "$here/repo"
"$bin" backup "$src" --repo "$here/repo" --tag first --quiet
python3 "$here/manifest.py" "$src" > "$here/expected-1.txt"

# A working day: an edited catalog, a changed sidecar, a deleted symlink.
printf 'UPDATE Adobe_images SET rating = 5 WHERE id = 42;\n' >> "$src/Lightroom/Catalog.lrcat"
printf '<x:xmpmeta><xmp:Rating>5</xmp:Rating></x:xmpmeta>\n' > "$src/2019/2019-07-04 Lake/DSC_0001.xmp"
rm "$src/latest.NEF"
find "$src" -exec touch -h -d "2019-07-05 09:30:00" {} +
"$bin" backup "$src" --repo "$here/repo" --tag second --quiet
python3 "$here/manifest.py" "$src" > "$here/expected-2.txt"
"$bin" check --read-data --repo "$here/repo"
