/* target.c: the hardware description: built-in defaults, target.yaml
 * loading and range checks.
 *
 * One table (`fields`) names every numeric field of sac_target with its
 * YAML section, key, range and unit scale; the loader, the checker and the
 * error messages all read it, so a range cannot be enforced in one place
 * and forgotten in another.  Loading is strict in the way model_load.c is:
 * the YAML is read with libyaml's document API so that every node keeps
 * its position, and unknown keys, duplicate keys, wrong scalar types and
 * out-of-range values are "file:line:col: message" errors.  A failed load
 * leaves the caller's struct untouched; a successful one starts from
 * sac_target_default, so a file need only say what differs.  The built-in
 * defaults must equal examples/targets/yoso.yaml (tests/check_target.c
 * compares them field by field).  No global state; nothing is printed. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "saccade/target.h"
#include "common/yamlx.h"

#define TARGET_FORMAT 1

/* How a YAML value becomes a struct value. */
enum kind {
	K_INT,   /* int, integer in [lo, hi] */
	K_POW2,  /* int, a power of two in [lo, hi] */
	K_DBL    /* double, finite, in [lo, hi] */
};

typedef struct field {
	const char *sect;   /* YAML section path, NULL at the top level */
	const char *key;    /* key inside it; NULL: parsed specially (mesh) */
	const char *label;  /* how messages name it */
	size_t off;         /* offset in sac_target */
	enum kind kind;
	double lo, hi;      /* range in YAML units */
	double scale;       /* struct value = YAML value * scale */
} field;

#define OFF(m) offsetof(sac_target, m)
#define INT(s, k, lab, m, lo, hi) {s, k, lab, OFF(m), K_INT, lo, hi, 1}
#define DBL(s, k, lab, m) {s, k, lab, OFF(m), K_DBL, 0, HUGE_VAL, 1}
#define PJ(s, k, m) DBL(s, k, s "." k, energy.m)

/* Pipeline delays are bounded only to keep cycle arithmetic far from
 * overflow; neurons to 1 M per PE so that a 64x64 mesh of them still
 * numbers its neurons in 32 bits. */
