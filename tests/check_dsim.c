/* check_dsim.c: the dense unit, the lowering and the simulator against the
 * integer reference.
 *
 * The contract (docs/ISA.md): executing the lowered instruction streams
 * gives every node output of sac_dense_forward_intq bit for bit.  Tested
 * on small graphs of every operator (several tilings: one PE, a 2x2 and a
 * 4x4 mesh), on the reduced MCO-E head over several inputs, after an image
 * round trip; plus the unit model's encoding and its refusal of operands
 * outside the memories, located errors for images that are truncated or
 * corrupt and for models that do not fit. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saccade/dsim.h"
#include "saccade/image.h"
#include "saccade/noc.h"
#include "saccade/zoo.h"

static uint64_t rs = 0x9e3779b97f4a7c15ULL;

static double urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static float *rvec(size_t n, double sd, double mean)
{
	float *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		double u = urand() + 1e-12, v = urand();
		p[i] = (float)(mean + sd * sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
	}
	return p;
}

static void target_mesh(sac_target *t, int w, int h)
{
	sac_target_default(t);
	t->mesh_w = w;
	t->mesh_h = h;
}

/* Lower g (quantised) on t, run inputs qin on the simulator and on the
 * integer reference, compare every node that ran; also after an image
 * round trip (same outputs, same cycles and energy). */
static void sim_equals_ref(const sac_dense_graph *g, const sac_target *t,
			   const int32_t *const *qin, sac_dsim_stats *out)
{
	sac_err e = {0};
	sac_dprog *p = NULL, *p2 = NULL;
	ck_assert_msg(sac_dlower(g, t, &p, &e) == 0, "lower: %s", e.msg);
	sac_dense_exec x;
	ck_assert_int_eq(sac_dense_exec_init(g, &x, &e), 0);
	ck_assert_msg(sac_dense_forward_intq(g, &x, qin, &e) == 0, "%s", e.msg);
	void *img;
	size_t len;
	ck_assert_msg(sac_dprog_save_mem(p, "test", &img, &len, &e) == 0, "%s", e.msg);
	ck_assert_msg(sac_dprog_load_mem(img, len, "mem.sac", &p2, &e) == 0, "%s", e.msg);
	free(img);
	sac_dsim_stats st[2];
	for (int k = 0; k < 2; k++) {
		sac_dsim_trace tr;
		ck_assert_msg(sac_dsim_run(k ? p2 : p, qin, NULL, &st[k], &tr, &e) == 0,
			      "sim: %s", e.msg);
		const sac_dprog *pp = k ? p2 : p;
		int checked = 0;
		for (int i = 0; i < pp->ntensors; i++) {
			int n = pp->tensor[i].graph;
			if (n < 0)
				continue;
			ck_assert_msg(tr.ran[i] == x.ran[n], "node %s: ran %d vs ref %d",
				      pp->tensor[i].name, tr.ran[i], x.ran[n]);
			if (!x.ran[n])
				continue;
			int r, c;
			sac_dense_node_shape(g, n, &r, &c);
			for (int j = 0; j < r * c; j++)
				ck_assert_msg(tr.out[i][j] == x.q[n][j],
					      "node %s element %d: sim %d, ref %d",
					      pp->tensor[i].name, j, tr.out[i][j], x.q[n][j]);
			checked++;
		}
		ck_assert_int_gt(checked, 0);
		sac_dsim_trace_free(&tr);
	}
	ck_assert_int_eq(st[0].cycles, st[1].cycles);
	ck_assert(st[0].energy_pj == st[1].energy_pj);
	ck_assert_int_gt(st[0].cycles, 0);
	/* Flit-level timing never beats the analytic estimate here. */
	ck_assert_int_ge(st[0].cycles, st[0].analytic_cycles);
	ck_assert_int_gt(st[0].analytic_cycles, 0);
	ck_assert(st[0].energy_pj > 0);
	if (out)
		*out = st[0];
	sac_dense_exec_free(&x);
	sac_dprog_free(p);
	sac_dprog_free(p2);
}

/* ---- the unit model ------------------------------------------------------ */

START_TEST(test_unit_encoding)
{
	sac_dinstr in = {0}, back;
	in.op = SAC_DOP_MATMUL;
	in.bits = 16;
	in.flags = SAC_DF_W16;
	in.guard = 3;
	for (int i = 0; i < SAC_DUNIT_NOPS; i++)
		in.a[i] = 0x01020304u * (uint32_t)(i + 1);
	uint8_t b[SAC_DUNIT_IBYTES];
	sac_err e = {0};
	sac_dunit_encode(&in, b);
	ck_assert_int_eq(sac_dunit_decode(b, &back, &e), 0);
	ck_assert(!memcmp(&in, &back, sizeof in));
	b[0] = 200;
	ck_assert_int_eq(sac_dunit_decode(b, &back, &e), SAC_ERR_CORRUPT);
	ck_assert_str_eq(e.msg, "unknown dense opcode 200");
	b[0] = SAC_DOP_ADD;
	b[2] = 0x40;
	ck_assert_int_eq(sac_dunit_decode(b, &back, &e), SAC_ERR_CORRUPT);
	ck_assert_str_eq(sac_dunit_op_name(SAC_DOP_LUT), "lut");
	ck_assert(sac_dunit_op_system(SAC_DOP_RECV));
	ck_assert(!sac_dunit_op_system(SAC_DOP_MATMUL));
}
END_TEST

