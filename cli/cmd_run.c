/* cmd_run.c: `saccade run`: evaluate an image on a labelled set of event
 * recordings (a manifest, docs/FORMATS.md) and print the papers' table:
 * WAR and UAR, accuracy per lighting condition and per emotion, then the
 * mean and 95th-percentile latency and energy per inference.
 *
 * All the work is the library's (sac_rt_eval, sac_eval_summarize), so C
 * and Python users get the same numbers.  Stdout and the report depend
 * only on the image, the manifest and the framing, never on --jobs or on
 * timing: the report holds no wall-clock figures for that reason. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "saccade/runtime.h"

static const char *const light_title[SAC_NUM_LIGHTINGS] = {
	"Normal", "Overexposure", "Low-Light", "HDR"};

static int usage_err(const char *msg, const char *arg)
{
	fprintf(stderr, "saccade run: %s%s%s (see 'saccade help run')\n", msg,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

static void progress(void *ctx, int done, int total)
{
	(void)ctx;
	fprintf(stderr, "\rrunning: %d/%d samples", done, total);
	if (done == total)
		fprintf(stderr, "\n");
}

/* A percentage, or "-" where there is no sample to measure. */
static void pct(double v, int width)
{
	if (isnan(v))
		printf(" %*s", width, "-");
	else
		printf(" %*.1f", width, 100.0 * v);
}

static void print_table(const sac_program *p, const sac_manifest *m,
			const sac_frame_opts *fo, const sac_eval_summary *s)
{
	printf("model %s on %s (%dx%d mesh, %s, %.0f MHz)\n", p->g->name, p->t.name,
	       p->t.mesh_w, p->t.mesh_h, sac_uarch_name(p->t.uarch), p->t.clock_hz / 1e6);
	printf("set %s: %d samples, %d run, %d failed; framing %d frames of %.4g s from %.4g s at %dx%d\n\n",
	       m->file, s->n, s->ok, s->failed, fo->frames, fo->skip / 30.0, fo->start_s,
	       fo->width, fo->height);
	/* The column order of the papers' tables (MCO-E Net, Table 1). */
	printf("%-10s %-13s %-42s %s\n", "", "metrics (%)",
	       "accuracy under lighting conditions (%)", "accuracy per emotion (%)");
	printf("%-10s %6s %6s", "", "WAR", "UAR");
	for (int l = 0; l < SAC_NUM_LIGHTINGS; l++)
		printf(" %*s", l == 1 ? 12 : 9, light_title[l]);
	for (int c = 0; c < SAC_NUM_CLASSES; c++)
		printf(" %5s", sac_class_short(c));
	printf("\n%-10s", "accuracy");
	pct(s->war, 6);
	pct(s->uar, 6);
	for (int l = 0; l < SAC_NUM_LIGHTINGS; l++)
		pct(s->light_acc[l], l == 1 ? 12 : 9);
	for (int c = 0; c < SAC_NUM_CLASSES; c++)
		pct(s->cls_acc[c], 5);
	printf("\n%-10s %6d %6d", "samples", s->ok, s->ok);
	for (int l = 0; l < SAC_NUM_LIGHTINGS; l++)
		printf(" %*d", l == 1 ? 12 : 9, s->light_n[l]);
	for (int c = 0; c < SAC_NUM_CLASSES; c++)
		printf(" %5d", s->cls_n[c]);
	printf("\n\nper inference      mean        p95\n");
	printf("latency (ms)  %9.3f  %9.3f   (%.0f cycles mean)\n", s->ms_mean, s->ms_p95,
	       s->cycles_mean);
	printf("energy (mJ)   %9.4f  %9.4f\n", s->mj_mean, s->mj_p95);
}

