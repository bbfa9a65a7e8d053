/* check_runtime.c: the public runtime API (runtime.h).
 *
 * - misuse: NULL handles and pointers, calls out of order, wrong input
 *   shapes and values, the RTL backend without an executable: each returns its
 *   documented code with a message and never crashes;
 * - outputs equal a direct sac_sim_run; the spike trace is the
 *   simulator's; clones share the program and run in parallel threads
 *   with identical results;
 * - batch evaluation: sac_rt_eval gives identical per-sample results and
 *   summary for 1 and N jobs (the code `saccade run` calls);
 * - memory stays flat over many runs (RSS after warm-up; ASan builds rely
 *   on the leak checker instead, since its quarantine grows RSS);
 * - WAR, UAR, per-lighting accuracy and percentiles of a hand-made set
 *   match hand-computed values; manifests parse and fail with file:line.
 *
 * One small image (TNAS-ER genome "3s", 4x16x16, tiny target) and seven
 * short synthetic recordings are made once for the whole suite. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saccade/events.h"
#include "saccade/npy.h"
#include "saccade/runtime.h"
#include "saccade/zoo.h"

static char tmpdir[256];
static char image[700], samples[700], manifest[700];
#define NSET 7

static void make_fixture(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_runtime.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	sac_zoo_opts zo;
	sac_zoo_opts_init(&zo);
	zo.genome = "3s";
	zo.h = zo.w = 16;
	zo.ncalib = 4;
	zo.seed = 3;
	sac_err e = {0};
	char dir[600], yp[700], wp[700], tp[1200];
	snprintf(dir, sizeof dir, "%s/zoo", tmpdir);
	ck_assert_msg(sac_zoo_tnas_er(&zo, dir, NULL, &e) == 0, "%s", e.msg);
	snprintf(yp, sizeof yp, "%s/model.yaml", dir);
	snprintf(wp, sizeof wp, "%s/weights.npz", dir);
	snprintf(samples, sizeof samples, "%s/sample.npy", dir);
	sac_graph *g = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &g, &e) == 0, "%s", e.msg);
	sac_compile_opts co;
	sac_compile_opts_init(&co);
	ck_assert_msg(sac_compile(g, &co, &e) == 0, "%s", e.msg);
	const char *src = getenv("abs_top_srcdir");
	snprintf(tp, sizeof tp, "%s/examples/targets/tiny.yaml", src ? src : ".");
	sac_target t;
	ck_assert_msg(sac_target_load(tp, &t, &e) == 0, "%s", e.msg);
	sac_program p;
	ck_assert_msg(sac_program_build(g, &t, NULL, &p, &e) == 0, "%s", e.msg);
	snprintf(image, sizeof image, "%s/net.sac", tmpdir);
	ck_assert_msg(sac_program_save(&p, image, &e) == 0, "%s", e.msg);
	sac_program_free(&p);
	/* One recording per emotion, lightings in turn; relative paths. */
	snprintf(manifest, sizeof manifest, "%s/set.csv", tmpdir);
	FILE *m = fopen(manifest, "w");
	ck_assert_ptr_nonnull(m);
	fprintf(m, "path,emotion,lighting\n");
	for (int i = 0; i < NSET; i++) {
		sac_synth_opts so = {.seed = 100 + (uint64_t)i, .cls = i,
				     .lighting = i % SAC_NUM_LIGHTINGS, .duration_s = 0.42};
		sac_events ev;
		char ep[700];
		snprintf(ep, sizeof ep, "%s/ev%d.npy", tmpdir, i);
		ck_assert_msg(sac_events_synth(&so, &ev, &e) == 0, "%s", e.msg);
		ck_assert_msg(sac_events_write(ep, &ev, &e) == 0, "%s", e.msg);
		sac_events_free(&ev);
		fprintf(m, "ev%d.npy,%s,%s\n", i, sac_class_short(i),
			sac_lighting_name(so.lighting));
	}
	ck_assert_int_eq(fclose(m), 0);
}

