#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stand-in for a Grafana Pyroscope server's POST /ingest, for tests.

Each push is checked the way the Pyroscope server API documents it (name,
from, until, format, spyName, sampleRate) and its body parsed: pprof with
`go tool pprof -raw` (the pprof project's own parser), folded line by line.
One JSON line per request goes to --out:

  {"ok": true, "errors": [], "name": "...", "app": "...", "type": "cpu",
   "labels": {...}, "from": N, "until": N, "format": "pprof",
   "spyName": "...", "sampleRate": N|null, "samples": N,
   "functions": {"name": samples that include it, ...}}

pprof records also carry "sampleTypes" (["samples/count", ...]).  A push
that breaks a rule gets HTTP 400 and one line naming it (and is recorded
with ok false).  --fail-first N answers 503 to the first N pushes, to
exercise the sender's retries; they are recorded with "refused": true and
their name, from, until and format (as strings).

  pyroscope_receiver.py --port-file F --out F [--fail-first N]
The port (bound on 127.0.0.1, chosen by the kernel) is written to
--port-file once the server listens.
"""
import argparse
import gzip
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

APP_RE = re.compile(r"^([A-Za-z0-9._/:-]+)\{(.*)\}$")
LABEL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOC_RE = re.compile(r"^\s+(\d+): 0x[0-9a-f]+ M=\d+ (.*) \S*:\d+ s=\d+$")
INLINE_RE = re.compile(r"^\s+(.*) \S*:\d+ s=\d+$")
SAMPLE_RE = re.compile(r"^\s+(-?\d+)((?:\s+-?\d+)*):((?: \d+)*)\s*$")


def parse_name(name, fmt, errors):
    """APP{k=v,...} (pprof: a prefix) or APP.TYPE{k=v,...} (folded)."""
    m = APP_RE.match(name or "")
    if not m:
        errors.append("name %r is not APP{k=v,...}" % name)
        return None, None, {}
    app, inner = m.group(1), m.group(2)
    labels = {}
    for kv in inner.split(",") if inner else []:
        k, eq, v = kv.partition("=")
        if not eq or not LABEL_NAME_RE.match(k) or not v or k.startswith("__"):
            errors.append("label %r in name is not k=v" % kv)
            continue
        if k in labels:
            errors.append("label %r twice in name" % k)
        labels[k] = v
    if "hostname" not in labels:
        errors.append("name has no hostname label")
    ptype = None
    if fmt == "folded":
        app, dot, ptype = app.rpartition(".")
        if not dot or not app or not ptype:
            errors.append("folded push: name %r has no .TYPE after the app" % name)
    return app, ptype, labels


def parse_pprof(body, errors):
    """Samples and, per function, the samples whose stack holds it."""
    if body[:2] != b"\x1f\x8b":
        errors.append("pprof body is not gzip (no 1f 8b magic)")
        return 0, {}, []
    try:
        gzip.decompress(body)
    except (OSError, EOFError) as e:
        errors.append("pprof body: bad gzip: %s" % e)
        return 0, {}, []
    with tempfile.NamedTemporaryFile(suffix=".pb.gz") as f:
        f.write(body)
        f.flush()
        env = dict(os.environ, HOME=os.environ.get("HOME", "/tmp"))
        r = subprocess.run(["go", "tool", "pprof", "-raw", f.name],
                           capture_output=True, text=True, env=env)
    if r.returncode != 0:
        errors.append("go tool pprof -raw failed: %s" % r.stderr.strip().splitlines()[-1:])
        return 0, {}, []
    section, samples, stacks, locs, cur, types = None, 0, [], {}, None, None
    for line in r.stdout.splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            section = line
            continue
        if section == "Samples:" and types is None:
            types = [t.replace("[dflt]", "") for t in line.split()]
            continue
        if section == "Samples:":
            m = SAMPLE_RE.match(line)
            if m:
                v = int(m.group(1))
                samples += v
                stacks.append((v, m.group(3).split()))
        elif section == "Locations":
            m = LOC_RE.match(line)
            if m:
                cur = m.group(1)
                locs[cur] = [m.group(2)]
                continue
            m = INLINE_RE.match(line)
            if m and cur:
                locs[cur].append(m.group(1))
    funcs = {}
    for v, ids in stacks:
        for fn in {fn for i in ids for fn in locs.get(i, [])}:
            funcs[fn] = funcs.get(fn, 0) + v
    if not stacks:
        errors.append("pprof has no samples")
    return samples, funcs, types or []


def parse_folded(body, errors):
    samples, funcs = 0, {}
    try:
        text = body.decode()
    except UnicodeDecodeError:
        errors.append("folded body is not UTF-8")
        return 0, {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            errors.append("folded line %d is not 'a;b;c COUNT'" % n)
            return samples, funcs
        samples += int(count)
        for fn in set(stack.split(";")):
            funcs[fn] = funcs.get(fn, 0) + int(count)
    return samples, funcs


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, code, text):
        data = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(404, "only POST /ingest here")

    def do_POST(self):
        srv = self.server
        u = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with srv.lock:
            if srv.fail_left > 0:
                srv.fail_left -= 1
                q = urllib.parse.parse_qs(u.query)
                rec = {k: q.get(k, [None])[0] for k in ("name", "from", "until", "format")}
                rec.update(ok=False, refused=True, errors=["answered 503 (--fail-first)"])
                with open(srv.out, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                self.reply(503, "down for the test")
                return
        if u.path != "/ingest":
            self.reply(404, "only POST /ingest here")
            return
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        errors = []
        one = {}
        for k, v in q.items():
            if len(v) != 1:
                errors.append("query parameter %s given %d times" % (k, len(v)))
            one[k] = v[-1]
        for k in ("name", "from", "until", "format", "spyName"):
            if not one.get(k):
                errors.append("query parameter %s missing" % k)
        fmt = one.get("format")
        if fmt and fmt not in ("pprof", "folded"):
            errors.append("format %r is neither pprof nor folded" % fmt)
        rec = {"name": one.get("name"), "format": fmt, "spyName": one.get("spyName"),
               "contentType": self.headers.get("Content-Type")}
        for k in ("from", "until", "sampleRate"):
            v = one.get(k)
            try:
                rec[k] = int(v) if v is not None else None
            except ValueError:
                errors.append("%s=%r is not an integer" % (k, v))
                rec[k] = None
        now = time.time()
        if rec["from"] is not None and rec["until"] is not None:
            if rec["from"] > rec["until"]:
                errors.append("from %d is after until %d" % (rec["from"], rec["until"]))
            if abs(rec["from"] - now) > 86400:
                errors.append("from %d is not a Unix time in seconds near now" % rec["from"])
        if rec["sampleRate"] is not None and rec["sampleRate"] <= 0:
            errors.append("sampleRate %d is not positive" % rec["sampleRate"])
        rec["app"], rec["type"], rec["labels"] = parse_name(one.get("name"), fmt, errors)
        if fmt == "pprof":
            rec["samples"], rec["functions"], rec["sampleTypes"] = parse_pprof(body, errors)
        elif fmt == "folded":
            rec["samples"], rec["functions"] = parse_folded(body, errors)
        rec["bytes"] = len(body)
        rec["ok"] = not errors
        rec["errors"] = errors
        with srv.lock:
            with open(srv.out, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if errors:
            self.reply(400, "; ".join(errors))
        else:
            self.reply(200, "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.lock = threading.Lock()
    srv.out = a.out
    srv.fail_left = a.fail_first
    open(a.out, "a").close()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
