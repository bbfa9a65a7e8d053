"""saccade: run compiled Saccade images from Python (ctypes over libsaccade).

    import numpy as np, saccade
    rt = saccade.Runtime("net.sac")
    rt.set_input(np.zeros(rt.input_shape, np.float32))   # or rt.set_events("ev.npy")
    rt.run()
    print(rt.class_name, rt.logits, rt.latency_ms, rt.energy_mj)
    summary, samples = rt.evaluate("set/manifest.csv", jobs=4)

Everything is the C library's (include/saccade/runtime.h): the same
simulator, framing and evaluation as the `saccade` command, hence the same
numbers.  Arrays come in and go out as numpy arrays (copies: nothing
returned points into the library).  Errors raise saccade.Error with the
library's code and message.  The library is found through the SACCADE_LIB
environment variable (a path to libsaccade.so), then
ctypes.util.find_library("saccade"), then the directory it was installed
to, then a build tree next to this file (../.libs).  ctypes releases the
GIL during calls, so Runtime objects (one per thread, see clone()) run in
parallel in Python threads.
"""
import ctypes
import ctypes.util
import os

import numpy as np

__all__ = ["Error", "Runtime", "CLASSES", "CLASS_SHORT", "LIGHTINGS", "library"]

CLASSES = ("happiness", "sadness", "anger", "disgust", "surprise", "fear", "neutral")
CLASS_SHORT = ("Ha", "Sa", "An", "Di", "Su", "Fe", "Ne")
LIGHTINGS = ("normal", "overexposure", "lowlight", "hdr")

# Set by `make install` to the library's directory.
_LIBDIR = None

# Codes of saccade.h.
OK, ERR_IO, ERR_PARSE, ERR_SHAPE, ERR_RANGE, ERR_NOMEM = 0, -1, -2, -3, -4, -5
ERR_UNSUPPORTED, ERR_CAPACITY, ERR_USAGE, ERR_CORRUPT, ERR_STATE = -6, -7, -8, -9, -10


