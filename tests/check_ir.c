/* check_ir.c: unit tests of the model loader, shape inference, verifier
 * and the compiler passes, on small hand-written models. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saccade/ir.h"
#include "saccade/npy.h"
#include "saccade/ref.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_ir.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Load YAML text (no weights); returns the error code, message in e. */
static int load_text(const char *yaml, sac_graph **g, sac_err *e)
{
	memset(e, 0, sizeof *e);
	return sac_model_load_mem(yaml, strlen(yaml), "m.yaml", NULL, g, e);
}

static void expect_error(const char *yaml, const char *needle)
{
	sac_graph *g = NULL;
	sac_err e;
	int r = load_text(yaml, &g, &e);
	ck_assert_msg(r != 0, "expected an error containing '%s'", needle);
	ck_assert_ptr_null(g);
	ck_assert_msg(strstr(e.msg, needle) != NULL,
		      "message '%s' lacks '%s'", e.msg, needle);
}

START_TEST(test_yaml_errors_located)
{
	expect_error("saccade: 1\nnodes: [\n", "m.yaml:3:1:");
	expect_error("saccade: 1\nnodes:\n  - name: in\n    op: input\n    shape: [1, 4, 4]\n"
		     "  - name: x\n    op: sqrt\n    inputs: [in]\n",
		     "m.yaml:7:9: unknown op 'sqrt'");
	expect_error("saccade: 2\nnodes: []\n", "m.yaml:1:10: format version 2");
	expect_error("nodes: []\n", "missing 'saccade: 1'");
	expect_error("saccade: 1\nnodes:\n  - name: in\n    op: input\n    shape: [1, 4, 4]\n"
		     "  - name: o\n    op: output\n    inputs: [nope]\n",
		     "m.yaml:8:14: node 'o': input 'nope' is not an earlier node");
	expect_error("saccade: 1\nnodes:\n  - name: in\n    op: input\n    shape: [1, 4, 4]\n"
		     "    colour: red\n", "m.yaml:6:5: unknown attribute 'colour'");
	expect_error("saccade: 1\nnodes:\n  - name: in\n    op: input\n    shape: [1, x, 4]\n",
		     "m.yaml:5:16: 'shape' must be an integer, got 'x'");
	expect_error("saccade: 1\nnodes:\n  - name: in\n    op: input\n    shape: [1, 4, 4]\n"
		     "  - name: in\n    op: output\n    inputs: [in]\n",
		     "duplicate node name 'in'");
	expect_error("saccade: 1\nbogus: 3\nnodes: []\n", "m.yaml:2:1: unknown top-level key 'bogus'");
}
END_TEST

START_TEST(test_shape_inference)
{
	const char *y =
		"saccade: 1\nnodes:\n"
		"  - {name: in, op: input, shape: [3, 9, 7]}\n"
		"  - {name: p, op: maxpool, inputs: [in], kernel: 2}\n"
		"  - {name: a, op: avgpool, inputs: [p], kernel: [2, 1], stride: 1}\n"
		"  - {name: g, op: global_avgpool, inputs: [a]}\n"
		"  - {name: f, op: flatten, inputs: [g]}\n"
		"  - {name: o, op: output, inputs: [f]}\n";
	sac_graph *g = NULL;
	sac_err e;
	ck_assert_int_eq(load_text(y, &g, &e), 0);
	ck_assert_int_eq(g->node[1].h, 4);
	ck_assert_int_eq(g->node[1].w, 3);
	ck_assert_int_eq(g->node[2].h, 3);
	ck_assert_int_eq(g->node[2].w, 3);
	ck_assert_int_eq(g->node[3].c, 3);
	ck_assert_int_eq(g->node[3].h, 1);
	ck_assert_int_eq(g->node[4].c, 3);
	sac_graph_free(g);
	/* A pool window larger than its input. */
	expect_error("saccade: 1\nnodes:\n"
		     "  - {name: in, op: input, shape: [3, 2, 2]}\n"
		     "  - {name: p, op: maxpool, inputs: [in], kernel: 3}\n"
		     "  - {name: o, op: output, inputs: [p]}\n",
		     "m.yaml:4:5: maxpool 'p': window 3x3");
	/* linear on an unflattened map. */
	expect_error("saccade: 1\nnodes:\n"
		     "  - {name: in, op: input, shape: [3, 2, 2]}\n"
		     "  - {name: l, op: linear, inputs: [in], out_features: 2, weight: w}\n"
		     "  - {name: o, op: output, inputs: [l]}\n",
		     "flatten it first");
	/* groups that do not divide. */
	expect_error("saccade: 1\nnodes:\n"
		     "  - {name: in, op: input, shape: [3, 4, 4]}\n"
		     "  - {name: c, op: conv2d, inputs: [in], out_channels: 4, kernel: 1, groups: 2, weight: w}\n"
		     "  - {name: o, op: output, inputs: [c]}\n",
		     "groups=2 must divide");
	/* a dangling node */
	expect_error("saccade: 1\nnodes:\n"
		     "  - {name: in, op: input, shape: [3, 4, 4]}\n"
		     "  - {name: p, op: maxpool, inputs: [in], kernel: 2}\n"
		     "  - {name: o, op: output, inputs: [in]}\n",
		     "node 'p' is not used");
}
END_TEST