/* One matmul and one LUT by hand: values, cycles, and an operand outside
 * the data memory refused with the opcode named. */
START_TEST(test_unit_matmul_lut)
{
	int32_t d[64] = {0};
	uint8_t w[2048] = {0};
	sac_dunit_mem m = {d, 64, w, sizeof w};
	sac_dunit_cfg c = {8, 8, 3, 32};
	sac_dunit_counts k = {0};
	sac_err e = {0};
	/* y = sat(rq(b + w . x, m)): 2 rows x 3 inputs -> 2 outputs. */
	int32_t x[6] = {1, -2, 3, 100, 50, -20};
	memcpy(d, x, sizeof x);
	sac_dense_mult mu = {1 << 30, 31}; /* x 0.5 */
	for (int o = 0; o < 2; o++) {
		sac_dunit_put_i32(w + 8 * o, mu.m);
		sac_dunit_put_i32(w + 8 * o + 4, mu.sh);
		sac_dunit_put_i64(w + 16 + 8 * o, o ? -5 : 7);
	}
	int8_t wt[6] = {1, 2, 3, -1, 0, 1};
	memcpy(w + 32, wt, 6);
	sac_dinstr in = {0};
	in.op = SAC_DOP_MATMUL;
	in.bits = 8;
	in.guard = -1;
	uint32_t a[] = {0, 2, 3, 10, 2, 0};
	memcpy(in.a, a, sizeof a);
	ck_assert_msg(sac_dunit_exec(&c, &m, &in, &k, &e) == 0, "%s", e.msg);
	for (int t = 0; t < 2; t++)
		for (int o = 0; o < 2; o++) {
			int64_t acc = o ? -5 : 7;
			for (int j = 0; j < 3; j++)
				acc += wt[o * 3 + j] * x[t * 3 + j];
			ck_assert_int_eq(d[10 + t * 2 + o],
					 sac_dense_sat(sac_dense_rq(acc, mu), 8));
		}
	/* rows (ceil(n/L) K + ceil(n/V)) + p = 2 (3 + 1) + 3 */
	ck_assert_int_eq(k.cycles, 11);
	ck_assert_int_eq(sac_dunit_cycles(&c, &in), 11);
	ck_assert_int_eq(k.macs, 12);
	/* LUT of 8-bit inputs. */
	for (int i = 0; i < 256; i++)
		sac_dunit_put_i32(w + 1024 + 4 * i, i - 128 + 1000);
	sac_dinstr l = {0};
	l.op = SAC_DOP_LUT;
	l.bits = 16;
	l.guard = -1;
	uint32_t b[] = {0, 20, 6, 1024};
	memcpy(l.a, b, sizeof b);
	ck_assert_msg(sac_dunit_exec(&c, &m, &l, &k, &e) == 0, "%s", e.msg);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(d[20 + i], sac_dense_sat(x[i], 8) + 1000);
	/* Out of the data memory. */
	l.a[1] = 60;
	ck_assert_int_eq(sac_dunit_exec(&c, &m, &l, &k, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "lut: operand Y") != NULL, "%s", e.msg);
	l.a[1] = 20;
	l.a[3] = 2000;
	e = (sac_err){0};
	ck_assert_int_eq(sac_dunit_exec(&c, &m, &l, &k, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "outside the weight memory") != NULL, "%s", e.msg);
	/* A matmul with rows but no outputs is a corrupt instruction. */
	in.a[4] = 0;
	e = (sac_err){0};
	ck_assert_int_eq(sac_dunit_exec(&c, &m, &in, &k, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "no output columns") != NULL, "%s", e.msg);
	in.op = SAC_DOP_RECV;
	e = (sac_err){0};
	ck_assert_int_eq(sac_dunit_exec(&c, &m, &in, &k, &e), SAC_ERR_USAGE);
}
END_TEST

/* ---- every operator ------------------------------------------------------ */

typedef struct og {
	sac_dense_graph *g;
	int nin, rows[8], cols[8];
	double lo[8], hi[8];
	float *p[64];
	int np;
} og;

static int add_node(og *o, sac_dense_desc *d)
{
	sac_err e = {0};
	if (!d->expert)
		d->expert = -1;
	int id = sac_dense_add(o->g, d, &e);
	ck_assert_msg(id >= 0, "%s", e.msg);
	return id;
}

