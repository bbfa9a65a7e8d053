/* cmd_info.c: `saccade info`: a model's layers, shapes, parameters and
 * dense MACs, read from the graph as loaded (before any pass). */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "saccade/ir.h"

static const struct option long_opts[] = {
	{"weights", required_argument, NULL, 'w'},
	{NULL, 0, NULL, 0},
};

int cli_info(int argc, char **argv)
{
	const char *weights = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":w:", long_opts, NULL)) != -1) {
		if (c == 'w') {
			weights = optarg;
		} else {
			fprintf(stderr, "saccade info: %s '%s' (see 'saccade help info')\n",
				c == ':' ? "option needs a value:" : "unknown option",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "saccade info: expected one MODEL.yaml (see 'saccade help info')\n");
		return 2;
	}
	const char *model = argv[optind];
	/* Default to weights.npz beside the model, as the zoo writes it. */
	char guess[4096];
	if (!weights) {
		const char *s = strrchr(model, '/');
		snprintf(guess, sizeof guess, "%.*sweights.npz",
			 s ? (int)(s - model + 1) : 0, model);
		if (access(guess, R_OK) == 0)
			weights = guess;
	}
	sac_graph *g = NULL;
	sac_err e = {0};
	if (sac_model_load(model, weights, &g, &e))
		return cli_fail("info", e.msg);
	static const char *const stage[] = {"float", "folded", "quant",
					    "ttfs (integer)"};
	printf("model %s (%s)\n  %s\n  input [%d, %d, %d], %d nodes\n\n",
	       g->name, stage[g->stage], model, g->node[0].c, g->node[0].h,
	       g->node[0].w, g->n);
	printf("  %-22s %-15s %-17s %11s %14s\n", "node", "op", "output",
	       "params", "MACs");
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		char shape[64], op[40];
		snprintf(shape, sizeof shape, "[%d, %d, %d]", nd->c, nd->h, nd->w);
		if (nd->op == SAC_OP_CONV2D)
			snprintf(op, sizeof op, "conv2d %dx%d%s", nd->kh, nd->kw,
				 nd->relu ? "+relu" : "");
		else if (nd->op == SAC_OP_MAXPOOL)
			snprintf(op, sizeof op, "maxpool %dx%d", nd->kh, nd->kw);
		else
			snprintf(op, sizeof op, "%s%s", sac_op_name(nd->op),
				 nd->relu ? "+relu" : "");
		printf("  %-22s %-15s %-17s %11lld %14lld\n", nd->name, op, shape,
		       (long long)sac_node_params(nd), (long long)sac_node_macs(nd));
	}
	long long p = (long long)sac_graph_params(g), m = (long long)sac_graph_macs(g);
	printf("\n  parameters %lld (%.3f M)\n  dense MACs %lld (%.3f G, %.3f G operations)\n",
	       p, p / 1e6, m, m / 1e9, 2 * m / 1e9);
	sac_graph_free(g);
	return 0;
}

void cli_info_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade info - print a model's layers, shapes, parameters and MACs\n\n"
"SYNOPSIS\n"
"    saccade info MODEL.yaml [--weights W.npz]\n\n"
"DESCRIPTION\n"
"    Loads the model (checking it fully, weights included), then prints one\n"
"    line per node with its output shape [C, H, W], its parameters\n"
"    (weights, biases and batch-norm statistics) and its dense\n"
"    multiply-accumulates, then the totals.  Dense MACs count every\n"
"    synapse once per image, as an ANN would; the spiking network does\n"
"    work only for the spikes that occur.  Without --weights, weights.npz\n"
"    beside the model is used if present.\n\n"
"EXIT STATUS\n"
"    0 success, 1 error in the model or weights, 2 bad usage.\n\n"
"EXAMPLE\n"
"    saccade info see/model.yaml\n");
}
