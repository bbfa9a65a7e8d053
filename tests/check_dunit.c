/* check_dunit.c: the dense unit model's refusals of corrupt instructions
 * (dense/dunit.c, docs/ISA.md "Declared widths").
 *
 * A MAC-array operand word outside the instruction's declared input width
 * (int8, int16 with IN16) is SAC_ERR_CORRUPT naming the opcode, the
 * operand, the address and the value, for every opcode with such
 * operands; words an instruction does not read (conv taps beyond the
 * window) do not count; instructions with rows but nothing to compute
 * are corrupt.  The RTL unit's side of the same rule is co-simulated by
 * tests/rtl_dunit.sh. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/dense.h"
#include "saccade/dunit.h"

/* A MAC-array operand outside its declared width (int8, int16 with IN16)
 * is a corrupt instruction naming the opcode, the operand and the word
 * (docs/ISA.md, "Declared widths"); only the words an instruction reads
 * count.  So are a conv or dwconv with rows but no outputs, a mix with
 * rows but no columns, a moesum with outputs but no chosen experts, a
 * scan with tokens but no state and an attn without columns. */
static int unit_run(sac_dunit_mem *m, const sac_dinstr *in, sac_err *e)
{
	sac_dunit_cfg c = {8, 8, 3, 32};
	sac_dunit_counts k = {0};
	*e = (sac_err){0};
	return sac_dunit_exec(&c, m, in, &k, e);
}

static sac_dinstr unit_ins(int op, int flags, const uint32_t *a, int n)
{
	sac_dinstr in = {0};
	in.op = (uint8_t)op;
	in.flags = (uint8_t)flags;
	in.guard = -1;
	memcpy(in.a, a, sizeof(uint32_t) * (size_t)n);
	return in;
}

