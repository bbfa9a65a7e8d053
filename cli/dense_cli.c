/* dense_cli.c: the dense (MCO-E) paths of `saccade compile` and `saccade
 * sim`.
 *
 * `saccade compile DIR` with DIR written by `saccade zoo mco-e` (or
 * DIR/mcoe.yaml) calibrates the head on its calibration inputs exactly as
 * `saccade dense-ref` does, quantises, lowers it onto the target
 * (dense/dlower.c) and writes a dense image; `saccade sim IMAGE` on such an
 * image runs the dense simulator (dense/dsim.c) and prints the logits, the
 * class, the latency and the energy by component and by block.  The TTFS
 * paths of both commands are untouched: these functions are only called
 * when the model is an MCO-E directory or the image has a dense program. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "saccade/dsim.h"
#include "saccade/npy.h"

int cli_dense_is_model(const char *path)
{
	struct stat st;
	char p[4200];
	size_t n = strlen(path);
	if (n >= 9 && !strcmp(path + n - 9, "mcoe.yaml"))
		return 1;
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(p, sizeof p, "%s/mcoe.yaml", path);
	return stat(p, &st) == 0;
}

/* The directory of an MCO-E model given as DIR or DIR/mcoe.yaml. */
static void model_dir(const char *path, char *dir, size_t n)
{
	size_t l = strlen(path);
	if (l >= 9 && !strcmp(path + l - 9, "mcoe.yaml")) {
		l -= 9;
		if (l > 1 && path[l - 1] == '/')
			l--;
		if (l == 0)
			snprintf(dir, n, ".");
		else
			snprintf(dir, n, "%.*s", (int)l, path);
	} else {
		snprintf(dir, n, "%s", path);
	}
}

int cli_tensor_doubles(const char *path, sac_tensor *t, double **out, sac_err *e)
{
	*out = malloc(sizeof(double) * (t->count ? t->count : 1));
	if (!*out) {
		sac_tensor_free(t);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->count; i++) {
		(*out)[i] = sac_tensor_get_f(t, i);
		if (!isfinite((*out)[i])) {
			free(*out);
			*out = NULL;
			sac_tensor_free(t);
			return sac_errf(e, SAC_ERR_RANGE, "%s: value %zu is not finite", path, i);
		}
	}
	sac_tensor_free(t);
	return SAC_OK;
}

/* Read an .npy of `per` values per sample: [N, ...] or one sample. */
static int read_samples(const char *path, size_t per, double **out, long *n,
			sac_err *e)
{
	sac_tensor t = {0};
	int rc = sac_npy_read(path, &t, e);
	if (rc)
		return rc;
	if (!t.count || t.count % per) {
		char b[80];
		rc = sac_errf(e, SAC_ERR_SHAPE, "%s: is %s, expected a multiple of %zu "
			      "values per input (the model's input tensors, in order)",
			      path, sac_tensor_desc(&t, b, sizeof b), per);
		sac_tensor_free(&t);
		return rc;
	}
	*n = (long)(t.count / per);
	return cli_tensor_doubles(path, &t, out, e);
}

int cli_dense_compile(const char *model, const sac_target *t, const char *calib,
		      int per_layer, int wide_weights, int wide_acts, const char *out)
{
	char dir[4200], ypath[4300], wname[4096], cname[4096], cpath[8400];
	sac_err e = {0};
	sac_mcoe_dims dims;
	model_dir(model, dir, sizeof dir);
	snprintf(ypath, sizeof ypath, "%s/mcoe.yaml", dir);
	if (sac_mcoe_yaml_read(ypath, &dims, wname, sizeof wname, cname, sizeof cname, &e))
		return cli_fail("compile", e.msg);
	if (!calib) {
		if (!cname[0])
			return cli_fail("compile", "no calibration inputs: mcoe.yaml has no "
					"'calibration' and --calib was not given");
		cli_path_in(cpath, sizeof cpath, dir, cname);
		calib = cpath;
	}
	sac_mcoe *m = NULL;
	double *cal = NULL;
	long ncal = 0;
	int rc = 0;
	sac_dense_exec xf = {0};
	sac_dprog *p = NULL;
	size_t per = (size_t)dims.tokens * dims.d_model;
	if (sac_mcoe_load(dir, &m, &e) || read_samples(calib, 2 * per, &cal, &ncal, &e)) {
		rc = cli_fail("compile", e.msg);
		goto out;
	}
	sac_dense_graph *g = sac_mcoe_graph(m);
	/* Calibrate and quantise as 'saccade dense-ref' does. */
	rc = sac_dense_exec_init(g, &xf, &e);
	for (long i = 0; !rc && i < ncal; i++) {
		const double *pin[2] = {cal + 2 * per * i, cal + 2 * per * i + per};
		rc = sac_dense_forward_float(g, &xf, pin, 1, &e);
	}
	sac_dense_qopts qo;
	sac_dense_qopts_init(&qo);
	qo.per_channel = !per_layer;
	/* The int16 modes of the whole head, as dense-ref's --weight-bits 16
	 * and --act-bits 16 (docs/MCOE.md "Modes"). */
	qo.wide_from = wide_weights ? 0 : -1;
	qo.wide_act_from = wide_acts ? 0 : -1;
	if (!rc) rc = sac_dense_quantize(g, &qo, &e);
	if (!rc) rc = sac_dlower(g, t, &p, &e);
	if (!rc) rc = sac_dprog_save(p, out, "mco-e", &e);
	if (rc) {
		rc = cli_fail("compile", e.msg);
		goto out;
	}
	printf("wrote %s: model mco-e (dense, %d nodes, %lld parameters), target %s "
	       "(%dx%d mesh);\n  %d phases, %llu instructions, parameter memory %.2f MB "
	       "(streamed from the external memory)\n",
	       out, sac_dense_count(g), (long long)sac_dense_params(g), t->name,
	       t->mesh_w, t->mesh_h, p->nphases,
	       (unsigned long long)sac_dprog_instructions(p), p->dram_len / 1e6);
out:
	sac_dprog_free(p);
	sac_dense_exec_free(&xf);
	free(cal);
	sac_mcoe_free(m);
	return rc;
}

