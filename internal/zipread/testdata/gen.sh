#!/usr/bin/env bash
# Regenerates the zip fixtures with the tools that make real packages: Info-ZIP zip (Linux) and
# Python's zipfile (which writes MS-DOS creator entries when told, as Windows tools do).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pkg/lib"
printf '#!/bin/sh\necho hello\n' > "$work/pkg/bootstrap"
chmod 755 "$work/pkg/bootstrap"
printf 'data\n' > "$work/pkg/lib/data.txt"
chmod 644 "$work/pkg/lib/data.txt"
ln -s bootstrap "$work/pkg/link"
export TZ=UTC
touch -d 2026-01-01T00:00:00 "$work/pkg/bootstrap" "$work/pkg/lib/data.txt" "$work/pkg/lib" "$work/pkg"
(cd "$work/pkg" && zip -q -X --symlinks -r "$work/unix.zip" bootstrap lib link)
(cd "$work/pkg" && zip -q -X -0 "$work/stored.zip" bootstrap)
(cd "$work/pkg" && zip -q -X -fz "$work/zip64.zip" bootstrap lib/data.txt)
(cd "$work/pkg" && zip -q -X "$work/nested.zip" lib/data.txt && mkdir -p bin/hello && cp bootstrap bin/hello/ && zip -q -X "$work/nested.zip" bin/hello/bootstrap)
(cd "$work/pkg" && echo "built by CI run 42" | zip -q -X -z "$work/comment.zip" bootstrap)
printf 'MZ self-extractor stub, 64 bytes of it.................................\n' > "$work/stub"
cat "$work/stub" "$work/stored.zip" > "$work/prepended.zip"
cp "$work/prepended.zip" "$work/prepended-adjusted.zip" && zip -q -A "$work/prepended-adjusted.zip"
python3 - "$work" <<'PY'
import sys, zipfile
w = sys.argv[1]
def msdos(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            zi.create_system = 0  # MS-DOS: no Unix mode, as Windows tools write
            zi.external_attr = 0x20
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
msdos(f"{w}/msdos.zip", [("bootstrap", b"#!/bin/sh\necho hello\n")])
msdos(f"{w}/backslash.zip", [("bin\\bootstrap", b"#!/bin/sh\necho hello\n")])
with zipfile.ZipFile(f"{w}/empty.zip", "w") as z:
    pass
# A comment stuffed with end-of-directory signatures: a reader must not take the fake one.
with zipfile.ZipFile(f"{w}/fake-eocd-comment.zip", "w") as z:
    zi = zipfile.ZipInfo("bootstrap", (2026, 1, 1, 0, 0, 0))
    zi.create_system = 3
    zi.external_attr = 0o100755 << 16
    z.writestr(zi, b"#!/bin/sh\necho hello\n")
    z.comment = (b"PK\x05\x06" + b"\x00" * 18) * 20
PY
for f in unix stored zip64 nested comment prepended prepended-adjusted msdos backslash empty fake-eocd-comment; do
  cp "$work/$f.zip" "./$f.zip"
done
