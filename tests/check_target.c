/* check_target.c: unit tests of the target description (sim/target.c).
 *
 * The built-in defaults must equal examples/targets/yoso.yaml field by
 * field (the comparison is written out here rather than taken from the
 * loader's table, so that a field missing from the table is caught too);
 * the example targets load; and every kind of bad file gives the right
 * code and a message with its location, the field and the limit. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/target.h"

/* make check exports abs_top_srcdir; by hand, run from the source tree. */
static void example(char *buf, size_t n, const char *file)
{
	const char *top = getenv("abs_top_srcdir");
	snprintf(buf, n, "%s/examples/targets/%s", top ? top : ".", file);
}

static void same_target(const sac_target *a, const sac_target *b)
{
#define I(f) ck_assert_msg(a->f == b->f, #f ": %d != %d", (int)a->f, (int)b->f)
#define D(f) ck_assert_msg(a->f == b->f, #f ": %g != %g", a->f, b->f)
	ck_assert_str_eq(a->name, b->name);
	D(clock_hz);
	I(mesh_w); I(mesh_h); I(uarch);
	I(pe.neurons); I(pe.weight_bytes); I(pe.weight_width); I(pe.lanes);
	I(pe.route_entries); I(pe.in_fifo); I(pe.out_fifo); I(pe.pipeline);
	I(noc.flit_bits); I(noc.vcs); I(noc.buffer_depth);
	I(noc.route_delay); I(noc.vc_delay); I(noc.switch_delay);
	I(noc.xbar_delay); I(noc.link_delay); I(noc.credit_delay);
	I(noc.sync_delay);
	D(energy.weight_read); D(energy.weight_write);
	D(energy.potential_read); D(energy.potential_write);
	D(energy.accum_read); D(energy.accum_write);
	D(energy.spike_read); D(energy.spike_write);
	D(energy.add); D(energy.mac); D(energy.compare); D(energy.divide);
	D(energy.router_buffer); D(energy.router_xbar); D(energy.link);
	D(energy.leak_pe); D(energy.clock_pe);
	I(dense.mac_lanes); I(dense.vector_lanes); I(dense.div_cycles);
	I(dense.dram_bytes_per_cycle); I(dense.dram_latency);
	D(energy.requant); D(energy.lut); D(energy.dram_byte);
#undef I
#undef D
}

START_TEST(test_default_is_yoso_yaml)
{
	sac_target d, t;
	sac_err e = {0};
	char path[1200];
	sac_target_default(&d);
	ck_assert_int_eq(sac_target_check(&d, &e), SAC_OK);
	example(path, sizeof path, "yoso.yaml");
	memset(&t, 0xa5, sizeof t);
	ck_assert_msg(sac_target_load(path, &t, &e) == SAC_OK, "%s", e.msg);
	same_target(&d, &t);
	ck_assert_str_eq(t.path, path);
	ck_assert_str_eq(d.path, "");
	/* The figures the docs promise. */
	ck_assert(d.clock_hz == 54e6);
	ck_assert_int_eq(d.mesh_w * d.mesh_h, 256);
	ck_assert_int_eq(d.pe.weight_bytes, 32768);
	ck_assert_str_eq(sac_uarch_name(d.uarch), "ramp");
	ck_assert_str_eq(sac_uarch_name(SAC_UARCH_EVENT), "event");
}
END_TEST

/* The canonical TNAS-ER network ('zoo tnas-er --genome see') fits the
 * default target, by the arithmetic of docs/FORMATS.md: layer output
 * neurons in PEs of pe.neurons each, one layer per PE group. */