/* Write a float model with one conv + bn + relu + avgpool + flatten +
 * linear readout into tmpdir and load it. */
static void write_small(int fc_cols)
{
	char yp[512], wp[512], cp[512];
	snprintf(yp, sizeof yp, "%s/m.yaml", tmpdir);
	snprintf(wp, sizeof wp, "%s/w.npz", tmpdir);
	snprintf(cp, sizeof cp, "%s/calib.npy", tmpdir);
	FILE *f = fopen(yp, "w");
	ck_assert_ptr_nonnull(f);
	fputs("saccade: 1\nname: small\ncalibration: calib.npy\nnodes:\n"
	      "  - {name: in, op: input, shape: [2, 6, 6]}\n"
	      "  - {name: c, op: conv2d, inputs: [in], out_channels: 3, kernel: 3, padding: 1, weight: c.w, bias: c.b}\n"
	      "  - {name: bn, op: batchnorm, inputs: [c], gamma: bn.g, beta: bn.b, mean: bn.m, var: bn.v}\n"
	      "  - {name: r, op: relu, inputs: [bn]}\n"
	      "  - {name: skip, op: identity, inputs: [r]}\n"
	      "  - {name: p, op: maxpool, inputs: [skip], kernel: 2}\n"
	      "  - {name: a, op: avgpool, inputs: [p], kernel: 3}\n"
	      "  - {name: f, op: flatten, inputs: [a]}\n"
	      "  - {name: fc, op: linear, inputs: [f], out_features: 4, weight: fc.w, bias: fc.b}\n"
	      "  - {name: o, op: output, inputs: [fc]}\n", f);
	fclose(f);
	sac_tensor t[8];
	int64_t s_cw[4] = {3, 2, 3, 3}, s3[1] = {3}, s_fw[2] = {4, fc_cols}, s4[1] = {4};
	sac_err e = {0};
	ck_assert_int_eq(sac_tensor_alloc(&t[0], SAC_F32, 4, s_cw, &e), 0);
	ck_assert_int_eq(sac_tensor_alloc(&t[1], SAC_F32, 1, s3, &e), 0);
	for (int k = 2; k < 6; k++)
		ck_assert_int_eq(sac_tensor_alloc(&t[k], SAC_F32, 1, s3, &e), 0);
	ck_assert_int_eq(sac_tensor_alloc(&t[6], SAC_F32, 2, s_fw, &e), 0);
	ck_assert_int_eq(sac_tensor_alloc(&t[7], SAC_F32, 1, s4, &e), 0);
	float *w = t[0].data;
	for (int k = 0; k < 54; k++)
		w[k] = (float)sin(k * 1.7) * 0.5f;
	for (int k = 0; k < 3; k++) {
		((float *)t[1].data)[k] = 0.05f * k;
		((float *)t[2].data)[k] = 0.8f + 0.3f * k;   /* gamma */
		((float *)t[3].data)[k] = 0.1f - 0.05f * k;  /* beta */
		((float *)t[4].data)[k] = 0.02f * k;         /* mean */
		((float *)t[5].data)[k] = 0.7f + 0.2f * k;   /* var */
	}
	for (int k = 0; k < 4 * fc_cols; k++)
		((float *)t[6].data)[k] = (float)cos(k * 0.9);
	for (int k = 0; k < 4; k++)
		((float *)t[7].data)[k] = 0.1f * k - 0.1f;
	const char *names[8] = {"c.w", "c.b", "bn.g", "bn.b", "bn.m", "bn.v", "fc.w", "fc.b"};
	const sac_tensor *tp[8];
	for (int k = 0; k < 8; k++)
		tp[k] = &t[k];
	ck_assert_int_eq(sac_npz_write(wp, 8, names, tp, &e), 0);
	for (int k = 0; k < 8; k++)
		sac_tensor_free(&t[k]);
	/* calibration: 4 images */
	sac_tensor c;
	int64_t cs[4] = {4, 2, 6, 6};
	ck_assert_int_eq(sac_tensor_alloc(&c, SAC_F32, 4, cs, &e), 0);
	for (size_t k = 0; k < c.count; k++)
		((float *)c.data)[k] = (float)fabs(sin(k * 0.37));
	ck_assert_int_eq(sac_npy_write(cp, &c, &e), 0);
	sac_tensor_free(&c);
}

