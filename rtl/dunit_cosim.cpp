// dunit_cosim.cpp: co-simulation of the Verilated dense unit
// (rtl/dense_unit.sv) against the C model of the dense unit
// (sac_dunit_exec, sac_dunit_cycles in dense/dunit.c), instruction by
// instruction (docs/RTL.md, "Dense unit").
//
// For every instruction both sides start from the same data memory D and
// weight memory W: the harness executes it with the C model on its copy,
// then encodes it (sac_dunit_encode), decodes the 64 bytes
// (sac_dunit_decode), drives the decoded fields into the unit with one
// start pulse and clocks it until `done`.  It then compares, in this
// order: that the unit executed it (no `unsupported`), the busy cycles
// against sac_dunit_cycles, every action counter against the C model's
// (sums since the start of the run), every word of D.  When the C model
// refuses an instruction as corrupt for a MAC input beyond its declared
// width, the unit must raise `corrupt` (and the reverse); both then start
// again from reset.  The first divergence is printed with the instruction
// number, opcode, operands, the counter or D address and the expected
// (C) and observed (RTL) values, and the program exits 1.  The unit's
// memories are its public arrays, written by the harness while it is
// idle.
//
// Tests (--test):
//   random  seeded random instructions of every opcode the unit does
//           (docs/RTL.md lists the ranges): int8 / int16 weights and
//           inputs, outputs of 8/16/32 bits, sizes not multiples of the
//           lanes, multipliers up to the accumulator bound, saturation,
//           extreme table entries, some MAC inputs beyond their width;
//   layer   a small dense graph (linear, windowed int16 table, int8
//           table, add, mul) quantised and lowered by sac_dlower onto a
//           2x2 mesh of the default target (40 tokens with an odd seed:
//           row tiles; 12 with an even one: column tiles and RECVs);
//   mamba   the Mamba / MCIB / MoE shapes (conv1d, dwconv1d, causal both
//           ways, selective scans, mjos, mcib_gate, gate_mix, layernorm,
//           softmax, a top-2 router over guarded experts, moe_sum), the
//           same way; mamba16: quantised in int16 mode;
//   head    the reduced MCO-E head of the unit tests on its sample input
//           --seed, lowered for the default target (256 PEs); head16: in
//           int16 mode;
//           the network tests replay every PE's stream phase by phase as
//           the simulator does (RECV, WLOAD, SELECT and the guards by the
//           harness, every compute instruction on both sides), and the
//           output tensor must equal sac_dsim_run's;
//   fault   as random, but one word the C model wrote is changed on the C
//           side after instruction --fault-at (or the first after it
//           that the model does not refuse): the checker must report it.
#include <systemc.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "Vdense_unit.h"
#include "Vdense_unit___024root.h"

extern "C" {
#include "saccade/dense.h"
#include "saccade/dsim.h"
#include "saccade/dunit.h"
#include "saccade/target.h"
#include "saccade/zoo.h"
}

#ifndef COSIM_DWORDS
#define COSIM_DWORDS 8192
#endif
#ifndef COSIM_WBYTES
#define COSIM_WBYTES 32768
#endif
#ifndef COSIM_NMAX
#define COSIM_NMAX 256
#endif

namespace {

template <class P>
using sig = sc_signal<typename std::remove_reference<P>::type::data_type>;

// xorshift64*: the same sequence for a seed on every host.
struct rng {
	uint64_t s;
	explicit rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
	uint64_t next()
	{
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545F4914F6CDD1Dull;
	}
	int64_t range(int64_t lo, int64_t hi) // inclusive
	{
		return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
	}
	bool chance(int pct) { return (int)(next() % 100) < pct; }
};

const char *counter_names[] = {"cycles", "macs", "rq", "alu", "lut", "div",
			       "dmem_reads", "dmem_writes", "wmem_reads",
			       "wmem_writes", "instrs"};
enum { NCOUNT = 11 };

int32_t le32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

void counts_vec(const sac_dunit_counts &k, uint64_t v[NCOUNT])
{
	uint64_t x[NCOUNT] = {k.cycles, k.macs, k.rq, k.alu, k.lut, k.div,
			      k.dmem_reads, k.dmem_writes, k.wmem_reads,
			      k.wmem_writes, k.instrs};
	memcpy(v, x, sizeof x);
}

struct bench {
	Vdense_unit top{"dense_unit"};
	sc_signal<bool> clk, rst_n;
	sig<decltype(top.start)> start;
	sig<decltype(top.i_op)> i_op;
	sig<decltype(top.i_bits)> i_bits;
	sig<decltype(top.i_flags)> i_flags;
	sig<decltype(top.i_a)> i_a;
	sig<decltype(top.busy)> busy;
	sig<decltype(top.done)> done;
	sig<decltype(top.unsupported)> unsupported;
	sig<decltype(top.corrupt)> corrupt;
	sig<decltype(top.c_cycles)> c[NCOUNT];

	sac_dunit_cfg cfg;
	sac_dunit_counts kc = {}; // the C model's, summed
	uint64_t ninstr = 0, ncycles = 0, nmatmul = 0, nlut = 0, nnop = 0;
	uint64_t nadd = 0, nmul = 0, nwin = 0, nconv = 0, ndw = 0, ndwc = 0, ndwr = 0;
	uint64_t nmjos = 0, nmix = 0, ncorrupt = 0, nlnorm = 0, nsoftmax = 0, ntopk = 0;
	uint64_t nmoe = 0, nscan = 0, nscanr = 0, ngate = 0, nattn = 0;
	bool may_be_corrupt = false; // the generator planted a word beyond its width
	// What the run covered: MATMULs with int16 weights / inputs, LUTs
	// with the interpolated table, outputs at a saturation bound.
	uint64_t nw16 = 0, nin16 = 0, nlut16 = 0, nsat = 0, nout = 0, nlut_wide = 0;
	long failed_at = -1;
	long fault_at = -1;       // instruction after which the C side is changed

	bench()
	{
		top.clk(clk);
		top.rst_n(rst_n);
		top.start(start);
		top.i_op(i_op);
		top.i_bits(i_bits);
		top.i_flags(i_flags);
		top.i_a(i_a);
		top.busy(busy);
		top.done(done);
		top.unsupported(unsupported);
		top.corrupt(corrupt);
		top.c_cycles(c[0]);
		top.c_macs(c[1]);
		top.c_rq(c[2]);
		top.c_alu(c[3]);
		top.c_lut(c[4]);
		top.c_div(c[5]);
		top.c_dmem_rd(c[6]);
		top.c_dmem_wr(c[7]);
		top.c_wmem_rd(c[8]);
		top.c_wmem_wr(c[9]);
		top.c_instrs(c[10]);
		sac_target t;
		sac_target_default(&t);
		// The unit was Verilated with the default target's lanes, or
		// with -G values given here as COSIM_* too (docs/RTL.md).
		cfg = {t.dense.mac_lanes, t.dense.vector_lanes, t.pe.pipeline,
		       t.dense.div_cycles};
#ifdef COSIM_MAC_LANES
		cfg.mac_lanes = COSIM_MAC_LANES;
#endif
#ifdef COSIM_VEC_LANES
		cfg.vec_lanes = COSIM_VEC_LANES;
#endif
#ifdef COSIM_PIPELINE
		cfg.pipeline = COSIM_PIPELINE;
#endif
#ifdef COSIM_DIV_CYCLES
		cfg.div_cycles = COSIM_DIV_CYCLES;
#endif
		reset();
	}

	// After a corrupt instruction the unit's counters are unspecified:
	// both sides start again from zero.
	void reset()
	{
		rst_n = 0;
		start = 0;
		for (int i = 0; i < 3; i++)
			edge();
		rst_n = 1;
		edge();
		kc = sac_dunit_counts{};
	}

	void edge()
	{
		clk = 0;
		sc_start(1, SC_NS);
		clk = 1;
		sc_start(1, SC_NS);
	}

	void load(const int32_t *d, const uint8_t *w)
	{
		auto *r = top.rootp;
		for (uint32_t i = 0; i < COSIM_DWORDS; i++)
			r->dense_unit__DOT__dmem[i] = (uint32_t)d[i];
		for (uint32_t i = 0; i < COSIM_WBYTES; i++)
			r->dense_unit__DOT__wmem[i] = w[i];
	}

	static void describe(long no, const sac_dinstr &in)
	{
		fprintf(stderr, "  instruction #%ld: %s bits %u flags 0x%x operands", no,
			sac_dunit_op_name(in.op), in.bits, in.flags);
		int n = in.op == SAC_DOP_LUT ? 4 : in.op == SAC_DOP_MATMUL ? 6 :
			in.op == SAC_DOP_CONV ? 11 : in.op == SAC_DOP_DWCONV ? 10 :
			in.op == SAC_DOP_MJOS ? 6 : in.op == SAC_DOP_MIX ? 7 :
			in.op == SAC_DOP_MOESUM ? 15 : in.op == SAC_DOP_SCAN ? 11 :
			in.op == SAC_DOP_GATE ? 6 : in.op == SAC_DOP_ATTN ? 9 :
			5;  // lnorm, softmax: 5; topk: 4
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %u", in.a[i]);
		fprintf(stderr, "\n");
	}

