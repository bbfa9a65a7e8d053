#!/usr/bin/python3
"""oracle_int.py: an independent oracle for integer TTFS models.

Reads a model written by `saccade quantize` (`quantized: ttfs`, see
docs/FORMATS.md, "Integer TTFS models") from its YAML and npz files alone
and evaluates the integer equations given there with numpy int64
arithmetic:

    x_input = clamp(floor(v * S(0) + 1/2), 0, S(0))
    a_i     = sum_j W_ij x_j + b_i                  (zero padding: x = 0)
    x_i     = clamp(floor(a_i / r_i), 0, S(n))      conv2d/linear, relu: true
    logit_i = a_i                                   the readout layer
    maxpool: max of the window (0 in the padding)

Nothing of the project is imported: the point is a second implementation
written from the document, so that a shared misreading of the C code cannot
hide.  Usage:

    oracle_int.py MODEL.yaml --weights W.npz --input X.npy

prints {"samples": [{"index": i, "class": c, "logits": [...],
"int_logits": [...]}, ...]}: logits are dequantised (int_logits times
weight_scale_i times the act_scale of the readout's input) and the class is
their argmax, because per-channel weight scales put the integer logits of
different classes in different units.
Exit status 1 with a message on stderr for anything it cannot evaluate.
"""
import argparse
import json
import os
import sys

import numpy as np
import yaml


class OracleError(Exception):
    pass


def pair(v, what):
    if isinstance(v, int):
        return v, v
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return v[0], v[1]
    raise OracleError("bad %s: %r" % (what, v))


def member(npz, node, key, dtype, ndim=None):
    name = node.get(key)
    if not isinstance(name, str):
        raise OracleError("node %s: no '%s' member" % (node["name"], key))
    if name not in npz.files:
        raise OracleError("node %s: npz has no member '%s'" % (node["name"], name))
    a = npz[name]
    if a.dtype != np.dtype(dtype):
        raise OracleError("member %s: dtype %s, expected %s" % (name, a.dtype, dtype))
    if ndim is not None and a.ndim != ndim:
        raise OracleError("member %s: %d dims, expected %d" % (name, a.ndim, ndim))
    return a.astype(np.int64)


def conv2d(x, w, b, stride, pad, groups):
    """x int64 [C,H,W], w int64 [O,C/g,kh,kw], b int64 [O] -> a int64 [O,H',W']."""
    c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = pad
    if c != cg * groups or o % groups:
        raise OracleError("conv: %d input channels, weight %s, groups %d"
                          % (c, w.shape, groups))
    xp = np.zeros((c, h + 2 * ph, wd + 2 * pw), dtype=np.int64)
    xp[:, ph:ph + h, pw:pw + wd] = x
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    if ho < 1 or wo < 1:
        raise OracleError("conv: output size %dx%d" % (ho, wo))
    og = o // groups
    a = np.zeros((o, ho * wo), dtype=np.int64)
    for g in range(groups):
        xg = xp[g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og]
        for ky in range(kh):
            for kx in range(kw):
                win = xg[:, ky:ky + sh * (ho - 1) + 1:sh, kx:kx + sw * (wo - 1) + 1:sw]
                a[g * og:(g + 1) * og] += wg[:, :, ky, kx] @ win.reshape(cg, ho * wo)
    return a.reshape(o, ho, wo) + b[:, None, None]


def maxpool(x, kernel, stride, pad):
    c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = pad
    xp = np.zeros((c, h + 2 * ph, w + 2 * pw), dtype=np.int64)  # x >= 0
    xp[:, ph:ph + h, pw:pw + w] = x
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    out = None
    for ky in range(kh):
        for kx in range(kw):
            win = xp[:, ky:ky + sh * (ho - 1) + 1:sh, kx:kx + sw * (wo - 1) + 1:sw]
            out = win.copy() if out is None else np.maximum(out, win)
    return out


