/* cmd_noc.c: `saccade noc`: the NoC alone under synthetic traffic.
 *
 * One rate prints a report (text or JSON); --sweep runs a series of rates
 * up to the first saturated one and prints the latency/throughput curve,
 * optionally as CSV and as a self-contained SVG picture.  Saturation is a
 * result (exit 0), never an abort: the point of the sweep is to find it.
 * Usage errors (bad option values, checked by the library's own
 * sac_traffic_check_opts so messages agree) exit 2 before anything runs;
 * a bad target or a pattern the mesh cannot have exits 1. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "saccade/traffic.h"

static int usage_err(const char *msg, const char *arg)
{
	fprintf(stderr, "saccade noc: %s%s%s (see 'saccade help noc')\n", msg,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

typedef struct point {
	double rate;
	sac_traffic_result r;
} point;

typedef struct prog { /* progress line context */
	int i, n;
	double rate;
} prog;

static void progress(void *ctx, int64_t cycle, int64_t mend)
{
	const prog *p = ctx;
	if (p->n > 1)
		fprintf(stderr, "\rrate %-8g (%d/%d): ", p->rate, p->i + 1, p->n);
	else
		fprintf(stderr, "\r");
	if (cycle < mend)
		fprintf(stderr, "cycle %lld of %lld   ", (long long)cycle, (long long)mend);
	else
		fprintf(stderr, "draining, cycle %lld", (long long)cycle);
}

static int parse_i64(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	*v = x;
	return 0;
}

