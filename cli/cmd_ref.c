/* cmd_ref.c: `saccade ref` (run the reference executors) and
 * `saccade quantize` (write the integer TTFS model), which share the
 * compile options.
 *
 * Float runs use the model as loaded (the network as trained); int and
 * ttfs runs compile it first (fold-bn, canonicalize, quantize, ttfs), or
 * take an integer model as it is.  --mode all runs the three and reports
 * the float/int agreement (argmax, logit cosine similarity) and the
 * int/ttfs bit-exactness (logits and every spike). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>

#include "cli/cli.h"
#include "saccade/events.h"
#include "saccade/ir.h"
#include "saccade/npy.h"
#include "saccade/ref.h"
#include "saccade/sim.h"
#include "saccade/target.h"

typedef struct ref_args {
	const char *model, *weights, *input, *out_dir, *target;
	int uarch; /* -1: the target's */
	int no_optimise;
	int mode; /* -1 all */
	int json;
	long index;
	int wbits, abits; /* compile of an MCO-E directory: 8 or 16 */
	sac_compile_opts co;
} ref_args;

enum { OPT_STEPS = 256, OPT_GAMMA, OPT_QUANT, OPT_CALIB, OPT_DUMP, OPT_JSON,
       OPT_INDEX, OPT_TARGET, OPT_UARCH, OPT_NOOPT, OPT_WBITS, OPT_ABITS };

static const struct option long_opts[] = {
	{"weights", required_argument, NULL, 'w'},
	{"input", required_argument, NULL, 'i'},
	{"mode", required_argument, NULL, 'm'},
	{"output", required_argument, NULL, 'o'},
	{"steps", required_argument, NULL, OPT_STEPS},
	{"gamma", required_argument, NULL, OPT_GAMMA},
	{"quant", required_argument, NULL, OPT_QUANT},
	{"calib", required_argument, NULL, OPT_CALIB},
	{"dump", required_argument, NULL, OPT_DUMP},
	{"json", no_argument, NULL, OPT_JSON},
	{"index", required_argument, NULL, OPT_INDEX},
	{"target", required_argument, NULL, OPT_TARGET},
	{"uarch", required_argument, NULL, OPT_UARCH},
	{"no-optimise", no_argument, NULL, OPT_NOOPT},
	{"weight-bits", required_argument, NULL, OPT_WBITS},
	{"act-bits", required_argument, NULL, OPT_ABITS},
	{NULL, 0, NULL, 0},
};

