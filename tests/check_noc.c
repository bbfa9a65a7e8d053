/* check_noc.c: unit tests of the mesh NoC model (sim/noc.c, docs/NOC.md).
 *
 * Zero-load latency equals the documented formula for every pair of nodes
 * on small meshes, several packet lengths and delay settings; random
 * traffic delivers every packet exactly once, whole and in order, at the
 * right node; a PE that never consumes fills the network, the stall
 * detector names it, and consuming drains everything; a hotspot delivers
 * everything; the same inputs give the same statistics and the same
 * delivery cycles; skipping idle time equals simulating it, and so does
 * jumping over the cycles in which nothing can act while a slow consumer
 * holds flits in the network. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/noc.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void target(sac_target *t, int w, int h)
{
	sac_target_default(t);
	t->mesh_w = w;
	t->mesh_h = h;
}

static sac_noc *mk(const sac_target *t)
{
	sac_err e = {0};
	sac_noc *n = sac_noc_new(t, &e);
	ck_assert_msg(n != NULL, "%s", e.msg);
	return n;
}

/* Settings: defaults; no RC/VA stage, shallow buffers; slow and
 * credit-starved with one VC (multi-flit packets then stall on credits,
 * which the recurrence must predict); everything minimal; the most VCs. */
static void delays(sac_target *t, int set)
{
	sac_noc_params *q = &t->noc;
	if (set == 1) {
		q->route_delay = 0, q->vc_delay = 0, q->switch_delay = 1;
		q->xbar_delay = 1, q->link_delay = 1, q->credit_delay = 1;
		q->buffer_depth = 2, q->vcs = 2;
	} else if (set == 2) {
		q->route_delay = 2, q->vc_delay = 1, q->switch_delay = 1;
		q->xbar_delay = 2, q->link_delay = 3, q->credit_delay = 2;
		q->buffer_depth = 3, q->vcs = 1;
	} else if (set == 3) { /* everything minimal */
		q->route_delay = 0, q->vc_delay = 0, q->switch_delay = 1;
		q->xbar_delay = 1, q->link_delay = 1, q->credit_delay = 1;
		q->buffer_depth = 1, q->vcs = 1;
		t->pe.in_fifo = 1, t->pe.out_fifo = 1;
	} else if (set == 4) { /* the most VCs, long credit loop */
		q->vcs = SAC_NOC_MAX_VCS, q->buffer_depth = 2;
		q->credit_delay = 5, q->link_delay = 2;
		t->pe.in_fifo = 3, t->pe.out_fifo = 2;
	}
}

static int64_t closed_form(const sac_target *t, int h, int nf)
{
	const sac_noc_params *q = &t->noc;
	int r = q->route_delay + q->vc_delay + q->switch_delay + q->xbar_delay;
	return (int64_t)(h + 1) * r + (int64_t)h * q->link_delay + nf - 1;
}

