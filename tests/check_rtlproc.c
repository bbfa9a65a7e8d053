/* check_rtlproc.c: the RTL process and stream module (rtlproc.h), in every
 * build (no RTL needed: the streams are the C simulator's own, written in
 * the RTL's format, and the "RTL executable" is a shell script).
 *
 * - the counter table: every field of sac_pe_counts has a name, the name
 *   maps back, the pointer is the member;
 * - local neurons map to their layer's (c, y, x) inside the region, and
 *   out-of-range ones are refused;
 * - a stream made from sac_sim_run (spikes via on_spike) parses back to
 *   the same records, and sac_rtlproc_outputs turns it into the
 *   simulator's outputs exactly: spikes and logits (sac_ref_compare) and
 *   every statistic, energy included to the last bit (sac_sim_energy
 *   from the counts alone);
 * - parse errors are located (first line, last line, past the end);
 * - the lookup: explicit path, $SACCADE_RTL_DIR, the message listing the
 *   places;
 * - running a child many times, on success and on every kind of failure,
 *   leaves no descriptor open and no child unreaped;
 * - the runtime's RTL backend: the executable is resolved when selected,
 *   clones keep it, a run gives the simulator's outputs, a failed run
 *   leaves no results. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "saccade/npy.h"
#include "saccade/rtlproc.h"
#include "saccade/runtime.h"
#include "saccade/zoo.h"

static char tmpdir[256];
static char image[700], input[700], fake[700], stream[700];
static sac_program prog;
static sac_tensor x;

typedef struct spikes {
	sac_rtl_spike v[1 << 16];
	int n;
} spikes;

static void collect(void *ctx, int pe, int neuron, int64_t step, int64_t cycle)
{
	spikes *s = ctx;
	ck_assert_int_lt(s->n, 1 << 16);
	s->v[s->n++] = (sac_rtl_spike){pe, neuron, step, cycle};
}

static int by_cycle_pe(const void *a, const void *b)
{
	const sac_rtl_spike *x = a, *y = b;
	if (x->cycle != y->cycle)
		return x->cycle < y->cycle ? -1 : 1;
	return (x->pe > y->pe) - (x->pe < y->pe);
}

static spikes sp;

static int unused_pe(void)
{
	for (int n = prog.m->npe - 1; n >= 0; n--)
		if (prog.m->pe_region[n] < 0)
			return n;
	return -1;
}
static sac_ref_out sim_out;
static sac_sim_stats sim_st;

/* The simulator's run as a stream, as `saccade cosim --expected` writes it. */
static void write_stream(FILE *f)
{
	fprintf(f, "saccade-rtl 1 %s %dx%d\n", prog.t.name, prog.m->mesh_w, prog.m->mesh_h);
	for (int i = 0; i < sp.n; i++)
		fprintf(f, "spike %d %d %lld %lld\n", sp.v[i].pe, sp.v[i].neuron,
			(long long)sp.v[i].step, (long long)sp.v[i].cycle);
	for (int k = 0; k < sim_out.nlogits; k++)
		fprintf(f, "logit %d %lld\n", k, (long long)sim_out.ilogits[k]);
	for (int n = 0; n < prog.m->npe; n++)
		for (int fi = 0; fi < SAC_PEC_COUNT; fi++)
			if (prog.m->pe_region[n] >= 0 || fi >= SAC_PEC_router_buffer)
				fprintf(f, "count %d %s %lld\n", n, sac_pe_count_name(fi),
					(long long)*sac_pe_count_ptr(&sim_st.pe[n], fi));
	fprintf(f, "cycles %lld\nsteps %lld\nend\n", (long long)sim_st.cycles,
		(long long)sim_out.steps);
}

