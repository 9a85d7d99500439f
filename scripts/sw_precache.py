#!/usr/bin/env python3
"""Trunk post-build hook: tell the service worker (dist/sw.js) exactly what this build is.

Writes into sw.js, in place of its `/* build */ ... /* end build */` placeholder, the list of
every file of the build but sw.js itself, each with the SHA-256 of its bytes, and a version: a
digest of that list. The service worker precaches exactly those files, checks each against its
hash, and names its cache after the version; a new deployment changes the version, so the
browser installs the new worker and the old cache is deleted (see static/sw.js).

Run after scripts/csp_hash.py, which rewrites index.html: the hash listed must be of the final
index.html. Trunk starts the hooks of one stage all at once, so Trunk.toml runs the two in
order from a single hook.
"""
import hashlib
import json
import os
import re
import sys

staging = os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "dist")
sw_path = os.path.join(staging, "sw.js")
if not os.path.isfile(sw_path):
    sys.exit("sw_precache: no sw.js in the build (index.html copies static/sw.js)")

files = []
for directory, subdirs, names in os.walk(staging):
    subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
    for name in sorted(names):
        path = os.path.join(directory, name)
        rel = os.path.relpath(path, staging).replace(os.sep, "/")
        if rel == "sw.js" or name.startswith("."):
            continue
        with open(path, "rb") as f:
            files.append([rel, hashlib.sha256(f.read()).hexdigest()])
files.sort()
if not any(rel == "index.html" for rel, _ in files):
    sys.exit("sw_precache: no index.html in the build")

version = hashlib.sha256(json.dumps(files, separators=(",", ":")).encode()).hexdigest()[:16]
build = json.dumps({"version": version, "files": files}, separators=(",", ":"))

source = open(sw_path, encoding="utf-8").read()
source, n = re.subn(r"/\* build \*/.*?/\* end build \*/", lambda _: f"/* build */ {build} /* end build */", source, count=1, flags=re.S)
if n != 1:
    sys.exit("sw_precache: no /* build */ placeholder in sw.js")
open(sw_path, "w", encoding="utf-8").write(source)
print(f"sw_precache: {len(files)} file(s) to precache, version {version}")
