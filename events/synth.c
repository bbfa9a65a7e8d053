/* synth.c: a deterministic synthetic single-eye DVS recording.
 *
 * An analytic scene of one eye (upper and lower lid, crease, lashes, iris,
 * pupil and highlight, eyebrow, textured skin, frown and crow's-feet lines)
 * is animated by a per-class motion programme (lid openness, squint, brow
 * height/tilt/pull, gaze saccades, blinks) and seen through a lighting
 * model.  A DVS pixel model turns it into events: the log intensity is
 * rendered at 1 kHz; each pixel keeps the log intensity of its last event
 * and emits ON/OFF events whenever the change crosses its own (mismatched)
 * contrast threshold, with timestamps interpolated linearly inside the
 * 1 ms step.  Background activity and hot pixels are Poisson processes.
 *
 * Invariants: the output depends only on the options (a private
 * xoshiro256** generator seeded through splitmix64; no global state, no
 * rand()); events lie in [0, duration) and come out sorted by (t, y, x, p).
 * Only a fixed region around the eye moves, so only that region is
 * rendered; the rest of the sensor sees a static scene and produces noise
 * events only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/events.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---------------------------------------------------------------- PRNG */

typedef struct rng {
	uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Separate streams for scene, programme and noise, so that e.g. changing
 * the lighting does not change the face drawn for a seed. */
static void rng_init(rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static double unif(rng *r) /* [0, 1) */
{
	return (double)(next_u64(r) >> 11) * 0x1.0p-53;
}

static double urange(rng *r, double a, double b)
{
	return a + (b - a) * unif(r);
}

static double gauss(rng *r)
{
	double u = unif(r), v = unif(r);
	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static double expo(rng *r, double rate)
{
	return -log(1 - unif(r)) / rate;
}

/* ---------------------------------------------------------------- scene */

static double clampd(double v, double a, double b)
{
	return v < a ? a : v > b ? b : v;
}

static double smooth(double x)
{
	x = clampd(x, 0, 1);
	return x * x * (3 - 2 * x);
}

/* Fraction of a pixel covered by a shape at signed distance d (negative
 * inside): a one-pixel ramp keeps sub-pixel motion visible as gradual
 * intensity change, as the optics of a real sensor would. */
static float cover(double d)
{
	return (float)clampd(0.5 - d, 0, 1);
}

typedef struct face {
	double cx, cy, sc;
	double a, hup, hlo;          /* eye half-width, lid heights */
	double iris_r, pupil_r;
	double gx0, gy0;             /* resting gaze offset */
	double brow_d, brow_half, brow_thick, brow_dx;
	float skin, sclera, iris, pupil, brow, lash;
} face;

/* The expression state at one instant; zero is the resting face. */
typedef struct pose {
	double open_up;  /* upper lid opening, relative change */
	double squint;   /* lower lid raise, fraction of its height */
	double blink;    /* 0 open .. 1 closed */
	double brow_up;  /* whole brow raise, px */
	double brow_inner; /* extra raise of the inner (nasal, +x) end, px */
	double brow_in;  /* inward pull of the brow, px */
	double furrow;   /* frown lines, 0..1 */
	double crow;     /* crow's feet, 0..1 */
	double gx, gy;   /* gaze shift, px */
} pose;

#define POSE_FIELDS(X) X(open_up) X(squint) X(blink) X(brow_up) \
	X(brow_inner) X(brow_in) X(furrow) X(crow) X(gx) X(gy)

#define MAX_SACC 4
#define MAX_BLINK 2

typedef struct programme {
	pose target;     /* apex of the expression */
	double onset, tau;
	int nsacc;
	double sacc_t[MAX_SACC], sacc_x[MAX_SACC], sacc_y[MAX_SACC];
	int nblink;
	double blink_t[MAX_BLINK];
} programme;

/* Apex of each class in the order of sac_class_name (FACS-like: AU6
 * cheek raise for happiness, AU1+4 for sadness, AU4+7 for anger, AU9-ish
 * squint for disgust, AU1+2+5 for surprise, AU1+2+4+5 for fear).
 * Fields: open_up squint blink brow_up brow_inner brow_in furrow crow gx gy;
 * then the onset time constant tau in seconds. */
static const struct {
	pose apex;
	double tau;
} classes[SAC_NUM_CLASSES] = {
	{{-0.10, 0.40, 0, 2, 0, 0, 0, 1.0, 0, 0}, 0.20},     /* happiness */
	{{-0.30, 0.05, 0, -2, 12, 2, 0.3, 0, 0, 6}, 0.30},   /* sadness */
	{{0.10, 0.25, 0, -12, -6, 8, 1.0, 0, 0, 0}, 0.12},   /* anger */
	{{-0.15, 0.35, 0, -6, -2, 3, 0.5, 0.3, 0, 0}, 0.18}, /* disgust */
	{{0.45, -0.05, 0, 18, 2, 0, 0, 0, 0, 0}, 0.08},      /* surprise */
	{{0.40, 0.10, 0, 12, 6, 6, 0.4, 0, -8, 0}, 0.10},    /* fear */
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0.20},              /* neutral */
};

static void make_face(rng *r, face *f)
{
	f->sc = urange(r, 0.9, 1.1);
	f->cx = SAC_DVS_WIDTH / 2.0 + urange(r, -18, 18);
	f->cy = 150 + urange(r, -12, 12);
	f->a = 82 * f->sc;
	f->hup = 30 * f->sc * urange(r, 0.9, 1.1);
	f->hlo = 17 * f->sc * urange(r, 0.9, 1.1);
	f->iris_r = 25 * f->sc;
	f->pupil_r = 9 * f->sc * urange(r, 0.85, 1.15);
	f->gx0 = urange(r, -6, 6);
	f->gy0 = urange(r, -3, 3);
	f->brow_d = 62 * f->sc * urange(r, 0.92, 1.08);
	f->brow_half = 95 * f->sc;
	f->brow_thick = 11 * f->sc * urange(r, 0.85, 1.2);
	f->brow_dx = 5 * f->sc + urange(r, -4, 4);
	f->skin = (float)urange(r, 0.55, 0.70);
	f->sclera = (float)urange(r, 0.85, 0.92);
	f->iris = (float)urange(r, 0.20, 0.45);
	f->pupil = 0.04f;
	f->brow = (float)urange(r, 0.15, 0.30);
	f->lash = 0.08f;
}

static void make_programme(rng *r, int cls, programme *p)
{
	double amp = urange(r, 0.75, 1.25);
	const pose *a = &classes[cls].apex;
#define X(m) p->target.m = a->m * amp * urange(r, 0.85, 1.15);
	POSE_FIELDS(X)
#undef X
	p->onset = urange(r, 0.04, 0.14);
	p->tau = classes[cls].tau * urange(r, 0.8, 1.25);
	/* Neutral faces only look around and blink; the others get at most
	 * one micro-saccade and an occasional blink, so blinks alone do not
	 * give the class away. */
	int neutral = cls == SAC_NUM_CLASSES - 1;
	p->nsacc = neutral ? 3 : (unif(r) < 0.5);
	double t = 0.02;
	for (int i = 0; i < p->nsacc; i++) {
		t += urange(r, 0.05, 0.15);
		double amp_s = neutral ? urange(r, 4, 8) : urange(r, 1, 3);
		double ang = urange(r, 0, 2 * M_PI);
		p->sacc_t[i] = t;
		p->sacc_x[i] = amp_s * cos(ang);
		p->sacc_y[i] = 0.5 * amp_s * sin(ang);
	}
	p->nblink = neutral || unif(r) < 0.2;
	p->blink_t[0] = urange(r, 0.15, 0.35);
}

static double blink_at(double t, double tb)
{
	double d = t - tb;
	if (d < 0 || d > 0.16)
		return 0;
	if (d < 0.05)
		return smooth(d / 0.05);
	if (d < 0.07)
		return 1;
	return 1 - smooth((d - 0.07) / 0.09);
}

static void pose_at(const programme *p, double t, pose *q)
{
	double k = smooth((t - p->onset) / p->tau);
#define X(m) q->m = p->target.m * k;
	POSE_FIELDS(X)
#undef X
	double px = 0, py = 0;
	for (int i = 0; i < p->nsacc; i++) {
		double s = smooth((t - p->sacc_t[i]) / 0.025);
		q->gx += (p->sacc_x[i] - px) * s;
		q->gy += (p->sacc_y[i] - py) * s;
		px = p->sacc_x[i];
		py = p->sacc_y[i];
	}
	q->blink = 0;
	for (int i = 0; i < p->nblink; i++)
		q->blink = fmax(q->blink, blink_at(t, p->blink_t[i]));
}

/* ------------------------------------------------------------- lighting */

typedef struct lighting {
	double gain_l, gain_r; /* illumination left / right of the split */
	double sat;            /* soft saturation level (large = linear) */
	double dark;           /* dark current, in the units of intensity */
	double c;              /* contrast threshold, log units */
	double ba;             /* background activity, Hz per pixel */
	double hot_frac, hot_rate;
} lighting;

static const lighting lightings[SAC_NUM_LIGHTINGS] = {
	/* normal: moderate contrast, little noise */
	{1.0, 1.0, 50.0, 0.01, 0.15, 0.05, 0.0002, 10},
	/* overexposure: bright scene near saturation squeezes contrast */
	{4.0, 4.0, 1.0, 0.01, 0.15, 0.10, 0.002, 60},
	/* lowlight: dim scene, dark current and a raised threshold eat the
	 * signal; shot noise shows up as much more background activity */
	{0.06, 0.06, 50.0, 0.02, 0.20, 0.80, 0.0005, 20},
	/* hdr: one half overexposed, the other dim */
	{4.0, 0.06, 1.0, 0.02, 0.17, 0.30, 0.0005, 30},
};

/* ----------------------------------------------------------- rendering */

/* Per-column geometry of one instant, so that the per-pixel work is a few
 * comparisons. */
typedef struct column {
	float yup, ylo, eye;      /* lids; eye = lash/opening strength, 0 = no eye */
	float ycrease, crease;
	float ybrow, brow_half_t, brow;
	float furrow;             /* frown-line coverage of this column */
} column;

typedef struct scene {
	face f;
	programme prog;
	lighting L;
	int x0, y0, w, h;         /* rendered region */
	float *tex;               /* skin albedo in the region */
	float *gain;              /* illumination per column of the region */
	column *col;
	double ix, iy;            /* iris centre */
	double fy0, fy1;          /* frown lines extent */
	double crow;              /* crow's feet strength */
	double crow_x, crow_y;
} scene;

static void make_texture(scene *S, rng *r)
{
	enum { NBLOB = 14 };
	double bx[NBLOB], by[NBLOB], br[NBLOB], ba[NBLOB];
	for (int i = 0; i < NBLOB; i++) {
		bx[i] = urange(r, S->x0, S->x0 + S->w);
		by[i] = urange(r, S->y0, S->y0 + S->h);
		br[i] = urange(r, 2.5, 10);
		ba[i] = urange(r, -0.18, 0.12);
	}
	double shade = urange(r, -0.08, 0.08); /* side lighting of the face */
	for (int y = 0; y < S->h; y++)
		for (int x = 0; x < S->w; x++) {
			double X = S->x0 + x, Y = S->y0 + y, v = 1;
			v += shade * (X - S->f.cx) / 150;
			for (int i = 0; i < NBLOB; i++) {
				double dx = X - bx[i], dy = Y - by[i];
				double d2 = (dx * dx + dy * dy) / (br[i] * br[i]);
				if (d2 < 9)
					v += ba[i] * exp(-d2);
			}
			S->tex[(size_t)y * S->w + x] = (float)(S->f.skin * v);
		}
}

static void layout(scene *S, const pose *q)
{
	const face *f = &S->f;
	double up = f->hup * (1 + q->open_up);
	double brow_cx = f->cx + f->brow_dx + 0.5 * q->brow_in;
	for (int x = 0; x < S->w; x++) {
		column *c = &S->col[x];
		double X = S->x0 + x + 0.5;
		double u = (X - f->cx) / f->a;
		memset(c, 0, sizeof *c);
		if (fabs(u) < 1) {
			double w = 1 - u * u;
			double ylo = f->cy + f->hlo * (1 - q->squint) * w;
			double yup = f->cy - up * w * (1 + 0.12 * u);
			yup += q->blink * (ylo + 0.5 - yup);
			c->yup = (float)yup;
			c->ylo = (float)ylo;
			c->eye = (float)clampd((1 - fabs(u)) * 5, 0, 1);
			c->ycrease = (float)(f->cy - (f->hup * (0.6 + 0.4 * (1 + q->open_up)) +
						      8 * f->sc) * pow(w, 0.7));
			c->crease = (float)(0.25 * clampd((0.9 - fabs(u)) * 5, 0, 1));
		}
		double v = (X - brow_cx) / f->brow_half;
		if (fabs(v) < 1) {
			c->ybrow = (float)(f->cy - f->brow_d - q->brow_up -
					   7 * f->sc * (1 - v * v) -
					   q->brow_inner * smooth(v));
			c->brow_half_t = (float)(0.5 * f->brow_thick *
						 (1 - 0.35 * fmax(0, -v)));
			c->brow = (float)clampd((1 - fabs(v)) * 6, 0, 1);
		}
		if (q->furrow > 0) {
			/* Two vertical frown lines just past the inner brow end. */
			double xe = brow_cx + f->brow_half;
			double d = fmin(fabs(X - (xe + 4 * f->sc)), fabs(X - (xe + 10 * f->sc))) - 0.8;
			c->furrow = (float)(0.35 * q->furrow * cover(d));
		}
	}
	S->ix = f->cx + f->gx0 + q->gx;
	S->iy = f->cy + f->gy0 + q->gy + 2;
	S->fy0 = f->cy - f->brow_d - q->brow_up - 6;
	S->fy1 = S->fy0 + 22 * f->sc;
	S->crow = q->crow;
	S->crow_x = f->cx - f->a - 4;
	S->crow_y = f->cy;
}

static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
	double vx = bx - ax, vy = by - ay, wx = px - ax, wy = py - ay;
	double t = clampd((vx * wx + vy * wy) / (vx * vx + vy * vy), 0, 1);
	return hypot(wx - t * vx, wy - t * vy);
}

/* Linear reflectance of region pixel (x, y) at the current layout. */
static float render(const scene *S, int x, int y)
{
	const face *f = &S->f;
	const column *c = &S->col[x];
	double X = S->x0 + x + 0.5, Y = S->y0 + y + 0.5;
	float v = S->tex[(size_t)y * S->w + x];
	if (c->brow > 0) {
		float k = cover(fabs(Y - c->ybrow) - c->brow_half_t) * c->brow;
		v += (f->brow - v) * k;
	}
	if (c->furrow > 0 && Y > S->fy0 && Y < S->fy1)
		v *= 1 - c->furrow;
	if (S->crow > 0 && X < S->crow_x + 2 && X > S->crow_x - 22 &&
	    fabs(Y - S->crow_y) < 14) {
		for (int k = -1; k <= 1; k++) {
			double ang = M_PI + k * 0.45;
			double d = seg_dist(X, Y, S->crow_x, S->crow_y + 3 * k,
					    S->crow_x + 18 * f->sc * cos(ang),
					    S->crow_y + 3 * k + 18 * f->sc * sin(ang));
			v *= 1 - (float)(0.3 * S->crow) * cover(d - 0.7);
		}
	}
	if (c->eye > 0) {
		if (c->crease > 0)
			v *= 1 - c->crease * cover(fabs(Y - c->ycrease) - 1);
		double din = fmax(c->yup - Y, Y - c->ylo); /* < 0 inside the opening */
		if (din < 0.5) {
			float eye = f->sclera;
			double r = hypot(X - S->ix, Y - S->iy);
			if (r < f->iris_r + 0.5) {
				eye += (f->iris - eye) * cover(r - f->iris_r);
				eye += (f->pupil - eye) * cover(r - f->pupil_r);
				double hr = hypot(X - S->ix + 6 * f->sc, Y - S->iy + 6 * f->sc);
				eye += (0.98f - eye) * cover(hr - 2.5);
			}
			v += (eye - v) * cover(din);
		}
		/* Lashes ride on the upper lid margin. */
		float lk = cover(fabs(Y - (c->yup - 1.5)) - 1.5) * c->eye;
		v += (f->lash - v) * lk;
		v *= 1 - 0.3f * cover(fabs(Y - (c->ylo + 1)) - 0.7) * c->eye;
	}
	return v;
}

static float log_intensity(const scene *S, int x, float v)
{
	double L = S->gain[x] * v;
	L = S->L.sat * (1 - exp(-L / S->L.sat));
	return (float)log(L + S->L.dark);
}

/* --------------------------------------------------------------- events */

static int push(sac_events *s, int64_t t, int x, int y, int p, sac_err *e)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		sac_event *q = realloc(s->ev, cap * sizeof *q);
		if (!q)
			return sac_errf(e, SAC_ERR_NOMEM, "synth: out of memory at %zu events",
					s->count);
		s->ev = q;
		s->cap = cap;
	}
	s->ev[s->count++] = (sac_event){t, (uint16_t)x, (uint16_t)y, (uint8_t)p};
	return SAC_OK;
}

