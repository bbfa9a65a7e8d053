/* cmd_zoo.c: `saccade zoo`: write a network of the model zoo (model.yaml,
 * weights.npz, calib.npy, sample.npy) into a directory, or list the zoo.
 *
 * The command only parses options and reports; the network, its weights
 * and inputs come from zoo/ (include/saccade/zoo.h).  Exit status: 0
 * written, 1 a user error (bad genome, input too small, I/O), 2 bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "saccade/dense.h"
#include "saccade/zoo.h"

enum { OPT_GENOME = 256, OPT_INPUT, OPT_SEED, OPT_CALIB_COUNT, OPT_SAMPLES,
       OPT_SMALL, OPT_RANDOM_READOUT };

static const struct option long_opts[] = {
	{"genome", required_argument, NULL, OPT_GENOME},
	{"input", required_argument, NULL, OPT_INPUT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"calib-count", required_argument, NULL, OPT_CALIB_COUNT},
	{"samples", required_argument, NULL, OPT_SAMPLES},
	{"small", no_argument, NULL, OPT_SMALL},
	{"random-readout", no_argument, NULL, OPT_RANDOM_READOUT},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "saccade zoo: %s%s%s%s (see 'saccade help zoo')\n", msg,
		arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return 2;
}

/* "4x64x64" -> c, h, w (each 1..99999); -1 if malformed. */
static int parse_shape(const char *s, int *c, int *h, int *w)
{
	int v[3];
	const char *p = s;
	for (int i = 0; i < 3; i++) {
		char *end;
		errno = 0;
		long x = strtol(p, &end, 10);
		if (end == p || errno || x < 1 || x > 99999 || *p == '-' || *p == '+')
			return -1;
		v[i] = (int)x;
		if (i < 2 && *end != 'x')
			return -1;
		if (i == 2 && *end)
			return -1;
		p = end + 1;
	}
	*c = v[0];
	*h = v[1];
	*w = v[2];
	return 0;
}

static int zoo_list(void)
{
	printf("tnas-er    TNAS-ER search space (seed 004): TTFS-convertible CNN,\n"
	       "           stem + groups of two blocks {3x3, 5x5, skip} + FC to 7 classes;\n"
	       "           --genome G picks one network, 'see' = %s (canonical)\n",
	       sac_zoo_tnas_er_canonical());
	printf("mco-e      MCO-E head (seed 000) after its ResNet-18 backbones: MJOS Mamba,\n"
	       "           MCIB, fusion, HCE-MoE (router + top-2 of 8 experts); dense\n"
	       "           integer operators, 'saccade dense-ref' runs it\n");
	return 0;
}

/* saccade zoo mco-e [--seed N] [--calib-count N] [--samples N] [--small]
 * [--random-readout] -o DIR (argv[0] == "mco-e"). */
static int zoo_mcoe(int argc, char **argv)
{
	sac_zoo_mcoe_opts o;
	sac_zoo_mcoe_opts_init(&o);
	const char *dir = NULL;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		char *end;
		long n;
		switch (ch) {
		case OPT_SEED:
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (!*optarg || *end || errno || *optarg == '-')
				return bad_usage("--seed wants a non-negative integer, got",
						 optarg);
			break;
		case OPT_CALIB_COUNT:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || n < 1 || n > 4096)
				return bad_usage("--calib-count wants 1..4096, got", optarg);
			o.ncalib = (int)n;
			break;
		case OPT_SAMPLES:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || n < 1 || n > 65536)
				return bad_usage("--samples wants 1..65536, got", optarg);
			o.nsample = (int)n;
			break;
		case OPT_SMALL:
			o.small = 1;
			break;
		case OPT_RANDOM_READOUT:
			o.random_readout = 1;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'h':
			cli_zoo_help(stdout);
			return 0;
		case ':':
			return bad_usage("option needs a value:", argv[optind - 1]);
		default:
			return bad_usage("option not valid for mco-e:", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);
	if (!dir)
		return bad_usage("missing -o DIR", NULL);
	sac_err e = {0};
	if (sac_zoo_mcoe(&o, dir, &e))
		return cli_fail("zoo", e.msg);
	sac_mcoe_dims d;
	if (o.small)
		sac_mcoe_dims_small(&d);
	else
		sac_mcoe_dims_full(&d);
	long long np = (long long)sac_zoo_mcoe_params(&o);
	printf("mco-e%s: seed %llu, inputs [2, %d, %d] (RGB, events), %s\n",
	       o.small ? " (small)" : "", (unsigned long long)o.seed, d.tokens,
	       d.d_model, o.random_readout ? "random classifiers" :
	       "classifiers fitted on 8 training inputs per class");
	printf("  wrote %s/mcoe.yaml    the head's dimensions\n", dir);
	printf("  wrote %s/weights.npz  float32, %lld parameters (%.3f M)\n", dir,
	       np, np / 1e6);
	printf("  wrote %s/calib.npy    %d calibration input%s [%d, 2, %d, %d]\n",
	       dir, o.ncalib, o.ncalib == 1 ? "" : "s", o.ncalib, d.tokens,
	       d.d_model);
	printf("  wrote %s/sample.npy   %d sample%s [%d, 2, %d, %d], class i mod 7\n",
	       dir, o.nsample, o.nsample == 1 ? "" : "s", o.nsample, d.tokens,
	       d.d_model);
	return 0;
}