START_TEST(test_zero_load)
{
	static const int sizes[][2] = {{2, 2}, {3, 3}, {4, 4}, {3, 2}};
	static const int lens[] = {1, 4, 9};
	for (int sz = 0; sz < 4; sz++)
		for (int set = 0; set < 5; set++)
			for (int li = 0; li < 3; li++) {
				sac_target t;
				target(&t, sizes[sz][0], sizes[sz][1]);
				delays(&t, set);
				int nn = t.mesh_w * t.mesh_h, nf = lens[li];
				const sac_noc_params *q = &t.noc;
				int rtt = q->route_delay + q->vc_delay + q->switch_delay +
					  q->xbar_delay + q->link_delay + q->credit_delay;
				for (int s = 0; s < nn; s++)
					for (int d = 0; d < nn; d++) {
						sac_noc *n = mk(&t);
						/* Start late: times are absolute. */
						sac_noc_skip(n, 17);
						sac_packet p = {s, d, nf, 42, -1, 7}, out;
						ck_assert_int_eq(sac_noc_send(n, &p), 1);
						int64_t t0 = sac_noc_now(n);
						while (!sac_noc_peek(n, d, &out)) {
							ck_assert_int_lt(sac_noc_now(n), 10000);
							sac_noc_cycle(n);
						}
						int64_t lat = sac_noc_now(n) - 1 - t0;
						int64_t f = sac_noc_zero_load_latency(&t, s, d, nf);
						ck_assert_msg(lat == f,
							      "%dx%d set %d %d->%d %d flits: "
							      "simulated %lld formula %lld",
							      t.mesh_w, t.mesh_h, set, s, d, nf,
							      (long long)lat, (long long)f);
						int h = sac_noc_hops(&t, s, d);
						if (nf <= q->buffer_depth ||
						    q->buffer_depth >= rtt)
							ck_assert_int_eq(lat, closed_form(&t, h, nf));
						else
							ck_assert_int_ge(lat, closed_form(&t, h, nf));
						const sac_noc_stats *st = sac_noc_get_stats(n);
						ck_assert_int_eq(st->latency_max, lat);
						ck_assert_int_eq(st->hops_sum, h);
						ck_assert_int_eq(st->link_flits, (uint64_t)h * nf);
						ck_assert_uint_eq(out.payload, 42);
						ck_assert_uint_eq(out.id, 7);
						ck_assert_int_eq(out.src, s);
						sac_noc_pop(n, d);
						ck_assert(!sac_noc_busy(n));
						sac_noc_free(n);
					}
			}
	/* The default target: 4 cycles per router, 1 per link. */
	sac_target t;
	target(&t, 16, 16);
	ck_assert_int_eq(sac_noc_zero_load_latency(&t, 0, 255, 1), 5 * 30 + 4);
}
END_TEST

/* Random traffic; returns a hash of every delivery (node, id, cycle). */
typedef struct traffic {
	int w, h, set, nf_max, packets;
	double rate, pop_prob;
	int hotspot;       /* >= 0: this share of packets go to it */
	double hot_share;
} traffic;

