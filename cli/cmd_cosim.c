/* cmd_cosim.c: `saccade cosim`: run one image and input on the C simulator
 * (in this process) and on the target's RTL executable (a child process,
 * runtime/rtlproc.c), and compare every spike (PE, local neuron, global
 * step, cycle), every integer logit, every counter of every PE holding a
 * region, the cycle count and the step count.
 *
 * Both sides are put in one shape, a sac_rtl_result: the simulator's
 * spikes arrive through sac_sim_opts.on_spike and are sorted by (cycle,
 * PE), the order of the RTL stream (a PE handles at most one spike per
 * cycle, so the order is total).  The first divergence of the two spike
 * sequences is then the first index where they differ, and the cycle to
 * report is the smaller of the two cycles there: the first cycle at which
 * one side emitted something the other did not.  Exit status: 0
 * identical, 1 any difference or error, 2 bad usage; the report goes to
 * stdout, the verdict's one-line reason to stderr. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "saccade/npy.h"
#include "saccade/rtlproc.h"

#define MAX_LISTED 20 /* logit and counter differences printed */

static int usage_err(const char *msg, const char *arg)
{
	fprintf(stderr, "saccade cosim: %s%s%s (see 'saccade help cosim')\n", msg,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

typedef struct collector {
	sac_rtl_spike *v;
	int64_t n, cap;
	int oom;
} collector;

static void on_spike(void *ctx, int pe, int neuron, int64_t step, int64_t cycle)
{
	collector *c = ctx;
	if (c->oom)
		return;
	if (c->n == c->cap) {
		int64_t cap = c->cap ? 2 * c->cap : 1024;
		sac_rtl_spike *v = realloc(c->v, (size_t)cap * sizeof *v);
		if (!v) {
			c->oom = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (sac_rtl_spike){pe, neuron, step, cycle};
}

static int by_cycle_pe(const void *a, const void *b)
{
	const sac_rtl_spike *x = a, *y = b;
	if (x->cycle != y->cycle)
		return x->cycle < y->cycle ? -1 : 1;
	if (x->pe != y->pe)
		return x->pe < y->pe ? -1 : 1;
	return 0;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int is_router(int f)
{
	return f == SAC_PEC_router_buffer || f == SAC_PEC_router_xbar || f == SAC_PEC_link;
}

/* The simulator's run as a stream result (owning c's spikes). */
static int sim_result(const sac_program *p, const float *input, collector *c,
		      sac_rtl_result *r, sac_err *e)
{
	sac_sim_opts so;
	sac_sim_opts_init(&so);
	so.on_spike = on_spike;
	so.spike_ctx = c;
	sac_ref_out out;
	sac_sim_stats st;
	memset(r, 0, sizeof *r);
	double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	int rc = sac_sim_run(p, input, &so, &out, &st, e);
	r->wall_seconds = clock_s(CLOCK_MONOTONIC) - t0;
	r->cpu_seconds = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (rc)
		return rc;
	if (c->oom) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory collecting spikes");
		goto done;
	}
	/* Stable on equal keys is not needed: (cycle, pe) is unique. */
	qsort(c->v, (size_t)c->n, sizeof *c->v, by_cycle_pe);
	snprintf(r->target, sizeof r->target, "%s", p->t.name);
	r->mesh_w = p->m->mesh_w;
	r->mesh_h = p->m->mesh_h;
	r->spike = c->v;
	r->nspikes = c->n;
	c->v = NULL;
	r->nlogits = out.nlogits;
	r->npe = p->m->npe;
	r->logit = malloc((size_t)out.nlogits * sizeof *r->logit);
	r->pe = calloc((size_t)p->m->npe, sizeof *r->pe);
	r->routers_reported = malloc((size_t)p->m->npe);
	if (!r->logit || !r->pe || !r->routers_reported) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		goto done;
	}
	memcpy(r->logit, out.ilogits, (size_t)out.nlogits * sizeof *r->logit);
	memset(r->routers_reported, 1, (size_t)p->m->npe);
	/* A PE without a region has only its router's counts. */
	for (int n = 0; n < p->m->npe; n++) {
		r->pe[n] = st.pe[n];
		if (p->m->pe_region[n] < 0)
			for (int f = 0; f < SAC_PEC_COUNT; f++)
				if (!is_router(f))
					*sac_pe_count_ptr(&r->pe[n], f) = 0;
	}
	r->cycles = st.cycles;
	r->steps = out.steps;
done:
	sac_ref_out_free(&out);
	sac_sim_stats_free(&st);
	if (rc)
		sac_rtl_result_free(r);
	return rc;
}

/* The simulator's result in the RTL stream format, for diffing by hand. */
static int write_stream(const char *path, const sac_rtl_result *r, const sac_program *p)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "saccade-rtl %d %s %dx%d\n", SAC_RTL_STREAM_VERSION, r->target, r->mesh_w,
		r->mesh_h);
	for (int64_t i = 0; i < r->nspikes; i++)
		fprintf(f, "spike %d %d %lld %lld\n", r->spike[i].pe, r->spike[i].neuron,
			(long long)r->spike[i].step, (long long)r->spike[i].cycle);
	for (int k = 0; k < r->nlogits; k++)
		fprintf(f, "logit %d %lld\n", k, (long long)r->logit[k]);
	for (int n = 0; n < r->npe; n++)
		for (int fi = 0; fi < SAC_PEC_COUNT; fi++)
			if (p->m->pe_region[n] >= 0 || is_router(fi))
				fprintf(f, "count %d %s %lld\n", n, sac_pe_count_name(fi),
					(long long)*sac_pe_count_ptr(&r->pe[n], fi));
	fprintf(f, "cycles %lld\nsteps %lld\nend\n", (long long)r->cycles, (long long)r->steps);
	int bad = ferror(f);
	return fclose(f) || bad ? -1 : 0;
}

/* "PE 5 (layer conv2, node (1,1))" */
static const char *pe_desc(const sac_program *p, int pe, char *b, size_t n)
{
	int r = pe >= 0 && pe < p->m->npe ? p->m->pe_region[pe] : -1;
	snprintf(b, n, "PE %d (layer %s, node (%d,%d))", pe,
		 r >= 0 ? p->g->node[p->m->layer[p->m->region[r].layer].node].name : "-",
		 pe % p->m->mesh_w, pe / p->m->mesh_w);
	return b;
}

/* "spike of neuron 17 (c 3, y 2, x 1) at step 9" */
static const char *spike_desc(const sac_program *p, const sac_rtl_spike *s, char *b, size_t n)
{
	int c, y, x;
	if (sac_rtlproc_neuron(p, s->pe, s->neuron, &c, &y, &x, NULL))
		snprintf(b, n, "spike of neuron %d at step %lld", s->neuron, (long long)s->step);
	else
		snprintf(b, n, "spike of neuron %d (c %d, y %d, x %d) at step %lld", s->neuron, c,
			 y, x, (long long)s->step);
	return b;
}

static const sac_rtl_spike *find_spike(const sac_rtl_result *r, int pe, int neuron)
{
	for (int64_t i = 0; i < r->nspikes; i++)
		if (r->spike[i].pe == pe && r->spike[i].neuron == neuron)
			return &r->spike[i];
	return NULL;
}

static cJSON *spike_json(const sac_program *p, const sac_rtl_spike *s)
{
	if (!s)
		return cJSON_CreateNull();
	int c = -1, y = -1, x = -1;
	sac_rtlproc_neuron(p, s->pe, s->neuron, &c, &y, &x, NULL);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "pe", s->pe);
	cJSON_AddNumberToObject(o, "neuron", s->neuron);
	cJSON_AddNumberToObject(o, "c", c);
	cJSON_AddNumberToObject(o, "y", y);
	cJSON_AddNumberToObject(o, "x", x);
	cJSON_AddNumberToObject(o, "step", (double)s->step);
	cJSON_AddNumberToObject(o, "cycle", (double)s->cycle);
	return o;
}