static int cmp_event(const void *a, const void *b)
{
	const sac_event *p = a, *q = b;
	if (p->t != q->t)
		return p->t < q->t ? -1 : 1;
	if (p->y != q->y)
		return p->y < q->y ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return (p->p > q->p) - (p->p < q->p);
}

/* Background activity over the whole sensor and a few hot pixels. */
static int add_noise(const scene *S, rng *r, int64_t dur, sac_events *out, sac_err *e)
{
	const int W = SAC_DVS_WIDTH, H = SAC_DVS_HEIGHT;
	const double T = dur / 1e6;
	double rate = S->L.ba * W * H;
	for (double t = expo(r, rate); t < T; t += expo(r, rate)) {
		int x = (int)(unif(r) * W), y = (int)(unif(r) * H);
		if (push(out, (int64_t)(t * 1e6), x, y, unif(r) < 0.5, e))
			return SAC_ERR_NOMEM;
	}
	int nhot = (int)lround(S->L.hot_frac * W * H);
	for (int i = 0; i < nhot; i++) {
		int x = (int)(unif(r) * W), y = (int)(unif(r) * H);
		double hr = S->L.hot_rate * urange(r, 0.5, 1.5);
		int on = unif(r) < 0.8; /* hot pixels mostly fire one way */
		for (double t = expo(r, hr); t < T; t += expo(r, hr))
			if (push(out, (int64_t)(t * 1e6), x, y, unif(r) < 0.9 ? on : !on, e))
				return SAC_ERR_NOMEM;
	}
	return SAC_OK;
}