static sac_graph *small_model(const char *unused)
{
	(void)unused;
	char yp[512], wp[512];
	sac_err e = {0};
	write_small(3);
	snprintf(yp, sizeof yp, "%s/m.yaml", tmpdir);
	snprintf(wp, sizeof wp, "%s/w.npz", tmpdir);
	sac_graph *g = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &g, &e) == 0, "%s", e.msg);
	return g;
}

static void input_image(float *x, int n, double phase)
{
	for (int k = 0; k < n; k++)
		x[k] = (float)fabs(sin(k * 0.53 + phase));
}

START_TEST(test_fold_and_canonicalize_preserve_float)
{
	sac_graph *g = small_model(NULL);
	float x[72];
	input_image(x, 72, 0.3);
	sac_ref_out before, after;
	sac_err e = {0};
	ck_assert_int_eq(sac_ref_float(g, x, 0, &before, &e), 0);
	ck_assert_int_eq(sac_pass_fold_bn(g, &e), 0);
	ck_assert_int_eq(sac_graph_verify(g, &e), 0);
	ck_assert_int_eq(sac_pass_canonicalize(g, &e), 0);
	ck_assert_msg(sac_graph_verify(g, &e) == 0, "%s", e.msg);
	/* in, c(+relu), p, a(as conv), f, fc, o */
	ck_assert_int_eq(g->n, 7);
	ck_assert_int_eq(g->node[1].relu, 1);
	ck_assert_int_eq(g->node[3].op, SAC_OP_CONV2D);
	ck_assert_int_eq(g->node[3].groups, 3);
	ck_assert_int_eq(sac_ref_float(g, x, 0, &after, &e), 0);
	for (int k = 0; k < 4; k++)
		ck_assert_double_eq_tol(before.logits[k], after.logits[k], 1e-4);
	sac_ref_out_free(&before);
	sac_ref_out_free(&after);
	sac_graph_free(g);
}
END_TEST