static int bad_usage(const char *cmd, const char *msg)
{
	fprintf(stderr, "saccade %s: %s (see 'saccade help %s')\n", cmd, msg, cmd);
	return 2;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(const char *cmd, int argc, char **argv, ref_args *a)
{
	memset(a, 0, sizeof *a);
	a->mode = -2;
	a->index = -1;
	a->wbits = a->abits = 8;
	a->uarch = -1;
	sac_compile_opts_init(&a->co);
	optind = 1;
	opterr = 0;
	int c;
	long v;
	char msg[300];
	while ((c = getopt_long(argc, argv, ":w:i:m:o:", long_opts, NULL)) != -1) {
		switch (c) {
		case 'w': a->weights = optarg; break;
		case 'i': a->input = optarg; break;
		case 'o': a->out_dir = optarg; break;
		case 'm':
			if (!strcmp(optarg, "float")) a->mode = SAC_REF_FLOAT;
			else if (!strcmp(optarg, "int")) a->mode = SAC_REF_INT;
			else if (!strcmp(optarg, "ttfs")) a->mode = SAC_REF_TTFS;
			else if (!strcmp(optarg, "all")) a->mode = -1;
			else return bad_usage(cmd, "--mode must be float, int, ttfs or all");
			break;
		case OPT_STEPS:
			if (parse_long(optarg, 1, 4096, &v))
				return bad_usage(cmd, "--steps must be an integer in [1, 4096]");
			a->co.steps = (int)v;
			break;
		case OPT_GAMMA: {
			char *end;
			a->co.gamma = strtod(optarg, &end);
			if (!*optarg || *end || !(a->co.gamma >= 0 && a->co.gamma <= 16))
				return bad_usage(cmd, "--gamma must be a number in [0, 16]");
			break;
		}
		case OPT_QUANT:
			if (!strcmp(optarg, "channel")) a->co.per_layer = 0;
			else if (!strcmp(optarg, "layer")) a->co.per_layer = 1;
			else return bad_usage(cmd, "--quant must be channel or layer");
			break;
		case OPT_CALIB: a->co.calib = optarg; break;
		case OPT_DUMP:
			if (!sac_pass_known(optarg))
				return bad_usage(cmd, "--dump must name a pass: load, fold-bn, canonicalize, quantize, ttfs or all");
			a->co.dump = optarg;
			break;
		case OPT_JSON: a->json = 1; break;
		case OPT_INDEX:
			if (parse_long(optarg, 0, 1L << 30, &v))
				return bad_usage(cmd, "--index must be a non-negative integer");
			a->index = v;
			break;
		case OPT_TARGET: a->target = optarg; break;
		case OPT_WBITS:
		case OPT_ABITS:
			if (strcmp(optarg, "8") && strcmp(optarg, "16"))
				return bad_usage(cmd, "--weight-bits and --act-bits must be 8 or 16");
			*(c == OPT_WBITS ? &a->wbits : &a->abits) = atoi(optarg);
			break;
		case OPT_UARCH:
			if (!strcmp(optarg, "ramp")) a->uarch = SAC_UARCH_RAMP;
			else if (!strcmp(optarg, "event")) a->uarch = SAC_UARCH_EVENT;
			else return bad_usage(cmd, "--uarch must be ramp or event");
			break;
		case OPT_NOOPT: a->no_optimise = 1; break;
		case ':':
			snprintf(msg, sizeof msg, "option '%s' needs a value", argv[optind - 1]);
			return bad_usage(cmd, msg);
		default:
			snprintf(msg, sizeof msg, "unknown option '%s'", argv[optind - 1]);
			return bad_usage(cmd, msg);
		}
	}
	if (optind >= argc)
		return bad_usage(cmd, "missing MODEL.yaml");
	a->model = argv[optind++];
	if (optind < argc) {
		snprintf(msg, sizeof msg, "unexpected argument '%s'", argv[optind]);
		return bad_usage(cmd, msg);
	}
	return 0;
}

/* 1 if path starts with the image magic. */
static int is_image(const char *path)
{
	char buf[8];
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, 8, f);
	fclose(f);
	return n == 8 && memcmp(buf, "SACCADE\x1a", 8) == 0;
}

/* Load a model, or the integer graph of an image. */
static int load(const char *cmd, const ref_args *a, sac_graph **g)
{
	sac_err e = {0};
	if (is_image(a->model)) {
		sac_program p;
		if (sac_program_load(a->model, &p, &e))
			return cli_fail(cmd, e.msg);
		*g = p.g;
		p.g = NULL;
		sac_program_free(&p);
		return 0;
	}
	if (sac_model_load(a->model, a->weights, g, &e))
		return cli_fail(cmd, e.msg);
	return 0;
}

static int compile(const char *cmd, ref_args *a, sac_graph *g)
{
	sac_err e = {0};
	if (a->json && !a->co.dump_out)
		a->co.dump_out = stderr;
	if (sac_compile(g, &a->co, &e))
		return cli_fail(cmd, e.msg);
	return 0;
}

static void print_logits_json(const double *l, int n)
{
	printf("[");
	for (int k = 0; k < n; k++)
		printf("%s%.9g", k ? ", " : "", l[k]);
	printf("]");
}

static const char *class_name(int c, int n)
{
	return n == SAC_NUM_CLASSES ? sac_class_name(c) : "";
}

