/* model_load.c: read model.yaml + weights.npz into a graph.
 *
 * The YAML is parsed with libyaml's document API so that every node and
 * every key keeps its line and column; all user errors are reported as
 * "file:line:col: message".  Loading is strict: unknown keys, duplicate
 * keys, wrong scalar types and out-of-range integers are errors, because a
 * typo silently ignored becomes a wrong model.  Parameters are read after
 * shape inference so that a member's expected shape is known and can be
 * named in the error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compiler/ir_internal.h"
#include "saccade/npy.h"
#include "common/yamlx.h"

enum { P_WEIGHT, P_BIAS, P_GAMMA, P_BETA, P_MEAN, P_VAR, P_WSCALE, P_RAMP,
       P_COUNT };
static const char *const param_key[P_COUNT] = {
	"weight", "bias", "gamma", "beta", "mean", "var", "weight_scale",
	"ramp"};

typedef struct param_ref {
	char member[SAC_NAME_MAX * 2];
	int line, col;
} param_ref;

typedef struct loader {
	const char *file;
	yaml_document_t doc;
	sac_graph *g;
	param_ref (*params)[P_COUNT]; /* per node */
	sac_err *e;
} loader;

/* Located errors: the loader's file at a node. */
#define err_at(L, n, code, ...) sac__yaml_err((L)->e, (L)->file, (n), (code), __VA_ARGS__)

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
					   : NULL;
}

#define node_kind sac__yaml_kind

static int get_string(loader *L, const yaml_node_t *n, const char *key,
		      char *out, size_t size)
{
	const char *s = scalar(n);
	if (!s)
		return err_at(L, n, SAC_ERR_PARSE,
			      "'%s' must be a string, got %s", key,
			      node_kind(n));
	if (strlen(s) >= size)
		return err_at(L, n, SAC_ERR_RANGE,
			      "'%s' is longer than %zu characters", key,
			      size - 1);
	strcpy(out, s);
	return SAC_OK;
}

static int get_int(loader *L, const yaml_node_t *n, const char *key, int lo,
		   int hi, int *out)
{
	const char *s = scalar(n);
	if (!s || !*s)
		return err_at(L, n, SAC_ERR_PARSE,
			      "'%s' must be an integer, got %s", key,
			      s ? "an empty value" : node_kind(n));
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno)
		return err_at(L, n, SAC_ERR_PARSE,
			      "'%s' must be an integer, got '%s'", key, s);
	if (v < lo || v > hi)
		return err_at(L, n, SAC_ERR_RANGE,
			      "'%s' = %ld is out of range [%d, %d]", key, v,
			      lo, hi);
	*out = (int)v;
	return SAC_OK;
}

static int get_double(loader *L, const yaml_node_t *n, const char *key,
		      double *out)
{
	const char *s = scalar(n);
	if (!s || !*s)
		return err_at(L, n, SAC_ERR_PARSE, "'%s' must be a number",
			      key);
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno || !isfinite(v))
		return err_at(L, n, SAC_ERR_PARSE,
			      "'%s' must be a finite number, got '%s'", key,
			      s);
	*out = v;
	return SAC_OK;
}

static int get_bool(loader *L, const yaml_node_t *n, const char *key, int *out)
{
	const char *s = scalar(n);
	if (s && (!strcmp(s, "true") || !strcmp(s, "True") ||
		  !strcmp(s, "yes"))) {
		*out = 1;
		return SAC_OK;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "False") ||
		  !strcmp(s, "no"))) {
		*out = 0;
		return SAC_OK;
	}
	return err_at(L, n, SAC_ERR_PARSE, "'%s' must be true or false", key);
}

/* An int or a [a, b] pair. */
static int get_pair(loader *L, const yaml_node_t *n, const char *key, int lo,
		    int hi, int *a, int *b)
{
	if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it = n->data.sequence.items.start;
		long cnt = n->data.sequence.items.top - it;
		if (cnt != 2)
			return err_at(L, n, SAC_ERR_PARSE,
				      "'%s' must be an integer or a pair [h, w]",
				      key);
		int r = get_int(L, yaml_document_get_node(&L->doc, it[0]),
				key, lo, hi, a);
		if (r)
			return r;
		return get_int(L, yaml_document_get_node(&L->doc, it[1]), key,
			       lo, hi, b);
	}
	int r = get_int(L, n, key, lo, hi, a);
	*b = *a;
	return r;
}