enum { F_CLOCK, F_MESH_W, F_MESH_H, F_NEURONS, F_WEIGHT, F_WIDTH, F_LANES };
static const field fields[] = {
	[F_CLOCK] = {NULL, "clock_mhz", "clock_mhz", OFF(clock_hz), K_DBL,
		     0.001, 10000, 1e6},
	[F_MESH_W] = INT(NULL, NULL, "mesh width", mesh_w, 1, 64),
	[F_MESH_H] = INT(NULL, NULL, "mesh height", mesh_h, 1, 64),
	[F_NEURONS] = INT("pe", "neurons", "pe.neurons", pe.neurons, 1,
			  1 << 20),
	[F_WEIGHT] = {"pe", "weight_kib", "pe.weight_kib",
		      OFF(pe.weight_bytes), K_INT, 1, 16384, 1024},
	[F_WIDTH] = {"pe", "weight_width", "pe.weight_width",
		     OFF(pe.weight_width), K_POW2, 1, 64, 1},
	[F_LANES] = INT("pe", "lanes", "pe.lanes", pe.lanes, 1, 1024),
	INT("pe", "route_entries", "pe.route_entries", pe.route_entries, 1,
	    65536),
	INT("pe", "in_fifo", "pe.in_fifo", pe.in_fifo, 1, 65536),
	INT("pe", "out_fifo", "pe.out_fifo", pe.out_fifo, 1, 65536),
	INT("pe", "pipeline", "pe.pipeline", pe.pipeline, 1, 64),
	{"noc", "flit_bits", "noc.flit_bits", OFF(noc.flit_bits), K_POW2, 16,
	 256, 1},
	INT("noc", "vcs", "noc.vcs", noc.vcs, 1, 12),
	INT("noc", "buffer_depth", "noc.buffer_depth", noc.buffer_depth, 1,
	    256),
	INT("noc", "route_delay", "noc.route_delay", noc.route_delay, 0, 1024),
	INT("noc", "vc_delay", "noc.vc_delay", noc.vc_delay, 0, 1024),
	INT("noc", "switch_delay", "noc.switch_delay", noc.switch_delay, 1,
	    1024),
	INT("noc", "xbar_delay", "noc.xbar_delay", noc.xbar_delay, 1, 1024),
	INT("noc", "link_delay", "noc.link_delay", noc.link_delay, 1, 1024),
	INT("noc", "credit_delay", "noc.credit_delay", noc.credit_delay, 1,
	    1024),
	INT("noc", "sync_delay", "noc.sync_delay", noc.sync_delay, 1,
	    1 << 20),
	PJ("energy.sram", "weight_read", weight_read),
	PJ("energy.sram", "weight_write", weight_write),
	PJ("energy.sram", "potential_read", potential_read),
	PJ("energy.sram", "potential_write", potential_write),
	PJ("energy.sram", "accum_read", accum_read),
	PJ("energy.sram", "accum_write", accum_write),
	PJ("energy.sram", "spike_read", spike_read),
	PJ("energy.sram", "spike_write", spike_write),
	PJ("energy.compute", "add", add),
	PJ("energy.compute", "mac", mac),
	PJ("energy.compute", "compare", compare),
	PJ("energy.compute", "divide", divide),
	PJ("energy.noc", "router_buffer", router_buffer),
	PJ("energy.noc", "router_xbar", router_xbar),
	PJ("energy.noc", "link", link),
	PJ("energy.static", "leak_pe", leak_pe),
	PJ("energy.static", "clock_pe", clock_pe),
	INT("dense", "mac_lanes", "dense.mac_lanes", dense.mac_lanes, 1, 4096),
	INT("dense", "vector_lanes", "dense.vector_lanes", dense.vector_lanes,
	    1, 4096),
	INT("dense", "div_cycles", "dense.div_cycles", dense.div_cycles, 1,
	    1024),
	INT("dense", "dram_bytes_per_cycle", "dense.dram_bytes_per_cycle",
	    dense.dram_bytes_per_cycle, 1, 4096),
	INT("dense", "dram_latency", "dense.dram_latency", dense.dram_latency,
	    0, 1 << 20),
	PJ("energy.dense", "requant", requant),
	PJ("energy.dense", "lut", lut),
	PJ("energy.dense", "dram_byte", dram_byte),
};
#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

/* Sections that hold other sections rather than fields. */
static const char *const top_keys[] = {"saccade-target", "name", "clock_mhz",
	"mesh", "microarch", "pe", "noc", "dense", "energy", NULL};
static const char *const energy_keys[] = {"sram", "compute", "noc", "static",
	"dense", NULL};

void sac_target_default(sac_target *t)
{
	/* The values of examples/targets/yoso.yaml; docs/FORMATS.md says why
	 * they hold TNAS-ER, docs/ENERGY.md where every energy comes from. */
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "yoso");
	t->clock_hz = 54e6;
	t->mesh_w = 16;
	t->mesh_h = 16;
	t->uarch = SAC_UARCH_RAMP;
	t->pe = (sac_pe){.neurons = 4096, .weight_bytes = 32 * 1024,
			 .weight_width = 8, .lanes = 8, .route_entries = 64,
			 .in_fifo = 16, .out_fifo = 16, .pipeline = 3};
	t->noc = (sac_noc_params){.flit_bits = 64, .vcs = 2,
				  .buffer_depth = 4, .route_delay = 1,
				  .vc_delay = 1, .switch_delay = 1,
				  .xbar_delay = 1, .link_delay = 1,
				  .credit_delay = 1, .sync_delay = 32};
	t->energy = (sac_energy){
		.weight_read = 20.0, .weight_write = 20.0,
		.potential_read = 7.07, .potential_write = 7.07,
		.accum_read = 7.07, .accum_write = 7.07,
		.spike_read = 2.5, .spike_write = 2.5,
		.add = 0.1, .mac = 0.3, .compare = 0.1, .divide = 3.2,
		.router_buffer = 1.0, .router_xbar = 0.7, .link = 1.8,
		.leak_pe = 1.0, .clock_pe = 5.0,
		.requant = 3.2, .lut = 1.77, .dram_byte = 162.5};
	t->dense = (sac_dense_hw){.mac_lanes = 8, .vector_lanes = 8,
				  .div_cycles = 32, .dram_bytes_per_cycle = 8,
				  .dram_latency = 6};
}

