/* dense.h: dense integer operators, for the layers that cannot become
 * spikes (MCO-E's selective scans, attention, gates, layer norm, softmax,
 * top-k routing), with a float and a bit-exact integer reference each.
 *
 * Tensors are 2-D [rows, cols] = [tokens, features], batch 1, row-major,
 * so a reshape is free.  A graph is a list of nodes in topological order
 * (inputs first); the float executor runs it in double, records the
 * calibration ranges, and the quantiser turns the ranges into integer
 * parameters (int8 weights, int32 biases, fixed-point multipliers,
 * lookup tables); the integer executor is then exact integer arithmetic
 * and defines the bits the simulator must reproduce.  docs/MCOE.md gives
 * every integer algorithm.  Integer tensors are held in int32_t arrays
 * whatever their declared type (int8, int16 Q14, int32); the declared type
 * bounds the values.  Nothing here prints, exits or holds global state. */
#ifndef SACCADE_DENSE_H
#define SACCADE_DENSE_H

#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output shape rules of the operator table. */
typedef enum sac_dense_shape {
	SAC_DSHAPE_SAME,  /* as input 0 */
	SAC_DSHAPE_COLS,  /* [rows of input 0, attribute n] */
	SAC_DSHAPE_ROW1,  /* [rows of input 0, 1] */
	SAC_DSHAPE_LAST,  /* as the last input */
	SAC_DSHAPE_TOPK,  /* [1, 2k]: k indices then k weights */
	SAC_DSHAPE_RESHAPE, /* [attribute n rows, count / n] */
	SAC_DSHAPE_MOE,   /* as input 1 (the first expert output) */
	SAC_DSHAPE_INPUT  /* declared */
} sac_dense_shape;

/* The operators: X(ID, name, inputs (-1: variable), output shape rule,
 * output type).  Parameters per op (float, copied into the graph):
 *   linear          w [n, K], b [n] (optional)
 *   conv1d          w [n, K, kernel], b [n]; "same" zero padding over rows
 *   dwconv1d(_causal) w [cols, kernel], b [cols]; causal: taps on rows
 *                   t-kernel+1..t (reverse: t..t+kernel-1)
 *   layernorm       gamma [cols], beta [cols], attribute eps
 *   selective_scan  inputs x [T,D], delta [T,D], B [T,N], C [T,N];
 *                   A [D, N] (negative), Dskip [D]; attribute reverse
 *   mjos            inputs A, B [T,N]; w [N, 2N], b [N]:
 *                   (W [A; B] + b) + A
 *   mha             inputs query source, key/value source [.., E];
 *                   wq, bq, wk, bk, wv, bv, wo, bo ([E,E] and [E])
 *   mcib_gate       alpha = sigmoid(sum over cols of a * b), per row
 *   gate_mix        inputs alpha [T,1], p, q: alpha p + (1 - alpha) q
 *   topk            probabilities [1, E] -> k indices, k weights summing
 *                   to one (renormalised); ties: the lower index first
 *   moe_sum         inputs topk, then one output per expert:
 *                   sum over the chosen i of weight_i * expert_i
 * add is coef[0] a + coef[1] b; the lookup ops apply their function. */