class Error(Exception):
    """A library error: .code (negative, saccade.h) and .message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# --- the C structures we exchange (checked against sac_rt_sizeof) -------------
class _Err(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 2048)]


class _Event(ctypes.Structure):
    _fields_ = [("t", ctypes.c_int64), ("x", ctypes.c_uint16), ("y", ctypes.c_uint16),
                ("p", ctypes.c_uint8)]


class _Events(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int),
                ("count", ctypes.c_size_t), ("cap", ctypes.c_size_t),
                ("ev", ctypes.POINTER(_Event))]


class _FrameOpts(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int), ("skip", ctypes.c_int), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("start_s", ctypes.c_double)]


class _Sample(ctypes.Structure):
    _fields_ = [("path", ctypes.c_char_p), ("line", ctypes.c_int),
                ("emotion", ctypes.c_int), ("lighting", ctypes.c_int)]


class _Manifest(ctypes.Structure):
    _fields_ = [("file", ctypes.c_char_p), ("n", ctypes.c_int),
                ("s", ctypes.POINTER(_Sample))]


class _Result(ctypes.Structure):
    _fields_ = [("rc", ctypes.c_int), ("pred", ctypes.c_int), ("cycles", ctypes.c_int64),
                ("ms", ctypes.c_double), ("mj", ctypes.c_double), ("spikes", ctypes.c_int64),
                ("msg", ctypes.c_char * 512)]


class _Summary(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int), ("ok", ctypes.c_int), ("failed", ctypes.c_int),
                ("cls_n", ctypes.c_int * 7), ("cls_correct", ctypes.c_int * 7),
                ("light_n", ctypes.c_int * 4), ("light_correct", ctypes.c_int * 4),
                ("cls_acc", ctypes.c_double * 7), ("light_acc", ctypes.c_double * 4),
                ("war", ctypes.c_double), ("uar", ctypes.c_double),
                ("ms_mean", ctypes.c_double), ("ms_p95", ctypes.c_double),
                ("mj_mean", ctypes.c_double), ("mj_p95", ctypes.c_double),
                ("cycles_mean", ctypes.c_double)]


_PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_int)


def _candidates():
    env = os.environ.get("SACCADE_LIB")
    if env:
        yield env
        return  # an explicit choice is not second-guessed
    found = ctypes.util.find_library("saccade")
    if found:
        yield found
    if _LIBDIR:
        yield os.path.join(_LIBDIR, "libsaccade.so")
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "..", ".libs"), os.path.join(here, ".libs")):
        yield os.path.join(d, "libsaccade.so")


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise OSError("libsaccade not found; set SACCADE_LIB to libsaccade.so. Tried: " +
                  "; ".join(tried or ["nothing"]))


def _declare(lib):
    P, I, D, I64, S = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_int64, ctypes.c_char_p
    pI64, pD = ctypes.POINTER(I64), ctypes.POINTER(D)
    sig = {
        "sac_version": (S, []),
        "sac_strerror": (S, [I]),
        "sac_rt_open": (P, [S, ctypes.POINTER(_Err)]),
        "sac_rt_clone": (P, [P, ctypes.POINTER(_Err)]),
        "sac_rt_close": (None, [P]),
        "sac_rt_error": (S, [P]),
        "sac_rt_set_backend": (I, [P, I]),
        "sac_rt_set_rtl": (I, [P, S]),
        "sac_rt_input_shape": (I, [P, pI64]),
        "sac_rt_set_input": (I, [P, ctypes.POINTER(ctypes.c_float), I, pI64]),
        "sac_rt_frame_defaults": (I, [P, ctypes.POINTER(_FrameOpts)]),
        "sac_rt_set_events": (I, [P, ctypes.POINTER(_Events), ctypes.POINTER(_FrameOpts)]),
        "sac_rt_run": (I, [P]),
        "sac_rt_check_ref": (I, [P, ctypes.POINTER(I), ctypes.c_char_p, ctypes.c_size_t]),
        "sac_rt_nlogits": (I, [P]),
        "sac_rt_logits": (I, [P, pD, I]),
        "sac_rt_int_logits": (I, [P, pI64, I]),
        "sac_rt_class": (I, [P]),
        "sac_rt_latency": (I, [P, pI64, pD]),
        "sac_rt_energy": (I, [P, pD, pD]),
        "sac_rt_ncomponents": (I, []),
        "sac_ecomp_name": (S, [I]),
        "sac_rt_nlayers": (I, [P]),
        "sac_rt_layer": (I, [P, I, ctypes.POINTER(S), pI64, pD]),
        "sac_rt_npe": (I, [P]),
        "sac_rt_pe_energy": (I, [P, pD, I]),
        "sac_rt_nnodes": (I, [P]),
        "sac_rt_node_name": (S, [P, I]),
        "sac_rt_node_shape": (I, [P, I, pI64]),
        "sac_rt_node_spikes": (I64, [P, I, ctypes.POINTER(ctypes.POINTER(ctypes.c_int32))]),
        "sac_events_read": (I, [S, ctypes.POINTER(_Events), ctypes.POINTER(_Err)]),
        "sac_events_free": (None, [ctypes.POINTER(_Events)]),
        "sac_manifest_read": (I, [S, ctypes.POINTER(_Manifest), ctypes.POINTER(_Err)]),
        "sac_manifest_free": (None, [ctypes.POINTER(_Manifest)]),
        "sac_rt_eval": (I, [P, ctypes.POINTER(_Manifest), ctypes.POINTER(_FrameOpts), I,
                            _PROGRESS, P, ctypes.POINTER(_Result)]),
        "sac_eval_summarize": (None, [ctypes.POINTER(_Manifest), ctypes.POINTER(_Result),
                                      ctypes.POINTER(_Summary)]),
        "sac_rt_sizeof": (ctypes.c_size_t, [I]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    # The mirrors above must match the C structs of this very library.
    for k, cls in enumerate((_Result, _Summary, _Manifest, _Sample, _FrameOpts)):
        if lib.sac_rt_sizeof(k) != ctypes.sizeof(cls):
            raise OSError("libsaccade at %s does not match this binding (%s: %d != %d bytes)"
                          % (lib._name, cls.__name__, lib.sac_rt_sizeof(k), ctypes.sizeof(cls)))
    return lib


_lib = None


def library():
    """The loaded libsaccade (ctypes.CDLL), loading it on first use."""
    global _lib
    if _lib is None:
        _lib = _declare(_load())
    return _lib


def version():
    return library().sac_version().decode()


def _frame_opts(rt, frames, skip, start):
    fo = _FrameOpts()
    rt._check(library().sac_rt_frame_defaults(rt._h, ctypes.byref(fo)))
    if frames is not None:
        fo.frames = int(frames)
    fo.skip = int(skip)
    fo.start_s = float(start)
    return fo


def _events_struct(ev, width, height):
    """A sac_events view of a structured array with fields t, x, y, p."""
    names = ev.dtype.names or ()
    if not all(k in names for k in "txyp"):
        raise Error(ERR_SHAPE, "events need fields t, x, y, p (got %s)" % (names,))
    t = np.asarray(ev["t"])
    if t.ndim != 1:
        raise Error(ERR_SHAPE, "events must be a 1-D structured array")
    x, y, p = np.asarray(ev["x"]), np.asarray(ev["y"]), np.asarray(ev["p"])
    # The same invariants as the C readers establish (events/events.c).
    if len(t) and (np.any(np.diff(t) < 0) or t[0] < 0):
        raise Error(ERR_PARSE, "events must be sorted by t, with t >= 0")
    if len(t) and (x.min() < 0 or y.min() < 0 or x.max() >= width or y.max() >= height):
        raise Error(ERR_RANGE, "event coordinates outside %dx%d" % (width, height))
    if len(p) and not np.all(np.isin(p, (-1, 0, 1))):
        raise Error(ERR_RANGE, "polarity must be 0/1 or -1/+1")
    arr = np.zeros(len(t), dtype=np.dtype([("t", "<i8"), ("x", "<u2"), ("y", "<u2"),
                                           ("p", "u1")], align=True))
    if arr.dtype.itemsize != ctypes.sizeof(_Event):
        raise Error(ERR_UNSUPPORTED, "unexpected event layout")
    arr["t"], arr["x"], arr["y"], arr["p"] = t, x, y, p > 0
    s = _Events(width, height, len(arr), len(arr),
                arr.ctypes.data_as(ctypes.POINTER(_Event)))
    return s, arr  # keep arr alive while s is used


class Runtime:
    """One context: an image, an input, a result.  Use one per thread."""

    def __init__(self, image, backend="sim", rtl=None, _handle=None):
        lib = library()
        if _handle is not None:
            self._h = _handle
        else:
            e = _Err()
            self._h = lib.sac_rt_open(os.fsencode(image), ctypes.byref(e))
            if not self._h:
                raise Error(e.code, e.msg.decode(errors="replace"))
        if rtl is not None:
            self.set_rtl(rtl)
        if backend != "sim":
            self.set_backend(backend)

    # -- lifetime
    def close(self):
        if getattr(self, "_h", None):
            library().sac_rt_close(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def clone(self):
        """A new context sharing this one's loaded image (read-only)."""
        e = _Err()
        h = library().sac_rt_clone(self._live(), ctypes.byref(e))
        if not h:
            raise Error(e.code, e.msg.decode(errors="replace"))
        return Runtime(None, _handle=h)

    def _live(self):
        if not getattr(self, "_h", None):
            raise Error(ERR_USAGE, "the runtime is closed")
        return self._h

    def _check(self, rc):
        if rc < 0:
            raise Error(int(rc), library().sac_rt_error(self._h).decode(errors="replace"))
        return rc

    # -- configuration and input
    def set_backend(self, name):
        code = {"sim": 0, "rtl": 1}.get(name)
        if code is None:
            raise Error(ERR_USAGE, "unknown backend %r (sim, rtl)" % (name,))
        self._check(library().sac_rt_set_backend(self._live(), code))

    def set_rtl(self, path):
        """The RTL executable of the "rtl" backend (None: saccade-rtl-<target>
        in $SACCADE_RTL_DIR or where it was installed)."""
        self._check(library().sac_rt_set_rtl(
            self._live(), None if path is None else os.fsencode(path)))

    @property
    def input_shape(self):
        s = (ctypes.c_int64 * 3)()
        self._check(library().sac_rt_input_shape(self._live(), s))
        return tuple(s)

    def set_input(self, x):
        """A float [C, H, W] or [1, C, H, W] array with values in [0, 1]."""
        a = np.ascontiguousarray(x, dtype=np.float32)
        shape = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
        self._check(library().sac_rt_set_input(
            self._live(), a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), a.ndim, shape))
        return self

    def set_events(self, events, frames=None, skip=3, start=0.0, width=346, height=260):
        """An event file (path) or a structured array (fields t [us], x, y, p),
        framed the E4-S3 way at the image's input size."""
        lib = library()
        fo = _frame_opts(self, frames, skip, start)
        if isinstance(events, (str, bytes, os.PathLike)):
            ev, e = _Events(), _Err()
            rc = lib.sac_events_read(os.fsencode(events), ctypes.byref(ev), ctypes.byref(e))
            if rc:
                lib.sac_events_free(ctypes.byref(ev))
                raise Error(rc, e.msg.decode(errors="replace"))
            try:
                self._check(lib.sac_rt_set_events(self._live(), ctypes.byref(ev), ctypes.byref(fo)))
            finally:
                lib.sac_events_free(ctypes.byref(ev))
        else:
            s, keep = _events_struct(np.asarray(events), width, height)
            self._check(lib.sac_rt_set_events(self._live(), ctypes.byref(s), ctypes.byref(fo)))
            del keep
        return self

    def run(self):
        self._check(library().sac_rt_run(self._live()))
        return self

    def classify(self, x):
        """set_input(x), run(), and the class index."""
        return self.set_input(x).run().cls

    def check_ref(self):
        """(same, difference): the last run against ref-int, spike for spike."""
        same, diff = ctypes.c_int(0), ctypes.create_string_buffer(512)
        self._check(library().sac_rt_check_ref(self._live(), ctypes.byref(same), diff, 512))
        return bool(same.value), diff.value.decode()

    # -- outputs
    @property
    def logits(self):
        lib = library()
        n = self._check(lib.sac_rt_nlogits(self._live()))
        out = np.zeros(n, np.float64)
        self._check(lib.sac_rt_logits(self._h, out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), n))
        return out

    @property
    def int_logits(self):
        lib = library()
        n = self._check(lib.sac_rt_nlogits(self._live()))
        out = np.zeros(n, np.int64)
        self._check(lib.sac_rt_int_logits(self._h, out.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), n))
        return out

    @property
    def cls(self):
        return self._check(library().sac_rt_class(self._live()))

    @property
    def class_name(self):
        c = self.cls
        return CLASSES[c] if c < len(CLASSES) else str(c)

    @property
    def latency(self):
        """(cycles, milliseconds) of the last run."""
        cyc, ms = ctypes.c_int64(), ctypes.c_double()
        self._check(library().sac_rt_latency(self._live(), ctypes.byref(cyc), ctypes.byref(ms)))
        return cyc.value, ms.value

    @property
    def latency_ms(self):
        return self.latency[1]

    @property
    def energy(self):
        """{'total': mJ, component: mJ, ...} of the last run."""
        lib = library()
        n = lib.sac_rt_ncomponents()
        tot, comp = ctypes.c_double(), (ctypes.c_double * n)()
        self._check(lib.sac_rt_energy(self._live(), ctypes.byref(tot), comp))
        d = {"total": tot.value}
        for k in range(n):
            d[lib.sac_ecomp_name(k).decode()] = comp[k]
        return d

    @property
    def energy_mj(self):
        return self.energy["total"]

    @property
    def layers(self):
        """Per hardware layer: name, cycles of its window(s), energy in mJ."""
        lib = library()
        out = []
        for l in range(self._check(lib.sac_rt_nlayers(self._live()))):
            name, cyc, mj = ctypes.c_char_p(), ctypes.c_int64(), ctypes.c_double()
            self._check(lib.sac_rt_layer(self._h, l, ctypes.byref(name), ctypes.byref(cyc),
                                         ctypes.byref(mj)))
            out.append({"name": name.value.decode(), "cycles": cyc.value, "energy_mj": mj.value})
        return out

    @property
    def pe_energy(self):
        """Energy of every PE in mJ, [mesh_h * mesh_w] in row-major order."""
        lib = library()
        n = self._check(lib.sac_rt_npe(self._live()))
        out = np.zeros(n, np.float64)
        self._check(lib.sac_rt_pe_energy(self._h, out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), n))
        return out

    @property
    def nodes(self):
        lib = library()
        return [lib.sac_rt_node_name(self._live(), i).decode()
                for i in range(self._check(lib.sac_rt_nnodes(self._live())))]

    def spikes(self, node):
        """Global step of every neuron's spike (-1: none) as int32 [C, H, W],
        or None for a node that does not spike; node by index or name."""
        lib = library()
        if isinstance(node, str):
            names = self.nodes
            if node not in names:
                raise Error(ERR_USAGE, "no node %r" % (node,))
            node = names.index(node)
        ptr = ctypes.POINTER(ctypes.c_int32)()
        n = self._check(lib.sac_rt_node_spikes(self._live(), int(node), ctypes.byref(ptr)))
        if n == 0:
            return None
        shape = (ctypes.c_int64 * 3)()
        self._check(lib.sac_rt_node_shape(self._h, int(node), shape))
        return np.ctypeslib.as_array(ptr, shape=(n,)).copy().reshape(tuple(shape))

    # -- labelled sets
    def evaluate(self, manifest, jobs=1, frames=None, skip=3, start=0.0, progress=None):
        """Run every sample of a manifest (docs/FORMATS.md) on `jobs` threads.

        Returns (summary, samples): the papers' table as a dict (war, uar,
        by_emotion, by_lighting, latency and energy mean and p95) and one
        dict per sample.  Identical for any jobs.  progress(done, total) is
        called after each sample."""
        lib = library()
        fo = _frame_opts(self, frames, skip, start)
        m, e = _Manifest(), _Err()
        rc = lib.sac_manifest_read(os.fsencode(manifest), ctypes.byref(m), ctypes.byref(e))
        if rc:
            raise Error(rc, e.msg.decode(errors="replace"))
        try:
            res = (_Result * m.n)()
            cb = _PROGRESS(lambda ctx, d, t: progress(d, t)) if progress else _PROGRESS()
            self._check(lib.sac_rt_eval(self._live(), ctypes.byref(m), ctypes.byref(fo),
                                        int(jobs), cb, None, res))
            s = _Summary()
            lib.sac_eval_summarize(ctypes.byref(m), res, ctypes.byref(s))
            samples = []
            for i in range(m.n):
                smp, r = m.s[i], res[i]
                d = {"path": smp.path.decode(), "line": smp.line,
                     "emotion": CLASSES[smp.emotion], "lighting": LIGHTINGS[smp.lighting]}
                if r.rc:
                    d["error"] = r.msg.decode(errors="replace")
                else:
                    d.update(predicted=CLASSES[r.pred], correct=r.pred == smp.emotion,
                             cycles=r.cycles, ms=r.ms, energy_mj=r.mj, spikes=r.spikes)
                samples.append(d)
        finally:
            lib.sac_manifest_free(ctypes.byref(m))
        summary = {
            "samples": s.n, "run": s.ok, "failed": s.failed, "war": s.war, "uar": s.uar,
            "by_emotion": {CLASS_SHORT[c]: {"samples": s.cls_n[c], "correct": s.cls_correct[c],
                                            "accuracy": s.cls_acc[c]} for c in range(7)},
            "by_lighting": {LIGHTINGS[l]: {"samples": s.light_n[l], "correct": s.light_correct[l],
                                           "accuracy": s.light_acc[l]} for l in range(4)},
            "latency_ms": {"mean": s.ms_mean, "p95": s.ms_p95},
            "energy_mj": {"mean": s.mj_mean, "p95": s.mj_p95},
            "cycles_mean": s.cycles_mean,
        }
        return summary, samples
