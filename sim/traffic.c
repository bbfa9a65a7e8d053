/* traffic.c: synthetic traffic on the NoC alone (include/saccade/traffic.h).
 *
 * One run drives a sac_noc through the public API only.  Every cycle c,
 * in this order: the PEs pop every packet visible in their ejection
 * queues (it arrived in cycle c - 1: one tail per node per cycle can
 * cross the local output, so popping all of them each cycle makes the
 * arrival cycle exact); packets created in c are appended to their
 * source queues; each source queue moves packets into the router's
 * injection queue while it has room; then the NoC simulates c.  A
 * packet created in c is thus sent in c, as the zero-load formula
 * assumes, and a lone packet's latency equals it exactly.
 *
 * Invariants: packet ids are assigned in creation order, so the measured
 * packets (created in [W, W + M)) hold the consecutive ids [id_lo, ...)
 * and index a latency array directly (-1: not yet delivered, which also
 * detects a duplicate delivery).  Source queues are FIFO, so a measured
 * packet never waits behind a packet created after it at its source.
 *
 * Saturation: at the end of measurement, if the flits ejected during it
 * fall short of those created during it by more than the tolerance (1%),
 * by more than half the mean backlog (flits created but not delivered,
 * averaged over the window) and by more than one packet per node, the
 * backlog grew: the network does not carry the offered load.  Otherwise the sources keep injecting while
 * the measured packets drain (so they see the same load to the end); a
 * drain longer than drain_limit also means saturation.  Either way the
 * sources then stop and the network is drained dry: every measured packet
 * is delivered, so conservation holds and the run always ends (XY routing
 * cannot deadlock and the PEs always consume; a stall would be a model
 * bug, reported as an error rather than a hang: no flit moved for 4096
 * cycles plus 8 times the sum of the pipeline delays).
 *
 * Bernoulli trials run over (cycle, node) in order from one splitmix64
 * stream, drawing the gap to the next success (geometric), so a run costs
 * little at low load; the same seed gives the same run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/noc.h"
#include "saccade/traffic.h"

typedef struct pend {
	int dst;
	int64_t created;
	uint64_t id;
} pend;

typedef struct srcq { /* a growable ring of pending packets */
	pend *a;
	size_t head, n, cap;
} srcq;

typedef struct run {
	const sac_target *t;
	const sac_traffic_opts *o;
	sac_noc *noc;
	int nn, w, h, hot;
	uint64_t rng;
	double lq;          /* log1p(-p), p = rate / length */
	srcq *q;
	int *qlist, nq;     /* nodes with a non-empty source queue */
	int *owed, *olist, no; /* packets addressed to a node, not popped */
	int64_t *zl;        /* zero-load latency by hops (-1: not computed) */
	int64_t *lat;       /* measured packets by id - id_lo */
	size_t nlat, caplat;
	uint64_t next_id, id_lo;
	uint64_t backlog, outstanding;
	uint64_t created_w, ejected_w; /* flits in the measurement window */
	uint64_t created_f;            /* flits created in all */
	double hops_sum, zl_sum;
} run;

static const char *const names[SAC_TRAFFIC_COUNT] = {
	"uniform", "transpose", "bitcomp", "hotspot", "neighbour", "tornado"};

const char *sac_traffic_pattern_name(sac_traffic_pattern p)
{
	return (unsigned)p < SAC_TRAFFIC_COUNT ? names[p] : "?";
}

const char *sac_traffic_sat_reason(int s)
{
	switch (s) {
	case SAC_TRAFFIC_STABLE: return "stable";
	case SAC_TRAFFIC_SAT_THROUGHPUT:
		return "accepted throughput below the offered load (the backlog grows)";
	case SAC_TRAFFIC_SAT_DRAIN:
		return "the measured packets did not drain within the drain limit";
	}
	return "?";
}

void sac_traffic_opts_init(sac_traffic_opts *o)
{
	memset(o, 0, sizeof *o);
	o->pattern = SAC_TRAFFIC_UNIFORM;
	o->rate = 0.1;
	o->length = 1;
	o->hotspot_frac = 0.1;
	o->hotspot_node = -1;
	o->warmup = 2000;
	o->measure = 10000;
	o->seed = 1;
}