static void make_fixture(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_rtlproc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	sac_zoo_opts zo;
	sac_zoo_opts_init(&zo);
	zo.genome = "ss-ss";
	zo.h = zo.w = 16;
	zo.ncalib = 4;
	zo.seed = 2;
	sac_err e = {0};
	char dir[600], yp[700], wp[700], tp[1200];
	snprintf(dir, sizeof dir, "%s/zoo", tmpdir);
	ck_assert_msg(sac_zoo_tnas_er(&zo, dir, NULL, &e) == 0, "%s", e.msg);
	snprintf(yp, sizeof yp, "%s/model.yaml", dir);
	snprintf(wp, sizeof wp, "%s/weights.npz", dir);
	snprintf(input, sizeof input, "%s/sample.npy", dir);
	sac_graph *g = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &g, &e) == 0, "%s", e.msg);
	sac_compile_opts co;
	sac_compile_opts_init(&co);
	ck_assert_msg(sac_compile(g, &co, &e) == 0, "%s", e.msg);
	const char *src = getenv("abs_top_srcdir");
	snprintf(tp, sizeof tp, "%s/examples/targets/tiny.yaml", src ? src : ".");
	sac_target t;
	ck_assert_msg(sac_target_load(tp, &t, &e) == 0, "%s", e.msg);
	ck_assert_msg(sac_program_build(g, &t, NULL, &prog, &e) == 0, "%s", e.msg);
	snprintf(image, sizeof image, "%s/net.sac", tmpdir);
	ck_assert_msg(sac_program_save(&prog, image, &e) == 0, "%s", e.msg);
	ck_assert_msg(sac_npy_read(input, &x, &e) == 0, "%s", e.msg);
	const float *in;
	ck_assert_msg(sac_ref_input(prog.g, &x, 1, &in, &e) == 0, "%s", e.msg);
	sac_sim_opts so;
	sac_sim_opts_init(&so);
	so.on_spike = collect;
	so.spike_ctx = &sp;
	ck_assert_msg(sac_sim_run(&prog, in, &so, &sim_out, &sim_st, &e) == 0, "%s", e.msg);
	qsort(sp.v, (size_t)sp.n, sizeof *sp.v, by_cycle_pe);
	snprintf(stream, sizeof stream, "%s/good.txt", tmpdir);
	FILE *f = fopen(stream, "w");
	ck_assert_ptr_nonnull(f);
	write_stream(f);
	ck_assert_int_eq(fclose(f), 0);
	/* The fake RTL: $FAKE_STREAM to stdout, exit $FAKE_EXIT. */
	snprintf(fake, sizeof fake, "%s/saccade-rtl-%s", tmpdir, prog.t.name);
	f = fopen(fake, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\ncat \"$FAKE_STREAM\"\nexit \"${FAKE_EXIT:-0}\"\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(fake, 0755), 0);
}

static void remove_fixture(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	sac_ref_out_free(&sim_out);
	sac_sim_stats_free(&sim_st);
	sac_program_free(&prog);
	sac_tensor_free(&x);
}

START_TEST(test_count_table)
{
	ck_assert_int_eq(SAC_PEC_COUNT * (int)sizeof(int64_t), (int)sizeof(sac_pe_counts));
	sac_pe_counts c;
	memset(&c, 0, sizeof c);
	for (int f = 0; f < SAC_PEC_COUNT; f++) {
		const char *n = sac_pe_count_name(f);
		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(sac_pe_count_field(n), f);
		*sac_pe_count_ptr(&c, f) = f + 1;
	}
	ck_assert_int_eq(c.weight_reads, 1);
	ck_assert_int_eq(c.divides, 11);
	ck_assert_int_eq(c.synops, 15);
	ck_assert_int_eq(c.link, SAC_PEC_COUNT);
	ck_assert_ptr_null(sac_pe_count_name(SAC_PEC_COUNT));
	ck_assert_ptr_null(sac_pe_count_name(-1));
	ck_assert_int_eq(sac_pe_count_field("nope"), -1);
	ck_assert_int_eq(sac_pe_count_field(NULL), -1);
	ck_assert_ptr_null(sac_pe_count_ptr(&c, SAC_PEC_COUNT));
}
END_TEST