#define SAC_DENSE_OPS(X)                                                  \
	X(INPUT, "input", 0, SAC_DSHAPE_INPUT, 8)                         \
	X(LINEAR, "linear", 1, SAC_DSHAPE_COLS, 8)                        \
	X(CONV1D, "conv1d", 1, SAC_DSHAPE_COLS, 8)                        \
	X(DWCONV1D, "dwconv1d", 1, SAC_DSHAPE_SAME, 8)                    \
	X(DWCONV1D_CAUSAL, "dwconv1d_causal", 1, SAC_DSHAPE_SAME, 8)      \
	X(ADD, "add", 2, SAC_DSHAPE_SAME, 8)                              \
	X(MUL, "mul", 2, SAC_DSHAPE_SAME, 8)                              \
	X(SOFTPLUS, "softplus", 1, SAC_DSHAPE_SAME, 16)                    \
	X(EXP, "exp", 1, SAC_DSHAPE_SAME, 8)                              \
	X(SIGMOID, "sigmoid", 1, SAC_DSHAPE_SAME, 8)                      \
	X(SILU, "silu", 1, SAC_DSHAPE_SAME, 8)                            \
	X(GELU, "gelu", 1, SAC_DSHAPE_SAME, 8)                            \
	X(LAYERNORM, "layernorm", 1, SAC_DSHAPE_SAME, 8)                  \
	X(SOFTMAX, "softmax", 1, SAC_DSHAPE_SAME, 16)                     \
	X(SCAN, "selective_scan", 4, SAC_DSHAPE_SAME, 16)                  \
	X(MJOS, "mjos", 2, SAC_DSHAPE_SAME, 8)                            \
	X(MHA, "mha", 2, SAC_DSHAPE_SAME, 8)                              \
	X(GATE, "mcib_gate", 2, SAC_DSHAPE_ROW1, 16)                      \
	X(MIX, "gate_mix", 3, SAC_DSHAPE_LAST, 8)                         \
	X(TOPK, "topk", 1, SAC_DSHAPE_TOPK, 16)                           \
	X(MOE_SUM, "moe_sum", -1, SAC_DSHAPE_MOE, 32)                     \
	X(RESHAPE, "reshape", 1, SAC_DSHAPE_RESHAPE, 8)

typedef enum sac_dense_op {
#define X(id, name, nin, shape, bits) SAC_DENSE_##id,
	SAC_DENSE_OPS(X)
#undef X
	SAC_DENSE_OP_COUNT
} sac_dense_op;

const char *sac_dense_op_name(sac_dense_op op);
int sac_dense_op_parse(const char *name); /* -1 if unknown */
int sac_dense_op_inputs(sac_dense_op op);  /* -1: variable */
sac_dense_shape sac_dense_op_shape(sac_dense_op op);
/* Declared bits of the integer output (8, 16 or 32); RESHAPE: its input's. */
int sac_dense_op_bits(sac_dense_op op);

/* ---- integer primitives (docs/MCOE.md, "Integer arithmetic") --------- */

/* v / 2^sh rounded to nearest, halves away from zero; sh in [0, 62]. */
int64_t sac_dense_rshift(int64_t v, int sh);
/* Clamp to the signed range of `bits` (8: [-128, 127], 16, 32). */
int32_t sac_dense_sat(int64_t v, int bits);

/* A real multiplier r ~= m * 2^-sh with m in [2^(bits-1), 2^bits) (or 0). */
typedef struct sac_dense_mult {
	int32_t m;
	int sh;
} sac_dense_mult;

/* Multiplier for a real r >= 0 with a `bits`-bit mantissa (2..31).  Very
 * small r lose mantissa bits (sh stops at 62) and may become 0; r too large
 * for sh >= 0 is SAC_ERR_RANGE. */
int sac_dense_mult_make(double r, int bits, sac_dense_mult *out, sac_err *e);
/* rshift(acc * m.m, m.sh): the caller keeps |acc * m.m| < 2^63. */
int64_t sac_dense_rq(int64_t acc, sac_dense_mult m);

/* 2^(-u / 2^24) in Q30 for u >= 0: a 257-entry table of 2^(-i/256) and
 * linear interpolation on the low 16 bits of the fraction (relative error
 * below 1e-6), then a rounded right shift by the integer part. */
uint32_t sac_dense_exp2neg(int64_t u);
/* sigmoid(z s) in Q14 for an integer z, with c = round(s log2(e) 2^24):
 * 2^44 / (2^30 + exp2neg(|z| c)) rounded, mirrored for z < 0. */
int32_t sac_dense_sigmoid_q14(int64_t z, int64_t c);
/* The same with g more fraction bits in c = round(s log2(e) 2^(24+g)):
 * the exponent is rshift(|z| c, g) (sigmoid_q14 is g = 0). */
int32_t sac_dense_sigmoid_q14g(int64_t z, int64_t c, int g);
/* floor(sqrt(v)), bit by bit. */
uint32_t sac_dense_isqrt(uint64_t v);

/* The functions of the lookup ops, in double. */
typedef enum sac_dense_fn {
	SAC_DENSE_FN_SOFTPLUS, SAC_DENSE_FN_EXP, SAC_DENSE_FN_SIGMOID,
	SAC_DENSE_FN_SILU, SAC_DENSE_FN_GELU
} sac_dense_fn;
double sac_dense_fn_eval(sac_dense_fn f, double x);
/* lut[q + 128] = sat(round(f(q s_in) / s_out), bits) for q in -128..127,
 * rounding halves away from zero.  Built at compile time (in double). */
