/* dunit.h: the PE's dense unit: its instruction set and a unit-level model
 * that executes one instruction on one PE's local memories.
 *
 * The dense unit runs the MCO-E operators that cannot become spikes
 * (docs/MCOE.md) as tile macro-instructions: one instruction computes a
 * tile of one operator (rows x columns of its output) from operands in the
 * PE's data memory (D: 32-bit words, the potential and accumulated-value
 * SRAMs) and a parameter block in its weight memory (W: bytes, the weight
 * SRAM).  docs/ISA.md is the specification: encoding, operands, parameter
 * block layouts, cycles and counted actions of every opcode.  The
 * arithmetic of every element is the integer reference's: the unit calls
 * the per-element kernels of dense.h (sac_dense_rq, sac_dense_scan_state,
 * ...), never its own copy of a formula.
 *
 * One X-macro table (SAC_DUNIT_OPS) lists the opcodes; the encoder, the
 * decoder, the model and the simulator's dispatcher read it.  The model
 * holds no state besides the memories it is given, checks every address
 * against them (an instruction that would read or write outside is
 * SAC_ERR_CORRUPT naming the opcode and the operand: images come from
 * files) and never exits.  System instructions (RECV, WLOAD, SELECT, SYNC)
 * move data between PEs or to the whole chip and are executed by the
 * simulator (dsim.h), not here. */
#ifndef SACCADE_DUNIT_H
#define SACCADE_DUNIT_H

#include <stdint.h>

#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(ID, name, operands used, system): operands in docs/ISA.md order. */
#define SAC_DUNIT_OPS(X)                        \
	X(NOP, "nop", 0, 0)                     \
	X(MATMUL, "matmul", 6, 0)               \
	X(CONV, "conv", 11, 0)                  \
	X(DWCONV, "dwconv", 10, 0)              \
	X(ADD, "add", 5, 0)                     \
	X(MUL, "mul", 5, 0)                     \
	X(LUT, "lut", 4, 0)                     \
	X(LNORM, "lnorm", 5, 0)                 \
	X(SOFTMAX, "softmax", 5, 0)             \
	X(SCAN, "scan", 11, 0)                  \
	X(MJOS, "mjos", 6, 0)                   \
	X(ATTN, "attn", 9, 0)                   \
	X(GATE, "gate", 6, 0)                   \
	X(MIX, "mix", 7, 0)                     \
	X(TOPK, "topk", 4, 0)                   \
	X(MOESUM, "moesum", 15, 0)              \
	X(RECV, "recv", 5, 1)                   \
	X(WLOAD, "wload", 4, 1)                 \
	X(SELECT, "select", 2, 1)               \
	X(SYNC, "sync", 1, 1)

typedef enum sac_dunit_op {
#define X(id, name, nops, sys) SAC_DOP_##id,
	SAC_DUNIT_OPS(X)
#undef X
	SAC_DOP_COUNT
} sac_dunit_op;

/* Flags (docs/ISA.md). */
#define SAC_DF_W16 1u     /* int16 weights (else int8) */
#define SAC_DF_IN16 2u    /* int16 input activations (LUT: interpolated table) */
#define SAC_DF_CAUSAL 4u  /* dwconv: causal taps */
#define SAC_DF_REVERSE 8u /* dwconv (causal), scan: right to left */
#define SAC_DF_WIN 16u    /* lut with IN16: the windowed table (docs/ISA.md) */

#define SAC_DUNIT_NOPS 15     /* operand words per instruction */
#define SAC_DUNIT_IBYTES 64   /* encoded instruction size */
#define SAC_DUNIT_MAX_EXPERTS 10 /* MOESUM expert buffers */

/* One instruction.  guard < 0: always executed; guard = e: only when the
 * last SELECT chose expert e. */
typedef struct sac_dinstr {
	uint8_t op, bits, flags;
	int8_t guard;
	uint32_t a[SAC_DUNIT_NOPS];
} sac_dinstr;

const char *sac_dunit_op_name(int op); /* "?" when out of range */
int sac_dunit_op_system(int op);       /* 1 for RECV, WLOAD, SELECT, SYNC */

/* 64 little-endian bytes: op, bits, flags, guard, then 15 u32 operands. */
void sac_dunit_encode(const sac_dinstr *in, uint8_t out[SAC_DUNIT_IBYTES]);
/* Decode; an unknown opcode, a width other than 0/8/16/32 or unknown
 * flag bits is SAC_ERR_CORRUPT. */
int sac_dunit_decode(const uint8_t in[SAC_DUNIT_IBYTES], sac_dinstr *out,
		     sac_err *e);

/* The unit's configuration (from the target, docs/ISA.md "Timing"). */
typedef struct sac_dunit_cfg {
	int mac_lanes;   /* int8 x int8 multiply-accumulates per cycle */
	int vec_lanes;   /* 32-bit vector ALU lanes (requantise, LUT, add) */
	int pipeline;    /* latency cycles added to every compute instruction */
	int div_cycles;  /* one 64/32 division or one 62-bit square root */
} sac_dunit_cfg;

/* A PE's local memories as the unit sees them. */
typedef struct sac_dunit_mem {
	int32_t *d;          /* data memory, one element per word */
	uint32_t dwords;
	uint8_t *w;          /* weight memory (parameter blocks) */
	uint32_t wbytes;
} sac_dunit_mem;

/* Actions, summed over instructions (docs/ISA.md "Counted actions"). */
typedef struct sac_dunit_counts {
	uint64_t cycles;      /* datapath cycles (busy; the clock runs) */
	uint64_t macs;        /* 8x8 MAC lane operations (16-bit operands: 2 or 4) */
	uint64_t rq;          /* requantisations: 32x32 multiply + rounding shift */
	uint64_t alu;         /* vector ALU operations (add, compare, shift) */
	uint64_t lut;         /* table reads */
	uint64_t div;         /* divisions and square roots */
	uint64_t dmem_reads, dmem_writes; /* 32-bit words */
	uint64_t wmem_reads, wmem_writes; /* 64-bit rows */
	uint64_t instrs;      /* instructions executed */
} sac_dunit_counts;

/* Cycles of a compute instruction from its operands alone (no memory
 * access): the timing model of docs/ISA.md.  0 for system instructions. */
uint64_t sac_dunit_cycles(const sac_dunit_cfg *c, const sac_dinstr *in);

/* Execute one compute instruction on m, adding its actions to *k (cycles
 * as sac_dunit_cycles).  Errors: SAC_ERR_CORRUPT for an operand outside
 * the memories or inconsistent sizes, SAC_ERR_USAGE for a system
 * instruction. */
int sac_dunit_exec(const sac_dunit_cfg *c, sac_dunit_mem *m,
		   const sac_dinstr *in, sac_dunit_counts *k, sac_err *e);

/* Parameter-block helpers (little-endian), used by the lowering to write
 * blocks and by tests: a multiplier is 8 bytes (i32 m, i32 sh). */
void sac_dunit_put_i32(uint8_t *p, int32_t v);
void sac_dunit_put_i64(uint8_t *p, int64_t v);

#ifdef __cplusplus
}
#endif
#endif
