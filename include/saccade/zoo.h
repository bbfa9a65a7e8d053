/* zoo.h: the model zoo: networks of the source papers written as Saccade
 * model files (docs/FORMATS.md) with deterministic synthetic weights.
 *
 * TNAS-ER (seed 004) is a search space, not one network: a genome names
 * the searchable blocks, two per group, each a 3x3 conv block ('3'), a 5x5
 * conv block ('5') or a skip ('s'); groups are separated by '-'
 * ("3s-35-33").  The generator writes, into a directory, model.yaml,
 * weights.npz (float32), calib.npy (calibration inputs framed from
 * synthetic eye events) and sample.npy (one input per class).  Everything
 * is a pure function of the options: the same options give the same bytes
 * (up to the zip container's timestamps). */
#ifndef SACCADE_ZOO_H
#define SACCADE_ZOO_H

#include <stdio.h>
#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most groups a genome may have (widths 32 * 2^g grow fast). */
#define SAC_ZOO_MAX_GROUPS 8
/* Longest canonical genome text including the terminating NUL. */
#define SAC_ZOO_GENOME_MAX (3 * SAC_ZOO_MAX_GROUPS + 1)

typedef struct sac_zoo_opts {
	const char *genome; /* NULL: the canonical genome ("see") */
	int c, h, w;        /* input shape; 0: 4, 64, 64 */
	uint64_t seed;      /* weights and inputs; sac_zoo_opts_init sets 1 */
	int ncalib;         /* calibration inputs; 0: 16 */
} sac_zoo_opts;

/* Defaults: canonical genome, 4x64x64, seed 1, 16 calibration inputs. */
void sac_zoo_opts_init(sac_zoo_opts *o);

/* What the generator made (filled by sac_zoo_tnas_er, may be NULL). */
typedef struct sac_zoo_info {
	char genome[SAC_ZOO_GENOME_MAX]; /* canonical dashed form */
	char name[64];                   /* model name, "tnas-er-<genome>" */
	int groups;
	int nodes;          /* graph nodes written to model.yaml */
	int64_t params;     /* conv/linear weights + biases (batch norm folded) */
	int64_t bn_params;  /* batch-norm gamma/beta/mean/var (fold away) */
	int out_c, out_h, out_w; /* shape entering the head (before flatten) */
	int ncalib, nsample;
} sac_zoo_info;

/* The canonical TNAS-ER genome, the expansion of the alias "see":
 * "3s-35-33", 1,035,271 parameters at 4x64x64 (the paper: 1.04 M). */
const char *sac_zoo_tnas_er_canonical(void);

/* Check a genome and write its canonical dashed form ("3s3533" and "see"
 * become "3s-35-33") into buf (SAC_ZOO_GENOME_MAX bytes suffice).
 * Returns the number of groups, or a negative error naming the offending
 * character and its (1-based) position. */
int sac_zoo_tnas_er_parse(const char *genome, char *buf, size_t n,
			  sac_err *e);

/* Fill *info (genome, name, groups, nodes, parameter counts, head shape)
 * without writing anything: validates genome and input shape. */
int sac_zoo_tnas_er_info(const sac_zoo_opts *o, sac_zoo_info *info,
			 sac_err *e);

/* Write the model.yaml text for the options to out. */
int sac_zoo_tnas_er_yaml(const sac_zoo_opts *o, FILE *out, sac_err *e);

/* Create dir (and its parents) if needed and write model.yaml,
 * weights.npz, calib.npy and sample.npy into it. */
int sac_zoo_tnas_er(const sac_zoo_opts *o, const char *dir,
		    sac_zoo_info *info, sac_err *e);

/* ---- MCO-E (seed 000): the head after the backbones -------------------
 * sac_zoo_mcoe writes into dir mcoe.yaml (the head's dimensions,
 * docs/FORMATS.md "MCO-E models"), weights.npz (float32, the members of
 * sac_mcoe_members in include/saccade/dense.h), calib.npy and sample.npy
 * (float32 [N, 2, tokens, d_model]: modality 0 RGB, 1 events; synthetic
 * backbone features, input i of class i mod 7).  The experts' classifiers
 * are fitted by ridge regression on training inputs unless random_readout
 * (docs/MCOE.md "Synthetic weights and inputs").  Deterministic in the
 * options. */
typedef struct sac_zoo_mcoe_opts {
	uint64_t seed; /* weights and inputs; default 1 */
	int ncalib;    /* calibration inputs; default 16 */
	int nsample;   /* sample inputs; default 7 (one per class) */
	int small;     /* 1: the reduced head of the unit tests */
	int random_readout; /* 1: the experts' classifiers random too, not
			     * fitted (docs/MCOE.md) */
} sac_zoo_mcoe_opts;

void sac_zoo_mcoe_opts_init(sac_zoo_mcoe_opts *o);
int sac_zoo_mcoe(const sac_zoo_mcoe_opts *o, const char *dir, sac_err *e);
/* Parameters of the head the options describe. */
int64_t sac_zoo_mcoe_params(const sac_zoo_mcoe_opts *o);
/* The synthetic value of one member (kind and shape from
 * sac_mcoe_members): a pure function of seed and name. */
void sac_zoo_mcoe_fill(uint64_t seed, const char *name, char kind, int ndim,
		       const int64_t *shape, float *dst);
/* Synthetic input i ([2, tokens, d_model] floats) of class i mod 7;
 * calib picks the stream: 0 samples, 1 calibration, 2 the training inputs
 * of the fitted readout (the three are disjoint). */
void sac_zoo_mcoe_input(int tokens, int d_model, uint64_t seed, int i,
			int calib, float *dst);

#ifdef __cplusplus
}
#endif
#endif