static uint64_t run(const traffic *tr, sac_noc_stats *out_st,
		    sac_noc_router_stats *out_rs)
{
	sac_target t;
	target(&t, tr->w, tr->h);
	delays(&t, tr->set);
	sac_noc *n = mk(&t);
	int nn = tr->w * tr->h;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, hash = 1469598103934665603ULL;
	int *dst = calloc(tr->packets, sizeof *dst), *got = calloc(tr->packets, sizeof *got);
	int *nfl = calloc(tr->packets, sizeof *nfl);
	int *src = calloc(tr->packets, sizeof *src);
	int sent = 0, delivered = 0;
	int64_t flits = 0;
	/* One pending packet per node, offered until accepted. */
	int *pend = malloc(nn * sizeof *pend);
	for (int i = 0; i < nn; i++)
		pend[i] = -1;
	while (delivered < tr->packets) {
		ck_assert_int_lt(sac_noc_now(n), 10000000);
		for (int i = 0; i < nn; i++) {
			if (pend[i] < 0 && sent < tr->packets &&
			    (rng(&seed) % 10000) < tr->rate * 10000) {
				int d;
				if (tr->hotspot >= 0 &&
				    (rng(&seed) % 1000) < tr->hot_share * 1000)
					d = tr->hotspot;
				else
					d = (int)(rng(&seed) % nn);
				dst[sent] = d;
				src[sent] = i;
				nfl[sent] = 1 + (int)(rng(&seed) % tr->nf_max);
				pend[i] = sent++;
			}
			if (pend[i] >= 0) {
				int k = pend[i];
				sac_packet p = {i, dst[k], nfl[k], (uint64_t)k * 2654435761u,
						-1, (uint64_t)k};
				if (sac_noc_send(n, &p) == 1) {
					flits += nfl[k];
					pend[i] = -1;
				}
			}
		}
		for (int i = 0; i < nn; i++) {
			sac_packet p;
			if ((rng(&seed) % 1000) >= tr->pop_prob * 1000 ||
			    !sac_noc_peek(n, i, &p))
				continue;
			int k = (int)p.id;
			ck_assert_int_lt(k, sent);
			ck_assert_int_eq(got[k], 0);
			ck_assert_int_eq(p.dst, i);
			ck_assert_int_eq(dst[k], i);
			ck_assert_int_eq(p.nflits, nfl[k]);
			ck_assert_uint_eq(p.payload, (uint64_t)k * 2654435761u);
			got[k] = 1;
			delivered++;
			sac_noc_pop(n, i);
			uint64_t v[3] = {(uint64_t)i, (uint64_t)k, (uint64_t)sac_noc_now(n)};
			for (int j = 0; j < 3; j++)
				hash = (hash ^ v[j]) * 1099511628211ULL;
		}
		sac_noc_cycle(n);
		char msg[512];
		ck_assert_msg(!sac_noc_stalled(n, 1000, msg, sizeof msg), "%s", msg);
	}
	ck_assert(!sac_noc_busy(n));
	ck_assert_int_eq(sac_noc_in_flight(n), 0);
	const sac_noc_stats *st = sac_noc_get_stats(n);
	ck_assert_int_eq(st->misordered, 0);
	ck_assert_uint_eq(st->packets_sent, (uint64_t)tr->packets);
	ck_assert_uint_eq(st->packets_injected, (uint64_t)tr->packets);
	ck_assert_uint_eq(st->packets_ejected, (uint64_t)tr->packets);
	ck_assert_uint_eq(st->flits_injected, (uint64_t)flits);
	ck_assert_uint_eq(st->flits_ejected, (uint64_t)flits);
	uint64_t xb = 0, bw = 0, br = 0, lk = 0, hops = 0, ej = 0;
	for (int r = 0; r < nn; r++) {
		xb += st->router[r].xbar;
		bw += st->router[r].buf_writes;
		br += st->router[r].buf_reads;
		ej += st->router[r].link[SAC_NOC_LOCAL];
		for (int d = SAC_NOC_N; d < SAC_NOC_PORTS; d++)
			lk += st->router[r].link[d];
	}
	uint64_t hopflits = 0;
	for (int k = 0; k < tr->packets; k++) {
		hops += (uint64_t)sac_noc_hops(&t, src[k], dst[k]);
		hopflits += (uint64_t)sac_noc_hops(&t, src[k], dst[k]) * nfl[k];
	}
	ck_assert_uint_eq(hops, st->hops_sum);
	ck_assert_uint_eq(lk, st->link_flits);
	ck_assert_uint_eq(lk, hopflits);
	ck_assert_uint_eq(ej, (uint64_t)flits);
	/* Every flit is written and read once per router it visits. */
	ck_assert_uint_eq(bw, br);
	ck_assert_uint_eq(xb, br);
	ck_assert_uint_eq(xb, (uint64_t)flits + lk);
	if (out_st)
		*out_st = *st;
	if (out_rs)
		memcpy(out_rs, st->router, nn * sizeof *out_rs);
	free(dst);
	free(got);
	free(nfl);
	free(src);
	free(pend);
	sac_noc_free(n);
	return hash;
}

START_TEST(test_conservation)
{
	traffic a = {4, 4, 0, 5, 3000, 0.2, 0.6, -1, 0};
	run(&a, NULL, NULL);
	traffic b = {5, 3, 1, 3, 3000, 0.5, 0.9, -1, 0};
	run(&b, NULL, NULL);
	traffic c = {3, 4, 2, 6, 2000, 0.3, 0.3, -1, 0};
	run(&c, NULL, NULL);
	traffic d = {1, 1, 0, 3, 200, 0.5, 0.5, -1, 0};
	run(&d, NULL, NULL);
	traffic e = {6, 1, 0, 2, 1000, 0.5, 1.0, -1, 0};
	run(&e, NULL, NULL);
	traffic f = {4, 3, 3, 4, 2000, 0.5, 0.5, -1, 0};
	run(&f, NULL, NULL);
	traffic g = {3, 3, 4, 7, 2000, 0.6, 0.4, -1, 0};
	run(&g, NULL, NULL);
}
END_TEST