def run(nodes, npz, v):
    """One image v (float [C,H,W]) -> int64 logits."""
    consumers = {}
    for nd in nodes:
        for i in nd.get("inputs") or []:
            consumers.setdefault(i, []).append(nd)
    vals = {}
    for nd in nodes:
        name, op = nd["name"], nd["op"]
        ins = [vals[i] for i in nd.get("inputs") or []]
        steps = nd.get("steps")
        if op == "input":
            s = int(steps)
            shape = tuple(nd["shape"])
            if v.shape != shape:
                raise OracleError("input shape %s, model wants %s" % (v.shape, shape))
            y = np.floor(v.astype(np.float64) * s + 0.5).astype(np.int64)
            y = np.clip(y, 0, s)
        elif op in ("conv2d", "linear"):
            x = ins[0]
            w = member(npz, nd, "weight", "int8")
            b = member(npz, nd, "bias", "int32", 1)
            r = member(npz, nd, "ramp", "int32", 1)
            if op == "conv2d":
                a = conv2d(x, w, b, pair(nd.get("stride", 1), "stride"),
                           pair(nd.get("padding", 0), "padding"),
                           int(nd.get("groups", 1)))
            else:
                if w.ndim != 2 or w.shape[1] != x.size:
                    raise OracleError("linear %s: weight %s for %d inputs"
                                      % (name, w.shape, x.size))
                a = (w @ x.reshape(-1) + b).reshape(-1, 1, 1)
            readout = any(c["op"] == "output" for c in consumers.get(name, []))
            if nd.get("relu", False):
                if np.any(r <= 0):
                    raise OracleError("node %s: ramp <= 0" % name)
                y = np.clip(np.floor_divide(a, r.reshape(-1, 1, 1)), 0, int(steps))
            elif readout:
                y = a
            else:
                raise OracleError("node %s: %s without relu is not the readout"
                                  % (name, op))
        elif op == "maxpool":
            k = pair(nd["kernel"], "kernel")
            y = maxpool(ins[0], k, pair(nd.get("stride", nd["kernel"]), "stride"),
                        pair(nd.get("padding", 0), "padding"))
        elif op == "flatten":
            y = ins[0].reshape(-1, 1, 1)
        elif op == "identity":
            y = ins[0]
        elif op == "relu":
            y = np.maximum(ins[0], 0)
        elif op == "output":
            y = ins[0]
        else:
            raise OracleError("node %s: op '%s' has no integer meaning here" % (name, op))
        vals[name] = y
    logits = vals[nodes[-1]["name"]].reshape(-1)
    return logits, readout_scale(nodes, npz)


def readout_scale(nodes, npz):
    """Per-logit float scale: weight_scale_i * act_scale(readout input).
    With per-channel weight scales the integer logits of different classes
    are in different units, so the class is the argmax of the scaled ones."""
    out = nodes[-1]
    ro = next(nd for nd in nodes if nd["name"] == out["inputs"][0])
    src = next(nd for nd in nodes if nd["name"] == ro["inputs"][0])
    ws = npz[ro["weight_scale"]].astype(np.float64).reshape(-1)
    return ws * float(src.get("act_scale", 1.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--weights")
    ap.add_argument("--input", required=True)
    args = ap.parse_args()
    try:
        with open(args.model) as f:
            m = yaml.safe_load(f)
        if not isinstance(m, dict) or m.get("quantized") != "ttfs":
            raise OracleError("%s: not an integer TTFS model (quantized: ttfs)"
                              % args.model)
        nodes = m["nodes"]
        wpath = args.weights or os.path.join(os.path.dirname(args.model), "weights.npz")
        npz = np.load(wpath)
        x = np.load(args.input)
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4:
            raise OracleError("%s: shape %s, expected [C,H,W] or [N,C,H,W]"
                              % (args.input, x.shape))
        out = []
        for i in range(x.shape[0]):
            logits, scale = run(nodes, npz, x[i])
            f = logits.astype(np.float64) * scale
            out.append({"index": i, "class": int(np.argmax(f)),
                        "logits": [float(v) for v in f],
                        "int_logits": [int(v) for v in logits]})
    except (OracleError, KeyError, OSError, ValueError) as err:
        print("oracle_int.py: %s" % err, file=sys.stderr)
        return 1
    json.dump({"samples": out}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
