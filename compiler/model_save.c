/* model_save.c: write a graph back as model.yaml + weights.npz.
 *
 * The output is the format of docs/FORMATS.md and loads back into an
 * identical graph: a float graph keeps its float32 parameters, a TTFS
 * graph is written as an integer model (quantized: ttfs) with int8
 * weights, int32 biases and ramps.  Parameters are named "<node>.<key>".
 * Names are double-quoted so that other YAML readers (PyYAML) never take
 * them for numbers or booleans. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/ir_internal.h"
#include "saccade/npy.h"

typedef struct members {
	int n, cap;
	char **names;
	sac_tensor **ts;
} members;

static void members_free(members *m)
{
	for (int i = 0; i < m->n; i++) {
		free(m->names[i]);
		/* data is borrowed from the graph */
		free(m->ts[i]);
	}
	free(m->names);
	free(m->ts);
}

/* Record a borrowed array as member "<node>.<key>"; the name goes to YAML. */
static int add_member(members *m, FILE *y, const char *node, const char *key,
		      sac_dtype dt, void *data, size_t count,
		      const int64_t *shape, int ndim, sac_err *e)
{
	if (m->n == m->cap) {
		int cap = m->cap ? m->cap * 2 : 64;
		char **nn = realloc(m->names, (size_t)cap * sizeof *nn);
		if (!nn)
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		m->names = nn;
		sac_tensor **nt = realloc(m->ts, (size_t)cap * sizeof *nt);
		if (!nt)
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		m->ts = nt;
		m->cap = cap;
	}
	size_t len = strlen(node) + strlen(key) + 2;
	char *name = malloc(len);
	sac_tensor *t = calloc(1, sizeof *t);
	if (!name || !t) {
		free(name);
		free(t);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	snprintf(name, len, "%s.%s", node, key);
	t->dtype = dt;
	t->ndim = ndim;
	for (int d = 0; d < ndim; d++)
		t->shape[d] = shape[d];
	t->count = count;
	t->data = data;
	m->names[m->n] = name;
	m->ts[m->n] = t;
	m->n++;
	fprintf(y, "    %s: \"%s\"\n", key, name);
	return SAC_OK;
}

static int weight_shape(const sac_graph *g, const sac_node *nd, int64_t *s)
{
	if (nd->op == SAC_OP_LINEAR) {
		s[0] = nd->features;
		s[1] = sac__fan_channels(g, nd);
		return 2;
	}
	s[0] = nd->out_channels;
	s[1] = sac__fan_channels(g, nd) / nd->groups;
	s[2] = nd->kh;
	s[3] = nd->kw;
	return 4;
}

int sac_model_save(const sac_graph *g, const char *yaml_path,
		   const char *npz_path, sac_err *e)
{
	int q = g->stage >= SAC_STAGE_TTFS;
	if (g->stage == SAC_STAGE_QUANT)
		return sac_errf(e, SAC_ERR_USAGE,
				"%s: a half-converted (QUANT stage) graph cannot be saved; run the ttfs pass",
				g->path);
	FILE *y = fopen(yaml_path, "w");
	if (!y)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s",
				yaml_path, strerror(errno));
	members m = {0};
	int r = SAC_OK;
	fprintf(y, "# written by saccade %s\nsaccade: 1\nname: \"%s\"\n",
		SAC_VERSION_STRING, g->name);
	if (q)
		fprintf(y, "quantized: ttfs\nquant: %s\ngamma: %.17g\n",
			g->per_layer ? "layer" : "channel", g->gamma);
	fprintf(y, "nodes:\n");
	for (int i = 0; i < g->n && !r; i++) {
		const sac_node *nd = &g->node[i];
		int64_t s[4], o = nd->c;
		fprintf(y, "  - name: \"%s\"\n    op: %s\n", nd->name,
			sac_op_name(nd->op));
		if (nd->nin) {
			fprintf(y, "    inputs: [");
			for (int a = 0; a < nd->nin; a++)
				fprintf(y, "%s\"%s\"", a ? ", " : "",
					g->node[nd->in[a]].name);
			fprintf(y, "]\n");
		}
		switch (nd->op) {
		case SAC_OP_INPUT:
			fprintf(y, "    shape: [%d, %d, %d]\n", nd->c, nd->h,
				nd->w);
			break;
		case SAC_OP_CONV2D:
			fprintf(y, "    out_channels: %d\n    kernel: [%d, %d]\n"
				   "    stride: [%d, %d]\n    padding: [%d, %d]\n"
				   "    groups: %d\n",
				nd->out_channels, nd->kh, nd->kw, nd->sh,
				nd->sw, nd->ph, nd->pw, nd->groups);
			break;
		case SAC_OP_LINEAR:
			fprintf(y, "    out_features: %d\n", nd->features);
			break;
		case SAC_OP_MAXPOOL:
			fprintf(y, "    kernel: [%d, %d]\n    stride: [%d, %d]\n"
				   "    padding: [%d, %d]\n",
				nd->kh, nd->kw, nd->sh, nd->sw, nd->ph, nd->pw);
			break;
		case SAC_OP_AVGPOOL:
			fprintf(y, "    kernel: [%d, %d]\n    stride: [%d, %d]\n",
				nd->kh, nd->kw, nd->sh, nd->sw);
			break;
		case SAC_OP_BATCHNORM:
			fprintf(y, "    eps: %.9g\n", (double)nd->eps);
			break;
		default:
			break;
		}
		if (q)
			fprintf(y, "    window: %d\n    steps: %d\n    act_scale: %.17g\n",
				nd->window, nd->steps, nd->act_scale);
		if (nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) {
			if (nd->relu)
				fprintf(y, "    relu: true\n");
			int nd_ = weight_shape(g, nd, s);
			int64_t ns = nd->nwscale;
			if (q) {
				r = add_member(&m, y, nd->name, "weight", SAC_I8,
					       nd->wq, nd->nweight, s, nd_, e);
				if (!r)
					r = add_member(&m, y, nd->name, "bias",
						       SAC_I32, nd->bq, (size_t)o,
						       &o, 1, e);
				if (!r)
					r = add_member(&m, y, nd->name, "ramp",
						       SAC_I32, nd->ramp,
						       (size_t)o, &o, 1, e);
				if (!r)
					r = add_member(&m, y, nd->name,
						       "weight_scale", SAC_F32,
						       nd->wscale, (size_t)ns,
						       &ns, 1, e);
			} else {
				r = add_member(&m, y, nd->name, "weight",
					       SAC_F32, nd->weight, nd->nweight,
					       s, nd_, e);
				if (!r && nd->bias)
					r = add_member(&m, y, nd->name, "bias",
						       SAC_F32, nd->bias,
						       (size_t)o, &o, 1, e);
			}
		} else if (nd->op == SAC_OP_BATCHNORM) {
			r = add_member(&m, y, nd->name, "gamma", SAC_F32,
				       nd->bn_gamma, (size_t)o, &o, 1, e);
			if (!r)
				r = add_member(&m, y, nd->name, "beta", SAC_F32,
					       nd->bn_beta, (size_t)o, &o, 1, e);
			if (!r)
				r = add_member(&m, y, nd->name, "mean", SAC_F32,
					       nd->bn_mean, (size_t)o, &o, 1, e);
			if (!r)
				r = add_member(&m, y, nd->name, "var", SAC_F32,
					       nd->bn_var, (size_t)o, &o, 1, e);
		}
	}
	if (fclose(y) != 0 && !r)
		r = sac_errf(e, SAC_ERR_IO, "%s: write error", yaml_path);
	if (!r)
		r = sac_npz_write(npz_path, m.n, (const char *const *)m.names,
				  (const sac_tensor *const *)m.ts, e);
	members_free(&m);
	return r;
}
