/* runtime.c: the sac_rt context of runtime.h: open an image, set an input,
 * run it on a backend, read outputs and statistics.
 *
 * Invariants.  A context is in one of three states: EMPTY (no input),
 * INPUT (an input, no results) and DONE (results of the current input).
 * Setting an input moves to INPUT and discards results; a successful run
 * moves to DONE; every failure leaves the context in a state whose
 * readers report SAC_ERR_STATE rather than stale data.  rt->err holds the
 * outcome of the last call only: each entry point clears it first
 * (sac_errf keeps the first message, which would otherwise be a previous
 * call's).  The program is shared between clones through a reference
 * count (C11 atomics) and never written after loading, which is what makes
 * concurrent sac_sim_run calls on it safe: the simulator keeps all its
 * mutable state in per-run allocations and has no static mutable data.
 *
 * The RTL backend runs the target's executable (rtlproc.h) once per
 * sac_rt_run on the image file the program was loaded from (its absolute
 * path, kept in the shared part) and an input written to a private
 * temporary .npy file, removed again before the call returns; the
 * executable's path is resolved when the backend is selected, so a
 * missing one is reported then, not at the first run. */
#define _GNU_SOURCE /* mkostemps: close-on-exec without a race */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rt_internal.h"
#include "saccade/npy.h"
#include "saccade/rtlproc.h"

typedef struct shared {
	sac_program p;
	char *path;       /* the image file, absolute if realpath could say */
	atomic_int refs;
} shared;

enum { ST_EMPTY, ST_INPUT, ST_DONE };

struct sac_rt {
	shared *sh;
	sac_backend backend;
	char *rtl_exe;    /* sac_rt_set_rtl: explicit executable, or NULL */
	char *rtl_path;   /* resolved when the RTL backend is selected */
	FILE *vcd;
	void (*progress)(void *, int64_t, int64_t, int64_t);
	void *progress_ctx;
	int state;
	size_t ninput; /* C * H * W */
	float *input;
	sac_ref_out out;
	sac_sim_stats st;
	sac_err err;
};

/* Clear the previous outcome; refuse a NULL context. */
#define BEGIN(rt)                                    \
	do {                                         \
		if (!(rt))                           \
			return SAC_ERR_USAGE;        \
		sac_err_clear(&(rt)->err);           \
	} while (0)

sac_err *sac__rt_begin(sac_rt *rt)
{
	sac_err_clear(&rt->err);
	return &rt->err;
}

static int need_done(sac_rt *rt, const char *what)
{
	if (rt->state == ST_DONE)
		return SAC_OK;
	return sac_errf(&rt->err, SAC_ERR_STATE, "%s: no results yet: %s", what,
			rt->state == ST_EMPTY ? "set an input and run first" : "run first");
}

static void drop_results(sac_rt *rt)
{
	if (rt->state == ST_DONE) {
		sac_ref_out_free(&rt->out);
		sac_sim_stats_free(&rt->st);
	}
	if (rt->state != ST_EMPTY)
		rt->state = ST_INPUT;
}

static sac_rt *new_ctx(shared *sh, sac_backend b, sac_err *e)
{
	sac_rt *rt = calloc(1, sizeof *rt);
	const sac_node *in = &sh->p.g->node[0];
	if (rt) {
		rt->ninput = sac_node_size(in);
		rt->input = malloc(rt->ninput * sizeof *rt->input);
	}
	if (!rt || !rt->input) {
		if (rt)
			free(rt);
		sac_errf(e, SAC_ERR_NOMEM, "runtime: out of memory");
		return NULL;
	}
	rt->sh = sh;
	rt->backend = b;
	return rt;
}

sac_rt *sac_rt_open(const char *image, sac_err *e)
{
	if (!image) {
		sac_errf(e, SAC_ERR_USAGE, "sac_rt_open: no image path");
		return NULL;
	}
	shared *sh = calloc(1, sizeof *sh);
	if (!sh) {
		sac_errf(e, SAC_ERR_NOMEM, "runtime: out of memory");
		return NULL;
	}
	if (sac_program_load(image, &sh->p, e)) {
		free(sh);
		return NULL;
	}
	char *abs = realpath(image, NULL);
	sh->path = abs ? abs : strdup(image);
	atomic_init(&sh->refs, 1);
	sac_rt *rt = sh->path ? new_ctx(sh, SAC_BACKEND_SIM, e) : NULL;
	if (!sh->path)
		sac_errf(e, SAC_ERR_NOMEM, "runtime: out of memory");
	if (!rt) {
		sac_program_free(&sh->p);
		free(sh->path);
		free(sh);
	}
	return rt;
}

