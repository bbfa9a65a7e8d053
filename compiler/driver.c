/* driver.c: the compiler pipeline in one function.
 *
 *   load -> verify -> fold-bn -> canonicalize -> quantize -> ttfs
 *
 * with the verifier after every pass and an optional dump of the IR after
 * any of them.  A graph that was loaded already converted (an integer
 * model) skips the passes it does not need. */
#include <string.h>

#include "compiler/ir_internal.h"
#include "saccade/npy.h"

static const char *const pass_names[] = {"load", "fold-bn", "canonicalize",
					 "quantize", "ttfs"};

void sac_compile_opts_init(sac_compile_opts *o)
{
	memset(o, 0, sizeof *o);
	o->steps = 16;
	o->gamma = 0.5;
	o->until = SAC_STAGE_TTFS;
}

int sac_pass_known(const char *name)
{
	if (!strcmp(name, "all"))
		return 1;
	for (size_t i = 0; i < sizeof pass_names / sizeof *pass_names; i++)
		if (!strcmp(name, pass_names[i]))
			return 1;
	return 0;
}

/* Verify, then dump if this pass was asked for. */
static int after(sac_graph *g, const sac_compile_opts *o, const char *pass,
		 sac_err *e)
{
	int r = sac_graph_verify(g, e);
	if (r)
		return r;
	if (o->dump && (!strcmp(o->dump, pass) || !strcmp(o->dump, "all"))) {
		FILE *f = o->dump_out ? o->dump_out : stdout;
		fprintf(f, "; after %s\n", pass);
		sac_graph_dump(g, f);
	}
	return SAC_OK;
}

static int quantize(sac_graph *g, const sac_compile_opts *o, sac_err *e)
{
	const char *path = o->calib ? o->calib : g->calib[0] ? g->calib : NULL;
	if (!path)
		return sac_errf(e, SAC_ERR_USAGE,
				"%s: no calibration inputs: the model names none ('calibration:') and --calib was not given",
				g->path);
	sac_tensor calib = {0};
	int r = sac_npy_read(path, &calib, e);
	if (!r && calib.dtype == SAC_F64) {
		sac_tensor f = {0};
		r = sac_tensor_alloc(&f, SAC_F32, calib.ndim, calib.shape, e);
		for (size_t k = 0; !r && k < calib.count; k++)
			((float *)f.data)[k] = (float)((double *)calib.data)[k];
		sac_tensor_free(&calib);
		calib = f;
	}
	if (!r)
		r = sac_pass_quantize(g, &calib, o, e);
	if (r && e->msg[0] && !strstr(e->msg, path)) {
		/* Name the calibration file in errors about its contents. */
		size_t pl = strlen(path) + 2, ml = strlen(e->msg);
		if (pl + ml < sizeof e->msg) {
			memmove(e->msg + pl, e->msg, ml + 1);
			memcpy(e->msg, path, pl - 2);
			memcpy(e->msg + pl - 2, ": ", 2);
		}
	}
	sac_tensor_free(&calib);
	return r;
}

int sac_compile(sac_graph *g, const sac_compile_opts *o, sac_err *e)
{
	int r = after(g, o, "load", e);
	if (!r && g->stage < SAC_STAGE_FOLDED && o->until >= SAC_STAGE_FOLDED) {
		r = sac_pass_fold_bn(g, e);
		if (!r) r = after(g, o, "fold-bn", e);
		if (!r) r = sac_pass_canonicalize(g, e);
		if (!r) r = after(g, o, "canonicalize", e);
	}
	if (!r && g->stage < SAC_STAGE_QUANT && o->until >= SAC_STAGE_QUANT) {
		r = quantize(g, o, e);
		if (!r) r = after(g, o, "quantize", e);
	}
	if (!r && g->stage < SAC_STAGE_TTFS && o->until >= SAC_STAGE_TTFS) {
		r = sac_pass_ttfs(g, o, e);
		if (!r) r = after(g, o, "ttfs", e);
	}
	return r;
}