	// Run `in` on both sides from memories d, w (the C side's state, left
	// as the C model leaves it).  Returns false at the first divergence.
	bool step(long no, const sac_dinstr &in, int32_t *d, uint8_t *w)
	{
		load(d, w);
		sac_dunit_mem m = {d, COSIM_DWORDS, w, COSIM_WBYTES};
		sac_err e = {};
		sac_dunit_counts k0 = kc;
		int bad = sac_dunit_exec(&cfg, &m, &in, &kc, &e);
		if (bad && (!may_be_corrupt || bad != SAC_ERR_CORRUPT ||
			    !strstr(e.msg, "outside int"))) {
			fprintf(stderr, "dunit_cosim: the C model refused instruction #%ld (%s): %s\n",
				no, sac_dunit_op_name(in.op), e.msg);
			exit(2); // a harness bug: it only makes valid instructions
		}
		if (bad)
			kc = k0;
		uint64_t want_cycles = sac_dunit_cycles(&cfg, &in);
		if (in.op == SAC_DOP_MATMUL) {
			int bits = in.bits ? in.bits : 32;
			int32_t hi = (int32_t)(((int64_t)1 << (bits - 1)) - 1);
			for (uint32_t i = 0; i < in.a[1] * in.a[4]; i++, nout++)
				nsat += d[in.a[3] + i] == hi || d[in.a[3] + i] == -hi - 1;
			nw16 += (in.flags & SAC_DF_W16) != 0;
			nin16 += (in.flags & SAC_DF_IN16) != 0;
		}
		nlut16 += in.op == SAC_DOP_LUT && (in.flags & SAC_DF_IN16);
		nwin += in.op == SAC_DOP_LUT && (in.flags & SAC_DF_IN16) &&
			(in.flags & SAC_DF_WIN);
		if (in.op == SAC_DOP_LUT && (in.flags & SAC_DF_IN16)) {
			// A table with adjacent entries 2^31 or more apart: the
			// interpolation needs its 33-bit difference.
			int64_t gap = 0;
			for (uint32_t i = 0; i < 256; i++) {
				int64_t dv = std::llabs((int64_t)le32(w + in.a[3] + 4 * i + 4) -
							le32(w + in.a[3] + 4 * i));
				gap = dv > gap ? dv : gap;
			}
			nlut_wide += gap >= ((int64_t)1 << 31);
		}
		failed_at = no; // until the checks pass
		if (fault_at >= 0 && no == fault_at && bad)
			fault_at++; // a refused instruction writes nothing: the next one
		if (fault_at >= 0 && no == fault_at) {
			// A wrong result on the C side: the word the model wrote first.
			uint32_t y = in.op == SAC_DOP_LUT ? in.a[1] :
				     in.op == SAC_DOP_MATMUL || in.op == SAC_DOP_CONV ||
				     in.op == SAC_DOP_DWCONV || in.op == SAC_DOP_LNORM ||
				     in.op == SAC_DOP_SOFTMAX || in.op == SAC_DOP_TOPK ||
				     in.op == SAC_DOP_MOESUM ? in.a[3] :
				     in.op == SAC_DOP_MJOS || in.op == SAC_DOP_SCAN ||
				     in.op == SAC_DOP_GATE ? in.a[4] :
				     in.op == SAC_DOP_MIX || in.op == SAC_DOP_ATTN ? in.a[in.op == SAC_DOP_ATTN ? 6 : 5] :
				     in.a[2];
			d[y] ^= 1;
			fprintf(stderr, "fault: C-side D[%u] changed after instruction #%ld\n", y, no);
		}
		// Encode and decode: the unit gets what an image holds.
		uint8_t enc[SAC_DUNIT_IBYTES];
		sac_dinstr dec;
		sac_dunit_encode(&in, enc);
		if (sac_dunit_decode(enc, &dec, &e)) {
			fprintf(stderr, "dunit_cosim: decode: %s\n", e.msg);
			exit(2);
		}
		i_op = dec.op;
		i_bits = dec.bits;
		i_flags = dec.flags;
		sc_bv<SAC_DUNIT_NOPS * 32> a;
		for (int i = 0; i < SAC_DUNIT_NOPS; i++)
			a.range(32 * i + 31, 32 * i) = dec.a[i];
		i_a = a;
		start = 1;
		edge();
		start = 0;
		uint64_t cyc = 0;
		while (busy.read()) {
			if (cyc > want_cycles + 64) {
				fprintf(stderr, "DIVERGENCE: the unit is still busy after %" PRIu64
					" cycles (expected %" PRIu64 ")\n", cyc, want_cycles);
				describe(no, in);
				return false;
			}
			edge();
			cyc++;
		}
		ninstr++;
		ncycles += cyc;
		nmatmul += in.op == SAC_DOP_MATMUL;
		nlut += in.op == SAC_DOP_LUT;
		nadd += in.op == SAC_DOP_ADD;
		nmul += in.op == SAC_DOP_MUL;
		nnop += in.op == SAC_DOP_NOP;
		nconv += in.op == SAC_DOP_CONV;
		ndw += in.op == SAC_DOP_DWCONV;
		ndwc += in.op == SAC_DOP_DWCONV && (in.flags & SAC_DF_CAUSAL);
		ndwr += in.op == SAC_DOP_DWCONV && (in.flags & SAC_DF_CAUSAL) &&
			(in.flags & SAC_DF_REVERSE);
		nmjos += in.op == SAC_DOP_MJOS;
		nmix += in.op == SAC_DOP_MIX;
		nlnorm += in.op == SAC_DOP_LNORM;
		nsoftmax += in.op == SAC_DOP_SOFTMAX;
		ntopk += in.op == SAC_DOP_TOPK;
		nmoe += in.op == SAC_DOP_MOESUM;
		nscan += in.op == SAC_DOP_SCAN;
		ngate += in.op == SAC_DOP_GATE;
		nattn += in.op == SAC_DOP_ATTN;
		nscanr += in.op == SAC_DOP_SCAN && (in.flags & SAC_DF_REVERSE);
		if (bad || corrupt.read()) {
			// A MAC input beyond its declared width: both sides must
			// refuse it (the words written before the unit stopped
			// and its counters are unspecified), then start again.
			if (!bad || !corrupt.read() || !done.read()) {
				fprintf(stderr, "DIVERGENCE: %s\n", bad ?
					"the C model found an input beyond its width, the unit did not"
					" raise corrupt" : "the unit raised corrupt, the C model did not");
				if (bad)
					fprintf(stderr, "  C model: %s\n", e.msg);
				describe(no, in);
				return false;
			}
			ncorrupt++;
			reset();
			failed_at = -1;
			return true;
		}
		if (!done.read() || unsupported.read()) {
			fprintf(stderr, "DIVERGENCE: %s\n", unsupported.read() ?
				"the unit does not implement the instruction" :
				"no done pulse after busy");
			describe(no, in);
			return false;
		}
		if (cyc != want_cycles) {
			fprintf(stderr, "DIVERGENCE: cycles\n");
			describe(no, in);
			fprintf(stderr, "  expected %" PRIu64 "\n  got      %" PRIu64 "\n",
				want_cycles, cyc);
			return false;
		}
		uint64_t want[NCOUNT];
		counts_vec(kc, want);
		for (int i = 0; i < NCOUNT; i++)
			if (c[i].read() != want[i]) {
				fprintf(stderr, "DIVERGENCE: counter %s (sum since the start)\n",
					counter_names[i]);
				describe(no, in);
				fprintf(stderr, "  expected %" PRIu64 "\n  got      %" PRIu64 "\n",
					want[i], (uint64_t)c[i].read());
				return false;
			}
		auto *r = top.rootp;
		for (uint32_t i = 0; i < COSIM_DWORDS; i++) {
			uint32_t got = r->dense_unit__DOT__dmem[i];
			if (got != (uint32_t)d[i]) {
				fprintf(stderr, "DIVERGENCE: data memory word\n");
				describe(no, in);
				fprintf(stderr, "  D[%u] expected %d\n  D[%u] got      %d\n", i, d[i],
					i, (int32_t)got);
				return false;
			}
		}
		failed_at = -1;
		return true;
	}
};

// ---- random instructions --------------------------------------------------------

void put_i32(uint8_t *p, int32_t v) { sac_dunit_put_i32(p, v); }

// A value of `bits` signed bits, biased towards the extremes.
int32_t rval(rng &r, int bits)
{
	int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
	switch (r.next() % 8) {
	case 0: return (int32_t)hi;
	case 1: return (int32_t)lo;
	case 2: return (int32_t)r.range(-2, 2);
	default: return (int32_t)r.range(lo, hi);
	}
}

// An unguarded instruction of opcode op with a random output width
// (0: 32, 8, 16, 32).
sac_dinstr new_ins(rng &r, int op)
{
	sac_dinstr in = {};
	in.op = (uint8_t)op;
	in.guard = -1;
	static const uint8_t widths[] = {0, 8, 16, 32};
	in.bits = widths[r.next() % 4];
	return in;
}

// A multiplier at pm for sums bounded by `bound` (|sum m| < 2^62, as the
// quantiser guarantees, docs/MCOE.md): m from 0 to the largest the bound
// allows; the shift at an extreme, random, or one that puts the output
// near the width's range (so that some saturate and some do not).
void put_mult(rng &r, uint8_t *pm, int64_t bound, int bits)
{
	int64_t mmax = ((int64_t)1 << 62) / bound;
	if (mmax > INT32_MAX)
		mmax = INT32_MAX;
	int64_t m;
	switch (r.next() % 5) {
	case 0: m = mmax; break;
	case 1: m = r.range(0, 1); break;
	default: m = r.range(mmax / 2, mmax); break;
	}
	int sh;
	int lg = 63 - __builtin_clzll((uint64_t)(bound * (m ? m : 1)) | 1);
	switch (r.next() % 5) {
	case 0: sh = (int)r.range(0, 62); break;
	case 1: sh = r.chance(50) ? 0 : 62; break;
	default: sh = lg - (int)r.range(0, bits == 8 ? 9 : bits == 16 ? 17 : 30);
	}
	sh = sh < 0 ? 0 : sh > 62 ? 62 : sh;
	put_i32(pm, (int32_t)m);
	put_i32(pm + 4, sh);
}

int64_t rbias(rng &r)
{
	switch (r.next() % 4) {
	case 0: return 0;
	case 1: return r.range(-((int64_t)1 << 40), (int64_t)1 << 40);
	default: return r.range(-100000, 100000);
	}
}

// n weights of the width at p (little-endian), biased to the extremes.
void put_weights(rng &r, uint8_t *p, uint64_t n, bool w16)
{
	for (uint64_t i = 0; i < n; i++) {
		int32_t v = rval(r, w16 ? 16 : 8);
		p[(w16 ? 2 : 1) * i] = (uint8_t)v;
		if (w16)
			p[2 * i + 1] = (uint8_t)(v >> 8);
	}
}

// n MAC inputs of the declared width at X; with `bad`, one word of them
// (sometimes) beyond it, which makes the instruction corrupt if it is
// read (docs/ISA.md, "Declared widths").
void put_inputs(rng &r, int32_t *x, uint64_t n, bool x16, bool bad)
{
	for (uint64_t i = 0; i < n; i++)
		x[i] = rval(r, x16 ? 16 : 8);
	if (bad && n > 0) {
		int32_t lim = x16 ? 32768 : 128;
		x[r.next() % n] = r.chance(50) ? lim + (int32_t)r.range(0, 3)
					       : -lim - 1 - (int32_t)r.range(0, 3);
	}
}

// MATMUL, CONV, DWCONV or MJOS: int8 and int16 weights and inputs, outputs
// 8/16/32 bits, sizes not multiples of the lanes, K = 0, multipliers up to
// the accumulator bound, saturation, negative values; conv / dwconv
// windows at the sequence's ends (zero taps) and buffers that start
// before them; dwconv centred, causal and causal reverse.  X in the low
// half of D, Y in the high half: disjoint.  *bad: an input word beyond
// its width was planted (the instruction may be corrupt).
sac_dinstr gen_mac(rng &r, int op, int32_t *d, uint8_t *w, bool *bad)
{
	sac_dinstr in = new_ins(r, op);
	bool w16 = r.chance(40), x16 = r.chance(35);
	in.flags = (uint8_t)((w16 ? SAC_DF_W16 : 0) | (x16 ? SAC_DF_IN16 : 0));
	*bad = r.chance(4);
	int bits = in.bits ? in.bits : 32;
	int wb = w16 ? 2 : 1;
	int64_t xmax = x16 ? 32768 : 128, wmax = w16 ? 32768 : 128;
	uint32_t rows = r.chance(3) ? 0 : (uint32_t)r.range(1, 6);
	uint32_t n = r.chance(10) ? (uint32_t)r.range(40, 90) : (uint32_t)r.range(1, 21);
	if (n > COSIM_NMAX)
		n = COSIM_NMAX;
	const uint32_t half = COSIM_DWORDS / 2;
	if (op == SAC_DOP_MJOS) { // A B rows N Y P; block mm0 q0[N] q1[N] b[N] W[N][2N]
		uint32_t N = n > 60 ? 60 : n;
		uint32_t A = (uint32_t)r.range(0, half / 2 - 1 - rows * N);
		uint32_t B = (uint32_t)r.range(half / 2, half - 1 - rows * N);
		uint32_t Y = (uint32_t)r.range(half, COSIM_DWORDS - 1 - rows * N);
		uint32_t blk = 8 + 24 * N + 2 * N * N * wb;
		uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 1 - blk);
		put_inputs(r, d + A, (uint64_t)rows * N, x16, *bad && r.chance(50));
		put_inputs(r, d + B, (uint64_t)rows * N, x16, *bad);
		put_weights(r, w + P + 8 + 24 * N, 2ull * N * N, w16);
		put_mult(r, w + P, xmax + 1, bits);
		for (uint32_t o = 0; o < N; o++) {
			int64_t bias = rbias(r);
			put_mult(r, w + P + 8 + 8 * o, std::llabs(bias) + N * xmax * wmax + 1, bits);
			put_mult(r, w + P + 8 + 8 * N + 8 * o, N * xmax * wmax + 1, bits);
			sac_dunit_put_i64(w + P + 8 + 16 * N + 8 * o, bias);
		}
		uint32_t a[] = {A, B, rows, N, Y, P};
		memcpy(in.a, a, sizeof a);
		return in;
	}
	// MATMUL: K inputs per row; CONV: K channels x kernel taps; DWCONV:
	// n channels x kernel taps.
	bool causal = op == SAC_DOP_DWCONV && r.chance(60);
	bool rev = causal ? r.chance(50) : r.chance(10); // REVERSE alone: centred
	in.flags |= (uint8_t)((causal ? SAC_DF_CAUSAL : 0) | (rev ? SAC_DF_REVERSE : 0));
	uint32_t K = op == SAC_DOP_DWCONV ? 1 : r.chance(5) ? 0
		   : (uint32_t)r.range(1, op == SAC_DOP_CONV ? 12 : 37);
	uint32_t ker = 1, t0 = 0, xr0 = 0, xrows = rows, T = rows;
	if (op != SAC_DOP_MATMUL) {
		ker = causal ? (uint32_t)r.range(1, 4) : 2 * (uint32_t)r.range(0, 2) + 1;
		t0 = (uint32_t)r.range(0, 4);
		T = t0 + rows + (uint32_t)r.range(0, 3);
		// The rows the taps reach, clipped to [0, T); the buffer holds
		// them, sometimes a row more on either side.
		int64_t off = causal ? ker - 1 : (ker - 1) / 2;
		int64_t lo = causal && rev ? t0 : (int64_t)t0 - off;
		int64_t hi = lo + (rows ? rows - 1 : 0) + ker - 1;
		lo = lo < 0 ? 0 : lo;
		hi = hi > (int64_t)T - 1 ? (int64_t)T - 1 : hi;
		if (hi < lo)
			hi = lo;
		if (lo > 0 && r.chance(30))
			lo--;
		xr0 = (uint32_t)lo;
		xrows = (uint32_t)(hi - lo + 1) + (r.chance(30) ? 1 : 0);
	}
	uint32_t C = op == SAC_DOP_DWCONV ? n : K; // X columns
	uint32_t xs = xrows * C, ys = rows * n;
	uint32_t X = (uint32_t)r.range(0, half - 1 - xs);
	uint32_t Y = (uint32_t)r.range(half, COSIM_DWORDS - 1 - ys);
	uint64_t per = (uint64_t)(op == SAC_DOP_DWCONV ? 1 : K) * ker; // MACs per output
	uint32_t blk = 16 * n + (uint32_t)(n * per) * (uint32_t)wb;
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 1 - blk);
	if (r.chance(70))
		P &= ~7u; // the lowering's blocks are 8-aligned; not always here
	put_inputs(r, d + X, xs, x16, *bad);
	put_weights(r, w + P + 16 * n, n * per, w16);
	for (uint32_t o = 0; o < n; o++) {
		int64_t bias = rbias(r);
		put_mult(r, w + P + 8 * o, std::llabs(bias) + (int64_t)per * xmax * wmax + 1, bits);
		sac_dunit_put_i64(w + P + 8 * n + 8 * o, bias);
	}
	if (op == SAC_DOP_MATMUL) {
		uint32_t a[] = {X, rows, K, Y, n, P};
		memcpy(in.a, a, sizeof a);
	} else if (op == SAC_DOP_CONV) {
		uint32_t a[] = {X, rows, K, Y, n, P, t0, xr0, xrows, T, ker};
		memcpy(in.a, a, sizeof a);
	} else {
		uint32_t a[] = {X, rows, n, Y, P, t0, xr0, xrows, T, ker};
		memcpy(in.a, a, sizeof a);
	}
	return in;
}

