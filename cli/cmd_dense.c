/* cmd_dense.c: `saccade dense-ref`: run the MCO-E head's float and
 * integer references (include/saccade/dense.h) on backbone features.
 *
 * The command loads DIR/mcoe.yaml and its weights, calibrates on the
 * calibration inputs (float forward with every expert, then the
 * quantiser), and runs each input through the float reference, the
 * integer reference or both; with both it reports the argmax agreement,
 * the top-k expert agreement and the cosine similarity of the logits over
 * all inputs.  Exit status: 0 done, 1 a user error (files, shapes),
 * 2 bad usage. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "saccade/dense.h"
#include "saccade/npy.h"

enum { M_FLOAT = 1, M_INT = 2, M_ALL = 3 };
enum { OPT_CALIB = 256, OPT_INDEX, OPT_QUANT, OPT_STATE, OPT_QUIET, OPT_WBITS,
       OPT_ABITS, OPT_WIDEFROM, OPT_HEADROOM, OPT_TAIL, OPT_NODES };

static const struct option long_opts[] = {
	{"input", required_argument, NULL, 'i'},
	{"mode", required_argument, NULL, 'm'},
	{"calib", required_argument, NULL, OPT_CALIB},
	{"index", required_argument, NULL, OPT_INDEX},
	{"quant", required_argument, NULL, OPT_QUANT},
	{"state-bits", required_argument, NULL, OPT_STATE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"weight-bits", required_argument, NULL, OPT_WBITS},
	{"act-bits", required_argument, NULL, OPT_ABITS},
	{"wide-from", required_argument, NULL, OPT_WIDEFROM},
	{"headroom", required_argument, NULL, OPT_HEADROOM},
	{"tail", required_argument, NULL, OPT_TAIL},
	{"nodes", no_argument, NULL, OPT_NODES},
	{NULL, 0, NULL, 0},
};

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "saccade dense-ref: %s%s%s%s (see 'saccade help dense-ref')\n",
		msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return 2;
}

/* Inputs [N, 2, M, E] or [2, M, E] as doubles, one block per input. */
static int read_inputs(const char *path, const sac_mcoe_dims *d, double **out,
		       int *n, sac_err *e)
{
	sac_tensor t = {0};
	int rc = sac_npy_read(path, &t, e);
	if (rc)
		return rc;
	int lead = t.ndim == 4 ? 1 : 0;
	if ((t.ndim != 3 && t.ndim != 4) || t.shape[lead] != 2 ||
	    t.shape[lead + 1] != d->tokens || t.shape[lead + 2] != d->d_model) {
		char b[80];
		rc = sac_errf(e, SAC_ERR_SHAPE, "%s: is %s, expected [N, 2, %d, %d] "
			      "or [2, %d, %d] (modalities RGB, events)", path,
			      sac_tensor_desc(&t, b, sizeof b), d->tokens,
			      d->d_model, d->tokens, d->d_model);
		sac_tensor_free(&t);
		return rc;
	}
	*n = lead ? (int)t.shape[0] : 1;
	return cli_tensor_doubles(path, &t, out, e);
}

static int argmax(const double *v, int n)
{
	int b = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[b])
			b = i;
	return b;
}

static void print_row(const char *tag, const double *l, int nc,
		      const double *topk, int k, double wscale)
{
	printf("  %-5s class %d  logits", tag, argmax(l, nc));
	for (int c = 0; c < nc; c++)
		printf(" %8.4f", l[c]);
	printf("  experts");
	for (int j = 0; j < k; j++)
		printf(" %d (%.3f)", (int)topk[j], topk[k + j] * wscale);
	printf("\n");
}

/* Relative error max |int - float| / max |float| of every node that ran
 * in both, in the graph (xi) and alone on quantised float inputs (xl). */
static double relerr(const double *f, const int32_t *q, double s, size_t cnt)
{
	double mf = 0, md = 0;
	for (size_t k = 0; k < cnt; k++) {
		mf = fmax(mf, fabs(f[k]));
		md = fmax(md, fabs(f[k] - q[k] * s));
	}
	return mf > 0 ? md / mf : md;
}