static void print_result(const ref_args *a, const sac_ref_out *o, long idx,
			 int first)
{
	if (a->json) {
		printf("%s\n    {\"index\": %ld, \"class\": %d, \"class_name\": \"%s\", \"logits\": ",
		       first ? "" : ",", idx, o->cls, class_name(o->cls, o->nlogits));
		print_logits_json(o->logits, o->nlogits);
		if (o->ilogits) {
			printf(", \"int_logits\": [");
			for (int k = 0; k < o->nlogits; k++)
				printf("%s%lld", k ? ", " : "", (long long)o->ilogits[k]);
			printf("], \"spikes\": %lld, \"steps\": %lld",
			       (long long)o->nspikes, (long long)o->steps);
		}
		printf("}");
		return;
	}
	printf("sample %ld: class %d (%s)\n  logits:", idx, o->cls,
	       class_name(o->cls, o->nlogits));
	for (int k = 0; k < o->nlogits; k++)
		printf(" %.5g", o->logits[k]);
	printf("\n");
	if (o->ilogits) {
		printf("  int logits:");
		for (int k = 0; k < o->nlogits; k++)
			printf(" %lld", (long long)o->ilogits[k]);
		printf("\n  spikes: %lld in %lld steps\n", (long long)o->nspikes,
		       (long long)o->steps);
	}
}

static int read_input(const char *cmd, const ref_args *a, sac_tensor *x,
		      long *first, long *last)
{
	sac_err e = {0};
	if (sac_npy_read(a->input, x, &e))
		return cli_fail(cmd, e.msg);
	if (x->dtype == SAC_F64) {
		sac_tensor f = {0};
		if (sac_tensor_alloc(&f, SAC_F32, x->ndim, x->shape, &e))
			return cli_fail(cmd, e.msg);
		for (size_t k = 0; k < x->count; k++)
			((float *)f.data)[k] = (float)((double *)x->data)[k];
		sac_tensor_free(x);
		*x = f;
	}
	long n = x->ndim == 4 ? (long)x->shape[0] : 1;
	*first = a->index >= 0 ? a->index : 0;
	*last = a->index >= 0 ? a->index + 1 : n;
	if (*last <= *first) {
		char m[1200];
		snprintf(m, sizeof m, "%s: holds no images", a->input);
		return cli_fail(cmd, m);
	}
	return 0;
}

static int input_at(const char *cmd, const ref_args *a, const sac_graph *g,
		    const sac_tensor *x, long i, const float **p)
{
	sac_err e = {0};
	if (sac_ref_input(g, x, i, p, &e)) {
		char m[sizeof e.msg + 1100];
		snprintf(m, sizeof m, "%s: %s", a->input, e.msg);
		return cli_fail(cmd, m);
	}
	return 0;
}

static int run_single(ref_args *a)
{
	sac_graph *g = NULL;
	sac_tensor x = {0};
	long first, last;
	int rc = load("ref", a, &g);
	if (!rc && a->mode != SAC_REF_FLOAT)
		rc = compile("ref", a, g);
	if (!rc)
		rc = read_input("ref", a, &x, &first, &last);
	static const char *const mode_name[] = {"float", "int", "ttfs"};
	if (!rc && a->json)
		printf("{\"model\": \"%s\", \"mode\": \"%s\", \"samples\": [",
		       g->name, mode_name[a->mode]);
	else if (!rc)
		printf("model %s, mode %s\n", g->name, mode_name[a->mode]);
	for (long i = first; !rc && i < last; i++) {
		const float *p;
		sac_ref_out o;
		sac_err e = {0};
		rc = input_at("ref", a, g, &x, i, &p);
		if (rc)
			break;
		if (sac_ref_run(g, (sac_ref_mode)a->mode, p, &o, &e)) {
			rc = cli_fail("ref", e.msg);
			break;
		}
		print_result(a, &o, i, i == first);
		sac_ref_out_free(&o);
	}
	if (!rc && a->json)
		printf("\n  ]}\n");
	sac_tensor_free(&x);
	sac_graph_free(g);
	return rc;
}