/* Which keys each op accepts besides name/op/inputs. */
static int key_allowed(sac_op op, const char *k, int quantized)
{
	static const char *const common_q[] = {"window", "steps", "act_scale",
					       NULL};
	if (quantized)
		for (int i = 0; common_q[i]; i++)
			if (!strcmp(k, common_q[i]))
				return 1;
	const char *const *list;
	static const char *const conv[] = {"out_channels", "kernel", "stride",
		"padding", "groups", "relu", "weight", "bias", NULL};
	static const char *const lin[] = {"out_features", "relu", "weight",
		"bias", NULL};
	static const char *const mp[] = {"kernel", "stride", "padding", NULL};
	static const char *const ap[] = {"kernel", "stride", NULL};
	static const char *const bn[] = {"eps", "gamma", "beta", "mean", "var",
		NULL};
	static const char *const in[] = {"shape", NULL};
	static const char *const none[] = {NULL};
	switch (op) {
	case SAC_OP_CONV2D: list = conv; break;
	case SAC_OP_LINEAR: list = lin; break;
	case SAC_OP_MAXPOOL: list = mp; break;
	case SAC_OP_AVGPOOL: list = ap; break;
	case SAC_OP_BATCHNORM: list = bn; break;
	case SAC_OP_INPUT: list = in; break;
	default: list = none; break;
	}
	for (int i = 0; list[i]; i++)
		if (!strcmp(k, list[i]))
			return 1;
	if (quantized && (op == SAC_OP_CONV2D || op == SAC_OP_LINEAR) &&
	    (!strcmp(k, "weight_scale") || !strcmp(k, "ramp")))
		return 1;
	return 0;
}

static int param_index(const char *k)
{
	for (int p = 0; p < P_COUNT; p++)
		if (!strcmp(k, param_key[p]))
			return p;
	return -1;
}