static int inp(og *o, int r, int c, double lo, double hi)
{
	char nm[16];
	snprintf(nm, sizeof nm, "in%d", o->nin);
	sac_dense_desc d = {0};
	d.name = nm;
	d.op = SAC_DENSE_INPUT;
	d.rows = r;
	d.cols = c;
	o->rows[o->nin] = r;
	o->cols[o->nin] = c;
	o->lo[o->nin] = lo;
	o->hi[o->nin] = hi;
	o->nin++;
	return add_node(o, &d);
}

static const float *P(og *o, size_t n, double sd, double mean)
{
	return o->p[o->np++] = rvec(n, sd, mean);
}

/* Calibrate on random inputs, quantise, and compare on a few more on
 * three meshes. */
static void check_graph(og *o)
{
	sac_err e = {0};
	sac_dense_exec xf;
	ck_assert_int_eq(sac_dense_exec_init(o->g, &xf, &e), 0);
	double *in[8] = {0};
	for (int i = 0; i < o->nin; i++)
		in[i] = malloc(sizeof(double) * (size_t)o->rows[i] * o->cols[i]);
	for (int rep = 0; rep < 4; rep++) {
		for (int i = 0; i < o->nin; i++)
			for (int k = 0; k < o->rows[i] * o->cols[i]; k++)
				in[i][k] = o->lo[i] + (o->hi[i] - o->lo[i]) * urand();
		ck_assert_int_eq(sac_dense_forward_float(o->g, &xf, (const double *const *)in, 1, &e), 0);
	}
	ck_assert_msg(sac_dense_quantize(o->g, NULL, &e) == 0, "%s", e.msg);
	int32_t *q[8] = {0};
	for (int i = 0; i < o->nin; i++)
		q[i] = malloc(sizeof(int32_t) * (size_t)o->rows[i] * o->cols[i]);
	static const int mesh[3][2] = {{1, 1}, {2, 2}, {4, 4}};
	for (int m = 0; m < 3; m++) {
		sac_target t;
		target_mesh(&t, mesh[m][0], mesh[m][1]);
		for (int i = 0; i < o->nin; i++)
			for (int k = 0; k < o->rows[i] * o->cols[i]; k++) {
				double s = sac_dense_node_scale(o->g, i);
				double v = (o->lo[i] + (o->hi[i] - o->lo[i]) * urand()) / s;
				q[i][k] = (int32_t)lround(v);
			}
		sim_equals_ref(o->g, &t, (const int32_t *const *)q, NULL);
	}
	for (int i = 0; i < o->nin; i++) {
		free(in[i]);
		free(q[i]);
	}
	for (int i = 0; i < o->np; i++)
		free(o->p[i]);
	sac_dense_exec_free(&xf);
	sac_dense_graph_free(o->g);
}

static og new_og(void)
{
	og o;
	memset(&o, 0, sizeof o);
	o.g = sac_dense_graph_new();
	return o;
}

START_TEST(test_op_linear_conv)
{
	og o = new_og();
	int a = inp(&o, 40, 8, -2, 2);
	sac_dense_desc d = {0};
	d.name = "lin"; d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = a; d.n = 6;
	d.p[0] = P(&o, 48, 0.4, 0); d.p[1] = P(&o, 6, 0.1, 0);
	int l = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "lin16"; d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = l; d.n = 5; d.bits = 16;
	d.p[0] = P(&o, 30, 0.4, 0); d.p[1] = P(&o, 5, 0.1, 0);
	int l2 = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "conv"; d.op = SAC_DENSE_CONV1D; d.nin = 1; d.in[0] = l2; d.n = 7; d.kernel = 3;
	d.p[0] = P(&o, 7 * 5 * 3, 0.3, 0); d.p[1] = P(&o, 7, 0.1, 0);
	int c = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "dw"; d.op = SAC_DENSE_DWCONV1D; d.nin = 1; d.in[0] = c; d.kernel = 3;
	d.p[0] = P(&o, 21, 0.5, 0); d.p[1] = P(&o, 7, 0.1, 0);
	int w = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "dwc"; d.op = SAC_DENSE_DWCONV1D_CAUSAL; d.nin = 1; d.in[0] = w; d.kernel = 4;
	d.p[0] = P(&o, 28, 0.5, 0); d.p[1] = P(&o, 7, 0.1, 0);
	int w2 = add_node(&o, &d);
	d.name = "dwr"; d.reverse = 1; d.in[0] = w2;
	d.p[0] = P(&o, 28, 0.5, 0); d.p[1] = P(&o, 7, 0.1, 0);
	int w3 = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "flat"; d.op = SAC_DENSE_RESHAPE; d.nin = 1; d.in[0] = w3; d.n = 1;
	int f = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "fc"; d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = f; d.n = 9;
	d.p[0] = P(&o, 9 * 280, 0.05, 0); d.p[1] = P(&o, 9, 0.1, 0);
	add_node(&o, &d);
	check_graph(&o);
}
END_TEST