const char *sac_uarch_name(sac_uarch u)
{
	switch (u) {
	case SAC_UARCH_RAMP: return "ramp";
	case SAC_UARCH_EVENT: return "event";
	}
	return "?";
}

/* ---- checks ------------------------------------------------------------- */

static double field_get(const sac_target *t, const field *f)
{
	const char *p = (const char *)t + f->off;
	if (f->kind == K_DBL) {
		double d;
		memcpy(&d, p, sizeof d);
		return d / f->scale;
	}
	int i;
	memcpy(&i, p, sizeof i);
	return i / f->scale;
}

static int is_pow2(double v)
{
	return v >= 1 && v == floor(v) && ((long)v & ((long)v - 1)) == 0;
}

/* %g prints 1e+06 for a million; limits read better as plain numbers. */
static const char *num(char *buf, size_t n, double v)
{
	if (isinf(v))
		snprintf(buf, n, "inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%g", v);
	return buf;
}

static void range_msg(char *msg, size_t n, const field *f, double v)
{
	char a[40], b[40], c[40];
	if (f->kind == K_DBL && isinf(f->hi))
		snprintf(msg, n, "'%s' = %s is out of range: must be >= %s and finite",
			 f->label, num(a, sizeof a, v), num(b, sizeof b, f->lo));
	else if (f->kind == K_POW2)
		snprintf(msg, n, "'%s' = %s must be a power of two in [%s, %s]",
			 f->label, num(a, sizeof a, v), num(b, sizeof b, f->lo),
			 num(c, sizeof c, f->hi));
	else
		snprintf(msg, n, "'%s' = %s is out of range [%s, %s]", f->label,
			 num(a, sizeof a, v), num(b, sizeof b, f->lo),
			 num(c, sizeof c, f->hi));
}

static int in_range(const field *f, double v)
{
	if (!isfinite(v) || v < f->lo || v > f->hi)
		return 0;
	return f->kind != K_POW2 || is_pow2(v);
}

static int name_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == 0 || n == cap)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		      *s == '-'))
			return 0;
	return 1;
}

/* The whole check; on failure writes the message and the index of the
 * offending field (-1 if none is in the table), and for a conflict between
 * two fields the other one in *alt, so that the loader can locate it at
 * whichever of the two the file sets. */
static int check(const sac_target *t, char *msg, size_t n, int *bad, int *alt)
{
	*bad = *alt = -1;
	if (!name_ok(t->name, sizeof t->name)) {
		snprintf(msg, n, "'name' must be 1 to %zu characters of [A-Za-z0-9_.-]",
			 sizeof t->name - 1);
		return SAC_ERR_RANGE;
	}
	if (t->uarch != SAC_UARCH_RAMP && t->uarch != SAC_UARCH_EVENT) {
		snprintf(msg, n, "'microarch' must be 'ramp' or 'event'");
		return SAC_ERR_RANGE;
	}
	for (int i = 0; i < NFIELDS; i++) {
		double v = field_get(t, &fields[i]);
		if (!in_range(&fields[i], v)) {
			range_msg(msg, n, &fields[i], v);
			*bad = i;
			return SAC_ERR_RANGE;
		}
	}
	/* Consistency between fields. */
	if (t->pe.weight_bytes % t->pe.weight_width) {
		snprintf(msg, n, "'pe.weight_kib' (%d bytes) is not a whole number of %d-weight rows ('pe.weight_width')",
			 t->pe.weight_bytes, t->pe.weight_width);
		*bad = F_WEIGHT;
		*alt = F_WIDTH;
		return SAC_ERR_RANGE;
	}
	if (t->pe.lanes > t->pe.neurons) {
		snprintf(msg, n, "'pe.lanes' = %d exceeds 'pe.neurons' = %d: a lane needs a neuron to update",
			 t->pe.lanes, t->pe.neurons);
		*bad = F_LANES;
		*alt = F_NEURONS;
		return SAC_ERR_RANGE;
	}
	return SAC_OK;
}

