/* cmd_sim.c: `saccade map` (the PE map of an image) and `saccade sim`
 * (cycle-accurate run: class, logits, latency, energy and breakdowns,
 * optionally checked spike for spike against ref-int).  `sim` goes
 * through the public runtime API (runtime.h), like any other program. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "saccade/dsim.h"
#include "saccade/events.h"
#include "saccade/npy.h"
#include "saccade/runtime.h"

static int usage_err(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "saccade %s: %s%s%s (see 'saccade help %s')\n", cmd, msg,
		arg ? " " : "", arg ? arg : "", cmd);
	return 2;
}

int cli_map(int argc, char **argv)
{
	static const struct option lo[] = {{"svg", required_argument, NULL, 's'},
					   {NULL, 0, NULL, 0}};
	const char *svg = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":s:", lo, NULL)) != -1) {
		if (c == 's')
			svg = optarg;
		else
			return usage_err("map", c == ':' ? "option needs a value:" : "unknown option",
					 argv[optind - 1]);
	}
	if (optind != argc - 1)
		return usage_err("map", "expected one NET.sac", NULL);
	sac_program p;
	sac_err e = {0};
	if (sac_program_load(argv[optind], &p, &e))
		return cli_fail("map", e.msg);
	printf("image %s: model %s on target %s (%s)\n", argv[optind], p.g->name,
	       p.t.name, sac_uarch_name(p.t.uarch));
	sac_map_print(p.m, p.g, stdout);
	int rc = 0;
	if (svg) {
		char msg[2200];
		FILE *f = fopen(svg, "w");
		if (!f) {
			snprintf(msg, sizeof msg, "cannot create %s: %s", svg, strerror(errno));
			rc = cli_fail("map", msg);
		} else {
			int w = sac_map_svg(p.m, p.g, f, &e);
			/* fclose flushes: a full disk may only show here. */
			if (fclose(f) && !w)
				w = sac_errf(&e, SAC_ERR_IO, "%s", strerror(errno));
			if (w) {
				snprintf(msg, sizeof msg, "cannot write %s: %s", svg, e.msg);
				rc = cli_fail("map", msg);
			} else {
				printf("wrote %s\n", svg);
			}
		}
	}
	sac_program_free(&p);
	return rc;
}

void cli_map_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade map - print the PE map of an image\n\n"
"SYNOPSIS\n"
"    saccade map NET.sac [--svg MAP.svg]\n\n"
"DESCRIPTION\n"
"    Prints one line per PE in use: its mesh position (x,y), the layer, the\n"
"    kind (input, spiking, readout), the channel range and rows of the\n"
"    layer's output it holds, its neurons, weight bytes and outgoing routes;\n"
"    then the hop-weighted traffic of the placement against the baseline.\n\n"
"OPTIONS\n"
"    --svg MAP.svg\n"
"        Also draw the map as a self-contained SVG picture: one square per\n"
"        PE at its mesh position (y = 0 at the top), coloured by layer and\n"
"        labelled Ln with its channel and row range (hover for details);\n"
"        unused PEs are grey.  Between neighbours, one arrow per direction\n"
"        whose width and shade grow with the link's traffic: the dense\n"
"        spike estimate of every route whose XY path crosses it.  A legend\n"
"        lists the layers and the traffic scale.\n\n"
"EXIT STATUS\n"
"    0 success, 1 bad image or SVG not written, 2 bad usage.\n");
}

static void progress(void *ctx, int64_t step, int64_t steps, int64_t cycle)
{
	(void)ctx;
	fprintf(stderr, "\rsimulating: step %lld/%lld, cycle %lld", (long long)step,
		(long long)steps, (long long)cycle);
	if (step == steps)
		fprintf(stderr, "\n");
}

static cJSON *comp_obj(const double *comp)
{
	cJSON *o = cJSON_CreateObject();
	for (int k = 0; k < SAC_E_COUNT; k++)
		cJSON_AddNumberToObject(o, sac_ecomp_name((sac_ecomp)k), comp[k] * 1e-9);
	return o;
}