START_TEST(test_default_holds_tnas_er)
{
	sac_target d;
	sac_target_default(&d);
	/* {output neurons, out channels, weights per output channel} */
	static const int layer[][3] = {
		{32 * 64 * 64, 32, 4 * 9}, {32 * 64 * 64, 32, 32 * 9},
		{32 * 64 * 64, 32, 32 * 9}, {32 * 64 * 64, 32, 32 * 9},
		{64 * 32 * 32, 64, 32 * 9}, {64 * 32 * 32, 64, 64 * 9},
		{64 * 32 * 32, 64, 64 * 25}, {64 * 32 * 32, 64, 64 * 25},
		{128 * 16 * 16, 128, 64 * 9}, {128 * 16 * 16, 128, 128 * 9},
		{128 * 16 * 16, 128, 128 * 9}, {128 * 16 * 16, 128, 128 * 9},
		{7, 7, 128 * 16 * 16}};
	int pes = 0, neurons = 0;
	for (size_t i = 0; i < sizeof layer / sizeof layer[0]; i++) {
		int per_ch = layer[i][0] / layer[i][1];
		/* Channels per PE: as many whole channels as neurons allow
		 * (at least 1 for the head); each needs its weights. */
		int ch = d.pe.neurons / per_ch;
		if (ch < 1)
			ch = 1;
		int n = (layer[i][1] + ch - 1) / ch;
		if (ch * layer[i][2] > d.pe.weight_bytes) {
			/* Fewer channels per PE, then more PEs. */
			ch = d.pe.weight_bytes / layer[i][2];
			ck_assert_msg(ch >= 1, "layer %zu: one channel's weights exceed the SRAM", i);
			n = (layer[i][1] + ch - 1) / ch;
		}
		pes += n;
		neurons += layer[i][0];
	}
	ck_assert_int_eq(neurons, 917511);
	ck_assert_msg(pes <= d.mesh_w * d.mesh_h, "%d PEs needed", pes);
	ck_assert_int_eq(pes, 231);
	/* Even if the input [4,64,64] and both max-pool outputs
	 * ([32,32,32], [64,16,16]) got neurons and PEs of their own. */
	pes += (4 * 64 * 64 + 32 * 32 * 32 + 64 * 16 * 16) / d.pe.neurons;
	ck_assert_int_eq(pes, 247);
	ck_assert_int_le(pes, d.mesh_w * d.mesh_h);
}
END_TEST

START_TEST(test_examples_load)
{
	static const struct { const char *file; int mesh, neurons, kib, sync; } ex[] = {
		{"small.yaml", 8, 4096, 32, 16}, {"tiny.yaml", 4, 4096, 8, 8}};
	sac_target d;
	sac_target_default(&d);
	for (size_t i = 0; i < 2; i++) {
		sac_target t;
		sac_err e = {0};
		char path[1200];
		example(path, sizeof path, ex[i].file);
		ck_assert_msg(sac_target_load(path, &t, &e) == SAC_OK, "%s", e.msg);
		ck_assert_int_eq(t.mesh_w, ex[i].mesh);
		ck_assert_int_eq(t.mesh_h, ex[i].mesh);
		ck_assert_int_eq(t.pe.neurons, ex[i].neurons);
		ck_assert_int_eq(t.pe.weight_bytes, ex[i].kib * 1024);
		ck_assert_int_eq(t.noc.sync_delay, ex[i].sync);
		/* Same energy table as the default, byte for byte. */
		ck_assert(!memcmp(&t.energy, &d.energy, sizeof d.energy));
		/* The rest is the default except name, mesh, SRAMs, sync. */
		t.mesh_w = t.mesh_h = 16;
		t.pe.neurons = d.pe.neurons;
		t.pe.weight_bytes = d.pe.weight_bytes;
		t.noc.sync_delay = d.noc.sync_delay;
		snprintf(t.name, sizeof t.name, "yoso");
		same_target(&d, &t);
	}
}
END_TEST

START_TEST(test_partial_and_unnamed)
{
	const char *y = "saccade-target: 1\nmesh: [3, 5]\nmicroarch: event\n"
			"noc: {vcs: 4}\nenergy: {compute: {divide: 6.4}}\n";
	sac_target t, d;
	sac_err e = {0};
	sac_target_default(&d);
	ck_assert_msg(sac_target_load_mem(y, strlen(y), "dir/my-chip.yaml", &t, &e) == 0,
		      "%s", e.msg);
	ck_assert_str_eq(t.name, "my-chip");
	ck_assert_str_eq(t.path, "dir/my-chip.yaml");
	ck_assert_int_eq(t.mesh_w, 3);
	ck_assert_int_eq(t.mesh_h, 5);
	ck_assert_int_eq(t.uarch, SAC_UARCH_EVENT);
	ck_assert_int_eq(t.noc.vcs, 4);
	ck_assert(t.energy.divide == 6.4);
	ck_assert(t.energy.mac == d.energy.mac);
	ck_assert_int_eq(t.pe.lanes, d.pe.lanes);
	/* Fractional clocks and plain integers for doubles. */
	y = "saccade-target: 1\nclock_mhz: 0.032768\nenergy: {static: {leak_pe: 0}}\n";
	ck_assert_msg(sac_target_load_mem(y, strlen(y), "t.yaml", &t, &e) == 0, "%s", e.msg);
	ck_assert(fabs(t.clock_hz - 32768) < 1e-6);
	ck_assert(t.energy.leak_pe == 0);
}
END_TEST

