/* ir_internal.h: helpers shared by the compiler's files, not exported.
 *
 * Node removal keeps the topological order: a removed node's consumers are
 * rewired to its producer and the list is compacted, so indices change
 * after every removal; passes therefore restart their scan or walk
 * backwards. */
#ifndef SACCADE_IR_INTERNAL_H
#define SACCADE_IR_INTERNAL_H

#include "saccade/ir.h"

/* Append a zeroed node; returns its index or -1 on allocation failure. */
int sac__graph_add(sac_graph *g, sac_err *e);
/* Remove node i, rewiring its consumers to its first input. */
void sac__graph_bypass(sac_graph *g, int i);
/* Number of nodes consuming node i. */
int sac__graph_consumers(const sac_graph *g, int i);
/* Free the arrays owned by a node. */
void sac__node_clear(sac_node *nd);
/* Location prefix "file:line:col" for a node into buf. */
const char *sac__node_loc(const sac_graph *g, const sac_node *nd, char *buf,
			  size_t n);
/* Weight count expected for a conv2d/linear node from its shapes. */
size_t sac__weight_count(const sac_graph *g, const sac_node *nd);
/* Input channels of conv2d / input features of linear. */
int sac__fan_channels(const sac_graph *g, const sac_node *nd);
/* floor(a / b) for b > 0. */
static inline long long sac__floordiv(long long a, long long b)
{
	long long q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

#endif