START_TEST(test_hotspot)
{
	traffic a = {4, 4, 0, 4, 4000, 0.8, 1.0, 5, 0.5};
	run(&a, NULL, NULL);
	traffic b = {4, 4, 2, 1, 4000, 1.0, 0.2, 0, 0.9};
	run(&b, NULL, NULL);
}
END_TEST

START_TEST(test_determinism)
{
	traffic a = {4, 4, 0, 4, 3000, 0.4, 0.7, 3, 0.2};
	sac_noc_stats s1, s2;
	sac_noc_router_stats r1[16], r2[16];
	uint64_t h1 = run(&a, &s1, r1), h2 = run(&a, &s2, r2);
	ck_assert_uint_eq(h1, h2);
	s1.router = s2.router = NULL;
	ck_assert(memcmp(&s1, &s2, sizeof s1) == 0);
	ck_assert(memcmp(r1, r2, sizeof r1) == 0);
}
END_TEST

START_TEST(test_backpressure)
{
	for (int nf = 1; nf <= 3; nf += 2) {
		sac_target t;
		target(&t, 3, 3);
		sac_noc *n = mk(&t);
		int sink = 4, sent = 0;
		/* Everybody sends to the centre, which does not consume. */
		for (int c = 0; c < 3000; c++) {
			for (int i = 0; i < 9; i++) {
				sac_packet p = {i, sink, nf, (uint64_t)sent, -1, (uint64_t)sent};
				sent += sac_noc_send(n, &p);
			}
			sac_noc_cycle(n);
		}
		ck_assert_int_eq(sac_noc_ejection_count(n, sink), t.pe.in_fifo);
		ck_assert_int_gt(sac_noc_in_flight(n), 0);
		char msg[512];
		ck_assert(sac_noc_stalled(n, 100, msg, sizeof msg));
		ck_assert_msg(strstr(msg, "router (1,1)") && strstr(msg, "ejection queue full") &&
			      strstr(msg, "node 4"), "%s", msg);
		/* Not yet stalled by a longer limit than it has been stuck. */
		ck_assert(!sac_noc_stalled(n, 100000, NULL, 0));
		/* Every injection queue is full: nothing more is accepted. */
		sac_packet p = {0, sink, nf, 0, -1, 0};
		ck_assert_int_eq(sac_noc_send(n, &p), 0);
		/* Consume: everything arrives, once each, in no more time than
		 * the sink needs at one packet per cycle plus the pipeline. */
		char *seen = calloc(sent, 1);
		int got = 0;
		while (got < sent) {
			ck_assert_int_lt(sac_noc_now(n), 100000);
			sac_packet q;
			if (sac_noc_peek(n, sink, &q)) {
				ck_assert_int_lt(q.id, sent);
				ck_assert(!seen[q.id]);
				seen[q.id] = 1;
				got++;
				sac_noc_pop(n, sink);
			}
			sac_noc_cycle(n);
			ck_assert(!sac_noc_stalled(n, 100, NULL, 0));
		}
		ck_assert(!sac_noc_busy(n));
		ck_assert_int_eq(sac_noc_get_stats(n)->misordered, 0);
		free(seen);
		sac_noc_free(n);
	}
}
END_TEST

START_TEST(test_skip)
{
	/* Idle time skipped or simulated: same delivery cycles. */
	sac_target t;
	target(&t, 4, 4);
	int64_t when[2];
	for (int mode = 0; mode < 2; mode++) {
		sac_noc *n = mk(&t);
		sac_packet p = {0, 15, 4, 1, -1, 1}, q;
		sac_noc_send(n, &p);
		while (!sac_noc_peek(n, 15, &q))
			sac_noc_cycle(n);
		sac_noc_pop(n, 15);
		ck_assert_int_eq(sac_noc_in_flight(n), 0);
		if (mode)
			sac_noc_skip(n, 1000);
		else
			for (int i = 0; i < 1000; i++)
				sac_noc_cycle(n);
		p.src = 15, p.dst = 0;
		sac_noc_send(n, &p);
		while (!sac_noc_peek(n, 0, &q))
			sac_noc_cycle(n);
		when[mode] = sac_noc_now(n);
		ck_assert_int_eq(sac_noc_get_stats(n)->latency_max,
				 sac_noc_zero_load_latency(&t, 0, 15, 4));
		sac_noc_free(n);
	}
	ck_assert_int_eq(when[0], when[1]);
}
END_TEST