static int parse_node(loader *L, const yaml_node_t *m, int quantized)
{
	sac_graph *g = L->g;
	if (m->type != YAML_MAPPING_NODE)
		return err_at(L, m, SAC_ERR_PARSE,
			      "a node must be a mapping, got %s", node_kind(m));
	const yaml_node_t *opn = NULL, *namen = NULL, *inputsn = NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		const char *ks = scalar(k);
		if (!ks)
			return err_at(L, k, SAC_ERR_PARSE,
				      "keys must be strings");
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p;
		     q++) {
			const char *qs = scalar(
				yaml_document_get_node(&L->doc, q->key));
			if (qs && !strcmp(qs, ks))
				return err_at(L, k, SAC_ERR_PARSE,
					      "duplicate key '%s'", ks);
		}
		if (!strcmp(ks, "op"))
			opn = v;
		else if (!strcmp(ks, "name"))
			namen = v;
		else if (!strcmp(ks, "inputs"))
			inputsn = v;
	}
	if (!namen)
		return err_at(L, m, SAC_ERR_PARSE, "node has no 'name'");
	if (!opn)
		return err_at(L, m, SAC_ERR_PARSE, "node has no 'op'");
	int i = sac__graph_add(g, L->e);
	if (i < 0)
		return SAC_ERR_NOMEM;
	sac_node *nd = &g->node[i];
	nd->line = (int)m->start_mark.line + 1;
	nd->col = (int)m->start_mark.column + 1;
	nd->groups = 1;
	nd->eps = 1e-5f;
	nd->sh = nd->sw = 1;
	int r = get_string(L, namen, "name", nd->name, sizeof nd->name);
	if (r)
		return r;
	for (const char *c = nd->name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' ||
		      *c == '-'))
			return err_at(L, namen, SAC_ERR_PARSE,
				      "node name '%s' may only contain letters, digits, '_', '.' and '-'",
				      nd->name);
	if (!nd->name[0])
		return err_at(L, namen, SAC_ERR_PARSE, "empty node name");
	if (sac_graph_find(g, nd->name) != i)
		return err_at(L, namen, SAC_ERR_PARSE,
			      "duplicate node name '%s'", nd->name);
	const char *ops = scalar(opn);
	int op = ops ? sac_op_parse(ops) : -1;
	if (op < 0)
		return err_at(L, opn, SAC_ERR_PARSE,
			      "unknown op '%s' in node '%s' (known: input, conv2d, linear, relu, maxpool, avgpool, global_avgpool, flatten, batchnorm, identity, output)",
			      ops ? ops : "?", nd->name);
	nd->op = (sac_op)op;

	/* Inputs: names of earlier nodes. */
	if (inputsn) {
		if (inputsn->type != YAML_SEQUENCE_NODE)
			return err_at(L, inputsn, SAC_ERR_PARSE,
				      "'inputs' must be a sequence of node names");
		for (yaml_node_item_t *it = inputsn->data.sequence.items.start;
		     it < inputsn->data.sequence.items.top; it++) {
			const yaml_node_t *v = yaml_document_get_node(&L->doc, *it);
			const char *s = scalar(v);
			if (!s)
				return err_at(L, v, SAC_ERR_PARSE,
					      "an input must be a node name");
			int j = sac_graph_find(g, s);
			if (j < 0 || j >= i)
				return err_at(L, v, SAC_ERR_SHAPE,
					      "node '%s': input '%s' is not an earlier node",
					      nd->name, s);
			if (nd->nin == SAC_MAX_INPUTS)
				return err_at(L, v, SAC_ERR_SHAPE,
					      "node '%s': too many inputs",
					      nd->name);
			nd->in[nd->nin++] = j;
		}
	}
	int want = op == SAC_OP_INPUT ? 0 : 1;
	if (nd->nin != want)
		return err_at(L, inputsn ? inputsn : m, SAC_ERR_SHAPE,
			      "%s '%s' takes %d input%s, got %d", ops,
			      nd->name, want, want == 1 ? "" : "s", nd->nin);

	int have_kernel = 0, have_stride = 0, have_out = 0, have_shape = 0;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		const char *ks = scalar(k);
		if (!strcmp(ks, "op") || !strcmp(ks, "name") ||
		    !strcmp(ks, "inputs"))
			continue;
		if (!key_allowed(nd->op, ks, quantized))
			return err_at(L, k, SAC_ERR_PARSE,
				      "unknown attribute '%s' for %s node '%s'",
				      ks, ops, nd->name);
		int pi = param_index(ks);
		if (pi >= 0) {
			param_ref *pr = &L->params[i][pi];
			r = get_string(L, v, ks, pr->member, sizeof pr->member);
			pr->line = (int)v->start_mark.line + 1;
			pr->col = (int)v->start_mark.column + 1;
		} else if (!strcmp(ks, "out_channels")) {
			r = get_int(L, v, ks, 1, 1 << 16, &nd->out_channels);
			have_out = 1;
		} else if (!strcmp(ks, "out_features")) {
			r = get_int(L, v, ks, 1, 1 << 20, &nd->features);
			have_out = 1;
		} else if (!strcmp(ks, "kernel")) {
			r = get_pair(L, v, ks, 1, 4096, &nd->kh, &nd->kw);
			have_kernel = 1;
		} else if (!strcmp(ks, "stride")) {
			r = get_pair(L, v, ks, 1, 4096, &nd->sh, &nd->sw);
			have_stride = 1;
		} else if (!strcmp(ks, "padding")) {
			r = get_pair(L, v, ks, 0, 4096, &nd->ph, &nd->pw);
		} else if (!strcmp(ks, "groups")) {
			r = get_int(L, v, ks, 1, 1 << 16, &nd->groups);
		} else if (!strcmp(ks, "relu")) {
			r = get_bool(L, v, ks, &nd->relu);
		} else if (!strcmp(ks, "eps")) {
			double d;
			r = get_double(L, v, ks, &d);
			if (!r && !(d > 0))
				r = err_at(L, v, SAC_ERR_RANGE,
					   "'eps' must be positive");
			nd->eps = (float)d;
		} else if (!strcmp(ks, "shape")) {
			if (v->type != YAML_SEQUENCE_NODE ||
			    v->data.sequence.items.top -
					    v->data.sequence.items.start != 3)
				return err_at(L, v, SAC_ERR_PARSE,
					      "'shape' must be [C, H, W]");
			for (int d = 0; d < 3; d++) {
				r = get_int(L, yaml_document_get_node(&L->doc,
						v->data.sequence.items.start[d]),
					    "shape", 1, 65536, &nd->in_shape[d]);
				if (r)
					return r;
			}
			have_shape = 1;
		} else if (!strcmp(ks, "window")) {
			r = get_int(L, v, ks, 0, 1 << 20, &nd->window);
		} else if (!strcmp(ks, "steps")) {
			r = get_int(L, v, ks, 0, 4096, &nd->steps);
		} else if (!strcmp(ks, "act_scale")) {
			r = get_double(L, v, ks, &nd->act_scale);
		}
		if (r)
			return r;
	}
	if (nd->op == SAC_OP_INPUT && !have_shape)
		return err_at(L, m, SAC_ERR_PARSE,
			      "input '%s' needs 'shape: [C, H, W]'", nd->name);
	if ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_MAXPOOL ||
	     nd->op == SAC_OP_AVGPOOL) && !have_kernel)
		return err_at(L, m, SAC_ERR_PARSE, "%s '%s' needs 'kernel'",
			      ops, nd->name);
	if ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) &&
	    !have_out)
		return err_at(L, m, SAC_ERR_PARSE, "%s '%s' needs '%s'", ops,
			      nd->name,
			      nd->op == SAC_OP_CONV2D ? "out_channels"
						      : "out_features");
	if ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) &&
	    !L->params[i][P_WEIGHT].member[0])
		return err_at(L, m, SAC_ERR_PARSE, "%s '%s' needs 'weight'",
			      ops, nd->name);
	if (nd->op == SAC_OP_BATCHNORM)
		for (int p = P_GAMMA; p <= P_VAR; p++)
			if (!L->params[i][p].member[0])
				return err_at(L, m, SAC_ERR_PARSE,
					      "batchnorm '%s' needs '%s'",
					      nd->name, param_key[p]);
	if (quantized && (nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR))
		for (int p = P_BIAS; p <= P_RAMP; p++)
			if ((p == P_BIAS || p == P_WSCALE || p == P_RAMP) &&
			    !L->params[i][p].member[0])
				return err_at(L, m, SAC_ERR_PARSE,
					      "quantized %s '%s' needs '%s'",
					      ops, nd->name, param_key[p]);
	if ((nd->op == SAC_OP_MAXPOOL || nd->op == SAC_OP_AVGPOOL) &&
	    !have_stride) {
		nd->sh = nd->kh;
		nd->sw = nd->kw;
	}
	return SAC_OK;
}

