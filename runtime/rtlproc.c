/* rtlproc.c: find and run an RTL executable (saccade-rtl-<target>) and
 * parse its result stream (rtlproc.h has the format).
 *
 * Invariants.  The parser accepts exactly the documented stream for the
 * program it is given: the header first (version 1, this target, this
 * mesh), `end` last and nothing after it, every number a plain decimal
 * int64 within its range (a PE holding a region, a local neuron of that
 * region, a step of the program, a readout index), no record twice (a
 * neuron spikes at most once, one logit per index, one count per PE and
 * field, one cycles, one steps), spikes in (cycle, PE) order, and at `end`
 * every logit and every count of every PE holding a region.  Any other
 * input is an error naming the line; the parser never trusts a number
 * before checking it, so a hostile stream cannot make it index out of
 * bounds or allocate without limit (lines are at most LINE_MAX_LEN bytes,
 * spikes at most one per neuron).
 *
 * The child: posix_spawn with stdin from /dev/null, stdout into a pipe
 * (both ends close-on-exec, so children spawned concurrently by other
 * threads do not inherit them), stderr inherited so its messages reach
 * the user.  After the stream ends, or on the first stream error or a
 * timeout (then the child is killed), the read end is closed and the
 * child is reaped with waitpid, on every path. */
#define _GNU_SOURCE /* pipe2, mkostemps: close-on-exec without a race */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "saccade/rtlproc.h"
#include "ref/ref_internal.h"

extern char **environ;

#ifndef SAC_PKGLIBEXECDIR
#define SAC_PKGLIBEXECDIR "/usr/local/libexec/saccade"
#endif

#define LINE_MAX_LEN 4096

/* --- the count fields ----------------------------------------------------- */

static const char *const field_name[] = {
#define X(f) #f,
	SAC_PE_COUNT_FIELDS(X)
#undef X
};

/* sac_pe_counts is all int64_t; if a field is added to it and not to the
 * table, this fails to compile. */
_Static_assert(sizeof(sac_pe_counts) == SAC_PEC_COUNT * sizeof(int64_t),
	       "SAC_PE_COUNT_FIELDS must list every member of sac_pe_counts");

const char *sac_pe_count_name(int field)
{
	return field >= 0 && field < SAC_PEC_COUNT ? field_name[field] : NULL;
}

int sac_pe_count_field(const char *name)
{
	for (int f = 0; name && f < SAC_PEC_COUNT; f++)
		if (!strcmp(field_name[f], name))
			return f;
	return -1;
}

int64_t *sac_pe_count_ptr(sac_pe_counts *c, int field)
{
	static const size_t off[] = {
#define X(f) offsetof(sac_pe_counts, f),
		SAC_PE_COUNT_FIELDS(X)
#undef X
	};
	return field >= 0 && field < SAC_PEC_COUNT ? (int64_t *)((char *)c + off[field]) : NULL;
}

void sac_rtl_result_free(sac_rtl_result *r)
{
	if (!r)
		return;
	free(r->spike);
	free(r->logit);
	free(r->pe);
	free(r->routers_reported);
	memset(r, 0, sizeof *r);
}

int sac_rtlproc_neuron(const sac_program *p, int pe, int neuron,
		       int *c, int *y, int *x, size_t *chw)
{
	const sac_map *m = p->m;
	if (pe < 0 || pe >= m->npe || m->pe_region[pe] < 0)
		return -1;
	const sac_region *r = &m->region[m->pe_region[pe]];
	if (neuron < 0 || neuron >= r->neurons)
		return -1;
	const sac_node *nd = &p->g->node[m->layer[r->layer].node];
	int G = r->c1 - r->c0, pos = neuron / G;
	int o = neuron % G + r->c0, oy = pos / nd->w + r->y0, ox = pos % nd->w;
	if (c)
		*c = o;
	if (y)
		*y = oy;
	if (x)
		*x = ox;
	if (chw)
		*chw = ((size_t)o * nd->h + (size_t)oy) * nd->w + (size_t)ox;
	return 0;
}

/* Global steps of the program: the windows before the readout's
 * (sim/sim.c counts them the same way). */