static int parse_dbl(const char *s, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

/* "R0:R1:STEP" into rates; 0 or a message. */
static const char *parse_sweep(const char *s, double **rates, int *n)
{
	char buf[256];
	double a, b, st;
	if (strlen(s) >= sizeof buf)
		return "--sweep: too long";
	strcpy(buf, s);
	char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return "--sweep wants R0:R1:STEP, got";
	*c1 = *c2 = 0;
	if (parse_dbl(buf, &a) || parse_dbl(c1 + 1, &b) || parse_dbl(c2 + 1, &st))
		return "--sweep wants three numbers R0:R1:STEP, got";
	if (!(a > 0 && b <= 1 && a <= b))
		return "--sweep rates must satisfy 0 < R0 <= R1 <= 1, got";
	if (!(st > 0))
		return "--sweep STEP must be > 0, got";
	double k = floor((b - a) / st + 1e-9);
	if (k > 9999)
		return "--sweep has more than 10000 rates:";
	*n = (int)k + 1;
	*rates = malloc(*n * sizeof **rates);
	if (!*rates)
		return "out of memory";
	for (int i = 0; i < *n; i++) /* no accumulated rounding: 0.3, not 0.30000000000000004 */
		(*rates)[i] = round((a + i * st) * 1e9) / 1e9;
	return NULL;
}

static void describe_target(const sac_target *t, FILE *f)
{
	const sac_noc_params *q = &t->noc;
	fprintf(f, "NoC of %s: %dx%d mesh, %d VCs x %d flits, %d-bit flits, "
		"router rc/va/sa/st %d/%d/%d/%d, link %d, credit %d cycles, "
		"queues %d in / %d out packets\n",
		t->name, t->mesh_w, t->mesh_h, q->vcs, q->buffer_depth, q->flit_bits,
		q->route_delay, q->vc_delay, q->switch_delay, q->xbar_delay,
		q->link_delay, q->credit_delay, t->pe.in_fifo, t->pe.out_fifo);
}

static const char *pattern_desc(const sac_traffic_opts *o, char *buf, size_t n)
{
	if (o->pattern == SAC_TRAFFIC_HOTSPOT)
		snprintf(buf, n, "hotspot (%g to node %d)", o->hotspot_frac, o->hotspot_node);
	else
		snprintf(buf, n, "%s", sac_traffic_pattern_name(o->pattern));
	return buf;
}

static void print_report(const sac_target *t, const sac_traffic_opts *o,
			 const sac_traffic_result *r)
{
	char pd[128];
	describe_target(t, stdout);
	printf("traffic: %s, offered %g flits/node/cycle, %d-flit packets, seed %llu\n",
	       pattern_desc(o, pd, sizeof pd), o->rate, o->length,
	       (unsigned long long)o->seed);
	printf("phases: warm-up %lld, measurement %lld, drain %lld cycles "
	       "(%lld simulated)\n", (long long)o->warmup, (long long)o->measure,
	       (long long)r->drain_cycles, (long long)r->cycles);
	printf("accepted throughput: %.4f flits/node/cycle (created %.4f)\n",
	       r->accepted, r->created);
	printf("latency (cycles): avg %.2f  p50 %lld  p95 %lld  p99 %lld  max %lld "
	       "(zero-load %.2f)\n", r->lat_avg, (long long)r->lat_p50,
	       (long long)r->lat_p95, (long long)r->lat_p99, (long long)r->lat_max,
	       r->zero_load_avg);
	printf("hops: avg %.3f\n", r->hops_avg);
	printf("packets measured: %llu (%llu delivered)\n",
	       (unsigned long long)r->packets, (unsigned long long)r->delivered);
	if (r->saturated)
		printf("SATURATED: %s\n", sac_traffic_sat_reason(r->saturated));
	else
		printf("saturated: no\n");
}

static cJSON *target_json(const sac_target *t)
{
	const sac_noc_params *q = &t->noc;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddNumberToObject(o, "mesh_w", t->mesh_w);
	cJSON_AddNumberToObject(o, "mesh_h", t->mesh_h);
	cJSON_AddNumberToObject(o, "flit_bits", q->flit_bits);
	cJSON_AddNumberToObject(o, "vcs", q->vcs);
	cJSON_AddNumberToObject(o, "buffer_depth", q->buffer_depth);
	cJSON_AddNumberToObject(o, "route_delay", q->route_delay);
	cJSON_AddNumberToObject(o, "vc_delay", q->vc_delay);
	cJSON_AddNumberToObject(o, "switch_delay", q->switch_delay);
	cJSON_AddNumberToObject(o, "xbar_delay", q->xbar_delay);
	cJSON_AddNumberToObject(o, "link_delay", q->link_delay);
	cJSON_AddNumberToObject(o, "credit_delay", q->credit_delay);
	cJSON_AddNumberToObject(o, "in_fifo", t->pe.in_fifo);
	cJSON_AddNumberToObject(o, "out_fifo", t->pe.out_fifo);
	return o;
}

static cJSON *traffic_json(const sac_traffic_opts *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "pattern", sac_traffic_pattern_name(o->pattern));
	if (o->pattern == SAC_TRAFFIC_HOTSPOT) {
		cJSON_AddNumberToObject(j, "hotspot_fraction", o->hotspot_frac);
		cJSON_AddNumberToObject(j, "hotspot_node", o->hotspot_node);
	}
	cJSON_AddNumberToObject(j, "length", o->length);
	cJSON_AddNumberToObject(j, "warmup", (double)o->warmup);
	cJSON_AddNumberToObject(j, "measure", (double)o->measure);
	cJSON_AddNumberToObject(j, "seed", (double)o->seed);
	return j;
}

static cJSON *result_json(const sac_traffic_result *r)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "offered", r->offered);
	cJSON_AddNumberToObject(j, "created", r->created);
	cJSON_AddNumberToObject(j, "accepted", r->accepted);
	cJSON *l = cJSON_AddObjectToObject(j, "latency");
	cJSON_AddNumberToObject(l, "avg", r->lat_avg);
	cJSON_AddNumberToObject(l, "min", (double)r->lat_min);
	cJSON_AddNumberToObject(l, "p50", (double)r->lat_p50);
	cJSON_AddNumberToObject(l, "p95", (double)r->lat_p95);
	cJSON_AddNumberToObject(l, "p99", (double)r->lat_p99);
	cJSON_AddNumberToObject(l, "max", (double)r->lat_max);
	cJSON_AddNumberToObject(l, "zero_load_avg", r->zero_load_avg);
	cJSON_AddNumberToObject(j, "hops_avg", r->hops_avg);
	cJSON_AddNumberToObject(j, "packets", (double)r->packets);
	cJSON_AddNumberToObject(j, "delivered", (double)r->delivered);
	cJSON_AddBoolToObject(j, "saturated", r->saturated != 0);
	if (r->saturated)
		cJSON_AddStringToObject(j, "saturation_reason", sac_traffic_sat_reason(r->saturated));
	cJSON_AddNumberToObject(j, "flits_delivered", (double)r->flits_delivered);
	cJSON_AddNumberToObject(j, "cycles", (double)r->cycles);
	cJSON_AddNumberToObject(j, "drain_cycles", (double)r->drain_cycles);
	cJSON_AddNumberToObject(j, "max_backlog_packets", (double)r->max_backlog);
	return j;
}

