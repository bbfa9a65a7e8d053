/* dsim.h: dense programs: the lowering of a quantised dense graph
 * (dense.h) onto the mesh, their image sections, and the cycle-accurate
 * simulator of the PEs' dense units.
 *
 * A dense program is, per PE, a stream of dense-unit instructions
 * (dunit.h) cut into phases by SYNC; an external parameter memory (DRAM)
 * holding every parameter block the WLOADs stream in; and a directory of
 * where each node's output tiles live (PE, data-memory address, rows x
 * columns), used by the lowering to emit RECVs and by the simulator to
 * read node outputs back for comparison with the integer reference.
 * docs/ISA.md specifies the instructions, the phase timing (flit-level:
 * weights and activations share one cycle-accurate NoC model) and the
 * weight streaming; docs/FORMATS.md the image sections.  The simulator executes
 * the instruction streams (never the whole-graph integer executor): its
 * outputs equal sac_dense_forward_intq bit for bit, which
 * tests/check_dsim.c proves.  Nothing here prints or exits; no globals. */
#ifndef SACCADE_DSIM_H
#define SACCADE_DSIM_H

#include <stdint.h>
#include <stdio.h>

#include "saccade/dense.h"
#include "saccade/dunit.h"
#include "saccade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A rectangle [r0, r1) x [c0, c1) of a node's output held row-major in
 * PE pe's data memory from word addr. */
typedef struct sac_dtile {
	int pe;
	uint32_t addr;
	int r0, r1, c0, c1;
} sac_dtile;

/* A tensor of the program: a graph node, or an internal tensor of a
 * lowering (an MHA's Q, K, V and context, named "<node>#q" ...). */
typedef struct sac_dtensor {
	char name[SAC_DENSE_NAME_MAX + 4];
	int op;        /* sac_dense_op of the node (-1: internal) */
	int graph;     /* index in the dense graph, -1 for internal */
	int rows, cols, bits;
	double scale;  /* of one integer step (inputs and outputs) */
	int expert;    /* -1 or the expert it belongs to */
	int alias;     /* reshape: the tensor whose tiles hold the data, else -1 */
	int tile0, ntiles; /* its tiles in sac_dprog.tile */
	int block;     /* index in sac_dprog.block_name */
} sac_dtensor;

#define SAC_DSIM_MAX_BLOCKS 16

/* A phase: the instructions between two SYNCs, all PEs at once. */
typedef struct sac_dphase {
	int tensor;    /* what it computes (an internal tensor for MHA parts) */
	int guard;     /* -1, or the expert whose selection it needs */
	int block;
} sac_dphase;

typedef struct sac_dprog {
	sac_target t;
	int npe;
	uint32_t dwords, wbytes; /* per PE: data memory words, weight bytes */
	int ntensors;
	sac_dtensor *tensor;
	int ntiles;
	sac_dtile *tile;
	int nphases;
	sac_dphase *phase;
	int nblocks;
	char block_name[SAC_DSIM_MAX_BLOCKS][24];
	uint32_t *ncode;    /* per PE: instructions */
	sac_dinstr **code;  /* per PE */
	uint8_t *dram;      /* the external parameter memory */
	uint64_t dram_len;
	int output;         /* the tensor of the result (the last node) */
} sac_dprog;

/* Lower a quantised graph onto target t: tiling, placement, memory
 * allocation, instruction streams, the parameter memory.  Capacity errors
 * (SAC_ERR_CAPACITY) name the node, the PE, what it needs and the limit. */
int sac_dlower(const sac_dense_graph *g, const sac_target *t,
	       sac_dprog **out, sac_err *e);
void sac_dprog_free(sac_dprog *p);
/* Instructions of all PEs, and the parameter memory in bytes. */
uint64_t sac_dprog_instructions(const sac_dprog *p);

/* Image: sections "dprog" (everything but the parameter memory) and
 * "dparam" (the parameter memory), plus "meta"; docs/FORMATS.md. */
int sac_dprog_save(const sac_dprog *p, const char *path, const char *model,
		   sac_err *e);
int sac_dprog_save_mem(const sac_dprog *p, const char *model, void **out,
		       size_t *len, sac_err *e);