// LNORM or SOFTMAX: X rows K Y P.  Rows of int8 or int16 values (some
// constant: the variance is epsilon alone), in place or not.  LNORM:
// epsilon from 1 to 2^40, gamma int8 or int16 (W16), beta up to +-2^20,
// a multiplier up to the bound of |z gamma + beta| (|z| <= sqrt(K) 2^12,
// Q12).  SOFTMAX: c up to 2^32 with 0..30 fraction bits.
sac_dinstr gen_row(rng &r, int op, int32_t *d, uint8_t *w)
{
	sac_dinstr in = new_ins(r, op);
	bool sm = op == SAC_DOP_SOFTMAX, w16 = !sm && r.chance(40);
	in.flags = w16 ? SAC_DF_W16 : 0;
	uint32_t rows = r.chance(3) ? 0 : (uint32_t)r.range(1, 5);
	uint32_t K = (uint32_t)(r.chance(15) ? r.range(41, 100) : r.range(1, 40));
	const uint32_t half = COSIM_DWORDS / 2;
	uint32_t X = (uint32_t)r.range(0, half - 1 - rows * K);
	uint32_t Y = r.chance(30) ? X : (uint32_t)r.range(half, COSIM_DWORDS - 1 - rows * K);
	int xb = r.chance(50) ? 8 : 16;
	for (uint32_t t = 0; t < rows; t++) {
		bool flat = r.chance(10);
		int32_t v0 = rval(r, xb);
		for (uint32_t i = 0; i < K; i++)
			d[X + t * K + i] = flat ? v0 : rval(r, xb);
	}
	uint32_t blk = sm ? 16 : 16 + (8 + (w16 ? 2 : 1)) * K;
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 1 - blk);
	if (sm) {
		int64_t c = r.chance(50) ? r.range(1, (int64_t)1 << 24) : r.range(1, (int64_t)1 << 32);
		sac_dunit_put_i64(w + P, c);
		sac_dunit_put_i64(w + P + 8, r.range(0, 30));
	} else {
		int64_t eps = r.chance(50) ? r.range(1, 100) : r.range(1, (int64_t)1 << 40);
		int64_t bmax = r.chance(30) ? 0 : (int64_t)1 << 20, gmax = w16 ? 32768 : 128;
		sac_dunit_put_i64(w + P + 8, eps);
		for (uint32_t i = 0; i < K; i++)
			sac_dunit_put_i64(w + P + 16 + 8 * i, r.range(-bmax, bmax));
		put_weights(r, w + P + 16 + 8 * K, K, w16);
		int64_t zmax = ((int64_t)std::sqrt((double)K) + 2) << 12;
		put_mult(r, w + P, zmax * gmax + bmax + 1, in.bits ? in.bits : 32);
	}
	uint32_t a[] = {X, rows, K, Y, P};
	memcpy(in.a, a, sizeof a);
	return in;
}

