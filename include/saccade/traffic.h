/* traffic.h: synthetic traffic on the NoC alone (`saccade noc`).
 *
 * Characterises a target's network the way dedicated NoC simulators do:
 * every node creates packets of L flits by Bernoulli trials (probability
 * R / L per cycle, R = offered flits per node per cycle) addressed by a
 * pattern; a packet waits in an unbounded source queue in front of the
 * router's injection queue, so latency (creation -> tail in the ejection
 * queue) includes source queueing; PEs consume every ejected packet at
 * once.  A run has three phases: warm-up (packets not measured),
 * measurement (packets created then are measured; flits ejected then give
 * the accepted throughput) and drain (until every measured packet is
 * delivered).  Saturation is a result, never a hang: see
 * sac_traffic_result.saturated and docs/NOC.md ("Synthetic traffic").
 * Deterministic for a seed; no global state; nothing is printed. */
#ifndef SACCADE_TRAFFIC_H
#define SACCADE_TRAFFIC_H

#include "saccade/saccade.h"
#include "saccade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sac_traffic_pattern {
	SAC_TRAFFIC_UNIFORM,   /* uniform over the other nodes */
	SAC_TRAFFIC_TRANSPOSE, /* (x, y) -> (y, x); square meshes */
	SAC_TRAFFIC_BITCOMP,   /* node id -> ~id; power-of-two node counts */
	SAC_TRAFFIC_HOTSPOT,   /* fraction f to the hotspot, the rest uniform */
	SAC_TRAFFIC_NEIGHBOUR, /* a random one of the up-to-4 neighbours */
	SAC_TRAFFIC_TORNADO,   /* (x + ceil(W/2) - 1 mod W, y + ceil(H/2) - 1 mod H) */
	SAC_TRAFFIC_COUNT
} sac_traffic_pattern;

typedef struct sac_traffic_opts {
	sac_traffic_pattern pattern;
	double rate;          /* offered flits per node per cycle, in (0, 1] */
	int length;           /* flits per packet, >= 1 */
	double hotspot_frac;  /* hotspot: fraction of packets to the hotspot, [0, 1] */
	int hotspot_node;     /* hotspot: its node id; -1: the centre (W/2, H/2) */
	int64_t warmup;       /* cycles, >= 0 */
	int64_t measure;      /* cycles, >= 1 */
	/* Cycles the drain may last while the sources keep injecting before
	 * the run is declared saturated (0: 20 x measure). */
	int64_t drain_limit;
	/* Saturated if the flits ejected during measurement fall short of
	 * the flits created then by more than this fraction (0: 0.01), and
	 * by more than half the mean backlog and one packet per node. */
	double tolerance;
	uint64_t seed;
	/* Called about every 4096 cycles: cycle, and the end of measurement
	 * (the drain then runs past it). */
	void (*progress)(void *ctx, int64_t cycle, int64_t measure_end);
	void *progress_ctx;
} sac_traffic_opts;

enum { /* why a run is saturated */
	SAC_TRAFFIC_STABLE = 0,
	SAC_TRAFFIC_SAT_THROUGHPUT, /* accepted < created (1 - tolerance) */
	SAC_TRAFFIC_SAT_DRAIN       /* the drain outlasted drain_limit */
};

typedef struct sac_traffic_result {
	int nodes;
	double offered;        /* R as asked */
	double created;        /* flits created per node per cycle during measurement */
	double accepted;       /* flits ejected per node per cycle during measurement */
	uint64_t packets;      /* measured packets (created during measurement) */
	uint64_t delivered;    /* measured packets delivered (== packets) */
	uint64_t duplicates;   /* measured packets delivered twice (always 0) */
	uint64_t misrouted;    /* packets ejected at the wrong node (always 0) */
	uint64_t misordered;   /* flits ejected out of order (always 0) */
	/* Latency of the measured packets, cycles from creation to the tail
	 * in the ejection queue; percentiles by nearest rank. */
	double lat_avg;
	int64_t lat_min, lat_p50, lat_p95, lat_p99, lat_max;
	double zero_load_avg;  /* the zero-load latency of the same packets, averaged */
	double hops_avg;       /* links per measured packet */
	int saturated;         /* 0 or a SAC_TRAFFIC_SAT_* reason */
	int64_t cycles;        /* simulated in all (warm-up + measurement + drain) */
	int64_t drain_cycles;
	uint64_t flits_delivered; /* every packet of the run */
	uint64_t max_backlog;  /* most packets waiting in source queues at once */
} sac_traffic_result;

/* Defaults: uniform, rate 0.1, 1 flit, hotspot 0.1 at the centre,
 * warm-up 2000, measurement 10000, seed 1. */
void sac_traffic_opts_init(sac_traffic_opts *o);
/* Run the NoC of t (its mesh, router and queues) under o.  Errors:
 * SAC_ERR_RANGE for a bad option or target field (the message names it),
 * SAC_ERR_UNSUPPORTED for a pattern the mesh cannot have (transpose on a
 * non-square mesh ...), SAC_ERR_NOMEM. */
int sac_traffic_run(const sac_target *t, const sac_traffic_opts *o,
		    sac_traffic_result *r, sac_err *e);
/* The checks of sac_traffic_run that need no target (SAC_ERR_RANGE). */
int sac_traffic_check_opts(const sac_traffic_opts *o, sac_err *e);
/* "uniform", "transpose", "bitcomp", "hotspot", "neighbour", "tornado". */
const char *sac_traffic_pattern_name(sac_traffic_pattern p);
/* Parse a pattern name (also "neighbor", "bit-complement"), with
 * "hotspot:F" setting o->hotspot_frac; SAC_ERR_USAGE if unknown. */
int sac_traffic_parse_pattern(const char *s, sac_traffic_opts *o, sac_err *e);
/* The reason a result is saturated, or "stable". */
const char *sac_traffic_sat_reason(int saturated);

#ifdef __cplusplus
}
#endif
#endif
