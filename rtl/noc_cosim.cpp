// noc_cosim.cpp: co-simulation of the Verilated mesh (rtl/mesh.sv) against
// the C NoC model (sim/noc.c) in lockstep, cycle by cycle (docs/RTL.md).
//
// sc_main drives the Verilated SystemC model with explicit clock edges; in
// every cycle c both sides see the same pops and sends, in the order the C
// API prescribes (consume, produce, then simulate c), and the harness
// compares, before acting, every node's ejection head (visible packet,
// destination, payload, length) and, for every send, whether the injection
// queue accepts it.  At the end, with the network drained, it compares each
// router's statistics counters.  The first divergence is printed with its
// cycle, router and the expected (C) and observed (RTL) values, and the
// program exits 1.  The mesh parameters are compile-time (-D COSIM_*), the
// same values the Verilator build passes to mesh.sv with -G.
//
// Tests (--test): random (seeded uniform traffic, random pops, 1 to
// --max-flits flits), pairs (every source to every destination alone:
// every direction and distance, with the zero-load latency checked too),
// hotspot (every node floods one node that stops consuming for a while:
// back-pressure through the ejection queue, buffers and injection queues,
// the C model's stall report, then recovery), fault (as random, but the
// harness withholds one pop from the C model: the comparison must fail).
#include <systemc.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <type_traits>
#include <vector>

#include "Vmesh.h"

extern "C" {
#include "saccade/noc.h"
#include "saccade/target.h"
}
#include "sim/hwdefs.h"
#include "rtl/sc_words.h"

#ifndef COSIM_W
#error "compile with -DCOSIM_W=.. -DCOSIM_H=.. and the other COSIM_* (tests/rtl_noc.sh)"
#endif

namespace {

using namespace sac_sc; // rtl/sc_words.h: Words, get, put, bits, setbits, zeros, sig

// Deterministic, seedable, the same on every machine.
struct rng {
	uint64_t s;
	uint64_t next()
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
	double unit() { return (double)(next() >> 11) / 9007199254740992.0; }
	int below(int n) { return (int)(next() % (uint64_t)n); }
};

// ---- the lockstep bench ---------------------------------------------------------
struct bench {
	enum { NN = COSIM_W * COSIM_H };
	Vmesh top{"mesh"};
	sc_signal<bool> clk, rst_n;
	sig<decltype(top.inj_valid)> inj_valid;
	sig<decltype(top.inj_ready)> inj_ready;
	sig<decltype(top.inj_dst_x)> inj_dst_x;
	sig<decltype(top.inj_dst_y)> inj_dst_y;
	sig<decltype(top.inj_nflits)> inj_nflits;
	sig<decltype(top.inj_payload)> inj_payload;
	sig<decltype(top.ej_valid)> ej_valid;
	sig<decltype(top.ej_data)> ej_data;
	sig<decltype(top.ej_nflits)> ej_nflits;
	sig<decltype(top.ej_pop)> ej_pop;
	sig<decltype(top.stat_node)> stat_node;
	sig<decltype(top.stat_sel)> stat_sel;
	sig<decltype(top.stat_val)> stat_val;

	sac_target t;
	sac_noc *noc = nullptr;
	int64_t cyc = 0;
	uint64_t ejected = 0, sent = 0;
	bool failed = false;
	std::deque<sac_packet> pending[NN]; // offered, not yet accepted
	int64_t fault_at = -1; // withhold the first C pop from this cycle on

	bench()
	{
		top.clk(clk);
		top.rst_n(rst_n);
		top.inj_valid(inj_valid);
		top.inj_ready(inj_ready);
		top.inj_dst_x(inj_dst_x);
		top.inj_dst_y(inj_dst_y);
		top.inj_nflits(inj_nflits);
		top.inj_payload(inj_payload);
		top.ej_valid(ej_valid);
		top.ej_data(ej_data);
		top.ej_nflits(ej_nflits);
		top.ej_pop(ej_pop);
		top.stat_node(stat_node);
		top.stat_sel(stat_sel);
		top.stat_val(stat_val);
		/* Only the fields the NoC model reads. */
		memset(&t, 0, sizeof t);
		snprintf(t.name, sizeof t.name, "cosim");
		t.noc.flit_bits = SAC_HW_FLIT_BITS;
		t.mesh_w = COSIM_W;
		t.mesh_h = COSIM_H;
		t.noc.vcs = COSIM_VCS;
		t.noc.buffer_depth = COSIM_D;
		t.noc.route_delay = COSIM_RD;
		t.noc.vc_delay = COSIM_VD;
		t.noc.switch_delay = COSIM_SD;
		t.noc.xbar_delay = COSIM_XD;
		t.noc.link_delay = COSIM_LD;
		t.noc.credit_delay = COSIM_CD;
		t.pe.in_fifo = COSIM_IN_FIFO;
		t.pe.out_fifo = COSIM_OUT_FIFO;
	}
	~bench() { sac_noc_free(noc); }