/* Float on the model as loaded, then int and ttfs on the compiled one. */
static int run_all(ref_args *a)
{
	sac_graph *g = NULL;
	sac_tensor x = {0};
	long first, last;
	int rc = load("ref", a, &g);
	if (!rc)
		rc = read_input("ref", a, &x, &first, &last);
	long n = rc ? 0 : last - first;
	sac_ref_out *fo = calloc((size_t)(n > 0 ? n : 1), sizeof *fo);
	if (!rc && !fo)
		rc = cli_fail("ref", "out of memory");
	for (long i = first; !rc && i < last; i++) {
		const float *p;
		sac_err e = {0};
		rc = input_at("ref", a, g, &x, i, &p);
		if (!rc && sac_ref_float(g, p, 0, &fo[i - first], &e))
			rc = cli_fail("ref", e.msg);
	}
	if (!rc)
		rc = compile("ref", a, g);
	long agree = 0, exact = 0;
	double cos_sum = 0, cos_min = 1;
	if (!rc && a->json)
		printf("{\"model\": \"%s\", \"mode\": \"all\", \"steps\": %d, \"gamma\": %g, \"quant\": \"%s\", \"samples\": [",
		       g->name, a->co.steps, a->co.gamma, a->co.per_layer ? "layer" : "channel");
	else if (!rc)
		printf("model %s: steps per window %d, gamma %g, %s weight scales\n"
		       "%-7s %-12s %-12s %-12s %-9s %-8s %s\n", g->name,
		       a->co.steps, a->co.gamma,
		       a->co.per_layer ? "per-layer" : "per-channel", "sample",
		       "float", "int", "ttfs", "cosine", "spikes", "int == ttfs");
	for (long i = first; !rc && i < last; i++) {
		const float *p;
		sac_ref_out io, to;
		sac_err e = {0};
		rc = input_at("ref", a, g, &x, i, &p);
		if (rc)
			break;
		if (sac_ref_int(g, p, &io, &e)) {
			rc = cli_fail("ref", e.msg);
			break;
		}
		if (sac_ref_ttfs(g, p, &to, &e)) {
			sac_ref_out_free(&io);
			rc = cli_fail("ref", e.msg);
			break;
		}
		char diff[512] = "";
		int same = sac_ref_compare(g, &io, &to, diff, sizeof diff) == 0;
		const sac_ref_out *f = &fo[i - first];
		double cs = sac_ref_cosine(f->logits, io.logits, io.nlogits);
		agree += f->cls == io.cls;
		exact += same;
		cos_sum += cs;
		if (cs < cos_min)
			cos_min = cs;
		if (a->json) {
			printf("%s\n    {\"index\": %ld, \"float_class\": %d, \"int_class\": %d, \"ttfs_class\": %d, \"class_name\": \"%s\", \"cosine\": %.9f, \"int_equals_ttfs\": %s, \"spikes\": %lld, \"steps\": %lld, \"float_logits\": ",
			       i == first ? "" : ",", i, f->cls, io.cls, to.cls,
			       class_name(io.cls, io.nlogits), cs,
			       same ? "true" : "false", (long long)io.nspikes,
			       (long long)io.steps);
			print_logits_json(f->logits, f->nlogits);
			printf(", \"logits\": ");
			print_logits_json(io.logits, io.nlogits);
			printf(", \"int_logits\": [");
			for (int k = 0; k < io.nlogits; k++)
				printf("%s%lld", k ? ", " : "", (long long)io.ilogits[k]);
			printf("]}");
		} else {
			char fc[32], ic[32], tc[32];
			snprintf(fc, sizeof fc, "%d %s", f->cls, sac_class_short(f->cls));
			snprintf(ic, sizeof ic, "%d %s", io.cls, sac_class_short(io.cls));
			snprintf(tc, sizeof tc, "%d %s", to.cls, sac_class_short(to.cls));
			printf("%-7ld %-12s %-12s %-12s %-9.6f %-8lld %s%s%s\n", i,
			       fc, ic, tc, cs, (long long)io.nspikes,
			       same ? "yes (logits and every spike)" : "NO: ",
			       same ? "" : diff, "");
		}
		sac_ref_out_free(&io);
		sac_ref_out_free(&to);
	}
	if (!rc) {
		if (a->json)
			printf("\n  ],\n  \"summary\": {\"samples\": %ld, \"argmax_agreement\": %.6f, \"mean_cosine\": %.9f, \"min_cosine\": %.9f, \"int_equals_ttfs\": %ld}}\n",
			       n, (double)agree / n, cos_sum / n, cos_min, exact);
		else
			printf("\nfloat vs int: argmax agreement %ld/%ld (%.1f%%), logit cosine mean %.6f, min %.6f\n"
			       "int vs ttfs: %ld/%ld bit-identical (logits and every spike)\n",
			       agree, n, 100.0 * agree / n, cos_sum / n, cos_min,
			       exact, n);
		if (exact != n)
			rc = cli_fail("ref", "ref-int and ref-ttfs disagree: this is a bug, please report it");
	}
	for (long i = 0; i < n; i++)
		sac_ref_out_free(&fo[i]);
	free(fo);
	sac_tensor_free(&x);
	sac_graph_free(g);
	return rc;
}

