/* events.h: DVS event streams: synthetic single-eye generator, file I/O
 * and E4-S3 style framing into network inputs.
 *
 * An event is (t in microseconds, x, y, polarity in {0,1} or {-1,+1} on
 * input; stored as 0/1).  Streams are DAVIS346 sized (346 x 260) unless a
 * file says otherwise.  Everything is deterministic for a given seed. */
#ifndef SACCADE_EVENTS_H
#define SACCADE_EVENTS_H

#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAC_DVS_WIDTH 346
#define SAC_DVS_HEIGHT 260
#define SAC_NUM_CLASSES 7
#define SAC_NUM_LIGHTINGS 4

typedef struct sac_event {
	int64_t t; /* microseconds from stream start */
	uint16_t x, y;
	uint8_t p; /* 1 = ON (brighter), 0 = OFF */
} sac_event;

typedef struct sac_events {
	int width, height;
	size_t count, cap;
	sac_event *ev; /* sorted by t */
} sac_events;

void sac_events_free(sac_events *s);

/* Class names in the papers' order: happiness, sadness, anger, disgust,
 * surprise, fear, neutral; short forms Ha Sa An Di Su Fe Ne.  Lighting:
 * normal, overexposure, lowlight, hdr. */
const char *sac_class_name(int c);
const char *sac_class_short(int c);
const char *sac_lighting_name(int l);
/* Parse a class ("happiness", "Ha", "0") or lighting name; -1 if unknown. */
int sac_class_parse(const char *s);
int sac_lighting_parse(const char *s);

typedef struct sac_synth_opts {
	uint64_t seed;
	int cls;        /* 0..6 */
	int lighting;   /* 0..3 */
	double duration_s; /* default 0.5 */
} sac_synth_opts;

int sac_events_synth(const sac_synth_opts *o, sac_events *out, sac_err *e);

/* Read a structured .npy (fields t, x, y, p; any integer/float types) or a
 * CSV file (header "t,x,y,p" optional); format chosen by content.  Errors
 * name file and row/line. */
int sac_events_read(const char *path, sac_events *out, sac_err *e);
/* Write structured .npy (t:<i8, x:<u2, y:<u2, p:u1) or, if the path ends
 * in .csv, CSV. */
int sac_events_write(const char *path, const sac_events *s, sac_err *e);

typedef struct sac_frame_opts {
	int frames;      /* number of frames = output channels (4) */
	int skip;        /* frame length in 1/30 s units (3) */
	int width, height; /* output size (64 x 64) */
	double start_s;  /* start time in seconds (0) */
} sac_frame_opts;

/* Frame into a float32 tensor [frames, height, width] with values in
 * [0, 1] (normalisation documented in docs/FORMATS.md). */
int sac_events_frames(const sac_events *s, const sac_frame_opts *o,
		      sac_tensor *out, sac_err *e);

#ifdef __cplusplus
}
#endif
#endif