	bool start()
	{
		sac_err e = {};
		noc = sac_noc_new(&t, &e);
		if (!noc) {
			fprintf(stderr, "noc_cosim: %s\n", e.msg);
			return false;
		}
		rst_n = 0;
		for (int i = 0; i < 3; i++)
			edge();
		rst_n = 1;
		return true;
	}

	void edge()
	{
		clk = 0;
		sc_start(1, SC_NS);
		clk = 1;
		sc_start(1, SC_NS);
	}

	int x(int n) const { return n % COSIM_W; }
	int y(int n) const { return n / COSIM_W; }

	void diverge(int node, const char *what, const std::string &exp,
		     const std::string &got)
	{
		if (failed)
			return;
		failed = true;
		printf("DIVERGENCE at cycle %" PRId64 ", router (%d,%d) node %d: %s\n"
		       "  expected (C model): %s\n  got (RTL):          %s\n",
		       cyc, x(node), y(node), node, what, exp.c_str(), got.c_str());
	}

	static std::string pkt_str(bool ok, uint64_t data, int nflits)
	{
		if (!ok)
			return "no packet";
		char b[160];
		snprintf(b, sizeof b,
			 "packet to (%d,%d) payload 0x%012" PRIx64 " (id %" PRIu64
			 "), %d flit%s",
			 SAC_HW_GET(data, DST_X), SAC_HW_GET(data, DST_Y),
			 data & (((uint64_t)1 << SAC_HW_PAYLOAD_BITS) - 1),
			 (data & (((uint64_t)1 << SAC_HW_PAYLOAD_BITS) - 1)) >> 16,
			 nflits, nflits == 1 ? "" : "s");
		return b;
	}

	uint64_t head_flit(const sac_packet &p) const
	{
		return SAC_HW_PUT(p.dst % COSIM_W, DST_X) |
		       SAC_HW_PUT(p.dst / COSIM_W, DST_Y) |
		       (p.payload & (((uint64_t)1 << SAC_HW_PAYLOAD_BITS) - 1));
	}

