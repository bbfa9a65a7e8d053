/* ops.c: the dense operator table and the integer primitives every dense
 * kernel is built from: rounding shifts, saturation, fixed-point
 * multipliers, the integer exp2 and square root, lookup tables, the
 * integer softmax of a row and the top-k selection.
 *
 * These functions define bits: the simulator and the RTL must reproduce
 * them exactly, so each one is integer-only (except the lookup-table and
 * multiplier construction, which run at compile time), documented in
 * docs/MCOE.md and pinned by golden values in tests/check_dense.c.
 * Rounding is always to nearest with halves away from zero: symmetric
 * about zero, so negating an input negates the output. */
#include <math.h>
#include <string.h>

#include "saccade/dense.h"

static const struct {
	const char *name;
	int nin;
	sac_dense_shape shape;
	int bits;
} optab[] = {
#define X(id, name, nin, shape, bits) {name, nin, shape, bits},
	SAC_DENSE_OPS(X)
#undef X
};

const char *sac_dense_op_name(sac_dense_op op)
{
	return (unsigned)op < SAC_DENSE_OP_COUNT ? optab[op].name : "?";
}

int sac_dense_op_parse(const char *name)
{
	for (int i = 0; i < SAC_DENSE_OP_COUNT; i++)
		if (!strcmp(optab[i].name, name))
			return i;
	return -1;
}

int sac_dense_op_inputs(sac_dense_op op)
{
	return optab[op].nin;
}

sac_dense_shape sac_dense_op_shape(sac_dense_op op)
{
	return optab[op].shape;
}

int sac_dense_op_bits(sac_dense_op op)
{
	return optab[op].bits;
}

/* ---- rounding, saturation, multipliers --------------------------------- */

int64_t sac_dense_rshift(int64_t v, int sh)
{
	if (sh <= 0)
		return v;
	/* Magnitude first, so that halves round away from zero on both
	 * sides; |INT64_MIN| cannot occur (callers stay below 2^63). */
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	a = (a + ((uint64_t)1 << (sh - 1))) >> sh;
	return v < 0 ? -(int64_t)a : (int64_t)a;
}

int32_t sac_dense_sat(int64_t v, int bits)
{
	int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
	return (int32_t)(v > hi ? hi : v < lo ? lo : v);
}

int sac_dense_mult_make(double r, int bits, sac_dense_mult *out, sac_err *e)
{
	out->m = 0;
	out->sh = 0;
	if (!(r >= 0) || !isfinite(r) || bits < 2 || bits > 31)
		return sac_errf(e, SAC_ERR_RANGE,
				"multiplier %g (%d bits) is not a finite "
				"non-negative real", r, bits);
	if (r == 0)
		return SAC_OK;
	int ex;
	double fr = frexp(r, &ex); /* r = fr 2^ex, fr in [0.5, 1) */
	int sh = bits - ex;
	long long m = llround(fr * (double)(1LL << bits));
	if (m == (1LL << bits)) { /* rounding carried into the next power */
		m >>= 1;
		sh--;
	}
	while (sh > 62) { /* tiny: give up mantissa bits */
		m = (m + 1) >> 1;
		sh--;
	}
	if (sh < 0)
		return sac_errf(e, SAC_ERR_RANGE,
				"multiplier %g too large for a %d-bit mantissa",
				r, bits);
	out->m = (int32_t)m;
	out->sh = sh;
	return SAC_OK;
}

int64_t sac_dense_rq(int64_t acc, sac_dense_mult m)
{
	return sac_dense_rshift(acc * m.m, m.sh);
}

/* ---- exp2 and square root ------------------------------------------------ */