int sac_traffic_parse_pattern(const char *s, sac_traffic_opts *o, sac_err *e)
{
	static const struct { const char *name; sac_traffic_pattern p; } alias[] = {
		{"neighbor", SAC_TRAFFIC_NEIGHBOUR},
		{"bit-complement", SAC_TRAFFIC_BITCOMP},
		{"random", SAC_TRAFFIC_UNIFORM},
	};
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
	int found = -1;
	for (int i = 0; i < SAC_TRAFFIC_COUNT; i++)
		if (strlen(names[i]) == len && !strncmp(s, names[i], len))
			found = i;
	for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
		if (strlen(alias[i].name) == len && !strncmp(s, alias[i].name, len))
			found = (int)alias[i].p;
	if (found < 0)
		return sac_errf(e, SAC_ERR_USAGE,
				"unknown traffic pattern '%s' (uniform, transpose, "
				"bitcomp, hotspot[:F], neighbour, tornado)", s);
	if (colon) {
		char *end;
		double f = strtod(colon + 1, &end);
		if (found != SAC_TRAFFIC_HOTSPOT)
			return sac_errf(e, SAC_ERR_USAGE,
					"traffic pattern '%s': only hotspot takes a "
					"parameter (hotspot:F)", s);
		if (!colon[1] || *end || !(f >= 0 && f <= 1))
			return sac_errf(e, SAC_ERR_USAGE,
					"hotspot fraction must be a number in [0, 1], "
					"got '%s'", colon + 1);
		o->hotspot_frac = f;
	}
	o->pattern = (sac_traffic_pattern)found;
	return SAC_OK;
}

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n < 2^32 (the bias of the 32-bit product is < 2^-32 n). */
static int below(uint64_t *s, int n)
{
	return (int)(((next_rand(s) >> 32) * (uint64_t)n) >> 32);
}

/* Trials to the next success, >= 1, of probability p (lq = log1p(-p)). */
static int64_t gap(run *R)
{
	if (R->lq == -INFINITY) /* p == 1 */
		return 1;
	double u = ((next_rand(&R->rng) >> 11) + 0.5) / 9007199254740992.0;
	double g = floor(log(u) / R->lq);
	return g > 4e18 ? INT64_MAX / 2 : 1 + (int64_t)g;
}

static int dest(run *R, int s)
{
	int w = R->w, h = R->h, x = s % w, y = s / w;
	switch (R->o->pattern) {
	case SAC_TRAFFIC_HOTSPOT:
		if (s != R->hot &&
		    (next_rand(&R->rng) >> 11) * (1.0 / 9007199254740992.0) <
			    R->o->hotspot_frac)
			return R->hot;
		/* The rest is uniform. */
		/* fall through */
	case SAC_TRAFFIC_UNIFORM: {
		int d = below(&R->rng, R->nn - 1);
		return d >= s ? d + 1 : d;
	}
	case SAC_TRAFFIC_TRANSPOSE:
		return x * w + y;
	case SAC_TRAFFIC_BITCOMP:
		return ~s & (R->nn - 1);
	case SAC_TRAFFIC_NEIGHBOUR: {
		int nb[4], k = 0;
		if (y > 0)
			nb[k++] = s - w;
		if (x < w - 1)
			nb[k++] = s + 1;
		if (y < h - 1)
			nb[k++] = s + w;
		if (x > 0)
			nb[k++] = s - 1;
		return nb[below(&R->rng, k)];
	}
	case SAC_TRAFFIC_TORNADO:
		return (y + (h + 1) / 2 - 1) % h * w + (x + (w + 1) / 2 - 1) % w;
	default:
		return s;
	}
}

static int push(srcq *q, const pend *p)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 8;
		pend *a = malloc(cap * sizeof *a);
		if (!a)
			return SAC_ERR_NOMEM;
		for (size_t i = 0; i < q->n; i++)
			a[i] = q->a[(q->head + i) % q->cap];
		free(q->a);
		q->a = a;
		q->cap = cap;
		q->head = 0;
	}
	q->a[(q->head + q->n++) % q->cap] = *p;
	return SAC_OK;
}

static int64_t zero_load(run *R, int s, int d, sac_err *e)
{
	int h = sac_noc_hops(R->t, s, d);
	if (R->zl[h] < 0)
		R->zl[h] = sac_noc_zero_load_latency(R->t, s, d, R->o->length);
	if (R->zl[h] < 0)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory (zero-load latency)");
	return R->zl[h];
}