	// One cycle of both models.  pop(n) says whether node n's PE consumes
	// a visible packet in this cycle.
	template <class F> void cycle(F pop)
	{
		Words ev, ed, en, ir;
		get(ej_valid, ev);
		get(ej_data, ed);
		get(ej_nflits, en);
		get(inj_ready, ir);
		Words pops = zeros(NN), iv = zeros(NN);
		Words ix = zeros(NN * SAC_HW_COORD_BITS), iy = ix,
		      inf = zeros(NN * SAC_HW_NFLITS_BITS),
		      ip = zeros(NN * SAC_HW_PAYLOAD_BITS);
		for (int n = 0; n < NN; n++) {
			sac_packet pk;
			bool c_ok = sac_noc_peek(noc, n, &pk) == 1;
			bool r_ok = bits(ev, n, 1);
			uint64_t rd = bits(ed, n * SAC_HW_FLIT_BITS, SAC_HW_FLIT_BITS);
			int rn = (int)bits(en, n * SAC_HW_NFLITS_BITS, SAC_HW_NFLITS_BITS);
			uint64_t cd = c_ok ? head_flit(pk) : 0;
			if (c_ok != r_ok || (c_ok && (cd != rd || pk.nflits != rn)))
				diverge(n, "ejection queue head",
					pkt_str(c_ok, cd, c_ok ? pk.nflits : 0),
					pkt_str(r_ok, rd, rn));
			if (c_ok && pop(n)) {
				if (fault_at >= 0 && cyc >= fault_at)
					fault_at = -1; /* the deliberate fault */
				else
					sac_noc_pop(noc, n);
				setbits(pops, n, 1, 1);
				ejected++;
			}
		}
		for (int n = 0; n < NN; n++) {
			if (pending[n].empty())
				continue;
			const sac_packet &p = pending[n].front();
			int c_ok = sac_noc_send(noc, &p);
			bool r_ok = bits(ir, n, 1);
			if (c_ok < 0) {
				fprintf(stderr, "noc_cosim: bad packet\n");
				exit(2);
			}
			if ((c_ok == 1) != r_ok)
				diverge(n, "injection queue accepts a packet",
					c_ok ? "accepted" : "full", r_ok ? "accepted" : "full");
			if (c_ok != 1)
				continue;
			setbits(iv, n, 1, 1);
			setbits(ix, n * SAC_HW_COORD_BITS, SAC_HW_COORD_BITS, p.dst % COSIM_W);
			setbits(iy, n * SAC_HW_COORD_BITS, SAC_HW_COORD_BITS, p.dst / COSIM_W);
			setbits(inf, n * SAC_HW_NFLITS_BITS, SAC_HW_NFLITS_BITS, p.nflits);
			setbits(ip, n * SAC_HW_PAYLOAD_BITS, SAC_HW_PAYLOAD_BITS, p.payload);
			pending[n].pop_front();
			sent++;
		}
		put(ej_pop, pops);
		put(inj_valid, iv);
		put(inj_dst_x, ix);
		put(inj_dst_y, iy);
		put(inj_nflits, inf);
		put(inj_payload, ip);
		sac_noc_cycle(noc);
		edge();
		cyc++;
	}

	bool idle() const
	{
		for (int n = 0; n < NN; n++)
			if (!pending[n].empty())
				return false;
		return !sac_noc_busy(noc);
	}

	// Every PE consumes until both sides are empty.
	void drain(int64_t limit)
	{
		int64_t end = cyc + limit;
		while (!failed && !idle() && cyc < end)
			cycle([](int) { return true; });
		if (!failed && !idle())
			diverge(0, "drain", "empty network", "still busy (C model)");
		// A few idle cycles: nothing may appear from nowhere.
		for (int i = 0; i < 8 && !failed; i++)
			cycle([](int) { return true; });
	}

	uint32_t rtl_stat(int node, int sel)
	{
		Words w = zeros(32);
		w[0] = (uint32_t)node;
		put(stat_node, w);
		w[0] = (uint32_t)sel;
		put(stat_sel, w);
		sc_start(1, SC_NS); /* clk stays high: no edge */
		get(stat_val, w);
		return w[0];
	}

	void compare_stats()
	{
		const sac_noc_stats *s = sac_noc_get_stats(noc);
		static const char *nm[] = {"xbar", "buf_writes", "buf_reads", "link[L]",
					   "link[N]", "link[E]", "link[S]", "link[W]"};
		uint64_t mis = 0;
		for (int n = 0; n < NN && !failed; n++) {
			const sac_noc_router_stats *r = &s->router[n];
			uint64_t c[8] = {r->xbar, r->buf_writes, r->buf_reads, r->link[0],
					 r->link[1], r->link[2], r->link[3], r->link[4]};
			for (int k = 0; k < 8; k++) {
				uint32_t v = rtl_stat(n, k);
				if (v != (uint32_t)c[k])
					diverge(n, (std::string("final counter ") + nm[k]).c_str(),
						std::to_string(c[k]), std::to_string(v));
			}
			mis += rtl_stat(n, 8);
		}
		if (!failed && mis != s->misordered)
			diverge(0, "misordered flits (all routers)",
				std::to_string(s->misordered), std::to_string(mis));
	}