static int write_report(const char *path, const sac_program *p, const char *input,
			long idx, const sac_ref_out *o, const sac_sim_stats *st,
			int checked, int same)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "saccade", SAC_VERSION_STRING);
	cJSON_AddStringToObject(root, "model", p->g->name);
	cJSON_AddStringToObject(root, "target", p->t.name);
	cJSON_AddStringToObject(root, "microarch", sac_uarch_name(p->t.uarch));
	cJSON_AddNumberToObject(root, "clock_hz", p->t.clock_hz);
	cJSON_AddStringToObject(root, "input", input);
	cJSON_AddNumberToObject(root, "index", (double)idx);
	cJSON_AddNumberToObject(root, "class", o->cls);
	if (o->nlogits == SAC_NUM_CLASSES)
		cJSON_AddStringToObject(root, "class_name", sac_class_name(o->cls));
	cJSON *lg = cJSON_AddArrayToObject(root, "logits");
	cJSON *il = cJSON_AddArrayToObject(root, "int_logits");
	for (int k = 0; k < o->nlogits; k++) {
		cJSON_AddItemToArray(lg, cJSON_CreateNumber(o->logits[k]));
		cJSON_AddItemToArray(il, cJSON_CreateNumber((double)o->ilogits[k]));
	}
	if (checked)
		cJSON_AddBoolToObject(root, "equals_ref_int", same);
	cJSON *lat = cJSON_AddObjectToObject(root, "latency");
	cJSON_AddNumberToObject(lat, "cycles", (double)st->cycles);
	cJSON_AddNumberToObject(lat, "ms", st->seconds * 1e3);
	cJSON_AddNumberToObject(lat, "steps", (double)st->steps);
	cJSON *act = cJSON_AddObjectToObject(root, "activity");
	cJSON_AddNumberToObject(act, "spikes", (double)st->spikes);
	cJSON_AddNumberToObject(act, "packets", (double)st->packets);
	cJSON_AddNumberToObject(act, "synaptic_ops", (double)st->synaptic_ops);
	cJSON *en = cJSON_AddObjectToObject(root, "energy_mj");
	cJSON_AddNumberToObject(en, "total", st->energy_pj * 1e-9);
	cJSON_AddItemToObject(en, "by_component", comp_obj(st->comp));
	cJSON_AddNumberToObject(en, "unused_pes", st->unused_pj * 1e-9);
	cJSON *layers = cJSON_AddArrayToObject(root, "layers");
	for (int l = 0; l < p->m->nlayers; l++) {
		cJSON *L = cJSON_CreateObject();
		cJSON_AddStringToObject(L, "name", p->g->node[p->m->layer[l].node].name);
		cJSON_AddNumberToObject(L, "pes", p->m->layer[l].count);
		cJSON_AddNumberToObject(L, "window", p->m->layer[l].window);
		cJSON_AddNumberToObject(L, "cycles", (double)st->layer_cycles[l]);
		cJSON_AddNumberToObject(L, "energy_mj", st->layer_pj[l] * 1e-9);
		cJSON_AddItemToObject(L, "by_component", comp_obj(&st->layer_comp[l * SAC_E_COUNT]));
		cJSON_AddItemToArray(layers, L);
	}
	cJSON *pes = cJSON_AddArrayToObject(root, "pes");
	for (int n = 0; n < p->m->npe; n++) {
		const sac_pe_counts *c = &st->pe[n];
		int r = p->m->pe_region[n];
		cJSON *P = cJSON_CreateObject();
		cJSON_AddNumberToObject(P, "x", n % p->m->mesh_w);
		cJSON_AddNumberToObject(P, "y", n / p->m->mesh_w);
		cJSON_AddStringToObject(P, "layer", r >= 0 ? p->g->node[p->m->layer[p->m->region[r].layer].node].name : "");
		cJSON_AddNumberToObject(P, "energy_mj", st->pe_pj[n] * 1e-9);
		cJSON_AddNumberToObject(P, "active_cycles", (double)c->active);
		cJSON_AddNumberToObject(P, "spikes", (double)c->spikes);
		cJSON_AddNumberToObject(P, "packets_in", (double)c->packets_in);
		cJSON_AddNumberToObject(P, "packets_out", (double)c->packets_out);
		cJSON_AddNumberToObject(P, "synaptic_ops", (double)c->synops);
		cJSON_AddNumberToObject(P, "weight_reads", (double)c->weight_reads);
		cJSON_AddNumberToObject(P, "potential_reads", (double)c->potential_reads);
		cJSON_AddNumberToObject(P, "potential_writes", (double)c->potential_writes);
		cJSON_AddNumberToObject(P, "accum_reads", (double)c->accum_reads);
		cJSON_AddNumberToObject(P, "accum_writes", (double)c->accum_writes);
		cJSON_AddNumberToObject(P, "spike_reads", (double)c->spike_reads);
		cJSON_AddNumberToObject(P, "spike_writes", (double)c->spike_writes);
		cJSON_AddNumberToObject(P, "router_flits", (double)c->router_xbar);
		cJSON_AddNumberToObject(P, "link_flits", (double)c->link);
		cJSON_AddItemToArray(pes, P);
	}
	return cli_write_json("sim", path, root);
}