static cJSON *num_or_null(double v)
{
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static int write_report(const char *path, const sac_program *p, const sac_manifest *m,
			const sac_frame_opts *fo, const sac_eval_result *res,
			const sac_eval_summary *s)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "saccade", SAC_VERSION_STRING);
	cJSON_AddStringToObject(root, "model", p->g->name);
	cJSON_AddStringToObject(root, "target", p->t.name);
	cJSON_AddStringToObject(root, "microarch", sac_uarch_name(p->t.uarch));
	cJSON_AddNumberToObject(root, "clock_hz", p->t.clock_hz);
	cJSON_AddStringToObject(root, "manifest", m->file);
	cJSON *fr = cJSON_AddObjectToObject(root, "framing");
	cJSON_AddNumberToObject(fr, "frames", fo->frames);
	cJSON_AddNumberToObject(fr, "skip", fo->skip);
	cJSON_AddNumberToObject(fr, "start_s", fo->start_s);
	cJSON_AddNumberToObject(fr, "width", fo->width);
	cJSON_AddNumberToObject(fr, "height", fo->height);
	cJSON *sum = cJSON_AddObjectToObject(root, "summary");
	cJSON_AddNumberToObject(sum, "samples", s->n);
	cJSON_AddNumberToObject(sum, "run", s->ok);
	cJSON_AddNumberToObject(sum, "failed", s->failed);
	cJSON_AddItemToObject(sum, "war", num_or_null(s->war));
	cJSON_AddItemToObject(sum, "uar", num_or_null(s->uar));
	cJSON *le = cJSON_AddObjectToObject(sum, "by_lighting");
	for (int l = 0; l < SAC_NUM_LIGHTINGS; l++) {
		cJSON *o = cJSON_AddObjectToObject(le, sac_lighting_name(l));
		cJSON_AddNumberToObject(o, "samples", s->light_n[l]);
		cJSON_AddNumberToObject(o, "correct", s->light_correct[l]);
		cJSON_AddItemToObject(o, "accuracy", num_or_null(s->light_acc[l]));
	}
	cJSON *em = cJSON_AddObjectToObject(sum, "by_emotion");
	for (int c = 0; c < SAC_NUM_CLASSES; c++) {
		cJSON *o = cJSON_AddObjectToObject(em, sac_class_short(c));
		cJSON_AddStringToObject(o, "name", sac_class_name(c));
		cJSON_AddNumberToObject(o, "samples", s->cls_n[c]);
		cJSON_AddNumberToObject(o, "correct", s->cls_correct[c]);
		cJSON_AddItemToObject(o, "accuracy", num_or_null(s->cls_acc[c]));
	}
	cJSON *lat = cJSON_AddObjectToObject(sum, "latency_ms");
	cJSON_AddItemToObject(lat, "mean", num_or_null(s->ms_mean));
	cJSON_AddItemToObject(lat, "p95", num_or_null(s->ms_p95));
	cJSON_AddItemToObject(sum, "cycles_mean", num_or_null(s->cycles_mean));
	cJSON *en = cJSON_AddObjectToObject(sum, "energy_mj");
	cJSON_AddItemToObject(en, "mean", num_or_null(s->mj_mean));
	cJSON_AddItemToObject(en, "p95", num_or_null(s->mj_p95));
	cJSON *arr = cJSON_AddArrayToObject(root, "samples");
	for (int i = 0; i < m->n; i++) {
		const sac_eval_result *r = &res[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", m->s[i].path);
		cJSON_AddNumberToObject(o, "line", m->s[i].line);
		cJSON_AddStringToObject(o, "emotion", sac_class_name(m->s[i].emotion));
		cJSON_AddStringToObject(o, "lighting", sac_lighting_name(m->s[i].lighting));
		if (r->rc) {
			cJSON_AddStringToObject(o, "error", r->msg);
		} else {
			cJSON_AddStringToObject(o, "predicted", sac_class_name(r->pred));
			cJSON_AddBoolToObject(o, "correct", r->pred == m->s[i].emotion);
			cJSON_AddNumberToObject(o, "cycles", (double)r->cycles);
			cJSON_AddNumberToObject(o, "ms", r->ms);
			cJSON_AddNumberToObject(o, "energy_mj", r->mj);
			cJSON_AddNumberToObject(o, "spikes", (double)r->spikes);
		}
		cJSON_AddItemToArray(arr, o);
	}
	return cli_write_json("run", path, root);
}

