/* runtime.h: the public C API for running compiled images.
 *
 * A sac_rt is an opaque context: one loaded image, one backend, one input,
 * one result.  Typical use:
 *
 *     sac_err e = {0};
 *     sac_rt *rt = sac_rt_open("net.sac", &e);     // NULL + e.msg on failure
 *     sac_rt_set_input(rt, data, 3, shape);          // float [C, H, W] in [0, 1]
 *     sac_rt_run(rt);                                // or check the codes
 *     int cls = sac_rt_class(rt);
 *     sac_rt_close(rt);
 *
 * Every call but sac_rt_open returns SAC_OK (0) or a negative code from
 * saccade.h and keeps the message, retrievable with sac_rt_error(rt) until
 * the next call on the same context.  The documented codes:
 *
 *   SAC_ERR_USAGE        NULL context or NULL pointer argument, bad index
 *   SAC_ERR_STATE        out of order: run before an input was set, results
 *                        read before a successful run (setting a new input
 *                        discards the previous results)
 *   SAC_ERR_SHAPE        input not float32 [C, H, W] / [1, C, H, W] of the
 *                        image's input size, or framing of another size
 *   SAC_ERR_RANGE        input value outside [0, 1] (or NaN), event stream
 *                        too short for the framing
 *   SAC_ERR_UNSUPPORTED  backend not available: SAC_BACKEND_RTL when no RTL
 *                        executable for the image's target is found (the
 *                        message lists where it looked), or the executable
 *                        refused the image or input
 *   others               image or event file errors, deadlock, out of memory
 *
 * A failed call never changes what a later call sees except that a failed
 * sac_rt_set_input/_events leaves no input (run then reports SAC_ERR_STATE)
 * and a failed sac_rt_run leaves no results.
 *
 * Threads: the library has no global state.  A context must be used by one
 * thread at a time; different contexts run in parallel.  sac_rt_clone
 * makes a new context that shares the loaded program read-only (reference
 * counted), so N threads need one image load, not N.  sac_rt_eval runs a
 * labelled set on N threads that way.  Nothing here prints or exits. */
#ifndef SACCADE_RUNTIME_H
#define SACCADE_RUNTIME_H

#include <stdio.h>
#include "saccade/events.h"
#include "saccade/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sac_rt sac_rt;

typedef enum sac_backend {
	SAC_BACKEND_SIM = 0, /* the cycle-accurate C model (sim/) */
	SAC_BACKEND_RTL = 1  /* the Verilated RTL: the executable saccade-rtl-<target>
			      * run once per inference (rtlproc.h) */
} sac_backend;

/* Open an image with the simulator backend.  On failure returns NULL and
 * fills e (which may be NULL). */
sac_rt *sac_rt_open(const char *image, sac_err *e);
/* A new context sharing rt's program; no input, no results, same backend
 * (and RTL executable), no trace file or progress callback.  NULL (and e filled) on failure. */
sac_rt *sac_rt_clone(const sac_rt *rt, sac_err *e);
void sac_rt_close(sac_rt *rt); /* NULL is fine */

/* Message of the last failed call on rt ("" after a successful one);
 * for a NULL rt a constant message saying so.  Valid until the next call. */
const char *sac_rt_error(const sac_rt *rt);
/* Code of the last call on rt (SAC_OK or negative); SAC_ERR_USAGE for NULL. */
int sac_rt_errcode(const sac_rt *rt);

/* Select the backend for the following runs (results are dropped when it
 * changes).  SAC_BACKEND_RTL finds the executable now: the one given to
 * sac_rt_set_rtl, else saccade-rtl-<target> in $SACCADE_RTL_DIR, else in
 * the installation's libexec directory; SAC_ERR_UNSUPPORTED (listing the
 * places) if there is none, and the backend stays as it was.  The RTL
 * backend fills the same outputs and statistics as the simulator (the
 * energy from its counts with the same table) except the per-layer
 * window cycles (sac_rt_layer: -1; the RTL does not report window
 * boundaries); it ignores the progress callback, and a trace FILE
 * receives the RTL's waveforms. */
int sac_rt_set_backend(sac_rt *rt, sac_backend b);
/* The RTL executable to use (NULL: the lookup above); checked now if the
 * RTL backend is selected, else when it is. */
