/* frames.c: E4-S3 framing of an event stream into a network input.
 *
 * Frame k counts the events (both polarities) with t in
 * [start + k len, start + (k+1) len), len = skip / 30 s, binned to
 * width x height by bx = x W / sensor_width, by = y H / sensor_height
 * (floor).  Each frame is then divided by the 99th percentile of its
 * non-zero bin counts and clipped to 1, so that a few hot pixels cannot
 * squash the rest of the frame towards 0; an empty frame stays all zero.
 *
 * Window membership is decided in exact integer arithmetic (microseconds
 * times 30 against skip * 10^6), because a frame length of 1/30 s is not a
 * whole number of microseconds and float boundaries would let an event
 * fall into different frames on different machines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/events.h"

/* The end of a recording is known only from its last event, so the last
 * frame may reach past it by this fraction of a frame. */
#define END_SLACK 0.1

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank 99th percentile of the non-zero values of f[0..n). */
static float p99_nonzero(const float *f, size_t n, float *scratch)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i] > 0)
			scratch[m++] = f[i];
	if (!m)
		return 0;
	qsort(scratch, m, sizeof *scratch, cmp_float);
	size_t rank = (size_t)ceil(0.99 * (double)m);
	return scratch[rank ? rank - 1 : 0];
}

int sac_events_frames(const sac_events *s, const sac_frame_opts *o,
		      sac_tensor *out, sac_err *e)
{
	memset(out, 0, sizeof *out);
	if (o->frames < 1 || o->frames > 4096)
		return sac_errf(e, SAC_ERR_RANGE, "frames: %d frames; expected 1 to 4096",
				o->frames);
	if (o->skip < 1 || o->skip > 30 * 3600)
		return sac_errf(e, SAC_ERR_RANGE,
				"frames: skip %d; expected a frame length of 1 or more 1/30 s units",
				o->skip);
	if (s->width < 1 || s->height < 1)
		return sac_errf(e, SAC_ERR_USAGE, "frames: stream of size %dx%d",
				s->width, s->height);
	if (o->width < 1 || o->height < 1 || o->width > s->width || o->height > s->height)
		return sac_errf(e, SAC_ERR_RANGE,
				"frames: size %dx%d; expected 1x1 up to the sensor size %dx%d",
				o->width, o->height, s->width, s->height);
	if (!isfinite(o->start_s) || o->start_s < 0 || o->start_s > 1e6)
		return sac_errf(e, SAC_ERR_RANGE, "frames: start %g s; expected >= 0",
				o->start_s);
	const int64_t start = llround(o->start_s * 1e6);
	const int64_t unit = (int64_t)o->skip * 1000000; /* len * 30, in us */
	const double len_s = o->skip / 30.0;
	const double need_s = o->start_s + o->frames * len_s;
	const double have_s = s->count ? (double)(s->ev[s->count - 1].t + 1) / 1e6 : 0;
	if (have_s < need_s - END_SLACK * len_s)
		return sac_errf(e, SAC_ERR_RANGE,
				"frames: the stream is too short: %d frames of %.4g s from %.4g s need %.4g s, the stream lasts %.4g s (its last event)",
				o->frames, len_s, o->start_s, need_s, have_s);
	int64_t shape[3] = {o->frames, o->height, o->width};
	int r = sac_tensor_alloc(out, SAC_F32, 3, shape, e);
	if (r)
		return r;
	const size_t plane = (size_t)o->width * (size_t)o->height;
	float *f = out->data;
	for (size_t i = 0; i < s->count; i++) {
		const sac_event *ev = &s->ev[i];
		if (ev->t < start)
			continue;
		int64_t k = (ev->t - start) * 30 / unit;
		if (k >= o->frames)
			break; /* sorted by t: nothing later can fall in a frame */
		size_t bx = (size_t)ev->x * (size_t)o->width / (size_t)s->width;
		size_t by = (size_t)ev->y * (size_t)o->height / (size_t)s->height;
		f[(size_t)k * plane + by * (size_t)o->width + bx] += 1;
	}
	float *scratch = malloc(plane * sizeof *scratch);
	if (!scratch) {
		sac_tensor_free(out);
		return sac_errf(e, SAC_ERR_NOMEM, "frames: out of memory");
	}
	for (int k = 0; k < o->frames; k++) {
		float *fr = f + (size_t)k * plane;
		float d = p99_nonzero(fr, plane, scratch);
		if (d < 1)
			d = 1;
		for (size_t i = 0; i < plane; i++)
			fr[i] = fr[i] >= d ? 1.0f : fr[i] / d;
	}
	free(scratch);
	return SAC_OK;
}