int sac_target_check(const sac_target *t, sac_err *e)
{
	char msg[512];
	int bad, alt;
	int r = check(t, msg, sizeof msg, &bad, &alt);
	if (r)
		return sac_errf(e, r, "target '%.63s': %s", t->name, msg);
	return SAC_OK;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct loader {
	const char *file;
	yaml_document_t doc;
	sac_target t;
	int have_name;
	const yaml_node_t *where[NFIELDS]; /* node that set each field */
	sac_err *e;
} loader;

/* Located errors: the loader's file at a node. */
#define err_at(L, n, code, ...) sac__yaml_err((L)->e, (L)->file, (n), (code), __VA_ARGS__)
#define node_kind sac__yaml_kind

static const yaml_node_t *node(loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

/* A number must be a plain scalar: a quoted "8" is a string in YAML and
 * accepting it would hide a misquoted file. */
static int get_number(loader *L, const yaml_node_t *n, const field *f,
		      double *out)
{
	const char *want = f->kind == K_DBL ? "a number" : "an integer";
	if (n->type != YAML_SCALAR_NODE)
		return err_at(L, n, SAC_ERR_PARSE, "'%s' must be %s, got %s",
			      f->label, want, node_kind(n));
	const char *s = (const char *)n->data.scalar.value;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return err_at(L, n, SAC_ERR_PARSE,
			      "'%s' must be %s, got the quoted string '%s'",
			      f->label, want, s);
	if (!*s)
		return err_at(L, n, SAC_ERR_PARSE,
			      "'%s' must be %s, got an empty value", f->label,
			      want);
	char *end;
	errno = 0;
	double v;
	if (f->kind == K_DBL) {
		v = strtod(s, &end);
		if (*end || errno || !isfinite(v))
			return err_at(L, n, SAC_ERR_PARSE,
				      "'%s' must be a finite number, got '%s'",
				      f->label, s);
	} else {
		long l = strtol(s, &end, 10);
		if (*end || errno)
			return err_at(L, n, SAC_ERR_PARSE,
				      "'%s' must be an integer, got '%s'",
				      f->label, s);
		v = (double)l;
	}
	*out = v;
	return SAC_OK;
}

static int set_field(loader *L, const yaml_node_t *n, int i)
{
	const field *f = &fields[i];
	double v;
	int r = get_number(L, n, f, &v);
	if (r)
		return r;
	if (!in_range(f, v)) {
		char msg[512];
		range_msg(msg, sizeof msg, f, v);
		return err_at(L, n, SAC_ERR_RANGE, "%s", msg);
	}
	char *p = (char *)&L->t + f->off;
	if (f->kind == K_DBL) {
		double d = v * f->scale;
		memcpy(p, &d, sizeof d);
	} else {
		int k = (int)(v * f->scale);
		memcpy(p, &k, sizeof k);
	}
	L->where[i] = n;
	return SAC_OK;
}

static void known_list(char *buf, size_t n, const char *sect,
		       const char *const *extra)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; extra && extra[i]; i++)
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0,
					"%s%s", len ? ", " : "", extra[i]);
	for (int i = 0; !extra && i < NFIELDS; i++)
		if (fields[i].key && fields[i].sect &&
		    !strcmp(fields[i].sect, sect))
			len += (size_t)snprintf(buf + len,
						len < n ? n - len : 0, "%s%s",
						len ? ", " : "",
						fields[i].key);
}

/* Walk a mapping's pairs, rejecting non-string and duplicate keys.  Calls
 * fn for each pair; stops at the first error. */
typedef int (*pair_fn)(loader *L, const char *sect, const yaml_node_t *k,
		       const yaml_node_t *v);