static int64_t total_steps(const sac_program *p)
{
	const sac_map *m = p->m;
	int nwin = m->layer[m->nlayers - 1].window;
	for (int l = 0; l < m->nlayers; l++)
		if (m->layer[l].kind == SAC_HW_READOUT)
			nwin = m->layer[l].window;
	int64_t total = 0;
	for (int w = 0; w < nwin; w++) {
		int steps = 0;
		for (int l = 0; l < m->nlayers; l++)
			if (m->layer[l].window == w && m->layer[l].kind != SAC_HW_READOUT)
				steps = m->layer[l].steps;
		total += steps;
	}
	return total;
}

/* --- the parser ------------------------------------------------------------ */

typedef struct parser {
	const sac_program *p;
	sac_rtl_result *r;
	sac_err *e;
	int rc;                  /* first error, sticky */
	int64_t line;            /* lines fed so far */
	int header, ended, have_cycles, have_steps;
	int64_t nsteps;          /* the program's global steps */
	int64_t cap;             /* spike array capacity */
	uint8_t *have_logit;     /* [nlogits] */
	uint32_t *have_count;    /* [npe]: bit f for field f */
	uint8_t **fired;         /* [npe]: per neuron of its region, or NULL */
	char buf[LINE_MAX_LEN + 1];
	size_t len;              /* bytes of the current line in buf */
	int overlong;
} parser;

