/* map.h: the mapper: a TTFS graph onto the PEs of a target's mesh.
 *
 * Hardware layers are the input, every spiking layer and the readout.
 * Each gets its own group of PEs ("layers go to distinct PE groups").  A
 * layer's output neurons [C, H, W] are cut into regions of whole rows and
 * a channel range, one region per PE, sized by the PE's neuron and weight
 * capacity; a region's row range is a multiple of the following max-pool's
 * window, so pooling is done at the source PE.  A route is one (source
 * PE, destination PE) pair with a filter: the source neurons (in the
 * coordinates of what the source layer transmits, after its pool and
 * flatten) that the destination needs.  Spikes are multicast by
 * replication at the source: one packet per matching route.  Placement
 * assigns regions to mesh positions; the baseline fills the mesh in a
 * snake order, the optimiser then swaps positions to minimise the
 * hop-weighted traffic (simulated annealing with a fixed seed, so maps are
 * reproducible). */
#ifndef SACCADE_MAP_H
#define SACCADE_MAP_H

#include "saccade/ir.h"
#include "saccade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sac_hw_kind { SAC_HW_INPUT, SAC_HW_SPIKING, SAC_HW_READOUT } sac_hw_kind;

typedef struct sac_hwlayer {
	sac_hw_kind kind;
	int node;        /* graph node: input, conv2d/linear (spiking or readout) */
	int out_node;    /* node whose neurons are transmitted (after maxpool/flatten) */
	int pool_node;   /* the last max-pool applied at the source, or -1 */
	int src;         /* hardware layer feeding this one, -1 for the input */
	int window;      /* window of the output spikes (readout: its phase-1 window + 1) */
	int steps;       /* S of that window (0 for the readout) */
	int in_steps;    /* S of the window its input spikes in (0 for the input) */
	int first, count; /* its regions: region[first .. first + count) */
} sac_hwlayer;

typedef struct sac_region {
	int layer;       /* hardware layer */
	int pe;          /* mesh node y * W + x */
	int c0, c1;      /* output channels [c0, c1) */
	int y0, y1;      /* output rows [y0, y1); all columns */
	int neurons;     /* (c1 - c0) * (y1 - y0) * W */
	int weight_bytes;
	int first_route, nroutes; /* its outgoing routes */
} sac_region;

typedef struct sac_route {
	int src_region, dst_region;
	/* Filter over the transmitted neurons (c, y, x) of the source layer:
	 * channels [c0, c1), rows [y0, y1); all columns.  For a linear
	 * destination the filter covers everything. */
	int c0, c1, y0, y1;
	int64_t traffic;  /* source neurons passing the filter (dense estimate) */
} sac_route;

typedef struct sac_map_opts {
	int optimise;        /* 1 (default): anneal after the baseline */
	uint64_t seed;       /* annealing seed */
	long iterations;     /* annealing moves, 0: automatic */
} sac_map_opts;

typedef struct sac_map {
	int nlayers, nregions, nroutes, npe;
	sac_hwlayer *layer;
	sac_region *region;
	sac_route *route;
	int *pe_region;      /* per mesh node: region index or -1 (unused PE) */
	int mesh_w, mesh_h;
	int64_t cost_baseline; /* sum of traffic x hops, baseline placement */
	int64_t cost;          /* after optimisation */
} sac_map;

void sac_map_opts_init(sac_map_opts *o);
/* Map a TTFS-stage graph.  Capacity errors name the layer, the limit and
 * what it needs. */
int sac_map_build(const sac_graph *g, const sac_target *t,
		  const sac_map_opts *o, sac_map **out, sac_err *e);
void sac_map_free(sac_map *m);
#define SAC_MAX_POOLS 8
/* The max-pools applied at the source of L, in order (the nodes from
 * L->node to L->out_node); returns how many. */
int sac_map_pool_chain(const sac_graph *g, const sac_hwlayer *L, int *pools);
/* Manhattan hops between two mesh nodes. */
int sac_map_hops(const sac_map *m, int a, int b);
/* Print the PE map as a table. */
void sac_map_print(const sac_map *m, const sac_graph *g, FILE *out);
/* Draw the PE map as a self-contained SVG picture: one square per mesh
 * node coloured by hardware layer (unused PEs grey), both directed links
 * between neighbours scaled by their traffic (route.traffic summed along
 * each route's XY path, so the links sum to m->cost), a legend and a
 * title.  Deterministic.  SAC_ERR_IO if writing out fails. */
int sac_map_svg(const sac_map *m, const sac_graph *g, FILE *out, sac_err *e);

#ifdef __cplusplus
}
#endif
#endif