START_TEST(test_unit_widths)
{
	int32_t d[64] = {0};
	uint8_t w[512] = {0};
	sac_dunit_mem m = {d, 64, w, sizeof w};
	sac_err e;
	for (int i = 0; i < 8; i++) /* multipliers 1 x 2^0 */
		sac_dunit_put_i32(w + 8 * i, 1);
	/* matmul X rows 2 K 3 Y 10 n 2 P 0 */
	const uint32_t mm[] = {0, 2, 3, 10, 2, 0};
	sac_dinstr in = unit_ins(SAC_DOP_MATMUL, 0, mm, 6);
	d[4] = 127;
	d[5] = -128;
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[4] = 128;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_str_eq(e.msg, "matmul: operand X word D[4] = 128 outside int8 "
			 "(flag IN16 not set)");
	in.flags = SAC_DF_IN16;
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[4] = -32769;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_str_eq(e.msg, "matmul: operand X word D[4] = -32769 outside int16");
	d[4] = 0;
	/* conv X rows 1 K 2 Y 20 n 1 P 0 t0 0 xr0 0 xrows 4 T 4 kernel 3: the
	 * taps of output row 0 read input rows 0 and 1, not 2. */
	const uint32_t cv[] = {0, 1, 2, 20, 1, 0, 0, 0, 4, 4, 3};
	in = unit_ins(SAC_DOP_CONV, 0, cv, 11);
	d[4] = 1000; /* row 2 */
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[3] = -129; /* row 1 */
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "conv: operand X word D[3] = -129") != NULL, "%s", e.msg);
	d[3] = d[4] = 0;
	in.a[4] = 0; /* no output columns */
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "no output columns") != NULL, "%s", e.msg);
	/* dwconv causal reverse: X rows 1 C 1 Y 20 P 0 t0 1 xr0 0 xrows 4 T 4
	 * kernel 2: output row 1 reads rows 1 and 2, not 0 or 3. */
	const uint32_t dw[] = {0, 1, 1, 20, 0, 1, 0, 4, 4, 2};
	in = unit_ins(SAC_DOP_DWCONV, SAC_DF_CAUSAL | SAC_DF_REVERSE, dw, 10);
	d[0] = d[3] = 5000;
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[2] = 300;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "dwconv: operand X word D[2] = 300") != NULL, "%s", e.msg);
	in.flags = 0; /* centred: rows 0 .. 2 */
	in.a[9] = 3;
	d[2] = 0;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "D[0] = 5000") != NULL, "%s", e.msg);
	in.a[2] = 0; /* no channels */
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "no channels") != NULL, "%s", e.msg);
	memset(d, 0, sizeof d);
	/* mjos A 0 B 4 rows 1 N 2 Y 20 P 0: operand B. */
	const uint32_t mj[] = {0, 4, 1, 2, 20, 0};
	in = unit_ins(SAC_DOP_MJOS, 0, mj, 6);
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[5] = -200;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "mjos: operand B word D[5] = -200") != NULL, "%s", e.msg);
	d[5] = 0;
	/* gate A 0 B 4 rows 1 K 3 Y 20 P 256 (c 1, g 0): operand A. */
	sac_dunit_put_i64(w + 256, 1);
	const uint32_t gt[] = {0, 4, 1, 3, 20, 256};
	in = unit_ins(SAC_DOP_GATE, 0, gt, 6);
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[2] = 40000;
	in.flags = SAC_DF_IN16;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "gate: operand A word D[2] = 40000 outside int16") != NULL,
		      "%s", e.msg);
	d[2] = 0;
	/* attn Q 0 K 4 V 8 rows 1 Tk 2 dk 2 Y 20 P 256 S 30 (m0 m1 = 1, c 1,
	 * g 0): operand V. */
	memset(w + 256, 0, 32);
	sac_dunit_put_i32(w + 256, 1);
	sac_dunit_put_i32(w + 264, 1);
	sac_dunit_put_i64(w + 272, 1);
	const uint32_t at[] = {0, 4, 8, 1, 2, 2, 20, 256, 30};
	in = unit_ins(SAC_DOP_ATTN, 0, at, 9);
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	d[11] = 128;
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "attn: operand V word D[11] = 128") != NULL, "%s", e.msg);
	/* mix and add have no declared input width; a mix without columns is
	 * corrupt. */
	const uint32_t mx[] = {0, 4, 8, 1, 0, 20, 0};
	in = unit_ins(SAC_DOP_MIX, 0, mx, 7);
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "mix: 1 rows but no columns") != NULL, "%s", e.msg);
	in.a[4] = 2;
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	/* moesum with outputs but no chosen experts: T 0 k 0 count 3 Y 20
	 * nexp 1 E0 30. */
	const uint32_t ms[] = {0, 0, 3, 20, 1, 30};
	in = unit_ins(SAC_DOP_MOESUM, 0, ms, 6);
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "moesum: 3 outputs but no chosen experts") != NULL,
		      "%s", e.msg);
	in.a[2] = 0;
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	/* scan with tokens and channels but no state: X 0 DL 1 B 2 C 3 Y 4
	 * H 5 rows 1 nd 1 N 0 P 0 (m0 m1 m2 = 1, g 0) init 1. */
	memset(w, 0, 64);
	for (int i = 0; i < 3; i++)
		sac_dunit_put_i32(w + 8 * i, 1);
	const uint32_t sc[] = {0, 1, 2, 3, 4, 5, 1, 1, 0, 0, 1};
	in = unit_ins(SAC_DOP_SCAN, 0, sc, 11);
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "scan: 1 tokens but no state") != NULL, "%s", e.msg);
	in.a[8] = 1;
	ck_assert_int_eq(unit_run(&m, &in, &e), 0);
	/* attn with query rows but no columns: Q 0 K 4 V 8 rows 1 Tk 2 dk 0
	 * Y 20 P 256 (the block above) S 30. */
	const uint32_t an[] = {0, 4, 8, 1, 2, 0, 20, 256, 30};
	in = unit_ins(SAC_DOP_ATTN, 0, an, 9);
	ck_assert_int_eq(unit_run(&m, &in, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "attn: 1 query rows but no columns") != NULL, "%s", e.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dunit");
	TCase *tc = tcase_create("dunit");
	tcase_add_test(tc, test_unit_widths);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
