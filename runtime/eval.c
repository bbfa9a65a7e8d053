/* eval.c: batch evaluation of a labelled set (sac_rt_eval) and the
 * papers' table (sac_eval_summarize).
 *
 * Determinism.  Worker threads take sample indices from a shared counter
 * and write only res[i] of the sample they took, each with its own clone
 * of the context (the program is shared read-only).  A sample's outcome
 * depends only on its file, the framing and the image, so res[] is the
 * same for any number of threads and any scheduling; the summary is then
 * computed in index order, so even its floating-point sums are identical.
 * Only the order of progress callbacks varies, and they carry counts.
 *
 * The mutex guards the counter, the done count and the callback; it is
 * never held while a sample runs. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/rt_internal.h"

typedef struct pool {
	pthread_mutex_t mu;
	int next, done;
	const sac_manifest *m;
	const sac_frame_opts *fo;
	sac_eval_result *res;
	sac_eval_progress cb;
	void *ctx;
} pool;

typedef struct worker {
	pool *P;
	sac_rt *rt;
} worker;

static void run_one(sac_rt *rt, const sac_sample *s, const sac_frame_opts *fo,
		    sac_eval_result *r)
{
	memset(r, 0, sizeof *r);
	r->pred = -1;
	sac_events ev;
	sac_err e = {0};
	int rc = sac_events_read(s->path, &ev, &e);
	if (rc) {
		sac_events_free(&ev);
		r->rc = rc;
		snprintf(r->msg, sizeof r->msg, "%.500s", e.msg);
		return;
	}
	rc = sac_rt_set_events(rt, &ev, fo);
	sac_events_free(&ev);
	if (!rc)
		rc = sac_rt_run(rt);
	if (rc) {
		r->rc = rc;
		snprintf(r->msg, sizeof r->msg, "%.200s: %.300s", s->path, sac_rt_error(rt));
		return;
	}
	const sac_sim_stats *st = sac_rt_stats(rt);
	r->pred = sac_rt_class(rt);
	r->cycles = st->cycles;
	r->ms = st->seconds * 1e3;
	r->mj = st->energy_pj * 1e-9;
	r->spikes = st->spikes;
}

static void *work(void *arg)
{
	worker *W = arg;
	pool *P = W->P;
	for (;;) {
		pthread_mutex_lock(&P->mu);
		int i = P->next < P->m->n ? P->next++ : -1;
		pthread_mutex_unlock(&P->mu);
		if (i < 0)
			break;
		run_one(W->rt, &P->m->s[i], P->fo, &P->res[i]);
		pthread_mutex_lock(&P->mu);
		P->done++;
		if (P->cb)
			P->cb(P->ctx, P->done, P->m->n);
		pthread_mutex_unlock(&P->mu);
	}
	return NULL;
}

int sac_rt_eval(sac_rt *rt, const sac_manifest *m, const sac_frame_opts *fo,
		int jobs, sac_eval_progress cb, void *ctx, sac_eval_result *res)
{
	if (!rt)
		return SAC_ERR_USAGE;
	sac_err *e = sac__rt_begin(rt);
	if (!m || !res || (m->n > 0 && !m->s))
		return sac_errf(e, SAC_ERR_USAGE, "sac_rt_eval: NULL %s",
				!res ? "results" : "manifest");
	if (jobs < 1)
		return sac_errf(e, SAC_ERR_USAGE, "sac_rt_eval: %d jobs; expected 1 or more", jobs);
	const sac_graph *g = sac_rt_program(rt)->g;
	size_t nout = sac_node_size(&g->node[g->n - 1]);
	if (nout != SAC_NUM_CLASSES)
		return sac_errf(e, SAC_ERR_SHAPE,
				"model '%s' has %zu outputs; evaluation against the %d emotions needs %d",
				g->name, nout, SAC_NUM_CLASSES, SAC_NUM_CLASSES);
	/* Framing errors common to all samples are reported once, here. */
	sac_frame_opts d;
	sac_rt_frame_defaults(rt, &d);
	if (fo && (fo->frames != d.frames || fo->width != d.width || fo->height != d.height))
		return sac_errf(e, SAC_ERR_SHAPE,
				"framing gives [%d, %d, %d]; model '%s' expects [%d, %d, %d]",
				fo->frames, fo->height, fo->width, g->name, d.frames,
				d.height, d.width);
	if (fo && (fo->skip < 1 || fo->skip > 30 * 3600 || !(fo->start_s >= 0) ||
		   fo->start_s > 1e6))
		return sac_errf(e, SAC_ERR_RANGE,
				"framing: skip %d (1/30 s units), start %g s: out of range",
				fo->skip, fo->start_s);
	if (jobs > m->n)
		jobs = m->n > 0 ? m->n : 1;
	pool P = {.m = m, .fo = fo ? fo : &d, .res = res, .cb = cb, .ctx = ctx};
	worker *W = calloc((size_t)jobs, sizeof *W);
	pthread_t *tid = calloc((size_t)jobs, sizeof *tid);
	int rc = SAC_OK, started = 0;
	if (!W || !tid)
		rc = sac_errf(e, SAC_ERR_NOMEM, "evaluation: out of memory");
	for (int j = 0; !rc && j < jobs; j++) {
		W[j].P = &P;
		sac_err ce = {0};
		if (!(W[j].rt = sac_rt_clone(rt, &ce)))
			rc = sac_errf(e, ce.code, "evaluation: %s", ce.msg);
	}
	if (!rc && pthread_mutex_init(&P.mu, NULL))
		rc = sac_errf(e, SAC_ERR_NOMEM, "evaluation: cannot create a mutex");
	else if (!rc) {
		/* One worker runs on the calling thread: --jobs 1 starts no thread. */
		for (int j = 1; j < jobs; j++) {
			if (pthread_create(&tid[j], NULL, work, &W[j])) {
				rc = sac_errf(e, SAC_ERR_NOMEM,
					      "evaluation: cannot start thread %d of %d", j + 1, jobs);
				break;
			}
			started = j;
		}
		/* Even if a thread failed to start, the others finish the set. */
		work(&W[0]);
		for (int j = 1; j <= started; j++)
			pthread_join(tid[j], NULL);
		pthread_mutex_destroy(&P.mu);
	}
	for (int j = 0; W && j < jobs; j++)
		sac_rt_close(W[j].rt);
	free(W);
	free(tid);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile q of v[0..n) (sorted in place); NaN if n == 0. */