/* round(2^30 2^(-i/256)), i = 0..256, from exact decimal arithmetic. */
static const uint32_t exp2tab[257] = {
	1073741824, 1070838486, 1067942999, 1065055341, 1062175491, 1059303428,
	1056439131, 1053582579, 1050733751, 1047892626, 1045059183, 1042233401,
	1039415261, 1036604740, 1033801819, 1031006477, 1028218693, 1025438448,
	1022665720, 1019900489, 1017142735, 1014392438, 1011649578, 1008914134,
	1006186087, 1003465416, 1000752102, 998046124, 995347464, 992656100,
	989972014, 987295185, 984625594, 981963222, 979308048, 976660054,
	974019220, 971385527, 968758955, 966139485, 963527098, 960921775,
	958323496, 955732243, 953147997, 950570738, 948000448, 945437108,
	942880699, 940331203, 937788600, 935252872, 932724001, 930201967,
	927686753, 925178340, 922676710, 920181844, 917693724, 915212331,
	912737649, 910269657, 907808339, 905353676, 902905651, 900464244,
	898029440, 895601218, 893179563, 890764456, 888355878, 885953814,
	883558244, 881169153, 878786521, 876410331, 874040567, 871677210,
	869320244, 866969651, 864625413, 862287515, 859955938, 857630665,
	855311680, 852998965, 850692504, 848392279, 846098274, 843810471,
	841528855, 839253408, 836984114, 834720956, 832463917, 830212982,
	827968132, 825729353, 823496627, 821269938, 819049271, 816834607,
	814625932, 812423229, 810226483, 808035676, 805850792, 803671817,
	801498734, 799331526, 797170178, 795014675, 792865000, 790721137,
	788583072, 786450787, 784324269, 782203500, 780088465, 777979150,
	775875538, 773777614, 771685363, 769598769, 767517817, 765442492,
	763372778, 761308661, 759250125, 757197155, 755149737, 753107854,
	751071493, 749040637, 747015274, 744995386, 742980960, 740971982,
	738968435, 736970306, 734977579, 732990241, 731008277, 729031671,
	727060411, 725094480, 723133865, 721178552, 719228525, 717283772,
	715344277, 713410026, 711481005, 709557200, 707638598, 705725183,
	703816941, 701913860, 700015924, 698123120, 696235434, 694352853,
	692475362, 690602947, 688735596, 686873293, 685016026, 683163781,
	681316545, 679474303, 677637043, 675804750, 673977412, 672155015,
	670337545, 668524990, 666717336, 664914570, 663116678, 661323648,
	659535466, 657752119, 655973594, 654199878, 652430958, 650666822,
	648907455, 647152846, 645402981, 643657847, 641917433, 640181724,
	638450708, 636724373, 635002706, 633285695, 631573326, 629865587,
	628162466, 626463950, 624770026, 623080683, 621395908, 619715688,
	618040012, 616368866, 614702239, 613040119, 611382493, 609729349,
	608080675, 606436459, 604796689, 603161352, 601530438, 599903933,
	598281827, 596664106, 595050760, 593441776, 591837143, 590236848,
	588640881, 587049229, 585461881, 583878825, 582300049, 580725543,
	579155293, 577589290, 576027521, 574469975, 572916640, 571367506,
	569822560, 568281792, 566745190, 565212742, 563684439, 562160268,
	560640218, 559124278, 557612438, 556104685, 554601009, 553101399,
	551605844, 550114332, 548626854, 547143398, 545663953, 544188508,
	542717053, 541249576, 539786068, 538326517, 536870912,

};

uint32_t sac_dense_exp2neg(int64_t u)
{
	if (u <= 0)
		return exp2tab[0];
	int64_t k = u >> 24;
	if (k >= 31)
		return 0;
	uint32_t r = (uint32_t)(u & 0xFFFFFF);
	uint32_t i = r >> 16, f = r & 0xFFFF;
	uint64_t d = (uint64_t)(exp2tab[i] - exp2tab[i + 1]) * f;
	uint32_t v = exp2tab[i] - (uint32_t)((d + 0x8000) >> 16);
	return k ? (uint32_t)(((uint64_t)v + (1ULL << (k - 1))) >> k) : v;
}

uint32_t sac_dense_isqrt(uint64_t v)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;
	while (bit > v)
		bit >>= 2;
	while (bit) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return (uint32_t)r;
}

int32_t sac_dense_sigmoid_q14(int64_t z, int64_t c)
{
	return sac_dense_sigmoid_q14g(z, c, 0);
}

int32_t sac_dense_sigmoid_q14g(int64_t z, int64_t c, int g)
{
	/* sigmoid(|z| s) = 1 / (1 + 2^(-|z| c / 2^24)); e in Q30, one
	 * rounded division; negative z by symmetry, so sigmoid(-z) =
	 * 2^14 - sigmoid(z) holds exactly. */
	uint64_t a = z < 0 ? (uint64_t)0 - (uint64_t)z : (uint64_t)z;
	int64_t u = a > (uint64_t)(INT64_MAX / 2) / (uint64_t)c ? INT64_MAX / 2 :
		    (int64_t)(a * (uint64_t)c);
	uint64_t e = sac_dense_exp2neg(sac_dense_rshift(u, g));
	uint64_t den = ((uint64_t)1 << 30) + e;
	int32_t p = (int32_t)((((uint64_t)1 << 44) + den / 2) / den);
	return z < 0 ? 16384 - p : p;
}

/* ---- functions and lookup tables --------------------------------------- */

double sac_dense_fn_eval(sac_dense_fn f, double x)
{
	switch (f) {
	case SAC_DENSE_FN_SOFTPLUS: /* log(1 + e^x) without overflow */
		return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
	case SAC_DENSE_FN_EXP:
		return exp(x);
	case SAC_DENSE_FN_SIGMOID:
		return 1.0 / (1.0 + exp(-x));
	case SAC_DENSE_FN_SILU:
		return x / (1.0 + exp(-x));
	case SAC_DENSE_FN_GELU: /* the exact (erf) GELU, as torch's default */
		return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
	}
	return 0;
}