/* The shape a parameter member must have. */
static int expected_shape(const sac_graph *g, const sac_node *nd, int p,
			  int64_t *s)
{
	if (p != P_WEIGHT) {
		s[0] = nd->c;
		return 1;
	}
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

/* Exact match, so that a transposed matrix is caught. */
static int same_shape(const sac_tensor *t, const int64_t *s, int n)
{
	if (t->ndim != n)
		return 0;
	for (int d = 0; d < n; d++)
		if (t->shape[d] != s[d])
			return 0;
	return 1;
}

static void shape_str(const int64_t *s, int n, char *buf, size_t size)
{
	size_t k = (size_t)snprintf(buf, size, "[");
	for (int d = 0; d < n && k < size; d++)
		k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? ", " : "",
				      (long long)s[d]);
	if (k < size)
		snprintf(buf + k, size - k, "]");
}

/* Read one parameter member with the expected element count and dtype
 * class; converts float64 to float32. */
static int load_param(loader *L, sac_npz *z, int i, int p, size_t want,
		      sac_dtype dt, void **out, size_t *count)
{
	param_ref *pr = &L->params[i][p];
	sac_node *nd = &L->g->node[i];
	sac_tensor t = {0};
	if (!z)
		return sac_errf(L->e, SAC_ERR_IO,
				"%s:%d:%d: node '%s' names '%s' but no weights file was given (--weights)",
				L->file, pr->line, pr->col, nd->name,
				pr->member);
	if (!sac_npz_has(z, pr->member))
		return sac_errf(L->e, SAC_ERR_SHAPE,
				"%s:%d:%d: node '%s': the weights file has no member '%s'",
				L->file, pr->line, pr->col, nd->name,
				pr->member);
	int r = sac_npz_get(z, pr->member, &t, L->e);
	if (r)
		return r;
	char desc[128];
	sac_tensor_desc(&t, desc, sizeof desc);
	int ok_type = dt == SAC_F32 ? (t.dtype == SAC_F32 || t.dtype == SAC_F64)
				    : t.dtype == dt;
	if (!ok_type) {
		sac_tensor_free(&t);
		return sac_errf(L->e, SAC_ERR_SHAPE,
				"%s:%d:%d: node '%s': member '%s' is %s, expected %s",
				L->file, pr->line, pr->col, nd->name,
				pr->member, desc, sac_dtype_name(dt));
	}
	int64_t shp[4];
	int nd_ = expected_shape(L->g, nd, p, shp);
	if (want && !same_shape(&t, shp, nd_)) {
		char exp[96];
		shape_str(shp, nd_, exp, sizeof exp);
		sac_tensor_free(&t);
		return sac_errf(L->e, SAC_ERR_SHAPE,
				"%s:%d:%d: node '%s': member '%s' is %s, expected %s%s",
				L->file, pr->line, pr->col, nd->name,
				pr->member, desc, exp,
				p == P_WEIGHT && nd->op == SAC_OP_CONV2D
					? " [out_channels, in_channels/groups, kh, kw]"
				: p == P_WEIGHT ? " [out_features, in_features]"
						: " (one per channel)");
	}
	if (count)
		*count = t.count;
	if (dt == SAC_F32) {
		float *f = malloc(t.count * sizeof *f + 1);
		if (!f) {
			sac_tensor_free(&t);
			return sac_errf(L->e, SAC_ERR_NOMEM, "out of memory");
		}
		for (size_t k = 0; k < t.count; k++) {
			f[k] = (float)sac_tensor_get_f(&t, k);
			if (!isfinite(f[k])) {
				free(f);
				sac_tensor_free(&t);
				return sac_errf(L->e, SAC_ERR_RANGE,
						"%s:%d:%d: node '%s': member '%s' holds a non-finite value at index %zu",
						L->file, pr->line, pr->col,
						nd->name, pr->member, k);
			}
		}
		sac_tensor_free(&t);
		*out = f;
	} else {
		*out = t.data;
		t.data = NULL;
	}
	return SAC_OK;
}

