/* classify.c: classify DVS eye recordings with a compiled Saccade image,
 * through the public runtime API (saccade/runtime.h) only.
 *
 *     classify NET.sac EV.npy [EV2.csv ...]
 *
 * For each event file: frame it the E4-S3 way at the image's input size,
 * run it on the cycle-accurate simulator and print the emotion, the
 * logits, the latency and the energy with its largest component.  Build
 * it against an installed Saccade with the Makefile next to it
 * (pkg-config --cflags --libs saccade).  It shows the error handling a
 * real program needs: every call returns a code, and the context keeps
 * the message. */
#include <stdio.h>
#include <stdlib.h>

#include <saccade/runtime.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s NET.sac EVENTS...\n", argv[0]);
		return 2;
	}
	sac_err e = {0};
	sac_rt *rt = sac_rt_open(argv[1], &e);
	if (!rt) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	int64_t shape[3];
	sac_rt_input_shape(rt, shape);
	printf("%s: input [%lld, %lld, %lld], backend %s, saccade %s\n", argv[1],
	       (long long)shape[0], (long long)shape[1], (long long)shape[2],
	       sac_backend_name(SAC_BACKEND_SIM), sac_version());
	int status = 0;
	for (int i = 2; i < argc; i++) {
		sac_events ev;
		if (sac_events_read(argv[i], &ev, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			sac_err_clear(&e);
			sac_events_free(&ev);
			status = 1;
			continue;
		}
		/* NULL framing: the defaults that fit the image. */
		int rc = sac_rt_set_events(rt, &ev, NULL);
		sac_events_free(&ev);
		if (!rc)
			rc = sac_rt_run(rt);
		if (rc) {
			fprintf(stderr, "%s: %s (%s)\n", argv[i], sac_rt_error(rt),
				sac_strerror(rc));
			status = 1;
			continue;
		}
		int n = sac_rt_nlogits(rt), cls = sac_rt_class(rt);
		double logits[64], mj, comp[64], ms;
		int64_t cycles;
		sac_rt_logits(rt, logits, n < 64 ? n : 64);
		sac_rt_latency(rt, &cycles, &ms);
		sac_rt_energy(rt, &mj, comp);
		int big = 0;
		for (int k = 1; k < sac_rt_ncomponents(); k++)
			if (comp[k] > comp[big])
				big = k;
		printf("%s: %s (class %d); logits", argv[i],
		       n == SAC_NUM_CLASSES ? sac_class_name(cls) : "?", cls);
		for (int k = 0; k < n && k < 64; k++)
			printf(" %.4g", logits[k]);
		printf("\n  %lld cycles = %.3f ms, %.4f mJ (most in %s: %.0f%%)\n",
		       (long long)cycles, ms, mj, sac_ecomp_name((sac_ecomp)big),
		       100 * comp[big] / mj);
	}
	sac_rt_close(rt);
	return status;
}
