/* target.h: the hardware a model is compiled for, read from target.yaml.
 *
 * Everything about the chip that the mapper and the simulator need is a
 * field here: clock, mesh, the PE's SRAMs and datapath, the NoC router
 * and its pipeline, the micro-architecture and the energy table.  The
 * format is documented in docs/FORMATS.md ("Targets"); every energy figure
 * of the default target is cited in docs/ENERGY.md.  Loading is strict
 * and every error is located (file:line:col). */
#ifndef SACCADE_TARGET_H
#define SACCADE_TARGET_H

#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a PE updates its neurons (TTFS.md, docs/ARCHITECTURE.md). */
typedef enum sac_uarch {
	SAC_UARCH_RAMP,  /* every neuron updated every step from its slope */
	SAC_UARCH_EVENT  /* spikes add W * steps-left; fire steps computed at the window edge */
} sac_uarch;

/* Energy per action in picojoules, leakage and clock per cycle. */
typedef struct sac_energy {
	/* SRAM accesses, per word (widths in sac_pe). */
	double weight_read, weight_write;
	double potential_read, potential_write;
	double accum_read, accum_write;
	double spike_read, spike_write;
	/* Datapath, per operation. */
	double add;      /* 32-bit add (slope or ramp integration) */
	double mac;      /* 8-bit x 8-bit multiply + 32-bit add (event uarch) */
	double compare;  /* 32-bit compare (threshold) */
	double divide;   /* fire-step computation (event uarch), per neuron */
	/* NoC, per flit. */
	double router_buffer;  /* write + read of one input buffer slot */
	double router_xbar;    /* switch traversal incl. allocation */
	double link;           /* one hop on a link */
	/* Static, per PE (including its router) per cycle. */
	double leak_pe;        /* leakage of a PE whose clock is gated */
	double clock_pe;       /* clock tree of a PE in a cycle it is active */
	/* Dense unit and external memory (docs/ISA.md). */
	double requant;        /* 32 x 32 multiply + rounding shift + saturate */
	double lut;            /* one lookup-table read */
	double dram_byte;      /* one byte read from the external memory */
} sac_energy;

typedef struct sac_pe {
	int neurons;        /* neuron slots: potential, accum and spike SRAM words */
	int weight_bytes;   /* weight SRAM, int8 weights */
	int weight_width;   /* weights read per weight-SRAM access (row width) */
	int lanes;          /* synaptic or neuron updates per cycle */
	int route_entries;  /* routing table entries (destinations per PE) */
	int in_fifo;        /* input spike queue depth, packets */
	int out_fifo;       /* output spike queue depth, packets */
	int pipeline;       /* load -> compute -> write stages (latency, cycles) */
} sac_pe;

typedef struct sac_noc_params {
	int flit_bits;      /* flit width */
	int vcs;            /* virtual channels per input port */
	int buffer_depth;   /* flits per virtual channel */
	/* Pipeline stage delays in cycles (each >= 1 except as noted). */
	int route_delay;    /* route computation (0 allowed: lookahead) */
	int vc_delay;       /* virtual-channel allocation (0 allowed) */
	int switch_delay;   /* switch allocation */
	int xbar_delay;     /* switch traversal */
	int link_delay;     /* link traversal */
	int credit_delay;   /* credit return to the upstream router */
	int sync_delay;     /* cycles of the step-end barrier (all PEs done -> next step) */
} sac_noc_params;

/* The PE's dense unit and the external parameter memory (docs/ISA.md). */
typedef struct sac_dense_hw {
	int mac_lanes;      /* int8 x int8 multiply-accumulates per cycle */
	int vector_lanes;   /* 32-bit vector ALU lanes */
	int div_cycles;     /* one division or square root */
	int dram_bytes_per_cycle; /* external memory bandwidth */
	int dram_latency;   /* cycles from request to first byte */
} sac_dense_hw;

typedef struct sac_target {
	char name[64];
	char path[1024];
	double clock_hz;
	int mesh_w, mesh_h;
	sac_uarch uarch;
	sac_pe pe;
	sac_noc_params noc;
	sac_dense_hw dense;
	sac_energy energy;
} sac_target;

/* The built-in defaults (the values of examples/targets/yoso.yaml). */
void sac_target_default(sac_target *t);
/* Load a target file; fields not given keep the defaults. */
int sac_target_load(const char *path, sac_target *t, sac_err *e);
int sac_target_load_mem(const char *yaml, size_t len, const char *name,
			sac_target *t, sac_err *e);
/* Range and consistency checks (also run by the loaders). */
int sac_target_check(const sac_target *t, sac_err *e);
const char *sac_uarch_name(sac_uarch u);

#ifdef __cplusplus
}
#endif
#endif