void sac_dense_lut_build(sac_dense_fn f, double s_in, double s_out, int bits,
			 int32_t lut[256]);
/* For int16 inputs: t[i] = sat(round(f((256 i - 32768) s_in) / s_out))
 * for i = 0..256, read by sac_dense_lut16. */
void sac_dense_lut16_build(sac_dense_fn f, double s_in, double s_out,
			   int bits, int32_t t[257]);
/* Table t at x: linear interpolation between t[i] and t[i + 1],
 * i = (x + 32768) >> 8, on the low 8 bits, rounded half away from zero. */
int32_t sac_dense_lut16(const int32_t t[257], int32_t x);

/* Windowed table for int16 inputs (docs/MCOE.md "Lookup tables"): 257
 * knots t[i] = sat(round(f((x0 + i 2^k) s_in) / s_out)) span only the
 * inputs where f differs from its asymptotes by a quarter of an output
 * step or more; below the window the output is t[0], above it
 * t[256] + rq(x - x0 - 256 2^k, up) (up = s_in / s_out where f tends to
 * x: softplus, SiLU, GELU; 0 where it tends to a constant: sigmoid).
 * exp's window reaches the top of the range. */
typedef struct sac_dense_win {
	int32_t x0;        /* input at the first knot */
	int k;             /* knots every 2^k input steps, 0..8 */
	sac_dense_mult up; /* slope above the window */
	int bits;          /* output width */
} sac_dense_win;
void sac_dense_lutw_build(sac_dense_fn f, double s_in, double s_out, int bits,
			  int32_t t[257], sac_dense_win *w);
/* Inside the window: t[i] + rshift((t[i+1] - t[i]) f, k) with
 * i = (x - x0) >> k and f its low k bits. */
int32_t sac_dense_lutw(const int32_t t[257], const sac_dense_win *w, int32_t x);

/* Integer softmax of one row (n values, scale s folded into c =
 * round(s log2(e) 2^24)) into Q14 probabilities. */
void sac_dense_softmax_row(const int32_t *x, int n, int64_t c, int32_t *p);
/* The same with c = round(s log2(e) 2^(24+g)): the exponent of element i
 * is rshift((max - x_i) c, g) (softmax_row is g = 0). */
void sac_dense_softmax_rowg(const int32_t *x, int n, int64_t c, int g,
			    int32_t *p);
/* Top-k of n values (ties: lower index first) into idx[k]. */
void sac_dense_topk_i(const int32_t *p, int n, int k, int *idx);
void sac_dense_topk_f(const double *p, int n, int k, int *idx);

/* Per-element kernels of the operators whose arithmetic is more than one
 * requantisation; the integer reference and the dense unit model
 * (dunit.h) both call them (docs/MCOE.md gives the formulas). */
/* Selective scan: the new state h of element (d, n) from delta dv, the
 * exponent coefficient ae (cg extra fraction bits), B[t, n], x[t, d] and
 * the multiplier m0. */
int32_t sac_dense_scan_state(int32_t h, int32_t dv, int64_t ae, int cg,
			     int32_t b, int32_t xv, sac_dense_mult m0);
/* Selective scan output from acc = sum_n C[t, n] h[d, n] and the skip
 * term x Dq[d]. */
int32_t sac_dense_scan_out(int64_t acc, int32_t xv, int32_t dq,
			   sac_dense_mult m1, sac_dense_mult m2, int bits);
/* Layer norm of a row with S1 = sum x and S2 = sum x^2 over K values:
 * the reciprocal inv and the even shift p (one isqrt, one division). */
void sac_dense_ln_row(int64_t s1, int64_t s2, int K, int64_t eps_q,
		      int64_t *inv, int *p);
/* One layer-norm output: gamma g (int8), beta at 2^-12 s_g. */
int32_t sac_dense_ln_elem(int32_t x, int K, int64_t s1, int64_t inv, int p,
			  int32_t g, int64_t beta, sac_dense_mult m, int bits);
/* Top-k of n probabilities (k <= 64) into y[0..k): indices, y[k..2k):
 * Q14 weights renormalised to sum exactly 2^14. */