static void remove_fixture(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static sac_rt *open_rt(void)
{
	sac_err e = {0};
	sac_rt *rt = sac_rt_open(image, &e);
	ck_assert_msg(rt != NULL, "%s", e.msg);
	return rt;
}

/* Sample k of sample.npy as the input. */
static void set_sample(sac_rt *rt, long k)
{
	sac_tensor x = {0};
	sac_err e = {0};
	ck_assert_msg(sac_npy_read(samples, &x, &e) == 0, "%s", e.msg);
	ck_assert_msg(sac_rt_set_input_tensor(rt, &x, k) == 0, "%s", sac_rt_error(rt));
	sac_tensor_free(&x);
}

START_TEST(test_null_handles)
{
	sac_err e = {0};
	ck_assert_ptr_null(sac_rt_open(NULL, &e));
	ck_assert_int_eq(e.code, SAC_ERR_USAGE);
	ck_assert_ptr_null(sac_rt_open(NULL, NULL)); /* no error record: fine */
	sac_err_clear(&e);
	ck_assert_ptr_null(sac_rt_open("/nonexistent/net.sac", &e));
	ck_assert_int_eq(e.code, SAC_ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/net.sac"));
	sac_err_clear(&e);
	ck_assert_ptr_null(sac_rt_clone(NULL, &e));
	ck_assert_int_eq(e.code, SAC_ERR_USAGE);
	sac_rt_close(NULL);
	ck_assert_str_ne(sac_rt_error(NULL), "");
	ck_assert_int_eq(sac_rt_errcode(NULL), SAC_ERR_USAGE);
	float f[4] = {0};
	int64_t sh[3] = {1, 2, 2}, i64[8];
	double d[8];
	const int32_t *sp;
	sac_frame_opts fo;
	sac_events ev = {0};
	int same;
	ck_assert_int_eq(sac_rt_set_backend(NULL, SAC_BACKEND_SIM), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_trace(NULL, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_progress(NULL, NULL, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_input_shape(NULL, sh), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_input(NULL, f, 3, sh), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_input_tensor(NULL, NULL, 0), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_frame_defaults(NULL, &fo), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_events(NULL, &ev, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_run(NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_check_ref(NULL, &same, NULL, 0), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_nlogits(NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_logits(NULL, d, 8), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_int_logits(NULL, i64, 8), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_class(NULL), SAC_ERR_USAGE);
	ck_assert_ptr_null(sac_rt_output(NULL));
	ck_assert_ptr_null(sac_rt_stats(NULL));
	ck_assert_ptr_null(sac_rt_program(NULL));
	ck_assert_int_eq(sac_rt_latency(NULL, i64, d), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_energy(NULL, d, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_nlayers(NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_layer(NULL, 0, NULL, NULL, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_npe(NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_pe_energy(NULL, d, 8), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_nnodes(NULL), SAC_ERR_USAGE);
	ck_assert_ptr_null(sac_rt_node_name(NULL, 0));
	ck_assert_int_eq(sac_rt_node_shape(NULL, 0, sh), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_node_spikes(NULL, 0, &sp), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_eval(NULL, NULL, NULL, 1, NULL, NULL, NULL), SAC_ERR_USAGE);
	/* NULL pointers on a real context. */
	sac_rt *rt = open_rt();
	ck_assert_int_eq(sac_rt_set_input(rt, NULL, 3, sh), SAC_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "NULL"));
	ck_assert_int_eq(sac_rt_set_input(rt, f, 3, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_input_tensor(rt, NULL, 0), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_events(rt, NULL, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_input_shape(rt, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_frame_defaults(rt, NULL), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_eval(rt, NULL, NULL, 1, NULL, NULL, NULL), SAC_ERR_USAGE);
	/* A successful call clears the message. */
	ck_assert_int_eq(sac_rt_input_shape(rt, sh), SAC_OK);
	ck_assert_str_eq(sac_rt_error(rt), "");
	ck_assert_int_eq(sac_rt_errcode(rt), SAC_OK);
	sac_rt_close(rt);
}
END_TEST

START_TEST(test_out_of_order)
{
	sac_rt *rt = open_rt();
	double d[16];
	int64_t i64[16], cyc;
	const int32_t *sp;
	int same;
	ck_assert_int_eq(sac_rt_run(rt), SAC_ERR_STATE);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "no input"));
	ck_assert_int_eq(sac_rt_errcode(rt), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_class(rt), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_nlogits(rt), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_logits(rt, d, 16), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_int_logits(rt, i64, 16), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_latency(rt, &cyc, NULL), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_energy(rt, d, NULL), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_check_ref(rt, &same, NULL, 0), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_node_spikes(rt, 1, &sp), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_pe_energy(rt, d, 16), SAC_ERR_STATE);
	ck_assert_int_eq(sac_rt_layer(rt, 0, NULL, &cyc, NULL), SAC_ERR_STATE);
	ck_assert_ptr_null(sac_rt_output(rt));
	ck_assert_ptr_null(sac_rt_stats(rt));
	ck_assert_int_eq(sac_rt_errcode(rt), SAC_ERR_STATE);
	/* Static facts need no run. */
	const char *name = NULL;
	ck_assert_int_eq(sac_rt_layer(rt, 0, &name, NULL, NULL), SAC_OK);
	ck_assert_str_eq(name, "input");
	ck_assert_int_gt(sac_rt_nlayers(rt), 1);
	ck_assert_int_eq(sac_rt_npe(rt), 16);
	ck_assert_int_gt(sac_rt_nnodes(rt), 2);
	ck_assert_int_eq(sac_rt_layer(rt, 99, &name, NULL, NULL), SAC_ERR_USAGE);
	ck_assert_ptr_null(sac_rt_node_name(rt, -1));
	ck_assert_int_eq(sac_rt_errcode(rt), SAC_ERR_USAGE);
	/* Input set, not yet run: still no results. */
	set_sample(rt, 0);
	ck_assert_int_eq(sac_rt_class(rt), SAC_ERR_STATE);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "run first"));
	ck_assert_int_eq(sac_rt_run(rt), SAC_OK);
	ck_assert_int_ge(sac_rt_class(rt), 0);
	/* Buffers too small, bad node. */
	ck_assert_int_eq(sac_rt_logits(rt, d, 3), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_logits(rt, NULL, 16), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_pe_energy(rt, d, 15), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_node_spikes(rt, 999, &sp), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_node_spikes(rt, 1, NULL), SAC_ERR_USAGE);
	/* A new input discards the results. */
	set_sample(rt, 1);
	ck_assert_int_eq(sac_rt_class(rt), SAC_ERR_STATE);
	ck_assert_ptr_null(sac_rt_stats(rt));
	sac_rt_close(rt);
}
END_TEST

START_TEST(test_bad_inputs)
{
	sac_rt *rt = open_rt();
	int64_t sh[4];
	ck_assert_int_eq(sac_rt_input_shape(rt, sh), SAC_OK);
	ck_assert_int_eq(sh[0], 4);
	ck_assert_int_eq(sh[1], 16);
	ck_assert_int_eq(sh[2], 16);
	float *x = calloc(2 * 4 * 16 * 16, sizeof *x);
	int64_t good[4] = {4, 16, 16}, wrong[3] = {4, 16, 15}, batch1[4] = {1, 4, 16, 16},
		batch2[4] = {2, 4, 16, 16};
	ck_assert_int_eq(sac_rt_set_input(rt, x, 3, wrong), SAC_ERR_SHAPE);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "expects [4, 16, 16]"));
	ck_assert_int_eq(sac_rt_set_input(rt, x, 2, good), SAC_ERR_SHAPE);
	ck_assert_int_eq(sac_rt_set_input(rt, x, 4, batch2), SAC_ERR_SHAPE);
	ck_assert_int_eq(sac_rt_set_input(rt, x, 0, good), SAC_ERR_SHAPE);
	ck_assert_int_eq(sac_rt_set_input(rt, x, 9, good), SAC_ERR_SHAPE);
	ck_assert_int_eq(sac_rt_set_input(rt, x, 4, batch1), SAC_OK);
	ck_assert_int_eq(sac_rt_set_input(rt, x, 3, good), SAC_OK);
	/* Out of [0, 1]: refused, and the context then has no input. */
	x[5] = 1.5f;
	ck_assert_int_eq(sac_rt_set_input(rt, x, 3, good), SAC_ERR_RANGE);
	ck_assert_int_eq(sac_rt_run(rt), SAC_ERR_STATE);
	x[5] = NAN;
	ck_assert_int_eq(sac_rt_set_input(rt, x, 3, good), SAC_ERR_RANGE);
	x[5] = 0.5f;
	/* A tensor of the wrong type, an index out of range. */
	sac_tensor t = {.dtype = SAC_F64, .ndim = 3, .shape = {4, 16, 16}, .count = 1024, .data = x};
	ck_assert_int_eq(sac_rt_set_input_tensor(rt, &t, 0), SAC_ERR_SHAPE);
	t.dtype = SAC_F32;
	ck_assert_int_eq(sac_rt_set_input_tensor(rt, &t, 0), SAC_OK);
	t.ndim = 4;
	memcpy(t.shape, batch2, sizeof batch2);
	ck_assert_int_eq(sac_rt_set_input_tensor(rt, &t, 2), SAC_ERR_RANGE);
	ck_assert_int_eq(sac_rt_set_input_tensor(rt, &t, 1), SAC_OK);
	free(x);
	/* Events: framing of another size; a stream too short. */
	sac_events ev;
	sac_err e = {0};
	sac_synth_opts so = {.seed = 1, .cls = 2, .lighting = 0, .duration_s = 0.2};
	ck_assert_int_eq(sac_events_synth(&so, &ev, &e), 0);
	sac_frame_opts fo;
	ck_assert_int_eq(sac_rt_frame_defaults(rt, &fo), SAC_OK);
	ck_assert_int_eq(fo.frames, 4);
	ck_assert_int_eq(fo.skip, 3);
	ck_assert_int_eq(fo.width, 16);
	fo.width = 32;
	ck_assert_int_eq(sac_rt_set_events(rt, &ev, &fo), SAC_ERR_SHAPE);
	ck_assert_int_eq(sac_rt_set_events(rt, &ev, NULL), SAC_ERR_RANGE);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "too short"));
	ck_assert_int_eq(sac_rt_run(rt), SAC_ERR_STATE);
	sac_events_free(&ev);
	/* The RTL backend without an executable: refused, the SIM stays. */
	ck_assert_int_eq(sac_rt_set_rtl(rt, "/nonexistent/saccade-rtl-tiny"), SAC_OK);
	ck_assert_int_eq(sac_rt_set_backend(rt, SAC_BACKEND_RTL), SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "backend 'rtl'"));
	ck_assert_ptr_nonnull(strstr(sac_rt_error(rt), "/nonexistent/saccade-rtl-tiny"));
	ck_assert_ptr_null(sac_rt_rtl_path(rt));
	ck_assert_int_eq(sac_rt_set_rtl(rt, NULL), SAC_OK);
	ck_assert_int_eq(sac_rt_set_backend(rt, (sac_backend)7), SAC_ERR_USAGE);
	ck_assert_int_eq(sac_rt_set_backend(rt, SAC_BACKEND_SIM), SAC_OK);
	ck_assert_str_eq(sac_backend_name(SAC_BACKEND_RTL), "rtl");
	sac_rt_close(rt);
}
END_TEST

/* The runtime's result is the simulator's, field for field. */
START_TEST(test_equals_sim)
{
	sac_rt *rt = open_rt();
	sac_tensor x = {0};
	sac_err e = {0};
	ck_assert_int_eq(sac_npy_read(samples, &x, &e), 0);
	const sac_program *p = sac_rt_program(rt);
	for (long k = 0; k < 3; k++) {
		const float *img;
		ck_assert_int_eq(sac_ref_input(p->g, &x, k, &img, &e), 0);
		sac_ref_out o;
		sac_sim_stats st;
		ck_assert_int_eq(sac_sim_run(p, img, NULL, &o, &st, &e), 0);
		ck_assert_int_eq(sac_rt_set_input_tensor(rt, &x, k), 0);
		ck_assert_int_eq(sac_rt_run(rt), 0);
		int n = sac_rt_nlogits(rt);
		ck_assert_int_eq(n, 7);
		double lg[7];
		int64_t il[7], cyc;
		ck_assert_int_eq(sac_rt_logits(rt, lg, 7), 0);
		ck_assert_int_eq(sac_rt_int_logits(rt, il, 7), 0);
		for (int i = 0; i < 7; i++) {
			ck_assert(lg[i] == o.logits[i]);
			ck_assert_int_eq(il[i], o.ilogits[i]);
		}
		ck_assert_int_eq(sac_rt_class(rt), o.cls);
		double ms, mj, comp[SAC_E_COUNT], pe[16], sum = 0;
		ck_assert_int_eq(sac_rt_latency(rt, &cyc, &ms), 0);
		ck_assert_int_eq(cyc, st.cycles);
		ck_assert(fabs(ms - st.seconds * 1e3) < 1e-12);
		ck_assert_int_eq(sac_rt_energy(rt, &mj, comp), 0);
		ck_assert(mj == st.energy_pj * 1e-9);
		ck_assert_int_eq(sac_rt_ncomponents(), SAC_E_COUNT);
		for (int c = 0; c < SAC_E_COUNT; c++)
			sum += comp[c];
		ck_assert(fabs(sum - mj) < 1e-9 * mj);
		ck_assert_int_eq(sac_rt_pe_energy(rt, pe, 16), 0);
		ck_assert(pe[3] == st.pe_pj[3] * 1e-9);
		int64_t lc;
		double lmj;
		ck_assert_int_eq(sac_rt_layer(rt, 1, NULL, &lc, &lmj), 0);
		ck_assert_int_eq(lc, st.layer_cycles[1]);
		/* The spike trace, node by node. */
		int spiking = 0;
		for (int nd = 0; nd < sac_rt_nnodes(rt); nd++) {
			const int32_t *s;
			int64_t cnt = sac_rt_node_spikes(rt, nd, &s);
			ck_assert_int_ge(cnt, 0);
			if (!o.spike[nd]) {
				ck_assert_int_eq(cnt, 0);
				ck_assert_ptr_null(s);
				continue;
			}
			int64_t sh[3];
			ck_assert_int_eq(sac_rt_node_shape(rt, nd, sh), 0);
			ck_assert_int_eq(cnt, sh[0] * sh[1] * sh[2]);
			ck_assert(memcmp(s, o.spike[nd], (size_t)cnt * sizeof *s) == 0);
			spiking++;
		}
		ck_assert_int_gt(spiking, 1);
		int same = 0;
		char diff[256];
		ck_assert_int_eq(sac_rt_check_ref(rt, &same, diff, sizeof diff), 0);
		ck_assert_msg(same, "%s", diff);
		/* Running again gives the same. */
		ck_assert_int_eq(sac_rt_run(rt), 0);
		ck_assert_int_eq(sac_rt_stats(rt)->cycles, st.cycles);
		sac_ref_out_free(&o);
		sac_sim_stats_free(&st);
	}
	sac_tensor_free(&x);
	sac_rt_close(rt);
}
END_TEST

/* Threads: clones of one context, each on its own thread, each running
 * all 7 samples; every result equals the serial one. */
#define NTHREADS 4
typedef struct thr {
	sac_rt *rt;
	const sac_tensor *x;
	int64_t cycles[7];
	int cls[7];
	int rc;
} thr;

static void *thread_main(void *arg)
{
	thr *T = arg;
	for (long k = 0; k < 7; k++) {
		if (sac_rt_set_input_tensor(T->rt, T->x, k) || sac_rt_run(T->rt)) {
			T->rc = 1;
			return NULL;
		}
		T->cls[k] = sac_rt_class(T->rt);
		sac_rt_latency(T->rt, &T->cycles[k], NULL);
	}
	return NULL;
}

START_TEST(test_threads)
{
	sac_rt *rt = open_rt();
	sac_tensor x = {0};
	sac_err e = {0};
	ck_assert_int_eq(sac_npy_read(samples, &x, &e), 0);
	thr serial = {.rt = rt, .x = &x};
	thread_main(&serial);
	ck_assert_int_eq(serial.rc, 0);
	thr T[NTHREADS];
	pthread_t tid[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		T[i] = (thr){.x = &x};
		T[i].rt = sac_rt_clone(rt, &e);
		ck_assert_ptr_nonnull(T[i].rt);
	}
	/* The original may go first: clones keep the program alive. */
	sac_rt_close(rt);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, thread_main, &T[i]), 0);
	for (int i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
		ck_assert_int_eq(T[i].rc, 0);
		for (int k = 0; k < 7; k++) {
			ck_assert_int_eq(T[i].cls[k], serial.cls[k]);
			ck_assert_int_eq(T[i].cycles[k], serial.cycles[k]);
		}
		sac_rt_close(T[i].rt);
	}
	sac_tensor_free(&x);
}
END_TEST

static void count_progress(void *ctx, int done, int total)
{
	int *c = ctx;
	ck_assert_int_le(done, total);
	c[0]++;
	if (done > c[1])
		c[1] = done;
}

START_TEST(test_eval_jobs)
{
	sac_rt *rt = open_rt();
	sac_manifest m;
	sac_err e = {0};
	ck_assert_msg(sac_manifest_read(manifest, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.n, NSET);
	sac_eval_result r1[NSET], rn[NSET];
	int calls[2] = {0, 0};
	ck_assert_msg(sac_rt_eval(rt, &m, NULL, 1, count_progress, calls, r1) == 0, "%s",
		      sac_rt_error(rt));
	ck_assert_int_eq(calls[0], NSET);
	ck_assert_int_eq(calls[1], NSET);
	for (int i = 0; i < NSET; i++) {
		ck_assert_msg(r1[i].rc == 0, "%s", r1[i].msg);
		ck_assert_int_ge(r1[i].pred, 0);
		ck_assert_int_gt(r1[i].cycles, 0);
		ck_assert(r1[i].mj > 0);
	}
	for (int jobs = 2; jobs <= 8; jobs *= 2) {
		memset(rn, 0xa5, sizeof rn);
		ck_assert_int_eq(sac_rt_eval(rt, &m, NULL, jobs, NULL, NULL, rn), 0);
		ck_assert_msg(memcmp(r1, rn, sizeof rn) == 0, "results differ with %d jobs", jobs);
		sac_eval_summary s1, sn;
		sac_eval_summarize(&m, r1, &s1);
		sac_eval_summarize(&m, rn, &sn);
		ck_assert(memcmp(&s1, &sn, sizeof s1) == 0);
		ck_assert_int_eq(s1.ok, NSET);
	}
	/* The evaluation leaves rt itself untouched, and it still works. */
	ck_assert_int_eq(sac_rt_run(rt), SAC_ERR_STATE);
	/* Framing of the wrong size, a bad job count, a missing file. */
	sac_frame_opts fo;
	sac_rt_frame_defaults(rt, &fo);
	fo.frames = 3;
	ck_assert_int_eq(sac_rt_eval(rt, &m, &fo, 1, NULL, NULL, rn), SAC_ERR_SHAPE);
	ck_assert_int_eq(sac_rt_eval(rt, &m, NULL, 0, NULL, NULL, rn), SAC_ERR_USAGE);
	char *keep = m.s[2].path;
	m.s[2].path = "/nonexistent/ev.npy";
	ck_assert_int_eq(sac_rt_eval(rt, &m, NULL, 3, NULL, NULL, rn), 0);
	ck_assert_int_eq(rn[2].rc, SAC_ERR_IO);
	ck_assert_ptr_nonnull(strstr(rn[2].msg, "/nonexistent/ev.npy"));
	ck_assert_int_eq(rn[2].pred, -1);
	ck_assert(memcmp(&r1[3], &rn[3], sizeof rn[3]) == 0);
	m.s[2].path = keep;
	sac_eval_summary s;
	sac_eval_summarize(&m, rn, &s);
	ck_assert_int_eq(s.failed, 1);
	ck_assert_int_eq(s.ok, NSET - 1);
	sac_manifest_free(&m);
	sac_rt_close(rt);
}
END_TEST

static long rss_pages(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res;
}

START_TEST(test_memory_flat)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's quarantine keeps freed blocks: RSS grows by design there,
	 * and its leak checker covers this test instead. */
	const int check_rss = 0;
#else
	const int check_rss = 1;
#endif
	sac_tensor x = {0};
	sac_err e = {0};
	ck_assert_int_eq(sac_npy_read(samples, &x, &e), 0);
	sac_rt *rt = open_rt();
	long base = 0;
	for (int i = 0; i < 60; i++) {
		if (i == 10)
			base = rss_pages();
		/* Open/close and clone/close on the way: all freed. */
		if (i % 10 == 5) {
			sac_rt *c = sac_rt_clone(rt, &e);
			sac_rt_close(c);
			sac_rt_close(rt);
			rt = open_rt();
		}
		ck_assert_int_eq(sac_rt_set_input_tensor(rt, &x, i % 7), 0);
		ck_assert_int_eq(sac_rt_run(rt), 0);
	}
	long after = rss_pages();
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	if (check_rss && base > 0)
		ck_assert_msg((after - base) * page_kb < 512,
			      "RSS grew by %ld KiB over 50 runs", (after - base) * page_kb);
	sac_rt_close(rt);
	sac_tensor_free(&x);
}
END_TEST

/* A hand-made set of 9 samples and their results (see the comments). */
START_TEST(test_war_uar)
{
	static const struct { int truth, light, pred, rc; } h[] = {
		{0, 0, 0, 0},  /* Ha normal       right */
		{0, 1, 1, 0},  /* Ha overexposure wrong */
		{0, 2, 0, 0},  /* Ha low light    right */
		{1, 0, 1, 0},  /* Sa normal       right */
		{2, 3, 0, 0},  /* An HDR          wrong */
		{6, 0, 6, 0},  /* Ne normal       right */
		{6, 3, 6, 0},  /* Ne HDR          right */
		{6, 2, 5, 0},  /* Ne low light    wrong */
		{3, 0, -1, SAC_ERR_IO}, /* Di: failed, left out */
	};
	enum { N = 9 };
	sac_sample smp[N];
	sac_eval_result r[N];
	memset(r, 0, sizeof r);
	for (int i = 0; i < N; i++) {
		smp[i] = (sac_sample){.path = "x", .line = i + 2, .emotion = h[i].truth,
				      .lighting = h[i].light};
		r[i].pred = h[i].pred;
		r[i].rc = h[i].rc;
		r[i].ms = i + 1;         /* 1..8 for the successful ones */
		r[i].mj = 0.25 * (8 - i); /* 2.0 down to 0.25 */
		r[i].cycles = 1000 * (i + 1);
	}
	sac_manifest m = {.file = "hand.csv", .n = N, .s = smp};
	sac_eval_summary s;
	sac_eval_summarize(&m, r, &s);
	ck_assert_int_eq(s.n, 9);
	ck_assert_int_eq(s.ok, 8);
	ck_assert_int_eq(s.failed, 1);
	/* WAR = 5 right of 8; UAR = mean(Ha 2/3, Sa 1, An 0, Ne 2/3) = 7/12. */
	ck_assert_double_eq_tol(s.war, 5.0 / 8, 1e-12);
	ck_assert_double_eq_tol(s.uar, 7.0 / 12, 1e-12);
	ck_assert_double_eq_tol(s.cls_acc[0], 2.0 / 3, 1e-12);
	ck_assert_double_eq_tol(s.cls_acc[1], 1.0, 1e-12);
	ck_assert_double_eq_tol(s.cls_acc[2], 0.0, 1e-12);
	ck_assert(isnan(s.cls_acc[3])); /* its only sample failed */
	ck_assert(isnan(s.cls_acc[4]) && isnan(s.cls_acc[5]));
	ck_assert_double_eq_tol(s.cls_acc[6], 2.0 / 3, 1e-12);
	ck_assert_int_eq(s.cls_n[3], 0);
	ck_assert_int_eq(s.cls_n[6], 3);
	/* Lighting: normal 3/3, overexposure 0/1, low light 1/2, HDR 1/2. */
	ck_assert_double_eq_tol(s.light_acc[0], 1.0, 1e-12);
	ck_assert_double_eq_tol(s.light_acc[1], 0.0, 1e-12);
	ck_assert_double_eq_tol(s.light_acc[2], 0.5, 1e-12);
	ck_assert_double_eq_tol(s.light_acc[3], 0.5, 1e-12);
	ck_assert_int_eq(s.light_n[0], 3);
	/* Latency 1..8 ms: mean 4.5, p95 = ceil(7.6) = 8th smallest = 8.
	 * Energy 2.0 .. 0.25 mJ: mean 1.125, p95 = 2.0. */
	ck_assert_double_eq_tol(s.ms_mean, 4.5, 1e-12);
	ck_assert_double_eq_tol(s.ms_p95, 8.0, 1e-12);
	ck_assert_double_eq_tol(s.mj_mean, 1.125, 1e-12);
	ck_assert_double_eq_tol(s.mj_p95, 2.0, 1e-12);
	ck_assert_double_eq_tol(s.cycles_mean, 4500, 1e-9);
	/* 20 samples of 1..20 ms: p95 = 19th smallest = 19. */
	sac_sample s20[20];
	sac_eval_result r20[20];
	memset(r20, 0, sizeof r20);
	for (int i = 0; i < 20; i++) {
		s20[i] = (sac_sample){.path = "x", .emotion = i % 7, .lighting = i % 4};
		r20[19 - i].ms = i + 1; /* order must not matter */
		r20[i].pred = i % 7;
	}
	m = (sac_manifest){.file = "t.csv", .n = 20, .s = s20};
	sac_eval_summarize(&m, r20, &s);
	ck_assert_double_eq_tol(s.ms_p95, 19.0, 1e-12);
	ck_assert_double_eq_tol(s.war, 1.0, 1e-12);
	ck_assert_double_eq_tol(s.uar, 1.0, 1e-12);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void expect_manifest_error(const char *text, const char *where, const char *what)
{
	char p[600];
	snprintf(p, sizeof p, "%s/bad.csv", tmpdir);
	write_file(p, text);
	sac_manifest m;
	sac_err e = {0};
	ck_assert_int_eq(sac_manifest_read(p, &m, &e), SAC_ERR_PARSE);
	ck_assert_msg(strstr(e.msg, where) && strstr(e.msg, what), "got: %s", e.msg);
	ck_assert_int_eq(m.n, 0);
}

START_TEST(test_manifest)
{
	char p[600];
	snprintf(p, sizeof p, "%s/m.csv", tmpdir);
	write_file(p, "# my recordings\n"
		      "Lighting, subject ,PATH,Emotion\r\n"
		      "\n"
		      "normal,s1,a.npy,happiness\r\n"
		      "low light,s2,\"b, c.npy\",Fe\n"
		      "3,s3,/abs/d.csv,6\n"
		      "Low-Light,s4,sub/e.npy,su\n");
	sac_manifest m;
	sac_err e = {0};
	ck_assert_msg(sac_manifest_read(p, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.n, 4);
	char want[700];
	snprintf(want, sizeof want, "%s/a.npy", tmpdir);
	ck_assert_str_eq(m.s[0].path, want);
	ck_assert_int_eq(m.s[0].emotion, 0);
	ck_assert_int_eq(m.s[0].lighting, 0);
	ck_assert_int_eq(m.s[0].line, 4);
	snprintf(want, sizeof want, "%s/b, c.npy", tmpdir);
	ck_assert_str_eq(m.s[1].path, want);
	ck_assert_int_eq(m.s[1].emotion, 5);
	ck_assert_int_eq(m.s[1].lighting, 2);
	ck_assert_str_eq(m.s[2].path, "/abs/d.csv");
	ck_assert_int_eq(m.s[2].emotion, 6);
	ck_assert_int_eq(m.s[2].lighting, 3);
	ck_assert_int_eq(m.s[3].emotion, 4);
	ck_assert_int_eq(m.s[3].lighting, 2);
	sac_manifest_free(&m);
	ck_assert_int_eq(m.n, 0);
	sac_manifest_free(NULL);
	/* Errors name file:line. */
	expect_manifest_error("path,emotion,lighting\na.npy,Ha,normal\nb.npy,joy,normal\n",
			      "bad.csv:3:", "unknown emotion 'joy'");
	expect_manifest_error("path,emotion,lighting\na.npy,Ha,dusk\n", "bad.csv:2:",
			      "unknown lighting 'dusk'");
	expect_manifest_error("path,emotion\na.npy,Ha\n", "bad.csv:1:", "no 'lighting' column");
	expect_manifest_error("path,emotion,lighting\na.npy,Ha\n", "bad.csv:2:", "no lighting");
	expect_manifest_error("path,emotion,lighting\n,Ha,hdr\n", "bad.csv:2:", "no path");
	expect_manifest_error("path,emotion,lighting\n\"a.npy,Ha,hdr\n", "bad.csv:2:",
			      "unterminated");
	expect_manifest_error("path,emotion,lighting\n", "bad.csv:1:", "no samples");
	expect_manifest_error("", "bad.csv", "empty manifest");
	ck_assert_int_eq(sac_manifest_read("/nonexistent/m.csv", &m, &e), SAC_ERR_IO);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *t = tcase_create("api");
	tcase_add_unchecked_fixture(t, make_fixture, remove_fixture);
	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_null_handles);
	tcase_add_test(t, test_out_of_order);
	tcase_add_test(t, test_bad_inputs);
	tcase_add_test(t, test_equals_sim);
	tcase_add_test(t, test_threads);
	tcase_add_test(t, test_eval_jobs);
	tcase_add_test(t, test_memory_flat);
	tcase_add_test(t, test_war_uar);
	tcase_add_test(t, test_manifest);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