// SCAN: X DL B C Y H rows nd N P init.  Forward and REVERSE; the state
// from zero (init) or carried in H (any int32); x, B, C int8 or int16;
// delta mostly a softplus output (>= 0), some negative (no decay); ae
// with 0..20 fraction bits, spread so that A_bar runs from 1 to 0;
// multipliers up to the bounds of dv B x, sum C h and x dq.
sac_dinstr gen_scan(rng &r, int32_t *d, uint8_t *w)
{
	sac_dinstr in = new_ins(r, SAC_DOP_SCAN);
	in.flags = r.chance(50) ? SAC_DF_REVERSE : 0;
	uint32_t rows = r.chance(3) ? 0 : (uint32_t)r.range(1, 5);
	uint32_t nd = (uint32_t)(r.chance(15) ? r.range(9, 20) : r.range(1, 8));
	uint32_t N = (uint32_t)(r.chance(15) ? r.range(17, 40) : r.range(1, 16));
	uint32_t init = r.chance(50) ? 1 : 0, s6 = COSIM_DWORDS / 6;
	uint32_t X = (uint32_t)r.range(0, s6 - 1 - rows * nd);
	uint32_t DL = (uint32_t)r.range(s6, 2 * s6 - 1 - rows * nd);
	uint32_t B = (uint32_t)r.range(2 * s6, 3 * s6 - 1 - rows * N);
	uint32_t C = (uint32_t)r.range(3 * s6, 4 * s6 - 1 - rows * N);
	uint32_t Y = (uint32_t)r.range(4 * s6, 5 * s6 - 1 - rows * nd);
	uint32_t H = (uint32_t)r.range(5 * s6, COSIM_DWORDS - 1 - nd * N);
	int xb = r.chance(50) ? 8 : 16, bb = r.chance(50) ? 8 : 16;
	for (uint32_t i = 0; i < rows * nd; i++) {
		d[X + i] = rval(r, xb);
		d[DL + i] = r.chance(90) ? (int32_t)r.range(0, 32767) : rval(r, 16);
	}
	for (uint32_t i = 0; i < rows * N; i++) {
		d[B + i] = rval(r, bb);
		d[C + i] = rval(r, bb);
	}
	for (uint32_t i = 0; i < nd * N; i++)
		d[H + i] = rval(r, 32);
	uint32_t bl = 32 + 8 * nd * N + nd;
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 1 - bl);
	int bits = in.bits ? in.bits : 32;
	int g = (int)r.range(0, 20);
	int64_t xm = (int64_t)1 << (xb - 1), bm = (int64_t)1 << (bb - 1);
	put_mult(r, w + P, ((int64_t)1 << 15) * bm * xm, 32);
	put_mult(r, w + P + 8, (int64_t)N * bm << 31, bits);
	put_mult(r, w + P + 16, xm << 7, bits);
	sac_dunit_put_i64(w + P + 24, g);
	for (uint32_t i = 0; i < nd * N; i++)
		sac_dunit_put_i64(w + P + 32 + 8 * i, r.chance(10) ? 0 : r.range(0, (int64_t)1 << (g + 14)));
	for (uint32_t c = 0; c < nd; c++)
		w[P + 32 + 8 * nd * N + c] = (uint8_t)rval(r, 8);
	uint32_t a[] = {X, DL, B, C, Y, H, rows, nd, N, P, init};
	memcpy(in.a, a, sizeof a);
	return in;
}

// GATE: A B rows K Y P.  int8 or int16 operands (IN16; with W16 too:
// four byte passes), K 0..100, some words beyond the declared width; c
// up to 2^24 with 0..30 fraction bits (the sum saturates the sigmoid
// both ways).
sac_dinstr gen_gate(rng &r, int32_t *d, uint8_t *w, bool *bad)
{
	sac_dinstr in = new_ins(r, SAC_DOP_GATE);
	bool x16 = r.chance(50), w16 = x16 && r.chance(20);
	in.flags = (uint8_t)((x16 ? SAC_DF_IN16 : 0) | (w16 ? SAC_DF_W16 : 0));
	*bad = r.chance(4);
	uint32_t rows = r.chance(3) ? 0 : (uint32_t)r.range(1, 5);
	uint32_t K = (uint32_t)(r.chance(5) ? 0 : r.chance(15) ? r.range(41, 100) : r.range(1, 40));
	uint32_t q3 = COSIM_DWORDS / 3;
	uint32_t A = (uint32_t)r.range(0, q3 - 1 - rows * K);
	uint32_t B = (uint32_t)r.range(q3, 2 * q3 - 1 - rows * K);
	uint32_t Y = (uint32_t)r.range(2 * q3, COSIM_DWORDS - 1 - rows);
	put_inputs(r, d + A, (uint64_t)rows * K, x16, *bad && r.chance(50));
	put_inputs(r, d + B, (uint64_t)rows * K, x16, *bad);
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 17);
	sac_dunit_put_i64(w + P, r.range(1, (int64_t)1 << (r.chance(50) ? 12 : 24)));
	sac_dunit_put_i64(w + P + 8, r.range(0, 30));
	uint32_t a[] = {A, B, rows, K, Y, P};
	memcpy(in.a, a, sizeof a);
	return in;
}

// ATTN: Q K V rows Tk dk Y P S.  int8 or int16 (IN16) operands, some
// words beyond the declared width; Tk 1..100 keys of dk 1..40 columns;
// score multipliers up to the bound of the dot product, context ones up
// to that of sum p V; c up to 2^24 with 0..30 fraction bits.
sac_dinstr gen_attn(rng &r, int32_t *d, uint8_t *w, bool *bad)
{
	sac_dinstr in = new_ins(r, SAC_DOP_ATTN);
	bool x16 = r.chance(50);
	in.flags = x16 ? SAC_DF_IN16 : 0;
	*bad = r.chance(4);
	uint32_t rows = r.chance(3) ? 0 : (uint32_t)r.range(1, 4);
	uint32_t Tk = (uint32_t)(r.chance(15) ? r.range(41, 100) : r.range(1, 40));
	uint32_t dk = (uint32_t)(r.chance(15) ? r.range(17, 40) : r.range(1, 16));
	uint32_t s6 = COSIM_DWORDS / 6;
	if (Tk * dk > s6 - 100) // K and V fit their sixth of D
		dk = (s6 - 100) / Tk;
	uint32_t Q = (uint32_t)r.range(0, s6 - 1 - rows * dk);
	uint32_t K = (uint32_t)r.range(s6, 2 * s6 - 1 - Tk * dk);
	uint32_t V = (uint32_t)r.range(2 * s6, 3 * s6 - 1 - Tk * dk);
	uint32_t Y = (uint32_t)r.range(3 * s6, 4 * s6 - 1 - rows * dk);
	uint32_t S = (uint32_t)r.range(4 * s6, COSIM_DWORDS - 1 - 2 * Tk);
	int which = (int)(r.next() % 3);
	put_inputs(r, d + Q, (uint64_t)rows * dk, x16, *bad && which == 0);
	put_inputs(r, d + K, (uint64_t)Tk * dk, x16, *bad && which == 1);
	put_inputs(r, d + V, (uint64_t)Tk * dk, x16, *bad && which == 2);
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 33);
	int64_t xm = x16 ? 32768 : 128;
	put_mult(r, w + P, (int64_t)dk * xm * xm + 1, 16);
	put_mult(r, w + P + 8, ((int64_t)Tk << 15) * xm, in.bits ? in.bits : 32);
	sac_dunit_put_i64(w + P + 16, r.range(1, (int64_t)1 << (r.chance(50) ? 12 : 24)));
	sac_dunit_put_i64(w + P + 24, r.range(0, 30));
	uint32_t a[] = {Q, K, V, rows, Tk, dk, Y, P, S};
	memcpy(in.a, a, sizeof a);
	return in;
}