	void offer(int src, int dst, int nflits, rng &r)
	{
		sac_packet p = {};
		p.src = src;
		p.dst = dst;
		p.nflits = nflits;
		p.created = -1;
		p.id = sent + pending_count() + 1;
		/* The id in bits 16.. keeps payloads unique; random low bits. */
		p.payload = (p.id << 16 | (r.next() & 0xffff)) &
			    (((uint64_t)1 << SAC_HW_PAYLOAD_BITS) - 1);
		pending[src].push_back(p);
	}
	uint64_t pending_count() const
	{
		uint64_t k = 0;
		for (int n = 0; n < NN; n++)
			k += pending[n].size();
		return k;
	}
};

struct opts {
	std::string test = "random";
	uint64_t seed = 1;
	int64_t cycles = 2000;
	double rate = 0.1, pop = 0.7;
	int max_flits = 1;
};

// Uniform random traffic: each node offers a packet with probability rate
// per cycle (kept while its queue is full), pops with probability pop.
void run_random(bench &b, const opts &o, rng &r)
{
	for (int64_t c = 0; c < o.cycles && !b.failed; c++) {
		for (int n = 0; n < bench::NN; n++)
			if (b.pending[n].size() < 2 && r.unit() < o.rate)
				b.offer(n, r.below(bench::NN), 1 + r.below(o.max_flits), r);
		b.cycle([&](int) { return r.unit() < o.pop; });
	}
	b.drain(100000);
}

// Every pair alone in the network, 1 flit and max_flits flits: every
// direction and distance of the mesh, and the zero-load latency checked.
void run_pairs(bench &b, const opts &o)
{
	int sizes[2] = {1, o.max_flits};
	rng r{o.seed | 1};
	for (int si = 0; si < 2 && !b.failed; si++)
		for (int s = 0; s < bench::NN && !b.failed; s++)
			for (int d = 0; d < bench::NN && !b.failed; d++) {
				b.offer(s, d, sizes[si], r);
				int64_t t0 = b.cyc, seen = -1;
				while (!b.failed && !b.idle()) {
					b.cycle([&](int n) {
						if (n == d && seen < 0)
							seen = b.cyc;
						return n == d;
					});
				}
				/* Visible at E + 1; latency = E - created. */
				int64_t lat = seen - 1 - t0;
				int64_t want = sac_noc_zero_load_latency(&b.t, s, d, sizes[si]);
				if (!b.failed && lat != want)
					b.diverge(d, "zero-load latency", std::to_string(want),
						  std::to_string(lat));
			}
	b.drain(1000);
}

// Every node floods node hot, which stops consuming for `stop` cycles:
// its ejection queue fills, then the buffers behind it, then the
// injection queues (sends are refused on both sides alike); the C model
// must call it a stall; then the PE consumes again and all drains.
void run_hotspot(bench &b, const opts &o, rng &r)
{
	int hot = bench::NN / 2;
	int64_t stop = o.cycles;
	for (int n = 0; n < bench::NN; n++)
		for (int k = 0; k < 8; k++)
			b.offer(n, k % 4 == 3 ? r.below(bench::NN) : hot, 1 + r.below(o.max_flits), r);
	for (int64_t c = 0; c < stop && !b.failed; c++)
		b.cycle([&](int n) { return n != hot; });
	char msg[512];
	if (!b.failed && !sac_noc_stalled(b.noc, stop / 2, msg, sizeof msg)) {
		printf("hotspot: the C model does not report a stall after %" PRId64
		       " cycles without consumption\n", stop);
		b.failed = true;
	}
	if (!b.failed)
		printf("hotspot: %s\n", msg);
	b.drain(100000);
}

// Every turn XY routing allows, at once, at one router C (the mesh's
// centre, or its corner (0,0) in a 2 x 2 mesh): the nodes of C's row send
// straight through C, turn there to every node of C's column and eject at
// C; the nodes of C's column send straight through and eject at C; C's own
// PE sends to every node of its row and column and to itself.  All these
// packets (8 per source, 1 to max_flits flits) are offered in the same
// cycles, so every output of C is wanted
// by several inputs at once (N and S by W, E, the opposite input and L;
// E and W by the opposite input and L; L by all five), while the PEs
// consume with probability pop.  Every output port C has must carry flits.
void run_turns(bench &b, const opts &o, rng &r)
{
	int cx = (COSIM_W - 1) / 2, cy = (COSIM_H - 1) / 2, c = cy * COSIM_W + cx;
	std::vector<int> dsts[bench::NN];
	for (int n = 0; n < bench::NN; n++) {
		int x = b.x(n), y = b.y(n);
		if (n == c) {
			for (int m = 0; m < bench::NN; m++)
				if (b.x(m) == cx || b.y(m) == cy)
					dsts[n].push_back(m); /* every output, L included */
		} else if (y == cy) {
			for (int m = 0; m < bench::NN; m++)
				if ((b.y(m) == cy && (x < cx ? b.x(m) > cx : b.x(m) < cx)) ||
				    b.x(m) == cx)
					dsts[n].push_back(m); /* straight, turn, eject */
		} else if (x == cx) {
			for (int m = 0; m < bench::NN; m++)
				if (b.x(m) == cx && (y < cy ? b.y(m) >= cy : b.y(m) <= cy))
					dsts[n].push_back(m); /* straight, eject */
		}
	}
	for (int k = 0; k < 8; k++) /* 8 packets per source */
		for (int n = 0; n < bench::NN; n++)
			if (!dsts[n].empty())
				b.offer(n, dsts[n][(size_t)k % dsts[n].size()],
					1 + r.below(o.max_flits), r);
	while (!b.failed && !b.idle())
		b.cycle([&](int) { return r.unit() < o.pop; });
	b.drain(100000);
	const sac_noc_router_stats *rs = &sac_noc_get_stats(b.noc)->router[c];
	bool has[5] = {true, cy > 0, cx < COSIM_W - 1, cy < COSIM_H - 1, cx > 0};
	static const char *pn[5] = {"L", "N", "E", "S", "W"};
	for (int p = 0; p < 5 && !b.failed; p++)
		if (has[p] && rs->link[p] == 0) {
			printf("turns: output %s of router (%d,%d) carried no flit\n", pn[p], cx, cy);
			b.failed = true;
		}
	if (!b.failed)
		printf("turns: router (%d,%d) outputs L N E S W carried %" PRIu64 " %" PRIu64
		       " %" PRIu64 " %" PRIu64 " %" PRIu64 " flits\n", cx, cy, rs->link[0],
		       rs->link[1], rs->link[2], rs->link[3], rs->link[4]);
}

int usage()
{
	fprintf(stderr, "usage: noc_cosim [--test random|pairs|hotspot|turns|fault] [--seed N]\n"
			"       [--cycles N] [--rate R] [--pop P] [--max-flits K]\n");
	return 2;
}

} // namespace