sac_rt *sac_rt_clone(const sac_rt *rt, sac_err *e)
{
	if (!rt) {
		sac_errf(e, SAC_ERR_USAGE, "sac_rt_clone: null context");
		return NULL;
	}
	atomic_fetch_add(&rt->sh->refs, 1);
	sac_rt *c = new_ctx(rt->sh, rt->backend, e);
	if (c && ((rt->rtl_exe && !(c->rtl_exe = strdup(rt->rtl_exe))) ||
		  (rt->rtl_path && !(c->rtl_path = strdup(rt->rtl_path))))) {
		sac_errf(e, SAC_ERR_NOMEM, "runtime: out of memory");
		sac_rt_close(c); /* drops the reference taken above */
		return NULL;
	}
	if (!c)
		atomic_fetch_sub(&rt->sh->refs, 1); /* rt still holds one */
	return c;
}

void sac_rt_close(sac_rt *rt)
{
	if (!rt)
		return;
	drop_results(rt);
	if (atomic_fetch_sub(&rt->sh->refs, 1) == 1) {
		sac_program_free(&rt->sh->p);
		free(rt->sh->path);
		free(rt->sh);
	}
	free(rt->rtl_exe);
	free(rt->rtl_path);
	free(rt->input);
	free(rt);
}

const char *sac_rt_error(const sac_rt *rt)
{
	return rt ? rt->err.msg : "null context: the sac_rt handle is NULL";
}

int sac_rt_errcode(const sac_rt *rt)
{
	return rt ? rt->err.code : SAC_ERR_USAGE;
}

const char *sac_backend_name(sac_backend b)
{
	return b == SAC_BACKEND_SIM ? "sim" : b == SAC_BACKEND_RTL ? "rtl" : "unknown";
}

/* Resolve the RTL executable (rt->rtl_exe or the lookup) into rtl_path. */
static int resolve_rtl(sac_rt *rt)
{
	char path[PATH_MAX];
	int rc = sac_rtlproc_find(&rt->sh->p, rt->rtl_exe, path, sizeof path, &rt->err);
	if (rc) {
		/* Say which backend failed; keep the lookup's list. */
		char m[sizeof rt->err.msg];
		snprintf(m, sizeof m, "%s", rt->err.msg);
		sac_err_clear(&rt->err);
		return sac_errf(&rt->err, rc, "backend 'rtl': %s", m);
	}
	char *dup = strdup(path);
	if (!dup)
		return sac_errf(&rt->err, SAC_ERR_NOMEM, "runtime: out of memory");
	free(rt->rtl_path);
	rt->rtl_path = dup;
	return SAC_OK;
}

int sac_rt_set_backend(sac_rt *rt, sac_backend b)
{
	BEGIN(rt);
	if (b != SAC_BACKEND_SIM && b != SAC_BACKEND_RTL)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "unknown backend %d", (int)b);
	if (b == SAC_BACKEND_RTL) {
		int rc = resolve_rtl(rt);
		if (rc)
			return rc;
	}
	if (b != rt->backend)
		drop_results(rt);
	rt->backend = b;
	return SAC_OK;
}

int sac_rt_set_rtl(sac_rt *rt, const char *exe)
{
	BEGIN(rt);
	char *dup = NULL;
	if (exe && !(dup = strdup(exe)))
		return sac_errf(&rt->err, SAC_ERR_NOMEM, "runtime: out of memory");
	char *old = rt->rtl_exe;
	rt->rtl_exe = dup;
	if (rt->backend == SAC_BACKEND_RTL) {
		int rc = resolve_rtl(rt);
		if (rc) { /* keep the executable that worked */
			rt->rtl_exe = old;
			free(dup);
			return rc;
		}
		drop_results(rt);
	}
	free(old);
	return SAC_OK;
}

const char *sac_rt_rtl_path(const sac_rt *rt)
{
	return rt && rt->backend == SAC_BACKEND_RTL ? rt->rtl_path : NULL;
}

int sac_rt_set_trace(sac_rt *rt, FILE *vcd)
{
	BEGIN(rt);
	rt->vcd = vcd;
	return SAC_OK;
}

