/* chipcfg.h: the configuration word stream of the RTL chip (rtl/chip.sv).
 *
 * The RTL is one Verilated build per target: which network it runs is
 * configuration, written word by word through the chip's host port
 * (cfg_node, cfg_addr, cfg_data) before the run.  sac_chipcfg_build turns
 * a program and one input into exactly the state sim/sim.c's pe_init and
 * load_input set up: per PE its region, kernel geometry, pool chain,
 * routing table, weight rows, thresholds and ramps, and the input PEs'
 * fire steps as per-step buckets; for the sequencer the windows' steps.
 * The address map is in docs/RTL.md ("Address map") and is the contract
 * with pe.sv and chip.sv.  Features the RTL does not have (the event
 * micro-architecture, overlapping pools, kernels wider than the
 * datapath walks) are errors naming the layer.  The library never
 * prints; errors go to the caller's sac_err. */
#ifndef SACCADE_CHIPCFG_H
#define SACCADE_CHIPCFG_H

#include <stddef.h>
#include <stdint.h>

#include "saccade/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cfg_node of the sequencer (every other value is a mesh node). */
#define SAC_CHIPCFG_GLOBAL 0xffffu

/* Address spaces: cfg_addr = space << 24 | index. */
enum {
	SAC_CHIPCFG_REG = 0x00,     /* PE registers (SAC_CHIPCFG_R_*); sequencer: 0 = windows */
	SAC_CHIPCFG_POOL = 0x01,    /* PE: pool level k, field f at 8k + f; sequencer: steps of window w */
	SAC_CHIPCFG_ROUTE = 0x02,   /* routing entry e, field f at 8e + f */
	SAC_CHIPCFG_WEIGHT = 0x03,  /* weight word i: bytes 8i .. 8i + 7, lowest first */
	SAC_CHIPCFG_THETA = 0x04,   /* threshold of local channel o */
	SAC_CHIPCFG_RAMP = 0x05,    /* ramp of local channel o */
	SAC_CHIPCFG_BSTART = 0x06,  /* input: first bucket entry of step s (s = steps: the end) */
	SAC_CHIPCFG_BUCKET = 0x07,  /* input: bucket entry i (a local neuron) */
	/* read spaces (rd_addr) */
	SAC_CHIPCFG_COUNT = 0x10,   /* counter i, in sac_pe_counts order up to active */
	SAC_CHIPCFG_POTENTIAL = 0x11, /* potential of local neuron i (int32, sign-extended) */
	SAC_CHIPCFG_ROUTER = 0x12   /* router statistic: 0 xbar, 1 buf_writes, 3 + port link */
};

/* PE registers (space SAC_CHIPCFG_REG). */
enum {
	SAC_CHIPCFG_R_KIND, SAC_CHIPCFG_R_LAYER, SAC_CHIPCFG_R_WINDOW, SAC_CHIPCFG_R_G,
	SAC_CHIPCFG_R_W, SAC_CHIPCFG_R_N, SAC_CHIPCFG_R_C0, SAC_CHIPCFG_R_Y0,
	SAC_CHIPCFG_R_Y1, SAC_CHIPCFG_R_LINEAR, SAC_CHIPCFG_R_KH, SAC_CHIPCFG_R_KW,
	SAC_CHIPCFG_R_SH, SAC_CHIPCFG_R_SW, SAC_CHIPCFG_R_PH, SAC_CHIPCFG_R_PW,
	SAC_CHIPCFG_R_CIN_G, SAC_CHIPCFG_R_COUT_G, SAC_CHIPCFG_R_SRC_H, SAC_CHIPCFG_R_SRC_W,
	SAC_CHIPCFG_R_NPOOLS, SAC_CHIPCFG_R_NROUTES
};

/* PE kinds (register KIND; 0 = no region). */
enum { SAC_CHIPCFG_K_NONE, SAC_CHIPCFG_K_INPUT, SAC_CHIPCFG_K_SPIKING, SAC_CHIPCFG_K_READOUT };

/* The PE counters readable in space SAC_CHIPCFG_COUNT. */
#define SAC_CHIPCFG_NCOUNTS 16
/* The kernel side the datapath walks at most (pe.sv KMAX). */
#define SAC_CHIPCFG_KMAX 16

typedef struct sac_chipcfg_word {
	uint32_t node;  /* mesh node, or SAC_CHIPCFG_GLOBAL */
	uint32_t addr;  /* space << 24 | index */
	uint64_t data;
} sac_chipcfg_word;

/* The sizes of one RTL build that are not target fields. */
typedef struct sac_chipcfg_limits {
	int max_steps;    /* steps of the input window (pe.sv MAX_STEPS) */
	int max_windows;  /* windows (chip.sv MAX_WINDOWS) */
} sac_chipcfg_limits;

/* The words that load program p with one input ([C, H, W] floats as
 * sac_sim_run takes them) into a freshly reset chip; *words is
 * malloc'ed, the caller frees it.  Errors: SAC_ERR_UNSUPPORTED for what
 * the RTL does not implement, SAC_ERR_CAPACITY for what exceeds a
 * memory, SAC_ERR_NOMEM. */
int sac_chipcfg_build(const sac_program *p, const float *input,
		      const sac_chipcfg_limits *lim, sac_chipcfg_word **words,
		      size_t *nwords, sac_err *e);

/* 0 if the image's target t equals the build's target b in every field
 * the RTL depends on (mesh, micro-architecture, PE and NoC parameters;
 * not the name, clock or energy table); else 1 and a message naming the
 * first differing field, "the image's target has pe.lanes 4, the build 8". */
int sac_chipcfg_target_diff(const sac_target *b, const sac_target *t,
			    char *msg, size_t len);

/* The CHW index in its layer's output of local neuron li of the region
 * at mesh node `node` (sim.c's gidx), or -1 if the node holds none. */
int64_t sac_chipcfg_neuron_index(const sac_program *p, int node, int li);

/* The name of counter i (0 .. SAC_CHIPCFG_NCOUNTS - 1): the
 * sac_pe_counts member names. */
const char *sac_chipcfg_count_name(int i);

#ifdef __cplusplus
}
#endif
#endif