int cli_sim(int argc, char **argv)
{
	static const struct option lo[] = {
		{"input", required_argument, NULL, 'i'},
		{"index", required_argument, NULL, 'n'},
		{"report", required_argument, NULL, 'r'},
		{"trace", required_argument, NULL, 't'},
		{"check", no_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"backend", required_argument, NULL, 'b'},
		{"rtl", required_argument, NULL, 'R'},
		{"noc", required_argument, NULL, 'N'},
		{NULL, 0, NULL, 0}};
	const char *input = NULL, *report = NULL, *trace = NULL, *rtl = NULL,
		   *noc = NULL;
	sac_backend backend = SAC_BACKEND_SIM;
	long index = 0;
	int check = 0, quiet = 0;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":i:n:r:t:cqb:", lo, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'R': rtl = optarg; break;
		case 'N':
			if (strcmp(optarg, "flit") && strcmp(optarg, "analytic"))
				return usage_err("sim", "--noc wants flit or analytic, got", optarg);
			noc = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "sim"))
				backend = SAC_BACKEND_SIM;
			else if (!strcmp(optarg, "rtl"))
				backend = SAC_BACKEND_RTL;
			else
				return usage_err("sim", "--backend wants sim or rtl, got", optarg);
			break;
		case 'i': input = optarg; break;
		case 'r': report = optarg; break;
		case 't': trace = optarg; break;
		case 'c': check = 1; break;
		case 'q': quiet = 1; break;
		case 'n':
			errno = 0;
			index = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || index < 0)
				return usage_err("sim", "--index must be a non-negative integer, got", optarg);
			break;
		default:
			return usage_err("sim", c == ':' ? "option needs a value:" : "unknown option",
					 argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_err("sim", "expected one NET.sac", NULL);
	if (!input)
		return usage_err("sim", "missing --input X.npy", NULL);
	const char *path = argv[optind];
	/* A dense (MCO-E) image: the dense simulator (dense_cli.c). */
	if (sac_dprog_is_image(path)) {
		if (check || trace || backend != SAC_BACKEND_SIM)
			return usage_err("sim", "--check, --trace and --backend rtl are not available for dense images "
					 "(tests/check_dsim.c compares them with the integer reference)", NULL);
		return cli_dense_sim(path, input, index, report,
				     noc && !strcmp(noc, "analytic"));
	}
	if (noc)
		return usage_err("sim", "--noc is for dense images (a spiking image's NoC is always "
				 "flit-level), got", path);
	sac_err e = {0};
	sac_rt *rt = sac_rt_open(path, &e);
	if (!rt)
		return cli_fail("sim", e.msg);
	const sac_program *p = sac_rt_program(rt);
	sac_tensor x = {0};
	int rc = 0;
	if ((rtl && sac_rt_set_rtl(rt, rtl)) || sac_rt_set_backend(rt, backend))
		rc = cli_fail("sim", sac_rt_error(rt));
	if (!rc && sac_npy_read(input, &x, &e))
		rc = cli_fail("sim", e.msg);
	if (!rc && sac_rt_set_input_tensor(rt, &x, index)) {
		char m[sizeof e.msg + 1100];
		snprintf(m, sizeof m, "%s: %s", input, sac_rt_error(rt));
		rc = cli_fail("sim", m);
	}
	sac_tensor_free(&x);
	if (!quiet && isatty(2))
		sac_rt_set_progress(rt, progress, NULL);
	FILE *vcd = NULL;
	if (!rc && trace) {
		vcd = fopen(trace, "w");
		if (!vcd) {
			char m[1200];
			snprintf(m, sizeof m, "%s: cannot create: %s", trace, strerror(errno));
			rc = cli_fail("sim", m);
		}
		sac_rt_set_trace(rt, vcd);
	}
	if (!rc && sac_rt_run(rt))
		rc = cli_fail("sim", sac_rt_error(rt));
	if (vcd && fclose(vcd) && !rc)
		rc = cli_fail("sim", "trace: write error");
	int same = 1;
	char diff[512] = "";
	if (!rc && check && sac_rt_check_ref(rt, &same, diff, sizeof diff))
		rc = cli_fail("sim", sac_rt_error(rt));
	if (!rc) {
		const sac_ref_out *o = sac_rt_output(rt);
		const sac_sim_stats *st = sac_rt_stats(rt);
		printf("model %s on %s (%dx%d mesh, %s, %.0f MHz)%s%s\n", p->g->name, p->t.name,
		       p->t.mesh_w, p->t.mesh_h, sac_uarch_name(p->t.uarch), p->t.clock_hz / 1e6,
		       backend == SAC_BACKEND_RTL ? ", RTL: " : "",
		       backend == SAC_BACKEND_RTL ? sac_rt_rtl_path(rt) : "");
		printf("class %d (%s)\nlogits:", o->cls,
		       o->nlogits == SAC_NUM_CLASSES ? sac_class_name(o->cls) : "");
		for (int k = 0; k < o->nlogits; k++)
			printf(" %.5g", o->logits[k]);
		printf("\nlatency: %lld cycles, %.3f ms (%lld steps)\n", (long long)st->cycles,
		       st->seconds * 1e3, (long long)st->steps);
		printf("energy: %.4f mJ (%.1f mW average)\n", st->energy_pj * 1e-9,
		       st->energy_pj * 1e-12 / st->seconds * 1e3);
		printf("activity: %lld spikes, %lld packets, %lld synaptic ops\n",
		       (long long)st->spikes, (long long)st->packets, (long long)st->synaptic_ops);
		printf("\nenergy by component (mJ):\n");
		for (int k = 0; k < SAC_E_COUNT; k++)
			printf("  %-16s %10.5f  %5.1f%%\n", sac_ecomp_name((sac_ecomp)k),
			       st->comp[k] * 1e-9, 100.0 * st->comp[k] / st->energy_pj);
		printf("\nby layer (window: the cycles of the window in which the layer's\n"
		       "outputs spike, while the next layer integrates them):\n"
		       "  %-22s %5s %10s %10s\n", "layer", "PEs", "window", "mJ");
		for (int l = 0; l < p->m->nlayers; l++) {
			const sac_hwlayer *L = &p->m->layer[l];
			char cyc[32];
			if (L->kind == SAC_HW_READOUT)
				snprintf(cyc, sizeof cyc, "(readout)");
			else if (st->layer_cycles[l] < 0) /* the RTL backend */
				snprintf(cyc, sizeof cyc, "-");
			else
				snprintf(cyc, sizeof cyc, "%lld", (long long)st->layer_cycles[l]);
			printf("  %-22s %5d %10s %10.5f\n", p->g->node[L->node].name,
			       L->count, cyc, st->layer_pj[l] * 1e-9);
		}
		printf("  %-22s %5d %10s %10.5f\n", "(unused PEs)",
		       p->m->npe - p->m->nregions, "", st->unused_pj * 1e-9);
		if (check)
			printf("\nsimulator vs ref-int: %s%s\n",
			       same ? "identical (logits and every spike)" : "DIFFERENT: ", diff);
		if (report)
			rc = write_report(report, p, input, index, o, st, check, same);
		if (!rc && !same)
			rc = cli_fail("sim", "the simulator disagrees with ref-int: this is a bug, please report it");
	}
	sac_rt_close(rt);
	return rc;
}