/* A hotspot consumer slower than the network, with flits in flight:
 * stepping every cycle, or jumping to the next cycle in which a router
 * (sac_noc_next_event), a source with queue room or the consumer can act,
 * gives the same deliveries, cycles and statistics. */
static uint64_t slow_sink(int set, int jump, sac_noc_stats *st,
			  sac_noc_router_stats *rs, int64_t *jumped)
{
	sac_target t;
	target(&t, 4, 4);
	delays(&t, set);
	sac_noc *n = mk(&t);
	enum { PER = 12, SINK = 5, SERVICE = 7 };
	int left[16], delivered = 0;
	uint64_t hash = 1469598103934665603ULL, id = 0;
	int64_t free_at = 0;
	for (int i = 0; i < 16; i++)
		left[i] = PER;
	*jumped = 0;
	while (delivered < 16 * PER) {
		int64_t now = sac_noc_now(n);
		ck_assert_int_lt(now, 1000000);
		for (int i = 0; i < 16; i++)
			if (left[i] && sac_noc_send_room(n, i)) {
				sac_packet p = {i, SINK, 1 + i % 3, id, -1, id};
				ck_assert_int_eq(sac_noc_send(n, &p), 1);
				id++;
				left[i]--;
			}
		sac_packet q;
		if (free_at <= now && sac_noc_peek(n, SINK, &q)) {
			sac_noc_pop(n, SINK);
			free_at = now + SERVICE;
			delivered++;
			uint64_t v[2] = {q.id, (uint64_t)now};
			for (int j = 0; j < 2; j++)
				hash = (hash ^ v[j]) * 1099511628211ULL;
		}
		sac_noc_cycle(n);
		ck_assert(!sac_noc_stalled(n, 1000, NULL, 0));
		if (!jump)
			continue;
		now = sac_noc_now(n);
		int64_t next = sac_noc_next_event(n);
		ck_assert_int_ge(next, now);
		for (int i = 0; i < 16; i++)
			if (left[i] && sac_noc_send_room(n, i))
				next = now;
		int64_t e = sac_noc_peek_from(n, SINK);
		if (e != INT64_MAX && (e > free_at ? e : free_at) < next)
			next = e > free_at ? e : free_at;
		if (next > now && next != INT64_MAX) {
			sac_noc_skip(n, next - now);
			*jumped += next - now;
		}
	}
	ck_assert(!sac_noc_busy(n));
	ck_assert_int_eq(sac_noc_next_event(n), INT64_MAX);
	*st = *sac_noc_get_stats(n);
	memcpy(rs, st->router, 16 * sizeof *rs);
	st->router = NULL;
	hash = (hash ^ (uint64_t)sac_noc_now(n)) * 1099511628211ULL;
	sac_noc_free(n);
	return hash;
}

START_TEST(test_skip_busy)
{
	for (int set = 0; set < 5; set++) {
		sac_noc_stats st[2];
		sac_noc_router_stats rs[2][16];
		int64_t jumped[2];
		uint64_t h0 = slow_sink(set, 0, &st[0], rs[0], &jumped[0]);
		uint64_t h1 = slow_sink(set, 1, &st[1], rs[1], &jumped[1]);
		ck_assert_uint_eq(h0, h1);
		ck_assert_uint_eq(st[0].packets_injected, st[1].packets_injected);
		ck_assert_uint_eq(st[0].flits_injected, st[1].flits_injected);
		ck_assert_uint_eq(st[0].flits_ejected, st[1].flits_ejected);
		ck_assert_uint_eq(st[0].link_flits, st[1].link_flits);
		ck_assert_int_eq(st[0].latency_sum, st[1].latency_sum);
		ck_assert_int_eq(st[0].latency_max, st[1].latency_max);
		ck_assert_uint_eq(st[0].hops_sum, st[1].hops_sum);
		ck_assert(!memcmp(rs[0], rs[1], sizeof rs[0]));
		ck_assert_int_gt(jumped[1], 0);
	}
}
END_TEST

