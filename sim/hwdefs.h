/* hwdefs.h: the hardware format constants, one table for C and RTL.
 *
 * The simulator packs spike flits with these macros, and tools/gen_svpkg
 * turns the same tables into rtl/saccade_pkg.sv at build time, so the C
 * model and the SystemVerilog cannot disagree about a bit position.  Change
 * a field here and both follow; nothing else spells these numbers.
 *
 * Spike flit (docs/NOC.md, "Flit format"): X(NAME, lsb, width).  The two
 * destination fields are what routers compare with their coordinates; the
 * C model keeps the destination as a node id beside the payload, which is
 * the low SAC_HW_PAYLOAD_BITS bits.  Body and tail flits of multi-flit
 * packets are all payload (the RTL's test NI puts the flit's index in the
 * top SAC_HW_SEQ_BITS bits, see docs/RTL.md). */
#ifndef SACCADE_HWDEFS_H
#define SACCADE_HWDEFS_H

#include <stdint.h>

#define SAC_HW_FLIT_FIELDS(X) \
	X(DST_X, 56, 8)  /* destination column of the mesh */ \
	X(DST_Y, 48, 8)  /* destination row */ \
	X(LAYER, 40, 8)  /* hardware layer of the sender */ \
	X(CHAN, 26, 14)  /* channel of the transmitted (pooled) neuron */ \
	X(ROW, 13, 13)   /* its row */ \
	X(COL, 0, 13)    /* its column */

/* Router ports, in the order every allocator scans them (docs/NOC.md);
 * equal to SAC_NOC_LOCAL..SAC_NOC_W of saccade/noc.h (checked by
 * gen_svpkg). */
#define SAC_HW_PORTS(X) X(L, 0) X(N, 1) X(E, 2) X(S, 3) X(W, 4)

/* Other widths shared by the C model and the RTL. */
#define SAC_HW_CONSTS(X) \
	X(FLIT_BITS, 64)    /* flit data bits, without sideband */ \
	X(PAYLOAD_BITS, 48) /* head-flit bits below the destination */ \
	X(COORD_BITS, 8)    /* mesh coordinate (meshes up to 256 x 256) */ \
	X(NFLITS_BITS, 8)   /* RTL packet length field (up to 255 flits) */ \
	X(SEQ_BITS, 16)     /* flit index in a body flit of the test NI */ \
	X(PORTS, 5) \
	X(MAX_VCS, 12)      /* = SAC_NOC_MAX_VCS */

#define SAC_HW_ENUM_FIELD(n, lsb, w) SAC_HW_##n##_LSB = lsb, SAC_HW_##n##_W = w,
#define SAC_HW_ENUM_PORT(n, v) SAC_HW_PORT_##n = v,
#define SAC_HW_ENUM_CONST(n, v) SAC_HW_##n = v,
enum {
	SAC_HW_FLIT_FIELDS(SAC_HW_ENUM_FIELD)
	SAC_HW_PORTS(SAC_HW_ENUM_PORT)
	SAC_HW_CONSTS(SAC_HW_ENUM_CONST)
};
#undef SAC_HW_ENUM_FIELD
#undef SAC_HW_ENUM_PORT
#undef SAC_HW_ENUM_CONST

/* Field f of flit word p, and a value v placed in field f. */
#define SAC_HW_GET(p, f) \
	((int)(((uint64_t)(p) >> SAC_HW_##f##_LSB) & \
	       (((uint64_t)1 << SAC_HW_##f##_W) - 1)))
#define SAC_HW_PUT(v, f) \
	(((uint64_t)(v) & (((uint64_t)1 << SAC_HW_##f##_W) - 1)) \
	 << SAC_HW_##f##_LSB)

#endif