/* Compare; print the report; fill the JSON's result fields.  Returns the
 * number of differences (spike sequence counts as one); *ncounters the
 * counters compared, *unreported the PEs without a region whose router
 * counts the RTL did not give (not compared). */
static int compare(const sac_program *p, const sac_rtl_result *a, const sac_rtl_result *b,
		   cJSON *js, int64_t *first_cycle, int *ncounters, int *unreported)
{
	int ndiff = 0;
	char pd[256], s1[160], s2[160];
	*first_cycle = -1;
	/* Spikes: the first index where the sequences differ. */
	int64_t i = 0;
	while (i < a->nspikes && i < b->nspikes &&
	       !memcmp(&a->spike[i], &b->spike[i], sizeof a->spike[i]))
		i++;
	cJSON *sj = cJSON_AddObjectToObject(js, "spikes");
	cJSON_AddNumberToObject(sj, "expected", (double)a->nspikes);
	cJSON_AddNumberToObject(sj, "got", (double)b->nspikes);
	cJSON_AddNumberToObject(sj, "matching_prefix", (double)i);
	if (i < a->nspikes || i < b->nspikes) {
		ndiff++;
		const sac_rtl_spike *x = i < a->nspikes ? &a->spike[i] : NULL;
		const sac_rtl_spike *y = i < b->nspikes ? &b->spike[i] : NULL;
		/* Whichever comes first in (cycle, PE) order is where they part;
		 * on the same cycle and PE both sides emitted something. */
		int ord = !x ? 1 : !y ? -1 : by_cycle_pe(x, y);
		const sac_rtl_spike *at = ord <= 0 ? x : y;
		const sac_rtl_spike *ex = ord <= 0 ? x : NULL, *got = ord >= 0 ? y : NULL;
		*first_cycle = at->cycle;
		printf("DIVERGENCE at cycle %lld: %s\n", (long long)at->cycle,
		       pe_desc(p, at->pe, pd, sizeof pd));
		if (ex)
			spike_desc(p, ex, s1, sizeof s1);
		if (got)
			spike_desc(p, got, s2, sizeof s2);
		const sac_rtl_spike *later;
		printf("  expected (C simulator): %s", ex ? s1 : "no spike");
		if (!ex && (later = find_spike(a, got->pe, got->neuron)))
			printf(" (the simulator fires that neuron at cycle %lld, step %lld)",
			       (long long)later->cycle, (long long)later->step);
		else if (!ex)
			printf(" (the simulator never fires that neuron)");
		printf("\n  got (RTL):              %s", got ? s2 : "no spike");
		if (!got && (later = find_spike(b, ex->pe, ex->neuron)))
			printf(" (the RTL fires that neuron at cycle %lld, step %lld)",
			       (long long)later->cycle, (long long)later->step);
		else if (!got)
			printf(" (the RTL never fires that neuron)");
		printf("\n  %lld spikes matched before it; %lld expected, %lld got in all\n",
		       (long long)i, (long long)a->nspikes, (long long)b->nspikes);
		cJSON *d = cJSON_AddObjectToObject(sj, "first_divergence");
		cJSON_AddNumberToObject(d, "cycle", (double)at->cycle);
		cJSON_AddNumberToObject(d, "pe", at->pe);
		cJSON_AddNumberToObject(d, "pe_x", at->pe % p->m->mesh_w);
		cJSON_AddNumberToObject(d, "pe_y", at->pe / p->m->mesh_w);
		cJSON_AddItemToObject(d, "expected", spike_json(p, ex));
		cJSON_AddItemToObject(d, "got", spike_json(p, got));
	}
	/* Logits. */
	cJSON *lj = cJSON_AddArrayToObject(js, "logit_differences");
	int nl = 0;
	for (int k = 0; k < a->nlogits && k < b->nlogits; k++) {
		if (a->logit[k] == b->logit[k])
			continue;
		if (nl++ == 0)
			printf("logits differ:\n");
		if (nl <= MAX_LISTED)
			printf("  logit %d: expected %lld, got %lld\n", k, (long long)a->logit[k],
			       (long long)b->logit[k]);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "index", k);
		cJSON_AddNumberToObject(o, "expected", (double)a->logit[k]);
		cJSON_AddNumberToObject(o, "got", (double)b->logit[k]);
		cJSON_AddItemToArray(lj, o);
	}
	if (nl > MAX_LISTED)
		printf("  ... %d logits differ in all\n", nl);
	ndiff += nl;
	/* Counters of every PE holding a region. */
	cJSON *cj = cJSON_AddArrayToObject(js, "counter_differences");
	int nc = 0;
	*ncounters = *unreported = 0;
	for (int n = 0; n < p->m->npe; n++) {
		int region = p->m->pe_region[n] >= 0;
		if (!region && !b->routers_reported[n]) {
			++*unreported;
			continue;
		}
		for (int f = 0; f < SAC_PEC_COUNT; f++) {
			if (!region && !is_router(f))
				continue;
			++*ncounters;
			int64_t x = *sac_pe_count_ptr(&a->pe[n], f), y = *sac_pe_count_ptr(&b->pe[n], f);
			if (x == y)
				continue;
			if (nc++ == 0)
				printf("PE counters differ:\n");
			if (nc <= MAX_LISTED)
				printf("  %s %s: expected %lld, got %lld\n", pe_desc(p, n, pd, sizeof pd),
				       sac_pe_count_name(f), (long long)x, (long long)y);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "pe", n);
			cJSON_AddStringToObject(o, "field", sac_pe_count_name(f));
			cJSON_AddNumberToObject(o, "expected", (double)x);
			cJSON_AddNumberToObject(o, "got", (double)y);
			cJSON_AddItemToArray(cj, o);
		}
	}
	if (nc > MAX_LISTED)
		printf("  ... %d counters differ in all\n", nc);
	ndiff += nc;
	if (a->cycles != b->cycles) {
		printf("cycles: expected %lld, got %lld\n", (long long)a->cycles, (long long)b->cycles);
		ndiff++;
	}
	if (a->steps != b->steps) {
		printf("steps: expected %lld, got %lld\n", (long long)a->steps, (long long)b->steps);
		ndiff++;
	}
	return ndiff;
}

