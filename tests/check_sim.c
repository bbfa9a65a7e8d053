/* check_sim.c: the simulator against ref-int, spike for spike and logit
 * for logit, on several TNAS-ER genomes x 5 inputs, both
 * micro-architectures and two targets of different mesh sizes; the image
 * round trip; and the errors for images that are damaged or inconsistent
 * and for models that do not fit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/image.h"
#include "saccade/npy.h"
#include "saccade/sim.h"
#include "saccade/zoo.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_sim.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void target_path(char *buf, size_t n, const char *file)
{
	const char *src = getenv("abs_top_srcdir");
	snprintf(buf, n, "%s/examples/targets/%s", src ? src : ".", file);
}

/* Make a zoo model, compile it for the target, return the program. */
static void build(const char *genome, int size, const char *target,
		  sac_uarch u, sac_program *p, sac_tensor *x)
{
	sac_zoo_opts zo;
	sac_zoo_opts_init(&zo);
	zo.genome = genome;
	zo.h = zo.w = size;
	zo.ncalib = 4;
	zo.seed = 11;
	sac_err e = {0};
	char dir[512], yp[600], wp[600], sp[600], tp[1200];
	snprintf(dir, sizeof dir, "%s/%s-%d", tmpdir, genome, size);
	ck_assert_msg(sac_zoo_tnas_er(&zo, dir, NULL, &e) == 0, "%s", e.msg);
	snprintf(yp, sizeof yp, "%s/model.yaml", dir);
	snprintf(wp, sizeof wp, "%s/weights.npz", dir);
	snprintf(sp, sizeof sp, "%s/sample.npy", dir);
	sac_graph *g = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &g, &e) == 0, "%s", e.msg);
	sac_compile_opts co;
	sac_compile_opts_init(&co);
	ck_assert_msg(sac_compile(g, &co, &e) == 0, "%s", e.msg);
	sac_target t;
	target_path(tp, sizeof tp, target);
	ck_assert_msg(sac_target_load(tp, &t, &e) == 0, "%s", e.msg);
	t.uarch = u;
	sac_program built;
	ck_assert_msg(sac_program_build(g, &t, NULL, &built, &e) == 0, "%s: %s", genome, e.msg);
	/* Through the image, as users run it. */
	char ip[700];
	snprintf(ip, sizeof ip, "%s/%s-%d-%s.sac", tmpdir, genome, size, sac_uarch_name(u));
	ck_assert_msg(sac_program_save(&built, ip, &e) == 0, "%s", e.msg);
	sac_program_free(&built);
	ck_assert_msg(sac_program_load(ip, p, &e) == 0, "%s", e.msg);
	ck_assert_msg(sac_npy_read(sp, x, &e) == 0, "%s", e.msg);
}

typedef struct sim_case {
	const char *genome;
	int size;
	const char *target;
} sim_case;

static const sim_case cases[] = {
	{"3s-35", 32, "small.yaml"},
	{"ss-ss-ss", 32, "small.yaml"}, /* all skip */
	{"55-55", 16, "small.yaml"},    /* all 5x5 */
	{"3s-35-33", 16, "small.yaml"}, /* the canonical genome, reduced */
	{"s5-3s", 16, "small.yaml"},
	{"3s", 16, "tiny.yaml"},        /* a 4x4 mesh */
	{"s3", 16, "tiny.yaml"},
};
#define NCASES (int)(sizeof cases / sizeof *cases)

/* The spikes as on_spike reports them. */
typedef struct spike_log {
	struct spk { int pe, neuron; int64_t step, cycle; } *v;
	int n, cap;
} spike_log;

static void log_spike(void *ctx, int pe, int neuron, int64_t step, int64_t cycle)
{
	spike_log *L = ctx;
	if (L->n == L->cap) {
		L->cap = L->cap ? 2 * L->cap : 1024;
		L->v = realloc(L->v, (size_t)L->cap * sizeof *L->v);
		ck_assert_ptr_nonnull(L->v);
	}
	L->v[L->n++] = (struct spk){pe, neuron, step, cycle};
}

/* on_spike reports every spike once, at its step, in cycle order, at most
 * one per PE and cycle; and sac_sim_energy recomputes the statistics from
 * the counts alone, as the RTL backend does. */