static int create(run *R, int s, int64_t c, int measured, sac_err *e)
{
	pend p = {dest(R, s), c, R->next_id++};
	int L = R->o->length;
	if (measured) {
		if (R->nlat == R->caplat) {
			size_t cap = R->caplat ? 2 * R->caplat : 4096;
			int64_t *a = realloc(R->lat, cap * sizeof *a);
			if (!a)
				return sac_errf(e, SAC_ERR_NOMEM,
						"out of memory (%zu measured packets)", cap);
			R->lat = a;
			R->caplat = cap;
		}
		R->lat[R->nlat++] = -1;
		R->outstanding++;
		R->created_w += L;
		int64_t z = zero_load(R, s, p.dst, e);
		if (z < 0)
			return (int)z;
		R->zl_sum += z;
		R->hops_sum += sac_noc_hops(R->t, s, p.dst);
	}
	R->created_f += L;
	srcq *q = &R->q[s];
	if (push(q, &p))
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory (source queue of %zu packets)",
				q->n);
	if (q->n == 1)
		R->qlist[R->nq++] = s;
	R->backlog++;
	return SAC_OK;
}

/* Move source-queue heads into the injection queues while they have room. */
static void inject(run *R)
{
	for (int j = 0; j < R->nq;) {
		int s = R->qlist[j];
		srcq *q = &R->q[s];
		while (q->n) {
			const pend *p = &q->a[q->head];
			sac_packet pk = {s, p->dst, R->o->length, p->id, p->created, p->id};
			if (sac_noc_send(R->noc, &pk) != 1)
				break;
			if (!R->owed[p->dst]++)
				R->olist[R->no++] = p->dst;
			q->head = (q->head + 1) % q->cap;
			q->n--;
			R->backlog--;
		}
		if (!q->n)
			R->qlist[j] = R->qlist[--R->nq];
		else
			j++;
	}
}

/* Every PE pops everything that has arrived; arrival cycle = now - 1. */
static void consume(run *R, sac_traffic_result *r, int64_t mbeg, int64_t mend)
{
	int64_t arr = sac_noc_now(R->noc) - 1;
	for (int j = 0; j < R->no;) {
		int i = R->olist[j];
		sac_packet p;
		while (sac_noc_peek(R->noc, i, &p)) {
			sac_noc_pop(R->noc, i);
			R->owed[i]--;
			r->flits_delivered += p.nflits;
			if (arr >= mbeg && arr < mend)
				R->ejected_w += p.nflits;
			if (p.dst != i)
				r->misrouted++;
			if (p.created >= mbeg && p.created < mend) {
				int64_t *l = &R->lat[p.id - R->id_lo];
				if (*l >= 0) {
					r->duplicates++;
				} else {
					*l = arr - p.created;
					R->outstanding--;
					r->delivered++;
				}
			}
		}
		if (!R->owed[i])
			R->olist[j] = R->olist[--R->no];
		else
			j++;
	}
}

/* Average and nearest-rank percentiles (the smallest latency with at
 * least pct% of the packets at or below it).  Latencies are bounded by
 * the cycles simulated, so a counting pass over a histogram replaces a
 * sort (which cost a tenth of a second per million packets). */
static int latency_stats(run *R, sac_traffic_result *r, sac_err *e)
{
	int64_t lo = INT64_MAX, hi = 0;
	double sum = 0;
	for (size_t i = 0; i < R->nlat; i++) {
		int64_t l = R->lat[i];
		sum += l;
		lo = l < lo ? l : lo;
		hi = l > hi ? l : hi;
	}
	uint64_t *cnt = calloc((size_t)(hi - lo + 1), sizeof *cnt);
	if (!cnt)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory (latency histogram)");
	for (size_t i = 0; i < R->nlat; i++)
		cnt[R->lat[i] - lo]++;
	static const int pct[3] = {50, 95, 99};
	int64_t *out[3] = {&r->lat_p50, &r->lat_p95, &r->lat_p99};
	uint64_t seen = 0;
	int k = 0;
	for (int64_t v = 0; v <= hi - lo && k < 3; v++) {
		seen += cnt[v];
		while (k < 3 && seen >= (pct[k] * R->nlat + 99) / 100)
			*out[k++] = lo + v;
	}
	free(cnt);
	r->lat_avg = sum / R->nlat;
	r->lat_min = lo;
	r->lat_max = hi;
	r->zero_load_avg = R->zl_sum / R->nlat;
	r->hops_avg = R->hops_sum / R->nlat;
	return SAC_OK;
}