// TOPK: X n k Y.  Q14 probabilities with ties (equal values keep the
// lower index), or any int32 (a sum <= 0: the even split); k from 1 to
// min(n, 64).
sac_dinstr gen_topk(rng &r, int32_t *d)
{
	sac_dinstr in = new_ins(r, SAC_DOP_TOPK);
	uint32_t n = (uint32_t)(r.chance(10) ? r.range(41, 150) : r.range(1, 40));
	uint32_t kmax = n < 64 ? n : 64;
	uint32_t kk = (uint32_t)(r.chance(20) ? r.range(1, kmax) : r.range(1, kmax < 8 ? kmax : 8));
	const uint32_t half = COSIM_DWORDS / 2;
	uint32_t X = (uint32_t)r.range(0, half - 1 - n);
	uint32_t Y = (uint32_t)r.range(half, COSIM_DWORDS - 1 - 2 * kk);
	int mode = (int)(r.next() % 4); // 0: any int32, 1: <= 0 (the even split)
	for (uint32_t i = 0; i < n; i++)
		d[X + i] = mode == 0 ? rval(r, 32) : mode == 1 ? -(int32_t)r.range(0, 3)
			   : i > 0 && r.chance(15) ? d[X + i - 1] : (int32_t)r.range(0, 16384);
	uint32_t a[] = {X, n, kk, Y};
	memcpy(in.a, a, sizeof a);
	return in;
}

// MOESUM: T k count Y nexp E0..E9.  Indices mostly among the nexp
// experts, some outside (they contribute nothing); Q14 or int16 weights;
// expert words anywhere in int32 (the sum saturates).
sac_dinstr gen_moesum(rng &r, int32_t *d)
{
	sac_dinstr in = new_ins(r, SAC_DOP_MOESUM);
	uint32_t kk = (uint32_t)r.range(1, r.chance(10) ? 20 : 4);
	uint32_t n = r.chance(5) ? 0 : (uint32_t)r.range(1, 60);
	uint32_t ne = (uint32_t)r.range(1, SAC_DUNIT_MAX_EXPERTS);
	uint32_t T = (uint32_t)r.range(0, 99);
	uint32_t Y = (uint32_t)r.range(128, 999 - n);
	for (uint32_t j = 0; j < kk; j++) {
		d[T + j] = r.chance(75) ? (int32_t)r.range(0, ne - 1)
			   : r.chance(30) ? -(int32_t)r.range(1, 3) : (int32_t)(ne + r.range(0, 3));
		d[T + kk + j] = r.chance(70) ? (int32_t)r.range(0, 16384) : rval(r, 16);
	}
	for (uint32_t e = 0; e < SAC_DUNIT_MAX_EXPERTS; e++) {
		uint32_t E = 1024 + e * 700 + (uint32_t)r.range(0, 600 - n);
		in.a[5 + e] = E;
		for (uint32_t c = 0; c < n; c++)
			d[E + c] = rval(r, r.chance(50) ? 16 : 32);
	}
	uint32_t a[] = {T, kk, n, Y, ne};
	memcpy(in.a, a, sizeof a);
	return in;
}

// MIX: AL Pp Qq rows F Y P.  Gates mostly in Q14 [0, 2^14], some anywhere
// in int16; p and q of 8, 16 or 32 bits (biased to their extremes);
// multipliers up to the largest that keeps the products below 2^62.
sac_dinstr gen_mix(rng &r, int32_t *d, uint8_t *w)
{
	sac_dinstr in = new_ins(r, SAC_DOP_MIX);
	int bits = in.bits ? in.bits : 32;
	uint32_t rows = r.chance(3) ? 0 : (uint32_t)r.range(1, 7);
	uint32_t F = (uint32_t)r.range(1, r.chance(20) ? 60 : 13);
	uint32_t n = rows * F, q4 = COSIM_DWORDS / 4;
	uint32_t AL = (uint32_t)r.range(0, q4 - 1 - rows);
	uint32_t Pp = (uint32_t)r.range(q4, 2 * q4 - 1 - n);
	uint32_t Qq = (uint32_t)r.range(2 * q4, 3 * q4 - 1 - n);
	uint32_t Y = (uint32_t)r.range(3 * q4, COSIM_DWORDS - 1 - n);
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 17);
	static const int vb[] = {8, 16, 32};
	int pb = vb[r.next() % 3], qb = vb[r.next() % 3];
	for (uint32_t t = 0; t < rows; t++)
		d[AL + t] = r.chance(70) ? (int32_t)r.range(0, 16384)
			    : r.chance(50) ? (r.chance(50) ? 0 : 16384) : rval(r, 16);
	for (uint32_t i = 0; i < n; i++) {
		d[Pp + i] = rval(r, pb);
		d[Qq + i] = rval(r, qb);
	}
	put_mult(r, w + P, ((int64_t)1 << 15) << (pb - 1), bits);
	put_mult(r, w + P + 8, ((int64_t)1 << 16) << (qb - 1), bits);
	uint32_t a[] = {AL, Pp, Qq, rows, F, Y, P};
	memcpy(in.a, a, sizeof a);
	return in;
}

// ADD / MUL: A B Y count P.  Values up to int32 (biased to extremes);
// MUL's multiplier keeps |A B m| < 2^62 as the quantiser does.
sac_dinstr gen_ewise(rng &r, int32_t *d, uint8_t *w)
{
	bool add = r.chance(50);
	sac_dinstr in = new_ins(r, add ? SAC_DOP_ADD : SAC_DOP_MUL);
	uint32_t n = r.chance(3) ? 0 : (uint32_t)r.range(1, 100);
	const uint32_t third = COSIM_DWORDS / 3;
	uint32_t A = (uint32_t)r.range(0, third - 1 - n);
	uint32_t B = (uint32_t)r.range(third, 2 * third - 1 - n);
	uint32_t Y = r.chance(20) ? A : r.chance(20) ? B
				: (uint32_t)r.range(2 * third, COSIM_DWORDS - 1 - n);
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 17);
	static const int vb[] = {8, 16, 32};
	int ba = vb[r.next() % 3], bb = vb[r.next() % 3];
	for (uint32_t i = 0; i < n; i++) {
		d[A + i] = rval(r, ba);
		d[B + i] = rval(r, bb);
	}
	for (int k = 0; k < 2; k++) {
		int64_t bound = add ? (int64_t)1 << 31 : (int64_t)1 << (ba + bb - 2);
		int64_t mmax = ((int64_t)1 << 62) / bound;
		if (mmax > INT32_MAX)
			mmax = INT32_MAX;
		int64_t m = r.chance(20) ? mmax : r.chance(10) ? 0 : r.range(mmax / 2, mmax);
		int lg = 63 - __builtin_clzll((uint64_t)(bound * (m ? m : 1)));
		int sh = r.chance(30) ? (int)r.range(0, 62)
				      : lg - (int)r.range(0, in.bits == 8 ? 9 : in.bits == 16 ? 17 : 33);
		sh = sh < 0 ? 0 : sh > 62 ? 62 : sh;
		put_i32(w + P + 8 * k, (int32_t)m);
		put_i32(w + P + 8 * k + 4, sh);
	}
	uint32_t a[] = {A, B, Y, n, P};
	memcpy(in.a, a, sizeof a);
	return in;
}

// LUT: int8 tables; interpolated int16 tables (IN16); windowed ones (IN16
// and WIN: inputs below, inside and above the window, slopes up to the
// largest that keeps |(X - x0 - 256 2^k) m| < 2^62).
sac_dinstr gen_lut(rng &r, int32_t *d, uint8_t *w)
{
	sac_dinstr in = new_ins(r, SAC_DOP_LUT); // bits: also the windowed slope's
	bool in16 = r.chance(50), win = in16 && r.chance(50);
	in.flags = (uint8_t)((in16 ? SAC_DF_IN16 : 0) | (win ? SAC_DF_WIN : 0));
	uint32_t n = r.chance(3) ? 0 : (uint32_t)r.range(1, 100);
	uint32_t X = (uint32_t)r.range(0, COSIM_DWORDS / 2 - 1 - n);
	uint32_t Y = r.chance(30) ? X : (uint32_t)r.range(COSIM_DWORDS / 2, COSIM_DWORDS - 1 - n);
	uint32_t ents = in16 ? 257 : 256, bytes = 4 * ents + (win ? 16 : 0);
	uint32_t P = (uint32_t)r.range(0, COSIM_WBYTES - 1 - bytes) & ~3u;
	int k = (int)r.range(0, 8);
	int32_t x0 = r.chance(20) || k == 8 ? -32768
					    : (int32_t)r.range(-32768, 32767 - (256 << k));
	int64_t far = 1; // the largest |X - x0 - 256 2^k|
	for (uint32_t i = 0; i < n; i++) {
		int32_t v;
		switch (r.next() % 6) {
		case 0: v = (int32_t)r.next(); break; // beyond int8 / int16
		case 1: v = rval(r, 32); break;
		case 2:
			if (win) { // around and inside the window
				v = x0 + (int32_t)r.range(-(2 << k), (258 << k));
				break;
			}
			/* fall through */
		default: v = rval(r, in16 ? 16 : 8);
		}
		d[X + i] = v;
		int64_t ue = std::llabs((int64_t)v - x0 - ((int64_t)256 << k));
		far = ue > far ? ue : far;
	}
	// Interpolated tables: entries within +-2^30, or (wide) anywhere in
	// int32 with runs of alternating INT32_MIN / INT32_MAX, so that
	// adjacent entries lie up to 2^32 - 1 apart (a 33-bit difference).
	bool wide = in16 && r.chance(40);
	for (uint32_t i = 0; i < ents; i++) {
		int32_t v;
		if (in16 && !wide)
			v = r.chance(20) ? (r.chance(50) ? -(1 << 30) : (1 << 30) - 1)
					 : (int32_t)r.range(-(1 << 30), (1 << 30) - 1);
		else if (wide)
			v = r.chance(40) ? (i % 2 ? INT32_MIN : INT32_MAX) : rval(r, 32);
		else
			v = r.chance(10) ? (r.chance(50) ? INT32_MIN : INT32_MAX) : rval(r, 32);
		put_i32(w + P + 4 * i, v);
	}
	if (win) {
		int64_t mmax = ((int64_t)1 << 62) / far;
		if (mmax > INT32_MAX)
			mmax = INT32_MAX;
		int64_t m = r.chance(20) ? mmax : r.chance(10) ? 0 : r.range(0, mmax);
		put_i32(w + P + 1028, x0);
		put_i32(w + P + 1032, k);
		put_i32(w + P + 1036, (int32_t)m);
		put_i32(w + P + 1040, (int32_t)r.range(0, 62));
	}
	uint32_t a[] = {X, Y, n, P};
	memcpy(in.a, a, sizeof a);
	return in;
}