static int print_json(cJSON *root)
{
	return cli_write_json("noc", NULL, root);
}

/* ---- the curve as CSV and SVG ---------------------------------------------- */

static int write_csv(FILE *f, const point *p, int n)
{
	fprintf(f, "offered,created,accepted,lat_avg,lat_p50,lat_p95,lat_p99,"
		"lat_max,zero_load_avg,hops_avg,packets,saturated\n");
	for (int i = 0; i < n; i++) {
		const sac_traffic_result *r = &p[i].r;
		fprintf(f, "%g,%.6f,%.6f,%.4f,%lld,%lld,%lld,%lld,%.4f,%.4f,%llu,%d\n",
			p[i].rate, r->created, r->accepted, r->lat_avg,
			(long long)r->lat_p50, (long long)r->lat_p95,
			(long long)r->lat_p99, (long long)r->lat_max, r->zero_load_avg,
			r->hops_avg, (unsigned long long)r->packets, r->saturated != 0);
	}
	return ferror(f) ? -1 : 0;
}

/* A "nice" tick step (1, 2 or 5 x 10^k) giving about 5 ticks up to v. */
static double tick_step(double v)
{
	if (!(v > 0))
		return 1;
	double raw = v / 5, m = pow(10, floor(log10(raw))), r = raw / m;
	return m * (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10);
}

typedef struct axes { /* one plot: data range -> pixel box */
	double x0, x1, y0, y1;    /* data */
	double px, py, pw, ph;    /* pixels: left, top, width, height */
} axes;

static double X(const axes *a, double x) { return a->px + (x - a->x0) / (a->x1 - a->x0) * a->pw; }
static double Y(const axes *a, double y) { return a->py + a->ph - (y - a->y0) / (a->y1 - a->y0) * a->ph; }

static void svg_axes(FILE *f, const axes *a, double xs, double ys,
		     const char *xlabel, const char *ylabel, const char *title)
{
	fprintf(f, "<g class=\"axes\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" fill=\"#fff\" stroke=\"#444\"/>\n",
		a->px, a->py, a->pw, a->ph);
	for (double x = a->x0; x <= a->x1 + xs * 1e-6; x += xs) {
		double px = X(a, x);
		fprintf(f, "<line class=\"xtick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">%g</text>\n",
			px, a->py, px, a->py + a->ph, px, a->py + a->ph + 16,
			round(x / xs) * xs);
	}
	for (double y = a->y0; y <= a->y1 + ys * 1e-6; y += ys) {
		double py = Y(a, y);
		fprintf(f, "<line class=\"ytick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n",
			a->px, py, a->px + a->pw, py, a->px - 6, py + 4,
			round(y / ys) * ys);
	}
	fprintf(f, "<text class=\"xlabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
		a->px + a->pw / 2, a->py + a->ph + 36, xlabel);
	fprintf(f, "<text class=\"ylabel\" transform=\"translate(%.1f,%.1f) rotate(-90)\" "
		"text-anchor=\"middle\">%s</text>\n", a->px - 48, a->py + a->ph / 2, ylabel);
	fprintf(f, "<text class=\"plot-title\" x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">%s</text>\n</g>\n",
		a->px, a->py - 8, title);
}

/* One series: polyline through the points, a circle per point (hollow
 * red when saturated); values above the plot are drawn at its top, their
 * value printed in row `row` below the edge so that series do not collide. */
