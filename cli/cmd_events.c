/* cmd_events.c: `saccade events`: make (synth), inspect (info) and frame
 * (frames) DVS event streams.
 *
 * Each subcommand parses its own options with getopt_long; usage errors
 * exit 2 with a pointer to the help, errors in files or values exit 1 via
 * cli_fail.  Results go to stdout, messages to stderr. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "saccade/events.h"
#include "saccade/npy.h"

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "saccade events: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'saccade help events')\n");
	return 2;
}

static int bad_option(int c, char **argv)
{
	return usage_error(c == ':' ? "option needs a value: '%s'" : "unknown option '%s'",
			   argv[optind - 1]);
}

/* Whole-string numeric conversions; 0 on failure. */
static int to_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	errno = 0;
	long x = strtol(s, &end, 10);
	if (end == s || *end || errno || x < lo || x > hi)
		return 0;
	*v = x;
	return 1;
}

static int to_double(const char *s, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(x))
		return 0;
	*v = x;
	return 1;
}

static int run_synth(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 's'},
		{"class", required_argument, NULL, 'c'},
		{"lighting", required_argument, NULL, 'l'},
		{"duration", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	sac_synth_opts o = {.seed = 0, .cls = -1, .lighting = 0, .duration_s = 0.5};
	const char *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":s:c:l:d:o:", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *end;
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (end == optarg || *end || errno || optarg[0] == '-')
				return usage_error("--seed wants a non-negative integer, not '%s'", optarg);
			break;
		}
		case 'c':
			if ((o.cls = sac_class_parse(optarg)) < 0)
				return usage_error("unknown class '%s' (happiness sadness anger disgust surprise fear neutral, Ha..Ne or 0..6)",
						   optarg);
			break;
		case 'l':
			if ((o.lighting = sac_lighting_parse(optarg)) < 0)
				return usage_error("unknown lighting '%s' (normal overexposure lowlight hdr)",
						   optarg);
			break;
		case 'd':
			if (!to_double(optarg, &o.duration_s) || o.duration_s <= 0 ||
			    o.duration_s > 60)
				return usage_error("--duration wants seconds in (0, 60], not '%s'", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc)
		return usage_error("synth takes no operands ('%s')", argv[optind]);
	if (o.cls < 0)
		return usage_error("synth needs --class%s", "");
	if (!out)
		return usage_error("synth needs -o EV.npy or -o EV.csv%s", "");
	sac_events s;
	sac_err e = {0};
	if (sac_events_synth(&o, &s, &e) || sac_events_write(out, &s, &e)) {
		sac_events_free(&s);
		return cli_fail("events", e.msg);
	}
	size_t on = 0;
	for (size_t i = 0; i < s.count; i++)
		on += s.ev[i].p;
	printf("%s: %zu events (%zu ON, %zu OFF) over %.3f s, %s, %s lighting, seed %" PRIu64 "\n",
	       out, s.count, on, s.count - on, o.duration_s, sac_class_name(o.cls),
	       sac_lighting_name(o.lighting), o.seed);
	sac_events_free(&s);
	return 0;
}