int sac_rt_set_rtl(sac_rt *rt, const char *exe);
/* The executable the RTL backend runs; NULL unless it is selected. */
const char *sac_rt_rtl_path(const sac_rt *rt);
const char *sac_backend_name(sac_backend b); /* "sim", "rtl" */
/* Simulator options, applied to the following runs: a VCD trace file
 * (NULL: none; the caller keeps and closes the FILE) and a progress
 * callback (see sac_sim_opts). */
int sac_rt_set_trace(sac_rt *rt, FILE *vcd);
int sac_rt_set_progress(sac_rt *rt,
			void (*fn)(void *ctx, int64_t step, int64_t steps, int64_t cycle),
			void *ctx);

/* The loaded program (graph, target, map), read-only, shared by clones;
 * NULL for a NULL rt. */
const sac_program *sac_rt_program(const sac_rt *rt);
/* Input size [C, H, W] of the image's input node. */
int sac_rt_input_shape(sac_rt *rt, int64_t shape[3]);

/* Inputs.  Each copies what it needs; the caller's buffers may be freed
 * afterwards.  Values must be in [0, 1]. */
int sac_rt_set_input(sac_rt *rt, const float *data, int ndim, const int64_t *shape);
/* Image `index` of a float32 [C,H,W] (index 0) or [N,C,H,W] tensor. */
int sac_rt_set_input_tensor(sac_rt *rt, const sac_tensor *x, long index);
/* The E4-S3 framing that fits the image: frames = C, skip 3 (0.1 s),
 * size W x H, start 0. */
int sac_rt_frame_defaults(sac_rt *rt, sac_frame_opts *fo);
/* Frame an event stream (fo NULL: sac_rt_frame_defaults) and use it as the
 * input; fo's frames, width and height must match [C, H, W]. */
int sac_rt_set_events(sac_rt *rt, const sac_events *ev, const sac_frame_opts *fo);

/* Run the current input on the backend.  Deterministic: the same image
 * and input always give the same outputs, cycles and energy. */
int sac_rt_run(sac_rt *rt);

/* After a run: run ref-int on the same input and compare every integer
 * logit and spike (sac_ref_compare).  *same = 1 if identical, else 0 with
 * the first difference in diff[0..n).  The numerics contract says it is
 * always 1; this is how users and tests check it on their inputs. */
int sac_rt_check_ref(sac_rt *rt, int *same, char *diff, size_t n);

/* Outputs of the last successful run. */
int sac_rt_nlogits(sac_rt *rt);                 /* count, or a negative code */
int sac_rt_logits(sac_rt *rt, double *out, int n);       /* dequantised */
int sac_rt_int_logits(sac_rt *rt, int64_t *out, int n);  /* the hardware's */
int sac_rt_class(sac_rt *rt);                   /* argmax, or a negative code */
/* The whole result and statistics (NULL before a run; see sac_rt_error). */
const sac_ref_out *sac_rt_output(sac_rt *rt);
const sac_sim_stats *sac_rt_stats(sac_rt *rt);

/* Statistics of the last run, as scalars for bindings. */
int sac_rt_latency(sac_rt *rt, int64_t *cycles, double *ms);
/* Total energy in mJ and, if by_comp is not NULL, the SAC_E_COUNT
 * components (names: sac_ecomp_name) in mJ. */
int sac_rt_energy(sac_rt *rt, double *total_mj, double *by_comp_mj);
int sac_rt_ncomponents(void); /* SAC_E_COUNT */
int sac_rt_nlayers(sac_rt *rt);
/* Hardware layer l: name (the node's), cycles of its window(s), energy. */
int sac_rt_layer(sac_rt *rt, int l, const char **name, int64_t *cycles, double *mj);
int sac_rt_npe(sac_rt *rt);
int sac_rt_pe_energy(sac_rt *rt, double *mj, int n); /* [npe], mJ */