int sac_rt_set_progress(sac_rt *rt,
			void (*fn)(void *ctx, int64_t step, int64_t steps, int64_t cycle),
			void *ctx)
{
	BEGIN(rt);
	rt->progress = fn;
	rt->progress_ctx = ctx;
	return SAC_OK;
}

const sac_program *sac_rt_program(const sac_rt *rt)
{
	return rt ? &rt->sh->p : NULL;
}

int sac_rt_input_shape(sac_rt *rt, int64_t shape[3])
{
	BEGIN(rt);
	if (!shape)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_input_shape: NULL shape");
	const sac_node *in = &rt->sh->p.g->node[0];
	shape[0] = in->c;
	shape[1] = in->h;
	shape[2] = in->w;
	return SAC_OK;
}

/* Both input paths end here: x checked against the input node, copied. */
static int take_input(sac_rt *rt, const sac_tensor *x, long index)
{
	drop_results(rt);
	rt->state = ST_EMPTY;
	const float *p;
	int rc = sac_ref_input(rt->sh->p.g, x, index, &p, &rt->err);
	if (rc)
		return rc;
	memcpy(rt->input, p, rt->ninput * sizeof *rt->input);
	rt->state = ST_INPUT;
	return SAC_OK;
}

int sac_rt_set_input(sac_rt *rt, const float *data, int ndim, const int64_t *shape)
{
	BEGIN(rt);
	if (!data || !shape) {
		drop_results(rt);
		rt->state = ST_EMPTY;
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_set_input: NULL %s",
				data ? "shape" : "data");
	}
	sac_tensor x = {.dtype = SAC_F32, .ndim = ndim, .data = (void *)data};
	int ok = ndim == 3 || (ndim == 4 && shape[0] == 1);
	for (int k = 0; ok && k < ndim; k++)
		x.shape[k] = shape[k];
	if (!ok) {
		drop_results(rt);
		rt->state = ST_EMPTY;
		return sac_errf(&rt->err, SAC_ERR_SHAPE,
				"input has %d dimensions%s; [C, H, W] or [1, C, H, W] is expected",
				ndim, ndim == 4 ? " and a batch of more than one" : "");
	}
	return take_input(rt, &x, 0);
}

int sac_rt_set_input_tensor(sac_rt *rt, const sac_tensor *x, long index)
{
	BEGIN(rt);
	if (!x || !x->data) {
		drop_results(rt);
		rt->state = ST_EMPTY;
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_set_input_tensor: NULL tensor");
	}
	return take_input(rt, x, index);
}

int sac_rt_frame_defaults(sac_rt *rt, sac_frame_opts *fo)
{
	BEGIN(rt);
	if (!fo)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_frame_defaults: NULL options");
	const sac_node *in = &rt->sh->p.g->node[0];
	*fo = (sac_frame_opts){.frames = in->c, .skip = 3, .width = in->w,
			       .height = in->h, .start_s = 0};
	return SAC_OK;
}

int sac_rt_set_events(sac_rt *rt, const sac_events *ev, const sac_frame_opts *fo)
{
	BEGIN(rt);
	drop_results(rt);
	rt->state = ST_EMPTY;
	if (!ev)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_set_events: NULL events");
	sac_frame_opts d;
	sac_rt_frame_defaults(rt, &d);
	if (!fo)
		fo = &d;
	if (fo->frames != d.frames || fo->width != d.width || fo->height != d.height)
		return sac_errf(&rt->err, SAC_ERR_SHAPE,
				"framing gives [%d, %d, %d]; model '%s' expects [%d, %d, %d]",
				fo->frames, fo->height, fo->width, rt->sh->p.g->name,
				d.frames, d.height, d.width);
	sac_tensor x;
	int rc = sac_events_frames(ev, fo, &x, &rt->err);
	if (rc)
		return rc;
	rc = take_input(rt, &x, 0);
	sac_tensor_free(&x);
	return rc;
}

/* One inference on the RTL executable: the input goes through a private
 * temporary .npy file (the executable reads files), removed on every
 * path; a trace FILE is handed over as the child's fd 3. */