void cli_sim_help(FILE *f)
{
	fprintf(f,
"NAME\n"
"    saccade sim - simulate an image cycle by cycle\n\n"
"SYNOPSIS\n"
"    saccade sim NET.sac --input X.npy [--index N] [--report R.json]\n"
"                [--trace T.vcd] [--check] [--backend sim|rtl] [--rtl EXE]\n"
"                [--quiet] [--noc flit|analytic]\n\n"
"DESCRIPTION\n"
"    Runs one input (image N of X.npy, default 0) on the cycle-accurate model\n"
"    of the target's PEs and NoC (docs/ARCHITECTURE.md) and prints the class,\n"
"    the logits, the latency in cycles and milliseconds and the energy, with\n"
"    its breakdown by component (each SRAM's reads and writes, compute,\n"
"    router, links, leakage, clock) and by layer.  The JSON report also has\n"
"    every PE's counts and energy.  Progress goes to stderr on a terminal.\n\n"
"    A dense image (saccade compile of an MCO-E directory) runs on the dense\n"
"    simulator (docs/ISA.md): logits, class, latency, energy by component\n"
"    and by block (mamba, mcib, fusion, router, experts); --input is then\n"
"    the backbone features [N, 2, 500, 4] of 'saccade zoo mco-e'.  Its NoC\n"
"    is flit-level: the weight blocks streamed from the external memory and\n"
"    the activation tiles share one cycle-accurate network model.\n\n"
"OPTIONS\n"
"    -i, --input X.npy   the input, float32 [C,H,W] or [N,C,H,W] in [0, 1]\n"
"    -n, --index N       which image of a batch (default 0)\n"
"    -r, --report R.json write the full statistics as JSON\n"
"    -t, --trace T.vcd   write a VCD trace (GTKWave): per PE the running\n"
"                        counts of spikes fired and packets sent and\n"
"                        received, and the step, window and NoC flits in\n"
"                        flight, one time unit per clock cycle\n"
"    -c, --check         also run ref-int and compare every spike and logit;\n"
"                        a difference exits with status 1\n"
"    -b, --backend B     sim (default): the C model; rtl: the Verilated RTL,\n"
"                        the program saccade-rtl-<target> (see 'saccade help\n"
"                        cosim'); the same outputs, counts and energy, but\n"
"                        no layer window cycles ('-') and no progress; the\n"
"                        trace is then the RTL's waveform\n"
"    --rtl EXE           the RTL program (default: saccade-rtl-<target> in\n"
"                        $SACCADE_RTL_DIR, else where it was installed)\n"
"    -q, --quiet         no progress output\n"
"    --noc M             dense images only: flit (default) times every\n"
"                        weight block and activation tile in the\n"
"                        cycle-accurate NoC model; analytic uses the\n"
"                        analytic estimate of docs/ISA.md instead: the same\n"
"                        values, faster, a lower latency (docs/RESULTS.md)\n\n"
"EXIT STATUS\n"
"    0 success, 1 error (bad image or input, deadlock, mismatch), 2 bad usage.\n\n"
"EXAMPLE\n"
"    saccade sim see.sac --input see/sample.npy --report see.json\n"
"    saccade sim mcoe.sac --input mcoe/sample.npy --report mcoe.json\n");
}