/* Strict: every count, index, address and instruction is checked. */
int sac_dprog_load(const char *path, sac_dprog **out, sac_err *e);
int sac_dprog_load_mem(const void *data, size_t len, const char *name,
		       sac_dprog **out, sac_err *e);
/* 1 if the file is an image with a dense program (no error reporting). */
int sac_dprog_is_image(const char *path);

/* Energy components of a dense run. */
#define SAC_DSIM_ECOMPS(X)                                     \
	X(DRAM, "dram") X(WMEM, "weight_sram") X(DMEM, "data_sram") \
	X(MAC, "mac") X(REQUANT, "requant") X(ALU, "alu")          \
	X(LUT, "lut") X(DIV, "divide") X(NOC, "noc")               \
	X(CLOCK, "clock") X(LEAK, "leakage")
typedef enum sac_dsim_ecomp {
#define X(id, name) SAC_DE_##id,
	SAC_DSIM_ECOMPS(X)
#undef X
	SAC_DE_COUNT
} sac_dsim_ecomp;
const char *sac_dsim_ecomp_name(int c);

typedef struct sac_dsim_block {
	int64_t cycles;           /* sum of its phases' lengths (end - start) */
	int64_t stall;            /* cycles its phases waited for weights */
	double pj[SAC_DE_COUNT];  /* energy of its phases (leakage included) */
	int phases_run;
} sac_dsim_block;

typedef struct sac_dsim_stats {
	int64_t cycles;           /* latency: end of the last phase */
	double seconds;
	double pj[SAC_DE_COUNT];
	double energy_pj;
	sac_dsim_block block[SAC_DSIM_MAX_BLOCKS];
	int phases_run, phases_skipped;
	uint64_t dram_bytes, flits, link_flits, instrs;
	sac_dunit_counts unit;    /* summed over PEs */
	/* Sums over the run phases of the timeline's parts (docs/ISA.md):
	 * RECVs (start to the last tile's arrival), the slowest PE's compute,
	 * weight streams (start to the last block's arrival), waits for
	 * weights (the previous phase's end to this one's start). */
	int64_t gather_cycles, compute_cycles, stream_cycles, stall_cycles;
	/* The latency the analytic estimate gives for the same run (both
	 * sac_dsim_run and sac_dsim_run_analytic compute it). */
	int64_t analytic_cycles;
} sac_dsim_stats;

/* Optional per-tensor outputs, read back from the owners' data memories
 * at the end of each tensor's phase: out[i] has rows * cols values of
 * tensor i (NULL for internal ones), ran[i] = 1 if computed. */
typedef struct sac_dsim_trace {
	int n;
	int32_t **out;
	char *ran;
} sac_dsim_trace;
void sac_dsim_trace_free(sac_dsim_trace *tr);

/* Run one inference: qin[j] are the integer values of the j-th input
 * tensor (graph order), loaded by the host into the owners' memories
 * (outside the latency).  logits (rows * cols of the output, may be NULL)
 * receive the output tensor.  trace may be NULL.  The timing is
 * flit-level: every weight block and every RECV tile goes through one
 * cycle-accurate NoC model (sac_noc) on one clock (docs/ISA.md). */
int sac_dsim_run(const sac_dprog *p, const int32_t *const *qin,
		 int32_t *logits, sac_dsim_stats *st, sac_dsim_trace *tr,
		 sac_err *e);
/* The same values and counts, timed by the analytic estimate instead of
 * the NoC model (docs/ISA.md, "The analytic estimate"): faster, and a
 * lower latency than the flit-level timing (docs/RESULTS.md says by how
 * much). */
int sac_dsim_run_analytic(const sac_dprog *p, const int32_t *const *qin,
			  int32_t *logits, sac_dsim_stats *st,
			  sac_dsim_trace *tr, sac_err *e);
/* Float inputs quantised at the input tensors' scales (round half away
 * from zero, saturated to their width): the boundary of
 * sac_dense_forward_int. */
int sac_dsim_quantize_inputs(const sac_dprog *p, const double *const *in,
			     int32_t **qin, sac_err *e);

#ifdef __cplusplus
}
#endif
#endif