static void node_errors(const sac_dense_graph *g, const sac_dense_exec *xf,
			const sac_dense_exec *xi, const sac_dense_exec *xl,
			double *nerr, double *lerr, int *ncnt)
{
	for (int j = 0; j < sac_dense_count(g); j++) {
		int r, c;
		if (!xf->ran[j] || !xi->ran[j] || sac_dense_node_op(g, j) == SAC_DENSE_TOPK)
			continue;
		sac_dense_node_shape(g, j, &r, &c);
		double s = sac_dense_node_scale(g, j);
		nerr[j] += relerr(xf->f[j], xi->q[j], s, (size_t)r * c);
		lerr[j] += relerr(xf->f[j], xl->q[j], s, (size_t)r * c);
		ncnt[j]++;
	}
}

int cli_dense_ref(int argc, char **argv)
{
	const char *input = NULL, *calib = NULL;
	int mode = M_ALL, quiet = 0, wbits = 8, abits = 8, nodes = 0;
	const char *wide_from = NULL;
	long index = -1;
	sac_dense_qopts qo;
	sac_dense_qopts_init(&qo);
	optind = 1;
	opterr = 0;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, ":i:m:", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'i': input = optarg; break;
		case 'm':
			if (!strcmp(optarg, "float")) mode = M_FLOAT;
			else if (!strcmp(optarg, "int")) mode = M_INT;
			else if (!strcmp(optarg, "all")) mode = M_ALL;
			else return bad_usage("--mode must be float, int or all, got", optarg);
			break;
		case OPT_CALIB: calib = optarg; break;
		case OPT_INDEX:
			errno = 0;
			index = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || index < 0)
				return bad_usage("--index wants a non-negative integer, got", optarg);
			break;
		case OPT_QUANT:
			if (!strcmp(optarg, "channel")) qo.per_channel = 1;
			else if (!strcmp(optarg, "tensor")) qo.per_channel = 0;
			else return bad_usage("--quant must be channel or tensor, got", optarg);
			break;
		case OPT_STATE:
			errno = 0;
			qo.state_bits = (int)strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || qo.state_bits < 8 || qo.state_bits > 28)
				return bad_usage("--state-bits wants 8..28, got", optarg);
			break;
		case OPT_QUIET: quiet = 1; break;
		case OPT_WBITS:
			if (!strcmp(optarg, "8")) wbits = 8;
			else if (!strcmp(optarg, "16")) wbits = 16;
			else return bad_usage("--weight-bits must be 8 or 16, got", optarg);
			break;
		case OPT_ABITS:
			if (!strcmp(optarg, "8")) abits = 8;
			else if (!strcmp(optarg, "16")) abits = 16;
			else return bad_usage("--act-bits must be 8 or 16, got", optarg);
			break;
		case OPT_WIDEFROM: wide_from = optarg; break;
		case OPT_HEADROOM:
			errno = 0;
			qo.headroom = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(qo.headroom >= 1 && qo.headroom <= 256))
				return bad_usage("--headroom wants a number in 1..256, got", optarg);
			break;
		case OPT_TAIL:
			errno = 0;
			qo.tail = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(qo.tail >= 0 && qo.tail <= 8))
				return bad_usage("--tail wants a number in 0..8, got", optarg);
			break;
		case OPT_NODES: nodes = 1; break;
		case ':': return bad_usage("option needs a value:", argv[optind - 1]);
		default: return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("missing DIR (written by 'saccade zoo mco-e')", NULL);
	const char *dir = argv[optind++];
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);

	sac_err e = {0};
	char ypath[4200], wname[4096], cname[4096], cpath[8400], ipath[4200];
	sac_mcoe_dims dims;
	snprintf(ypath, sizeof ypath, "%s/mcoe.yaml", dir);
	if (sac_mcoe_yaml_read(ypath, &dims, wname, sizeof wname, cname,
			       sizeof cname, &e))
		return cli_fail("dense-ref", e.msg);
	if (!calib) {
		if (!cname[0] && (mode & M_INT))
			return cli_fail("dense-ref", "no calibration inputs: mcoe.yaml has "
					"no 'calibration' and --calib was not given");
		cli_path_in(cpath, sizeof cpath, dir, cname);
		calib = cpath;
	}
	if (!input) {
		snprintf(ipath, sizeof ipath, "%s/sample.npy", dir);
		input = ipath;
	}

	sac_mcoe *m = NULL;
	double *cal = NULL, *in = NULL;
	int ncal = 0, nin = 0, rc = 0;
	sac_dense_exec xf = {0}, xi = {0}, xl = {0};
	double *nerr = NULL, *lerr = NULL;
	int *ncnt = NULL;
	if (sac_mcoe_load(dir, &m, &e) || read_inputs(input, &dims, &in, &nin, &e) ||
	    ((mode & M_INT) && read_inputs(calib, &dims, &cal, &ncal, &e))) {
		rc = cli_fail("dense-ref", e.msg);
		goto out;
	}
	if (index >= nin) {
		char msg[4400];
		snprintf(msg, sizeof msg, "--index %ld but %s holds %d input%s", index,
			 input, nin, nin == 1 ? "" : "s");
		rc = cli_fail("dense-ref", msg);
		goto out;
	}
	sac_dense_graph *g = sac_mcoe_graph(m);
	if (sac_dense_exec_init(g, &xf, &e) || sac_dense_exec_init(g, &xi, &e)) {
		rc = cli_fail("dense-ref", e.msg);
		goto out;
	}
	size_t per = (size_t)dims.tokens * dims.d_model;
	if (mode & M_INT) {
		for (int i = 0; i < ncal && !rc; i++) {
			const double *pin[2] = {cal + 2 * per * i, cal + 2 * per * i + per};
			if (sac_dense_forward_float(g, &xf, pin, 1, &e))
				rc = cli_fail("dense-ref", e.msg);
		}
		/* --weight-bits 16: int16 weights from --wide-from on (default
		 * the first node: the whole head); --act-bits 16: int16
		 * activations from there on too (docs/MCOE.md "Modes"). */
		int from = wide_from ? sac_dense_find(g, wide_from) : 0;
		if (from < 0) {
			char msg[4400];
			snprintf(msg, sizeof msg, "--wide-from: no node '%s'", wide_from);
			rc = cli_fail("dense-ref", msg);
			goto out;
		}
		qo.wide_from = wbits == 16 ? from : -1;
		qo.wide_act_from = abits == 16 ? from : -1;
		if (!rc && sac_dense_quantize(g, &qo, &e))
			rc = cli_fail("dense-ref", e.msg);
		if (rc)
			goto out;
	}
	int last = sac_dense_count(g) - 1, topk = sac_dense_find(g, "router.topk");
	int nc = dims.classes, k = dims.topk;
	printf("mco-e: %s, %lld parameters, %d input%s from %s", dir,
	       (long long)sac_dense_params(g), nin, nin == 1 ? "" : "s", input);
	if (mode & M_INT)
		printf(", calibrated on %d (%s), %s int%d weights%s%s, %s, int16 "
		       "headroom %g, tail z %g, scan state %d bits", ncal, calib,
		       qo.per_channel ? "per-channel" : "per-tensor", wbits,
		       wbits == 16 ? " from " : "",
		       wbits == 16 ? (wide_from ? wide_from : "the inputs") : "",
		       abits == 16 ? "int16 activations" :
		       "int16 activations in Mamba and MCIB, int8 after",
		       qo.headroom, qo.tail, qo.state_bits);
	printf("\n");
	int lo = index >= 0 ? (int)index : 0, hi = index >= 0 ? (int)index + 1 : nin;
	int agree = 0, eagree = 0, n = 0, nn = sac_dense_count(g);
	if (nodes && mode == M_ALL) {
		nerr = calloc((size_t)nn, sizeof *nerr);
		lerr = calloc((size_t)nn, sizeof *lerr);
		ncnt = calloc((size_t)nn, sizeof *ncnt);
		if (!nerr || !lerr || !ncnt || sac_dense_exec_init(g, &xl, &e)) {
			rc = cli_fail("dense-ref", nerr && lerr && ncnt ? e.msg : "out of memory");
			goto out;
		}
	}
	double cos_sum = 0, cos_min = 1;
	double lf[4096], li[4096], tf[2 * SAC_DENSE_MAX_IN], ti[2 * SAC_DENSE_MAX_IN];
	for (int i = lo; i < hi; i++) {
		const double *pin[2] = {in + 2 * per * i, in + 2 * per * i + per};
		if (mode & M_FLOAT) {
			if (sac_dense_forward_float(g, &xf, pin, 0, &e)) {
				rc = cli_fail("dense-ref", e.msg);
				goto out;
			}
			memcpy(lf, xf.f[last], sizeof(double) * nc);
			memcpy(tf, xf.f[topk], sizeof(double) * 2 * k);
		}
		if (mode & M_INT) {
			if (sac_dense_forward_int(g, &xi, pin, &e)) {
				rc = cli_fail("dense-ref", e.msg);
				goto out;
			}
			double s = sac_dense_node_scale(g, last);
			for (int c = 0; c < nc; c++)
				li[c] = xi.q[last][c] * s;
			for (int j = 0; j < 2 * k; j++)
				ti[j] = xi.q[topk][j];
		}
		if (!quiet) {
			printf("input %d\n", i);
			if (mode & M_FLOAT)
				print_row("float", lf, nc, tf, k, 1);
			if (mode & M_INT)
				print_row("int", li, nc, ti, k, 1.0 / 16384);
		}
		if (nerr) {
			if (sac_dense_forward_int_local(g, &xl, &xf, &e)) {
				rc = cli_fail("dense-ref", e.msg);
				goto out;
			}
			node_errors(g, &xf, &xi, &xl, nerr, lerr, ncnt);
		}
		if (mode == M_ALL) {
			double dot = 0, a2 = 0, b2 = 0;
			for (int c = 0; c < nc; c++) {
				dot += lf[c] * li[c];
				a2 += lf[c] * lf[c];
				b2 += li[c] * li[c];
			}
			double cs = a2 > 0 && b2 > 0 ? dot / sqrt(a2 * b2) : (a2 == b2);
			int same = 1;
			for (int j = 0; j < k; j++) {
				int found = 0;
				for (int t = 0; t < k; t++)
					found |= (int)tf[j] == (int)ti[t];
				same &= found;
			}
			agree += argmax(lf, nc) == argmax(li, nc);
			eagree += same;
			cos_sum += cs;
			if (cs < cos_min)
				cos_min = cs;
			n++;
			if (!quiet)
				printf("  cosine %.6f%s\n", cs,
				       argmax(lf, nc) == argmax(li, nc) ? "" : "  CLASS DIFFERS");
		}
	}
	if (mode == M_ALL && n)
		printf("agreement over %d input%s: argmax %d/%d (%.1f%%), top-%d experts "
		       "%d/%d, logit cosine mean %.6f min %.6f\n", n, n == 1 ? "" : "s",
		       agree, n, 100.0 * agree / n, k, eagree, n, cos_sum / n, cos_min);
	if (nerr && n) {
		printf("per node, mean over the inputs of max |int - float| / max |float|:\n"
		       "%-34s %-16s %10s %10s\n", "node", "op", "in graph", "alone");
		for (int j = 0; j < nn; j++)
			if (ncnt[j])
				printf("%-34s %-16s %10.6f %10.6f\n", sac_dense_name(g, j),
				       sac_dense_op_name(sac_dense_node_op(g, j)),
				       nerr[j] / ncnt[j], lerr[j] / ncnt[j]);
	}