/* Round half away from zero in double (compile-time helper). */
static double rhaz(double v)
{
	return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
}

void sac_dense_lut_build(sac_dense_fn f, double s_in, double s_out, int bits,
			 int32_t lut[256])
{
	double hi = ldexp(1.0, bits - 1) - 1, lo = -hi - 1;
	for (int q = -128; q < 128; q++) {
		double v = rhaz(sac_dense_fn_eval(f, q * s_in) / s_out);
		lut[q + 128] = (int32_t)(v > hi ? hi : v < lo ? lo : v);
	}
}

void sac_dense_lut16_build(sac_dense_fn f, double s_in, double s_out,
			   int bits, int32_t t[257])
{
	double hi = ldexp(1.0, bits - 1) - 1, lo = -hi - 1;
	for (int i = 0; i <= 256; i++) {
		double v = rhaz(sac_dense_fn_eval(f, (256.0 * i - 32768) * s_in) / s_out);
		t[i] = (int32_t)(v > hi ? hi : v < lo ? lo : v);
	}
}

int32_t sac_dense_lut16(const int32_t t[257], int32_t x)
{
	int32_t u = (x < -32768 ? -32768 : x > 32767 ? 32767 : x) + 32768;
	int32_t i = u >> 8, f = u & 255;
	/* In 64 bits: adjacent entries of a table read from a file may be
	 * 2^32 apart; the interpolated value lies between them, so it fits. */
	return (int32_t)(t[i] + sac_dense_rshift(((int64_t)t[i + 1] - t[i]) * f, 8));
}

/* |f(x) - its left (0) or right asymptote|; right: x for softplus,
 * SiLU and GELU, 1 for sigmoid, none for exp (-1). */
static double off_asym(sac_dense_fn f, double x, int right)
{
	double v = sac_dense_fn_eval(f, x);
	if (!right)
		return fabs(v);
	switch (f) {
	case SAC_DENSE_FN_SIGMOID: return fabs(v - 1);
	case SAC_DENSE_FN_EXP: return -1;
	default: return fabs(v - x);
	}
}

void sac_dense_lutw_build(sac_dense_fn f, double s_in, double s_out, int bits,
			  int32_t t[257], sac_dense_win *w)
{
	double hi = ldexp(1.0, bits - 1) - 1, lo = -hi - 1, tol = s_out / 4;
	int32_t xl = -32768, xh = 32767;
	/* The window: from the first input where f leaves its left asymptote
	 * to the last where it has not reached its right one. */
	while (xl < 32767 && off_asym(f, xl * s_in, 0) < tol)
		xl++;
	if (f != SAC_DENSE_FN_EXP)
		while (xh > xl && off_asym(f, xh * s_in, 1) < tol)
			xh--;
	int k = 0;
	while (k < 8 && ((int64_t)256 << k) < (int64_t)xh - xl + 1)
		k++;
	w->x0 = k == 8 ? -32768 : xl;
	w->k = k;
	w->bits = bits;
	w->up.m = 0;
	w->up.sh = 0;
	for (int i = 0; i <= 256; i++) {
		double v = rhaz(sac_dense_fn_eval(f, ((double)w->x0 + ldexp(i, k)) * s_in) / s_out);
		t[i] = (int32_t)(v > hi ? hi : v < lo ? lo : v);
	}
	if (f != SAC_DENSE_FN_SIGMOID && f != SAC_DENSE_FN_EXP) {
		sac_err e;
		if (sac_dense_mult_make(s_in / s_out, 31, &w->up, &e))
			w->up.m = 0; /* s_in / s_out >= 2^31: no caller does that */
	}
}

int32_t sac_dense_lutw(const int32_t t[257], const sac_dense_win *w, int32_t x)
{
	int64_t u = (int64_t)x - w->x0, end = (int64_t)256 << w->k;
	if (u <= 0)
		return t[0];
	if (u >= end)
		return sac_dense_sat(t[256] + sac_dense_rq(u - end, w->up), w->bits);
	int32_t i = (int32_t)(u >> w->k), f = (int32_t)(u & ((1 << w->k) - 1));
	return (int32_t)(t[i] + sac_dense_rshift(((int64_t)t[i + 1] - t[i]) * f, w->k));
}

/* ---- softmax and top-k ------------------------------------------------- */

void sac_dense_softmax_row(const int32_t *x, int n, int64_t c, int32_t *p)
{
	sac_dense_softmax_rowg(x, n, c, 0, p);
}