/* Spike trace: the graph's nodes (0 = input, last = output). */
int sac_rt_nnodes(sac_rt *rt);
const char *sac_rt_node_name(sac_rt *rt, int node); /* NULL if out of range */
int sac_rt_node_shape(sac_rt *rt, int node, int64_t shape[3]);
/* After a run: for a spiking node, *steps = C*H*W global steps (-1: no
 * spike) and the return value is that count; 0 with *steps = NULL for a
 * node that does not spike (the readout, flatten); negative on error.
 * The array belongs to rt, valid until the next input or run. */
int64_t sac_rt_node_spikes(sac_rt *rt, int node, const int32_t **steps);

/* --- labelled sets (manifest CSV, docs/FORMATS.md) -------------------------- */

typedef struct sac_sample {
	char *path;    /* the event file; relative paths resolved against the
			* manifest's directory */
	int line;      /* line in the manifest, for messages */
	int emotion;   /* 0..6 in the papers' order (sac_class_name) */
	int lighting;  /* 0..3 (sac_lighting_name) */
} sac_sample;

typedef struct sac_manifest {
	char *file;    /* the manifest's path as given */
	int n;
	sac_sample *s;
} sac_manifest;

/* Read a manifest: header "path,emotion,lighting" (columns in any order,
 * extra columns ignored), one sample per line; errors name file:line. */
int sac_manifest_read(const char *path, sac_manifest *m, sac_err *e);
void sac_manifest_free(sac_manifest *m);

/* --- batch evaluation ---------------------------------------------------- */

typedef struct sac_eval_result {
	int rc;          /* SAC_OK, or the code of this sample's failure */
	int pred;        /* predicted class; -1 if the sample failed */
	int64_t cycles;  /* latency */
	double ms, mj;   /* latency, energy per inference */
	int64_t spikes;
	char msg[512];   /* the failure, "" on success */
} sac_eval_result;

/* Progress of sac_rt_eval: called after each sample with the number done;
 * calls never overlap (they are made under the evaluator's lock, from any
 * of its threads). */
typedef void (*sac_eval_progress)(void *ctx, int done, int total);

/* Run every sample of m: read its events, frame them (fo; NULL for
 * sac_rt_frame_defaults), run, and store the outcome in res[i] (res has
 * m->n entries).  jobs >= 1 threads, each with its own clone of rt;
 * res[i] depends only on sample i, so any jobs gives identical results.
 * Returns SAC_OK when every sample was attempted (a sample's own failure
 * is in res[i].rc, not in the return value), else a negative code:
 * the image does not have 7 outputs (SAC_ERR_SHAPE), bad fo
 * (SAC_ERR_SHAPE/RANGE), thread creation or memory failure. */
int sac_rt_eval(sac_rt *rt, const sac_manifest *m, const sac_frame_opts *fo,
		int jobs, sac_eval_progress cb, void *ctx, sac_eval_result *res);

/* The papers' table.  Accuracies are fractions in [0, 1]; NaN where a
 * class or lighting has no (successful) sample. */
typedef struct sac_eval_summary {
	int n, ok, failed;
	int cls_n[SAC_NUM_CLASSES], cls_correct[SAC_NUM_CLASSES];
	int light_n[SAC_NUM_LIGHTINGS], light_correct[SAC_NUM_LIGHTINGS];
	double cls_acc[SAC_NUM_CLASSES];     /* recall of each emotion */
	double light_acc[SAC_NUM_LIGHTINGS];
	double war;   /* weighted average recall = overall accuracy */
	double uar;   /* unweighted average recall: mean of cls_acc over the
		       * emotions that have samples */
	double ms_mean, ms_p95, mj_mean, mj_p95; /* per inference */
	double cycles_mean;
} sac_eval_summary;

/* Aggregate in index order (so the floating-point sums do not depend on
 * which thread finished first); failed samples count in n and failed
 * only.  95th percentile: nearest rank, ceil(0.95 k)-th smallest. */
void sac_eval_summarize(const sac_manifest *m, const sac_eval_result *res,
			sac_eval_summary *s);

/* Sizes of the public structs, so that bindings can check their mirrors:
 * 0 sac_eval_result, 1 sac_eval_summary, 2 sac_manifest, 3 sac_sample,
 * 4 sac_frame_opts; 0 for anything else. */
size_t sac_rt_sizeof(int which);

#ifdef __cplusplus
}
#endif
#endif