static double percentile(double *v, int n, double q)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	int k = (int)ceil(q * n);
	return v[k < 1 ? 0 : k - 1];
}

void sac_eval_summarize(const sac_manifest *m, const sac_eval_result *res,
			sac_eval_summary *s)
{
	memset(s, 0, sizeof *s);
	if (!m || !res)
		return;
	s->n = m->n;
	double *ms = malloc((size_t)(m->n > 0 ? m->n : 1) * sizeof *ms);
	double *mj = malloc((size_t)(m->n > 0 ? m->n : 1) * sizeof *mj);
	double sum_ms = 0, sum_mj = 0, sum_cyc = 0;
	for (int i = 0; i < m->n; i++) {
		const sac_eval_result *r = &res[i];
		if (r->rc) {
			s->failed++;
			continue;
		}
		int c = m->s[i].emotion, l = m->s[i].lighting, hit = r->pred == c;
		if (c >= 0 && c < SAC_NUM_CLASSES) {
			s->cls_n[c]++;
			s->cls_correct[c] += hit;
		}
		if (l >= 0 && l < SAC_NUM_LIGHTINGS) {
			s->light_n[l]++;
			s->light_correct[l] += hit;
		}
		if (ms && mj) {
			ms[s->ok] = r->ms;
			mj[s->ok] = r->mj;
		}
		sum_ms += r->ms;
		sum_mj += r->mj;
		sum_cyc += (double)r->cycles;
		s->ok++;
	}
	int correct = 0, classes = 0;
	double recall = 0;
	for (int c = 0; c < SAC_NUM_CLASSES; c++) {
		correct += s->cls_correct[c];
		s->cls_acc[c] = s->cls_n[c] ? (double)s->cls_correct[c] / s->cls_n[c] : NAN;
		if (s->cls_n[c]) {
			recall += s->cls_acc[c];
			classes++;
		}
	}
	for (int l = 0; l < SAC_NUM_LIGHTINGS; l++)
		s->light_acc[l] = s->light_n[l] ? (double)s->light_correct[l] / s->light_n[l] : NAN;
	s->war = s->ok ? (double)correct / s->ok : NAN;
	s->uar = classes ? recall / classes : NAN;
	s->ms_mean = s->ok ? sum_ms / s->ok : NAN;
	s->mj_mean = s->ok ? sum_mj / s->ok : NAN;
	s->cycles_mean = s->ok ? sum_cyc / s->ok : NAN;
	/* Without memory for the percentiles they are unknown, not wrong. */
	s->ms_p95 = ms && mj ? percentile(ms, s->ok, 0.95) : NAN;
	s->mj_p95 = ms && mj ? percentile(mj, s->ok, 0.95) : NAN;
	free(ms);
	free(mj);
}