static cJSON *pj_obj(const double *pj)
{
	cJSON *o = cJSON_CreateObject();
	for (int c = 0; c < SAC_DE_COUNT; c++)
		cJSON_AddNumberToObject(o, sac_dsim_ecomp_name(c), pj[c] * 1e-9);
	return o;
}

static double sum_pj(const double *pj)
{
	double s = 0;
	for (int c = 0; c < SAC_DE_COUNT; c++)
		s += pj[c];
	return s;
}

int cli_dense_sim(const char *path, const char *input, long index,
		  const char *report, int analytic)
{
	sac_err e = {0};
	sac_dprog *p = NULL;
	if (sac_dprog_load(path, &p, &e))
		return cli_fail("sim", e.msg);
	int rc = 0, nin = 0;
	size_t per = 0, off[8];
	for (int i = 0; i < p->ntensors; i++)
		if (p->tensor[i].op == SAC_DENSE_INPUT) {
			if (nin == 8) {
				sac_dprog_free(p);
				return cli_fail("sim", "more than 8 input tensors");
			}
			off[nin++] = per;
			per += (size_t)p->tensor[i].rows * p->tensor[i].cols;
		}
	double *x = NULL;
	long n = 0;
	int32_t *q = malloc(sizeof(int32_t) * (per ? per : 1));
	const sac_dtensor *ot = &p->tensor[p->output];
	int no = ot->rows * ot->cols;
	int32_t *lg = malloc(sizeof(int32_t) * (size_t)no);
	if (!q || !lg) {
		rc = cli_fail("sim", "out of memory");
		goto out;
	}
	if (read_samples(input, per, &x, &n, &e)) {
		rc = cli_fail("sim", e.msg);
		goto out;
	}
	if (index >= n) {
		char m[4400];
		snprintf(m, sizeof m, "%s: --index %ld but the file holds %ld input%s",
			 input, index, n, n == 1 ? "" : "s");
		rc = cli_fail("sim", m);
		goto out;
	}
	const double *pin[8];
	int32_t *pq[8];
	for (int i = 0; i < nin; i++) {
		pin[i] = x + (size_t)index * per + off[i];
		pq[i] = q + off[i];
	}
	sac_dsim_stats st;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sac_dsim_quantize_inputs(p, pin, pq, &e) ||
	    (analytic ? sac_dsim_run_analytic : sac_dsim_run)(p, (const int32_t *const *)pq, lg,
							      &st, NULL, &e)) {
		rc = cli_fail("sim", e.msg);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	int cls = 0;
	for (int c = 1; c < no; c++)
		if (lg[c] > lg[cls])
			cls = c;
	const sac_target *t = &p->t;
	printf("dense image %s on %s (%dx%d mesh, %.0f MHz)\n", path, t->name,
	       t->mesh_w, t->mesh_h, t->clock_hz / 1e6);
	printf("class %d\nlogits:", cls);
	for (int c = 0; c < no; c++)
		printf(" %.4f", lg[c] * ot->scale);
	printf("\nlatency: %lld cycles, %.3f ms (%d phases run, %d skipped: experts "
	       "not chosen)\n", (long long)st.cycles, st.seconds * 1e3, st.phases_run,
	       st.phases_skipped);
	printf("  weights streamed: %.2f MB from the external memory; stalls waiting "
	       "for weights %lld cycles\n", st.dram_bytes / 1e6, (long long)st.stall_cycles);
	if (analytic)
		printf("  NoC timing: the analytic estimate (--noc analytic), not flit-level\n");
	else
		printf("  NoC timing: flit-level (the analytic estimate says %lld cycles, %.1f%% "
		       "less)\n", (long long)st.analytic_cycles,
		       st.cycles ? 100.0 * (double)(st.cycles - st.analytic_cycles) /
		       (double)st.cycles : 0.0);
	printf("energy: %.4f mJ (%.1f mW average)\n", st.energy_pj * 1e-9,
	       st.energy_pj * 1e-12 / st.seconds * 1e3);
	printf("\nenergy by component (mJ):\n");
	for (int c = 0; c < SAC_DE_COUNT; c++)
		printf("  %-12s %10.5f  %5.1f%%\n", sac_dsim_ecomp_name(c), st.pj[c] * 1e-9,
		       100.0 * st.pj[c] / st.energy_pj);
	printf("\nby block (cycles include waiting for weights):\n  %-10s %7s %12s %12s %10s\n",
	       "block", "phases", "cycles", "stall", "mJ");
	for (int b = 0; b < p->nblocks; b++)
		if (st.block[b].phases_run)
			printf("  %-10s %7d %12lld %12lld %10.5f\n", p->block_name[b],
			       st.block[b].phases_run, (long long)st.block[b].cycles,
			       (long long)st.block[b].stall, sum_pj(st.block[b].pj) * 1e-9);
	printf("\nsimulator: %.3f s, %.3g simulated cycles/s, %llu compute instructions\n", wall,
	       wall > 0 ? st.cycles / wall : 0.0, (unsigned long long)st.instrs);
	if (report) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "saccade", SAC_VERSION_STRING);
		cJSON_AddStringToObject(root, "kind", "dense");
		cJSON_AddStringToObject(root, "target", t->name);
		cJSON_AddNumberToObject(root, "clock_hz", t->clock_hz);
		cJSON_AddStringToObject(root, "input", input);
		cJSON_AddNumberToObject(root, "index", (double)index);
		cJSON_AddNumberToObject(root, "class", cls);
		cJSON *l = cJSON_AddArrayToObject(root, "logits");
		cJSON *il = cJSON_AddArrayToObject(root, "int_logits");
		for (int c = 0; c < no; c++) {
			cJSON_AddItemToArray(l, cJSON_CreateNumber(lg[c] * ot->scale));
			cJSON_AddItemToArray(il, cJSON_CreateNumber(lg[c]));
		}
		cJSON *lat = cJSON_AddObjectToObject(root, "latency");
		cJSON_AddNumberToObject(lat, "cycles", (double)st.cycles);
		cJSON_AddNumberToObject(lat, "ms", st.seconds * 1e3);
		cJSON_AddNumberToObject(lat, "phases_run", st.phases_run);
		cJSON_AddNumberToObject(lat, "phases_skipped", st.phases_skipped);
		cJSON_AddNumberToObject(lat, "gather_cycles", (double)st.gather_cycles);
		cJSON_AddNumberToObject(lat, "compute_cycles", (double)st.compute_cycles);
		cJSON_AddNumberToObject(lat, "stream_cycles", (double)st.stream_cycles);
		cJSON_AddNumberToObject(lat, "stall_cycles", (double)st.stall_cycles);
		cJSON_AddStringToObject(lat, "noc", analytic ? "analytic" : "flit");
		cJSON_AddNumberToObject(lat, "analytic_cycles", (double)st.analytic_cycles);
		cJSON *act = cJSON_AddObjectToObject(root, "activity");
		cJSON_AddNumberToObject(act, "dram_bytes", (double)st.dram_bytes);
		cJSON_AddNumberToObject(act, "flits", (double)st.flits);
		cJSON_AddNumberToObject(act, "link_flits", (double)st.link_flits);
		cJSON_AddNumberToObject(act, "instructions", (double)st.instrs);
		cJSON_AddNumberToObject(act, "macs", (double)st.unit.macs);
		cJSON_AddNumberToObject(act, "requantisations", (double)st.unit.rq);
		cJSON_AddNumberToObject(act, "table_reads", (double)st.unit.lut);
		cJSON_AddNumberToObject(act, "divisions", (double)st.unit.div);
		cJSON *en = cJSON_AddObjectToObject(root, "energy_mj");
		cJSON_AddNumberToObject(en, "total", st.energy_pj * 1e-9);
		cJSON_AddItemToObject(en, "by_component", pj_obj(st.pj));
		cJSON *bl = cJSON_AddArrayToObject(root, "blocks");
		for (int b = 0; b < p->nblocks; b++) {
			cJSON *B = cJSON_CreateObject();
			cJSON_AddStringToObject(B, "name", p->block_name[b]);
			cJSON_AddNumberToObject(B, "phases_run", st.block[b].phases_run);
			cJSON_AddNumberToObject(B, "cycles", (double)st.block[b].cycles);
			cJSON_AddNumberToObject(B, "stall_cycles", (double)st.block[b].stall);
			cJSON_AddNumberToObject(B, "energy_mj", sum_pj(st.block[b].pj) * 1e-9);
			cJSON_AddItemToObject(B, "by_component", pj_obj(st.block[b].pj));
			cJSON_AddItemToArray(bl, B);
		}
		cJSON *sp = cJSON_AddObjectToObject(root, "simulator");
		cJSON_AddNumberToObject(sp, "seconds", wall);
		cJSON_AddNumberToObject(sp, "cycles_per_second", wall > 0 ? st.cycles / wall : 0);
		rc = cli_write_json("sim", report, root);
	}
out:
	free(x);
	free(q);
	free(lg);
	sac_dprog_free(p);
	return rc;
}