int run_random(bench &b, uint64_t seed, long count)
{
	rng r(seed);
	std::vector<int32_t> d(COSIM_DWORDS);
	std::vector<uint8_t> w(COSIM_WBYTES);
	for (auto &x : d)
		x = (int32_t)r.next();
	for (auto &x : w)
		x = (uint8_t)r.next();
	for (long i = 0; i < count; i++) {
		sac_dinstr in;
		uint64_t k = r.next() % 100;
		bool bad = false;
		if (k < 2) {
			in = sac_dinstr{};
			in.guard = -1;
		} else if (k < 22) {
			in = gen_mac(r, SAC_DOP_MATMUL, d.data(), w.data(), &bad);
		} else if (k < 32) {
			in = gen_mac(r, SAC_DOP_CONV, d.data(), w.data(), &bad);
		} else if (k < 42) {
			in = gen_mac(r, SAC_DOP_DWCONV, d.data(), w.data(), &bad);
		} else if (k < 50) {
			in = gen_mac(r, SAC_DOP_MJOS, d.data(), w.data(), &bad);
		} else if (k < 56) {
			in = gen_mix(r, d.data(), w.data());
		} else if (k < 63) {
			in = gen_row(r, SAC_DOP_LNORM, d.data(), w.data());
		} else if (k < 68) {
			in = gen_row(r, SAC_DOP_SOFTMAX, d.data(), w.data());
		} else if (k < 71) {
			in = gen_topk(r, d.data());
		} else if (k < 74) {
			in = gen_moesum(r, d.data());
		} else if (k < 78) {
			in = gen_scan(r, d.data(), w.data());
		} else if (k < 81) {
			in = gen_gate(r, d.data(), w.data(), &bad);
		} else if (k < 84) {
			in = gen_attn(r, d.data(), w.data(), &bad);
		} else if (k < 87) {
			in = gen_ewise(r, d.data(), w.data());
		} else {
			in = gen_lut(r, d.data(), w.data());
		}
		b.may_be_corrupt = bad;
		if (!b.step(i, in, d.data(), w.data()))
			return 1;
	}
	return 0;
}

// ---- a lowered network --------------------------------------------------------------

// Append node d, unguarded or of expert `expert`.
int add(sac_dense_graph *g, sac_dense_desc d, int expert = -1)
{
	sac_err e = {};
	d.expert = expert;
	int id = sac_dense_add(g, &d, &e);
	if (id < 0) {
		fprintf(stderr, "dunit_cosim: graph: %s\n", e.msg);
		exit(2);
	}
	return id;
}

std::vector<std::vector<float>> params;
const float *prm(rng &r, size_t n, double sd)
{
	params.emplace_back(n);
	for (auto &x : params.back())
		x = (float)(sd * ((double)(r.next() >> 11) / 9007199254740992.0 * 2 - 1));
	return params.back().data();
}

// Graph builders' shorthand: an input [T, K]; a node of op on up to three
// inputs; a linear (or conv1d) of n outputs on K inputs per tap, weights
// of scale sw and biases of scale sb drawn in that order.
int input(sac_dense_graph *g, int T, int K)
{
	sac_dense_desc d = {};
	d.name = "x";
	d.op = SAC_DENSE_INPUT;
	d.rows = T;
	d.cols = K;
	return add(g, d);
}

int node(sac_dense_graph *g, const char *name, sac_dense_op op, int a, int b = -1,
	 int c = -1)
{
	sac_dense_desc d = {};
	d.name = name;
	d.op = op;
	int in[3] = {a, b, c};
	for (int i = 0; i < 3 && in[i] >= 0; i++)
		d.in[d.nin++] = in[i];
	return add(g, d);
}

int linear(sac_dense_graph *g, rng &r, const char *name, int in, int K, int n,
	   double sw, double sb, int bits = 0, int expert = -1)
{
	sac_dense_desc d = {};
	d.name = name;
	d.op = SAC_DENSE_LINEAR; d.nin = 1; d.in[0] = in; d.n = n; d.bits = bits;
	d.p[0] = prm(r, (size_t)n * K, sw); d.p[1] = prm(r, n, sb);
	return add(g, d, expert);
}

// A node with kernel taps (conv1d: n outputs; dwconv: C channels) or a
// per-channel parameter pair (mjos, layernorm, scan): weights w of
// scale sw, then nb biases of scale sb.
int param_node(sac_dense_graph *g, rng &r, sac_dense_desc d, size_t w, double sw,
	       size_t nb, double sb)
{
	d.p[0] = prm(r, w, sw);
	d.p[1] = prm(r, nb, sb);
	return add(g, d);
}

// The first network: input [T, 24] -> linear (int16 out) -> softplus ->
// linear (int16 in and weights) -> sigmoid -> add -> mul -> linear.
// *wide: the node from which weights are int16.
sac_dense_graph *build_layer(rng &r, int T, int *wide)
{
	const int K = 24;
	sac_dense_graph *g = sac_dense_graph_new();
	int x = input(g, T, K);
	// int16 output, as the scan's delta projection
	int l1 = linear(g, r, "proj", x, K, 20, 0.4, 0.1, 16);
	sac_dense_desc d = {};
	d.name = "softplus"; // interpolated int16 table
	d.op = SAC_DENSE_SOFTPLUS; d.nin = 1; d.in[0] = l1; d.bits = 16;
	int sp = add(g, d);
	// int16 input; int16 weights (wide_from below)
	int l2 = linear(g, r, "fc16", sp, 20, 13, 0.3, 0.1);
	int sg = node(g, "sigmoid", SAC_DENSE_SIGMOID, l2);          // int8 table
	int ad = node(g, "residual", SAC_DENSE_ADD, sg, l2); // two requantised terms
	int mu = node(g, "gated", SAC_DENSE_MUL, ad, sg);
	linear(g, r, "head", mu, 13, 7, 0.5, 0.1);
	*wide = l2; // fc16 and head: int16 weights
	return g;
}

