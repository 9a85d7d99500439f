#!/usr/bin/env python3
"""Trunk post-build hook: allow Trunk's inline loader script by its hash in the page's CSP.

Trunk writes a small inline <script type="module"> that starts the Wasm app. The CSP in
index.html allows scripts only from the app's own origin, so this adds the SHA-256 of each
inline script to `script-src`: exactly that code may run inline, nothing else. Hashes, not a
nonce: the page is static, and a nonce baked into a static file is no secret.
"""
import base64
import hashlib
import os
import re
import sys

staging = os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "dist")
path = os.path.join(staging, "index.html")
html = open(path, encoding="utf-8").read()

inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
hashes = " ".join(
    "'sha256-%s'" % base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
    for body in inline
)
if hashes:
    html, n = re.subn(r"(script-src 'self')", r"\1 " + hashes, html, count=1)
    if n != 1:
        sys.exit("csp_hash: no script-src 'self' directive in index.html")
open(path, "w", encoding="utf-8").write(html)
print(f"csp_hash: allowed {len(inline)} inline script(s) by hash")
