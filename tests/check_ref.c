/* check_ref.c: the numerics contract end to end on the TNAS-ER zoo:
 * ref-int == ref-ttfs (every integer logit and every (neuron, step)
 * spike) on several genomes, including all-skip and all-5x5, times
 * several inputs, for both weight-scale granularities and several step
 * counts; plus a sanity bound on the float/int agreement, which is a
 * measured error and not an equality. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/ir.h"
#include "saccade/npy.h"
#include "saccade/ref.h"
#include "saccade/zoo.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_ref.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

typedef struct contract_case {
	const char *genome;
	int size;
	int steps;
	int per_layer;
} contract_case;

static const contract_case cases[] = {
	{"3s-35-33", 32, 16, 0}, /* the canonical genome, reduced input */
	{"ss-ss-ss", 32, 16, 0}, /* all skip */
	{"55-55-55", 32, 16, 0}, /* all 5x5 */
	{"35-s5", 32, 8, 1},
	{"s3-53-3s-55", 32, 24, 0},
	{"33-33-33", 16, 4, 1},
};

/* Run one genome: n inputs, int vs ttfs; returns float/int argmax
 * agreements and accumulates the cosine. */
static void run_case(const contract_case *c, int *agree, double *cos_sum,
		     int *total)
{
	sac_zoo_opts zo;
	sac_zoo_opts_init(&zo);
	zo.genome = c->genome;
	zo.h = zo.w = c->size;
	zo.ncalib = 6;
	zo.seed = 7;
	sac_err e = {0};
	char dir[400], yp[500], wp[500], sp[500];
	snprintf(dir, sizeof dir, "%s/%s-%d", tmpdir, c->genome, c->size);
	ck_assert_msg(sac_zoo_tnas_er(&zo, dir, NULL, &e) == 0, "%s", e.msg);
	snprintf(yp, sizeof yp, "%s/model.yaml", dir);
	snprintf(wp, sizeof wp, "%s/weights.npz", dir);
	snprintf(sp, sizeof sp, "%s/sample.npy", dir);
	sac_graph *g = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &g, &e) == 0, "%s", e.msg);
	sac_tensor x = {0};
	ck_assert_msg(sac_npy_read(sp, &x, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(x.ndim, 4);
	ck_assert_int_ge(x.shape[0], 5);

	/* float results on the model as loaded */
	sac_ref_out fo[5];
	for (int s = 0; s < 5; s++) {
		const float *p;
		ck_assert_msg(sac_ref_input(g, &x, s, &p, &e) == 0, "%s", e.msg);
		ck_assert_msg(sac_ref_float(g, p, 0, &fo[s], &e) == 0, "%s", e.msg);
	}
	sac_compile_opts o;
	sac_compile_opts_init(&o);
	o.steps = c->steps;
	o.per_layer = c->per_layer;
	ck_assert_msg(sac_compile(g, &o, &e) == 0, "%s: %s", c->genome, e.msg);
	int64_t spikes = 0;
	for (int s = 0; s < 5; s++) {
		const float *p;
		sac_ref_out a, b;
		char diff[512];
		ck_assert_int_eq(sac_ref_input(g, &x, s, &p, &e), 0);
		ck_assert_msg(sac_ref_int(g, p, &a, &e) == 0, "%s", e.msg);
		ck_assert_msg(sac_ref_ttfs(g, p, &b, &e) == 0, "%s", e.msg);
		ck_assert_msg(sac_ref_compare(g, &a, &b, diff, sizeof diff) == 0,
			      "genome %s input %d: %s", c->genome, s, diff);
		ck_assert_int_eq(a.cls, b.cls);
		spikes += a.nspikes;
		*agree += a.cls == fo[s].cls;
		*cos_sum += sac_ref_cosine(fo[s].logits, a.logits, a.nlogits);
		(*total)++;
		sac_ref_out_free(&a);
		sac_ref_out_free(&b);
		sac_ref_out_free(&fo[s]);
	}
	/* The test would prove little if nothing spiked. */
	ck_assert_msg(spikes > 0, "genome %s: no spikes at all", c->genome);
	sac_tensor_free(&x);
	sac_graph_free(g);
}

START_TEST(test_int_equals_ttfs_on_genomes)
{
	int agree = 0, total = 0;
	double cos_sum = 0;
	run_case(&cases[_i], &agree, &cos_sum, &total);
	fprintf(stderr, "contract %-12s %dx%d S=%-2d %s: int == ttfs on %d inputs; float/int argmax %d/%d, mean cosine %.4f\n",
		cases[_i].genome, cases[_i].size, cases[_i].size, cases[_i].steps,
		cases[_i].per_layer ? "per-layer  " : "per-channel", total,
		agree, total, cos_sum / total);
	/* Quantisation error is measured, not asserted equal; a gross
	 * failure of the conversion would show as a low cosine.  Few steps
	 * (2 bits at S = 4) are coarse by design. */
	double bound = cases[_i].steps >= 8 ? 0.85 : 0.5;
	ck_assert_msg(cos_sum / total > bound, "mean cosine %.4f", cos_sum / total);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ref");
	TCase *tc = tcase_create("contract");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_int_equals_ttfs_on_genomes, 0,
			    (int)(sizeof cases / sizeof *cases));
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
