/* main.c: the `saccade` program: git-style dispatch to subcommands.
 *
 * Exit status: 0 success, 1 a user error (message on stderr), 2 bad
 * usage.  Each command lives in cli/cmd_*.c with its own help text. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "saccade/saccade.h"

static const cli_command commands[] = {
	{"zoo", "write a model of the zoo (TNAS-ER genomes, the MCO-E head)", cli_zoo, cli_zoo_help},
	{"info", "print a model's layers, shapes, parameters and MACs", cli_info, cli_info_help},
	{"ref", "run the reference executors (float, int, ttfs) on inputs", cli_ref, cli_ref_help},
	{"dense-ref", "run the MCO-E head's float and integer references", cli_dense_ref, cli_dense_ref_help},
	{"quantize", "convert a float model to an integer TTFS model", cli_quantize, cli_quantize_help},
	{"compile", "compile and map a model into an image for a target", cli_compile, cli_compile_help},
	{"map", "print the PE map of an image", cli_map, cli_map_help},
	{"sim", "simulate an image cycle by cycle: class, latency, energy", cli_sim, cli_sim_help},
	{"cosim", "co-simulate an image on the RTL and the C simulator, compare", cli_cosim, cli_cosim_help},
	{"noc", "the NoC alone under synthetic traffic: latency, throughput, saturation", cli_noc, cli_noc_help},
	{"events", "make, inspect and frame DVS event streams", cli_events, cli_events_help},
	{"run", "evaluate an image on a labelled set: WAR, UAR, latency, energy", cli_run, cli_run_help},
};
#define NCOMMANDS (int)(sizeof commands / sizeof *commands)

int cli_fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "saccade %s: %s\n", cmd, msg);
	return 1;
}

void cli_path_in(char *out, size_t n, const char *dir, const char *name)
{
	if (name[0] == '/')
		snprintf(out, n, "%s", name);
	else
		snprintf(out, n, "%s/%s", dir, name);
}

int cli_to_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	errno = 0;
	long x = strtol(s, &end, 10);
	if (end == s || *end || errno || x < lo || x > hi)
		return 0;
	*v = x;
	return 1;
}

int cli_write_json(const char *cmd, const char *path, cJSON *root)
{
	char *txt = cJSON_Print(root);
	cJSON_Delete(root);
	if (!txt)
		return cli_fail(cmd, "out of memory writing JSON");
	FILE *f = path ? fopen(path, "w") : stdout;
	int rc = 0;
	if (!f || fputs(txt, f) < 0 || fputc('\n', f) < 0) {
		char m[1200];
		snprintf(m, sizeof m, "%s: cannot write: %s", path ? path : "stdout",
			 strerror(errno));
		rc = cli_fail(cmd, m);
	}
	if (f && f != stdout && fclose(f) && !rc)
		rc = cli_fail(cmd, "report: write error");
	free(txt);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: saccade <command> [options]\n"
		"       saccade help <command>\n"
		"       saccade --version\n\n"
		"Saccade compiles TTFS spiking networks for eye-based emotion recognition,\n"
		"maps them onto a mesh of PEs and simulates them cycle by cycle.\n\ncommands:\n");
	for (int i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "show the help of a command");
	fprintf(f, "\nSee saccade(1), docs/FORMATS.md and docs/ARCHITECTURE.md.\n");
}

static const cli_command *find(const char *name)
{
	for (int i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("saccade %s\n", sac_version());
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const cli_command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "saccade help: unknown command '%s'\n", argv[2]);
			return 2;
		}
		c->help(stdout);
		return 0;
	}
	const cli_command *c = find(cmd);
	if (!c) {
		fprintf(stderr, "saccade: unknown command '%s' (see 'saccade --help')\n", cmd);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			c->help(stdout);
			return 0;
		}
	return c->run(argc - 1, argv + 1);
}
