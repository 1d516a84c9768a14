#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Of the samples of COMM whose innermost user frame is JIT code, how many are
named: prints "NAMED TOTAL".  JIT code is a frame of kind jit (named from
the perf map) or one in anonymous or unknown memory ([JIT code: …],
[unmapped]+0x…): what a frame in code the runtime made looks like unnamed.
Usage: jit_share.py PROFILE.json COMM"""
import json
import sys

prof = json.load(open(sys.argv[1]))
frames = prof["frames"]
named = total = 0
for st in prof["stacks"]:
    if st["comm"] != sys.argv[2]:
        continue
    user = [frames[i] for i in st["frames"] if frames[i]["kind"] != "kernel"]
    if not user:
        continue
    leaf = user[-1]		# stacks are listed root first
    n = st["values"][0]
    if leaf["kind"] == "jit":
        named += n
        total += n
    elif leaf["name"].startswith(("[JIT code: ", "[anon]", "[unmapped]", "[pid ")):
        total += n
print(named, total)
