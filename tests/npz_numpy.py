#!/usr/bin/python3
"""npz_numpy.py: cross-check Saccade's .npz/.npy files against NumPy.

usage: npz_numpy.py IN.npz OUT.npz [EVENTS.npy]

IN.npz is an archive written by Saccade.  Every member is loaded with
np.load (which checks the zip CRCs and the .npy headers) and must be a
little-endian (or byte-order free), C-ordered plain array.  OUT.npz is then
written by NumPy (np.savez_compressed) for Saccade to read back; it holds
every member of IN unchanged, plus 'sum.NAME', a float64 scalar with the
sum NumPy computes for member NAME, so that the C side can check that
NumPy understood the values it wrote (not just the bytes).

If EVENTS.npy is given it must be an event stream written by Saccade: a 1-D
record array with fields t (<i8), x (<u2), y (<u2), p (|u1), sorted by t,
inside the 346 x 260 sensor, p in {0, 1}.

Exit status 0 when everything checks out, 1 with a message otherwise.
Only NumPy is needed (Debian: python3-numpy)."""
import sys

import numpy as np


def fail(msg):
    print("npz_numpy.py: " + msg, file=sys.stderr)
    sys.exit(1)


def check_events(path):
    ev = np.load(path, allow_pickle=False)
    want = [("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "|u1")]
    got = [(n, ev.dtype.fields[n][0].str) for n in ev.dtype.names or ()]
    if got != want:
        fail(f"{path}: fields {got}, expected {want}")
    if ev.ndim != 1:
        fail(f"{path}: {ev.ndim} dimensions, expected 1")
    if len(ev) and (np.any(np.diff(ev["t"]) < 0) or ev["t"][0] < 0):
        fail(f"{path}: t is not sorted / non-negative")
    if np.any(ev["x"] >= 346) or np.any(ev["y"] >= 260) or np.any(ev["p"] > 1):
        fail(f"{path}: an event lies outside the sensor or has p > 1")


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    src, dst = argv[1], argv[2]
    out = {}
    with np.load(src, allow_pickle=False) as z:
        if not z.files:
            fail(f"{src}: no members")
        for name in z.files:
            a = z[name]
            if a.dtype.byteorder == ">" or a.dtype.names is not None:
                fail(f"{src}:{name}: dtype {a.dtype} is not a plain little-endian type")
            if a.ndim > 1 and not a.flags.c_contiguous:
                fail(f"{src}:{name}: not C-ordered")
            out[name] = a
            out["sum." + name] = np.float64(a.astype(np.float64).sum())
    np.savez_compressed(dst, **out)
    if len(argv) == 4:
        check_events(argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