void sac_dense_topk_weights(const int32_t *p, int n, int k, int32_t *y);

/* ---- graphs ---------------------------------------------------------- */

#define SAC_DENSE_NAME_MAX 64
#define SAC_DENSE_MAX_IN 20
#define SAC_DENSE_MAX_PARAMS 8

/* What a caller gives to add a node. */
typedef struct sac_dense_desc {
	const char *name;
	sac_dense_op op;
	int nin;
	int in[SAC_DENSE_MAX_IN];
	int n;          /* linear/conv1d: out features; reshape: rows; topk: k */
	int rows, cols; /* input: declared shape */
	int kernel;     /* conv1d, dwconv1d */
	int reverse;    /* dwconv1d_causal, selective_scan: right to left */
	int heads;      /* mha */
	double coef[2]; /* add: coefficients (0, 0 means 1, 1) */
	double eps;     /* layernorm (0 means 1e-5) */
	int bits;       /* linear: 16 for an int16 output (0: the op's) */
	int expert;     /* -1: always runs; e >= 0: only when topk picks e */
	const float *p[SAC_DENSE_MAX_PARAMS]; /* float parameters, copied */
} sac_dense_desc;

typedef struct sac_dense_graph sac_dense_graph;

sac_dense_graph *sac_dense_graph_new(void);
void sac_dense_graph_free(sac_dense_graph *g);
/* Append a node (shape inferred, parameters copied); returns its index or
 * a negative error. */
int sac_dense_add(sac_dense_graph *g, const sac_dense_desc *d, sac_err *e);
int sac_dense_count(const sac_dense_graph *g);
int sac_dense_find(const sac_dense_graph *g, const char *name); /* -1 */
const char *sac_dense_name(const sac_dense_graph *g, int node);
sac_dense_op sac_dense_node_op(const sac_dense_graph *g, int node);
void sac_dense_node_shape(const sac_dense_graph *g, int node, int *rows,
			  int *cols);
/* Scale of the node's integer output (after sac_dense_quantize). */
double sac_dense_node_scale(const sac_dense_graph *g, int node);
int64_t sac_dense_params(const sac_dense_graph *g); /* float parameters */

/* Per-node buffers of one execution, owned by the caller's struct. */
typedef struct sac_dense_exec {
	int n;
	double **f;  /* float outputs, rows * cols each */
	int32_t **q; /* integer outputs */
	char *ran;   /* 1 if the node ran in the last forward */
} sac_dense_exec;

int sac_dense_exec_init(const sac_dense_graph *g, sac_dense_exec *x,
			sac_err *e);
void sac_dense_exec_free(sac_dense_exec *x);

/* Float forward; in[i] is the data of the i-th input node.  With
 * calibrate, every expert runs and the graph records the ranges. */
int sac_dense_forward_float(sac_dense_graph *g, sac_dense_exec *x,
			    const double *const *in, int calibrate,
			    sac_err *e);
/* Forget recorded ranges. */
void sac_dense_calib_reset(sac_dense_graph *g);

typedef struct sac_dense_qopts {
	int per_channel; /* int8 weights per output channel (1) or tensor (0) */
	int state_bits;  /* scan state: calibrated max at 2^bits (default 24) */
	int wide_from;   /* int16 weights for nodes >= this index (-1: none) */
	int wide_act_from; /* int16 outputs for int8 nodes >= this (-1: none) */
	double headroom; /* int16 tensors: this many times the calibrated
			  * range (default 2) */
	double tail;     /* and exp(tail sd) times more, sd the standard
			  * deviation of the log of the range's per-input
			  * maxima over the calibration inputs (0..8,
			  * default 0.5; 0: none) */
} sac_dense_qopts;
void sac_dense_qopts_init(sac_dense_qopts *o);

/* Integer parameters from the recorded ranges. */
int sac_dense_quantize(sac_dense_graph *g, const sac_dense_qopts *o,
		       sac_err *e);
/* Integer forward: inputs quantised to int8 (round half away from zero,
 * saturated) at their calibrated scale, then integers only. */
int sac_dense_forward_int(const sac_dense_graph *g, sac_dense_exec *x,
			  const double *const *in, sac_err *e);
/* The same from int8 inputs. */
int sac_dense_forward_intq(const sac_dense_graph *g, sac_dense_exec *x,
			   const int32_t *const *qin, sac_err *e);