static int run_frames(int argc, char **argv)
{
	static const struct option opts[] = {
		{"frames", required_argument, NULL, 'f'},
		{"skip", required_argument, NULL, 'k'},
		{"size", required_argument, NULL, 'z'},
		{"start", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	sac_frame_opts o = {.frames = 4, .skip = 3, .width = 64, .height = 64, .start_s = 0};
	const char *out = NULL;
	long v;
	int c;
	while ((c = getopt_long(argc, argv, ":f:k:z:t:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!to_long(optarg, 1, 4096, &v))
				return usage_error("--frames wants an integer from 1 to 4096, not '%s'", optarg);
			o.frames = (int)v;
			break;
		case 'k':
			if (!to_long(optarg, 1, 30 * 3600, &v))
				return usage_error("--skip wants a positive integer (1/30 s units), not '%s'", optarg);
			o.skip = (int)v;
			break;
		case 'z': {
			char *x = strchr(optarg, 'x');
			long w, h;
			if (!x)
				return usage_error("--size wants WxH such as 64x64, not '%s'", optarg);
			*x = '\0';
			int ok = to_long(optarg, 1, 65535, &w) && to_long(x + 1, 1, 65535, &h);
			*x = 'x';
			if (!ok)
				return usage_error("--size wants WxH such as 64x64, not '%s'", optarg);
			o.width = (int)w;
			o.height = (int)h;
			break;
		}
		case 't':
			if (!to_double(optarg, &o.start_s) || o.start_s < 0)
				return usage_error("--start wants seconds >= 0, not '%s'", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc - 1)
		return usage_error("frames wants one event file%s", "");
	if (!out)
		return usage_error("frames needs -o X.npy%s", "");
	sac_events s;
	sac_tensor t = {0};
	sac_err e = {0};
	int rc = sac_events_read(argv[optind], &s, &e);
	if (!rc)
		rc = sac_events_frames(&s, &o, &t, &e);
	if (!rc)
		rc = sac_npy_write(out, &t, &e);
	size_t n = s.count;
	sac_events_free(&s);
	if (rc) {
		sac_tensor_free(&t);
		return cli_fail("events", e.msg);
	}
	printf("%s: float32 [%d, %d, %d]: %d frames of %.4g s from %.4g s, %zu events in the stream\n",
	       out, o.frames, o.height, o.width, o.frames, o.skip / 30.0, o.start_s, n);
	sac_tensor_free(&t);
	return 0;
}

static int run_info(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return bad_option(c, argv);
	if (optind != argc - 1)
		return usage_error("info wants one event file%s", "");
	const char *path = argv[optind];
	sac_events s;
	sac_err e = {0};
	if (sac_events_read(path, &s, &e))
		return cli_fail("events", e.msg);
	size_t on = 0;
	for (size_t i = 0; i < s.count; i++)
		on += s.ev[i].p;
	double t0 = s.count ? s.ev[0].t / 1e6 : 0;
	double t1 = s.count ? s.ev[s.count - 1].t / 1e6 : 0;
	double span = t1 - t0;
	printf("%s\n  sensor     %d x %d\n  events     %zu (%zu ON, %zu OFF)\n"
	       "  time       %.6f s to %.6f s (span %.6f s)\n",
	       path, s.width, s.height, s.count, on, s.count - on, t0, t1, span);
	if (span > 0)
		printf("  rate       %.1f kev/s (%.2f ev/s per pixel)\n",
		       s.count / span / 1e3, s.count / span / s.width / s.height);
	else
		printf("  rate       - (no time span)\n");
	sac_events_free(&s);
	return 0;
}

int cli_events(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("expected a subcommand: synth, frames or info%s", "");
	const char *sub = argv[1];
	optind = 1;
	opterr = 0;
	if (!strcmp(sub, "synth"))
		return run_synth(argc - 1, argv + 1);
	if (!strcmp(sub, "frames"))
		return run_frames(argc - 1, argv + 1);
	if (!strcmp(sub, "info"))
		return run_info(argc - 1, argv + 1);
	return usage_error("unknown subcommand '%s' (synth, frames or info)", sub);
}

void cli_events_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade events - make, inspect and frame DVS event streams\n\n"
"SYNOPSIS\n"
"    saccade events synth --class C [--seed N] [--lighting L] [--duration S]\n"
"                         -o EV.npy|EV.csv\n"
"    saccade events frames EV [--frames F] [--skip K] [--size WxH]\n"
"                          [--start S] -o X.npy\n"
"    saccade events info EV\n\n"
"DESCRIPTION\n"
"    Event streams are DAVIS346 recordings (346 x 260 pixels) of one eye:\n"
"    events (t, x, y, p) with t in microseconds from the start, p = 1 for\n"
"    ON (brighter) and 0 (or -1 on input) for OFF.  They are read from a\n"
"    structured .npy (fields t, x, y, p of any integer or float type) or a\n"
"    CSV file (optional header line t,x,y,p), chosen by content.  Events\n"
"    must be sorted by t; the first bad row or line is reported.\n\n"
"    synth renders a deterministic synthetic eye (lids, iris, brow, skin)\n"
"    performing the facial motion of one of the seven classes, sees it\n"
"    through a lighting condition and a DVS pixel model (log intensity at\n"
"    1 kHz, per-pixel contrast threshold, background activity and hot\n"
"    pixels), and writes the events: .csv if the name ends in .csv,\n"
"    structured .npy (t:<i8, x:<u2, y:<u2, p:|u1) otherwise.  The same\n"
"    seed, class, lighting and duration always give the same file.\n\n"
"    frames turns a stream into a network input, the E4-S3 way: F frames\n"
"    of K/30 s each, starting at S; frame k counts the events of both\n"
"    polarities with t in [S + k K/30, S + (k+1) K/30), binned to W x H\n"
"    (bx = x W / 346, by = y H / 260, rounded down).  Each frame is divided\n"
"    by the 99th percentile of its non-zero bin counts (nearest rank, at\n"
"    least 1) and clipped to 1, so a few hot pixels do not darken the\n"
"    rest; an empty frame stays 0.  The result is a float32 .npy\n"
"    [F, H, W] with values in [0, 1].  The stream must last (up to its last\n"
"    event) until S + F K/30, less a tenth of a frame.\n\n"
"    info prints the number of events per polarity, the time span and the\n"
"    event rate.\n\n"
"OPTIONS\n"
"    --class C      happiness, sadness, anger, disgust, surprise, fear,\n"
"                   neutral; or Ha Sa An Di Su Fe Ne; or 0..6\n"
"    --seed N       generator seed (default 0)\n"
"    --lighting L   normal (default), overexposure, lowlight, hdr\n"
"    --duration S   stream length in seconds (default 0.5, at most 60)\n"
"    --frames F     number of frames = input channels (default 4)\n"
"    --skip K       frame length in 1/30 s units (default 3 = 0.1 s)\n"
"    --size WxH     output size (default 64x64, at most 346x260)\n"
"    --start S      start of the first frame in seconds (default 0)\n"
"    -o, --output   file to write\n\n"
"EXIT STATUS\n"
"    0 success, 1 bad file or value (message on stderr), 2 bad usage.\n\n"
"EXAMPLES\n"
"    saccade events synth --seed 3 --class surprise --lighting lowlight -o su.npy\n"
"    saccade events info su.npy\n"
"    saccade events frames su.npy -o x.npy\n"
"    saccade events frames rec.csv --frames 4 --skip 3 --size 64x64 --start 0.2 -o x.npy\n\n"
"SEE ALSO\n"
"    docs/EVENTS.md (formats, the generator, framing), docs/FORMATS.md\n");
}
