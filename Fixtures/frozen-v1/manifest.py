#!/usr/bin/env python3
"""Prints one line per entry under a folder: kind, mode, mtime seconds, size, sha256 (files) or target (links), path."""
import hashlib, os, stat, sys

root = sys.argv[1]
for dirpath, dirnames, filenames in sorted(os.walk(root)):
    dirnames.sort()
    for name in sorted(dirnames + filenames):
        full = os.path.join(dirpath, name)
        rel = os.path.relpath(full, root)
        st = os.lstat(full)
        mode = oct(stat.S_IMODE(st.st_mode))[2:]
        if stat.S_ISLNK(st.st_mode):
            print(f"link {mode} {int(st.st_mtime)} {os.readlink(full)} {rel}")
        elif stat.S_ISDIR(st.st_mode):
            print(f"dir {mode} {int(st.st_mtime)} - {rel}")
        else:
            digest = hashlib.sha256(open(full, "rb").read()).hexdigest()
            print(f"file {mode} {int(st.st_mtime)} {st.st_size}:{digest} {rel}")