int cli_ref(int argc, char **argv)
{
	ref_args a;
	int rc = parse_args("ref", argc, argv, &a);
	if (rc)
		return rc;
	if (!a.input)
		return bad_usage("ref", "missing --input X.npy");
	if (a.target || a.uarch >= 0 || a.no_optimise || a.out_dir)
		return bad_usage("ref", "--target, --uarch, --no-optimise and -o belong to 'saccade compile'");
	if (a.mode == -2)
		a.mode = -1;
	return a.mode == -1 ? run_all(&a) : run_single(&a);
}

void cli_ref_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade ref - run the reference executors on inputs\n\n"
"SYNOPSIS\n"
"    saccade ref MODEL.yaml [--weights W.npz] --input X.npy\n"
"                [--mode float|int|ttfs|all] [--index N] [--json]\n"
"                [--steps S] [--gamma G] [--quant channel|layer]\n"
"                [--calib C.npy] [--dump=PASS]\n\n"
"DESCRIPTION\n"
"    Runs the network on each image of X.npy ([C,H,W] or [N,C,H,W],\n"
"    float32 in [0, 1]) and prints the logits and the class.\n\n"
"    float  the float ReLU network as loaded (batch norm unfolded).\n"
"    int    the integer TTFS equation x = clamp(floor((W x + b) / r), 0, S)\n"
"           after compiling (fold-bn, canonicalize, quantize, ttfs).\n"
"    ttfs   the same integers at event level: spikes, windows, phases.\n"
"    all    (default) the three side by side: per image the classes, the\n"
"           cosine similarity of float and dequantised int logits, the\n"
"           spike count and whether int and ttfs agree bit for bit on the\n"
"           logits and every (neuron, step) spike; then the summary.  A\n"
"           disagreement of int and ttfs is a bug and exits with status 1.\n\n"
"    MODEL.yaml may be a float model (with its calibration inputs) or an\n"
"    integer model written by 'saccade quantize' (float mode then fails).\n\n"
"OPTIONS\n"
"    -w, --weights W.npz   the weights (docs/FORMATS.md)\n"
"    -i, --input X.npy     the input image(s)\n"
"    -m, --mode MODE       float, int, ttfs or all (default all)\n"
"    --index N             only image N of a batch\n"
"    --json                machine-readable output on stdout\n"
"    --steps S             time steps per window, 1..4096 (default 16)\n"
"    --gamma G             window scaling: window = (1 + G) x max activation\n"
"                          on the calibration data (default 0.5)\n"
"    --quant channel|layer weight scale per output channel (default) or layer\n"
"    --calib C.npy         calibration inputs (default: the model's own)\n"
"    --dump=PASS           print the IR after PASS: load, fold-bn,\n"
"                          canonicalize, quantize, ttfs, or all (to stderr\n"
"                          with --json)\n\n"
"EXIT STATUS\n"
"    0 success, 1 error (bad model, weights or input), 2 bad usage.\n\n"
"EXAMPLES\n"
"    saccade zoo tnas-er --genome see -o see\n"
"    saccade ref see/model.yaml --weights see/weights.npz --input see/sample.npy\n"
"    saccade ref see/model.yaml -w see/weights.npz -i see/sample.npy --mode int --json\n");
}