static int each_pair(loader *L, const char *sect, const yaml_node_t *m,
		     pair_fn fn)
{
	if (m->type != YAML_MAPPING_NODE)
		return err_at(L, m, SAC_ERR_PARSE, "'%s' must be a mapping, got %s",
			      sect ? sect : "target", node_kind(m));
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(L, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return err_at(L, k, SAC_ERR_PARSE,
				      "keys in '%s' must be strings",
				      sect ? sect : "target");
		const char *ks = (const char *)k->data.scalar.value;
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p;
		     q++) {
			const yaml_node_t *qk = node(L, q->key);
			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)qk->data.scalar.value, ks))
				return err_at(L, k, SAC_ERR_PARSE,
					      "duplicate key '%s'%s%s%s", ks,
					      sect ? " in '" : "",
					      sect ? sect : "", sect ? "'" : "");
		}
		int r = fn ? fn(L, sect, k, node(L, p->value)) : SAC_OK;
		if (r)
			return r;
	}
	return SAC_OK;
}

/* A section whose keys are all fields of the table. */
static int field_pair(loader *L, const char *sect, const yaml_node_t *k,
		      const yaml_node_t *v)
{
	const char *ks = (const char *)k->data.scalar.value;
	for (int i = 0; i < NFIELDS; i++)
		if (fields[i].key && fields[i].sect &&
		    !strcmp(fields[i].sect, sect) && !strcmp(fields[i].key, ks))
			return set_field(L, v, i);
	char known[512];
	known_list(known, sizeof known, sect, NULL);
	return err_at(L, k, SAC_ERR_PARSE, "unknown key '%s' in '%s' (known: %s)",
		      ks, sect, known);
}

static int energy_pair(loader *L, const char *sect, const yaml_node_t *k,
		       const yaml_node_t *v)
{
	const char *ks = (const char *)k->data.scalar.value;
	(void)sect;
	static const char *const sub[] = {"energy.sram", "energy.compute",
					  "energy.noc", "energy.static",
					  "energy.dense"};
	for (int i = 0; energy_keys[i]; i++)
		if (!strcmp(ks, energy_keys[i]))
			return each_pair(L, sub[i], v, field_pair);
	char known[256];
	known_list(known, sizeof known, NULL, energy_keys);
	return err_at(L, k, SAC_ERR_PARSE,
		      "unknown key '%s' in 'energy' (known: %s)", ks, known);
}

static int get_mesh(loader *L, const yaml_node_t *v)
{
	if (v->type != YAML_SEQUENCE_NODE ||
	    v->data.sequence.items.top - v->data.sequence.items.start != 2)
		return err_at(L, v, SAC_ERR_PARSE,
			      "'mesh' must be a pair [width, height]");
	int r = set_field(L, node(L, v->data.sequence.items.start[0]),
			  F_MESH_W);
	if (!r)
		r = set_field(L, node(L, v->data.sequence.items.start[1]),
			      F_MESH_H);
	return r;
}

static int top_pair(loader *L, const char *sect, const yaml_node_t *k,
		    const yaml_node_t *v)
{
	const char *ks = (const char *)k->data.scalar.value;
	(void)sect;
	if (!strcmp(ks, "saccade-target"))
		return SAC_OK; /* checked first, in parse_root */
	if (!strcmp(ks, "name")) {
		const char *s = v->type == YAML_SCALAR_NODE
					? (const char *)v->data.scalar.value
					: NULL;
		if (!s || !name_ok(s, sizeof L->t.name))
			return err_at(L, v, SAC_ERR_PARSE,
				      "'name' must be 1 to %zu characters of [A-Za-z0-9_.-]",
				      sizeof L->t.name - 1);
		snprintf(L->t.name, sizeof L->t.name, "%s", s);
		L->have_name = 1;
		return SAC_OK;
	}
	if (!strcmp(ks, "clock_mhz"))
		return set_field(L, v, F_CLOCK);
	if (!strcmp(ks, "mesh"))
		return get_mesh(L, v);
	if (!strcmp(ks, "microarch")) {
		const char *s = v->type == YAML_SCALAR_NODE
					? (const char *)v->data.scalar.value
					: "";
		if (v->type != YAML_SCALAR_NODE)
			return err_at(L, v, SAC_ERR_PARSE,
				      "'microarch' must be 'ramp' or 'event', got %s",
				      node_kind(v));
		if (!strcmp(s, "ramp"))
			L->t.uarch = SAC_UARCH_RAMP;
		else if (!strcmp(s, "event"))
			L->t.uarch = SAC_UARCH_EVENT;
		else
			return err_at(L, v, SAC_ERR_PARSE,
				      "'microarch' must be 'ramp' or 'event', got '%s'",
				      s);
		return SAC_OK;
	}
	if (!strcmp(ks, "pe") || !strcmp(ks, "noc") || !strcmp(ks, "dense"))
		return each_pair(L, ks, v, field_pair);
	if (!strcmp(ks, "energy"))
		return each_pair(L, "energy", v, energy_pair);
	char known[256];
	known_list(known, sizeof known, NULL, top_keys);
	return err_at(L, k, SAC_ERR_PARSE,
		      "unknown top-level key '%s' (known: %s)", ks, known);
}