int cli_zoo(int argc, char **argv)
{
	if (argc < 2)
		return bad_usage("expected a network name or 'list'", NULL);
	const char *net = argv[1];
	if (!strcmp(net, "-h") || !strcmp(net, "--help")) {
		cli_zoo_help(stdout);
		return 0;
	}
	if (!strcmp(net, "list")) {
		if (argc > 2)
			return bad_usage("'zoo list' takes no arguments, got", argv[2]);
		return zoo_list();
	}
	if (!strcmp(net, "mco-e"))
		return zoo_mcoe(argc - 1, argv + 1);
	if (strcmp(net, "tnas-er"))
		return bad_usage("unknown network (see 'saccade zoo list'):", net);

	sac_zoo_opts o;
	sac_zoo_opts_init(&o);
	const char *dir = NULL, *genome = NULL;
	optind = 1;
	opterr = 0;
	int ch;
	/* getopt starts at argv[1] = "tnas-er": skip the network name. */
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case OPT_GENOME:
			genome = optarg;
			break;
		case OPT_INPUT:
			if (parse_shape(optarg, &o.c, &o.h, &o.w))
				return bad_usage("--input wants CxHxW, e.g. 4x64x64, got",
						 optarg);
			break;
		case OPT_SEED:
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (!*optarg || *end || errno || *optarg == '-')
				return bad_usage("--seed wants a non-negative integer, got",
						 optarg);
			break;
		case OPT_CALIB_COUNT: {
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || n < 1 || n > 4096)
				return bad_usage("--calib-count wants 1..4096, got", optarg);
			o.ncalib = (int)n;
			break;
		}
		case 'o':
			dir = optarg;
			break;
		case 'h':
			cli_zoo_help(stdout);
			return 0;
		case ':':
			return bad_usage("option needs a value:", argv[optind - 1]);
		default:
			return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);
	if (!genome)
		return bad_usage("missing --genome G (e.g. --genome see)", NULL);
	if (!dir)
		return bad_usage("missing -o DIR", NULL);
	o.genome = genome;

	sac_zoo_info info;
	sac_err e = {0};
	if (sac_zoo_tnas_er(&o, dir, &info, &e))
		return cli_fail("zoo", e.msg);
	printf("%s: genome %s, %d group%s, input [%d, %d, %d], seed %llu\n",
	       info.name, info.genome, info.groups, info.groups == 1 ? "" : "s",
	       o.c, o.h, o.w, (unsigned long long)o.seed);
	printf("  wrote %s/model.yaml   %d nodes, head input [%d, %d, %d]\n", dir,
	       info.nodes, info.out_c, info.out_h, info.out_w);
	printf("  wrote %s/weights.npz  float32, %lld parameters (%.3f M; "
	       "+ %lld batch-norm values that fold away)\n", dir,
	       (long long)info.params, info.params / 1e6,
	       (long long)info.bn_params);
	printf("  wrote %s/calib.npy    %d calibration input%s [%d, %d, %d, %d]\n",
	       dir, info.ncalib, info.ncalib == 1 ? "" : "s", info.ncalib, o.c,
	       o.h, o.w);
	printf("  wrote %s/sample.npy   %d samples [%d, %d, %d, %d], one per class\n",
	       dir, info.nsample, info.nsample, o.c, o.h, o.w);
	return 0;
}