static int run_rtl(sac_rt *rt)
{
	const char *dir = getenv("TMPDIR");
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s/saccade-rtl-in.XXXXXX.npy",
		     dir && *dir ? dir : "/tmp") >= (int)sizeof tmp)
		return sac_errf(&rt->err, SAC_ERR_RANGE, "backend 'rtl': $TMPDIR is too long");
	int fd = mkostemps(tmp, 4, O_CLOEXEC);
	if (fd < 0)
		return sac_errf(&rt->err, SAC_ERR_IO, "backend 'rtl': cannot create a temporary file %s: %s",
				tmp, strerror(errno));
	close(fd);
	const sac_node *in = &rt->sh->p.g->node[0];
	sac_tensor x = {.dtype = SAC_F32, .ndim = 3, .shape = {in->c, in->h, in->w},
			.count = rt->ninput, .data = rt->input};
	int rc = sac_npy_write(tmp, &x, &rt->err);
	sac_rtl_result r;
	if (!rc) {
		sac_rtlproc_opts o;
		sac_rtlproc_opts_init(&o);
		o.exe = rt->rtl_path;
		o.image = rt->sh->path;
		o.input = tmp;
		o.quiet = 1;
		if (rt->vcd) {
			fflush(rt->vcd);
			o.trace_fd = fileno(rt->vcd);
		}
		rc = sac_rtlproc_run(&rt->sh->p, &o, &r, &rt->err);
	}
	unlink(tmp);
	if (rc)
		return rc;
	rc = sac_rtlproc_outputs(&rt->sh->p, &r, &rt->out, &rt->st, &rt->err);
	sac_rtl_result_free(&r);
	return rc;
}

int sac_rt_run(sac_rt *rt)
{
	BEGIN(rt);
	if (rt->state == ST_EMPTY)
		return sac_errf(&rt->err, SAC_ERR_STATE, "run: no input: set one first");
	drop_results(rt);
	if (rt->backend == SAC_BACKEND_RTL) {
		int rc = run_rtl(rt);
		if (!rc)
			rt->state = ST_DONE;
		return rc;
	}
	sac_sim_opts so;
	sac_sim_opts_init(&so);
	so.vcd = rt->vcd;
	so.progress = rt->progress;
	so.progress_ctx = rt->progress_ctx;
	int rc = sac_sim_run(&rt->sh->p, rt->input, &so, &rt->out, &rt->st, &rt->err);
	if (!rc)
		rt->state = ST_DONE;
	return rc;
}

int sac_rt_check_ref(sac_rt *rt, int *same, char *diff, size_t n)
{
	BEGIN(rt);
	int rc = need_done(rt, "check");
	if (rc)
		return rc;
	if (!same)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_check_ref: NULL result");
	sac_ref_out r;
	rc = sac_ref_int(rt->sh->p.g, rt->input, &r, &rt->err);
	if (rc)
		return rc;
	char buf[512];
	*same = sac_ref_compare(rt->sh->p.g, &r, &rt->out, diff ? diff : buf,
				diff ? n : sizeof buf) == 0;
	sac_ref_out_free(&r);
	return SAC_OK;
}

int sac_rt_nlogits(sac_rt *rt)
{
	BEGIN(rt);
	int rc = need_done(rt, "logits");
	return rc ? rc : rt->out.nlogits;
}

static int check_buf(sac_rt *rt, const void *buf, int n, int need, const char *what)
{
	int rc = need_done(rt, what);
	if (rc)
		return rc;
	if (!buf || n < need)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "%s: need a buffer of %d, got %s%d",
				what, need, buf ? "" : "NULL of ", n);
	return SAC_OK;
}

int sac_rt_logits(sac_rt *rt, double *out, int n)
{
	BEGIN(rt);
	int rc = check_buf(rt, out, n, rt->out.nlogits, "logits");
	if (!rc)
		memcpy(out, rt->out.logits, (size_t)rt->out.nlogits * sizeof *out);
	return rc;
}

int sac_rt_int_logits(sac_rt *rt, int64_t *out, int n)
{
	BEGIN(rt);
	int rc = check_buf(rt, out, n, rt->out.nlogits, "int logits");
	if (!rc)
		memcpy(out, rt->out.ilogits, (size_t)rt->out.nlogits * sizeof *out);
	return rc;
}

int sac_rt_class(sac_rt *rt)
{
	BEGIN(rt);
	int rc = need_done(rt, "class");
	return rc ? rc : rt->out.cls;
}

const sac_ref_out *sac_rt_output(sac_rt *rt)
{
	if (!rt)
		return NULL;
	sac_err_clear(&rt->err);
	return need_done(rt, "output") ? NULL : &rt->out;
}

