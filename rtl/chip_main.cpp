// chip_main.cpp: saccade-rtl, one image and one input on the Verilated chip
// (rtl/chip.sv) built for one target (docs/RTL.md, "saccade-rtl").
//
//   saccade-rtl IMAGE.sac --input X.npy [--index N] [--trace FILE.vcd]
//               [--max-cycles N] [--quiet]
//
// sc_main loads the image and the input with libsaccade, checks that the
// image's target is this build's (the RTL_* values tools/gen_rtlparams
// wrote from the same target file as the -G parameters), turns both into
// the chip's configuration words (sim/chipcfg.c), writes them through the
// host port one per clock after reset, starts the run and clocks the chip
// until its sequencer reports DONE.  In every cycle it samples the spike
// records, packets sent and packets taken; at the end it reads back the
// readout's potentials (logits = V + b, the bias added here as sim.c does)
// and every used PE's counters and router statistics.  The records go to
// stdout in the line format H2's parser (runtime/rtlproc.c) reads:
// header, spikes in cycle order, logits, counts, cycles, steps, end.
//
// Exit status: 0 success; 1 a user error (image, input, a target that is
// not this build's, a feature the RTL does not have), with
// "saccade-rtl: <file>: <message>" on stderr; 2 an internal failure (the
// cycle limit, a broken protocol) with a message naming the cycle.
#include <systemc.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "Vchip.h"

extern "C" {
#include "saccade/npy.h"
#include "saccade/ref.h"
#include "saccade/sim.h"
#include "sim/chipcfg.h"
}
#include "rtl/sc_words.h"

#ifndef RTL_TARGET_NAME
#error "compile with -include <prefix>.h written by tools/gen_rtlparams"
#endif

namespace {

using namespace sac_sc; // rtl/sc_words.h: Words, get, bits, sig

const char *prog = "saccade-rtl";

// SystemC prints its banner on stderr before sc_main runs unless this is
// set; a static initializer runs earlier still.
const int quiet_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

[[noreturn]] void user_error(const std::string &file, const std::string &msg)
{
	// Library messages usually name the file already.
	if (msg.compare(0, file.size(), file) == 0)
		fprintf(stderr, "%s: %s\n", prog, msg.c_str());
	else
		fprintf(stderr, "%s: %s: %s\n", prog, file.c_str(), msg.c_str());
	exit(1);
}

int usage()
{
	fprintf(stderr,
		"usage: saccade-rtl IMAGE.sac --input X.npy [--index N] [--trace FILE.vcd]\n"
		"                   [--max-cycles N] [--quiet]\n"
		"This build runs images for target '%s' (%dx%d).\n",
		RTL_TARGET_NAME, RTL_W, RTL_H);
	return 1;
}

struct bench {
	enum { NN = RTL_W * RTL_H };
	Vchip top{"chip"};
	sc_signal<bool> clk, rst_n;
	sig<decltype(top.cfg_valid)> cfg_valid;
	sig<decltype(top.cfg_node)> cfg_node;
	sig<decltype(top.cfg_addr)> cfg_addr;
	sig<decltype(top.cfg_data)> cfg_data;
	sig<decltype(top.rd_node)> rd_node;
	sig<decltype(top.rd_addr)> rd_addr;
	sig<decltype(top.rd_data)> rd_data;
	sig<decltype(top.start)> start;
	sig<decltype(top.ready)> ready;
	sig<decltype(top.done)> done;
	sig<decltype(top.cycle)> cycle;
	sig<decltype(top.gstep)> gstep;
	sig<decltype(top.window)> window;
	sig<decltype(top.phase)> phase;
	sig<decltype(top.spk_valid)> spk_valid;
	sig<decltype(top.spk_neuron)> spk_neuron;
	sig<decltype(top.ev_out)> ev_out;
	sig<decltype(top.ev_in)> ev_in;