static int parse_root(loader *L, const yaml_node_t *root)
{
	if (!root)
		return sac_errf(L->e, SAC_ERR_PARSE,
				"%s: empty file; a target starts with 'saccade-target: %d'",
				L->file, TARGET_FORMAT);
	if (root->type != YAML_MAPPING_NODE)
		return err_at(L, root, SAC_ERR_PARSE,
			      "a target must be a mapping, got %s",
			      node_kind(root));
	/* The version first: a newer file's unknown keys are not typos. */
	const yaml_node_t *ver = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(L, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value,
			    "saccade-target"))
			ver = node(L, p->value);
	}
	if (!ver)
		return err_at(L, root, SAC_ERR_PARSE,
			      "missing 'saccade-target: %d' (the format version)",
			      TARGET_FORMAT);
	const field vf = {NULL, "saccade-target", "saccade-target", 0, K_INT,
			  INT_MIN, INT_MAX, 1};
	double v;
	int r = get_number(L, ver, &vf, &v);
	if (r)
		return r;
	if (v != TARGET_FORMAT)
		return err_at(L, ver, SAC_ERR_UNSUPPORTED,
			      "target format version %.0f is not supported (this is saccade %s, target format %d)",
			      v, SAC_VERSION_STRING, TARGET_FORMAT);
	return each_pair(L, NULL, root, top_pair);
}

int sac_target_load_mem(const char *yaml, size_t len, const char *name,
			sac_target *t, sac_err *e)
{
	loader *L = calloc(1, sizeof *L);
	if (!L)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	L->file = name;
	L->e = e;
	sac_target_default(&L->t);
	snprintf(L->t.path, sizeof L->t.path, "%s", name);

	int r0 = sac__yaml_parse(yaml, len, name, &L->doc, e);
	if (r0) {
		free(L);
		return r0;
	}

	int r = parse_root(L, yaml_document_get_root_node(&L->doc));
	if (!r && !L->have_name) {
		/* The file's stem names it: "small.yaml" -> "small"; a
		 * nameless file reported as "yoso" would mislead. */
		const char *b = strrchr(name, '/');
		b = b ? b + 1 : name;
		size_t n = strcspn(b, ".");
		if (n >= sizeof L->t.name)
			n = sizeof L->t.name - 1;
		char stem[sizeof L->t.name];
		memcpy(stem, b, n);
		stem[n] = '\0';
		if (name_ok(stem, sizeof stem))
			memcpy(L->t.name, stem, n + 1);
	}
	if (!r) {
		char msg[512];
		int bad, alt;
		r = check(&L->t, msg, sizeof msg, &bad, &alt);
		if (r && bad >= 0 && !L->where[bad] && alt >= 0)
			bad = alt;
		if (r && bad >= 0 && L->where[bad])
			err_at(L, L->where[bad], r, "%s", msg);
		else if (r)
			sac_errf(e, r, "%s: %s", name, msg);
	}
	if (!r)
		*t = L->t;
	yaml_document_delete(&L->doc);
	free(L);
	return r;
}

int sac_target_load(const char *path, sac_target *t, sac_err *e)
{
	char *buf;
	size_t len;
	/* A target is a few hundred bytes; 1 MiB means a wrong file. */
	int r = sac__read_file(path, (size_t)1 << 20, "target file", &buf, &len, e);
	if (r)
		return r;
	r = sac_target_load_mem(buf, len, path, t, e);
	free(buf);
	return r;
}