/* Cap on events a pixel emits in one 1 ms step (a real pixel's refractory
 * period bounds it the same way). */
#define MAX_PER_STEP 2
#define STEP_US 1000

int sac_events_synth(const sac_synth_opts *o, sac_events *out, sac_err *e)
{
	memset(out, 0, sizeof *out);
	out->width = SAC_DVS_WIDTH;
	out->height = SAC_DVS_HEIGHT;
	if (o->cls < 0 || o->cls >= SAC_NUM_CLASSES)
		return sac_errf(e, SAC_ERR_RANGE, "synth: class %d; expected 0 to %d",
				o->cls, SAC_NUM_CLASSES - 1);
	if (o->lighting < 0 || o->lighting >= SAC_NUM_LIGHTINGS)
		return sac_errf(e, SAC_ERR_RANGE, "synth: lighting %d; expected 0 to %d",
				o->lighting, SAC_NUM_LIGHTINGS - 1);
	double dur_s = o->duration_s == 0 ? 0.5 : o->duration_s;
	if (!(dur_s > 0 && dur_s <= 60))
		return sac_errf(e, SAC_ERR_RANGE,
				"synth: duration %g s; expected more than 0 and at most 60 s",
				o->duration_s);
	const int64_t dur = llround(dur_s * 1e6);

	scene S;
	memset(&S, 0, sizeof S);
	rng r_face, r_prog, r_noise;
	rng_init(&r_face, o->seed, 1);
	rng_init(&r_prog, o->seed, 2 + (uint64_t)o->cls);
	rng_init(&r_noise, o->seed, 100 + (uint64_t)o->lighting);
	make_face(&r_face, &S.f);
	make_programme(&r_prog, o->cls, &S.prog);
	S.L = lightings[o->lighting];
	const face *f = &S.f;
	/* Everything that moves stays inside this box (brow raised to its
	 * maximum, crow's feet, frown lines). */
	S.x0 = (int)fmax(0, floor(f->cx - f->a - 30 * f->sc));
	int x1 = (int)fmin(SAC_DVS_WIDTH, ceil(f->cx + f->brow_dx + f->brow_half + 25 * f->sc));
	S.y0 = (int)fmax(0, floor(f->cy - f->brow_d - 65 * f->sc));
	int y1 = (int)fmin(SAC_DVS_HEIGHT, ceil(f->cy + f->hlo + 12));
	S.w = x1 - S.x0;
	S.h = y1 - S.y0;
	const size_t n = (size_t)S.w * (size_t)S.h;

	float *buf = malloc(n * 5 * sizeof *buf + (size_t)S.w * sizeof(float));
	S.col = malloc((size_t)S.w * sizeof *S.col);
	column *prevcol = malloc((size_t)S.w * sizeof *prevcol);
	unsigned char *dirty = malloc((size_t)S.w);
	if (!buf || !S.col || !prevcol || !dirty) {
		free(buf);
		free(S.col);
		free(prevcol);
		free(dirty);
		return sac_errf(e, SAC_ERR_NOMEM, "synth: out of memory");
	}
	S.tex = buf;
	float *ref = buf + n, *prevlog = buf + 2 * n, *prevv = buf + 3 * n;
	float *th = buf + 4 * n; /* per-pixel threshold (mismatch) */
	S.gain = buf + 5 * n;
	make_texture(&S, &r_face);
	double split = f->cx + urange(&r_face, -30, 30);
	for (int x = 0; x < S.w; x++) {
		double k = smooth((S.x0 + x - split + 15) / 30.0);
		S.gain[x] = (float)exp(log(S.L.gain_l) * (1 - k) + log(S.L.gain_r) * k);
	}
	rng r_pix;
	rng_init(&r_pix, o->seed, 3);
	for (size_t i = 0; i < n; i++)
		th[i] = (float)(S.L.c * clampd(1 + 0.08 * gauss(&r_pix), 0.6, 1.6));

	pose q;
	pose_at(&S.prog, 0, &q);
	layout(&S, &q);
	for (int y = 0; y < S.h; y++)
		for (int x = 0; x < S.w; x++) {
			size_t i = (size_t)y * S.w + x;
			prevv[i] = render(&S, x, y);
			ref[i] = prevlog[i] = log_intensity(&S, x, prevv[i]);
		}

	int rc = SAC_OK;
	for (int64_t t0 = 0; t0 < dur && !rc; t0 += STEP_US) {
		int64_t t1 = t0 + STEP_US < dur ? t0 + STEP_US : dur;
		/* Columns whose geometry did not change render as before: skip
		 * them (most of the time once an expression has settled). */
		memcpy(prevcol, S.col, (size_t)S.w * sizeof *S.col);
		double g[5] = {S.ix, S.iy, S.fy0, S.fy1, S.crow};
		pose_at(&S.prog, t1 / 1e6, &q);
		layout(&S, &q);
		int moved = g[0] != S.ix || g[1] != S.iy || g[2] != S.fy0 ||
			    g[3] != S.fy1 || g[4] != S.crow;
		for (int x = 0; x < S.w; x++)
			dirty[x] = moved || memcmp(&prevcol[x], &S.col[x], sizeof *S.col);
		for (int y = 0; y < S.h && !rc; y++)
			for (int x = 0; x < S.w; x++) {
				if (!dirty[x])
					continue;
				size_t i = (size_t)y * S.w + x;
				float v = render(&S, x, y);
				if (v == prevv[i])
					continue;
				prevv[i] = v;
				float lg = log_intensity(&S, x, v), lp = prevlog[i];
				float c = th[i];
				int emitted = 0;
				while (fabsf(lg - ref[i]) >= c && emitted < MAX_PER_STEP) {
					int on = lg > ref[i];
					ref[i] += on ? c : -c;
					double fr = clampd((ref[i] - lp) / (lg - lp), 0, 1);
					int64_t t = t0 + (int64_t)(fr * (double)(t1 - t0));
					if (t >= dur)
						t = dur - 1;
					if ((rc = push(out, t, S.x0 + x, S.y0 + y, on, e)))
						break;
					emitted++;
				}
				if (emitted == MAX_PER_STEP)
					ref[i] = lg;
				prevlog[i] = lg;
			}
	}
	free(buf);
	free(S.col);
	free(prevcol);
	free(dirty);
	if (!rc)
		rc = add_noise(&S, &r_noise, dur, out, e);
	if (rc) {
		sac_events_free(out);
		return rc;
	}
	qsort(out->ev, out->count, sizeof *out->ev, cmp_event);
	return SAC_OK;
}