int sc_main(int argc, char **argv)
{
	opts o;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (i + 1 >= argc)
			return usage();
		const char *v = argv[++i];
		if (a == "--test")
			o.test = v;
		else if (a == "--seed")
			o.seed = strtoull(v, nullptr, 0);
		else if (a == "--cycles")
			o.cycles = strtoll(v, nullptr, 0);
		else if (a == "--rate")
			o.rate = atof(v);
		else if (a == "--pop")
			o.pop = atof(v);
		else if (a == "--max-flits")
			o.max_flits = atoi(v);
		else
			return usage();
	}
	if (o.max_flits < 1 || o.max_flits > 255)
		return usage();
	sc_report_handler::set_actions(SC_INFO, SC_DO_NOTHING);
	bench b;
	if (!b.start())
		return 2;
	rng r{o.seed * 0x9e3779b97f4a7c15ull + 1};
	if (o.test == "random")
		run_random(b, o, r);
	else if (o.test == "pairs")
		run_pairs(b, o);
	else if (o.test == "hotspot")
		run_hotspot(b, o, r);
	else if (o.test == "turns")
		run_turns(b, o, r);
	else if (o.test == "fault") {
		b.fault_at = o.cycles / 2;
		run_random(b, o, r);
	} else
		return usage();
	if (!b.failed)
		b.compare_stats();
	printf("%s %dx%d V=%d D=%d rd=%d vd=%d sd=%d xd=%d ld=%d cd=%d in=%d out=%d "
	       "seed %" PRIu64 ": %" PRId64 " cycles, %" PRIu64 " packets sent, %"
	       PRIu64 " ejected: %s\n",
	       o.test.c_str(), COSIM_W, COSIM_H, COSIM_VCS, COSIM_D, COSIM_RD,
	       COSIM_VD, COSIM_SD, COSIM_XD, COSIM_LD, COSIM_CD, COSIM_IN_FIFO,
	       COSIM_OUT_FIFO, o.seed, b.cyc, b.sent, b.ejected,
	       b.failed ? "DIVERGED" : "identical");
	return b.failed ? 1 : 0;
}