START_TEST(test_ttfs_conversion_invariants)
{
	sac_graph *g = small_model(NULL);
	sac_compile_opts o;
	sac_compile_opts_init(&o);
	sac_err e = {0};
	ck_assert_msg(sac_compile(g, &o, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(g->stage, SAC_STAGE_TTFS);
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		if (nd->op != SAC_OP_CONV2D && nd->op != SAC_OP_LINEAR)
			continue;
		for (size_t k = 0; k < nd->nweight; k++)
			ck_assert(nd->wq[k] >= -127 && nd->wq[k] <= 127);
		for (int c = 0; c < nd->c; c++)
			ck_assert_int_ge(nd->ramp[c], 1);
	}
	/* windows: in 0, c 1, p 1, a 2, fc (readout) 3 */
	ck_assert_int_eq(g->node[0].window, 0);
	ck_assert_int_eq(g->node[1].window, 1);
	ck_assert_int_eq(g->node[2].window, 1);
	ck_assert_int_eq(g->node[3].window, 2);
	ck_assert_int_eq(g->node[5].window, 3);
	ck_assert_int_eq(g->node[1].steps, 16);
	/* int == ttfs on several inputs */
	for (int s = 0; s < 5; s++) {
		float x[72];
		input_image(x, 72, s * 1.1);
		sac_ref_out a, b;
		char diff[256];
		ck_assert_int_eq(sac_ref_int(g, x, &a, &e), 0);
		ck_assert_int_eq(sac_ref_ttfs(g, x, &b, &e), 0);
		ck_assert_msg(sac_ref_compare(g, &a, &b, diff, sizeof diff) == 0, "%s", diff);
		ck_assert_int_eq(a.steps, 48);
		sac_ref_out_free(&a);
		sac_ref_out_free(&b);
	}
	sac_graph_free(g);
}
END_TEST

START_TEST(test_save_load_roundtrip)
{
	sac_graph *g = small_model(NULL);
	sac_compile_opts o;
	sac_compile_opts_init(&o);
	o.per_layer = 1;
	o.steps = 9;
	sac_err e = {0};
	ck_assert_msg(sac_compile(g, &o, &e) == 0, "%s", e.msg);
	char yp[512], wp[512];
	snprintf(yp, sizeof yp, "%s/q.yaml", tmpdir);
	snprintf(wp, sizeof wp, "%s/q.npz", tmpdir);
	ck_assert_msg(sac_model_save(g, yp, wp, &e) == 0, "%s", e.msg);
	sac_graph *h = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &h, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(h->stage, SAC_STAGE_TTFS);
	ck_assert_int_eq(h->per_layer, 1);
	ck_assert_int_eq(h->n, g->n);
	float x[72];
	input_image(x, 72, 2.0);
	sac_ref_out a, b;
	char diff[256];
	ck_assert_int_eq(sac_ref_int(g, x, &a, &e), 0);
	ck_assert_msg(sac_ref_ttfs(h, x, &b, &e) == 0, "%s", e.msg);
	ck_assert_msg(sac_ref_compare(g, &a, &b, diff, sizeof diff) == 0, "%s", diff);
	for (int k = 0; k < a.nlogits; k++)
		ck_assert_double_eq_tol(a.logits[k], b.logits[k], 1e-9 * (1 + fabs(a.logits[k])));
	sac_ref_out_free(&a);
	sac_ref_out_free(&b);
	/* ref-float refuses an integer model */
	ck_assert_int_ne(sac_ref_float(h, x, 0, &a, &e), 0);
	sac_graph_free(g);
	sac_graph_free(h);
}
END_TEST

/* A hand-made integer model whose outputs are computed by hand:
 * input S=4 over 2 values, a linear spiking layer 2->2 and a readout. */
START_TEST(test_integer_equation_by_hand)
{
	char yp[512], wp[512];
	snprintf(yp, sizeof yp, "%s/h.yaml", tmpdir);
	snprintf(wp, sizeof wp, "%s/h.npz", tmpdir);
	FILE *f = fopen(yp, "w");
	fputs("saccade: 1\nquantized: ttfs\nquant: channel\ngamma: 0.5\nnodes:\n"
	      "  - {name: in, op: input, shape: [2, 1, 1], window: 0, steps: 4, act_scale: 0.25}\n"
	      "  - {name: f, op: flatten, inputs: [in], window: 0, steps: 4, act_scale: 0.25}\n"
	      "  - {name: l, op: linear, inputs: [f], out_features: 2, relu: true, window: 1, steps: 4,"
	      " act_scale: 1, weight: l.w, bias: l.b, ramp: l.r, weight_scale: l.s}\n"
	      "  - {name: ro, op: linear, inputs: [l], out_features: 2, window: 2, steps: 0,"
	      " act_scale: 1, weight: ro.w, bias: ro.b, ramp: ro.r, weight_scale: ro.s}\n"
	      "  - {name: o, op: output, inputs: [ro], window: 2}\n", f);
	fclose(f);
	sac_tensor t[8];
	int64_t s22[2] = {2, 2}, s2[1] = {2};
	sac_err e = {0};
	for (int k = 0; k < 8; k += 4) {
		sac_tensor_alloc(&t[k], SAC_I8, 2, s22, &e);
		sac_tensor_alloc(&t[k + 1], SAC_I32, 1, s2, &e);
		sac_tensor_alloc(&t[k + 2], SAC_I32, 1, s2, &e);
		sac_tensor_alloc(&t[k + 3], SAC_F32, 1, s2, &e);
	}
	int8_t lw[4] = {3, -1, 2, 2}, rw[4] = {1, 0, -1, 1};
	int32_t lb[2] = {1, -20}, lr[2] = {2, 3}, rb[2] = {5, 0}, rr[2] = {1, 1};
	memcpy(t[0].data, lw, 4);
	memcpy(t[1].data, lb, 8);
	memcpy(t[2].data, lr, 8);
	memcpy(t[4].data, rw, 4);
	memcpy(t[5].data, rb, 8);
	memcpy(t[6].data, rr, 8);
	for (int k = 0; k < 2; k++)
		((float *)t[3].data)[k] = ((float *)t[7].data)[k] = 1.0f;
	const char *names[8] = {"l.w", "l.b", "l.r", "l.s", "ro.w", "ro.b", "ro.r", "ro.s"};
	const sac_tensor *tp[8];
	for (int k = 0; k < 8; k++)
		tp[k] = &t[k];
	ck_assert_int_eq(sac_npz_write(wp, 8, names, tp, &e), 0);
	for (int k = 0; k < 8; k++)
		sac_tensor_free(&t[k]);
	sac_graph *g = NULL;
	ck_assert_msg(sac_model_load(yp, wp, &g, &e) == 0, "%s", e.msg);
	/* v = (0.75, 0.5) -> x = (3, 2).  l: a0 = 9-2+1 = 8 -> 8/2 = 4 (= S);
	 * a1 = 6+4-20 = -10 -> 0.  ro: 4*1 + 5 = 9; -4 + 0 = -4. */
	float x[2] = {0.75f, 0.5f};
	sac_ref_out a, b;
	ck_assert_msg(sac_ref_int(g, x, &a, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(a.ilogits[0], 9);
	ck_assert_int_eq(a.ilogits[1], -4);
	ck_assert_int_eq(a.cls, 0);
	/* input spikes at steps 4-3 = 1 and 4-2 = 2; l neuron 0 at step
	 * 4 + (4 - 4) = 4; neuron 1 silent. */
	ck_assert_int_eq(a.spike[0][0], 1);
	ck_assert_int_eq(a.spike[0][1], 2);
	ck_assert_int_eq(a.spike[2][0], 4);
	ck_assert_int_eq(a.spike[2][1], -1);
	ck_assert_int_eq(a.steps, 8);
	ck_assert_int_eq(sac_ref_ttfs(g, x, &b, &e), 0);
	char diff[256];
	ck_assert_msg(sac_ref_compare(g, &a, &b, diff, sizeof diff) == 0, "%s", diff);
	sac_ref_out_free(&a);
	sac_ref_out_free(&b);
	sac_graph_free(g);
}
END_TEST

START_TEST(test_input_encoding_and_checks)
{
	ck_assert_int_eq(sac_ref_encode_input(0.0f, 16), 0);
	ck_assert_int_eq(sac_ref_encode_input(1.0f, 16), 16);
	ck_assert_int_eq(sac_ref_encode_input(0.5f / 16, 16), 1);
	ck_assert_int_eq(sac_ref_encode_input(0.49f / 16, 16), 0);
	sac_graph *g = small_model(NULL);
	sac_tensor t;
	int64_t s[3] = {2, 6, 6}, bad[3] = {2, 6, 5};
	sac_err e = {0};
	const float *p;
	sac_tensor_alloc(&t, SAC_F32, 3, s, &e);
	ck_assert_int_eq(sac_ref_input(g, &t, -1, &p, &e), 0);
	((float *)t.data)[7] = 1.5f;
	ck_assert_int_eq(sac_ref_input(g, &t, -1, &p, &e), SAC_ERR_RANGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "outside [0, 1]"));
	sac_tensor_free(&t);
	sac_tensor_alloc(&t, SAC_F32, 3, bad, &e);
	sac_err_clear(&e);
	ck_assert_int_eq(sac_ref_input(g, &t, -1, &p, &e), SAC_ERR_SHAPE);
	ck_assert_ptr_nonnull(strstr(e.msg, "expects [2, 6, 6]"));
	sac_tensor_free(&t);
	sac_graph_free(g);
}
END_TEST

START_TEST(test_missing_and_misshaped_weights)
{
	char yp[512], wp[512];
	sac_err e = {0};
	sac_graph *g = NULL;
	snprintf(yp, sizeof yp, "%s/m.yaml", tmpdir);
	snprintf(wp, sizeof wp, "%s/w.npz", tmpdir);
	write_small(5);
	ck_assert_int_ne(sac_model_load(yp, wp, &g, &e), 0);
	ck_assert_ptr_null(g);
	ck_assert_msg(strstr(e.msg, "m.yaml:13:") && strstr(e.msg, "'fc.w'") &&
		      strstr(e.msg, "is float32[4,5], expected [4, 3]"), "%s", e.msg);
	/* A weights file lacking a member. */
	sac_tensor t;
	int64_t s[1] = {3};
	sac_err_clear(&e);
	sac_tensor_alloc(&t, SAC_F32, 1, s, &e);
	const char *names[1] = {"c.b"};
	const sac_tensor *tp[1] = {&t};
	ck_assert_int_eq(sac_npz_write(wp, 1, names, tp, &e), 0);
	sac_tensor_free(&t);
	ck_assert_int_ne(sac_model_load(yp, wp, &g, &e), 0);
	ck_assert_msg(strstr(e.msg, "m.yaml:6:") && strstr(e.msg, "no member 'c.w'"), "%s", e.msg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ir");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_yaml_errors_located);
	tcase_add_test(tc, test_shape_inference);
	tcase_add_test(tc, test_fold_and_canonicalize_preserve_float);
	tcase_add_test(tc, test_ttfs_conversion_invariants);
	tcase_add_test(tc, test_save_load_roundtrip);
	tcase_add_test(tc, test_integer_equation_by_hand);
	tcase_add_test(tc, test_input_encoding_and_checks);
	tcase_add_test(tc, test_missing_and_misshaped_weights);
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