void cli_zoo_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade zoo - write a network of the model zoo\n"
"\n"
"SYNOPSIS\n"
"    saccade zoo tnas-er --genome G [--input CxHxW] [--seed N]\n"
"                        [--calib-count N] -o DIR\n"
"    saccade zoo mco-e [--seed N] [--calib-count N] [--samples N] [--small]\n"
"                      [--random-readout]\n"
"                      -o DIR\n"
"    saccade zoo list\n"
"\n"
"DESCRIPTION\n"
"    Writes one network of the TNAS-ER search space (seed 004) with\n"
"    deterministic synthetic weights into DIR (created if needed):\n"
"\n"
"      model.yaml   the graph (docs/FORMATS.md), naming calib.npy as its\n"
"                   calibration set\n"
"      weights.npz  float32 weights; batch norm is not identity, so that\n"
"                   folding is exercised\n"
"      calib.npy    float32 [N, C, H, W]: inputs framed from synthetic eye\n"
"                   event streams cycling the 7 classes and 4 lightings\n"
"      sample.npy   float32 [7, C, H, W]: one input per class, normal light\n"
"\n"
"    It prints the files and the parameter count (conv and linear weights\n"
"    and biases; the batch-norm values fold into them and are not counted).\n"
"    'saccade zoo list' lists the networks of the zoo.\n"
"\n"
"GENOME\n"
"    Groups separated by '-', each group exactly two blocks:\n"
"\n"
"      3   conv 3x3 block: conv+bn+relu, conv+bn+relu (padding 1)\n"
"      5   conv 5x5 block: the same with 5x5 kernels (padding 2)\n"
"      s   skip block: one identity node\n"
"\n"
"    Any number of groups from 1 to %d; '3s3533' (no dashes) reads the\n"
"    blocks in pairs and means '3s-35-33'.  'see' is the canonical\n"
"    network, genome %s: 1,035,271 parameters at 4x64x64, the paper\n"
"    reports 1.04 M.\n"
"\n"
"NETWORK\n"
"    stem      conv C->32 3x3 + bn + relu, conv 32->32 3x3 + bn + relu\n"
"    group g   (g = 0, 1, ...) width 32 * 2^g; the first conv of a conv\n"
"              block maps the current width to it\n"
"    pool g    maxpool 2x2 stride 2 in front of every group g > 0\n"
"    head      flatten, linear to 7 classes, output 'logits'\n"
"\n"
"    A skip block keeps the current width: a group of two skips does not\n"
"    widen the network (in 'ss-ss-ss' every layer has 32 channels), and a\n"
"    conv block after skips widens from whatever width came in.  H and W\n"
"    must be multiples of 2^(groups-1) so that every pool halves exactly.\n"
"    Node names: stem.0.conv, stem.0.bn, stem.0.relu, g1.b0.conv0,\n"
"    g1.b0.bn0, g1.b0.relu0, g1.b0.conv1, ..., g1.b1.skip, pool1,\n"
"    head.flatten, head.fc, logits; a member is <node>.weight, .bias,\n"
"    .gamma, .beta, .mean or .var.\n"
"\n"
"WEIGHTS AND INPUTS\n"
"    Each member is a function of --seed and its name (splitmix64 and\n"
"    Box-Muller, no C library randomness):\n"
"    He-normal conv and linear weights (std sqrt(2 / fan_in)), biases in\n"
"    [-0.02, 0.05], batch norm gamma in [0.6, 1.4], beta in [-0.05, 0.15],\n"
"    mean in [-0.1, 0.1], var in [0.5, 1.5].  Inputs are synthetic\n"
"    DAVIS346 eye-event streams (as 'saccade events synth') framed like\n"
"    'saccade events frames --frames C --skip 3' at the input size; calibration\n"
"    input i has class i mod 7 and lighting i mod 4, so 16 of them cover\n"
"    every class and lighting; the samples use other seeds.\n"
"\n"
"OPTIONS\n"
"    --genome G         the network (required); 'see' for the canonical one\n"
"    --input CxHxW      input shape, default 4x64x64 (C = event frames)\n"
"    --seed N           seed of weights and inputs, default 1\n"
"    --calib-count N    calibration inputs, 1..4096, default 16\n"
"    -o, --output DIR   output directory\n"
"\n"
"MCO-E\n"
"    'saccade zoo mco-e' writes the MCO-E head (seed 000, after its four\n"
"    ResNet-18 backbones) with the authors' dimensions and synthetic\n"
"    weights into DIR:\n"
"\n"
"      mcoe.yaml    the head's dimensions (docs/FORMATS.md \"MCO-E models\")\n"
"      weights.npz  float32 weights, 86.7 M parameters (the two deep\n"
"                   experts hold 84 M), 321 MB\n"
"      calib.npy    float32 [N, 2, 500, 4]: synthetic backbone features,\n"
"                   modality 0 RGB, 1 events, input i of class i mod 7\n"
"      sample.npy   the same from another stream, --samples of them\n"
"\n"
"    --samples N (default 7) and --calib-count N (default 16) set the\n"
"    number of inputs; --small writes the reduced head of the unit tests\n"
"    (24 tokens, fusion 64, 2 deep blocks: every operator, a few thousand\n"
"    parameters).  The weights are random except each expert's classifier\n"
"    (its last linear), fitted by ridge regression to the classes of 8\n"
"    training inputs per class (a third stream, disjoint from the other\n"
"    two), so that the head has a trained readout's class margins;\n"
"    --random-readout leaves the classifiers random too.  'saccade\n"
"    dense-ref DIR' runs its float and integer references; docs/MCOE.md\n"
"    describes the weights, the operators and the integer arithmetic.\n"
"\n"
"EXAMPLES\n"
"    saccade zoo tnas-er --genome see -o see\n"
"    saccade info see/model.yaml\n"
"    saccade ref see/model.yaml --weights see/weights.npz \\\n"
"        --input see/sample.npy --mode all\n"
"    saccade zoo tnas-er --genome 55-55-55 --input 4x32x32 --seed 7 -o m5\n"
"    saccade zoo tnas-er --genome 3s-5s --calib-count 64 -o small\n"
"    saccade zoo mco-e -o mcoe && saccade dense-ref mcoe\n"
"\n"
"EXIT STATUS\n"
"    0 written, 1 bad genome or input shape or I/O error, 2 bad usage.\n",
		SAC_ZOO_MAX_GROUPS, sac_zoo_tnas_er_canonical());
}