static void svg_series(FILE *f, const axes *a, const point *p, int n,
		       double (*val)(const sac_traffic_result *), const char *cls,
		       const char *colour, int dashed, int row)
{
	fprintf(f, "<g class=\"series %s\">\n<polyline fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"2\"%s points=\"", cls, colour,
		dashed ? " stroke-dasharray=\"6 3\"" : "");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", X(a, p[i].rate),
			Y(a, fmin(val(&p[i].r), a->y1)));
	fprintf(f, "\"/>\n");
	for (int i = 0; i < n; i++) {
		double v = val(&p[i].r);
		fprintf(f, "<circle class=\"point\" data-offered=\"%g\" data-value=\"%g\" "
			"data-saturated=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			"fill=\"%s\" stroke=\"%s\"><title>offered %g: %g%s</title></circle>\n",
			p[i].rate, v, p[i].r.saturated != 0, X(a, p[i].rate),
			Y(a, fmin(v, a->y1)), p[i].r.saturated ? "none" : colour,
			p[i].r.saturated ? "#c00" : colour, p[i].rate, v,
			p[i].r.saturated ? " (saturated)" : "");
		if (v > a->y1)
			fprintf(f, "<text class=\"clipped\" x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"end\" fill=\"#c00\">%.0f &#8593;</text>\n",
				X(a, p[i].rate) - 6, Y(a, a->y1) + 14 + 14 * row, v);
	}
	fprintf(f, "</g>\n");
}

static double v_avg(const sac_traffic_result *r) { return r->lat_avg; }
static double v_p99(const sac_traffic_result *r) { return (double)r->lat_p99; }
static double v_acc(const sac_traffic_result *r) { return r->accepted; }

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static int write_svg(FILE *f, const sac_target *t, const sac_traffic_opts *o,
		     const point *p, int n)
{
	const int W = 720, H = 720;
	char pd[128];
	double xmax = 0, lmax = 0, amax = 0, zl = n ? p[0].r.zero_load_avg : 0;
	for (int i = 0; i < n; i++) {
		xmax = fmax(xmax, p[i].rate);
		amax = fmax(amax, fmax(p[i].r.accepted, p[i].rate));
		/* Saturated latencies grow with the run length: scale the
		 * plot to the stable points, clip the others at the top. */
		if (!p[i].r.saturated || i == 0)
			lmax = fmax(lmax, (double)p[i].r.lat_p99);
	}
	/* Near saturation the p99 explodes; 10 x zero-load keeps the knee
	 * readable (clipped values are printed at the top edge). */
	if (zl > 0 && lmax > 10 * zl)
		lmax = 10 * zl;
	double xs = tick_step(xmax), ls = tick_step(lmax * 1.1), as = tick_step(amax);
	axes la = {0, ceil(xmax / xs - 1e-9) * xs, 0, ceil(lmax * 1.1 / ls) * ls, 90, 80, 600, 240};
	axes ta = {la.x0, la.x1, 0, ceil(amax / as - 1e-9) * as, 90, 400, 600, 220};
	if (la.y1 <= 0)
		la.y1 = 1;
	if (ta.y1 <= 0)
		ta.y1 = 1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		W, H, W, H);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n", W, H);
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"28\" text-anchor=\"middle\" "
		"font-size=\"16\" font-weight=\"bold\">", W / 2);
	xml_text(f, t->name);
	fprintf(f, ": %dx%d mesh, %s traffic, %d-flit packets</text>\n", t->mesh_w,
		t->mesh_h, pattern_desc(o, pd, sizeof pd), o->length);
	fprintf(f, "<text x=\"%d\" y=\"48\" text-anchor=\"middle\" fill=\"#555\">"
		"%d VCs x %d flits, router %d+%d+%d+%d, link %d, credit %d cycles; "
		"warm-up %lld, measurement %lld cycles, seed %llu</text>\n", W / 2,
		t->noc.vcs, t->noc.buffer_depth, t->noc.route_delay, t->noc.vc_delay,
		t->noc.switch_delay, t->noc.xbar_delay, t->noc.link_delay,
		t->noc.credit_delay, (long long)o->warmup, (long long)o->measure,
		(unsigned long long)o->seed);
	svg_axes(f, &la, xs, ls, "offered load (flits/node/cycle)", "latency (cycles)",
		 "Latency against offered load");
	svg_series(f, &la, p, n, v_p99, "lat-p99", "#e08a00", 1, 0);
	svg_series(f, &la, p, n, v_avg, "lat-avg", "#1f5fb4", 0, 1);
	svg_axes(f, &ta, xs, as, "offered load (flits/node/cycle)",
		 "accepted (flits/node/cycle)", "Accepted throughput against offered load");
	/* The ideal: everything offered is accepted. */
	double top = fmin(ta.x1, ta.y1);
	fprintf(f, "<line class=\"ideal\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n",
		X(&ta, 0), Y(&ta, 0), X(&ta, top), Y(&ta, top));
	svg_series(f, &ta, p, n, v_acc, "accepted", "#2a8a3a", 0, 0);
	/* Legend. */
	static const struct { const char *name, *colour; int dash; } leg[] = {
		{"average latency", "#1f5fb4", 0}, {"p99 latency", "#e08a00", 1},
		{"accepted throughput", "#2a8a3a", 0}, {"accepted = offered", "#999", 1}};
	fprintf(f, "<g class=\"legend\">\n");
	static const int lx[] = {90, 240, 370, 540};
	for (int i = 0; i < 4; i++) {
		int x = lx[i];
		fprintf(f, "<line x1=\"%d\" y1=\"678\" x2=\"%d\" y2=\"678\" stroke=\"%s\" "
			"stroke-width=\"2\"%s/><text x=\"%d\" y=\"682\">%s</text>\n",
			x, x + 22, leg[i].colour, leg[i].dash ? " stroke-dasharray=\"6 3\"" : "",
			x + 28, leg[i].name);
	}
	fprintf(f, "<circle cx=\"101\" cy=\"698\" r=\"3.5\" fill=\"none\" stroke=\"#c00\"/>"
		"<text x=\"118\" y=\"702\">saturated point (values above a plot are drawn "
		"at its top edge)</text>\n</g>\n</svg>\n");
	return ferror(f) ? -1 : 0;
}