/* Load text that must fail; check the code and every needle. */
static void bad(const char *yaml, int code, const char *n1, const char *n2)
{
	sac_target t, before;
	sac_err e = {0};
	memset(&t, 0x5a, sizeof t);
	before = t;
	int r = sac_target_load_mem(yaml, strlen(yaml), "t.yaml", &t, &e);
	ck_assert_msg(r == code, "code %d, want %d (%s) for:\n%s", r, code,
		      e.msg, yaml);
	ck_assert_int_eq(e.code, code);
	ck_assert_msg(strstr(e.msg, n1), "message '%s' lacks '%s'", e.msg, n1);
	ck_assert_msg(!n2 || strstr(e.msg, n2), "message '%s' lacks '%s'", e.msg, n2);
	/* A failed load leaves the caller's struct alone. */
	ck_assert(!memcmp(&t, &before, sizeof t));
}

#define V "saccade-target: 1\n"

START_TEST(test_bad_files)
{
	/* Version. */
	bad("name: x\n", SAC_ERR_PARSE, "t.yaml:1:1: missing 'saccade-target: 1'", NULL);
	bad("saccade-target: 2\nbogus: 1\n", SAC_ERR_UNSUPPORTED,
	    "t.yaml:1:17: target format version 2 is not supported", "target format 1");
	bad("saccade-target: one\n", SAC_ERR_PARSE,
	    "t.yaml:1:17: 'saccade-target' must be an integer, got 'one'", NULL);
	bad("", SAC_ERR_PARSE, "t.yaml: empty file", NULL);
	bad("- 1\n- 2\n", SAC_ERR_PARSE, "t.yaml:1:1: a target must be a mapping, got a sequence", NULL);
	/* YAML syntax, located by libyaml. */
	bad(V "mesh: [16, 16\npe: {}\n", SAC_ERR_PARSE, "t.yaml:3:", NULL);
	bad(V "pe:\n  lanes: 8\n lanes: 4\n", SAC_ERR_PARSE, "t.yaml:4:2:", NULL);
	/* Unknown and duplicate keys, located, with the known ones. */
	bad(V "colour: red\n", SAC_ERR_PARSE,
	    "t.yaml:2:1: unknown top-level key 'colour'", "known: saccade-target, name,");
	bad(V "pe:\n  neurons: 8\n  lane: 8\n", SAC_ERR_PARSE,
	    "t.yaml:4:3: unknown key 'lane' in 'pe'", "lanes, route_entries");
	bad(V "noc: {flit: 64}\n", SAC_ERR_PARSE,
	    "t.yaml:2:7: unknown key 'flit' in 'noc'", "flit_bits");
	bad(V "energy:\n  dram: {read: 1}\n", SAC_ERR_PARSE,
	    "t.yaml:3:3: unknown key 'dram' in 'energy'", "sram, compute, noc, static");
	bad(V "energy:\n  sram:\n    weight_reed: 1\n", SAC_ERR_PARSE,
	    "t.yaml:4:5: unknown key 'weight_reed' in 'energy.sram'", NULL);
	bad(V "mesh: [2, 2]\nmesh: [4, 4]\n", SAC_ERR_PARSE,
	    "t.yaml:3:1: duplicate key 'mesh'", NULL);
	bad(V "pe: {lanes: 8, lanes: 4}\n", SAC_ERR_PARSE,
	    "t.yaml:2:16: duplicate key 'lanes' in 'pe'", NULL);
	/* Wrong types. */
	bad(V "pe: {lanes: 8.5}\n", SAC_ERR_PARSE,
	    "t.yaml:2:13: 'pe.lanes' must be an integer, got '8.5'", NULL);
	bad(V "pe: {lanes: '8'}\n", SAC_ERR_PARSE,
	    "t.yaml:2:13: 'pe.lanes' must be an integer, got the quoted string '8'", NULL);
	bad(V "pe: {lanes: [8]}\n", SAC_ERR_PARSE,
	    "t.yaml:2:13: 'pe.lanes' must be an integer, got a sequence", NULL);
	bad(V "pe: {lanes: }\n", SAC_ERR_PARSE, "'pe.lanes' must be an integer, got an empty value", NULL);
	bad(V "pe: 4\n", SAC_ERR_PARSE, "t.yaml:2:5: 'pe' must be a mapping, got a scalar", NULL);
	bad(V "energy:\n  compute: {add: cheap}\n", SAC_ERR_PARSE,
	    "t.yaml:3:18: 'energy.compute.add' must be a finite number, got 'cheap'", NULL);
	bad(V "energy: {noc: {link: .inf}}\n", SAC_ERR_PARSE,
	    "'energy.noc.link' must be a finite number, got '.inf'", NULL);
	bad(V "energy: {noc: {link: nan}}\n", SAC_ERR_PARSE,
	    "'energy.noc.link' must be a finite number, got 'nan'", NULL);
	bad(V "mesh: 16\n", SAC_ERR_PARSE, "t.yaml:2:7: 'mesh' must be a pair [width, height]", NULL);
	bad(V "mesh: [4, 4, 4]\n", SAC_ERR_PARSE, "'mesh' must be a pair", NULL);
	bad(V "microarch: spiky\n", SAC_ERR_PARSE,
	    "t.yaml:2:12: 'microarch' must be 'ramp' or 'event', got 'spiky'", NULL);
	bad(V "name: [a]\n", SAC_ERR_PARSE, "t.yaml:2:7: 'name' must be 1 to 63 characters", NULL);
	bad(V "name: 'a b'\n", SAC_ERR_PARSE, "'name' must be 1 to 63 characters of [A-Za-z0-9_.-]", NULL);
	/* Out of range: the field and the limit, located. */
	bad(V "mesh: [65, 4]\n", SAC_ERR_RANGE,
	    "t.yaml:2:8: 'mesh width' = 65 is out of range [1, 64]", NULL);
	bad(V "mesh: [4, 0]\n", SAC_ERR_RANGE,
	    "t.yaml:2:11: 'mesh height' = 0 is out of range [1, 64]", NULL);
	bad(V "clock_mhz: 20000\n", SAC_ERR_RANGE,
	    "t.yaml:2:12: 'clock_mhz' = 20000 is out of range [0.001, 10000]", NULL);
	bad(V "clock_mhz: 0.0001\n", SAC_ERR_RANGE, "'clock_mhz' = 0.0001 is out of range [0.001, 10000]", NULL);
	bad(V "pe: {neurons: 0}\n", SAC_ERR_RANGE, "t.yaml:2:15: 'pe.neurons' = 0 is out of range [1, 1048576]", NULL);
	bad(V "pe: {lanes: 2048}\n", SAC_ERR_RANGE, "'pe.lanes' = 2048 is out of range [1, 1024]", NULL);
	bad(V "pe: {weight_kib: 0}\n", SAC_ERR_RANGE, "'pe.weight_kib' = 0 is out of range [1, 16384]", NULL);
	bad(V "pe: {weight_width: 3}\n", SAC_ERR_RANGE,
	    "'pe.weight_width' = 3 must be a power of two in [1, 64]", NULL);
	bad(V "noc: {vcs: 13}\n", SAC_ERR_RANGE, "t.yaml:2:12: 'noc.vcs' = 13 is out of range [1, 12]", NULL);
	bad(V "noc: {buffer_depth: 0}\n", SAC_ERR_RANGE, "'noc.buffer_depth' = 0 is out of range [1, 256]", NULL);
	bad(V "noc: {buffer_depth: 257}\n", SAC_ERR_RANGE, "'noc.buffer_depth' = 257 is out of range [1, 256]", NULL);
	bad(V "noc: {flit_bits: 48}\n", SAC_ERR_RANGE,
	    "'noc.flit_bits' = 48 must be a power of two in [16, 256]", NULL);
	bad(V "noc: {flit_bits: 512}\n", SAC_ERR_RANGE, "'noc.flit_bits' = 512 must be a power of two in [16, 256]", NULL);
	bad(V "noc: {route_delay: -1}\n", SAC_ERR_RANGE, "'noc.route_delay' = -1 is out of range [0, 1024]", NULL);
	bad(V "noc: {link_delay: 0}\n", SAC_ERR_RANGE, "'noc.link_delay' = 0 is out of range [1, 1024]", NULL);
	bad(V "noc: {sync_delay: 0}\n", SAC_ERR_RANGE, "'noc.sync_delay' = 0 is out of range [1, 1048576]", NULL);
	bad(V "pe: {lanes: 99999999999999999999}\n", SAC_ERR_PARSE,
	    "'pe.lanes' must be an integer, got '99999999999999999999'", NULL);
	bad(V "energy:\n  static: {leak_pe: -0.5}\n", SAC_ERR_RANGE,
	    "t.yaml:3:21: 'energy.static.leak_pe' = -0.5 is out of range: must be >= 0 and finite", NULL);
	/* Consistency between fields, located at the field the file set. */
	bad(V "pe: {neurons: 4}\n", SAC_ERR_RANGE,
	    "t.yaml:2:15: 'pe.lanes' = 8 exceeds 'pe.neurons' = 4", NULL);
	bad(V "pe: {neurons: 4, lanes: 6}\n", SAC_ERR_RANGE,
	    "t.yaml:2:25: 'pe.lanes' = 6 exceeds 'pe.neurons' = 4", NULL);
}
END_TEST