/* `saccade quantize`: compile and write the integer model. */
int cli_quantize(int argc, char **argv)
{
	ref_args a;
	int rc = parse_args("quantize", argc, argv, &a);
	if (rc)
		return rc;
	if (!a.out_dir)
		return bad_usage("quantize", "missing -o DIR");
	sac_graph *g = NULL;
	rc = load("quantize", &a, &g);
	if (!rc)
		rc = compile("quantize", &a, g);
	if (!rc && mkdir(a.out_dir, 0777) && errno != EEXIST) {
		char m[1200];
		snprintf(m, sizeof m, "%s: cannot create directory: %s", a.out_dir,
			 strerror(errno));
		rc = cli_fail("quantize", m);
	}
	if (!rc) {
		char y[4096], w[4096];
		sac_err e = {0};
		snprintf(y, sizeof y, "%s/model.yaml", a.out_dir);
		snprintf(w, sizeof w, "%s/weights.npz", a.out_dir);
		if (sac_model_save(g, y, w, &e))
			rc = cli_fail("quantize", e.msg);
		else
			printf("wrote %s and %s: %d nodes, %lld parameters, S=%d, gamma %g, %s weight scales\n",
			       y, w, g->n, (long long)sac_graph_params(g),
			       a.co.steps, a.co.gamma,
			       a.co.per_layer ? "per-layer" : "per-channel");
	}
	sac_graph_free(g);
	return rc;
}

void cli_quantize_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade quantize - convert a float model to an integer TTFS model\n\n"
"SYNOPSIS\n"
"    saccade quantize MODEL.yaml --weights W.npz -o DIR [--steps S]\n"
"                     [--gamma G] [--quant channel|layer] [--calib C.npy]\n"
"                     [--dump=PASS]\n\n"
"DESCRIPTION\n"
"    Runs the compiler passes (fold-bn, canonicalize, quantize, ttfs) and\n"
"    writes DIR/model.yaml (quantized: ttfs) and DIR/weights.npz (int8\n"
"    weights, int32 biases and ramps, float32 weight scales): the integer\n"
"    network the hardware runs, readable by any tool (docs/FORMATS.md).\n"
"    Options as for 'saccade ref'.\n\n"
"EXIT STATUS\n"
"    0 success, 1 error, 2 bad usage.\n\n"
"EXAMPLE\n"
"    saccade quantize see/model.yaml --weights see/weights.npz -o see-int\n"
"    saccade ref see-int/model.yaml --weights see-int/weights.npz \\\n"
"        --input see/sample.npy --mode int\n");
}