// The second: the Mamba / MCIB shapes.  input [T, 16] -> conv1d (12, k 3)
// -> dwconv1d (k 3) -> dwconv1d_causal (k 4) forward and reverse ->
// selective_scan of each (delta = softplus of a projection, B and C
// projections, the reverse scan right to left) -> mjos of the two; a
// linear (12) of the dwconv; mcib_gate of the mjos and the linear (left
// to the C model: GATE is not in RTL) -> gate_mix of the gate, the mjos
// and the linear -> layernorm -> linear (7) -> softmax -> flattened -> a
// router (linear, softmax, top-2) over four guarded linear experts ->
// moe_sum.
sac_dense_graph *build_mamba(rng &r, int T)
{
	const int K = 16, C = 12, NS = 8, E = 4;
	sac_dense_graph *g = sac_dense_graph_new();
	int x = input(g, T, K);
	sac_dense_desc d = {};
	d.name = "conv";
	d.op = SAC_DENSE_CONV1D; d.nin = 1; d.in[0] = x; d.n = C; d.kernel = 3;
	int cv = param_node(g, r, d, (size_t)C * K * 3, 0.3, C, 0.1);
	d = sac_dense_desc{};
	d.name = "dw";
	d.op = SAC_DENSE_DWCONV1D; d.nin = 1; d.in[0] = cv; d.kernel = 3;
	int dw = param_node(g, r, d, C * 3, 0.5, C, 0.1);
	int dir[2];
	for (int rev = 0; rev < 2; rev++) {
		d = sac_dense_desc{};
		d.name = rev ? "causal.bwd" : "causal.fwd";
		d.op = SAC_DENSE_DWCONV1D_CAUSAL; d.nin = 1; d.in[0] = dw; d.kernel = 4;
		d.reverse = rev;
		dir[rev] = param_node(g, r, d, C * 4, 0.5, C, 0.1);
	}
	// The selective scans of the two directions: delta = softplus of a
	// projection, B and C projections of NS states.
	int dt = linear(g, r, "dt", dw, C, C, 0.3, 0.3);
	int dl = node(g, "delta", SAC_DENSE_SOFTPLUS, dt);
	int bp = linear(g, r, "B", dw, C, NS, 0.3, 0.1);
	int cp = linear(g, r, "C", dw, C, NS, 0.3, 0.1);
	std::vector<float> A((size_t)C * NS);
	for (auto &a : A) // A < 0: -exp of a small log
		a = (float)-std::exp(2.0 * (double)(r.next() >> 11) / 9007199254740992.0 - 1.0);
	params.push_back(A);
	const float *pa = params.back().data();
	for (int rev = 0; rev < 2; rev++) {
		d = sac_dense_desc{};
		d.name = rev ? "scan.bwd" : "scan.fwd";
		d.op = SAC_DENSE_SCAN; d.nin = 4; d.in[0] = dir[rev]; d.in[1] = dl;
		d.in[2] = bp; d.in[3] = cp; d.reverse = rev;
		d.p[0] = pa; d.p[1] = prm(r, C, 1.0);
		dir[rev] = add(g, d);
	}
	d = sac_dense_desc{};
	d.name = "mjos";
	d.op = SAC_DENSE_MJOS; d.nin = 2; d.in[0] = dir[0]; d.in[1] = dir[1];
	int mj = param_node(g, r, d, (size_t)C * 2 * C, 0.3, C, 0.1);
	int ln = linear(g, r, "lin", dw, C, C, 0.3, 0.1);
	int al = node(g, "alpha", SAC_DENSE_GATE, mj, ln);
	int mx = node(g, "mix", SAC_DENSE_MIX, al, mj, ln);
	d = sac_dense_desc{};
	d.name = "norm";
	d.op = SAC_DENSE_LAYERNORM; d.nin = 1; d.in[0] = mx;
	int nm = param_node(g, r, d, C, 1.0, C, 0.2);
	int hd = linear(g, r, "head", nm, C, 7, 0.5, 0.1);
	int pb = node(g, "prob", SAC_DENSE_SOFTMAX, hd);
	// The MoE: a router over the flattened probabilities, top-2 of E
	// experts (guarded linears), their weighted sum.
	d = sac_dense_desc{};
	d.name = "flat";
	d.op = SAC_DENSE_RESHAPE; d.nin = 1; d.in[0] = pb; d.n = 1;
	int fl = add(g, d);
	int ro = linear(g, r, "router", fl, 7 * T, E, 0.5, 0.5);
	int rs = node(g, "router.softmax", SAC_DENSE_SOFTMAX, ro);
	d = sac_dense_desc{};
	d.name = "topk";
	d.op = SAC_DENSE_TOPK; d.nin = 1; d.in[0] = rs; d.n = 2;
	int tk = add(g, d);
	sac_dense_desc moe = {};
	moe.name = "logits";
	moe.op = SAC_DENSE_MOE_SUM; moe.nin = 1 + E; moe.in[0] = tk;
	static const char *const names[] = {"expert0", "expert1", "expert2", "expert3"};
	for (int e = 0; e < E; e++)
		moe.in[1 + e] = linear(g, r, names[e], fl, 7 * T, 7, 0.3, 0.1, 0, e);
	add(g, moe);
	return g;
}

// A network lowered by sac_dlower, replayed on both sides (see the top).
// mamba: the second network, quantised with int16 weights and
// activations everywhere when int16 is set.
// Replays p on both sides (see the top) from the quantised inputs qin,
// one per input tensor in tensor order: the output tensor must equal
// sac_dsim_run's.
int replay(bench &b, const sac_dprog *p, const int32_t *const *qin, const char *label)
{
	sac_err e = {};
	const sac_dtensor &ot = p->tensor[p->output];
	std::vector<int32_t> logits((size_t)ot.rows * ot.cols), mine(logits.size());
	sac_dsim_stats st;
	if (sac_dsim_run(p, qin, logits.data(), &st, nullptr, &e)) {
		fprintf(stderr, "dunit_cosim: sac_dsim_run: %s\n", e.msg);
		return 2;
	}
	// The replay: per-PE memories, the host loads the input tiles.
	int npe = p->npe;
	std::vector<std::vector<int32_t>> D(npe, std::vector<int32_t>(p->dwords));
	std::vector<std::vector<uint8_t>> W(npe, std::vector<uint8_t>(p->wbytes));
	auto tiles = [&](int ti, auto fn) {
		int bt = ti;
		while (p->tensor[bt].alias >= 0)
			bt = p->tensor[bt].alias;
		const sac_dtensor &x = p->tensor[bt];
		for (int i = 0; i < x.ntiles; i++) {
			const sac_dtile &tl = p->tile[x.tile0 + i];
			int wd = tl.c1 - tl.c0;
			for (int row = tl.r0; row < tl.r1; row++)
				for (int c = tl.c0; c < tl.c1; c++)
					fn(D[tl.pe][tl.addr + (size_t)(row - tl.r0) * wd + (c - tl.c0)],
					   (size_t)row * x.cols + c);
		}
	};
	int tokens = 0;
	for (int i = 0, k = 0; i < p->ntensors; i++)
		if (p->tensor[i].op == SAC_DENSE_INPUT) {
			const int32_t *q = qin[k++];
			tokens = p->tensor[i].rows;
			tiles(i, [&](int32_t &dst, size_t j) { dst = q[j]; });
		}
	std::vector<uint32_t> cur(npe, 0);
	long no = 0, nsys = 0, nskip = 0;
	uint64_t sel = 0; // the experts the last SELECT chose
	std::vector<int> ops(SAC_DOP_COUNT, 0);
	for (int ph = 0; ph < p->nphases; ph++)
		for (int pe = 0; pe < npe; pe++) {
			// This PE's segment of phase ph: up to its SYNC with a0 = ph.
			uint32_t s = cur[pe], i = s;
			while (i < p->ncode[pe] && p->code[pe][i].op != SAC_DOP_SYNC)
				i++;
			if (i >= p->ncode[pe] || p->code[pe][i].a[0] != (uint32_t)ph)
				continue;
			cur[pe] = i + 1;
			for (uint32_t j = s; j < i; j++) {
				const sac_dinstr &in = p->code[pe][j];
				// The guards, as the simulator: the phase's and the
				// instruction's expert must be among the last SELECT's.
				auto chosen = [&](int gd) { return gd < 0 || (gd < 64 && (sel >> gd & 1)); };
				if (!chosen(p->phase[ph].guard) || !chosen(in.guard)) {
					nskip++;
					continue;
				}
				ops[in.op]++;
				switch (in.op) {
				case SAC_DOP_SELECT:
					sel = 0;
					for (uint32_t q = 0; q < in.a[1]; q++) {
						int32_t x = D[pe][in.a[0] + q];
						if (x >= 0 && x < 64)
							sel |= (uint64_t)1 << x;
					}
					nsys++;
					break;
				case SAC_DOP_RECV:
					memmove(&D[pe][in.a[0]], &D[in.a[1]][in.a[2]],
						sizeof(int32_t) * in.a[3]);
					nsys++;
					break;
				case SAC_DOP_WLOAD: {
					uint64_t off = (uint64_t)in.a[1] | (uint64_t)in.a[2] << 32;
					memcpy(&W[pe][in.a[0]], p->dram + off, in.a[3]);
					nsys++;
					break;
				}
				case SAC_DOP_MATMUL:
				case SAC_DOP_CONV:
				case SAC_DOP_DWCONV:
				case SAC_DOP_MJOS:
				case SAC_DOP_MIX:
				case SAC_DOP_LNORM:
				case SAC_DOP_SOFTMAX:
				case SAC_DOP_TOPK:
				case SAC_DOP_MOESUM:
				case SAC_DOP_SCAN:
				case SAC_DOP_GATE:
				case SAC_DOP_ATTN:
				case SAC_DOP_LUT:
				case SAC_DOP_ADD:
				case SAC_DOP_MUL:
				case SAC_DOP_NOP:
					if (!b.step(no++, in, D[pe].data(), W[pe].data())) {
						fprintf(stderr, "  (phase %d, PE %d, its instruction %u)\n",
							ph, pe, j);
						return 1;
					}
					break;
				default:
					fprintf(stderr, "dunit_cosim: the network lowered a %s, "
						"which the replay does not run\n",
						sac_dunit_op_name(in.op));
					return 2;
				}
			}
		}
	tiles(p->output, [&](int32_t &src, size_t j) { mine[j] = src; });
	for (size_t j = 0; j < logits.size(); j++)
		if (mine[j] != logits[j]) {
			fprintf(stderr, "DIVERGENCE: output element %zu: sac_dsim_run %d, "
				"replay on the RTL unit %d\n", j, logits[j], mine[j]);
			return 1;
		}
	printf("%s: %d tokens, %d PEs, %d phases, %ld unit instructions (%d matmul, "
	       "%d conv, %d dwconv, %d mjos, %d mix, %d lnorm, %d softmax, %d lut, %d add, "
	       "%d mul, %d topk, %d moesum, %d scan, %d gate, %d attn), %ld system (%d recv, "
	       "%d wload, %d select), %ld skipped by their guard; output %dx%d equals "
	       "sac_dsim_run's\n", label,
	       tokens, npe, p->nphases, no, ops[SAC_DOP_MATMUL], ops[SAC_DOP_CONV],
	       ops[SAC_DOP_DWCONV], ops[SAC_DOP_MJOS], ops[SAC_DOP_MIX], ops[SAC_DOP_LNORM],
	       ops[SAC_DOP_SOFTMAX], ops[SAC_DOP_LUT],
	       ops[SAC_DOP_ADD], ops[SAC_DOP_MUL], ops[SAC_DOP_TOPK], ops[SAC_DOP_MOESUM],
	       ops[SAC_DOP_SCAN], ops[SAC_DOP_GATE], ops[SAC_DOP_ATTN], nsys,
	       ops[SAC_DOP_RECV], ops[SAC_DOP_WLOAD], ops[SAC_DOP_SELECT], nskip, ot.rows, ot.cols);
	return 0;
}

