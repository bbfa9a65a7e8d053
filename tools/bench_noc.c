/* bench_noc.c: wall-clock speed of the NoC model (sim/noc.c) alone.
 *
 * Uniform random traffic, Bernoulli injection of `rate` flits per node per
 * cycle (geometric gaps, so the generator costs little at low load), every
 * PE consuming one packet per cycle.  Prints delivered flits and simulated
 * cycles per wall second.  Not part of make check; build by hand:
 *   cc -O2 -std=c11 -Iinclude tools/bench_noc.c sim/noc.c sim/target.c \
 *      common/err.c -lyaml -lm -o /tmp/bench_noc
 *   /tmp/bench_noc W H RATE CYCLES [NFLITS] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "saccade/noc.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int64_t gap(uint64_t *s, double p)
{
	double u = ((rng(s) >> 11) + 0.5) / 9007199254740992.0;
	return p >= 1 ? 1 : 1 + (int64_t)floor(log(u) / log1p(-p));
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s W H RATE CYCLES [NFLITS]\n", argv[0]);
		return 2;
	}
	sac_target t;
	sac_target_default(&t);
	t.mesh_w = atoi(argv[1]);
	t.mesh_h = atoi(argv[2]);
	double rate = atof(argv[3]);
	int64_t cycles = atoll(argv[4]);
	int nf = argc > 5 ? atoi(argv[5]) : 1;
	sac_err e = {0};
	sac_noc *n = sac_noc_new(&t, &e);
	if (!n) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	int nn = t.mesh_w * t.mesh_h;
	double p = rate / nf; /* packets per node per cycle */
	uint64_t seed = 88172645463325252ULL, refused = 0;
	/* Bernoulli trials over (cycle, node) in order: one geometric gap
	 * to the next success instead of a draw per node and cycle. */
	int64_t next = gap(&seed, p) - 1;
	/* Nodes with packets addressed to them not yet consumed. */
	int *owed = calloc(nn, sizeof *owed), *list = malloc(nn * sizeof *list);
	int nlist = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int64_t c = 0; c < cycles; c++) {
		for (int j = 0; j < nlist;) {
			int i = list[j];
			if (sac_noc_peek(n, i, NULL)) {
				sac_noc_pop(n, i);
				if (!--owed[i]) {
					list[j] = list[--nlist];
					continue;
				}
			}
			j++;
		}
		for (; next < (c + 1) * nn; next += gap(&seed, p)) {
			int i = (int)(next % nn), d = (int)(rng(&seed) % nn);
			sac_packet pk = {i, d, nf, 0, -1, 0};
			if (sac_noc_send(n, &pk) != 1) {
				refused++;
				continue;
			}
			if (!owed[d]++)
				list[nlist++] = d;
		}
		sac_noc_cycle(n);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
	const sac_noc_stats *st = sac_noc_get_stats(n);
	printf("%dx%d rate %.4f flits/node/cycle, %d-flit packets, %lld cycles: "
	       "%.3f s, %.3g flits/s, %.3g cycles/s, accepted %.4f "
	       "flits/node/cycle, avg latency %.2f, max %lld, refused %llu\n",
	       t.mesh_w, t.mesh_h, rate, nf, (long long)cycles, s,
	       st->flits_ejected / s, cycles / s,
	       (double)st->flits_ejected / nn / cycles,
	       st->packets_ejected ? (double)st->latency_sum / st->packets_ejected : 0,
	       (long long)st->latency_max, (unsigned long long)refused);
	free(owed);
	free(list);
	sac_noc_free(n);
	return 0;
}