static int write_file(const char *path, int (*fn)(FILE *, const void *), const void *ctx)
{
	char m[1200];
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(m, sizeof m, "cannot create %s: %s", path, strerror(errno));
		return cli_fail("noc", m);
	}
	int bad = fn(f, ctx);
	/* fclose flushes: a full disk may only show here. */
	if (fclose(f) || bad) {
		snprintf(m, sizeof m, "cannot write %s: %s", path,
			 errno ? strerror(errno) : "write error");
		return cli_fail("noc", m);
	}
	return 0;
}

typedef struct curve {
	const sac_target *t;
	const sac_traffic_opts *o;
	const point *p;
	int n;
} curve;

static int csv_fn(FILE *f, const void *c)
{
	const curve *k = c;
	return write_csv(f, k->p, k->n);
}

static int svg_fn(FILE *f, const void *c)
{
	const curve *k = c;
	return write_svg(f, k->t, k->o, k->p, k->n);
}

/* ---- the command --------------------------------------------------------- */

int cli_noc(int argc, char **argv)
{
	static const struct option lo[] = {
		{"target", required_argument, NULL, 't'},
		{"mesh", required_argument, NULL, 'm'},
		{"traffic", required_argument, NULL, 'p'},
		{"rate", required_argument, NULL, 'r'},
		{"sweep", required_argument, NULL, 'S'},
		{"length", required_argument, NULL, 'l'},
		{"warmup", required_argument, NULL, 'w'},
		{"measure", required_argument, NULL, 'M'},
		{"drain-limit", required_argument, NULL, 'd'},
		{"seed", required_argument, NULL, 's'},
		{"hotspot", required_argument, NULL, 'H'},
		{"csv", required_argument, NULL, 'c'},
		{"svg", required_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0}};
	const char *tpath = NULL, *sweep = NULL, *csv = NULL, *svg = NULL, *pattern = NULL;
	const char *mesh = NULL, *hotspot = NULL;
	int json = 0, quiet = 0, have_rate = 0;
	sac_traffic_opts o;
	sac_traffic_opts_init(&o);
	sac_err e = {0};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":t:m:p:r:S:l:w:M:d:s:H:c:g:jq", lo, NULL)) != -1) {
		int64_t v;
		switch (c) {
		case 't': tpath = optarg; break;
		case 'm': mesh = optarg; break;
		case 'p': pattern = optarg; break;
		case 'S': sweep = optarg; break;
		case 'c': csv = optarg; break;
		case 'g': svg = optarg; break;
		case 'H': hotspot = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'r':
			if (parse_dbl(optarg, &o.rate))
				return usage_err("--rate wants a number, got", optarg);
			have_rate = 1;
			break;
		case 'l':
			if (parse_i64(optarg, &v) || v < INT32_MIN || v > INT32_MAX)
				return usage_err("--length wants an integer, got", optarg);
			o.length = (int)v;
			break;
		case 'w':
			if (parse_i64(optarg, &o.warmup))
				return usage_err("--warmup wants an integer, got", optarg);
			break;
		case 'M':
			if (parse_i64(optarg, &o.measure))
				return usage_err("--measure wants an integer, got", optarg);
			break;
		case 'd':
			if (parse_i64(optarg, &o.drain_limit))
				return usage_err("--drain-limit wants an integer, got", optarg);
			break;
		case 's':
			if (parse_i64(optarg, &v) || v < 0)
				return usage_err("--seed wants a non-negative integer, got", optarg);
			o.seed = (uint64_t)v;
			break;
		default:
			return usage_err(c == ':' ? "option needs a value:" : "unknown option",
					 argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_err("unexpected argument", argv[optind]);
	if (!pattern)
		return usage_err("missing --traffic PATTERN", NULL);
	if (have_rate == !!sweep)
		return usage_err(sweep ? "give --rate or --sweep, not both"
				       : "missing --rate R or --sweep R0:R1:STEP", NULL);
	if (sac_traffic_parse_pattern(pattern, &o, &e))
		return usage_err(e.msg, NULL);
	double *rates = NULL;
	int nrates = 1;
	if (sweep) {
		const char *m = parse_sweep(sweep, &rates, &nrates);
		if (m)
			return usage_err(m, sweep);
		o.rate = rates[0];
	}
	if (sac_traffic_check_opts(&o, &e)) {
		free(rates);
		return usage_err(e.msg, NULL);
	}
	sac_target t;
	sac_target_default(&t);
	if (tpath && sac_target_load(tpath, &t, &e)) {
		free(rates);
		return cli_fail("noc", e.msg);
	}
	if (mesh) {
		int w, h;
		char tail;
		if (sscanf(mesh, "%dx%d%c", &w, &h, &tail) != 2 || w < 1 || h < 1) {
			free(rates);
			return usage_err("--mesh wants WxH (e.g. 8x8), got", mesh);
		}
		t.mesh_w = w;
		t.mesh_h = h;
	}
	if (hotspot && o.pattern != SAC_TRAFFIC_HOTSPOT) {
		free(rates);
		return usage_err("--hotspot X,Y goes with --traffic hotspot", NULL);
	}
	if (hotspot) {
		int x, y;
		char tail;
		if (sscanf(hotspot, "%d,%d%c", &x, &y, &tail) != 2) {
			free(rates);
			return usage_err("--hotspot wants X,Y, got", hotspot);
		}
		if (x < 0 || y < 0 || x >= t.mesh_w || y >= t.mesh_h) {
			char m[256];
			snprintf(m, sizeof m, "--hotspot %d,%d is not on the %dx%d mesh",
				 x, y, t.mesh_w, t.mesh_h);
			free(rates);
			return cli_fail("noc", m);
		}
		o.hotspot_node = y * t.mesh_w + x;
	}
	if (o.hotspot_node < 0 && t.mesh_w > 0 && t.mesh_h > 0)
		o.hotspot_node = t.mesh_h / 2 * t.mesh_w + t.mesh_w / 2;

	point *pts = calloc(nrates, sizeof *pts);
	if (!pts) {
		free(rates);
		return cli_fail("noc", "out of memory");
	}
	prog pg = {0, sweep ? nrates : 1, o.rate};
	if (!quiet && isatty(2)) {
		o.progress = progress;
		o.progress_ctx = &pg;
	}
	int n = 0, rc = 0;
	for (; n < nrates; n++) {
		o.rate = sweep ? rates[n] : o.rate;
		pg.i = n;
		pg.rate = o.rate;
		pts[n].rate = o.rate;
		if (sac_traffic_run(&t, &o, &pts[n].r, &e)) {
			if (o.progress)
				fprintf(stderr, "\n");
			rc = cli_fail("noc", e.msg);
			break;
		}
		if (pts[n].r.saturated) {
			n++;
			break;
		}
	}
	if (o.progress)
		fprintf(stderr, "\r%60s\r", "");
	free(rates);
	if (rc) {
		free(pts);
		return rc;
	}
	/* The last stable point and the first saturated one. */
	int sat = n && pts[n - 1].r.saturated ? n - 1 : -1, stable = sat >= 0 ? sat - 1 : n - 1;
	if (!sweep) {
		if (json) {
			cJSON *root = cJSON_CreateObject();
			cJSON_AddStringToObject(root, "saccade", SAC_VERSION_STRING);
			cJSON_AddItemToObject(root, "target", target_json(&t));
			cJSON_AddItemToObject(root, "traffic", traffic_json(&o));
			cJSON_AddItemToObject(root, "result", result_json(&pts[0].r));
			rc = print_json(root);
		} else {
			print_report(&t, &o, &pts[0].r);
		}
	} else if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "saccade", SAC_VERSION_STRING);
		cJSON_AddItemToObject(root, "target", target_json(&t));
		cJSON_AddItemToObject(root, "traffic", traffic_json(&o));
		cJSON *a = cJSON_AddArrayToObject(root, "points");
		for (int i = 0; i < n; i++)
			cJSON_AddItemToArray(a, result_json(&pts[i].r));
		cJSON *s = cJSON_AddObjectToObject(root, "saturation");
		cJSON_AddBoolToObject(s, "reached", sat >= 0);
		if (stable >= 0)
			cJSON_AddNumberToObject(s, "last_stable_rate", pts[stable].rate);
		if (sat >= 0) {
			cJSON_AddNumberToObject(s, "rate", pts[sat].rate);
			cJSON_AddNumberToObject(s, "throughput", pts[sat].r.accepted);
		}
		rc = print_json(root);
	} else {
		char pd[128];
		describe_target(&t, stdout);
		printf("traffic: %s, %d-flit packets, warm-up %lld, measurement %lld "
		       "cycles, seed %llu\n\n", pattern_desc(&o, pd, sizeof pd), o.length,
		       (long long)o.warmup, (long long)o.measure, (unsigned long long)o.seed);
		printf("%8s %8s %9s %6s %6s %6s %7s %7s %6s %9s  %s\n", "offered",
		       "accepted", "lat_avg", "p50", "p95", "p99", "max", "zero-ld",
		       "hops", "packets", "state");
		for (int i = 0; i < n; i++) {
			const sac_traffic_result *r = &pts[i].r;
			printf("%8g %8.4f %9.2f %6lld %6lld %6lld %7lld %7.2f %6.3f %9llu  %s\n",
			       pts[i].rate, r->accepted, r->lat_avg, (long long)r->lat_p50,
			       (long long)r->lat_p95, (long long)r->lat_p99,
			       (long long)r->lat_max, r->zero_load_avg, r->hops_avg,
			       (unsigned long long)r->packets,
			       r->saturated ? "SATURATED" : "stable");
		}
		printf("\n");
		if (sat >= 0) {
			printf("saturation at offered %g: %s\n", pts[sat].rate,
			       sac_traffic_sat_reason(pts[sat].r.saturated));
			if (stable >= 0)
				printf("last stable rate: %g (average latency %.2f cycles)\n",
				       pts[stable].rate, pts[stable].r.lat_avg);
			else
				printf("last stable rate: none (saturated at the first rate)\n");
			printf("saturation throughput: %.4f flits/node/cycle\n", pts[sat].r.accepted);
		} else {
			printf("no saturation up to offered %g\n", pts[n - 1].rate);
		}
	}
	curve k = {&t, &o, pts, n};
	if (!rc && csv && !(rc = write_file(csv, csv_fn, &k)) && !json)
		printf("wrote %s\n", csv);
	if (!rc && svg && !(rc = write_file(svg, svg_fn, &k)) && !json)
		printf("wrote %s\n", svg);
	free(pts);
	return rc;
}

