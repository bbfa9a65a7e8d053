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
#include <sys/stat.h>
#include <unistd.h>

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

/* A whole-string number (cli_to_long for integers); 0 on failure. */
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

/* synth-set: N streams per (emotion, lighting) pair and a manifest.  The
 * seed of sample k of pair (c, l) is S + ((c * 4 + l) * N + k), written
 * as an extra manifest column so that any file can be remade alone. */
static int run_synth_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{"count", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"csv", no_argument, NULL, 'C'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	long count = 1;
	uint64_t seed = 0;
	double duration = 0.5;
	int csv = 0;
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":n:s:d:Co:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!cli_to_long(optarg, 1, 100000, &count))
				return usage_error("--count wants an integer from 1 to 100000, not '%s'", optarg);
			break;
		case 's': {
			char *end;
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (end == optarg || *end || errno || optarg[0] == '-')
				return usage_error("--seed wants a non-negative integer, not '%s'", optarg);
			break;
		}
		case 'd':
			if (!to_double(optarg, &duration) || duration <= 0 || duration > 60)
				return usage_error("--duration wants seconds in (0, 60], not '%s'", optarg);
			break;
		case 'C':
			csv = 1;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc)
		return usage_error("synth-set takes no operands ('%s')", argv[optind]);
	if (!dir)
		return usage_error("synth-set needs -o DIR%s", "");
	char msg[3000];
	if (mkdir(dir, 0777) && errno != EEXIST) {
		snprintf(msg, sizeof msg, "%s: cannot create the directory: %s", dir, strerror(errno));
		return cli_fail("events", msg);
	}
	size_t dl = strlen(dir);
	char *path = malloc(dl + 64);
	if (!path)
		return cli_fail("events", "out of memory");
	snprintf(path, dl + 64, "%s/manifest.csv", dir);
	FILE *man = fopen(path, "w");
	if (!man) {
		snprintf(msg, sizeof msg, "%s: cannot create: %s", path, strerror(errno));
		free(path);
		return cli_fail("events", msg);
	}
	fprintf(man, "path,emotion,lighting,seed\n");
	int rc = 0, tty = isatty(2);
	long total = count * SAC_NUM_CLASSES * SAC_NUM_LIGHTINGS, done = 0;
	size_t events = 0;
	for (int cls = 0; !rc && cls < SAC_NUM_CLASSES; cls++)
		for (int l = 0; !rc && l < SAC_NUM_LIGHTINGS; l++)
			for (long k = 0; !rc && k < count; k++) {
				sac_synth_opts o = {
					.seed = seed + (uint64_t)((cls * SAC_NUM_LIGHTINGS + l) * count + k),
					.cls = cls, .lighting = l, .duration_s = duration};
				char name[64];
				snprintf(name, sizeof name, "%s_%s_%03ld.%s", sac_class_name(cls),
					 sac_lighting_name(l), k, csv ? "csv" : "npy");
				snprintf(path, dl + 64, "%s/%s", dir, name);
				sac_events s = {0};
				sac_err e = {0};
				if (sac_events_synth(&o, &s, &e) || sac_events_write(path, &s, &e))
					rc = cli_fail("events", e.msg);
				events += s.count;
				sac_events_free(&s);
				fprintf(man, "%s,%s,%s,%" PRIu64 "\n", name, sac_class_name(cls),
					sac_lighting_name(l), o.seed);
				if (tty)
					fprintf(stderr, "\rsynth-set: %ld/%ld", ++done, total);
			}
	if (tty)
		fprintf(stderr, "\n");
	snprintf(path, dl + 64, "%s/manifest.csv", dir);
	if (fclose(man) && !rc) {
		snprintf(msg, sizeof msg, "%s: write error", path);
		rc = cli_fail("events", msg);
	}
	if (!rc)
		printf("%s: %ld streams (%ld per emotion and lighting, %.3g s each, %zu events), seeds %" PRIu64 " to %" PRIu64 "\n",
		       path, total, count, duration, events, seed, seed + (uint64_t)total - 1);
	free(path);
	return rc;
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
			if (!cli_to_long(optarg, 1, 4096, &v))
				return usage_error("--frames wants an integer from 1 to 4096, not '%s'", optarg);
			o.frames = (int)v;
			break;
		case 'k':
			if (!cli_to_long(optarg, 1, 30 * 3600, &v))
				return usage_error("--skip wants a positive integer (1/30 s units), not '%s'", optarg);
			o.skip = (int)v;
			break;
		case 'z': {
			char *x = strchr(optarg, 'x');
			long w, h;
			if (!x)
				return usage_error("--size wants WxH such as 64x64, not '%s'", optarg);
			*x = '\0';
			int ok = cli_to_long(optarg, 1, 65535, &w) && cli_to_long(x + 1, 1, 65535, &h);
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
		return usage_error("expected a subcommand: synth, synth-set, frames or info%s", "");
	const char *sub = argv[1];
	optind = 1;
	opterr = 0;
	if (!strcmp(sub, "synth"))
		return run_synth(argc - 1, argv + 1);
	if (!strcmp(sub, "synth-set"))
		return run_synth_set(argc - 1, argv + 1);
	if (!strcmp(sub, "frames"))
		return run_frames(argc - 1, argv + 1);
	if (!strcmp(sub, "info"))
		return run_info(argc - 1, argv + 1);
	return usage_error("unknown subcommand '%s' (synth, synth-set, frames or info)", sub);
}

void cli_events_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade events - make, inspect and frame DVS event streams\n\n"
"SYNOPSIS\n"
"    saccade events synth --class C [--seed N] [--lighting L] [--duration S]\n"
"                         -o EV.npy|EV.csv\n"
"    saccade events synth-set [--count N] [--seed S] [--duration S] [--csv]\n"
"                         -o DIR\n"
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
"    synth-set writes a labelled set: N streams (--count, default 1) for\n"
"    each of the 7 emotions and each of the 4 lightings, so 28 N files\n"
"    named DIR/EMOTION_LIGHTING_K.npy (.csv with --csv), and\n"
"    DIR/manifest.csv listing them (path,emotion,lighting,seed; paths\n"
"    relative to the manifest; docs/FORMATS.md), ready for 'saccade run'.\n"
"    Sample K of the pair (emotion e, lighting l), both counted from 0 in\n"
"    the order of --class and --lighting, gets seed S + (4 e + l) N + K.\n"
"    DIR is created if missing; existing files of the same names are\n"
"    replaced.\n\n"
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
"    --seed N       generator seed (default 0); synth-set: the first seed\n"
"    --count N      synth-set: streams per emotion and lighting (default 1)\n"
"    --csv          synth-set: write CSV event files instead of .npy\n"
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
"    saccade events synth-set --count 5 --seed 1 -o set/\n"
"    saccade events frames su.npy -o x.npy\n"
"    saccade events frames rec.csv --frames 4 --skip 3 --size 64x64 --start 0.2 -o x.npy\n\n"
"SEE ALSO\n"
"    docs/EVENTS.md (formats, the generator, framing), docs/FORMATS.md\n");
}