START_TEST(test_neuron)
{
	const sac_map *m = prog.m;
	for (int r = 0; r < m->nregions; r++) {
		const sac_region *rg = &m->region[r];
		const sac_node *nd = &prog.g->node[m->layer[rg->layer].node];
		int ends[2] = {0, rg->neurons - 1};
		for (int k = 0; k < 2; k++) {
			int c, y, xx;
			size_t chw;
			ck_assert_int_eq(sac_rtlproc_neuron(&prog, rg->pe, ends[k], &c, &y, &xx, &chw), 0);
			ck_assert(c >= rg->c0 && c < rg->c1 && y >= rg->y0 && y < rg->y1);
			ck_assert(xx >= 0 && xx < nd->w);
			ck_assert_uint_eq(chw, ((size_t)c * nd->h + (size_t)y) * nd->w + (size_t)xx);
		}
		ck_assert_int_eq(sac_rtlproc_neuron(&prog, rg->pe, rg->neurons, NULL, NULL, NULL, NULL), -1);
		ck_assert_int_eq(sac_rtlproc_neuron(&prog, rg->pe, -1, NULL, NULL, NULL, NULL), -1);
	}
	ck_assert_int_eq(sac_rtlproc_neuron(&prog, m->npe, 0, NULL, NULL, NULL, NULL), -1);
	for (int n = 0; n < m->npe; n++)
		if (m->pe_region[n] < 0)
			ck_assert_int_eq(sac_rtlproc_neuron(&prog, n, 0, NULL, NULL, NULL, NULL), -1);
}
END_TEST

/* The simulator's stream parses back and gives the simulator's outputs. */
START_TEST(test_roundtrip)
{
	sac_err e = {0};
	sac_rtl_result r;
	FILE *f = fopen(stream, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(sac_rtlproc_parse(&prog, f, &r, &e) == 0, "%s", e.msg);
	fclose(f);
	ck_assert_str_eq(r.target, prog.t.name);
	ck_assert_int_eq(r.nspikes, sp.n);
	ck_assert_int_gt(r.nspikes, 100);
	ck_assert_mem_eq(r.spike, sp.v, (size_t)sp.n * sizeof *sp.v);
	ck_assert_int_eq(r.cycles, sim_st.cycles);
	sac_ref_out out;
	sac_sim_stats st;
	ck_assert_msg(sac_rtlproc_outputs(&prog, &r, &out, &st, &e) == 0, "%s", e.msg);
	char diff[512] = "";
	ck_assert_msg(sac_ref_compare(prog.g, &sim_out, &out, diff, sizeof diff) == 0, "%s", diff);
	ck_assert_int_eq(out.cls, sim_out.cls);
	ck_assert_int_eq(out.nspikes, sim_out.nspikes);
	for (int k = 0; k < out.nlogits; k++)
		ck_assert(out.logits[k] == sim_out.logits[k]);
	ck_assert_int_eq(st.cycles, sim_st.cycles);
	ck_assert(st.seconds == sim_st.seconds);
	ck_assert_int_eq(st.steps, sim_st.steps);
	ck_assert_int_eq(st.spikes, sim_st.spikes);
	ck_assert_int_eq(st.packets, sim_st.packets);
	ck_assert_int_eq(st.synaptic_ops, sim_st.synaptic_ops);
	ck_assert(st.energy_pj == sim_st.energy_pj);
	ck_assert(st.unused_pj == sim_st.unused_pj);
	ck_assert_mem_eq(st.comp, sim_st.comp, sizeof st.comp);
	ck_assert_mem_eq(st.pe_pj, sim_st.pe_pj, (size_t)st.npe * sizeof *st.pe_pj);
	ck_assert_mem_eq(st.layer_pj, sim_st.layer_pj, (size_t)st.nlayers * sizeof *st.layer_pj);
	ck_assert_mem_eq(st.layer_comp, sim_st.layer_comp,
			 (size_t)st.nlayers * SAC_E_COUNT * sizeof *st.layer_comp);
	for (int l = 0; l < st.nlayers; l++)
		ck_assert_int_eq(st.layer_cycles[l], -1);
	sac_ref_out_free(&out);
	sac_sim_stats_free(&st);
	for (int n = 0; n < prog.m->npe; n++)
		ck_assert_int_eq(r.routers_reported[n], 1);
	sac_rtl_result_free(&r);

	/* Without the routers of the unused PEs: parsed, said, no energy. */
	char path[800], cmd[2000];
	snprintf(path, sizeof path, "%s/norouters.txt", tmpdir);
	snprintf(cmd, sizeof cmd, "awk '$1 != \"count\" || $2 != %d' %s > %s", unused_pe(),
		 stream, path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "r");
	ck_assert_msg(sac_rtlproc_parse(&prog, f, &r, &e) == 0, "%s", e.msg);
	fclose(f);
	ck_assert_int_eq(r.routers_reported[unused_pe()], 0);
	ck_assert_int_eq(sac_rtlproc_outputs(&prog, &r, &out, &st, &e), SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "no router counts of PE"));
	sac_rtl_result_free(&r);
}
END_TEST