const sac_sim_stats *sac_rt_stats(sac_rt *rt)
{
	if (!rt)
		return NULL;
	sac_err_clear(&rt->err);
	return need_done(rt, "statistics") ? NULL : &rt->st;
}

int sac_rt_latency(sac_rt *rt, int64_t *cycles, double *ms)
{
	BEGIN(rt);
	int rc = need_done(rt, "latency");
	if (rc)
		return rc;
	if (cycles)
		*cycles = rt->st.cycles;
	if (ms)
		*ms = rt->st.seconds * 1e3;
	return SAC_OK;
}

int sac_rt_energy(sac_rt *rt, double *total_mj, double *by_comp_mj)
{
	BEGIN(rt);
	int rc = need_done(rt, "energy");
	if (rc)
		return rc;
	if (total_mj)
		*total_mj = rt->st.energy_pj * 1e-9;
	for (int k = 0; by_comp_mj && k < SAC_E_COUNT; k++)
		by_comp_mj[k] = rt->st.comp[k] * 1e-9;
	return SAC_OK;
}

int sac_rt_ncomponents(void)
{
	return SAC_E_COUNT;
}

int sac_rt_nlayers(sac_rt *rt)
{
	BEGIN(rt);
	return rt->sh->p.m->nlayers;
}

int sac_rt_layer(sac_rt *rt, int l, const char **name, int64_t *cycles, double *mj)
{
	BEGIN(rt);
	const sac_program *p = &rt->sh->p;
	if (l < 0 || l >= p->m->nlayers)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "layer %d: the image has %d layers",
				l, p->m->nlayers);
	if (name)
		*name = p->g->node[p->m->layer[l].node].name;
	if (!cycles && !mj)
		return SAC_OK;
	int rc = need_done(rt, "layer statistics");
	if (rc)
		return rc;
	if (cycles)
		*cycles = rt->st.layer_cycles[l];
	if (mj)
		*mj = rt->st.layer_pj[l] * 1e-9;
	return SAC_OK;
}

int sac_rt_npe(sac_rt *rt)
{
	BEGIN(rt);
	return rt->sh->p.m->npe;
}

int sac_rt_pe_energy(sac_rt *rt, double *mj, int n)
{
	BEGIN(rt);
	int rc = check_buf(rt, mj, n, rt->sh->p.m->npe, "PE energy");
	for (int k = 0; !rc && k < rt->st.npe; k++)
		mj[k] = rt->st.pe_pj[k] * 1e-9;
	return rc;
}

int sac_rt_nnodes(sac_rt *rt)
{
	BEGIN(rt);
	return rt->sh->p.g->n;
}

static int check_node(sac_rt *rt, int node)
{
	if (node < 0 || node >= rt->sh->p.g->n)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "node %d: the model has %d nodes",
				node, rt->sh->p.g->n);
	return SAC_OK;
}

const char *sac_rt_node_name(sac_rt *rt, int node)
{
	if (!rt)
		return NULL;
	sac_err_clear(&rt->err);
	return check_node(rt, node) ? NULL : rt->sh->p.g->node[node].name;
}

int sac_rt_node_shape(sac_rt *rt, int node, int64_t shape[3])
{
	BEGIN(rt);
	int rc = check_node(rt, node);
	if (rc)
		return rc;
	if (!shape)
		return sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_node_shape: NULL shape");
	const sac_node *nd = &rt->sh->p.g->node[node];
	shape[0] = nd->c;
	shape[1] = nd->h;
	shape[2] = nd->w;
	return SAC_OK;
}

int64_t sac_rt_node_spikes(sac_rt *rt, int node, const int32_t **steps)
{
	BEGIN(rt);
	int rc = check_node(rt, node);
	if (!rc)
		rc = need_done(rt, "spikes");
	if (!rc && !steps)
		rc = sac_errf(&rt->err, SAC_ERR_USAGE, "sac_rt_node_spikes: NULL steps");
	if (rc)
		return rc;
	*steps = node < rt->out.nnodes ? rt->out.spike[node] : NULL;
	return *steps ? (int64_t)sac_node_size(&rt->sh->p.g->node[node]) : 0;
}

size_t sac_rt_sizeof(int which)
{
	switch (which) {
	case 0: return sizeof(sac_eval_result);
	case 1: return sizeof(sac_eval_summary);
	case 2: return sizeof(sac_manifest);
	case 3: return sizeof(sac_sample);
	case 4: return sizeof(sac_frame_opts);
	}
	return 0;
}
