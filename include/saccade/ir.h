/* ir.h: the graph IR, the model files that load into it and the compiler
 * passes over it.
 *
 * A graph is a list of nodes in topological order: every input index of
 * node i is smaller than i, node 0 is the single input node and the last
 * node is the single output node.  Tensors are one image at a time, shaped
 * [C, H, W]; vectors (after flatten or linear) are [N, 1, 1].  The graph
 * moves through stages: FLOAT (as loaded), FOLDED (batch norm folded,
 * canonical form), QUANT (calibrated ranges, int8 weights) and TTFS
 * (windows, steps, ramps, integer biases: what the hardware runs).  The
 * verifier (sac_graph_verify) checks the invariants of the current stage
 * and runs between passes. */
#ifndef SACCADE_IR_H
#define SACCADE_IR_H

#include <stdio.h>
#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The IR operators: X(ID, yaml-name, number of inputs). */
#define SAC_IR_OPS(X)                       \
	X(INPUT, "input", 0)                \
	X(CONV2D, "conv2d", 1)              \
	X(LINEAR, "linear", 1)              \
	X(RELU, "relu", 1)                  \
	X(MAXPOOL, "maxpool", 1)            \
	X(AVGPOOL, "avgpool", 1)            \
	X(GLOBAL_AVGPOOL, "global_avgpool", 1) \
	X(FLATTEN, "flatten", 1)            \
	X(BATCHNORM, "batchnorm", 1)        \
	X(IDENTITY, "identity", 1)          \
	X(OUTPUT, "output", 1)

typedef enum sac_op {
#define X(id, name, nin) SAC_OP_##id,
	SAC_IR_OPS(X)
#undef X
	SAC_OP_COUNT
} sac_op;

const char *sac_op_name(sac_op op);
/* -1 if unknown. */
int sac_op_parse(const char *name);

typedef enum sac_stage {
	SAC_STAGE_FLOAT,
	SAC_STAGE_FOLDED,
	SAC_STAGE_QUANT,
	SAC_STAGE_TTFS
} sac_stage;

#define SAC_NAME_MAX 64
#define SAC_MAX_INPUTS 2

typedef struct sac_node {
	char name[SAC_NAME_MAX];
	sac_op op;
	int nin;
	int in[SAC_MAX_INPUTS];
	int line, col; /* YAML location of the node (1-based), 0 if made by a pass */

	/* Attributes. */
	int out_channels;      /* conv2d */
	int features;          /* linear */
	int kh, kw, sh, sw, ph, pw; /* conv2d, maxpool, avgpool */
	int groups;            /* conv2d */
	float eps;             /* batchnorm */
	int relu;              /* conv2d/linear: ReLU fused on the output */
	int in_shape[3];       /* input only: declared [C, H, W] */

	/* Output shape, set by sac_graph_infer. */
	int c, h, w;

	/* Float parameters (owned; NULL when absent).  conv2d weight is
	 * [O, C/groups, kh, kw]; linear weight is [O, I]; bias is [O]. */
	float *weight;
	float *bias;
	float *bn_gamma, *bn_beta, *bn_mean, *bn_var; /* [C] */
	size_t nweight;
	char wname[SAC_NAME_MAX * 2], bname[SAC_NAME_MAX * 2];

	/* QUANT and later.  act_max: the largest output on the calibration
	 * data (float units).  wscale: float value of one int8 weight step,
	 * per output channel (nwscale == O) or per layer (nwscale == 1). */
	double act_max;
	float *wscale;
	int nwscale;
	int8_t *wq;

	/* TTFS.  window: index of the window the node's output spikes in
	 * (input = 0; pools and flatten share their producer's); steps: S of
	 * that window; act_scale: float value of one integer step of the
	 * output.  bq and ramp are per output channel.  A conv2d/linear
	 * without relu that feeds the output is the readout layer: it never
	 * spikes, its logits are sum W x + bq. */
	int window;
	int steps;
	double act_scale;
	int32_t *bq;
	int32_t *ramp;
} sac_node;

typedef struct sac_graph {
	char name[SAC_NAME_MAX];
	char path[1024];  /* the YAML file, for messages */
	char calib[1024]; /* calibration .npy named by the model (resolved), or "" */
	sac_stage stage;
	int per_layer;    /* quantisation granularity used (QUANT and later) */
	double gamma;     /* window scaling (TTFS) */
	int n, cap;
	sac_node *node;
} sac_graph;

/* Model files (docs/FORMATS.md).  Loads YAML + npz and runs shape
 * inference and the verifier.  Errors name file:line:col or the npz member. */
int sac_model_load(const char *yaml_path, const char *npz_path,
		   sac_graph **out, sac_err *e);
/* Load from YAML text already in memory (tests); npz may be NULL when the
 * model names no weights. `name` is used in messages. */
int sac_model_load_mem(const char *yaml, size_t len, const char *name,
		       const char *npz_path, sac_graph **out, sac_err *e);
/* Write the graph as YAML + npz: float models with float32 weights,
 * TTFS models with int8 weights, int32 biases and ramps. */
int sac_model_save(const sac_graph *g, const char *yaml_path,
		   const char *npz_path, sac_err *e);
void sac_graph_free(sac_graph *g);

int sac_graph_infer(sac_graph *g, sac_err *e);
int sac_graph_verify(const sac_graph *g, sac_err *e);
/* Node index by name or -1. */
int sac_graph_find(const sac_graph *g, const char *name);
/* Index of the readout (conv2d/linear feeding the output node). */
int sac_graph_readout(const sac_graph *g);
/* 1 for nodes whose output neurons spike in TTFS (input, conv2d/linear
 * with relu). */
int sac_node_spikes(const sac_node *nd);
size_t sac_node_size(const sac_node *nd); /* c * h * w */
int64_t sac_node_params(const sac_node *nd);
int64_t sac_node_macs(const sac_node *nd);
int64_t sac_graph_params(const sac_graph *g);
int64_t sac_graph_macs(const sac_graph *g);

/* The passes. */
typedef struct sac_compile_opts {
	int steps;          /* time steps per window S, default 16 */
	double gamma;       /* window scaling, default 0.5 */
	int per_layer;      /* 0: per-output-channel weight scales (default) */
	const char *calib;  /* calibration .npy, NULL: the model's own */
	const char *dump;   /* pass name after which to dump, or "all", or NULL */
	FILE *dump_out;     /* where dumps go (stdout if NULL) */
	sac_stage until;    /* stop after reaching this stage (default TTFS) */
} sac_compile_opts;

void sac_compile_opts_init(sac_compile_opts *o);
/* Names of the passes, for --dump: "load", "fold-bn", "canonicalize",
 * "quantize", "ttfs". Returns 1 if known. */
int sac_pass_known(const char *name);

int sac_pass_fold_bn(sac_graph *g, sac_err *e);
int sac_pass_canonicalize(sac_graph *g, sac_err *e);
/* calib: float32 [N, C, H, W] or [C, H, W] in [0, 1]. */
int sac_pass_quantize(sac_graph *g, const sac_tensor *calib,
		      const sac_compile_opts *o, sac_err *e);
int sac_pass_ttfs(sac_graph *g, const sac_compile_opts *o, sac_err *e);

/* The driver: runs the passes the graph still needs, up to o->until. */
int sac_compile(sac_graph *g, const sac_compile_opts *o, sac_err *e);

void sac_graph_dump(const sac_graph *g, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
