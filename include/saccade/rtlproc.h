/* rtlproc.h: running an RTL executable and reading its result stream.
 *
 * The Verilated chip of a target is a separate program, saccade-rtl-<target>
 * (docs/RTL.md), built per target and installed in $(pkglibexecdir).  It
 * takes an image and an input and writes one record per line on stdout:
 *
 *     saccade-rtl 1 <target-name> <W>x<H>
 *     spike <pe-node> <local-neuron> <global-step> <cycle>
 *     logit <index> <int64>
 *     count <pe-node> <field> <int64>
 *     cycles <n>
 *     steps <n>
 *     end
 *
 * Spikes come ordered by cycle, then PE node, then emission order; there
 * is a logit for every index of the readout, a count for every field of
 * sac_pe_counts of every PE holding a region and, for a PE without one,
 * either its three router counts (router_buffer, router_xbar, link: the
 * traffic between other PEs crosses it) or none (routers_reported then
 * says so: its energy is unknown, its traffic is not compared), one cycles
 * and one steps record, and `end` last.  Its exit status is 0 (success), 1 (user error:
 * bad image or input, another target) or 2 (internal failure).
 *
 * This module finds the executable, runs it as a child process (stdin
 * /dev/null, stdout through a pipe, stderr passed through, the environment
 * passed on with SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 added unless set, so
 * that SystemC's banner does not clutter every run), and parses
 * the stream strictly against the program: every malformed, out-of-range,
 * duplicated, out-of-order or missing record is an error naming the
 * stream's line ("rtl stream line N: ...").  The child is reaped on every
 * path and no descriptor outlives a call; nothing here prints, exits or
 * keeps global state.  `saccade cosim` and the runtime's RTL backend
 * (runtime.h, SAC_BACKEND_RTL) are its users. */
#ifndef SACCADE_RTLPROC_H
#define SACCADE_RTLPROC_H

#include <stdio.h>
#include "saccade/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAC_RTL_STREAM_VERSION 1

/* The fields of sac_pe_counts, in declaration order, with their names in
 * the stream (the member names). */
#define SAC_PE_COUNT_FIELDS(X) \
	X(weight_reads) X(potential_reads) X(potential_writes) \
	X(accum_reads) X(accum_writes) X(spike_reads) X(spike_writes) \
	X(adds) X(macs) X(compares) X(divides) \
	X(packets_in) X(packets_out) X(spikes) X(synops) X(active) \
	X(router_buffer) X(router_xbar) X(link)

enum {
#define X(f) SAC_PEC_##f,
	SAC_PE_COUNT_FIELDS(X)
#undef X
	SAC_PEC_COUNT
};

const char *sac_pe_count_name(int field);  /* "weight_reads", ...; NULL if out of range */
int sac_pe_count_field(const char *name);   /* the field, or -1 */
int64_t *sac_pe_count_ptr(sac_pe_counts *c, int field);

/* One spike: mesh node of the PE, its local neuron
 * (((oy - y0) W + ox) G + (o - c0), docs/ARCHITECTURE.md), the global
 * step and the cycle in which the spike unit emitted it. */
typedef struct sac_rtl_spike {
	int32_t pe, neuron;
	int64_t step, cycle;
} sac_rtl_spike;

typedef struct sac_rtl_result {
	char target[64];
	int mesh_w, mesh_h;
	int64_t nspikes;
	sac_rtl_spike *spike;     /* [nspikes], in stream order */
	int nlogits;
	int64_t *logit;           /* [nlogits] */
	int npe;
	sac_pe_counts *pe;        /* [npe]; zero for PEs without a region
				   * except their router counts, if reported */
	uint8_t *routers_reported; /* [npe]: 1 if its router counts were given
				    * (always for PEs holding a region) */
	int64_t cycles, steps;
	int64_t lines;            /* records read */
	double wall_seconds;      /* the child, from spawn to exit */
	double cpu_seconds;       /* the child's user + system CPU time */
} sac_rtl_result;

void sac_rtl_result_free(sac_rtl_result *r);

/* Local neuron of a region as its layer node's (c, y, x) and CHW index;
 * 0, or -1 if pe holds no region or neuron is out of range. */
int sac_rtlproc_neuron(const sac_program *p, int pe, int neuron,
		       int *c, int *y, int *x, size_t *chw);

/* Find the executable for p's target.  exe (if not NULL) is used as is
 * and must be an executable file; otherwise saccade-rtl-<target name> is
 * looked up in $SACCADE_RTL_DIR (if set) and then in the installation's
 * libexec directory.  Writes the path into path[0..n); the error
 * (SAC_ERR_UNSUPPORTED) lists every place it looked. */
int sac_rtlproc_find(const sac_program *p, const char *exe, char *path,
		     size_t n, sac_err *e);

typedef struct sac_rtlproc_opts {
	const char *exe;        /* the executable; NULL: sac_rtlproc_find */
	const char *image;      /* the .sac file p was loaded from */
	const char *input;      /* .npy path, float32 [C,H,W] or [N,C,H,W] */
	long index;             /* image of a batch */
	const char *trace;      /* --trace FILE.vcd, or NULL */
	int trace_fd;           /* >= 0: an open file given to the child as
				 * fd 3, with --trace /dev/fd/3 (if trace is NULL) */
	int64_t max_cycles;     /* > 0: --max-cycles */
	int quiet;              /* --quiet */
	int timeout_s;          /* > 0: kill the child after this many seconds */
} sac_rtlproc_opts;

void sac_rtlproc_opts_init(sac_rtlproc_opts *o);

/* Run the executable on o->image and o->input, parse its stream against
 * p into r (freed first is not needed: r is overwritten).  Errors: the
 * executable not found (SAC_ERR_UNSUPPORTED), cannot start (SAC_ERR_IO),
 * a non-zero exit or a signal, a timeout, and every stream error
 * (SAC_ERR_PARSE, "rtl stream line N: ...").  On failure r holds
 * nothing to free. */
int sac_rtlproc_run(const sac_program *p, const sac_rtlproc_opts *o,
		    sac_rtl_result *r, sac_err *e);

/* Parse a whole stream from f (what names it in messages, e.g. the
 * executable); the same checks as sac_rtlproc_run. */
int sac_rtlproc_parse(const sac_program *p, FILE *f, sac_rtl_result *r,
		      sac_err *e);

/* Turn a result into the simulator's outputs: spikes into out->spike
 * (by node and CHW index), integer and dequantised logits, class, and
 * the statistics: cycles, steps, spikes, every PE's counts and the
 * energy computed from them (sac_sim_energy).  The stream has no window
 * boundaries, so st->layer_cycles are -1.  SAC_ERR_UNSUPPORTED if the
 * router counts of some PE were not reported (the energy would be
 * incomplete).  Allocates out and st (free with sac_ref_out_free,
 * sac_sim_stats_free). */
int sac_rtlproc_outputs(const sac_program *p, const sac_rtl_result *r,
			sac_ref_out *out, sac_sim_stats *st, sac_err *e);

#ifdef __cplusplus
}
#endif
#endif