START_TEST(test_op_elementwise)
{
	og o = new_og();
	int a = inp(&o, 36, 8, -2, 2), b = inp(&o, 36, 8, -1, 3);
	sac_dense_desc d = {0};
	d.name = "add"; d.op = SAC_DENSE_ADD; d.nin = 2; d.in[0] = a; d.in[1] = b;
	d.coef[0] = 1; d.coef[1] = 0.3;
	int s = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "mul"; d.op = SAC_DENSE_MUL; d.nin = 2; d.in[0] = s; d.in[1] = b;
	int m = add_node(&o, &d);
	static const sac_dense_op luts[] = {SAC_DENSE_SOFTPLUS, SAC_DENSE_EXP,
		SAC_DENSE_SIGMOID, SAC_DENSE_SILU, SAC_DENSE_GELU};
	int x = m;
	for (int i = 0; i < 5; i++) {
		char nm[16];
		snprintf(nm, sizeof nm, "lut%d", i);
		d = (sac_dense_desc){0};
		d.name = nm; d.op = luts[i]; d.nin = 1; d.in[0] = i == 2 ? m : x;
		d.bits = i % 2 ? 16 : 0; /* int16 outputs feed interpolated tables */
		x = add_node(&o, &d);
	}
	d = (sac_dense_desc){0};
	d.name = "ln"; d.op = SAC_DENSE_LAYERNORM; d.nin = 1; d.in[0] = x;
	d.p[0] = P(&o, 8, 0.1, 1); d.p[1] = P(&o, 8, 0.1, 0);
	int ln = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "sm"; d.op = SAC_DENSE_SOFTMAX; d.nin = 1; d.in[0] = ln;
	add_node(&o, &d);
	check_graph(&o);
}
END_TEST

START_TEST(test_op_scan_mjos)
{
	og o = new_og();
	int x = inp(&o, 70, 8, -2, 2), dt = inp(&o, 70, 8, -6, 1);
	int B = inp(&o, 70, 16, -2, 2), C = inp(&o, 70, 16, -2, 2);
	sac_dense_desc d = {0};
	d.name = "delta"; d.op = SAC_DENSE_SOFTPLUS; d.nin = 1; d.in[0] = dt; d.bits = 16;
	int dl = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "mjos"; d.op = SAC_DENSE_MJOS; d.nin = 2; d.in[0] = B; d.in[1] = C;
	d.p[0] = P(&o, 16 * 32, 0.2, 0); d.p[1] = P(&o, 16, 0.1, 0);
	int mj = add_node(&o, &d);
	float *A = malloc(sizeof(float) * 128);
	for (int i = 0; i < 128; i++)
		A[i] = (float)-(i % 16 + 1);
	o.p[o.np++] = A;
	for (int r = 0; r < 2; r++) {
		d = (sac_dense_desc){0};
		d.name = r ? "scan_bwd" : "scan_fwd"; d.op = SAC_DENSE_SCAN; d.nin = 4;
		d.in[0] = x; d.in[1] = dl; d.in[2] = mj; d.in[3] = C; d.reverse = r;
		d.p[0] = A; d.p[1] = P(&o, 8, 0.2, 1);
		x = add_node(&o, &d);
	}
	check_graph(&o);
}
END_TEST

START_TEST(test_op_mha_gate_mix)
{
	og o = new_og();
	int a = inp(&o, 40, 8, -2, 2), b = inp(&o, 24, 8, -2, 2);
	int c = inp(&o, 40, 8, -1, 1);
	sac_dense_desc d = {0};
	d.name = "mha"; d.op = SAC_DENSE_MHA; d.nin = 2; d.in[0] = a; d.in[1] = b; d.heads = 2;
	for (int j = 0; j < 8; j++)
		d.p[j] = P(&o, j % 2 ? 8 : 64, j % 2 ? 0.1 : 0.35, 0);
	int m = add_node(&o, &d);
	d.name = "mha16"; d.bits = 16; d.in[1] = a;
	for (int j = 0; j < 8; j++)
		d.p[j] = P(&o, j % 2 ? 8 : 64, j % 2 ? 0.1 : 0.35, 0);
	int m16 = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "gate"; d.op = SAC_DENSE_GATE; d.nin = 2; d.in[0] = m16; d.in[1] = c;
	int g = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "mix"; d.op = SAC_DENSE_MIX; d.nin = 3; d.in[0] = g; d.in[1] = m; d.in[2] = c;
	add_node(&o, &d);
	check_graph(&o);
}
END_TEST