/* `saccade compile`: passes, mapper, image. */
int cli_compile(int argc, char **argv)
{
	ref_args a;
	int rc = parse_args("compile", argc, argv, &a);
	if (rc)
		return rc;
	if (!a.out_dir)
		return bad_usage("compile", "missing -o NET.sac");
	if (a.input || a.json || a.mode != -2 || a.index >= 0)
		return bad_usage("compile", "--input, --json, --mode and --index belong to 'saccade ref' and 'saccade sim'");
	sac_target t;
	sac_err e = {0};
	if (a.target) {
		if (sac_target_load(a.target, &t, &e))
			return cli_fail("compile", e.msg);
	} else {
		sac_target_default(&t);
	}
	if (a.uarch >= 0)
		t.uarch = (sac_uarch)a.uarch;
	/* An MCO-E directory (saccade zoo mco-e): the dense path. */
	if (cli_dense_is_model(a.model))
		return cli_dense_compile(a.model, &t, a.co.calib, a.co.per_layer,
					 a.wbits == 16, a.abits == 16, a.out_dir);
	if (a.wbits == 16 || a.abits == 16)
		return bad_usage("compile", "--weight-bits and --act-bits are for MCO-E directories");
	sac_graph *g = NULL;
	rc = load("compile", &a, &g);
	if (!rc)
		rc = compile("compile", &a, g);
	if (rc) {
		sac_graph_free(g);
		return rc;
	}
	sac_map_opts mo;
	sac_map_opts_init(&mo);
	mo.optimise = !a.no_optimise;
	sac_program p;
	if (sac_program_build(g, &t, &mo, &p, &e)) {
		sac_graph_free(g);
		return cli_fail("compile", e.msg);
	}
	if (sac_program_save(&p, a.out_dir, &e))
		rc = cli_fail("compile", e.msg);
	else
		printf("wrote %s: model %s, target %s (%dx%d mesh, %s), %d of %d PEs, %d routes;\n"
		       "  hop-weighted traffic %lld (baseline placement %lld)\n",
		       a.out_dir, p.g->name, t.name, t.mesh_w, t.mesh_h,
		       sac_uarch_name(t.uarch), p.m->nregions, p.m->npe,
		       p.m->nroutes, (long long)p.m->cost,
		       (long long)p.m->cost_baseline);
	sac_program_free(&p);
	return rc;
}

void cli_compile_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade compile - compile a model into a loadable image for a target\n\n"
"SYNOPSIS\n"
"    saccade compile MODEL.yaml [--weights W.npz] [--target T.yaml]\n"
"    saccade compile MCOE_DIR [--target T.yaml] [--calib C.npy] [--quant Q]\n"
"                    [--weight-bits 8|16] [--act-bits 8|16] -o NET.sac\n"
"                    [--uarch ramp|event] [--steps S] [--gamma G]\n"
"                    [--quant channel|layer] [--calib C.npy] [--dump=PASS]\n"
"                    [--no-optimise] -o NET.sac\n\n"
"DESCRIPTION\n"
"    Runs the compiler passes (fold-bn, canonicalize, quantize, ttfs), maps\n"
"    the integer network onto the target's mesh (partition into regions,\n"
"    routes, placement) and writes the versioned image NET.sac\n"
"    (docs/FORMATS.md).  MODEL.yaml may also be an integer model written by\n"
"    'saccade quantize'.  Capacity errors name the layer, the limit and what\n"
"    the layer needs.\n\n"
"    With a directory written by 'saccade zoo mco-e' (or its mcoe.yaml), it\n"
"    calibrates the MCO-E head on its calibration inputs as 'saccade\n"
"    dense-ref' does, quantises it, lowers it onto the target's dense units\n"
"    (docs/ISA.md) and writes a dense image for 'saccade sim'.\n"
"    --weight-bits 16 and --act-bits 16 select the int16 modes of the whole\n"
"    head, as for 'saccade dense-ref' (docs/MCOE.md \"Modes\").\n\n"
"OPTIONS\n"
"    --target T.yaml   the hardware (default: the built-in default target,\n"
"                      examples/targets/yoso.yaml)\n"
"    --uarch U         override the target's micro-architecture: ramp or event\n"
"    --no-optimise     keep the baseline (snake) placement\n"
"    -o NET.sac        the image to write\n"
"    Other options as for 'saccade ref'.\n\n"
"EXIT STATUS\n"
"    0 success, 1 error (model, target, capacity), 2 bad usage.\n\n"
"EXAMPLE\n"
"    saccade compile see/model.yaml --weights see/weights.npz \\\n"
"        --target examples/targets/yoso.yaml -o see.sac\n");
}