	bench()
	{
		top.clk(clk);
		top.rst_n(rst_n);
		top.cfg_valid(cfg_valid);
		top.cfg_node(cfg_node);
		top.cfg_addr(cfg_addr);
		top.cfg_data(cfg_data);
		top.rd_node(rd_node);
		top.rd_addr(rd_addr);
		top.rd_data(rd_data);
		top.start(start);
		top.ready(ready);
		top.done(done);
		top.cycle(cycle);
		top.gstep(gstep);
		top.window(window);
		top.phase(phase);
		top.spk_valid(spk_valid);
		top.spk_neuron(spk_neuron);
		top.ev_out(ev_out);
		top.ev_in(ev_in);
	}
	void edge()
	{
		clk = 0;
		sc_start(1, SC_NS);
		clk = 1;
		sc_start(1, SC_NS);
	}
	// A combinational read of the host port (no clock edge).
	uint64_t read(int node, uint32_t addr)
	{
		rd_node = (uint32_t)node;
		rd_addr = addr;
		sc_start(1, SC_NS);
		return (uint64_t)rd_data.read();
	}
};

// The simulator's VCD (sim.c vcd_header): the same identifiers and names,
// plus the sequencer's phase as an RTL internal.
struct vcd {
	FILE *f = nullptr;
	int64_t t = -1;
	void at(int64_t c)
	{
		if (c > t) {
			fprintf(f, "#%" PRId64 "\n", c);
			t = c;
		}
	}
	void val(char kind, int node, int64_t v)
	{
		char b[70];
		int n = 0;
		for (int k = 63; k >= 0; k--)
			if ((v >> k & 1) || n)
				b[n++] = (char)('0' + (v >> k & 1));
		if (!n)
			b[n++] = '0';
		b[n] = 0;
		if (node >= 0)
			fprintf(f, "b%s %c%d\n", b, kind, node);
		else
			fprintf(f, "b%s %c\n", b, kind);
	}
};

} // namespace