static int load_params(loader *L, const char *npz_path, int quantized)
{
	sac_graph *g = L->g;
	sac_npz *z = NULL;
	int need = 0;
	for (int i = 0; i < g->n; i++)
		for (int p = 0; p < P_COUNT; p++)
			need |= L->params[i][p].member[0] != 0;
	if (need && npz_path) {
		z = sac_npz_open(npz_path, L->e);
		if (!z)
			return L->e->code ? L->e->code : SAC_ERR_IO;
	}
	int r = SAC_OK;
	for (int i = 0; i < g->n && !r; i++) {
		sac_node *nd = &g->node[i];
		param_ref *pr = L->params[i];
		size_t nout = (size_t)nd->c;
		if (nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) {
			size_t want = sac__weight_count(g, nd);
			if (quantized) {
				size_t ns = 0;
				r = load_param(L, z, i, P_WEIGHT, want, SAC_I8,
					       (void **)&nd->wq, &nd->nweight);
				if (!r)
					r = load_param(L, z, i, P_BIAS, nout,
						       SAC_I32, (void **)&nd->bq, NULL);
				if (!r)
					r = load_param(L, z, i, P_RAMP, nout,
						       SAC_I32, (void **)&nd->ramp, NULL);
				if (!r)
					r = load_param(L, z, i, P_WSCALE, 0,
						       SAC_F32, (void **)&nd->wscale, &ns);
				if (!r && ns != 1 && ns != nout)
					r = sac_errf(L->e, SAC_ERR_SHAPE,
						     "%s:%d:%d: node '%s': member '%s' has %zu elements, expected 1 or %zu",
						     L->file, pr[P_WSCALE].line,
						     pr[P_WSCALE].col, nd->name,
						     pr[P_WSCALE].member, ns, nout);
				nd->nwscale = (int)ns;
				for (size_t k = 0; !r && k < nd->nweight; k++)
					if (nd->wq[k] == -128)
						r = sac_errf(L->e, SAC_ERR_RANGE,
							     "%s:%d:%d: node '%s': member '%s' holds -128 at index %zu; int8 weights are in [-127, 127]",
							     L->file, pr[P_WEIGHT].line,
							     pr[P_WEIGHT].col, nd->name,
							     pr[P_WEIGHT].member, k);
			} else {
				r = load_param(L, z, i, P_WEIGHT, want, SAC_F32,
					       (void **)&nd->weight, &nd->nweight);
				if (!r && pr[P_BIAS].member[0])
					r = load_param(L, z, i, P_BIAS, nout,
						       SAC_F32, (void **)&nd->bias, NULL);
			}
			if (!r) {
				snprintf(nd->wname, sizeof nd->wname, "%s",
					 pr[P_WEIGHT].member);
				snprintf(nd->bname, sizeof nd->bname, "%s",
					 pr[P_BIAS].member);
			}
		} else if (nd->op == SAC_OP_BATCHNORM) {
			float **dst[4] = {&nd->bn_gamma, &nd->bn_beta,
					  &nd->bn_mean, &nd->bn_var};
			for (int p = 0; p < 4 && !r; p++)
				r = load_param(L, z, i, P_GAMMA + p, nout,
					       SAC_F32, (void **)dst[p], NULL);
			for (int c = 0; !r && c < nd->c; c++)
				if (nd->bn_var[c] < 0)
					r = sac_errf(L->e, SAC_ERR_RANGE,
						     "%s:%d:%d: node '%s': member '%s' has a negative variance at channel %d",
						     L->file, pr[P_VAR].line,
						     pr[P_VAR].col, nd->name,
						     pr[P_VAR].member, c);
		}
	}
	sac_npz_close(z);
	return r;
}