void sac_dense_softmax_rowg(const int32_t *x, int n, int64_t c, int g,
			    int32_t *p)
{
	int32_t m = x[0];
	for (int i = 1; i < n; i++)
		if (x[i] > m)
			m = x[i];
	/* e_i = exp((x_i - m) s) in Q15; the maximum gives exactly 2^15, so
	 * the sum is at least 2^15 and the reciprocal fits 31 bits. */
	int64_t sum = 0;
	for (int i = 0; i < n; i++) {
		int64_t u = sac_dense_rshift((int64_t)(m - x[i]) * c, g);
		p[i] = (int32_t)sac_dense_rshift(sac_dense_exp2neg(u), 15);
		sum += p[i];
	}
	int64_t r = ((int64_t)1 << 46) / sum;
	for (int i = 0; i < n; i++)
		p[i] = (int32_t)(((int64_t)p[i] * r + ((int64_t)1 << 31)) >> 32);
}

void sac_dense_topk_i(const int32_t *p, int n, int k, int *idx)
{
	for (int j = 0; j < k; j++) {
		int best = -1;
		for (int i = 0; i < n; i++) {
			int used = 0;
			for (int t = 0; t < j; t++)
				used |= idx[t] == i;
			/* Strictly greater: equal values keep the lower index. */
			if (!used && (best < 0 || p[i] > p[best]))
				best = i;
		}
		idx[j] = best;
	}
}

void sac_dense_topk_f(const double *p, int n, int k, int *idx)
{
	for (int j = 0; j < k; j++) {
		int best = -1;
		for (int i = 0; i < n; i++) {
			int used = 0;
			for (int t = 0; t < j; t++)
				used |= idx[t] == i;
			if (!used && (best < 0 || p[i] > p[best]))
				best = i;
		}
		idx[j] = best;
	}
}

/* ---- per-element kernels shared with the simulator --------------------- */

/* These are the integer formulas of the operators whose arithmetic is more
 * than one requantisation (docs/MCOE.md "Per operator"); the integer
 * reference (graph.c) and the dense unit model (dunit.c) both call them, so
 * the simulator cannot drift from the reference. */

int32_t sac_dense_scan_state(int32_t h, int32_t dv, int64_t ae, int cg,
			     int32_t b, int32_t xv, sac_dense_mult m0)
{
	/* delta >= 0 (softplus) and ae >= 0 (A < 0): u >= 0; ae carries cg
	 * extra fraction bits. */
	int64_t u = sac_dense_rshift((int64_t)(dv > 0 ? dv : 0) * ae, cg);
	uint32_t ab = sac_dense_exp2neg(u); /* A_bar, Q30 */
	int64_t dec = sac_dense_rshift((int64_t)ab * h, 30);
	int64_t inc = sac_dense_rq((int64_t)dv * b * xv, m0);
	return sac_dense_sat(dec + inc, 32);
}

int32_t sac_dense_scan_out(int64_t acc, int32_t xv, int32_t dq,
			   sac_dense_mult m1, sac_dense_mult m2, int bits)
{
	return sac_dense_sat(sac_dense_rq(acc, m1) +
			     sac_dense_rq((int64_t)xv * dq, m2), bits);
}

void sac_dense_ln_row(int64_t s1, int64_t s2, int K, int64_t eps_q,
		      int64_t *inv, int *p)
{
	/* V = K^2 (var + eps) in input steps squared. */
	int64_t v = (int64_t)K * s2 - s1 * s1 + eps_q;
	int q = 0;
	while ((v << q) < ((int64_t)1 << 60))
		q += 2;
	uint32_t R = sac_dense_isqrt((uint64_t)v << q); /* in [2^30, 2^31) */
	*inv = (int64_t)((((uint64_t)1) << 62) / R);
	*p = q;
}

int32_t sac_dense_ln_elem(int32_t x, int K, int64_t s1, int64_t inv, int p,
			  int32_t g, int64_t beta, sac_dense_mult m, int bits)
{
	int64_t dv = (int64_t)K * x - s1;
	int64_t z = sac_dense_rshift(dv * inv, 50 - p / 2); /* Q12 */
	return sac_dense_sat(sac_dense_rq(z * g + beta, m), bits);
}

void sac_dense_topk_weights(const int32_t *p, int n, int k, int32_t *y)
{
	int idx[64];
	int64_t s = 0, acc = 0;
	sac_dense_topk_i(p, n, k, idx);
	for (int j = 0; j < k; j++)
		s += p[idx[j]];
	/* Renormalise to Q14 by rounded division; the last weight takes the
	 * remainder so that the weights sum to 2^14. */
	for (int j = 0; j < k; j++) {
		y[j] = idx[j];
		int64_t w = j == k - 1 ? 16384 - acc :
			    s > 0 ? (2 * (int64_t)p[idx[j]] * 16384 + s) / (2 * s) :
				    16384 / k;
		y[k + j] = (int32_t)w;
		acc += w;
	}
}