int sc_main(int argc, char **argv)
{
	const char *image = nullptr, *input = nullptr, *trace = nullptr;
	long index = 0;
	int64_t max_cycles = 50000000;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto val = [&](const char *what) -> const char * {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value\n", prog, what);
				exit(usage());
			}
			return argv[++i];
		};
		if (a == "--input")
			input = val("--input");
		else if (a == "--index" || a == "--max-cycles") {
			const char *v = val(a.c_str());
			char *end;
			errno = 0;
			long long n = strtoll(v, &end, 10);
			if (!*v || *end || errno || n < 0 || (a == "--max-cycles" && n < 1)) {
				fprintf(stderr, "%s: %s must be a %s integer, got '%s'\n", prog, a.c_str(),
					a == "--index" ? "non-negative" : "positive", v);
				return usage();
			}
			if (a == "--index")
				index = (long)n;
			else
				max_cycles = n;
		} else if (a == "--trace")
			trace = val("--trace");
		else if (a == "--quiet")
			; // nothing is printed but the records
		else if (a[0] == '-') {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, a.c_str());
			return usage();
		} else if (!image)
			image = argv[i];
		else {
			fprintf(stderr, "%s: more than one image ('%s', '%s')\n", prog, image, argv[i]);
			return usage();
		}
	}
	if (!image || !input)
		return usage();

	// ---- the image, the build's target, the input ------------------------------
	sac_err e = {};
	sac_program p = {};
	if (sac_program_load(image, &p, &e))
		user_error(image, e.msg);
	if (p.t.uarch != SAC_UARCH_RAMP)
		user_error(image, std::string("microarch ") + sac_uarch_name(p.t.uarch) +
					  ": the RTL PE implements the ramp micro-architecture only");
	sac_target b;
	sac_target_default(&b);
	b.mesh_w = RTL_W;
	b.mesh_h = RTL_H;
	b.uarch = SAC_UARCH_RAMP;
	b.pe.neurons = RTL_NEURONS;
	b.pe.weight_bytes = RTL_WEIGHT_BYTES;
	b.pe.weight_width = RTL_WEIGHT_WIDTH;
	b.pe.lanes = RTL_LANES;
	b.pe.route_entries = RTL_ROUTE_ENTRIES;
	b.pe.in_fifo = RTL_IN_FIFO;
	b.pe.out_fifo = RTL_OUT_FIFO;
	b.pe.pipeline = RTL_PIPELINE;
	b.noc.flit_bits = RTL_FLIT_BITS;
	b.noc.vcs = RTL_VCS;
	b.noc.buffer_depth = RTL_BUFFER_DEPTH;
	b.noc.route_delay = RTL_ROUTE_DELAY;
	b.noc.vc_delay = RTL_VC_DELAY;
	b.noc.switch_delay = RTL_SWITCH_DELAY;
	b.noc.xbar_delay = RTL_XBAR_DELAY;
	b.noc.link_delay = RTL_LINK_DELAY;
	b.noc.credit_delay = RTL_CREDIT_DELAY;
	b.noc.sync_delay = RTL_SYNC_DELAY;
	char diff[256];
	if (sac_chipcfg_target_diff(&b, &p.t, diff, sizeof diff)) {
		char msg[512];
		snprintf(msg, sizeof msg, "this RTL build is for target '%s' (%dx%d); %s",
			 RTL_TARGET_NAME, RTL_W, RTL_H, diff);
		user_error(image, msg);
	}
	sac_tensor x = {};
	const float *data = nullptr;
	if (sac_npy_read(input, &x, &e) || sac_ref_input(p.g, &x, index, &data, &e))
		user_error(input, e.msg);
	sac_chipcfg_limits lim = {RTL_MAX_STEPS, RTL_MAX_WINDOWS};
	sac_chipcfg_word *words = nullptr;
	size_t nwords = 0;
	if (sac_chipcfg_build(&p, data, &lim, &words, &nwords, &e))
		user_error(image, e.msg);

	// ---- reset, configuration, run -----------------------------------------------
	sc_report_handler::set_actions(SC_INFO, SC_DO_NOTHING);
	sc_report_handler::set_actions(SC_WARNING, SC_DO_NOTHING);
	bench B;
	const sac_map *m = p.m;
	B.rst_n = 0;
	for (int i = 0; i < 3; i++)
		B.edge();
	B.rst_n = 1;
	for (size_t i = 0; i < nwords; i++) {
		B.cfg_valid = 1;
		B.cfg_node = words[i].node;
		B.cfg_addr = words[i].addr;
		B.cfg_data = words[i].data;
		B.edge();
	}
	free(words);
	B.cfg_valid = 0;
	for (int64_t k = 0; !B.ready.read(); k++) {
		if (k > (int64_t)RTL_NEURONS) {
			fprintf(stderr, "%s: internal: the PEs did not finish clearing after %" PRId64
					" cycles\n", prog, k);
			return 2;
		}
		B.edge();
	}
	B.start = 1;
	B.edge();
	B.start = 0;

	vcd V;
	if (trace) {
		V.f = fopen(trace, "w");
		if (!V.f)
			user_error(trace, strerror(errno));
		fprintf(V.f, "$date saccade-rtl $end\n$version saccade-rtl (Verilated chip.sv) $end\n"
			     "$timescale 1 ns $end\n");
		fprintf(V.f, "$comment one time unit = one clock cycle of target '%s' $end\n",
			p.t.name);
		fprintf(V.f, "$scope module saccade $end\n");
		fprintf(V.f, "$var wire 32 T step $end\n$var wire 32 W window $end\n"
			     "$var wire 3 P rtl_phase $end\n");
		for (int n = 0; n < m->npe; n++) {
			if (m->pe_region[n] < 0)
				continue;
			fprintf(V.f, "$scope module pe_%d_%d $end\n", n % m->mesh_w, n / m->mesh_w);
			fprintf(V.f, "$var wire 32 s%d spikes $end\n$var wire 32 o%d packets_out $end\n"
				     "$var wire 32 i%d packets_in $end\n$upscope $end\n", n, n, n);
		}
		fprintf(V.f, "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n");
		V.t = 0;
		V.val('T', -1, 0);
		V.val('W', -1, 0);
		V.val('P', -1, 1);
		for (int n = 0; n < m->npe; n++)
			if (m->pe_region[n] >= 0) {
				V.val('s', n, 0);
				V.val('o', n, 0);
				V.val('i', n, 0);
			}
		fprintf(V.f, "$end\n");
	}

	struct spike { int node; int32_t li; int64_t step, cyc; };
	std::vector<spike> spikes;
	std::vector<int64_t> nspk(bench::NN), nout(bench::NN), nin(bench::NN);
	int64_t last_step = -1, last_phase = 1;
	Words sv, sn, eo, ei;
	for (;;) {
		int64_t c = (int64_t)B.cycle.read();
		if (B.done.read())
			break;
		if (c >= max_cycles) {
			fprintf(stderr, "%s: internal: cycle %" PRId64 ": the cycle limit (--max-cycles %"
					PRId64 ") was reached in window %u step %u, sequencer phase %u\n",
				prog, c, max_cycles, (unsigned)B.window.read(), (unsigned)B.gstep.read(),
				(unsigned)B.phase.read());
			return 2;
		}
		int64_t gs = (int64_t)B.gstep.read();
		get(B.spk_valid, sv);
		get(B.ev_out, eo);
		get(B.ev_in, ei);
		bool any = false;
		for (size_t k = 0; k < sv.size(); k++)
			any |= sv[k] != 0;
		if (any)
			get(B.spk_neuron, sn);
		if (V.f) {
			int64_t ph = (int64_t)B.phase.read();
			if (gs != last_step) {
				V.at(c);
				V.val('T', -1, gs);
				V.val('W', -1, (int64_t)B.window.read());
				last_step = gs;
			}
			if (ph != last_phase) {
				V.at(c);
				V.val('P', -1, ph);
				last_phase = ph;
			}
		}
		for (int n = 0; n < bench::NN; n++) {
			if (bits(sv, n, 1)) {
				int32_t li = (int32_t)bits(sn, n * 32, 32);
				if (m->pe_region[n] < 0) {
					fprintf(stderr, "%s: internal: cycle %" PRId64
							": a spike from node %d, which holds no region\n",
						prog, c, n);
					return 2;
				}
				spikes.push_back({n, li, gs, c});
				if (V.f) {
					V.at(c);
					V.val('s', n, ++nspk[n]);
				}
			}
			if (bits(eo, n, 1) && V.f) {
				V.at(c);
				V.val('o', n, ++nout[n]);
			}
			if (bits(ei, n, 1) && V.f) {
				V.at(c);
				V.val('i', n, ++nin[n]);
			}
		}
		B.edge();
	}
	int64_t cycles = (int64_t)B.cycle.read();
	int64_t steps = (int64_t)B.gstep.read();
	if (V.f) {
		V.at(cycles);
		if (fclose(V.f))
			user_error(trace, "write error");
	}

	// ---- results ------------------------------------------------------------------------
	printf("saccade-rtl 1 %s %dx%d\n", p.t.name, m->mesh_w, m->mesh_h);
	for (const spike &s : spikes)
		printf("spike %d %d %" PRId64 " %" PRId64 "\n", s.node, (int)s.li, s.step, s.cyc);
	const sac_node *out = &p.g->node[p.g->n - 1];
	std::vector<int64_t> logits;
	std::vector<int64_t> extra_preads(bench::NN);
	for (int l = 0; l < m->nlayers; l++) {
		const sac_hwlayer *L = &m->layer[l];
		if (L->kind != SAC_HW_READOUT)
			continue;
		const sac_node *nd = &p.g->node[L->node];
		logits.assign((size_t)nd->c * nd->h * nd->w, 0);
		for (int k = 0; k < L->count; k++) {
			const sac_region *r = &m->region[L->first + k];
			int G = r->c1 - r->c0;
			for (int li = 0; li < r->neurons; li++) {
				int64_t v = (int64_t)B.read(r->pe, (uint32_t)SAC_CHIPCFG_POTENTIAL << 24 |
								    (uint32_t)li);
				int64_t gi = sac_chipcfg_neuron_index(&p, r->pe, li);
				logits[(size_t)gi] = (int64_t)(int32_t)v + nd->bq[r->c0 + li % G];
			}
			// The host's read of the potentials, counted as sim.c counts it.
			extra_preads[r->pe] += r->neurons;
		}
	}
	(void)out;
	for (size_t i = 0; i < logits.size(); i++)
		printf("logit %zu %" PRId64 "\n", i, logits[i]);
	for (int n = 0; n < m->npe; n++) {
		// A PE without a region has no counts of its own, but its router
		// carries transit traffic, whose energy the host needs.
		for (int k = 0; m->pe_region[n] >= 0 && k < SAC_CHIPCFG_NCOUNTS; k++) {
			int64_t v = (int64_t)B.read(n, (uint32_t)SAC_CHIPCFG_COUNT << 24 | (uint32_t)k);
			if (k == 1)
				v += extra_preads[n];
			printf("count %d %s %" PRId64 "\n", n, sac_chipcfg_count_name(k), v);
		}
		uint32_t rs = (uint32_t)SAC_CHIPCFG_ROUTER << 24;
		int64_t xbar = (int64_t)(uint32_t)B.read(n, rs | 0);
		int64_t bufw = (int64_t)(uint32_t)B.read(n, rs | 1);
		int64_t link = 0;
		for (uint32_t d = 1; d <= 4; d++) // N, E, S, W: sim.c's link sum
			link += (int64_t)(uint32_t)B.read(n, rs | (3 + d));
		printf("count %d router_buffer %" PRId64 "\n", n, bufw);
		printf("count %d router_xbar %" PRId64 "\n", n, xbar);
		printf("count %d link %" PRId64 "\n", n, link);
	}
	printf("cycles %" PRId64 "\nsteps %" PRId64 "\nend\n", cycles, steps);
	sac_tensor_free(&x);
	sac_program_free(&p);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: write error\n", prog);
		return 2;
	}
	return 0;
}