int sac_traffic_check_opts(const sac_traffic_opts *o, sac_err *e)
{
	if ((unsigned)o->pattern >= SAC_TRAFFIC_COUNT)
		return sac_errf(e, SAC_ERR_RANGE, "unknown traffic pattern %d", (int)o->pattern);
	if (!(o->rate > 0 && o->rate <= 1))
		return sac_errf(e, SAC_ERR_RANGE,
				"rate must be in (0, 1] flits per node per cycle, got %g",
				o->rate);
	if (o->length < 1 || o->length > 65536)
		return sac_errf(e, SAC_ERR_RANGE,
				"packet length must be in [1, 65536] flits, got %d", o->length);
	if (o->warmup < 0 || o->warmup > (int64_t)1e12)
		return sac_errf(e, SAC_ERR_RANGE,
				"warm-up must be in [0, 1e12] cycles, got %lld",
				(long long)o->warmup);
	if (o->measure < 1 || o->measure > (int64_t)1e12)
		return sac_errf(e, SAC_ERR_RANGE,
				"measurement must be in [1, 1e12] cycles, got %lld",
				(long long)o->measure);
	if (o->drain_limit < 0 || o->drain_limit > (int64_t)1e12)
		return sac_errf(e, SAC_ERR_RANGE,
				"drain limit must be in [0, 1e12] cycles (0: default), got %lld",
				(long long)o->drain_limit);
	if (!(o->tolerance >= 0 && o->tolerance < 1))
		return sac_errf(e, SAC_ERR_RANGE,
				"saturation tolerance must be in [0, 1) (0: default), got %g",
				o->tolerance);
	if (o->pattern == SAC_TRAFFIC_HOTSPOT && !(o->hotspot_frac >= 0 && o->hotspot_frac <= 1))
		return sac_errf(e, SAC_ERR_RANGE,
				"hotspot fraction must be in [0, 1], got %g", o->hotspot_frac);
	return SAC_OK;
}

/* Patterns the mesh cannot have. */
static int check_mesh(const sac_target *t, const sac_traffic_opts *o, sac_err *e)
{
	int w = t->mesh_w, h = t->mesh_h, nn = w * h;
	const char *pn = sac_traffic_pattern_name(o->pattern);
	switch (o->pattern) {
	case SAC_TRAFFIC_UNIFORM:
	case SAC_TRAFFIC_HOTSPOT:
	case SAC_TRAFFIC_NEIGHBOUR:
		if (nn < 2)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"%s traffic needs at least 2 nodes, the mesh is 1x1", pn);
		break;
	case SAC_TRAFFIC_TRANSPOSE:
		if (w != h)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"transpose traffic needs a square mesh, got %dx%d", w, h);
		break;
	case SAC_TRAFFIC_BITCOMP:
		if (nn & (nn - 1))
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"bitcomp traffic needs a power-of-two number of nodes "
					"(mesh sides powers of two), got %dx%d = %d",
					w, h, nn);
		break;
	default:
		break;
	}
	if (o->pattern == SAC_TRAFFIC_HOTSPOT && (o->hotspot_node < -1 || o->hotspot_node >= nn))
		return sac_errf(e, SAC_ERR_RANGE,
				"hotspot node %d is not on the %dx%d mesh (0..%d)",
				o->hotspot_node, w, h, nn - 1);
	return SAC_OK;
}

static void run_free(run *R)
{
	if (R->q)
		for (int i = 0; i < R->nn; i++)
			free(R->q[i].a);
	free(R->q);
	free(R->qlist);
	free(R->owed);
	free(R->olist);
	free(R->zl);
	free(R->lat);
	sac_noc_free(R->noc);
}