int run_layer(bench &b, uint64_t seed, bool mamba, bool int16)
{
	rng r(seed);
	sac_err e = {};
	// 40 tokens: the linears cut rows (every PE holds the weights); 12:
	// they cut output columns, and the PEs RECV their operands.
	const int T = seed % 2 ? 40 : 12, K = mamba ? 16 : 24;
	int wide = -1; // int8 weights unless the network says
	sac_dense_graph *g = mamba ? build_mamba(r, T) : build_layer(r, T, &wide);
	sac_dense_exec xf;
	if (sac_dense_exec_init(g, &xf, &e)) {
		fprintf(stderr, "dunit_cosim: %s\n", e.msg);
		return 2;
	}
	std::vector<double> in((size_t)T * K);
	const double *pin[1] = {in.data()};
	for (int rep = 0; rep < 4; rep++) {
		for (auto &v : in)
			v = 4 * ((double)(r.next() >> 11) / 9007199254740992.0) - 2;
		if (sac_dense_forward_float(g, &xf, pin, 1, &e)) {
			fprintf(stderr, "dunit_cosim: float: %s\n", e.msg);
			return 2;
		}
	}
	sac_dense_qopts qo;
	sac_dense_qopts_init(&qo);
	qo.wide_from = wide;
	if (int16) // int16 weights and activations everywhere: W16, IN16
		qo.wide_from = qo.wide_act_from = 0;
	sac_target t;
	sac_target_default(&t);
	t.mesh_w = t.mesh_h = 2;
	t.dense.mac_lanes = b.cfg.mac_lanes; // the Verilated unit's
	t.dense.vector_lanes = b.cfg.vec_lanes;
	t.pe.pipeline = b.cfg.pipeline;
	sac_dprog *p = nullptr;
	if (sac_dense_quantize(g, &qo, &e) || sac_dlower(g, &t, &p, &e)) {
		fprintf(stderr, "dunit_cosim: quantise / lower: %s\n", e.msg);
		return 2;
	}
	if (p->dwords != COSIM_DWORDS || p->wbytes != COSIM_WBYTES) {
		fprintf(stderr, "dunit_cosim: the program's memories (%u words, %u bytes) "
			"are not the unit's\n", p->dwords, p->wbytes);
		return 2;
	}
	// One quantised input.
	std::vector<int32_t> q((size_t)T * K);
	for (auto &v : q)
		v = (int32_t)r.range(-128, 127);
	const int32_t *qin[1] = {q.data()};
	int rc = replay(b, p, qin, mamba ? (int16 ? "mamba int16" : "mamba") : "layer");
	sac_dprog_free(p);
	sac_dense_exec_free(&xf);
	sac_dense_graph_free(g);
	return rc;
}

// The reduced MCO-E head of the unit tests (sac_zoo_mcoe, small):
// synthetic weights written to a temporary directory and loaded,
// calibrated on 8 inputs, quantised (int16: int16 weights and activations
// everywhere), lowered for the default target, and replayed on sample
// input `seed`.
int run_head(bench &b, uint64_t seed, bool int16)
{
	sac_err e = {};
	char dir[] = "/tmp/dunit_cosim.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("dunit_cosim: mkdtemp");
		return 2;
	}
	sac_zoo_mcoe_opts zo;
	sac_zoo_mcoe_opts_init(&zo);
	zo.small = 1;
	zo.ncalib = 8;
	sac_mcoe *m = nullptr;
	int rc = 2;
	if (sac_zoo_mcoe(&zo, dir, &e) || sac_mcoe_load(dir, &m, &e)) {
		fprintf(stderr, "dunit_cosim: the reduced head: %s\n", e.msg);
	} else {
		sac_dense_graph *g = sac_mcoe_graph(m);
		const sac_mcoe_dims *D = sac_mcoe_get_dims(m);
		size_t per = (size_t)2 * D->tokens * D->d_model;
		std::vector<float> buf(per);
		std::vector<double> in(per);
		std::vector<int32_t> q(per);
		const double *pin[2] = {in.data(), in.data() + per / 2};
		sac_dense_exec xf;
		sac_dense_qopts qo;
		sac_dense_qopts_init(&qo);
		if (int16)
			qo.wide_from = qo.wide_act_from = 0;
		sac_target t;
		sac_target_default(&t);
		t.dense.mac_lanes = b.cfg.mac_lanes; // the Verilated unit's
		t.dense.vector_lanes = b.cfg.vec_lanes;
		t.pe.pipeline = b.cfg.pipeline;
		t.dense.div_cycles = b.cfg.div_cycles;
		sac_dprog *p = nullptr;
		rc = sac_dense_exec_init(g, &xf, &e);
		for (int i = 0; !rc && i < zo.ncalib; i++) {
			sac_zoo_mcoe_input(D->tokens, D->d_model, zo.seed, i, 1, buf.data());
			std::copy(buf.begin(), buf.end(), in.begin());
			rc = sac_dense_forward_float(g, &xf, pin, 1, &e);
		}
		if (!rc) rc = sac_dense_quantize(g, &qo, &e);
		if (!rc) rc = sac_dlower(g, &t, &p, &e);
		if (!rc) {
			sac_zoo_mcoe_input(D->tokens, D->d_model, zo.seed, (int)seed, 0, buf.data());
			std::copy(buf.begin(), buf.end(), in.begin());
			int32_t *qq[2] = {q.data(), q.data() + per / 2};
			rc = sac_dsim_quantize_inputs(p, pin, qq, &e);
		}
		if (rc) {
			fprintf(stderr, "dunit_cosim: the reduced head: %s\n", e.msg);
			rc = 2;
		} else {
			const int32_t *qi[2] = {q.data(), q.data() + per / 2};
			rc = replay(b, p, qi, int16 ? "head int16" : "head");
		}
		sac_dprog_free(p);
		sac_dense_exec_free(&xf);
		sac_mcoe_free(m);
	}
	std::string rm = std::string("rm -rf '") + dir + "'";
	if (system(rm.c_str()) != 0)
		fprintf(stderr, "dunit_cosim: could not remove %s\n", dir);
	return rc;
}

void usage()
{
	fprintf(stderr, "usage: dunit_cosim --test random|layer|mamba|mamba16|head|head16|fault "
		"[--seed N] "
		"[--count N] [--fault-at N]\n");
}

} // namespace

int sc_main(int argc, char **argv)
{
	std::string test = "random";
	uint64_t seed = 1;
	long count = 500, fault_at = 100;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (i + 1 < argc && a == "--test")
			test = argv[++i];
		else if (i + 1 < argc && a == "--seed")
			seed = strtoull(argv[++i], nullptr, 10);
		else if (i + 1 < argc && a == "--count")
			count = strtol(argv[++i], nullptr, 10);
		else if (i + 1 < argc && a == "--fault-at")
			fault_at = strtol(argv[++i], nullptr, 10);
		else {
			usage();
			return 2;
		}
	}
	bench b;
	int rc;
	if (test == "random") {
		rc = run_random(b, seed, count);
	} else if (test == "fault") {
		b.fault_at = fault_at;
		rc = run_random(b, seed, count);
	} else if (test == "layer" || test == "mamba" || test == "mamba16") {
		rc = run_layer(b, seed, test != "layer", test == "mamba16");
	} else if (test == "head" || test == "head16") {
		rc = run_head(b, seed, test == "head16");
	} else {
		usage();
		return 2;
	}
	if (rc == 0)
		printf("dunit_cosim %s seed %" PRIu64 ": %" PRIu64 " instructions identical "
		       "(%" PRIu64 " matmul: %" PRIu64 " int16 weights, %" PRIu64 " int16 "
		       "inputs, %" PRIu64 " of %" PRIu64 " outputs saturated; %" PRIu64
		       " conv; %" PRIu64 " dwconv: %" PRIu64 " causal, %" PRIu64 " of them reverse; %"
		       PRIu64 " mjos; %" PRIu64 " mix; %" PRIu64 " lnorm; %" PRIu64 " softmax; %" PRIu64 " topk; %" PRIu64 " moesum; %" PRIu64 " scan: %" PRIu64 " reverse; %" PRIu64 " gate; %" PRIu64 " attn; %" PRIu64
		       " lut: %" PRIu64 " interpolated, %" PRIu64 " of them windowed, %" PRIu64
		       " with entries 2^31 or more apart; %" PRIu64 " add, %" PRIu64
		       " mul, %" PRIu64 " nop; %" PRIu64 " refused by both as corrupt), %" PRIu64
		       " cycles, every counter and D word\n", test.c_str(), seed, b.ninstr,
		       b.nmatmul, b.nw16, b.nin16, b.nsat, b.nout, b.nconv, b.ndw, b.ndwc, b.ndwr,
		       b.nmjos, b.nmix, b.nlnorm, b.nsoftmax, b.ntopk, b.nmoe, b.nscan, b.nscanr, b.ngate, b.nattn, b.nlut, b.nlut16, b.nwin, b.nlut_wide, b.nadd,
		       b.nmul, b.nnop, b.ncorrupt, b.ncycles);
	else if (rc == 1)
		printf("dunit_cosim %s seed %" PRIu64 ": DIVERGED at instruction #%ld "
		       "(%" PRIu64 " run)\n", test.c_str(), seed, b.failed_at, b.ninstr);
	return rc;
}