/* Diagnostics, not the reference: every node that ran in the float
 * forward xf runs its integer kernel on its inputs' float values
 * quantised at their scales (rounded, saturated), so that x->q[i] - the
 * float output measures node i's own error, not its inputs'. */
int sac_dense_forward_int_local(const sac_dense_graph *g, sac_dense_exec *x,
				const sac_dense_exec *xf, sac_err *e);

/* The integer parameters of a quantised node, read-only views into the
 * graph (valid until it is re-quantised or freed), for the lowering onto
 * the dense units (dsim.h).  qw/qb/qm per weight slot (linear-like ops:
 * slot 0; mha: q, k, v, out), mm the op's single multipliers. */
typedef struct sac_dense_qview {
	int nin;
	const int *in;
	int rows, cols, bits, n, kernel, reverse, heads, expert;
	double scale;
	int wbytes;                    /* 1: int8 weights, 2: int16 */
	const int16_t *qw[4];
	const sac_dense_mult *qm[4];
	const sac_dense_mult *mm;      /* 8 */
	const int32_t *lut;            /* 257 entries */
	int64_t c, eps_q;
	int cg;                        /* extra fraction bits of c and ae */
	const int64_t *ae;             /* scan: [D, N] */
	const sac_dense_win *win;      /* lookup ops of an int16 input */
	const void *node;              /* private (sac_dense_qview_bias) */
} sac_dense_qview;
int sac_dense_node_qview(const sac_dense_graph *g, int node,
			 sac_dense_qview *v, sac_err *e);
/* Bias o of weight slot `slot` (layer norm: beta), 0 if the slot has none. */
int64_t sac_dense_qview_bias(const sac_dense_qview *v, int slot, int o);

/* ---- the MCO-E head (docs/MCOE.md) ----------------------------------- */

typedef struct sac_mcoe_dims {
	int tokens, d_model, d_inner, d_conv, d_state, dt_rank;
	int mcib_heads, fusion, router_heads, router_hidden;
	int experts, topk, moe_tokens, att_heads, focal_hidden, focal_kernel;
	int deep_blocks, deep_expand;
	double deep_res;
	int classes;
} sac_mcoe_dims;

/* The authors' dims (500 x 4 tokens, d_inner 8, ..., 8 experts, top-2). */
void sac_mcoe_dims_full(sac_mcoe_dims *d);
/* A reduced head with every block (for unit tests). */
void sac_mcoe_dims_small(sac_mcoe_dims *d);
int sac_mcoe_dims_check(const sac_mcoe_dims *d, sac_err *e);

/* Parameter lookup by member name ("mamba.rgb.in_x.weight"); returns a
 * float array of `count` values or NULL. */
typedef const float *(*sac_mcoe_param_fn)(void *ctx, const char *name,
					   size_t count);

/* Build the head; every parameter comes from get (missing or mis-sized
 * ones are errors naming the member). */
int sac_mcoe_build(const sac_mcoe_dims *d, sac_mcoe_param_fn get, void *ctx,
		   sac_dense_graph **out, sac_err *e);
/* Visit every parameter member (name, shape) in a fixed order. */
typedef int (*sac_mcoe_member_fn)(void *ctx, const char *name, int ndim,
				  const int64_t *shape, char kind);
int sac_mcoe_members(const sac_mcoe_dims *d, sac_mcoe_member_fn fn,
		     void *ctx);

/* A head directory (mcoe.yaml + weights.npz, docs/FORMATS.md). */
typedef struct sac_mcoe sac_mcoe;
int sac_mcoe_load(const char *dir, sac_mcoe **out, sac_err *e);
void sac_mcoe_free(sac_mcoe *m);
sac_dense_graph *sac_mcoe_graph(sac_mcoe *m);
const sac_mcoe_dims *sac_mcoe_get_dims(const sac_mcoe *m);
/* Read an mcoe.yaml (errors file:line:col): the dims, and the file names
 * of the weights ("weights.npz" if absent) and of the calibration inputs
 * ("" if absent), as written in the file (relative to its directory). */
int sac_mcoe_yaml_read(const char *path, sac_mcoe_dims *d, char *weights,
		       size_t nw, char *calib, size_t nc, sac_err *e);

#ifdef __cplusplus
}
#endif
#endif