START_TEST(test_op_topk_moe)
{
	og o = new_og();
	int a = inp(&o, 1, 12, -2, 2);
	sac_dense_desc d = {0};
	d.name = "p"; d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = a; d.n = 4;
	d.p[0] = P(&o, 48, 1.5, 0); d.p[1] = P(&o, 4, 0.1, 0);
	int l = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "sm"; d.op = SAC_DENSE_SOFTMAX; d.nin = 1; d.in[0] = l;
	int s = add_node(&o, &d);
	d = (sac_dense_desc){0};
	d.name = "topk"; d.op = SAC_DENSE_TOPK; d.nin = 1; d.in[0] = s; d.n = 2;
	int tk = add_node(&o, &d);
	int ex[4];
	for (int e = 0; e < 4; e++) {
		char nm[16];
		snprintf(nm, sizeof nm, "expert%d", e);
		d = (sac_dense_desc){0};
		d.name = nm; d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = a; d.n = 5;
		d.expert = e == 0 ? -1 : e; /* add_node maps 0 to -1 */
		d.p[0] = P(&o, 60, 0.4, 0); d.p[1] = P(&o, 5, 0.1, 0);
		if (e == 0) {
			sac_err er = {0};
			d.expert = 0;
			ex[e] = sac_dense_add(o.g, &d, &er);
			ck_assert_msg(ex[e] >= 0, "%s", er.msg);
		} else {
			ex[e] = add_node(&o, &d);
		}
	}
	d = (sac_dense_desc){0};
	d.name = "logits"; d.op = SAC_DENSE_MOE_SUM; d.nin = 5; d.in[0] = tk;
	for (int e = 0; e < 4; e++)
		d.in[1 + e] = ex[e];
	add_node(&o, &d);
	check_graph(&o);
}
END_TEST

/* ---- flit-level timing on hand-written programs ------------------------------ */

/* A program with no tensors to speak of: nph phases (phase i in block i),
 * every PE ending every phase with its SYNC; instructions are added with
 * hand_ins before hand_syncs closes a phase. */
static sac_dprog *hand_prog(int w, int h, int nph, uint64_t dram_len)
{
	sac_dprog *p = calloc(1, sizeof *p);
	ck_assert_ptr_nonnull(p);
	target_mesh(&p->t, w, h);
	p->npe = w * h;
	p->dwords = 2u * (uint32_t)p->t.pe.neurons;
	p->wbytes = (uint32_t)p->t.pe.weight_bytes;
	p->ntensors = 1;
	p->tensor = calloc(1, sizeof *p->tensor);
	p->tensor[0] = (sac_dtensor){.name = "t", .op = -1, .graph = -1, .rows = 1,
				     .cols = 1, .bits = 32, .expert = -1, .alias = -1};
	p->tile = calloc(1, sizeof *p->tile);
	p->nphases = p->nblocks = nph;
	p->phase = calloc((size_t)nph, sizeof *p->phase);
	for (int i = 0; i < nph; i++) {
		p->phase[i] = (sac_dphase){0, -1, i};
		snprintf(p->block_name[i], sizeof p->block_name[i], "b%d", i);
	}
	p->ncode = calloc((size_t)p->npe, sizeof *p->ncode);
	p->code = calloc((size_t)p->npe, sizeof *p->code);
	for (int q = 0; q < p->npe; q++)
		p->code[q] = calloc(16, sizeof(sac_dinstr));
	p->dram = calloc(dram_len, 1);
	p->dram_len = dram_len;
	return p;
}

static void hand_ins(sac_dprog *p, int q, int op, uint32_t a0, uint32_t a1,
		     uint32_t a2, uint32_t a3, uint32_t a4)
{
	ck_assert_uint_lt(p->ncode[q], 16);
	sac_dinstr *in = &p->code[q][p->ncode[q]++];
	*in = (sac_dinstr){.op = (uint8_t)op, .guard = -1, .a = {a0, a1, a2, a3, a4}};
}

static void hand_syncs(sac_dprog *p, int ph)
{
	for (int q = 0; q < p->npe; q++)
		hand_ins(p, q, SAC_DOP_SYNC, (uint32_t)ph, 0, 0, 0, 0);
}

