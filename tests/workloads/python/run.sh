#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A Python program started by a shell script (not exec'd: a child of sh).
here=$(dirname "$0")
/usr/bin/python3.11 "$here/split31.py" "${1:-1}"
echo done
