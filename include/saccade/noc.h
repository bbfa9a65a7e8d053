/* noc.h: the cycle-accurate network-on-chip model.
 *
 * A mesh_w x mesh_h mesh of input-buffered virtual-channel wormhole routers
 * (5 ports: local, N, E, S, W), credit flow control, XY routing, per-packet
 * VC allocation and separable round-robin switch allocation, every pipeline
 * stage a parameter of sac_noc_params.  Node id = y * mesh_w + x; y grows
 * southwards (N is y - 1).  Each node has an injection queue (pe.out_fifo
 * packets) in front of its router and an ejection queue (pe.in_fifo packets)
 * behind it.  The exact rules, which the RTL reproduces cycle for cycle, are
 * in docs/NOC.md, with the zero-load latency formula.
 *
 * Time: sac_noc_now() is the cycle that the next sac_noc_cycle() simulates.
 * In each cycle c the caller first lets the PEs consume (peek/pop) and
 * produce (send), then calls sac_noc_cycle(): a packet sent while now == c
 * can enter the router in cycle c; a packet whose tail reaches the ejection
 * queue in cycle E is visible to peek once now > E.  The model is fully
 * deterministic and holds no global state. */
#ifndef SACCADE_NOC_H
#define SACCADE_NOC_H

#include "saccade/saccade.h"
#include "saccade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Router ports; an output port d leads to the neighbour in direction d,
 * input port d receives from it. */
enum { SAC_NOC_LOCAL, SAC_NOC_N, SAC_NOC_E, SAC_NOC_S, SAC_NOC_W, SAC_NOC_PORTS };

#define SAC_NOC_MAX_VCS 12 /* 5 ports x 12 VCs fit a 64-bit mask */

typedef struct sac_packet {
	int src, dst;       /* node ids */
	int nflits;         /* >= 1: head ... tail (a 1-flit packet is both) */
	uint64_t payload;   /* carried unchanged (the spike flit, docs/NOC.md) */
	int64_t created;    /* creation cycle for latency; < 0: now at send */
	uint64_t id;        /* carried unchanged, for the caller's bookkeeping */
} sac_packet;

typedef struct sac_noc_router_stats {
	uint64_t xbar;        /* flits through the crossbar (switch grants) */
	uint64_t buf_writes;  /* input-buffer writes (incl. injection) */
	uint64_t buf_reads;   /* input-buffer reads (== xbar) */
	uint64_t link[SAC_NOC_PORTS]; /* flits sent per output port; [LOCAL] = ejected */
} sac_noc_router_stats;

typedef struct sac_noc_stats {
	int nrouters;
	const sac_noc_router_stats *router; /* nrouters entries, owned by the noc */
	uint64_t packets_sent;      /* accepted by sac_noc_send */
	uint64_t packets_injected;  /* head entered the source router */
	uint64_t flits_injected;    /* flits written into local input buffers */
	uint64_t packets_ejected;   /* tail reached the ejection queue */
	uint64_t flits_ejected;
	uint64_t link_flits;        /* sum of router[].link[N..W]: flit hops */
	int64_t latency_sum;        /* created -> tail in ejection queue */
	int64_t latency_max;
	uint64_t hops_sum;          /* links traversed, summed over packets */
	uint64_t misordered;        /* flits ejected out of order (always 0) */
} sac_noc_stats;

typedef struct sac_noc sac_noc;

/* Validates t's mesh and NoC parameters (SAC_ERR_RANGE naming the field). */
sac_noc *sac_noc_new(const sac_target *t, sac_err *e);
void sac_noc_free(sac_noc *n);

/* Enqueue at p->src's injection queue: 1 accepted, 0 queue full,
 * SAC_ERR_USAGE for a bad node or flit count. */
int sac_noc_send(sac_noc *n, const sac_packet *p);
/* Simulate cycle now, then now + 1. */
void sac_noc_cycle(sac_noc *n);
/* The oldest arrived packet in node's ejection queue: 1 and *out, or 0. */
int sac_noc_peek(const sac_noc *n, int node, sac_packet *out);
/* Remove it (the PE consumed it); must follow a successful peek. */
void sac_noc_pop(sac_noc *n, int node);
int sac_noc_ejection_count(const sac_noc *n, int node); /* arrived packets */

int64_t sac_noc_now(const sac_noc *n);
/* Any packet queued, in flight or in an ejection queue (arrived or not). */
int sac_noc_busy(const sac_noc *n);
/* Flits in injection queues, router buffers and on links (not ejected). */
int64_t sac_noc_in_flight(const sac_noc *n);
/* The first cycle >= now in which a router may act without new sends or
 * pops; INT64_MAX if none can.  Routers are visited only in such cycles:
 * in the others sac_noc_cycle() changes nothing but the time. */
int64_t sac_noc_next_event(const sac_noc *n);
/* Jump `cycles` ahead; only legal when no router acts before now + cycles
 * (sac_noc_next_event(), asserted), e.g. when nothing is in flight.  The
 * result is identical to calling sac_noc_cycle() that many times, as long
 * as the caller neither sends nor pops in the cycles skipped. */
void sac_noc_skip(sac_noc *n, int64_t cycles);
/* The last cycle a flit moved or a PE popped: the stall clock. */
int64_t sac_noc_last_move(const sac_noc *n);
/* Packets sac_noc_send would accept at node now (injection queue room). */
int sac_noc_send_room(const sac_noc *n, int node);
/* The first cycle in which sac_noc_peek will show node's oldest packet in
 * its ejection queue (<= now if it shows now); INT64_MAX if the queue holds
 * none: the next one is still in the network. */
int64_t sac_noc_peek_from(const sac_noc *n, int node);
/* 1 if flits are in flight and in the last `limit` cycles none moved and
 * no PE popped a packet; msg then names a blocked router (x,y), input
 * port, VC, packet and the cause (e.g. a full ejection queue). */
int sac_noc_stalled(const sac_noc *n, int64_t limit, char *msg, size_t len);
const sac_noc_stats *sac_noc_get_stats(const sac_noc *n);

/* Cycles from creation to the tail's arrival in the ejection queue of an
 * nflits packet alone in the network, sent at creation (docs/NOC.md). */
int64_t sac_noc_zero_load_latency(const sac_target *t, int src, int dst,
				  int nflits);
/* Hops (links) of the XY route. */
int sac_noc_hops(const sac_target *t, int src, int dst);
const char *sac_noc_port_name(int port); /* "L", "N", "E", "S", "W" */

#ifdef __cplusplus
}
#endif
#endif