static sac_dsim_stats hand_run(const sac_dprog *p)
{
	sac_dsim_stats st, again;
	sac_err e = {0};
	ck_assert_msg(sac_dsim_run(p, NULL, NULL, &st, NULL, &e) == 0, "%s", e.msg);
	/* Deterministic. */
	ck_assert_msg(sac_dsim_run(p, NULL, NULL, &again, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.cycles, again.cycles);
	ck_assert_int_eq(st.gather_cycles, again.gather_cycles);
	ck_assert(st.energy_pj == again.energy_pj);
	ck_assert_int_ge(st.cycles, st.analytic_cycles);
	return st;
}

/* docs/ISA.md, "Phases, data movement and weight streaming": one packet on
 * an idle mesh takes its zero-load latency plus the cycle its receiver
 * takes it out of the ejection queue; a weight block waits for the DRAM
 * (dram_latency, then its bytes at dram_bytes_per_cycle) before the port
 * offers it; a block two PEs load is read once. */
START_TEST(test_flit_idle_mesh)
{
	/* PE 15 = (3,3) receives 100 int8 words from PE 0: 14 flits. */
	sac_dprog *p = hand_prog(4, 4, 1, 8);
	hand_ins(p, 15, SAC_DOP_RECV, 0, 0, 0, 100, 1);
	hand_syncs(p, 0);
	sac_dsim_stats st = hand_run(p);
	int64_t L = sac_noc_zero_load_latency(&p->t, 0, 15, 14);
	ck_assert_int_eq(L, 7 * 4 + 6 + 13);
	ck_assert_int_eq(st.gather_cycles, L + 1);
	ck_assert_int_eq(st.cycles, L + 1 + p->t.noc.sync_delay);
	ck_assert_int_eq(st.flits, 14);
	ck_assert_int_eq(st.link_flits, 14 * 6);
	ck_assert_int_eq(st.stream_cycles, 0);
	sac_dprog_free(p);

	/* PE 5 = (1,1) loads 1000 bytes: 126 flits, ready after 6 + 125. */
	p = hand_prog(4, 4, 1, 1000);
	hand_ins(p, 5, SAC_DOP_WLOAD, 0, 0, 0, 1000, 0);
	hand_syncs(p, 0);
	st = hand_run(p);
	int64_t ready = p->t.dense.dram_latency + 1000 / p->t.dense.dram_bytes_per_cycle;
	L = sac_noc_zero_load_latency(&p->t, 0, 5, 126);
	ck_assert_int_eq(st.stream_cycles, ready + L + 1);
	ck_assert_int_eq(st.stall_cycles, ready + L + 1);
	ck_assert_int_eq(st.cycles, ready + L + 1 + p->t.noc.sync_delay);
	ck_assert_int_eq(st.dram_bytes, 1000);
	sac_dprog_free(p);

	/* PEs 5 and 6 load the same block: read once, sent twice through
	 * node 0's one local port, so the second tail lands at least a
	 * packet's flits later. */
	p = hand_prog(4, 4, 1, 1000);
	hand_ins(p, 5, SAC_DOP_WLOAD, 0, 0, 0, 1000, 0);
	hand_ins(p, 6, SAC_DOP_WLOAD, 0, 0, 0, 1000, 0);
	hand_syncs(p, 0);
	st = hand_run(p);
	ck_assert_int_eq(st.dram_bytes, 1000);
	ck_assert_int_ge(st.stream_cycles,
			 ready + 126 + sac_noc_zero_load_latency(&p->t, 0, 6, 126) + 1);
	sac_dprog_free(p);
}
END_TEST

/* Phase 1's weights stream while phase 0 gathers (double buffering) and
 * share the network with it: a block for PE 3 runs over the links
 * (1,0)->(2,0)->(3,0) that phase 0's tile from PE 1 to PE 3 uses, and
 * slows it; the same block for PE 12 (down column 0) does not. */
static sac_dprog *contention_prog(int wdst)
{
	sac_dprog *p = hand_prog(4, 4, 2, 8000);
	p->t.dense.dram_bytes_per_cycle = 64;
	hand_ins(p, 3, SAC_DOP_RECV, 0, 1, 0, 8000, 1); /* 1001 flits */
	hand_syncs(p, 0);
	hand_ins(p, wdst, SAC_DOP_WLOAD, 0, 0, 0, 8000, 0); /* 1001 flits */
	hand_syncs(p, 1);
	return p;
}

START_TEST(test_flit_stream_contention)
{
	sac_dprog *a = contention_prog(12), *b = contention_prog(3);
	sac_dsim_stats sa = hand_run(a), sb = hand_run(b);
	/* Apart: the tile alone on its path, the block ready after 6 + 125
	 * cycles and alone on its path. */
	int64_t L = sac_noc_zero_load_latency(&a->t, 1, 3, 1001);
	ck_assert_int_eq(sa.gather_cycles, L + 1);
	ck_assert_int_eq(sa.block[0].cycles, L + 1 + a->t.noc.sync_delay);
	ck_assert_int_eq(sa.stream_cycles,
			 6 + 125 + sac_noc_zero_load_latency(&a->t, 0, 12, 1001) + 1);
	/* Sharing links: both slower; the analytic estimate sees neither. */
	ck_assert_int_gt(sb.gather_cycles, sa.gather_cycles + 100);
	ck_assert_int_gt(sb.stream_cycles, sa.stream_cycles + 100);
	ck_assert_int_gt(sb.cycles, sa.cycles);
	ck_assert_int_eq(sb.analytic_cycles, sa.analytic_cycles);
	/* The same flits and hops (3 from node 0 to PE 12 or PE 3). */
	ck_assert_int_eq(sa.flits, sb.flits);
	ck_assert_int_eq(sa.link_flits, 1001 * (2 + 3));
	ck_assert_int_eq(sb.link_flits, 1001 * (2 + 3));
	sac_dprog_free(a);
	sac_dprog_free(b);
}
END_TEST

/* ---- the reduced MCO-E head -------------------------------------------------- */

/* Sample i of the zoo's head (seed), quantised as the lowered program's
 * inputs into q (both modalities); buf and in are scratch of its size. */
static void sample_qin(const sac_dense_graph *g, const sac_target *t,
		       const sac_mcoe_dims *D, uint64_t seed, int i, float *buf,
		       double *in, int32_t *q)
{
	size_t per = (size_t)2 * D->tokens * D->d_model;
	sac_err e = {0};
	sac_dprog *p;
	sac_zoo_mcoe_input(D->tokens, D->d_model, seed, i, 0, buf);
	for (size_t k = 0; k < per; k++)
		in[k] = buf[k];
	const double *pin[2] = {in, in + per / 2};
	int32_t *qq[2] = {q, q + per / 2};
	ck_assert_msg(sac_dlower(g, t, &p, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(sac_dsim_quantize_inputs(p, pin, qq, &e), 0);
	sac_dprog_free(p);
}

START_TEST(test_head_small)
{
	char dir[] = "/tmp/sac_check_dsim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sac_zoo_mcoe_opts zo;
	sac_zoo_mcoe_opts_init(&zo);
	zo.small = 1;
	zo.ncalib = 8;
	zo.nsample = 4;
	sac_err e = {0};
	ck_assert_msg(sac_zoo_mcoe(&zo, dir, &e) == 0, "%s", e.msg);
	sac_mcoe *m = NULL;
	ck_assert_msg(sac_mcoe_load(dir, &m, &e) == 0, "%s", e.msg);
	sac_dense_graph *g = sac_mcoe_graph(m);
	const sac_mcoe_dims *D = sac_mcoe_get_dims(m);
	size_t per = (size_t)2 * D->tokens * D->d_model;
	float *buf = malloc(per * sizeof(float));
	double *in = malloc(per * sizeof(double));
	int32_t *q = malloc(per * sizeof(int32_t));
	sac_dense_exec xf;
	ck_assert_int_eq(sac_dense_exec_init(g, &xf, &e), 0);
	const double *pin[2] = {in, in + per / 2};
	for (int i = 0; i < zo.ncalib; i++) {
		sac_zoo_mcoe_input(D->tokens, D->d_model, zo.seed, i, 1, buf);
		for (size_t k = 0; k < per; k++)
			in[k] = buf[k];
		ck_assert_int_eq(sac_dense_forward_float(g, &xf, pin, 1, &e), 0);
	}
	ck_assert_msg(sac_dense_quantize(g, NULL, &e) == 0, "%s", e.msg);
	sac_target t;
	sac_target_default(&t);
	for (int i = 0; i < zo.nsample; i++) {
		sample_qin(g, &t, D, zo.seed, i, buf, in, q);
		const int32_t *qi[2] = {q, q + per / 2};
		sac_dsim_stats st;
		if (i == 2)
			target_mesh(&t, 4, 4);
		sim_equals_ref(g, &t, qi, &st);
		ck_assert_int_gt(st.phases_skipped, 0); /* unchosen experts */
		if (i == 0) {
			/* The analytic estimate against the flit-level timing
			 * (docs/RESULTS.md): the same values and energy but the
			 * leakage, a lower latency. */
			sac_dprog *p;
			sac_dsim_stats sa;
			ck_assert_msg(sac_dlower(g, &t, &p, &e) == 0, "%s", e.msg);
			ck_assert_msg(sac_dsim_run_analytic(p, qi, NULL, &sa, NULL, &e) == 0, "%s", e.msg);
			ck_assert_int_eq(sa.cycles, sa.analytic_cycles);
			ck_assert_int_eq(sa.analytic_cycles, st.analytic_cycles);
			ck_assert_int_ge(st.cycles, sa.cycles);
			ck_assert_int_le(st.cycles, 2 * sa.cycles);
			ck_assert_int_ge(st.gather_cycles, sa.gather_cycles);
			ck_assert(sa.pj[SAC_DE_NOC] == st.pj[SAC_DE_NOC]);
			ck_assert_int_eq(sa.link_flits, st.link_flits);
			sac_dprog_free(p);
		}
	}
	/* The int16 mode (int16 weights and activations everywhere, W16 and
	 * IN16 instructions) on the 4 x 4 mesh. */
	sac_dense_qopts qo;
	sac_dense_qopts_init(&qo);
	qo.wide_from = 0;
	qo.wide_act_from = 0;
	ck_assert_msg(sac_dense_quantize(g, &qo, &e) == 0, "%s", e.msg);
	for (int i = 0; i < 2; i++) {
		sample_qin(g, &t, D, zo.seed, i, buf, in, q);
		const int32_t *qi[2] = {q, q + per / 2};
		sim_equals_ref(g, &t, qi, NULL);
	}
	sac_dense_exec_free(&xf);
	free(buf);
	free(in);
	free(q);
	sac_mcoe_free(m);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- errors ------------------------------------------------------------------ */

static sac_dense_graph *big_linear(void)
{
	og o = new_og();
	int a = inp(&o, 1, 600, -1, 1);
	sac_dense_desc d = {0};
	d.name = "big.fc"; d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = a; d.n = 4;
	d.p[0] = P(&o, 2400, 0.05, 0);
	add_node(&o, &d);
	sac_err e = {0};
	sac_dense_exec xf;
	ck_assert_int_eq(sac_dense_exec_init(o.g, &xf, &e), 0);
	double *x = malloc(600 * sizeof(double));
	for (int k = 0; k < 600; k++)
		x[k] = urand() * 2 - 1;
	const double *px[1] = {x};
	ck_assert_int_eq(sac_dense_forward_float(o.g, &xf, px, 1, &e), 0);
	ck_assert_int_eq(sac_dense_quantize(o.g, NULL, &e), 0);
	sac_dense_exec_free(&xf);
	free(x);
	for (int i = 0; i < o.np; i++)
		free(o.p[i]);
	return o.g;
}

START_TEST(test_does_not_fit)
{
	sac_dense_graph *g = big_linear();
	sac_target t;
	target_mesh(&t, 2, 2);
	t.pe.weight_bytes = 1024; /* a column needs 616 bytes, a half holds 512 */
	sac_dprog *p = NULL;
	sac_err e = {0};
	ck_assert_int_eq(sac_dlower(g, &t, &p, &e), SAC_ERR_CAPACITY);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(e.msg, "node 'big.fc': one output column needs 616 bytes of "
			 "parameters (600 inputs x 1 taps x 1-byte weights + multiplier "
			 "and bias), but half a PE's weight SRAM holds 512");
	target_mesh(&t, 2, 2);
	e = (sac_err){0};
	t.pe.neurons = 200; /* 400 words: the 600 inputs do not fit */
	ck_assert_int_eq(sac_dlower(g, &t, &p, &e), SAC_ERR_CAPACITY);
	ck_assert_msg(strstr(e.msg, "node 'in0': its output tile needs") ||
		      strstr(e.msg, "node 'big.fc': an input tile needs 600 words"),
		      "%s", e.msg);
	sac_dense_graph_free(g);
}
END_TEST

START_TEST(test_bad_images)
{
	sac_dense_graph *g = big_linear();
	sac_target t;
	target_mesh(&t, 2, 2);
	sac_dprog *p = NULL, *p2 = NULL;
	sac_err e = {0};
	ck_assert_int_eq(sac_dlower(g, &t, &p, &e), 0);
	void *img;
	size_t len;
	ck_assert_int_eq(sac_dprog_save_mem(p, "big", &img, &len, &e), 0);
	/* Truncated. */
	ck_assert_int_ne(sac_dprog_load_mem(img, len - 7, "t.sac", &p2, &e), 0);
	ck_assert_ptr_null(p2);
	ck_assert_msg(strncmp(e.msg, "t.sac", 5) == 0, "%s", e.msg);
	/* One byte flipped in the last section: its CRC. */
	unsigned char *c = img;
	c[len - 3] ^= 0x55;
	e = (sac_err){0};
	ck_assert_int_eq(sac_dprog_load_mem(img, len, "c.sac", &p2, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strncmp(e.msg, "c.sac", 5) == 0, "%s", e.msg);
	free(img);
	/* A TTFS-style image without the dense sections. */
	sac_image *im = sac_image_new();
	ck_assert_int_eq(sac_image_add(im, SAC_SEC_META, "x=1\n", 4, &e), 0);
	ck_assert_int_eq(sac_image_write_mem(im, &img, &len, &e), 0);
	e = (sac_err){0};
	ck_assert_int_ne(sac_dprog_load_mem(img, len, "n.sac", &p2, &e), 0);
	ck_assert_str_eq(e.msg, "n.sac: no section 'dprog': not a dense image");
	free(img);
	sac_image_free(im);
	sac_dprog_free(p);
	sac_dense_graph_free(g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dsim");
	TCase *tc = tcase_create("dsim");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unit_encoding);
	tcase_add_test(tc, test_unit_matmul_lut);
	tcase_add_test(tc, test_op_linear_conv);
	tcase_add_test(tc, test_op_elementwise);
	tcase_add_test(tc, test_op_scan_mjos);
	tcase_add_test(tc, test_op_mha_gate_mix);
	tcase_add_test(tc, test_op_topk_moe);
	tcase_add_test(tc, test_flit_idle_mesh);
	tcase_add_test(tc, test_flit_stream_contention);
	tcase_add_test(tc, test_head_small);
	tcase_add_test(tc, test_does_not_fit);
	tcase_add_test(tc, test_bad_images);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