static int perr(parser *P, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static int perr(parser *P, const char *fmt, ...)
{
	if (P->rc)
		return P->rc;
	char m[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	P->rc = sac_errf(P->e, SAC_ERR_PARSE, "rtl stream line %lld: %s", (long long)P->line, m);
	return P->rc;
}

static int parser_init(parser *P, const sac_program *p, sac_rtl_result *r, sac_err *e)
{
	memset(P, 0, sizeof *P);
	memset(r, 0, sizeof *r);
	P->p = p;
	P->r = r;
	P->e = e;
	P->nsteps = total_steps(p);
	const sac_map *m = p->m;
	r->npe = m->npe;
	r->nlogits = p->g->node[p->g->n - 1].c;
	r->cycles = r->steps = -1;
	r->logit = calloc((size_t)r->nlogits, sizeof *r->logit);
	r->pe = calloc((size_t)m->npe, sizeof *r->pe);
	r->routers_reported = calloc((size_t)m->npe, 1);
	P->have_logit = calloc((size_t)r->nlogits, 1);
	P->have_count = calloc((size_t)m->npe, sizeof *P->have_count);
	P->fired = calloc((size_t)m->npe, sizeof *P->fired);
	int ok = r->logit && r->pe && r->routers_reported && P->have_logit && P->have_count && P->fired;
	for (int n = 0; ok && n < m->npe; n++)
		if (m->pe_region[n] >= 0)
			ok = (P->fired[n] = calloc((size_t)m->region[m->pe_region[n]].neurons, 1)) != NULL;
	if (!ok)
		return P->rc = sac_errf(e, SAC_ERR_NOMEM, "rtl stream: out of memory");
	return SAC_OK;
}

static void parser_free(parser *P)
{
	if (P->fired)
		for (int n = 0; n < P->p->m->npe; n++)
			free(P->fired[n]);
	free(P->fired);
	free(P->have_logit);
	free(P->have_count);
	if (P->rc)
		sac_rtl_result_free(P->r);
}

/* A plain decimal int64: optional '-', digits, nothing else. */
static int num(parser *P, const char *s, const char *what, int64_t lo, int64_t hi, int64_t *v)
{
	const char *d = s + (*s == '-');
	if (!*d)
		return perr(P, "%s: expected a number, got '%s'", what, s);
	for (const char *q = d; *q; q++)
		if (*q < '0' || *q > '9')
			return perr(P, "%s: expected a number, got '%s'", what, s);
	errno = 0;
	long long x = strtoll(s, NULL, 10);
	if (errno || x < lo || x > hi)
		return perr(P, "%s = %s is out of range [%lld, %lld]", what, s,
			    (long long)lo, (long long)hi);
	*v = x;
	return SAC_OK;
}

static int header(parser *P, char **tok, int nt)
{
	const sac_program *p = P->p;
	if (nt < 1 || strcmp(tok[0], "saccade-rtl"))
		return perr(P, "expected the header 'saccade-rtl 1 <target> <W>x<H>', got '%s'",
			    nt ? tok[0] : "");
	if (nt != 4)
		return perr(P, "header: expected 4 fields, got %d", nt);
	int64_t v, w, h;
	if (num(P, tok[1], "header: version", 0, INT32_MAX, &v))
		return P->rc;
	if (v != SAC_RTL_STREAM_VERSION)
		return perr(P, "stream version %lld; this saccade reads version %d",
			    (long long)v, SAC_RTL_STREAM_VERSION);
	char *x = strchr(tok[3], 'x');
	if (!x)
		return perr(P, "header: mesh '%s' is not <W>x<H>", tok[3]);
	*x = 0;
	if (num(P, tok[3], "header: mesh width", 1, 4096, &w) ||
	    num(P, x + 1, "header: mesh height", 1, 4096, &h))
		return P->rc;
	snprintf(P->r->target, sizeof P->r->target, "%s", tok[2]);
	P->r->mesh_w = (int)w;
	P->r->mesh_h = (int)h;
	if (strcmp(tok[2], p->t.name) || w != p->m->mesh_w || h != p->m->mesh_h)
		return perr(P, "the executable simulates target '%s' (%lldx%lld); the image is for '%s' (%dx%d)",
			    tok[2], (long long)w, (long long)h, p->t.name, p->m->mesh_w, p->m->mesh_h);
	P->header = 1;
	return SAC_OK;
}

static int region_pe(parser *P, const char *s, const char *what, int64_t *pe)
{
	if (num(P, s, what, 0, P->p->m->npe - 1, pe))
		return P->rc;
	if (P->p->m->pe_region[*pe] < 0)
		return perr(P, "%s %lld holds no region of the image", what, (long long)*pe);
	return SAC_OK;
}

static int is_router_field(int f)
{
	return f == SAC_PEC_router_buffer || f == SAC_PEC_router_xbar || f == SAC_PEC_link;
}

static int spike(parser *P, char **tok, int nt)
{
	sac_rtl_result *r = P->r;
	if (nt != 5)
		return perr(P, "spike: expected 'spike <pe> <neuron> <step> <cycle>', got %d fields", nt);
	int64_t pe, nr, st, cy;
	if (region_pe(P, tok[1], "spike: PE", &pe))
		return P->rc;
	const sac_region *rg = &P->p->m->region[P->p->m->pe_region[pe]];
	if (num(P, tok[2], "spike: neuron", 0, rg->neurons - 1, &nr) ||
	    num(P, tok[3], "spike: step", 0, P->nsteps - 1, &st) ||
	    num(P, tok[4], "spike: cycle", 0, INT64_MAX, &cy))
		return P->rc;
	if (P->fired[pe][nr])
		return perr(P, "spike: PE %lld neuron %lld spikes a second time", (long long)pe,
			    (long long)nr);
	if (r->nspikes) {
		const sac_rtl_spike *q = &r->spike[r->nspikes - 1];
		if (cy < q->cycle || (cy == q->cycle && pe < q->pe))
			return perr(P, "spike: out of order: cycle %lld PE %lld after cycle %lld PE %d (the stream is ordered by cycle, then PE)",
				    (long long)cy, (long long)pe, (long long)q->cycle, q->pe);
	}
	if (r->nspikes == P->cap) {
		int64_t cap = P->cap ? 2 * P->cap : 1024;
		sac_rtl_spike *s = realloc(r->spike, (size_t)cap * sizeof *s);
		if (!s)
			return P->rc = sac_errf(P->e, SAC_ERR_NOMEM, "rtl stream: out of memory");
		r->spike = s;
		P->cap = cap;
	}
	P->fired[pe][nr] = 1;
	r->spike[r->nspikes++] = (sac_rtl_spike){(int32_t)pe, (int32_t)nr, st, cy};
	return SAC_OK;
}

static int record(parser *P, char **tok, int nt)
{
	sac_rtl_result *r = P->r;
	int64_t a, v;
	if (!strcmp(tok[0], "spike"))
		return spike(P, tok, nt);
	if (!strcmp(tok[0], "logit")) {
		if (nt != 3)
			return perr(P, "logit: expected 'logit <index> <value>', got %d fields", nt);
		if (num(P, tok[1], "logit: index", 0, r->nlogits - 1, &a) ||
		    num(P, tok[2], "logit: value", INT64_MIN, INT64_MAX, &v))
			return P->rc;
		if (P->have_logit[a])
			return perr(P, "logit %lld given twice", (long long)a);
		P->have_logit[a] = 1;
		r->logit[a] = v;
		return SAC_OK;
	}
	if (!strcmp(tok[0], "count")) {
		if (nt != 4)
			return perr(P, "count: expected 'count <pe> <field> <value>', got %d fields", nt);
		if (num(P, tok[1], "count: PE", 0, P->p->m->npe - 1, &a))
			return P->rc;
		int f = sac_pe_count_field(tok[2]);
		if (f < 0)
			return perr(P, "count: unknown field '%s'", tok[2]);
		/* A PE without a region has only its router, which traffic
		 * between other PEs may cross. */
		if (P->p->m->pe_region[a] < 0 && !is_router_field(f))
			return perr(P, "count: PE %lld holds no region of the image; only its router's counts (router_buffer, router_xbar, link) may be given",
				    (long long)a);
		if (num(P, tok[3], "count: value", 0, INT64_MAX, &v))
			return P->rc;
		if (P->have_count[a] & (1u << f))
			return perr(P, "count: PE %lld %s given twice", (long long)a, tok[2]);
		P->have_count[a] |= 1u << f;
		*sac_pe_count_ptr(&r->pe[a], f) = v;
		return SAC_OK;
	}
	int cyc = !strcmp(tok[0], "cycles");
	if (cyc || !strcmp(tok[0], "steps")) {
		int *have = cyc ? &P->have_cycles : &P->have_steps;
		if (nt != 2)
			return perr(P, "%s: expected '%s <n>', got %d fields", tok[0], tok[0], nt);
		if (*have)
			return perr(P, "%s given twice", tok[0]);
		if (num(P, tok[1], tok[0], 0, INT64_MAX, &v))
			return P->rc;
		*have = 1;
		*(cyc ? &r->cycles : &r->steps) = v;
		return SAC_OK;
	}
	if (!strcmp(tok[0], "end")) {
		if (nt != 1)
			return perr(P, "end: takes no fields");
		P->ended = 1;
		return SAC_OK;
	}
	return perr(P, "unknown record '%.40s'", tok[0]);
}

/* One complete line (without its newline). */
static int line(parser *P, char *s, size_t len)
{
	P->line++;
	P->r->lines = P->line;
	if (P->ended)
		return perr(P, "data after 'end'");
	if (P->overlong)
		return perr(P, "line longer than %d bytes", LINE_MAX_LEN);
	if (strlen(s) != len)
		return perr(P, "NUL byte in the stream");
	char *tok[8];
	int nt = 0;
	for (char *q = s;;) {
		char *sp = strchr(q, ' ');
		if (sp)
			*sp = 0;
		if (!*q || strpbrk(q, "\t\r\v\f"))
			return perr(P, "malformed line (fields are separated by one space; no tabs, CRs or empty fields)");
		if (nt == 8)
			return perr(P, "too many fields");
		tok[nt++] = q;
		if (!sp)
			break;
		q = sp + 1;
	}
	if (!P->header)
		return header(P, tok, nt);
	return record(P, tok, nt);
}

static int feed(parser *P, const char *b, size_t n)
{
	for (size_t i = 0; i < n && !P->rc; i++) {
		if (b[i] == '\n') {
			P->buf[P->len] = 0;
			line(P, P->buf, P->len);
			P->len = 0;
			P->overlong = 0;
		} else if (P->len < LINE_MAX_LEN) {
			P->buf[P->len++] = b[i];
		} else {
			P->overlong = 1;
		}
	}
	return P->rc;
}

/* End of the stream: everything must have been said. */
static int finish(parser *P)
{
	if (P->rc)
		return P->rc;
	const sac_map *m = P->p->m;
	P->line++; /* messages about what is missing point past the last line */
	if (P->len || P->overlong)
		return perr(P, "truncated stream: the last line has no newline");
	if (!P->header)
		return perr(P, "empty stream: no 'saccade-rtl' header");
	if (!P->ended)
		return perr(P, "truncated stream: no 'end' record after %lld lines",
			    (long long)(P->line - 1));
	if (!P->have_cycles || !P->have_steps)
		return perr(P, "no '%s' record before 'end'", P->have_cycles ? "steps" : "cycles");
	for (int k = 0; k < P->r->nlogits; k++)
		if (!P->have_logit[k])
			return perr(P, "no logit %d before 'end' (the readout has %d)", k,
				    P->r->nlogits);
	const uint32_t router = 1u << SAC_PEC_router_buffer | 1u << SAC_PEC_router_xbar |
				1u << SAC_PEC_link;
	for (int n = 0; n < m->npe; n++) {
		if (m->pe_region[n] < 0) {
			/* All three router counts or none (an RTL that does not
			 * report the routers of unused PEs: see routers_reported). */
			uint32_t h = P->have_count[n];
			for (int f = 0; h && h != router && f < SAC_PEC_COUNT; f++)
				if (is_router_field(f) && !(h & (1u << f)))
					return perr(P, "no count of PE %d %s before 'end' (its other router counts were given)",
						    n, field_name[f]);
			P->r->routers_reported[n] = h != 0;
			continue;
		}
		P->r->routers_reported[n] = 1;
		for (int f = 0; f < SAC_PEC_COUNT; f++)
			if (!(P->have_count[n] & (1u << f)))
				return perr(P, "no count of PE %d %s before 'end'", n, field_name[f]);
	}
	return SAC_OK;
}

int sac_rtlproc_parse(const sac_program *p, FILE *f, sac_rtl_result *r, sac_err *e)
{
	if (!p || !f || !r)
		return sac_errf(e, SAC_ERR_USAGE, "sac_rtlproc_parse: NULL argument");
	parser *P = malloc(sizeof *P);
	if (!P)
		return sac_errf(e, SAC_ERR_NOMEM, "rtl stream: out of memory");
	int rc = parser_init(P, p, r, e);
	char b[8192];
	size_t n;
	while (!rc && (n = fread(b, 1, sizeof b, f)) > 0)
		rc = feed(P, b, n);
	if (!rc && ferror(f))
		rc = P->rc = sac_errf(e, SAC_ERR_IO, "rtl stream: read error");
	if (!rc)
		rc = finish(P);
	parser_free(P);
	free(P);
	return rc;
}

/* --- finding the executable ------------------------------------------------ */

static int is_exe(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

int sac_rtlproc_find(const sac_program *p, const char *exe, char *path, size_t n,
		     sac_err *e)
{
	if (exe) {
		if (!is_exe(exe))
			return sac_errf(e, SAC_ERR_UNSUPPORTED, "RTL executable %s: %s", exe,
					access(exe, F_OK) ? strerror(errno) : "not an executable file");
		if (snprintf(path, n, "%s", exe) >= (int)n)
			return sac_errf(e, SAC_ERR_RANGE, "RTL executable path too long");
		return SAC_OK;
	}
	/* The name goes into a path: only plain names. */
	const char *name = p->t.name;
	if (!*name || *name == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name))
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"no RTL executable for target '%s': the name is not a plain file name", name);
	const char *env = getenv("SACCADE_RTL_DIR");
	char looked[2 * PATH_MAX + 64] = "";
	const char *dirs[2] = {env && *env ? env : NULL, SAC_PKGLIBEXECDIR};
	for (int i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		char cand[PATH_MAX];
		if (snprintf(cand, sizeof cand, "%s/saccade-rtl-%s", dirs[i], name) >= (int)sizeof cand)
			continue;
		if (is_exe(cand)) {
			if (snprintf(path, n, "%s", cand) >= (int)n)
				return sac_errf(e, SAC_ERR_RANGE, "RTL executable path too long");
			return SAC_OK;
		}
		size_t l = strlen(looked);
		snprintf(looked + l, sizeof looked - l, "%s%s%s", l ? ", " : "", cand,
			 i == 0 ? " ($SACCADE_RTL_DIR)" : " (installed)");
	}
	return sac_errf(e, SAC_ERR_UNSUPPORTED,
			"no RTL executable for target '%s': looked for %s%s; build it "
			"(configure finds Verilator and SystemC, then make), or give its path",
			name, looked, env && *env ? "" : " ($SACCADE_RTL_DIR is not set)");
}

/* --- the child --------------------------------------------------------------- */

void sac_rtlproc_opts_init(sac_rtlproc_opts *o)
{
	memset(o, 0, sizeof *o);
	o->trace_fd = -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Reap the child; its wait status in *st, its CPU time in *cpu.  With a
 * deadline (> 0), a child still running then (one that closed its stdout
 * and hangs) is killed first, so that this returns.  Retries on EINTR. */
static int reap(pid_t pid, int *st, double *cpu, double deadline)
{
	for (;;) {
		struct rusage ru;
		pid_t w = wait4(pid, st, deadline > 0 ? WNOHANG : 0, &ru);
		if (w == pid)
			*cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
			       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		if (w == 0) {
			if (now_s() >= deadline) {
				kill(pid, SIGKILL);
				deadline = 0;
			} else {
				struct timespec ts = {0, 5000000}; /* 5 ms */
				nanosleep(&ts, NULL);
			}
		}
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int sac_rtlproc_run(const sac_program *p, const sac_rtlproc_opts *o,
		    sac_rtl_result *r, sac_err *e)
{
	if (!p || !o || !r || !o->image || !o->input)
		return sac_errf(e, SAC_ERR_USAGE, "sac_rtlproc_run: NULL argument");
	memset(r, 0, sizeof *r);
	char exe[PATH_MAX];
	int rc = sac_rtlproc_find(p, o->exe, exe, sizeof exe, e);
	if (rc)
		return rc;
	char idx[32], maxc[32];
	snprintf(idx, sizeof idx, "%ld", o->index);
	snprintf(maxc, sizeof maxc, "%lld", (long long)o->max_cycles);
	const char *argv[16];
	int a = 0;
	argv[a++] = exe;
	argv[a++] = o->image;
	argv[a++] = "--input";
	argv[a++] = o->input;
	argv[a++] = "--index";
	argv[a++] = idx;
	if (o->trace || o->trace_fd >= 0) {
		argv[a++] = "--trace";
		argv[a++] = o->trace ? o->trace : "/dev/fd/3";
	}
	if (o->max_cycles > 0) {
		argv[a++] = "--max-cycles";
		argv[a++] = maxc;
	}
	if (o->quiet)
		argv[a++] = "--quiet";
	argv[a] = NULL;

	int pfd[2] = {-1, -1}, tfd = -1;
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa))
		return sac_errf(e, SAC_ERR_NOMEM, "%s: cannot start: out of memory", exe);
	if (pipe2(pfd, O_CLOEXEC)) {
		rc = sac_errf(e, SAC_ERR_IO, "%s: cannot start: pipe: %s", exe, strerror(errno));
		goto out_fa;
	}
	int fa_rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!fa_rc)
		fa_rc = posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	if (!fa_rc && !o->trace && o->trace_fd >= 0) {
		/* A duplicate above 3 keeps dup2 from being a no-op that would
		 * leave a close-on-exec flag on fd 3. */
		tfd = fcntl(o->trace_fd, F_DUPFD_CLOEXEC, 10);
		fa_rc = tfd < 0 ? errno : posix_spawn_file_actions_adddup2(&fa, tfd, 3);
	}
	if (fa_rc) {
		rc = sac_errf(e, SAC_ERR_IO, "%s: cannot start: %s", exe, strerror(fa_rc));
		goto out_fds;
	}
	/* The child's environment: ours, plus SystemC's switch for its
	 * copyright banner (stderr noise on every run) unless the user set it. */
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = malloc((nenv + 2) * sizeof *envp);
	if (!envp) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "%s: cannot start: out of memory", exe);
		goto out_fds;
	}
	memcpy(envp, environ, nenv * sizeof *envp);
	if (!getenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE"))
		envp[nenv++] = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1";
	envp[nenv] = NULL;
	pid_t pid;
	double t0 = now_s();
	int sp = posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, envp);
	free(envp);
	close(pfd[1]);
	pfd[1] = -1;
	if (sp) {
		rc = sac_errf(e, SAC_ERR_IO, "%s: cannot start: %s", exe, strerror(sp));
		goto out_fds;
	}

	parser *P = malloc(sizeof *P);
	rc = P ? parser_init(P, p, r, e) : sac_errf(e, SAC_ERR_NOMEM, "rtl stream: out of memory");
	int eof = 0, timed_out = 0;
	char b[16384];
	while (!rc && !eof) {
		int wait_ms = -1;
		if (o->timeout_s > 0) {
			double left = t0 + o->timeout_s - now_s();
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			wait_ms = (int)(left * 1000) + 1;
		}
		struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
		int pr = poll(&pf, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			rc = sac_errf(e, SAC_ERR_IO, "%s: poll: %s", exe, strerror(errno));
			break;
		}
		if (pr == 0)
			continue; /* the deadline is checked at the top */
		ssize_t n = read(pfd[0], b, sizeof b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = sac_errf(e, SAC_ERR_IO, "%s: read: %s", exe, strerror(errno));
		else if (n == 0)
			eof = 1;
		else
			rc = feed(P, b, (size_t)n);
	}
	close(pfd[0]);
	pfd[0] = -1;
	/* Stopped early: the child may still be writing or running. */
	if (!eof)
		kill(pid, SIGKILL);
	int st = 0;
	double cpu = 0;
	if (reap(pid, &st, &cpu, o->timeout_s > 0 ? t0 + o->timeout_s : 0))
		rc = rc ? rc : sac_errf(e, SAC_ERR_IO, "%s: waitpid: %s", exe, strerror(errno));
	r->wall_seconds = now_s() - t0;
	r->cpu_seconds = cpu;
	if (timed_out && !rc)
		rc = sac_errf(e, SAC_ERR_IO, "%s: no result after %d s: killed (--timeout)",
			      base_name(exe), o->timeout_s);
	if (!rc && eof) {
		if (WIFSIGNALED(st))
			rc = sac_errf(e, SAC_ERR_IO, "%s: killed by signal %d after %lld lines of output",
				      base_name(exe), WTERMSIG(st), (long long)P->line);
		else if (WIFEXITED(st) && WEXITSTATUS(st))
			rc = sac_errf(e, WEXITSTATUS(st) == 1 ? SAC_ERR_UNSUPPORTED : SAC_ERR_IO,
				      "%s: exited with status %d (%s; its message is above)",
				      base_name(exe), WEXITSTATUS(st),
				      WEXITSTATUS(st) == 1 ? "it refused the image or the input"
				      : WEXITSTATUS(st) == 2 ? "an internal failure of the RTL simulation"
				      : "not a status saccade-rtl documents");
		else
			rc = finish(P);
	}
	if (P) {
		if (rc && !P->rc)
			P->rc = rc; /* so that parser_free drops the partial result */
		parser_free(P);
		free(P);
	}
out_fds:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (tfd >= 0)
		close(tfd);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		sac_rtl_result_free(r);
	return rc;
}