START_TEST(test_check_struct)
{
	sac_target t;
	sac_err e = {0};
	sac_target_default(&t);
	t.noc.vcs = 0;
	ck_assert_int_eq(sac_target_check(&t, &e), SAC_ERR_RANGE);
	ck_assert_str_eq(e.msg, "target 'yoso': 'noc.vcs' = 0 is out of range [1, 12]");

	sac_err_clear(&e);
	sac_target_default(&t);
	t.clock_hz = 5e10;
	ck_assert_int_eq(sac_target_check(&t, &e), SAC_ERR_RANGE);
	ck_assert_str_eq(e.msg, "target 'yoso': 'clock_mhz' = 50000 is out of range [0.001, 10000]");

	sac_err_clear(&e);
	sac_target_default(&t);
	t.energy.mac = NAN;
	ck_assert_int_eq(sac_target_check(&t, &e), SAC_ERR_RANGE);
	ck_assert_msg(strstr(e.msg, "'energy.compute.mac' = nan is out of range: must be >= 0 and finite"), "%s", e.msg);

	sac_err_clear(&e);
	sac_target_default(&t);
	t.pe.weight_bytes = 1500;
	ck_assert_int_eq(sac_target_check(&t, &e), SAC_ERR_RANGE);
	ck_assert_msg(strstr(e.msg, "'pe.weight_kib' (1500 bytes) is not a whole number of 8-weight rows"), "%s", e.msg);

	sac_err_clear(&e);
	sac_target_default(&t);
	t.uarch = (sac_uarch)7;
	ck_assert_int_eq(sac_target_check(&t, &e), SAC_ERR_RANGE);
	ck_assert_msg(strstr(e.msg, "'microarch' must be 'ramp' or 'event'"), "%s", e.msg);
	ck_assert_str_eq(sac_uarch_name((sac_uarch)7), "?");

	sac_err_clear(&e);
	sac_target_default(&t);
	t.name[0] = '\0';
	ck_assert_int_eq(sac_target_check(&t, &e), SAC_ERR_RANGE);
}
END_TEST

START_TEST(test_io_errors)
{
	sac_target t;
	sac_err e = {0};
	ck_assert_int_eq(sac_target_load("/nonexistent/t.yaml", &t, &e), SAC_ERR_IO);
	ck_assert_msg(strstr(e.msg, "/nonexistent/t.yaml: cannot open"), "%s", e.msg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_default_is_yoso_yaml);
	tcase_add_test(tc, test_default_holds_tnas_er);
	tcase_add_test(tc, test_examples_load);
	tcase_add_test(tc, test_partial_and_unnamed);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_check_struct);
	tcase_add_test(tc, test_io_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