/* Parse text; expect failure with msg containing want. */
static void parse_fails(const char *text, const char *want)
{
	char path[800];
	snprintf(path, sizeof path, "%s/bad.txt", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	f = fopen(path, "r");
	sac_err e = {0};
	sac_rtl_result r;
	int rc = sac_rtlproc_parse(&prog, f, &r, &e);
	fclose(f);
	ck_assert_int_eq(rc, SAC_ERR_PARSE);
	ck_assert_msg(strstr(e.msg, want) != NULL, "'%s' lacks '%s'", e.msg, want);
	ck_assert_ptr_null(r.spike); /* nothing left to free */
	ck_assert_ptr_null(r.pe);
}

START_TEST(test_parse_errors)
{
	char hdr[128];
	snprintf(hdr, sizeof hdr, "saccade-rtl 1 %s %dx%d\n", prog.t.name, prog.m->mesh_w,
		 prog.m->mesh_h);
	char b[512];
	char want[200];
	int q = prog.m->region[1].pe, u = -1; /* a PE with a region, one without */
	for (int n = 0; n < prog.m->npe; n++)
		if (prog.m->pe_region[n] < 0)
			u = n;
	ck_assert_int_ge(u, 0);
	parse_fails("", "rtl stream line 1: empty stream");
	parse_fails("hello\n", "rtl stream line 1: expected the header");
	parse_fails("saccade-rtl 1 tiny 4x4 extra\n", "line 1: header: expected 4 fields");
	parse_fails("saccade-rtl 1 tiny 4by4\n", "is not <W>x<H>");
	snprintf(b, sizeof b, "%s", hdr);
	parse_fails(b, "rtl stream line 2: truncated stream: no 'end' record after 1 lines");
	snprintf(b, sizeof b, "%send\n", hdr);
	parse_fails(b, "rtl stream line 3: no 'cycles' record before 'end'");
	snprintf(b, sizeof b, "%scycles 1\nsteps 1\nend\n", hdr);
	parse_fails(b, "no logit 0 before 'end'");
	snprintf(b, sizeof b, "%sspike %d 0 0 5\nspike %d 1 0 4\n", hdr, q, q);
	parse_fails(b, "rtl stream line 3: spike: out of order");
	snprintf(b, sizeof b, "%sspike %d 0 0 -5\n", hdr, q);
	parse_fails(b, "spike: cycle = -5 is out of range");
	snprintf(b, sizeof b, "%sspike %d 0 0 5", hdr, q);
	parse_fails(b, "line 2: truncated stream: the last line has no newline");
	snprintf(b, sizeof b, "%sspike  %d 0 0 5\n", hdr, q);
	parse_fails(b, "line 2: malformed line");
	snprintf(b, sizeof b, "%sspike %d 0 0 +5\n", hdr, q);
	parse_fails(b, "expected a number, got '+5'");
	snprintf(b, sizeof b, "%slogit 0 1\nlogit 0 2\n", hdr);
	parse_fails(b, "rtl stream line 3: logit 0 given twice");
	snprintf(b, sizeof b, "%scount %d adds 1\ncount %d adds 1\n", hdr, q, q);
	snprintf(want, sizeof want, "rtl stream line 3: count: PE %d adds given twice", q);
	parse_fails(b, want);
	snprintf(b, sizeof b, "%sspike %d 0 0 5\n", hdr, u);
	snprintf(want, sizeof want, "rtl stream line 2: spike: PE %d holds no region", u);
	parse_fails(b, want);
	snprintf(b, sizeof b, "%scount %d adds 1\n", hdr, u);
	snprintf(want, sizeof want, "count: PE %d holds no region of the image; only its router's counts", u);
	parse_fails(b, want);
	snprintf(b, sizeof b, "%send\nend\n", hdr);
	parse_fails(b, "rtl stream line 3: data after 'end'");
}
END_TEST

START_TEST(test_find)
{
	sac_err e = {0};
	char path[1024];
	ck_assert_int_eq(sac_rtlproc_find(&prog, "/nonexistent/x", path, sizeof path, &e),
			 SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/x"));
	sac_err_clear(&e);
	ck_assert_int_eq(sac_rtlproc_find(&prog, tmpdir, path, sizeof path, &e),
			 SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "not an executable file"));
	sac_err_clear(&e);
	ck_assert_int_eq(sac_rtlproc_find(&prog, fake, path, sizeof path, &e), 0);
	ck_assert_str_eq(path, fake);
	char small[8];
	ck_assert_int_eq(sac_rtlproc_find(&prog, fake, small, sizeof small, &e), SAC_ERR_RANGE);
	sac_err_clear(&e);
	setenv("SACCADE_RTL_DIR", tmpdir, 1);
	ck_assert_msg(sac_rtlproc_find(&prog, NULL, path, sizeof path, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(path, fake);
	char empty[800];
	snprintf(empty, sizeof empty, "%s/zoo", tmpdir);
	setenv("SACCADE_RTL_DIR", empty, 1);
	int rc = sac_rtlproc_find(&prog, NULL, path, sizeof path, &e);
	if (rc) { /* unless one is installed */
		ck_assert_int_eq(rc, SAC_ERR_UNSUPPORTED);
		ck_assert_ptr_nonnull(strstr(e.msg, "($SACCADE_RTL_DIR)"));
		ck_assert_ptr_nonnull(strstr(e.msg, "(installed)"));
		ck_assert_ptr_nonnull(strstr(e.msg, empty));
	}
	unsetenv("SACCADE_RTL_DIR");
}
END_TEST

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Success and every failure, many times: no descriptor or child is left. */
START_TEST(test_run_hygiene)
{
	char bad[800];
	snprintf(bad, sizeof bad, "%s/bad2.txt", tmpdir);
	FILE *f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("garbage\n", f);
	fclose(f);
	sac_rtlproc_opts o;
	sac_rtlproc_opts_init(&o);
	o.exe = fake;
	o.image = image;
	o.input = input;
	o.index = 1;
	sac_rtl_result r;
	sac_err e = {0};
	ck_assert_int_eq(sac_rtlproc_run(&prog, NULL, &r, &e), SAC_ERR_USAGE);
	int fds = -1;
	for (int i = 0; i < 40; i++) {
		sac_err_clear(&e);
		int kind = i % 4;
		setenv("FAKE_STREAM", kind == 1 ? bad : stream, 1);
		setenv("FAKE_EXIT", kind == 2 ? "2" : "0", 1);
		o.exe = kind == 3 ? "/nonexistent/saccade-rtl" : fake;
		int rc = sac_rtlproc_run(&prog, &o, &r, &e);
		if (kind == 0) {
			ck_assert_msg(rc == 0, "%s", e.msg);
			ck_assert_int_eq(r.nspikes, sp.n);
			ck_assert(r.wall_seconds > 0);
			sac_rtl_result_free(&r);
		} else {
			ck_assert_int_ne(rc, 0);
			ck_assert_ptr_nonnull(strstr(e.msg, kind == 1 ? "rtl stream line 1"
							   : kind == 2 ? "exited with status 2"
							   : "/nonexistent/saccade-rtl"));
		}
		if (i == 3)
			fds = count_fds();
	}
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1); /* no child left */
	ck_assert_int_eq(errno, ECHILD);
	unsetenv("FAKE_STREAM");
	unsetenv("FAKE_EXIT");
}
END_TEST

START_TEST(test_runtime_backend)
{
	sac_err e = {0};
	sac_rt *rt = sac_rt_open(image, &e);
	ck_assert_msg(rt != NULL, "%s", e.msg);
	ck_assert_ptr_null(sac_rt_rtl_path(rt));
	ck_assert_int_eq(sac_rt_set_rtl(rt, fake), SAC_OK);
	ck_assert_int_eq(sac_rt_set_backend(rt, SAC_BACKEND_RTL), SAC_OK);
	ck_assert_str_eq(sac_rt_rtl_path(rt), fake);
	/* An executable that is not there: refused, the old one kept. */
	ck_assert_int_eq(sac_rt_set_rtl(rt, "/nonexistent/rtl"), SAC_ERR_UNSUPPORTED);
	ck_assert_str_eq(sac_rt_rtl_path(rt), fake);
	sac_rt *c = sac_rt_clone(rt, &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_str_eq(sac_rt_rtl_path(c), fake);
	ck_assert_int_eq(sac_rt_set_input_tensor(c, &x, 1), SAC_OK);
	setenv("FAKE_STREAM", stream, 1);
	ck_assert_msg(sac_rt_run(c) == SAC_OK, "%s", sac_rt_error(c));
	const sac_ref_out *o = sac_rt_output(c);
	char diff[512] = "";
	ck_assert_msg(sac_ref_compare(prog.g, &sim_out, o, diff, sizeof diff) == 0, "%s", diff);
	int64_t cyc;
	ck_assert_int_eq(sac_rt_latency(c, &cyc, NULL), SAC_OK);
	ck_assert_int_eq(cyc, sim_st.cycles);
	double mj;
	ck_assert_int_eq(sac_rt_energy(c, &mj, NULL), SAC_OK);
	ck_assert(mj == sim_st.energy_pj * 1e-9);
	int same = 0;
	ck_assert_int_eq(sac_rt_check_ref(c, &same, diff, sizeof diff), SAC_OK);
	ck_assert_msg(same, "%s", diff);
	/* A failing run leaves no results. */
	setenv("FAKE_EXIT", "2", 1);
	ck_assert_int_ne(sac_rt_run(c), SAC_OK);
	ck_assert_ptr_nonnull(strstr(sac_rt_error(c), "exited with status 2"));
	ck_assert_int_eq(sac_rt_class(c), SAC_ERR_STATE);
	unsetenv("FAKE_EXIT");
	unsetenv("FAKE_STREAM");
	/* Back to the simulator: the same numbers. */
	ck_assert_int_eq(sac_rt_set_backend(c, SAC_BACKEND_SIM), SAC_OK);
	ck_assert_ptr_null(sac_rt_rtl_path(c));
	ck_assert_int_eq(sac_rt_run(c), SAC_OK);
	ck_assert_int_eq(sac_rt_class(c), sim_out.cls);
	sac_rt_close(c);
	sac_rt_close(rt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtlproc");
	TCase *tc = tcase_create("rtlproc");
	tcase_add_unchecked_fixture(tc, make_fixture, remove_fixture);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_count_table);
	tcase_add_test(tc, test_neuron);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_run_hygiene);
	tcase_add_test(tc, test_runtime_backend);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