START_TEST(test_errors)
{
	sac_target t;
	sac_err e = {0};
	target(&t, 4, 4);
	t.noc.vcs = 0;
	ck_assert_ptr_null(sac_noc_new(&t, &e));
	ck_assert_int_eq(e.code, SAC_ERR_RANGE);
	ck_assert_msg(strstr(e.msg, "noc.vcs = 0"), "%s", e.msg);
	target(&t, 4, 4);
	t.noc.buffer_depth = 0;
	sac_err_clear(&e);
	ck_assert_ptr_null(sac_noc_new(&t, &e));
	ck_assert_msg(strstr(e.msg, "noc.buffer_depth"), "%s", e.msg);
	target(&t, 4, 4);
	t.noc.link_delay = 0;
	sac_err_clear(&e);
	ck_assert_ptr_null(sac_noc_new(&t, &e));
	ck_assert_msg(strstr(e.msg, "noc.link_delay"), "%s", e.msg);
	target(&t, 4, 4);
	sac_noc *n = mk(&t);
	sac_packet p = {0, 16, 1, 0, -1, 0};
	ck_assert_int_eq(sac_noc_send(n, &p), SAC_ERR_USAGE);
	p.dst = 3, p.nflits = 0;
	ck_assert_int_eq(sac_noc_send(n, &p), SAC_ERR_USAGE);
	p.src = -1, p.nflits = 1;
	ck_assert_int_eq(sac_noc_send(n, &p), SAC_ERR_USAGE);
	ck_assert(!sac_noc_busy(n));
	ck_assert(!sac_noc_stalled(n, 0, NULL, 0));
	ck_assert_str_eq(sac_noc_port_name(SAC_NOC_E), "E");
	sac_noc_free(n);
}
END_TEST

START_TEST(test_saturation)
{
	/* Every node offers a packet every cycle: the accepted throughput of
	 * later intervals stays at the level of earlier ones (no collapse),
	 * and the network never stalls. */
	sac_target t;
	target(&t, 4, 4);
	sac_noc *n = mk(&t);
	uint64_t seed = 12345, prev = 0, got[3] = {0};
	for (int c = 0; c < 12000; c++) {
		for (int i = 0; i < 16; i++) {
			sac_packet p = {i, (int)(rng(&seed) % 16), 2, 0, -1, 0};
			sac_noc_send(n, &p);
			if (sac_noc_peek(n, i, NULL))
				sac_noc_pop(n, i);
		}
		sac_noc_cycle(n);
		ck_assert(!sac_noc_stalled(n, 100, NULL, 0));
		if (c % 4000 == 3999) {
			uint64_t f = sac_noc_get_stats(n)->flits_ejected;
			got[c / 4000] = f - prev;
			prev = f;
		}
	}
	/* 4 x 4, uniform: the bisection limits a node to 0.5 flits/cycle. */
	double r1 = got[1] / 4000.0 / 16, r2 = got[2] / 4000.0 / 16;
	ck_assert_msg(r1 > 0.2 && r1 <= 0.5, "throughput %g", r1);
	ck_assert_msg(r2 > 0.95 * r1 && r2 < 1.05 * r1, "%g then %g", r1, r2);
	sac_noc_free(n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("noc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_zero_load);
	tcase_add_test(tc, test_conservation);
	tcase_add_test(tc, test_hotspot);
	tcase_add_test(tc, test_determinism);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_saturation);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_skip_busy);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