out:
	sac_dense_exec_free(&xl);
	free(nerr);
	free(lerr);
	free(ncnt);
	sac_dense_exec_free(&xf);
	sac_dense_exec_free(&xi);
	free(cal);
	free(in);
	sac_mcoe_free(m);
	return rc;
}

void cli_dense_ref_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade dense-ref - run the MCO-E head's float and integer references\n"
"\n"
"SYNOPSIS\n"
"    saccade dense-ref DIR [--input X.npy] [--mode float|int|all]\n"
"                      [--calib C.npy] [--index N] [--quant channel|tensor]\n"
"                      [--state-bits B] [--weight-bits 8|16] [--act-bits 8|16]\n"
"                      [--wide-from NODE] [--headroom H] [--tail Z]\n"
"                      [--nodes] [--quiet]\n"
"\n"
"DESCRIPTION\n"
"    DIR holds an MCO-E head as 'saccade zoo mco-e' writes it: mcoe.yaml\n"
"    (the dimensions, docs/FORMATS.md \"MCO-E models\"), its weights and\n"
"    calibration inputs.  Inputs are backbone features, float32\n"
"    [N, 2, tokens, d_model] or [2, tokens, d_model] (modality 0 RGB,\n"
"    1 events).\n"
"\n"
"    float  runs the float reference (double accumulation).\n"
"    int    calibrates on the calibration inputs (float forward with every\n"
"           expert), quantises (int8 weights and activations, int32\n"
"           accumulators, fixed-point multipliers, lookup tables) and runs\n"
"           the integer reference: the bits the simulator must reproduce\n"
"           (docs/MCOE.md).  Its logits are integers at the scale of the\n"
"           experts' outputs times 2^-14; they are printed dequantised.\n"
"    all    both (the default), and per input the cosine similarity of the\n"
"           two logit vectors, then over all inputs the argmax agreement,\n"
"           the agreement of the router's top-k expert sets and the mean\n"
"           and minimum logit cosine.\n"
"\n"
"    For each input it prints the class (argmax), the logits and the\n"
"    experts the router picked with their renormalised weights.\n"
"\n"
"OPTIONS\n"
"    -i, --input X.npy     inputs, default DIR/sample.npy\n"
"    -m, --mode M          float, int or all (default all)\n"
"    --calib C.npy         calibration inputs, default the 'calibration'\n"
"                          file of mcoe.yaml (relative to DIR)\n"
"    --index N             only input N (0-based)\n"
"    --quant channel|tensor  int8 weight scales per output channel\n"
"                          (default) or per tensor\n"
"    --state-bits B        the scan state's calibrated maximum sits at\n"
"                          2^B in its int32 word (8..28, default 24)\n"
"    --weight-bits 8|16    16: int16 weights (int64 biases) for the whole\n"
"                          head, or from --wide-from on; default 8\n"
"    --act-bits 8|16       16: int16 activations where the head has int8\n"
"                          ones (fusion, router, experts); default 8\n"
"    --wide-from NODE      the first node the two options above apply to\n"
"                          (e.g. fusion.fc); default the inputs\n"
"    --headroom H          int16 tensors hold H times their calibrated\n"
"                          range (1..256, default 2)\n"
"    --tail Z              and exp(Z sd) times more, sd the spread (standard\n"
"                          deviation) of the log of the tensor's largest\n"
"                          |value| per calibration input: more range where\n"
"                          the calibration shows heavy tails (0..8,\n"
"                          default 0.5; 0: H times the range everywhere)\n"
"    --nodes               after the agreement, per node the mean relative\n"
"                          error in the graph and alone (its integer kernel\n"
"                          on its inputs' float values, quantised)\n"
"    --quiet               only the header and the agreement line\n"
"\n"
"EXAMPLES\n"
"    saccade zoo mco-e -o mcoe\n"
"    saccade dense-ref mcoe\n"
"    saccade zoo mco-e --samples 128 -o mcoe128\n"
"    saccade dense-ref mcoe128 --quiet\n"
"    saccade dense-ref mcoe128 --quiet --weight-bits 16 --act-bits 16\n"
"    saccade dense-ref mcoe --mode int --index 3\n"
"\n"
"EXIT STATUS\n"
"    0 done, 1 a file or shape error, 2 bad usage.\n");
}