/* --- the simulator's outputs --------------------------------------------- */

int sac_rtlproc_outputs(const sac_program *p, const sac_rtl_result *r,
			sac_ref_out *out, sac_sim_stats *st, sac_err *e)
{
	const sac_graph *g = p->g;
	const sac_map *m = p->m;
	int rc = sac__int_out_init(g, SAC_REF_SIM, out, e);
	if (rc)
		return rc;
	if (r->nlogits != out->nlogits || r->npe != m->npe) {
		sac_ref_out_free(out);
		return sac_errf(e, SAC_ERR_USAGE, "RTL result of another program");
	}
	for (int n = 0; n < m->npe; n++)
		if (!r->routers_reported[n]) {
			sac_ref_out_free(out);
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"the RTL reported no router counts of PE %d (it holds no region, but traffic may cross its router), so the energy cannot be computed",
					n);
		}
	rc = sac_sim_stats_init(p, st, e);
	if (rc) {
		sac_ref_out_free(out);
		return rc;
	}
	for (int64_t i = 0; i < r->nspikes; i++) {
		const sac_rtl_spike *s = &r->spike[i];
		size_t chw;
		if (sac_rtlproc_neuron(p, s->pe, s->neuron, NULL, NULL, NULL, &chw))
			continue; /* the parser admits none */
		const sac_region *rg = &m->region[m->pe_region[s->pe]];
		out->spike[m->layer[rg->layer].node][chw] = (int32_t)s->step;
		out->nspikes++;
	}
	memcpy(out->ilogits, r->logit, (size_t)r->nlogits * sizeof *out->ilogits);
	out->steps = r->steps;
	sac__dequant_logits(g, out);
	st->cycles = r->cycles;
	st->seconds = (double)r->cycles / p->t.clock_hz;
	st->steps = r->steps;
	st->spikes = out->nspikes;
	memcpy(st->pe, r->pe, (size_t)m->npe * sizeof *st->pe);
	for (int l = 0; l < m->nlayers; l++)
		st->layer_cycles[l] = -1;
	sac_sim_energy(p, st);
	return SAC_OK;
}
