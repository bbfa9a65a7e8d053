#!/usr/bin/env python3
"""image_edit.py: change one int8 weight of a compiled image, byte by byte.

    image_edit.py IN.sac OUT.sac --node NAME --channel C --index K --delta D
                  [--sram-only]

Weight K of output channel C of node NAME (its flat index C * per + K in
the node's [C][...] weights) becomes old + D (clamped to [-127, 127]; D must
change it).  The weight is stored twice and the loader insists that the two
agree: in the 'model' section (the node's int8 array) and in the 'sram'
section (each region holding channel C: rows [per][G], weight K of local
channel C - c0).  Both are changed, both sections recompressed (zlib level
6, as the writer does), and the section table (offsets, sizes, both CRC32s
of each section) and the header (file size, header CRC32) rewritten, so
OUT.sac is a valid image of a slightly different network.  With
--sram-only the 'model' section is left as it was (CRCs still fixed): an
image whose sections disagree, which every loader must refuse.

tests/rtl_cosim.sh uses it to give the RTL a different weight than the C
simulator sees and checks that `saccade cosim` reports the divergence
where the C simulator's own run of the changed image says it must appear.
Prints "old new regions" on stdout.  Container format: docs/FORMATS.md. """
import argparse
import struct
import sys
import zlib

OP_CONV2D, OP_LINEAR = 1, 2  # SAC_IR_OPS order in include/saccade/ir.h
SEC_MODEL, SEC_LAYERS, SEC_PES, SEC_SRAM = 3, 4, 5, 6


class Reader:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, n):
        if self.p + n > len(self.b):
            sys.exit("image_edit: section ends early")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def i32(self):
        return struct.unpack("<i", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def f64(self):
        return struct.unpack("<d", self.take(8))[0]

    def str(self):
        return self.take(self.u32()).decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--node", required=True)
    ap.add_argument("--channel", type=int, required=True)
    ap.add_argument("--index", type=int, required=True)
    ap.add_argument("--delta", type=int, required=True)
    ap.add_argument("--sram-only", action="store_true")
    a = ap.parse_args()
    f = bytearray(open(a.inp, "rb").read())
    if f[:8] != b"SACCADE\x1a":
        sys.exit("image_edit: not a Saccade image")
    n = struct.unpack_from("<I", f, 12)[0]
    table = [list(struct.unpack_from("<IIQQQII", f, 32 + 40 * i)) for i in range(n)]
    raw = [zlib.decompress(bytes(f[t[2]:t[2] + t[3]])) for t in table]
    types = [t[0] for t in table]
    model = bytearray(raw[types.index(SEC_MODEL)])
    sram = bytearray(raw[types.index(SEC_SRAM)])

    # The node's weights in the model section.
    r = Reader(model)
    r.str(); r.u32(); r.f64()
    found = None
    nnodes = r.u32()
    for idx in range(nnodes):
        name, op, nin = r.str(), r.u32(), r.u32()
        for _ in range(nin):
            r.i32()
        for _ in range(15):
            r.i32()
        r.f64(); r.f64()
        if op not in (OP_CONV2D, OP_LINEAR):
            continue
        nw = r.u64()
        off = r.p
        r.take(nw)
        for _ in range(r.u32()):
            r.f64()
        c = r.u32()
        for _ in range(c):
            r.i32(); r.i32()
        if name == a.node:
            found = (idx, off, nw, c)
    if not found:
        sys.exit("image_edit: no conv or linear node '%s'" % a.node)
    node, off, nw, c = found
    per = nw // c
    if not (0 <= a.channel < c and 0 <= a.index < per):
        sys.exit("image_edit: channel %d index %d outside [%d][%d]" % (a.channel, a.index, c, per))
    old = struct.unpack_from("<b", model, off + a.channel * per + a.index)[0]
    new = max(-127, min(127, old + a.delta))
    if new == old:
        sys.exit("image_edit: the change leaves weight %d" % old)
    struct.pack_into("<b", model, off + a.channel * per + a.index, new)

    # The regions of the node's hardware layer ('layers', 'pes' sections).
    r = Reader(raw[types.index(SEC_LAYERS)])
    lnode = [[r.i32() for _ in range(10)][1] for _ in range(r.u32())]
    r = Reader(raw[types.index(SEC_PES)])
    r.i32(); r.i32(); r.take(16)
    regions = [[r.i32() for _ in range(10)] for _ in range(r.u32())]
    # The sram section: per region (in region order) its PE, the byte
    # count of its weight rows [per][G], the rows, then 3 words per
    # channel (none for the input layer).
    r = Reader(sram)
    hits = 0
    if r.u32() != len(regions):
        sys.exit("image_edit: sections 'sram' and 'pes' disagree")
    for reg in regions:
        layer, pe, c0, c1 = reg[:4]
        r.u32()
        nb = r.u32()
        roff = r.p
        r.take(nb)
        if nb:
            r.take(12 * (c1 - c0))
        if lnode[layer] == node and c0 <= a.channel < c1:
            g = c1 - c0
            if nb != per * g:
                sys.exit("image_edit: region on PE %d: %d bytes, not %d" % (pe, nb, per * g))
            struct.pack_into("<b", sram, roff + a.index * g + a.channel - c0, new)
            hits += 1
    if hits == 0:
        sys.exit("image_edit: no region of '%s' holds channel %d" % (a.node, a.channel))

    if not a.sram_only:
        raw[types.index(SEC_MODEL)] = bytes(model)
    raw[types.index(SEC_SRAM)] = bytes(sram)
    # Rebuild: sections back to back after the table, in table order.
    out = bytearray(f[:32 + 40 * n])
    pos = 32 + 40 * n
    blobs = []
    for i, t in enumerate(table):
        z = zlib.compress(raw[i], 6)
        t[2], t[3], t[4] = pos, len(z), len(raw[i])
        t[5], t[6] = zlib.crc32(raw[i]), zlib.crc32(z)
        struct.pack_into("<IIQQQII", out, 32 + 40 * i, *t)
        blobs.append(z)
        pos += len(z)
    struct.pack_into("<Q", out, 16, pos)
    hdr = bytes(out[:24]) + bytes(out[28:32 + 40 * n])
    struct.pack_into("<I", out, 24, zlib.crc32(hdr))
    for z in blobs:
        out += z
    open(a.out, "wb").write(out)
    print(old, new, hits)


main()