/* The simulation proper; R is set up, r zeroed. */
static int simulate(run *R, sac_traffic_result *r, sac_err *e)
{
	const sac_traffic_opts *o = R->o;
	int nn = R->nn;
	int64_t W = o->warmup, M = o->measure, mend = W + M;
	int64_t dlim = o->drain_limit;
	if (!dlim) {
		int64_t zmax = sac_noc_zero_load_latency(R->t, 0, nn - 1, o->length);
		dlim = 20 * M + 20 * (zmax > 0 ? zmax : 0);
	}
	const sac_noc_params *q = &R->t->noc;
	/* A flit may legitimately sit on a stage or link for up to the sum
	 * of the delays without moving: the stall limit must exceed that. */
	int64_t stall = 4096 + 8 * ((int64_t)q->route_delay + q->vc_delay + q->switch_delay +
				     q->xbar_delay + q->link_delay + q->credit_delay);
	double tol = o->tolerance > 0 ? o->tolerance : 0.01;
	double bsum = 0; /* flits in the system (created, not delivered), summed over the window */
	int creating = 1;
	int64_t next = gap(R) - 1; /* trial index (cycle * nn + node) */
	for (int64_t c = 0;; c++) {
		consume(R, r, W, mend);
		if (c > W && c <= mend)
			bsum += (double)(R->created_f - r->flits_delivered);
		if (c == mend) {
			/* The backlog grew by created - ejected flits over
			 * the window.  A stable network keeps it bounded: its
			 * change is a difference of two samples of a stationary
			 * backlog, small against both the flits created and
			 * the mean backlog; an unstable one grows it in
			 * proportion to M (from about W/M of the growth at the
			 * start, so the growth exceeds half the mean). */
			double deficit = (double)R->created_w - (double)R->ejected_w;
			if (deficit > tol * (double)R->created_w &&
			    deficit > 0.5 * bsum / M && deficit > (double)nn * o->length) {
				r->saturated = SAC_TRAFFIC_SAT_THROUGHPUT;
				creating = 0;
			}
		}
		if (c >= mend && !R->outstanding)
			break;
		if (creating && c >= mend + dlim) {
			r->saturated = SAC_TRAFFIC_SAT_DRAIN;
			creating = 0;
		}
		if (c == W)
			R->id_lo = R->next_id;
		if (creating) {
			int meas = c >= W && c < mend;
			for (; next < (c + 1) * nn; next += gap(R)) {
				int rc = create(R, (int)(next % nn), c, meas, e);
				if (rc)
					return rc;
			}
		}
		inject(R);
		if (R->backlog > r->max_backlog)
			r->max_backlog = R->backlog;
		sac_noc_cycle(R->noc);
		if (!(c & 4095)) {
			char msg[1024];
			/* PEs always consume and XY cannot deadlock: a stall is a bug. */
			if (sac_noc_stalled(R->noc, stall, msg, sizeof msg))
				return sac_errf(e, SAC_ERR_UNSUPPORTED,
						"synthetic traffic: %s (a NoC model bug)", msg);
			if (o->progress)
				o->progress(o->progress_ctx, c, mend);
		}
	}
	r->cycles = sac_noc_now(R->noc);
	r->drain_cycles = r->cycles - mend;
	return SAC_OK;
}

int sac_traffic_run(const sac_target *t, const sac_traffic_opts *o,
		    sac_traffic_result *r, sac_err *e)
{
	memset(r, 0, sizeof *r);
	if (sac_traffic_check_opts(o, e))
		return e ? e->code : SAC_ERR_RANGE;
	run R = {0};
	R.t = t;
	R.o = o;
	R.noc = sac_noc_new(t, e);
	if (!R.noc)
		return e ? e->code : SAC_ERR_RANGE;
	int rc = check_mesh(t, o, e);
	if (rc) {
		sac_noc_free(R.noc);
		return rc;
	}
	R.w = t->mesh_w;
	R.h = t->mesh_h;
	R.nn = R.w * R.h;
	R.hot = o->hotspot_node >= 0 ? o->hotspot_node : R.h / 2 * R.w + R.w / 2;
	R.rng = o->seed;
	R.lq = log1p(-(o->rate / o->length));
	int maxh = R.w + R.h - 1;
	R.q = calloc(R.nn, sizeof *R.q);
	R.qlist = malloc(R.nn * sizeof *R.qlist);
	R.owed = calloc(R.nn, sizeof *R.owed);
	R.olist = malloc(R.nn * sizeof *R.olist);
	R.zl = malloc(maxh * sizeof *R.zl);
	if (!R.q || !R.qlist || !R.owed || !R.olist || !R.zl) {
		run_free(&R);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory (traffic, %d nodes)", R.nn);
	}
	for (int i = 0; i < maxh; i++)
		R.zl[i] = -1;
	r->nodes = R.nn;
	r->offered = o->rate;
	rc = simulate(&R, r, e);
	if (!rc) {
		const sac_noc_stats *st = sac_noc_get_stats(R.noc);
		double span = (double)R.nn * o->measure;
		r->created = R.created_w / span;
		r->accepted = R.ejected_w / span;
		r->packets = R.nlat;
		r->misordered = st->misordered;
		if (R.nlat)
			rc = latency_stats(&R, r, e);
	}
	run_free(&R);
	return rc;
}