static void check_spike_log(const sac_program *p, const spike_log *L,
			    const sac_ref_out *o, const sac_sim_stats *st)
{
	const sac_map *m = p->m;
	ck_assert_int_eq(L->n, o->nspikes);
	int64_t *per_pe = calloc((size_t)m->npe, sizeof *per_pe);
	int64_t *last = malloc((size_t)m->npe * sizeof *last);
	ck_assert(per_pe && last);
	for (int n = 0; n < m->npe; n++)
		last[n] = -1;
	for (int i = 0; i < L->n; i++) {
		const struct spk *k = &L->v[i];
		ck_assert(i == 0 || k->cycle >= L->v[i - 1].cycle);
		ck_assert_int_ge(k->pe, 0);
		ck_assert_int_lt(k->pe, m->npe);
		ck_assert_int_gt(k->cycle, last[k->pe]);
		last[k->pe] = k->cycle;
		per_pe[k->pe]++;
		const sac_region *r = &m->region[m->pe_region[k->pe]];
		const sac_node *nd = &p->g->node[m->layer[r->layer].node];
		int G = r->c1 - r->c0, pos = k->neuron / G;
		int c = k->neuron % G + r->c0, y = pos / nd->w + r->y0, x = pos % nd->w;
		size_t gi = ((size_t)c * nd->h + (size_t)y) * nd->w + (size_t)x;
		ck_assert_int_eq(o->spike[m->layer[r->layer].node][gi], k->step);
	}
	for (int n = 0; n < m->npe; n++)
		ck_assert_int_eq(per_pe[n], st->pe[n].spikes);
	free(per_pe);
	free(last);
	sac_sim_stats re;
	sac_err e = {0};
	ck_assert_int_eq(sac_sim_stats_init(p, &re, &e), 0);
	re.cycles = st->cycles;
	memcpy(re.pe, st->pe, (size_t)m->npe * sizeof *re.pe);
	sac_sim_energy(p, &re);
	ck_assert(re.energy_pj == st->energy_pj);
	ck_assert(re.unused_pj == st->unused_pj);
	ck_assert_int_eq(re.packets, st->packets);
	ck_assert_int_eq(re.synaptic_ops, st->synaptic_ops);
	for (int l = 0; l < m->nlayers; l++)
		ck_assert(re.layer_pj[l] == st->layer_pj[l]);
	sac_sim_stats_free(&re);
}

START_TEST(test_sim_equals_ref_int)
{
	const sim_case *c = &cases[_i / 2];
	sac_uarch u = _i % 2 ? SAC_UARCH_EVENT : SAC_UARCH_RAMP;
	sac_program p;
	sac_tensor x = {0};
	build(c->genome, c->size, c->target, u, &p, &x);
	int64_t spikes = 0, cycles = 0;
	for (long s = 0; s < 5; s++) {
		const float *img;
		sac_err e = {0};
		ck_assert_int_eq(sac_ref_input(p.g, &x, s, &img, &e), 0);
		sac_ref_out r, o;
		sac_sim_stats st;
		ck_assert_msg(sac_ref_int(p.g, img, &r, &e) == 0, "%s", e.msg);
		spike_log L = {0};
		sac_sim_opts so;
		sac_sim_opts_init(&so);
		so.on_spike = log_spike;
		so.spike_ctx = &L;
		ck_assert_msg(sac_sim_run(&p, img, &so, &o, &st, &e) == 0, "%s", e.msg);
		check_spike_log(&p, &L, &o, &st);
		free(L.v);
		char diff[512];
		ck_assert_msg(sac_ref_compare(p.g, &r, &o, diff, sizeof diff) == 0,
			      "%s %s input %ld: %s", c->genome, sac_uarch_name(u), s, diff);
		ck_assert_int_eq(r.cls, o.cls);
		ck_assert_int_gt(st.cycles, 0);
		ck_assert(st.energy_pj > 0);
		/* The breakdowns add up to the total. */
		double sum = 0, lsum = st.unused_pj, psum = 0;
		for (int k = 0; k < SAC_E_COUNT; k++)
			sum += st.comp[k];
		for (int l = 0; l < st.nlayers; l++)
			lsum += st.layer_pj[l];
		for (int n = 0; n < st.npe; n++)
			psum += st.pe_pj[n];
		ck_assert_double_eq_tol(sum, st.energy_pj, 1e-6 * st.energy_pj);
		ck_assert_double_eq_tol(lsum, st.energy_pj, 1e-6 * st.energy_pj);
		ck_assert_double_eq_tol(psum, st.energy_pj, 1e-6 * st.energy_pj);
		spikes += o.nspikes;
		cycles += st.cycles;
		sac_ref_out_free(&r);
		sac_ref_out_free(&o);
		sac_sim_stats_free(&st);
	}
	ck_assert_int_gt(spikes, 0);
	fprintf(stderr, "sim %-9s %2dx%-2d %-10s %-5s: == ref-int on 5 inputs, %lld spikes, %lld cycles\n",
		c->genome, c->size, c->size, c->target, sac_uarch_name(u),
		(long long)spikes, (long long)cycles);
	sac_tensor_free(&x);
	sac_program_free(&p);
}
END_TEST

/* Same program, same input: same cycles and energy, every time. */
START_TEST(test_sim_deterministic)
{
	sac_program p;
	sac_tensor x = {0};
	build("3s", 16, "tiny.yaml", SAC_UARCH_RAMP, &p, &x);
	const float *img;
	sac_err e = {0};
	ck_assert_int_eq(sac_ref_input(p.g, &x, 2, &img, &e), 0);
	sac_ref_out o1, o2;
	sac_sim_stats s1, s2;
	ck_assert_int_eq(sac_sim_run(&p, img, NULL, &o1, &s1, &e), 0);
	ck_assert_int_eq(sac_sim_run(&p, img, NULL, &o2, &s2, &e), 0);
	ck_assert_int_eq(s1.cycles, s2.cycles);
	ck_assert(s1.energy_pj == s2.energy_pj);
	ck_assert_int_eq(s1.packets, s2.packets);
	sac_ref_out_free(&o1);
	sac_ref_out_free(&o2);
	sac_sim_stats_free(&s1);
	sac_sim_stats_free(&s2);
	sac_tensor_free(&x);
	sac_program_free(&p);
}
END_TEST

