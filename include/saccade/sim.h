/* sim.h: the cycle-accurate simulator of the PEs and the NoC.
 *
 * A program is what an image holds: the integer TTFS graph, the target
 * and the map.  sac_sim_run executes one input and returns the same kind
 * of result as the reference executors (sac_ref_out: integer logits and
 * the global step of every spike, comparable with sac_ref_compare) plus
 * the cycle count and the energy broken down by component, by hardware
 * layer and by PE.  The timing model is documented in
 * docs/ARCHITECTURE.md; every cycle follows from it deterministically. */
#ifndef SACCADE_SIM_H
#define SACCADE_SIM_H

#include <stdio.h>
#include "saccade/map.h"
#include "saccade/ref.h"
#include "saccade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sac_program {
	sac_graph *g;   /* TTFS stage */
	sac_target t;
	sac_map *m;
} sac_program;

void sac_program_free(sac_program *p); /* frees g and m, not p itself */
/* Map g (TTFS stage) onto t; the program takes ownership of g on success. */
int sac_program_build(sac_graph *g, const sac_target *t,
		      const sac_map_opts *mo, sac_program *p, sac_err *e);
/* Write / read a .sac image (docs/FORMATS.md); the reader checks that
 * every section agrees with the others. */
int sac_program_save(const sac_program *p, const char *path, sac_err *e);
int sac_program_load(const char *path, sac_program *p, sac_err *e);

/* Energy components (pJ). */
#define SAC_ECOMP(X) \
	X(WEIGHT_READ, "weight_read") X(WEIGHT_WRITE, "weight_write") \
	X(POTENTIAL_READ, "potential_read") X(POTENTIAL_WRITE, "potential_write") \
	X(ACCUM_READ, "accum_read") X(ACCUM_WRITE, "accum_write") \
	X(SPIKE_READ, "spike_read") X(SPIKE_WRITE, "spike_write") \
	X(COMPUTE, "compute") X(ROUTER, "router") X(LINK, "link") \
	X(LEAKAGE, "leakage") X(CLOCK, "clock")

typedef enum sac_ecomp {
#define X(id, name) SAC_E_##id,
	SAC_ECOMP(X)
#undef X
	SAC_E_COUNT
} sac_ecomp;

const char *sac_ecomp_name(sac_ecomp c);

/* Per-PE event counts; energy = counts x the target's energy table. */
typedef struct sac_pe_counts {
	int64_t weight_reads, potential_reads, potential_writes;
	int64_t accum_reads, accum_writes, spike_reads, spike_writes;
	int64_t adds, macs, compares, divides;
	int64_t packets_in, packets_out, spikes; /* spikes fired by its neurons */
	int64_t synops;           /* synaptic updates applied */
	int64_t active;           /* cycles the PE's clock ran */
	int64_t router_buffer, router_xbar, link; /* flit events at its router */
} sac_pe_counts;

typedef struct sac_sim_stats {
	int64_t cycles;          /* latency of one inference */
	double seconds;          /* cycles / clock */
	int64_t steps;           /* global time steps simulated */
	int64_t spikes, packets, synaptic_ops;
	double energy_pj;        /* total */
	double comp[SAC_E_COUNT];            /* by component */
	int nlayers, npe;
	double *layer_pj;        /* [nlayers]: PEs of the layer incl. their routers */
	double *layer_comp;      /* [nlayers * SAC_E_COUNT] */
	int64_t *layer_cycles;   /* [nlayers]: cycles of the steps of its window(s) */
	double *pe_pj;           /* [npe] */
	sac_pe_counts *pe;       /* [npe] */
	double unused_pj;        /* PEs with no region (leakage only) */
} sac_sim_stats;

typedef struct sac_sim_opts {
	FILE *vcd;               /* if set, a VCD trace of spikes and NoC activity */
	/* Progress: called about every `progress_every` global steps. */
	void (*progress)(void *ctx, int64_t step, int64_t steps, int64_t cycle);
	void *progress_ctx;
	int64_t stall_limit;     /* cycles without progress before 'deadlock' (0: 100000) */
	/* If set, called for every spike when the PE's spike unit handles it:
	 * the PE's mesh node, its local neuron, the global step and the cycle.
	 * Calls come in cycle order; a PE handles at most one spike per
	 * cycle, so (cycle, pe) identifies a spike. */
	void (*on_spike)(void *ctx, int pe, int neuron, int64_t step, int64_t cycle);
	void *spike_ctx;
} sac_sim_opts;

void sac_sim_opts_init(sac_sim_opts *o);

int sac_sim_run(const sac_program *p, const float *input,
		const sac_sim_opts *o, sac_ref_out *out, sac_sim_stats *st,
		sac_err *e);
void sac_sim_stats_free(sac_sim_stats *st);

/* For a backend that only counts (the RTL): allocate st's arrays for p,
 * zeroed; then, with st->pe[] (router fields included) and st->cycles
 * filled, compute every energy figure, synaptic_ops and packets exactly
 * as sac_sim_run does. */
int sac_sim_stats_init(const sac_program *p, sac_sim_stats *st, sac_err *e);
void sac_sim_energy(const sac_program *p, sac_sim_stats *st);

#ifdef __cplusplus
}
#endif
#endif
