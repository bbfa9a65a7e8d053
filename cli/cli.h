/* cli.h: the subcommands of the `saccade` program.
 *
 * Each command gets argv starting at its own name (argv[0] == "ref") and
 * returns the process exit status: 0 on success, 1 on a user error (after
 * printing "saccade <cmd>: message" to stderr), 2 on bad usage.  Commands
 * print results on stdout only.  help_* print the man-page style help. */
#ifndef SACCADE_CLI_H
#define SACCADE_CLI_H

#include <stdio.h>

typedef struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*help)(FILE *out);
} cli_command;

int cli_ref(int argc, char **argv);
void cli_ref_help(FILE *out);
int cli_zoo(int argc, char **argv);
void cli_zoo_help(FILE *out);
int cli_info(int argc, char **argv);
void cli_info_help(FILE *out);
int cli_quantize(int argc, char **argv);
void cli_quantize_help(FILE *out);
int cli_compile(int argc, char **argv);
void cli_compile_help(FILE *out);
int cli_map(int argc, char **argv);
void cli_map_help(FILE *out);
int cli_sim(int argc, char **argv);
void cli_sim_help(FILE *out);
int cli_events(int argc, char **argv);
void cli_events_help(FILE *out);
int cli_run(int argc, char **argv);
void cli_run_help(FILE *out);
int cli_noc(int argc, char **argv);
void cli_noc_help(FILE *out);
int cli_cosim(int argc, char **argv);
void cli_cosim_help(FILE *out);
int cli_dense_ref(int argc, char **argv);
void cli_dense_ref_help(FILE *out);

/* The dense (MCO-E) paths of compile and sim (dense_cli.c). */
struct sac_target;
int cli_dense_is_model(const char *path);
int cli_dense_compile(const char *model, const struct sac_target *t,
		      const char *calib, int per_layer, int wide_weights,
		      int wide_acts, const char *out);
int cli_dense_sim(const char *path, const char *input, long index,
		  const char *report, int analytic);
/* t's values as a new array of doubles (*out, the caller frees it), each
 * finite, else a message naming path and the value; frees t either way. */
struct sac_tensor;
struct sac_err;
int cli_tensor_doubles(const char *path, struct sac_tensor *t, double **out,
		       struct sac_err *e);

/* Print root as JSON to path (stdout if path is NULL) and delete it;
 * returns 0 or, after a message naming the file, 1. */
struct cJSON;
int cli_write_json(const char *cmd, const char *path, struct cJSON *root);

/* s as a whole decimal number in [lo, hi] into *v: 1, or 0 if it is not. */
int cli_to_long(const char *s, long lo, long hi, long *v);

/* name as a path: itself if absolute, else relative to dir (a file named
 * in a model directory's YAML), into out[n]. */
void cli_path_in(char *out, size_t n, const char *dir, const char *name);

/* Print "saccade: <cmd>: msg" to stderr; returns 1. */
int cli_fail(const char *cmd, const char *msg);

#endif