int cli_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{"manifest", required_argument, NULL, 'm'},
		{"jobs", required_argument, NULL, 'j'},
		{"report", required_argument, NULL, 'r'},
		{"frames", required_argument, NULL, 'f'},
		{"skip", required_argument, NULL, 'k'},
		{"start", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"backend", required_argument, NULL, 'b'},
		{"rtl", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0}};
	const char *manifest = NULL, *report = NULL, *rtl = NULL;
	sac_backend backend = SAC_BACKEND_SIM;
	long jobs = 1, frames = 0, skip = 3;
	double start = 0;
	int quiet = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:j:r:f:k:t:qb:", lo, NULL)) != -1) {
		switch (c) {
		case 'm': manifest = optarg; break;
		case 'r': report = optarg; break;
		case 'q': quiet = 1; break;
		case 'R': rtl = optarg; break;
		case 'b':
			if (!strcmp(optarg, "sim"))
				backend = SAC_BACKEND_SIM;
			else if (!strcmp(optarg, "rtl"))
				backend = SAC_BACKEND_RTL;
			else
				return usage_err("--backend wants sim or rtl, got", optarg);
			break;
		case 'j':
			if (!cli_to_long(optarg, 1, 1024, &jobs))
				return usage_err("--jobs wants an integer from 1 to 1024, got", optarg);
			break;
		case 'f':
			if (!cli_to_long(optarg, 1, 4096, &frames))
				return usage_err("--frames wants an integer from 1 to 4096, got", optarg);
			break;
		case 'k':
			if (!cli_to_long(optarg, 1, 30 * 3600, &skip))
				return usage_err("--skip wants a positive integer (1/30 s units), got", optarg);
			break;
		case 't': {
			char *end;
			errno = 0;
			start = strtod(optarg, &end);
			if (end == optarg || *end || errno || !(start >= 0) || start > 1e6)
				return usage_err("--start wants seconds >= 0, got", optarg);
			break;
		}
		default:
			return usage_err(c == ':' ? "option needs a value:" : "unknown option",
					 argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_err("expected one NET.sac", NULL);
	if (!manifest)
		return usage_err("missing --manifest M.csv", NULL);
	sac_err e = {0};
	sac_rt *rt = sac_rt_open(argv[optind], &e);
	if (!rt)
		return cli_fail("run", e.msg);
	if ((rtl && sac_rt_set_rtl(rt, rtl)) || sac_rt_set_backend(rt, backend)) {
		int rc = cli_fail("run", sac_rt_error(rt));
		sac_rt_close(rt);
		return rc;
	}
	sac_manifest m;
	if (sac_manifest_read(manifest, &m, &e)) {
		sac_rt_close(rt);
		return cli_fail("run", e.msg);
	}
	sac_frame_opts fo;
	sac_rt_frame_defaults(rt, &fo);
	if (frames)
		fo.frames = (int)frames;
	fo.skip = (int)skip;
	fo.start_s = start;
	int rc = 0;
	sac_eval_result *res = calloc((size_t)m.n, sizeof *res);
	if (!res)
		rc = cli_fail("run", "out of memory");
	if (!rc && sac_rt_eval(rt, &m, &fo, (int)jobs, !quiet && isatty(2) ? progress : NULL,
			       NULL, res))
		rc = cli_fail("run", sac_rt_error(rt));
	if (!rc) {
		sac_eval_summary s;
		sac_eval_summarize(&m, res, &s);
		int shown = 0;
		for (int i = 0; i < m.n; i++)
			if (res[i].rc && shown++ < 10)
				fprintf(stderr, "saccade run: %s:%d: %s\n", m.file, m.s[i].line,
					res[i].msg);
		if (shown > 10)
			fprintf(stderr, "saccade run: ... and %d more failed samples\n", shown - 10);
		print_table(sac_rt_program(rt), &m, &fo, &s);
		if (report)
			rc = write_report(report, sac_rt_program(rt), &m, &fo, res, &s);
		if (!rc && s.failed) {
			char msg[128];
			snprintf(msg, sizeof msg, "%d of %d samples failed (see above)", s.failed, s.n);
			rc = cli_fail("run", msg);
		}
	}
	free(res);
	sac_manifest_free(&m);
	sac_rt_close(rt);
	return rc;
}

void cli_run_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade run - evaluate an image on a labelled set of event recordings\n\n"
"SYNOPSIS\n"
"    saccade run NET.sac --manifest M.csv [--jobs N] [--report R.json]\n"
"                [--frames F] [--skip K] [--start S] [--backend sim|rtl]\n"
"                [--rtl EXE] [--quiet]\n\n"
"DESCRIPTION\n"
"    Reads the manifest (CSV with the columns path, emotion, lighting;\n"
"    docs/FORMATS.md), frames each sample's events the E4-S3 way at the\n"
"    size of the image's input node (default: as many frames as input\n"
"    channels, 0.1 s each, from 0 s; see 'saccade help events'), runs it\n"
"    on the cycle-accurate simulator and prints the table of the papers:\n"
"    WAR (overall accuracy) and UAR (mean of the per-emotion recalls), the\n"
"    accuracy under each lighting condition (Normal, Overexposure,\n"
"    Low-Light, HDR) and of each emotion (Ha Sa An Di Su Fe Ne), with the\n"
"    number of samples of each column; then the mean and 95th-percentile\n"
"    (nearest rank) latency in ms and energy in mJ per inference.  '-'\n"
"    marks a column without samples.  Progress goes to stderr on a\n"
"    terminal.\n\n"
"    Samples run in parallel on --jobs threads; the output and the report\n"
"    are identical for any number of jobs.  A sample that cannot be read,\n"
"    framed or run is reported with its manifest line and left out of the\n"
"    table, and the exit status is then 1.\n\n"
"OPTIONS\n"
"    -m, --manifest M.csv the labelled set ('saccade events synth-set' writes one)\n"
"    -j, --jobs N         threads, one runtime context each (default 1)\n"
"    -r, --report R.json  write the summary and every sample's outcome\n"
"                         (predicted class, cycles, ms, mJ, spikes or error)\n"
"    -f, --frames F       frames per sample; must equal the input channels\n"
"    -k, --skip K         frame length in 1/30 s units (default 3)\n"
"    -t, --start S        start of the first frame in seconds (default 0)\n"
"    -b, --backend B      sim (default): the C simulator; rtl: the Verilated\n"
"                         RTL, the program saccade-rtl-<target> run once per\n"
"                         sample (see 'saccade help cosim'); the same table\n"
"    --rtl EXE            the RTL program (default: saccade-rtl-<target> in\n"
"                         $SACCADE_RTL_DIR, else where it was installed)\n"
"    -q, --quiet          no progress output\n\n"
"EXIT STATUS\n"
"    0 success, 1 error (bad image or manifest, a sample failed), 2 bad usage.\n\n"
"EXAMPLE\n"
"    saccade events synth-set --count 5 --seed 1 -o set\n"
"    saccade run net.sac --manifest set/manifest.csv --jobs 4 --report eval.json\n");
}