static int parse_root(loader *L, const yaml_node_t *root, int *quantized,
		      const yaml_node_t **nodes_out)
{
	sac_graph *g = L->g;
	if (!root)
		return sac_errf(L->e, SAC_ERR_PARSE, "%s: empty document",
				L->file);
	if (root->type != YAML_MAPPING_NODE)
		return err_at(L, root, SAC_ERR_PARSE,
			      "the model must be a mapping with 'saccade' and 'nodes'");
	const yaml_node_t *ver = NULL, *nodes = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		const char *ks = scalar(k);
		int r = SAC_OK;
		if (!ks)
			return err_at(L, k, SAC_ERR_PARSE,
				      "keys must be strings");
		if (!strcmp(ks, "saccade"))
			ver = v;
		else if (!strcmp(ks, "nodes"))
			nodes = v;
		else if (!strcmp(ks, "name"))
			r = get_string(L, v, ks, g->name, sizeof g->name);
		else if (!strcmp(ks, "calibration"))
			r = get_string(L, v, ks, g->calib, sizeof g->calib);
		else if (!strcmp(ks, "quantized")) {
			const char *s = scalar(v);
			if (!s || strcmp(s, "ttfs"))
				return err_at(L, v, SAC_ERR_PARSE,
					      "'quantized' must be 'ttfs'");
			*quantized = 1;
		} else if (!strcmp(ks, "quant")) {
			const char *s = scalar(v);
			if (s && !strcmp(s, "layer"))
				g->per_layer = 1;
			else if (!s || strcmp(s, "channel"))
				return err_at(L, v, SAC_ERR_PARSE,
					      "'quant' must be 'channel' or 'layer'");
		} else if (!strcmp(ks, "gamma"))
			r = get_double(L, v, ks, &g->gamma);
		else
			return err_at(L, k, SAC_ERR_PARSE,
				      "unknown top-level key '%s' (known: saccade, name, calibration, quantized, quant, gamma, nodes)",
				      ks);
		if (r)
			return r;
	}
	if (!ver)
		return err_at(L, root, SAC_ERR_PARSE,
			      "missing 'saccade: 1' (the format version)");
	int v;
	int r = get_int(L, ver, "saccade", INT_MIN, INT_MAX, &v);
	if (r)
		return r;
	if (v != 1)
		return err_at(L, ver, SAC_ERR_UNSUPPORTED,
			      "format version %d is not supported (this is saccade %s, format 1)",
			      v, SAC_VERSION_STRING);
	if (!nodes)
		return err_at(L, root, SAC_ERR_PARSE, "missing 'nodes'");
	if (nodes->type != YAML_SEQUENCE_NODE)
		return err_at(L, nodes, SAC_ERR_PARSE,
			      "'nodes' must be a sequence");
	*nodes_out = nodes;
	return SAC_OK;
}