int cli_cosim(int argc, char **argv)
{
	static const struct option lo[] = {
		{"input", required_argument, NULL, 'i'},
		{"index", required_argument, NULL, 'n'},
		{"rtl", required_argument, NULL, 'R'},
		{"trace", required_argument, NULL, 't'},
		{"max-cycles", required_argument, NULL, 'M'},
		{"timeout", required_argument, NULL, 'T'},
		{"json", required_argument, NULL, 'j'},
		{"expected", required_argument, NULL, 'E'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0}};
	const char *input = NULL, *rtl = NULL, *trace = NULL, *json = NULL, *expected = NULL;
	long index = 0, max_cycles = 0, timeout = 0;
	int quiet = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:n:t:j:q", lo, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 'R': rtl = optarg; break;
		case 't': trace = optarg; break;
		case 'j': json = optarg; break;
		case 'E': expected = optarg; break;
		case 'q': quiet = 1; break;
		case 'n':
			if (!cli_to_long(optarg, 0, LONG_MAX, &index))
				return usage_err("--index must be a non-negative integer, got", optarg);
			break;
		case 'M':
			if (!cli_to_long(optarg, 1, LONG_MAX, &max_cycles))
				return usage_err("--max-cycles must be a positive integer, got", optarg);
			break;
		case 'T':
			if (!cli_to_long(optarg, 1, 1000000, &timeout))
				return usage_err("--timeout wants seconds from 1 to 1000000, got", optarg);
			break;
		default:
			return usage_err(c == ':' ? "option needs a value:" : "unknown option",
					 argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_err("expected one NET.sac", NULL);
	if (!input)
		return usage_err("missing --input X.npy", NULL);
	const char *image = argv[optind];
	sac_err e = {0};
	sac_program p;
	if (sac_program_load(image, &p, &e))
		return cli_fail("cosim", e.msg);
	int rc = 0;
	char exe[PATH_MAX], m[sizeof e.msg + 1200];
	sac_tensor x = {0};
	const float *data = NULL;
	sac_rtl_result want = {0}, got = {0};
	collector col = {0};
	if (sac_rtlproc_find(&p, rtl, exe, sizeof exe, &e))
		rc = cli_fail("cosim", e.msg);
	if (!rc && sac_npy_read(input, &x, &e))
		rc = cli_fail("cosim", e.msg);
	if (!rc && sac_ref_input(p.g, &x, index, &data, &e)) {
		snprintf(m, sizeof m, "%s: %s", input, e.msg);
		rc = cli_fail("cosim", m);
	}
	int tty = !quiet && isatty(2);
	if (!rc) {
		if (tty)
			fprintf(stderr, "cosim: running the C simulator...\n");
		if (sim_result(&p, data, &col, &want, &e)) {
			snprintf(m, sizeof m, "C simulator: %s", e.msg);
			rc = cli_fail("cosim", m);
		}
	}
	if (!rc && expected && write_stream(expected, &want, &p)) {
		snprintf(m, sizeof m, "%s: cannot write: %s", expected, strerror(errno));
		rc = cli_fail("cosim", m);
	}
	if (!rc) {
		if (tty)
			fprintf(stderr, "cosim: running %s...\n", exe);
		sac_rtlproc_opts o;
		sac_rtlproc_opts_init(&o);
		o.exe = exe;
		o.image = image;
		o.input = input;
		o.index = index;
		o.trace = trace;
		o.max_cycles = max_cycles;
		o.quiet = quiet || !tty;
		o.timeout_s = (int)timeout;
		if (sac_rtlproc_run(&p, &o, &got, &e))
			rc = cli_fail("cosim", e.msg);
	}
	if (!rc) {
		/* Per CPU second: wall time on a shared machine says more about
		 * the neighbours than about the simulators. */
		double rtl_cps = got.cpu_seconds > 0 ? got.cycles / got.cpu_seconds : 0;
		double sim_cps = want.cpu_seconds > 0 ? want.cycles / want.cpu_seconds : 0;
		printf("cosim %s: model %s on %s (%dx%d mesh, %s), input %s[%ld]\n", image,
		       p.g->name, p.t.name, p.m->mesh_w, p.m->mesh_h, sac_uarch_name(p.t.uarch),
		       input, index);
		printf("C simulator: %lld spikes, %lld cycles in %.3f s (CPU %.3f s)\n",
		       (long long)want.nspikes, (long long)want.cycles, want.wall_seconds,
		       want.cpu_seconds);
		printf("RTL (%s): %lld spikes, %lld cycles in %.3f s (CPU %.3f s)\n", exe,
		       (long long)got.nspikes, (long long)got.cycles, got.wall_seconds,
		       got.cpu_seconds);
		cJSON *js = cJSON_CreateObject();
		cJSON_AddStringToObject(js, "saccade", SAC_VERSION_STRING);
		cJSON_AddStringToObject(js, "image", image);
		cJSON_AddStringToObject(js, "model", p.g->name);
		cJSON_AddStringToObject(js, "target", p.t.name);
		cJSON_AddStringToObject(js, "input", input);
		cJSON_AddNumberToObject(js, "index", (double)index);
		cJSON_AddStringToObject(js, "rtl", exe);
		int64_t first;
		int ncount, unrep;
		int nd = compare(&p, &want, &got, js, &first, &ncount, &unrep);
		if (unrep)
			printf("note: the RTL reported no router counts of %d PE%s without a region; "
			       "traffic crossing them was not compared\n", unrep, unrep == 1 ? "" : "s");
		cJSON_AddNumberToObject(js, "routers_not_reported", unrep);
		cJSON_AddBoolToObject(js, "identical", nd == 0);
		cJSON *cy = cJSON_AddObjectToObject(js, "cycles");
		cJSON_AddNumberToObject(cy, "expected", (double)want.cycles);
		cJSON_AddNumberToObject(cy, "got", (double)got.cycles);
		cJSON *st = cJSON_AddObjectToObject(js, "steps");
		cJSON_AddNumberToObject(st, "expected", (double)want.steps);
		cJSON_AddNumberToObject(st, "got", (double)got.steps);
		cJSON_AddNumberToObject(js, "counters", ncount);
		cJSON *sp = cJSON_AddObjectToObject(js, "speed");
		cJSON_AddNumberToObject(sp, "rtl_wall_s", got.wall_seconds);
		cJSON_AddNumberToObject(sp, "sim_wall_s", want.wall_seconds);
		cJSON_AddNumberToObject(sp, "rtl_cpu_s", got.cpu_seconds);
		cJSON_AddNumberToObject(sp, "sim_cpu_s", want.cpu_seconds);
		cJSON_AddNumberToObject(sp, "rtl_cycles_per_s", rtl_cps);
		cJSON_AddNumberToObject(sp, "sim_cycles_per_s", sim_cps);
		if (nd == 0)
			printf("identical: %lld spikes, %d logits, %d PE counters, %lld cycles; "
			       "RTL %.4g cycles/s, C sim %.4g cycles/s\n",
			       (long long)want.nspikes, want.nlogits, ncount, (long long)want.cycles,
			       rtl_cps, sim_cps);
		if (json)
			rc = cli_write_json("cosim", json, js);
		else
			cJSON_Delete(js);
		if (nd && !rc) {
			if (first >= 0)
				snprintf(m, sizeof m, "DIFFERENT: the RTL diverges from the C simulator at cycle %lld (%d difference%s)",
					 (long long)first, nd, nd == 1 ? "" : "s");
			else
				snprintf(m, sizeof m, "DIFFERENT: same spikes, but %d other differences (above)", nd);
			rc = cli_fail("cosim", m);
		} else if (nd) {
			rc = 1;
		}
	}
	free(col.v);
	sac_rtl_result_free(&want);
	sac_rtl_result_free(&got);
	sac_tensor_free(&x);
	sac_program_free(&p);
	return rc;
}

void cli_cosim_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade cosim - co-simulate an image on the RTL and the C simulator\n\n"
"SYNOPSIS\n"
"    saccade cosim NET.sac --input X.npy [--index N] [--rtl EXE]\n"
"                  [--trace T.vcd] [--max-cycles N] [--timeout SEC]\n"
"                  [--json R.json] [--expected S.txt] [--quiet]\n\n"
"DESCRIPTION\n"
"    Runs image N of X.npy (default 0) on the cycle-accurate C simulator, in\n"
"    this process, and on the Verilated RTL of the image's target, the\n"
"    program saccade-rtl-<target> run as a child process (its stderr is\n"
"    passed through), then compares every spike (the PE, its local neuron,\n"
"    the global step and the cycle in which the PE's spike unit emitted it),\n"
"    every integer logit, every counter of every PE holding a region (the\n"
"    SRAM accesses, operations, packets, active cycles and router and link\n"
"    flits that make the energy) and the router counts of the other PEs\n"
"    (which traffic may cross), the cycle count and the step count.  The\n"
"    two must be identical: that is the numerics contract of\n"
"    docs/ARCHITECTURE.md.\n\n"
"    The first divergence of the spike sequences is reported at the\n"
"    earliest cycle where one side emitted a spike the other did not, with\n"
"    the PE, its layer and mesh position, and what each side did:\n\n"
"        DIVERGENCE at cycle 1234: PE 5 (layer conv2, node (1,1))\n"
"          expected (C simulator): spike of neuron 17 (c 3, y 2, x 1) at step 9\n"
"          got (RTL):              no spike (the RTL fires that neuron at ...)\n\n"
"    followed by the differing logits and counters (the first 20 of each)\n"
"    and the cycle and step counts.  When everything agrees it prints\n\n"
"        identical: N spikes, M logits, K PE counters, C cycles;\n"
"        RTL X cycles/s, C sim Y cycles/s\n\n"
"    with the simulated cycles per CPU second of each side (the RTL's from\n"
"    its start to its exit, the simulator's of the run alone).\n\n"
"    The RTL's output is checked strictly (docs/RTL.md, the stream format):\n"
"    a malformed, out-of-range, duplicated or missing record, a truncated\n"
"    stream, a non-zero exit or a signal is an error naming the stream's\n"
"    line or the exit status.\n\n"
"OPTIONS\n"
"    -i, --input X.npy    the input, float32 [C,H,W] or [N,C,H,W] in [0, 1]\n"
"    -n, --index N        which image of a batch (default 0)\n"
"    --rtl EXE            the RTL executable; default: saccade-rtl-<target>\n"
"                         in $SACCADE_RTL_DIR, else where 'make install' put\n"
"                         it (the error lists the places it looked)\n"
"    -t, --trace T.vcd    the RTL writes its waveforms there (signal names\n"
"                         as in 'saccade sim --trace' where they mean the\n"
"                         same thing)\n"
"    --max-cycles N       the RTL gives up (exit 2) after N cycles\n"
"    --timeout SEC        kill the RTL after SEC seconds of wall time\n"
"    -j, --json R.json    write the comparison as JSON: identical, spike\n"
"                         counts and the first divergence, every differing\n"
"                         logit and counter, cycles, steps, speeds\n"
"    --expected S.txt     write the C simulator's results in the RTL's\n"
"                         stream format, to diff against the RTL's output\n"
"    -q, --quiet          no progress output (on a terminal, cosim says\n"
"                         which side runs; the RTL shows its progress)\n\n"
"ENVIRONMENT\n"
"    SACCADE_RTL_DIR      a directory holding saccade-rtl-<target> programs\n"
"                         (e.g. the build tree's rtl/), searched first\n\n"
"EXIT STATUS\n"
"    0 identical; 1 any difference, or an error (bad image or input, no RTL\n"
"    executable, the RTL failed or wrote a bad stream); 2 bad usage.\n\n"
"EXAMPLE\n"
"    saccade compile model.yaml --weights w.npz --target tiny.yaml -o net.sac\n"
"    SACCADE_RTL_DIR=build/rtl saccade cosim net.sac --input x.npy --json r.json\n");
}
