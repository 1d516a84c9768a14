#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Small .gopclntab tables in each layout the reader knows, written from the
runtime's own struct definitions (runtime/symtab.go of Go 1.16, 1.18 and
1.20): the fuzz seeds of tests/fuzz/corpus/gopclntab/ and the unit test's
only view of the layouts Debian's go (1.19) cannot build.

Each file is the fuzz target's input: a little-endian u32 length, the table
(at address TAB_ADDR), then the funcdata bytes (at FDATA_ADDR, what Go 1.18
on calls moduledata.gofunc).  Three functions, text from 0x401000:

  main.outer       0x401000-0x401040  frame 24 bytes; main.inner inlined
                   at 0x401020-0x401030 (main.go:4), called from line 11
  runtime.goexit   0x401040-0x401060  TOPFRAME (1.17 on), asm.s:1594
  crypto/sha256.block 0x401060-0x4010a0  SP 544 below entry in its body

  tests/fuzz/gen_gopclntab.py OUTDIR
"""
import os
import struct
import sys

TEXT = 0x401000
TAB_ADDR = 0x10000000
FDATA_ADDR = 0x20000000
MAGIC = {116: 0xfffffffa, 118: 0xfffffff0, 120: 0xfffffff1}


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pcvalue(entry, ranges):
    """(value, end pc) pairs from entry on, as runtime.step reads them."""
    out, prev, pc = bytearray(), -1, entry
    for val, end in ranges:
        d = val - prev
        out += uvarint(((d << 1) ^ (d >> 31)) & 0xffffffff)
        out += uvarint(end - pc)
        prev, pc = val, end
    return bytes(out + b'\0')


def build(ver):
    funcs = [
        # name, entry, end, sp, file, line, inline index, flag
        ('main.outer', 0x00, 0x40, [(0, 0x04), (24, 0x3c), (0, 0x40)],
         [(0, 0x40)], [(10, 0x10), (11, 0x20), (4, 0x30), (12, 0x40)],
         [(-1, 0x20), (0, 0x30), (-1, 0x40)], 0),
        ('runtime.goexit', 0x40, 0x60, [(0, 0x60)], [(1, 0x60)], [(1594, 0x60)], None, 1),
        ('crypto/sha256.block', 0x60, 0xa0, [(0, 0x68), (544, 0x98), (0, 0xa0)],
         [(1, 0xa0)], [(700, 0xa0)], None, 0),
    ]
    names = bytearray()
    nameoff = {}
    for n in [f[0] for f in funcs] + ['main.inner']:
        nameoff[n] = len(names)
        names += n.encode() + b'\0'
    files = bytearray(b'main.go\0asm.s\0')
    cutab = struct.pack('<II', 0, 8)
    pctab = bytearray(b'\0')	# offset 0 means no table
    tables = []
    for name, lo, hi, sp, fl, ln, inl, flag in funcs:
        t = {}
        for key, rng in (('sp', sp), ('file', fl), ('line', ln), ('inl', inl)):
            if rng is None:
                t[key] = 0
                continue
            t[key] = len(pctab)
            pctab += pcvalue(TEXT + lo, [(v, TEXT + e) for v, e in rng])
        tables.append(t)

    ps = 8
    nhdr = 7 if ver == 116 else 8
    hdr_size = 8 + nhdr * ps
    off_name = hdr_size
    off_cu = off_name + len(names)
    off_file = off_cu + len(cutab)
    off_pc = off_file + len(files)
    off_pcln = (off_pc + len(pctab) + 7) & ~7

    # the inline tree, in the funcdata bytes
    if ver >= 120:
        fdata = struct.pack('<B3xiii', 0, nameoff['main.inner'], 0x18, 3)
    else:
        fdata = struct.pack('<hBxiiii', -1, 0, 0, 11, nameoff['main.inner'], 0x18)

    ent = 2 * ps if ver == 116 else 8
    ftab_size = (len(funcs) + 1) * ent
    recs = bytearray()
    funcoffs = []
    for (name, lo, hi, sp, fl, ln, inl, flag), t in zip(funcs, tables):
        while (ftab_size + len(recs)) % ps:
            recs += b'\0'
        funcoffs.append(ftab_size + len(recs))
        rec = bytearray()
        rec += struct.pack('<Q', TEXT + lo) if ver == 116 else struct.pack('<I', lo)
        npcdata = 3 if t['inl'] else 0
        nfuncdata = 4 if t['inl'] else 0
        rec += struct.pack('<iiIIIIII', nameoff[name], 0, 0, t['sp'], t['file'], t['line'],
                           npcdata, 0)
        if ver >= 120:
            rec += struct.pack('<i', 1)
        rec += struct.pack('<BBBB', 0, flag if ver != 116 else 0, 0, nfuncdata)
        if npcdata:
            rec += struct.pack('<III', 0, 0, t['inl'])
        if nfuncdata:
            if ver == 116:
                # pointers, aligned to 8 in memory
                if (TAB_ADDR + off_pcln + funcoffs[-1] + len(rec)) & 4:
                    rec += b'\0' * 4
                rec += struct.pack('<QQQQ', 0, 0, 0, FDATA_ADDR)
            else:
                rec += struct.pack('<IIII', 0xffffffff, 0xffffffff, 0xffffffff, 0)
        recs += rec
    ftab = bytearray()
    for (name, lo, *_), fo in zip(funcs, funcoffs):
        ftab += struct.pack('<QQ', TEXT + lo, fo) if ver == 116 else struct.pack('<II', lo, fo)
    end = funcs[-1][2]
    ftab += struct.pack('<QQ', TEXT + end, 0) if ver == 116 else struct.pack('<II', end, 0)

    words = [len(funcs), 2]
    if ver != 116:
        words.append(TEXT)
    words += [off_name, off_cu, off_file, off_pc, off_pcln]
    hdr = struct.pack('<IBBBB', MAGIC[ver], 0, 0, 1, ps) + struct.pack('<%dQ' % nhdr, *words)
    tab = bytearray(hdr + names + cutab + files + pctab)
    tab += b'\0' * (off_pcln - len(tab))
    tab += ftab + recs
    return struct.pack('<I', len(tab)) + bytes(tab) + fdata


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for ver in (116, 118, 120):
        with open(os.path.join(out, 'go%d' % ver), 'wb') as f:
            f.write(build(ver))


if __name__ == '__main__':
    main()