void cli_noc_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade noc - the network-on-chip alone under synthetic traffic\n\n"
"SYNOPSIS\n"
"    saccade noc [--target T.yaml] [--mesh WxH] --traffic PATTERN --rate R\n"
"                [--length L] [--warmup W] [--measure M] [--seed S]\n"
"                [--hotspot X,Y] [--drain-limit N] [--json] [--quiet]\n"
"    saccade noc ... --traffic PATTERN --sweep R0:R1:STEP [--csv C.csv]\n"
"                [--svg P.svg] [--json]\n\n"
"DESCRIPTION\n"
"    Runs the target's mesh of routers (docs/NOC.md) with no PEs but\n"
"    traffic generators: in every cycle each node creates a packet of L\n"
"    flits with probability R/L (Bernoulli injection of R flits per node\n"
"    per cycle), addressed by PATTERN.  Packets wait in an unbounded source\n"
"    queue in front of the router's injection queue, and each node consumes\n"
"    every packet delivered to it at once.  Latency is measured from\n"
"    creation (source queueing included) to the arrival of the tail.\n\n"
"    A run has three phases: warm-up (W cycles; packets created then are\n"
"    not measured), measurement (M cycles; packets created then are\n"
"    measured, and the flits delivered then give the accepted throughput)\n"
"    and drain (the sources keep injecting until every measured packet has\n"
"    arrived).  It prints the offered load, the accepted throughput, the\n"
"    average, p50, p95, p99 and maximum latency of the measured packets\n"
"    next to their average zero-load latency, the average hops and the\n"
"    number of measured packets.\n\n"
"    Saturation is a result, not a failure: the run is SATURATED when the\n"
"    flits delivered during measurement fall short of those created (the\n"
"    backlog grows) by more than 1%% of them and more than half the mean\n"
"    backlog, or when the drain lasts longer than the drain limit (the\n"
"    backlog is not draining).  The sources then stop and the network is\n"
"    emptied, so every measured packet is still delivered and counted;\n"
"    its latency then grows with M and only says 'beyond saturation'.\n\n"
"    With --sweep the rates R0, R0+STEP, ... up to R1 run one after the\n"
"    other, until the first saturated one; a table gives one line per rate,\n"
"    then the saturation rate, the last stable rate and the saturation\n"
"    throughput (the accepted throughput at the saturated rate).\n\n"
"PATTERNS\n"
"    uniform      every other node equally likely\n"
"    transpose    (x,y) -> (y,x); square meshes (the diagonal sends to itself)\n"
"    bitcomp      node id i -> ~i (mod the node count), i.e. (x,y) ->\n"
"                 (W-1-x, H-1-y); meshes whose sides are powers of two\n"
"    hotspot[:F]  a fraction F (default 0.1) of the packets to the hotspot\n"
"                 node (default the centre, (W/2, H/2)), the rest uniform;\n"
"                 the hotspot's own packets are all uniform\n"
"    neighbour    one of the up-to-4 mesh neighbours, equally likely\n"
"    tornado      (x + ceil(W/2) - 1 mod W, y + ceil(H/2) - 1 mod H)\n\n"
"OPTIONS\n"
"    -t, --target T.yaml   the target (default: the built-in default, as\n"
"                          examples/targets/yoso.yaml: 16x16)\n"
"    -m, --mesh WxH        override the target's mesh size\n"
"    -p, --traffic P       the pattern (above)\n"
"    -r, --rate R          offered flits per node per cycle, in (0, 1]\n"
"    -S, --sweep R0:R1:STEP  a series of rates (0 < R0 <= R1 <= 1)\n"
"    -l, --length L        flits per packet (default 1, a spike)\n"
"    -w, --warmup W        warm-up cycles (default 2000)\n"
"    -M, --measure M       measurement cycles (default 10000)\n"
"    -d, --drain-limit N   cycles the loaded drain may last (default\n"
"                          20 x M + 20 x the corner-to-corner zero-load latency)\n"
"    -s, --seed S          random seed (default 1); a seed gives one result\n"
"    -H, --hotspot X,Y     the hotspot node\n"
"    -c, --csv C.csv       write the points (one line per rate) as CSV\n"
"    -g, --svg P.svg       draw the curves: latency (average and p99)\n"
"                          against offered load, and accepted throughput\n"
"                          against offered load; a self-contained SVG\n"
"    -j, --json            print the report (or the sweep) as JSON\n"
"    -q, --quiet           no progress line (it appears only on a terminal)\n\n"
"EXIT STATUS\n"
"    0 success, including a saturated run or sweep; 1 error (bad target,\n"
"    a pattern the mesh cannot have, a file not written); 2 bad usage\n"
"    (unknown pattern, rate outside (0, 1], length < 1, ...).\n\n"
"EXAMPLES\n"
"    saccade noc --mesh 8x8 --traffic uniform --rate 0.1\n"
"    saccade noc --target examples/targets/small.yaml --traffic transpose \\\n"
"        --sweep 0.02:1:0.02 --csv transpose.csv --svg transpose.svg\n");
}