static void expect_load_error(const char *path, const char *needle)
{
	sac_program p;
	sac_err e = {0};
	ck_assert_int_ne(sac_program_load(path, &p, &e), 0);
	ck_assert_msg(strstr(e.msg, needle) != NULL, "'%s' lacks '%s'", e.msg, needle);
}

START_TEST(test_bad_images)
{
	sac_program p;
	sac_tensor x = {0};
	build("3s", 16, "tiny.yaml", SAC_UARCH_RAMP, &p, &x);
	sac_tensor_free(&x);
	sac_program_free(&p);
	char ip[700], bad[800];
	snprintf(ip, sizeof ip, "%s/3s-16-ramp.sac", tmpdir);
	FILE *f = fopen(ip, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *buf = malloc((size_t)len);
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	snprintf(bad, sizeof bad, "%s/bad.sac", tmpdir);
	/* truncated */
	f = fopen(bad, "wb");
	fwrite(buf, 1, (size_t)len / 2, f);
	fclose(f);
	expect_load_error(bad, "truncated");
	/* one flipped byte in the middle: a CRC catches it */
	buf[len / 2] ^= 0x40;
	f = fopen(bad, "wb");
	fwrite(buf, 1, (size_t)len, f);
	fclose(f);
	expect_load_error(bad, "CRC");
	buf[len / 2] ^= 0x40;
	/* a future version */
	buf[8] = 9;
	f = fopen(bad, "wb");
	fwrite(buf, 1, (size_t)len, f);
	fclose(f);
	expect_load_error(bad, "version 9");
	free(buf);
	/* Inconsistent sections with valid CRCs: damage the sram section. */
	sac_image *img = NULL, *out = sac_image_new();
	sac_err e = {0};
	ck_assert_int_eq(sac_image_read(ip, &img, &e), 0);
	for (size_t i = 0; i < sac_image_count(img); i++) {
		uint32_t type, flags;
		size_t n;
		const void *d = sac_image_at(img, i, &type, &flags, &n);
		unsigned char *copy = malloc(n + 1);
		memcpy(copy, d, n);
		if (type == SAC_SEC_SRAM)
			copy[n - 5] ^= 1;
		ck_assert_int_eq(sac_image_add(out, type, copy, n, &e), 0);
		free(copy);
	}
	ck_assert_int_eq(sac_image_write(out, bad, &e), 0);
	sac_image_free(img);
	sac_image_free(out);
	expect_load_error(bad, "inconsistent sections");
}
END_TEST

START_TEST(test_model_does_not_fit)
{
	sac_zoo_opts zo;
	sac_zoo_opts_init(&zo);
	zo.genome = "3s-35-33";
	zo.h = zo.w = 32;
	zo.ncalib = 2;
	sac_err e = {0};
	char dir[512], yp[600], wp[600], tp[1200];
	snprintf(dir, sizeof dir, "%s/big", tmpdir);
	ck_assert_int_eq(sac_zoo_tnas_er(&zo, dir, NULL, &e), 0);
	snprintf(yp, sizeof yp, "%s/model.yaml", dir);
	snprintf(wp, sizeof wp, "%s/weights.npz", dir);
	sac_graph *g = NULL;
	ck_assert_int_eq(sac_model_load(yp, wp, &g, &e), 0);
	sac_compile_opts co;
	sac_compile_opts_init(&co);
	ck_assert_int_eq(sac_compile(g, &co, &e), 0);
	sac_target t;
	target_path(tp, sizeof tp, "tiny.yaml");
	ck_assert_int_eq(sac_target_load(tp, &t, &e), 0);
	sac_program p;
	/* The readout alone needs 128*4*4 = 2048 bytes per channel: fine;
	 * the whole network needs far more than 16 PEs. */
	ck_assert_int_eq(sac_program_build(g, &t, NULL, &p, &e), SAC_ERR_CAPACITY);
	ck_assert_msg(strstr(e.msg, "the model needs") && strstr(e.msg, "4x4 mesh"), "%s", e.msg);
	/* A PE too small for one output channel of weights. */
	t.pe.weight_bytes = 256;
	sac_err_clear(&e);
	ck_assert_int_eq(sac_program_build(g, &t, NULL, &p, &e), SAC_ERR_CAPACITY);
	ck_assert_msg(strstr(e.msg, "layer 'stem.1.conv'") && strstr(e.msg, "288 bytes") &&
		      strstr(e.msg, "256 bytes"), "%s", e.msg);
	sac_graph_free(g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("contract");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 900);
	tcase_add_loop_test(tc, test_sim_equals_ref_int, 0, 2 * NCASES);
	tcase_add_test(tc, test_sim_deterministic);
	tcase_add_test(tc, test_bad_images);
	tcase_add_test(tc, test_model_does_not_fit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