static void dir_of(const char *path, char *out, size_t n)
{
	const char *s = strrchr(path, '/');
	if (!s)
		snprintf(out, n, ".");
	else
		snprintf(out, n, "%.*s", (int)(s - path), path);
}

int sac_model_load_mem(const char *yaml, size_t len, const char *name,
		       const char *npz_path, sac_graph **out, sac_err *e)
{
	*out = NULL;
	loader L = {.file = name, .e = e};
	sac_graph *g = calloc(1, sizeof *g);
	if (!g)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	L.g = g;
	snprintf(g->path, sizeof g->path, "%s", name);
	g->gamma = 0.5;

	int r0 = sac__yaml_parse(yaml, len, name, &L.doc, e);
	if (r0) {
		free(g);
		return r0;
	}

	int quantized = 0;
	const yaml_node_t *nodes = NULL;
	int r = parse_root(&L, yaml_document_get_root_node(&L.doc), &quantized,
			   &nodes);
	if (!r) {
		size_t cnt = (size_t)(nodes->data.sequence.items.top -
				      nodes->data.sequence.items.start);
		L.params = calloc(cnt + 1, sizeof *L.params);
		if (!L.params)
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		for (size_t k = 0; !r && k < cnt; k++)
			r = parse_node(&L, yaml_document_get_node(&L.doc,
				nodes->data.sequence.items.start[k]), quantized);
		if (!r && cnt == 0)
			r = err_at(&L, nodes, SAC_ERR_PARSE, "'nodes' is empty");
	}
	if (!r && !g->name[0]) {
		const char *b = strrchr(name, '/');
		snprintf(g->name, sizeof g->name, "%s", b ? b + 1 : name);
	}
	if (!r && g->calib[0] && g->calib[0] != '/') {
		char dir[1024], tmp[1024];
		dir_of(name, dir, sizeof dir);
		snprintf(tmp, sizeof tmp, "%s", g->calib);
		if (snprintf(g->calib, sizeof g->calib, "%s/%s", dir, tmp) >=
		    (int)sizeof g->calib)
			r = sac_errf(e, SAC_ERR_RANGE, "%s: calibration path too long", name);
	}
	if (!r) {
		g->stage = quantized ? SAC_STAGE_TTFS : SAC_STAGE_FLOAT;
		r = sac_graph_infer(g, e);
	}
	if (!r)
		r = load_params(&L, npz_path, quantized);
	if (!r)
		r = sac_graph_verify(g, e);
	yaml_document_delete(&L.doc);
	free(L.params);
	if (r) {
		sac_graph_free(g);
		return r;
	}
	*out = g;
	return SAC_OK;
}

int sac_model_load(const char *yaml_path, const char *npz_path,
		   sac_graph **out, sac_err *e)
{
	*out = NULL;
	char *buf;
	size_t len;
	int r = sac__read_file(yaml_path, (size_t)64 << 20, "model graph", &buf,
			       &len, e);
	if (r)
		return r;
	r = sac_model_load_mem(buf, len, yaml_path, npz_path, out, e);
	free(buf);
	return r;
}
