// dense_unit.sv: the PE's dense unit (docs/ISA.md, docs/RTL.md "Dense
// unit"): every compute tile macro-instruction of the ISA (MATMUL, CONV,
// DWCONV, MJOS, MIX, LNORM, SOFTMAX, SCAN, GATE, ATTN, TOPK, MOESUM, LUT,
// ADD, MUL) on the PE's data memory D (32-bit words) and weight
// memory W (bytes), bit for bit and cycle for cycle the C model
// sac_dunit_exec / sac_dunit_cycles (dense/dunit.c), with the same action
// counters (sac_dunit_counts).
//
// Invariants the co-simulation (rtl/dunit_cosim.cpp) checks:
//  - an instruction keeps `busy` high for exactly sac_dunit_cycles cycles
//    and pulses `done` in the cycle after the last one (0-cycle NOP: done
//    in the cycle after start, never busy); c_cycles counts busy cycles;
//  - the arithmetic is docs/MCOE.md's: int64 accumulators, requantisation
//    rq(acc, m) = rshift(acc m, sh) rounding halves away from zero, then
//    saturation to the output width; int16 operands (W16, IN16) are split
//    into an unsigned low and a signed high byte, so that the MAC lanes are
//    8-bit (9 x 9 signed products) and an int16 operand takes two passes,
//    as the timing model charges (GATE with IN16: both operands int16,
//    four byte pairs);
//  - a MAC input word outside its declared width (int8; int16 with IN16;
//    MATMUL / CONV / DWCONV X, MJOS and GATE A and B, ATTN Q, K and V)
//    is refused as the C model refuses it (docs/ISA.md, "Declared
//    widths"): `corrupt` pulses with done in the cycle after the word is
//    read; the words already written and the counters are then
//    unspecified (the harness resets the unit);
//  - every counter is incremented by the event it counts, in the cycle the
//    event happens (a D word read, a table read, one 8x8 MAC lane pass ...).
//    W reads are the parameter-block bytes a MAC output row actually
//    reads, charged as ceil(bytes / 8) 64-bit rows when the row ends.
//
// The MAC instructions share one schedule (rows t, n outputs, G =
// ceil(n/L) lane groups, f = 1, 2 or 4 passes, S steps per row: MATMUL K,
// CONV K x kernel, DWCONV kernel, MJOS 2N): per row, S x G x f MAC cycles
// (each cycle L lanes accumulate one 8x8 partial product into the
// accumulator of their output), then ceil(n/V) requantisation cycles (V
// lanes: bias, multiplier, rounding shift, saturation, D write); after the
// last row, PIPELINE cycles of pipeline drain.  They differ in the X word
// of a step: MATMUL X[t, k], shared by the lanes, read in the first cycle
// of the step and latched; CONV the input row of tap j of channel c
// (zero outside [0, T)); DWCONV one word per lane (its channel's) of the
// tap's row; MJOS A[t, k] then B[t, k - N], into two accumulator files
// (the A half with the bias), with the A row latched for the residual
// rq(A[t, o], mm0).  LUT: ceil(count/V) cycles of V lanes (int8: read,
// table, write); with IN16 two cycles per group (read and table t[i];
// table t[i+1], interpolation, write), then the drain.  ADD / MUL / MIX:
// the multipliers are read (and counted) when the instruction is taken,
// then ceil(count/V) cycles of V lanes (read the operands, requantise,
// write Y), then the drain.  LNORM and SOFTMAX: per row, passes of
// ceil(K/V) cycles and D-cycle waits for the square root and divisions
// (below); SCAN: per token and channel, four passes over the states;
// GATE: per row, the dot product's lane passes, then D cycles; ATTN: per
// query row, the scores' lane passes, three softmax passes and D cycles,
// the context's lane passes, the output requantisation;
// TOPK: k passes of n compares; MOESUM: count x k products.
//
// Not implemented (the C model has them; `unsupported` pulses with done,
// nothing is written, no cycle is spent): system opcodes
// (the simulator's), a MAC instruction or SCAN with more than NMAX
// outputs or states (the accumulator and state files), an ATTN with more
// than NMAX keys or columns, a GATE with K = 0 when DIV_CYCLES = 0 (its
// rows would take no cycle).  No operand range
// checks: the C model rejects out-of-range operands, invalid multipliers
// and conv taps outside the X buffer before it runs (images come from
// files); here addresses wrap at the memory size.  Operand regions are
// assumed disjoint, or identical for LUT (the lanes read a group before
// they write it, the C model walks element by element: a partial overlap
// would differ).  LNORM and SOFTMAX may also work in place.
//
// The memories are behavioural arrays (multi-ported: L weight bytes and
// up to 2 L D words per MAC cycle; 24 V parameter bytes and V D writes
// per requantisation cycle; 2k D words when MOESUM starts and k + 1
// writes in TOPK's last cycle), public to the harness, which fills and
// reads them while the unit is idle.
module dense_unit
  import saccade_pkg::*;
#(
  parameter int MAC_LANES = DEF_DENSE_MAC_LANES, // 8x8 MACs per cycle
  parameter int VEC_LANES = DEF_DENSE_VEC_LANES, // requantise / table lanes
  parameter int PIPELINE  = DEF_PE_PIPELINE,     // drain cycles per instruction
  parameter int DIV_CYCLES = DEF_DENSE_DIV_CYCLES, // one division or square root
  parameter int DWORDS    = DEF_DENSE_DWORDS,    // D: 32-bit words
  parameter int WBYTES    = DEF_DENSE_WBYTES,    // W: bytes
  parameter int NMAX      = 256                  // accumulators (MATMUL n)
) (
  input  logic        clk,
  input  logic        rst_n,
  // A decoded instruction (sac_dinstr without the guard: guards are the
  // sequencer's), taken when start is high and the unit is idle.
  input  logic        start,
  input  logic [7:0]  i_op,
  input  logic [7:0]  i_bits,
  input  logic [7:0]  i_flags,
  input  logic [DUNIT_NOPS*32-1:0] i_a,  // a0 in bits 31:0
  output logic        busy,
  output logic        done,
  output logic        unsupported,       // with done: not executed
  output logic        corrupt,           // with done: an input word outside
                                         // its declared width; stopped
  // sac_dunit_counts, summed since reset.
  output logic [63:0] c_cycles,
  output logic [63:0] c_macs,
  output logic [63:0] c_rq,
  output logic [63:0] c_alu,
  output logic [63:0] c_lut,
  output logic [63:0] c_div,
  output logic [63:0] c_dmem_rd,
  output logic [63:0] c_dmem_wr,
  output logic [63:0] c_wmem_rd,
  output logic [63:0] c_wmem_wr,
  output logic [63:0] c_instrs
);
  localparam int L = MAC_LANES;
  localparam int V = VEC_LANES;
  localparam int DA = $clog2(DWORDS);
  localparam int WA = $clog2(WBYTES);
  localparam int NA = $clog2(NMAX);

  // ---- memories ------------------------------------------------------------
  logic [31:0] dmem [DWORDS] /*verilator public_flat_rw*/;
  logic [7:0]  wmem [WBYTES] /*verilator public_flat_rw*/;

  // Addresses wrap at the memory size (no range check, see above).
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [31:0] rd_d(input logic [31:0] addr);
    return dmem[addr[DA-1:0]];
  endfunction
  function automatic logic [7:0] rd_w(input logic [31:0] addr);
    return wmem[addr[WA-1:0]];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  // Little-endian words of the parameter blocks.
  function automatic logic [31:0] rd_w32(input logic [31:0] addr);
    return {rd_w(addr + 3), rd_w(addr + 2), rd_w(addr + 1), rd_w(addr)};
  endfunction
  function automatic logic [63:0] rd_w64(input logic [31:0] addr);
    return {rd_w32(addr + 4), rd_w32(addr)};
  endfunction

  // ---- arithmetic of docs/MCOE.md --------------------------------------------
  // v / 2^sh rounded to nearest, halves away from zero (sac_dense_rshift):
  // on the magnitude, so that it is symmetric.
  function automatic logic [63:0] rshift(input logic [63:0] v, input logic [5:0] sh);
    logic [63:0] mag;
    if (sh == 6'd0) return v;
    mag = v[63] ? 64'd0 - v : v;
    mag = (mag + (64'd1 << (sh - 6'd1))) >> sh;
    return v[63] ? 64'd0 - mag : mag;
  endfunction
  // Clamp to the signed range of 8, 16 or 32 (or 0: 32) bits (sac_dense_sat).
  function automatic logic [31:0] sat(input logic [63:0] v, input logic [7:0] b);
    logic signed [63:0] s, hi, lo;
    s = v;
    hi = b == 8'd8 ? 64'sd127 : b == 8'd16 ? 64'sd32767 : 64'sd2147483647;
    lo = -hi - 64'sd1;
    if (s > hi) return hi[31:0];
    if (s < lo) return lo[31:0];
    return v[31:0];
  endfunction

  // 2^(-u / 2^24) in Q30 (sac_dense_exp2neg): the 257-knot ROM of the
  // package, linear interpolation between knots, then the integer part of
  // the exponent as a rounded shift.
  function automatic logic [31:0] exp2neg(input logic [63:0] u);
    logic [63:0] d, v;
    logic [31:0] step;
    logic [8:0]  i;
    if ($signed(u) <= 64'sd0) return DENSE_EXP2TAB[0];
    if (u[63:24] >= 40'd31) return 32'd0;
    i = {1'b0, u[23:16]};
    step = DENSE_EXP2TAB[i] - DENSE_EXP2TAB[i + 9'd1];   // the table decreases
    d = {32'd0, step} * {48'd0, u[15:0]};
    v = 64'(DENSE_EXP2TAB[i]) - ((d + 64'h8000) >> 16);
    if (u[28:24] == 5'd0) return v[31:0];
    v = (v + (64'd1 << (u[28:24] - 5'd1))) >> u[28:24];
    return v[31:0];
  endfunction
  // floor(sqrt(v)) (sac_dense_isqrt): the digit-by-digit square root.
  function automatic logic [31:0] isqrt(input logic [63:0] v);
    logic [63:0] r, bit_, rem;
    r = 64'd0;
    rem = v;
    bit_ = 64'd1 << 62;
    for (int it = 0; it < 32; it++)
      if (bit_ > rem) bit_ = bit_ >> 2;
    for (int it = 0; it < 32; it++)
      if (bit_ != 64'd0) begin
        if (rem >= r + bit_) begin
          rem = rem - (r + bit_);
          r = (r >> 1) + bit_;
        end else r = r >> 1;
        bit_ = bit_ >> 2;
      end
    return r[31:0];
  endfunction

  // ---- the latched instruction ----------------------------------------------
  typedef enum logic [4:0] {S_IDLE, S_MAC, S_RQ, S_LUT, S_LUT_A, S_LUT_B, S_EW,
                            S_MIX, S_P1, S_P2, S_WAIT, S_P3, S_TOPK, S_MOE, S_SCAN,
                            S_GMAC, S_GWAIT, S_AS, S_AP1, S_AP2, S_AWAIT, S_AP3,
                            S_AC, S_AR,
                            S_TAIL} state_t;
  // The MAC instructions share one datapath; they differ in where a lane's
  // X word and weight come from and in the requantisation.
  typedef enum logic [1:0] {K_MM, K_CONV, K_DW, K_MJOS} kind_t;
  state_t state;
  kind_t  kind;
  logic [7:0]  bits_q;
  logic        w16, in16;
  logic [31:0] a0, a1, a2, a3, a4, a5;
  logic [31:0] ngrp;     // MAC: ceil(n / L) lane groups
  logic [31:0] nvec;     // ceil(n / V) or ceil(count / V) vector steps
  logic [1:0]  plast;    // MAC: passes - 1 (0, 1 or 3)
  // MAC instructions, from the operands when the instruction is taken:
  // rows, outputs n (dwconv: channels C; mjos: N), the MAC steps per row
  // (matmul K; conv K kernel; dwconv kernel; mjos 2N), the weights per
  // output, where the block's parts start, Y.
  logic [31:0] rows, nout, kloop, kw, ydst;
  logic [31:0] wbase, mbase, bbase, qbase;
  logic [31:0] ksz;      // conv: K (input channels); mjos: N
  logic [31:0] ker;      // conv: kernel (taps per channel)
  logic [63:0] tbase;    // conv / dwconv: t0 - pad (dwconv reverse: t0 + pad)
  logic [63:0] tlen, xr0; // T, the first row the X buffer holds
  logic        trev;     // dwconv causal reverse: taps walk backwards
  logic [63:0] mm0;      // mjos: the residual's multiplier
  // Loop state.
  logic [31:0] t, k, g, j, ck, cj;  // ck, cj: conv's channel and tap of k
  logic [1:0]  ps;
  logic [63:0] wbytes_row;  // W bytes read for the current output row
  logic [31:0] tail;
  // The accumulator files; acc_v[o] = 0 means acc[o] is zero, so that one
  // assignment clears the whole file.  acc2: mjos' B half.  arow: mjos'
  // A row, latched as it streams through the lanes (the residual term).
  logic [63:0] acc [NMAX];
  logic [63:0] acc2 [NMAX];
  logic [31:0] arow [NMAX];
  logic [NMAX-1:0] acc_v, acc2_v;
  function automatic logic [63:0] acc_rd(input logic [NA-1:0] o);
    return acc_v[o] ? acc[o] : 64'd0;
  endfunction
  function automatic logic [63:0] acc2_rd(input logic [NA-1:0] o);
    return acc2_v[o] ? acc2[o] : 64'd0;
  endfunction

  // LUT: X Y count P.
  wire [31:0] lut_y = a1, lut_n = a2, lut_p = a3;
  // ADD, MUL: A B Y count P; the multipliers m0, m1 latched at the start.
  wire [31:0] ew_y = a2, ew_n = a3;
  logic        ew_add;
  logic [63:0] ew_m0, ew_m1;

  // ---- MAC lanes ---------------------------------------------------------------
  // Pass ps: which byte of an int16 weight (wsel) and of an int16 input
  // (xsel); the low byte of an int16 is unsigned, the high byte and an
  // int8 signed, so every product is 9 x 9 bits.  The X words are read
  // in the first pass of a step (shared by the lanes: in the first group
  // of the step; dwconv, one per lane's channel: in every group) and
  // latched per lane for the other passes and groups.  A word read
  // outside its declared width (int8, IN16: int16) raises `corrupt`.
  wire wsel = w16 & ps[0];
  wire xsel = in16 & (w16 ? ps[1] : ps[0]);
  wire rd_x = ps == 2'd0 && (kind == K_DW || g == 32'd0);
  logic [63:0] tt;       // conv / dwconv: the input row of this tap
  logic        tvalid;   // 0 <= tt < T (else the tap reads the zero padding)
  logic [31:0] xaddr;    // the X word (dwconv: of channel 0)
  always_comb begin
    tt = kind == K_DW ? (trev ? tbase + 64'(t) - 64'(k) : tbase + 64'(t) + 64'(k))
                      : tbase + 64'(t) + 64'(cj);
    tvalid = kind == K_MM || kind == K_MJOS || ($signed(tt) >= 64'sd0 && $signed(tt) < $signed(tlen));
    case (kind)
      K_MM:    xaddr = a0 + t * kloop + k;
      K_MJOS:  xaddr = k < ksz ? a0 + t * ksz + k : a1 + t * ksz + (k - ksz);
      K_CONV:  xaddr = a0 + 32'(tt - xr0) * ksz + ck;
      default: xaddr = a0 + 32'(tt - xr0) * nout;
    endcase
  end
  logic [31:0] xlat [L];     // the lane's X word, latched for later passes
  logic [7:0]  wlat [L][2];  // the weight bytes, latched for the xsel pass
  logic [31:0] xw [L];
  logic [7:0]  wbyte [L];
  logic        mac_act [L];
  logic        mac_bad [L];  // an X word outside its declared width
  logic [63:0] mac_prod [L];
  logic [31:0] mac_nact;     // active lanes this cycle
  logic        mac_corrupt;  // some lane's X word is outside its width
  always_comb begin
    mac_nact = 32'd0;
    mac_corrupt = 1'b0;
    for (int l = 0; l < L; l++) begin
      logic [31:0] o, waddr, fresh;
      logic [7:0]  xbyte;
      logic signed [8:0] w9, x9;
      logic signed [17:0] p18;
      logic signed [63:0] p64;
      o = g * L + l;
      mac_act[l] = o < nout;
      fresh = tvalid ? rd_d(kind == K_DW ? xaddr + o : xaddr) : 32'd0;
      xw[l] = rd_x ? fresh : xlat[l];
      mac_bad[l] = mac_act[l] && rd_x && (in16 ? $signed(fresh) != $signed(32'($signed(fresh[15:0])))
                                               : $signed(fresh) != $signed(32'($signed(fresh[7:0]))));
      xbyte = xsel ? xw[l][15:8] : xw[l][7:0];
      x9 = {(in16 & ~xsel) ? 1'b0 : xbyte[7], xbyte};
      // w[o][k] of the block's weights, kw per output.
      waddr = wbase + (o * kw + k) * (w16 ? 32'd2 : 32'd1) + {31'd0, wsel};
      wbyte[l] = xsel ? wlat[l][wsel] : rd_w(waddr);
      w9 = {(w16 & ~wsel) ? 1'b0 : wbyte[l][7], wbyte[l]};
      p18 = w9 * x9;
      p64 = 64'(p18);
      mac_prod[l] = p64 <<< (5'd8 * ({4'd0, wsel} + {4'd0, xsel}));
      if (mac_act[l]) mac_nact = mac_nact + 32'd1;
      if (mac_bad[l]) mac_corrupt = 1'b1;
    end
  end

  // ---- requantisation lanes -------------------------------------------------------
  // Y = sat(rq(b + acc, m)); mjos: sat(rq(b + acc, q0) + rq(acc2, q1) +
  // rq(A[t, o], mm0)).
  logic        rq_act [V];
  logic [31:0] rq_o [V];
  logic [31:0] rq_y [V];
  logic [31:0] rq_nact;
  always_comb begin
    rq_nact = 32'd0;
    for (int l = 0; l < V; l++) begin
      // The shifts are int32 in [0, 62] (the C model rejects others).
      /* verilator lint_off UNUSEDSIGNAL */
      logic [63:0] mult, mult1;
      /* verilator lint_on UNUSEDSIGNAL */
      logic [63:0] bias, sum, y0, y1, y2;
      rq_o[l] = j * V + l;
      rq_act[l] = rq_o[l] < nout;
      mult = rd_w64(mbase + 32'd8 * rq_o[l]);            // m (i32), sh (i32)
      bias = rd_w64(bbase + 32'd8 * rq_o[l]);
      sum = acc_rd(rq_o[l][NA-1:0]) + bias;
      y0 = rshift(sum * {{32{mult[31]}}, mult[31:0]}, mult[37:32]);
      mult1 = rd_w64(qbase + 32'd8 * rq_o[l]);
      y1 = rshift(acc2_rd(rq_o[l][NA-1:0]) * {{32{mult1[31]}}, mult1[31:0]}, mult1[37:32]);
      y2 = rshift({{32{arow[rq_o[l][NA-1:0]][31]}}, arow[rq_o[l][NA-1:0]]} *
                  {{32{mm0[31]}}, mm0[31:0]}, mm0[37:32]);
      rq_y[l] = sat(kind == K_MJOS ? y0 + y1 + y2 : y0, bits_q);
      if (rq_act[l]) rq_nact = rq_nact + 32'd1;
    end
  end

  // ---- table lanes ------------------------------------------------------------------
  // int8: Y = t[sat8(X) + 128].  IN16 (sac_dense_lut16): u = clamp16(X) +
  // 32768, i = u >> 8, f = u & 255, Y = t[i] + rshift((t[i+1] - t[i]) f, 8)
  // with a 33-bit difference (64-bit lanes, exact as the C model).  IN16
  // and WIN (sac_dense_lutw, the window x0, 2^k, slope above latched when
  // the instruction is taken): u = X - x0, end = 256 2^k; u <= 0: t[0];
  // u >= end: sat(t[256] + rq(u - end, up)); else i = u >> k, f = the low
  // k bits, Y = t[i] + rshift((t[i+1] - t[i]) f, k).  Step A reads X and
  // t[i] (i = 0 or 256 outside the window), step B t[i+1] and writes Y.
  localparam logic [1:0] C_MID = 2'd0, C_LO = 2'd1, C_HI = 2'd2;
  logic        win_on;        // IN16 and WIN
  logic [31:0] win_x0;
  logic [3:0]  win_k;         // 0..8
  logic [31:0] win_m;
  logic [5:0]  win_sh;
  logic        lt_act [V];
  logic [31:0] lt_i [V];     // element index
  logic [31:0] lt_y8 [V];    // int8 form: the table word
  logic [8:0]  lt_ii [V];
  logic [7:0]  lt_fr [V];
  logic [1:0]  lt_cls [V];
  logic [63:0] lt_ue [V];    // WIN: u - end
  logic [31:0] lt_t0 [V];    // IN16 step A: t[i]
  logic [31:0] lt_y16 [V];   // IN16 step B: the interpolation
  logic [8:0]  lat_ii [V];
  logic [7:0]  lat_fr [V];
  logic [1:0]  lat_cls [V];
  logic [63:0] lat_ue [V];
  logic [31:0] lat_t0 [V];
  logic [31:0] lt_nact;
  always_comb begin
    lt_nact = 32'd0;
    for (int l = 0; l < V; l++) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic [31:0] s8;   // an int8 after saturation
      logic [63:0] r;    // the interpolation step fits 32 bits
      logic [63:0] ush;  // inside the window: (x - x0) >> k < 256
      /* verilator lint_on UNUSEDSIGNAL */
      logic [31:0] x, t1;
      logic [15:0] u;
      logic [63:0] diff, p, uu, hi;
      lt_i[l] = j * V + l;
      lt_act[l] = lt_i[l] < lut_n;
      x = rd_d(a0 + lt_i[l]);
      s8 = sat({{32{x[31]}}, x}, 8'd8);
      lt_y8[l] = rd_w32(lut_p + {22'd0, ~s8[7], s8[6:0], 2'b00});
      // Step A: the knot and the fraction.
      u = $signed(x) < -32'sd32768 ? 16'd0 : $signed(x) > 32'sd32767 ? 16'hffff
                                     : {~x[15], x[14:0]};
      uu = {{32{x[31]}}, x} - {{32{win_x0[31]}}, win_x0};
      lt_ue[l] = uu - (64'd256 << win_k);
      ush = uu >> win_k;
      lt_cls[l] = C_MID;
      if (!win_on) begin
        lt_ii[l] = {1'b0, u[15:8]};
        lt_fr[l] = u[7:0];
      end else if ($signed(uu) <= 64'sd0) begin
        lt_cls[l] = C_LO;
        lt_ii[l] = 9'd0;
        lt_fr[l] = 8'd0;
      end else if ($signed(lt_ue[l]) >= 64'sd0) begin
        lt_cls[l] = C_HI;
        lt_ii[l] = 9'd256;
        lt_fr[l] = 8'd0;
      end else begin
        lt_ii[l] = {1'b0, ush[7:0]};
        lt_fr[l] = uu[7:0] & ~(8'hff << win_k);
      end
      lt_t0[l] = rd_w32(lut_p + {21'd0, lt_ii[l], 2'b00});
      // Step B: t[i + 1], the interpolation (or the slope above).
      t1 = rd_w32(lut_p + {20'd0, {1'b0, lat_ii[l]} + 10'd1, 2'b00});
      // In 64 bits: entries of a table read from a file may be 2^32 apart
      // (the C model's int64 difference); the result lies between them.
      diff = {{32{t1[31]}}, t1} - {{32{lat_t0[l][31]}}, lat_t0[l]};
      p = diff * {56'd0, lat_fr[l]};
      r = rshift(p, win_on ? {2'd0, win_k} : 6'd8);
      hi = {{32{lat_t0[l][31]}}, lat_t0[l]} +
           rshift(lat_ue[l] * {{32{win_m[31]}}, win_m}, win_sh);
      lt_y16[l] = lat_cls[l] == C_LO ? lat_t0[l] :
                  lat_cls[l] == C_HI ? sat(hi, bits_q) : lat_t0[l] + r[31:0];
      if (lt_act[l]) lt_nact = lt_nact + 32'd1;
    end
  end

  // ---- element-wise lanes (ADD, MUL) ------------------------------------------------
  // ADD: Y = sat(rq(A, m0) + rq(B, m1)); MUL: Y = sat(rq(A B, m0)), the
  // int64 products of the C model (sac_dense_rq).
  logic        ew_act [V];
  logic [31:0] ew_i [V];
  logic [31:0] ew_y8 [V];
  logic [31:0] ew_nact;
  always_comb begin
    ew_nact = 32'd0;
    for (int l = 0; l < V; l++) begin
      logic [63:0] av, bv, pa, pb, ab;
      ew_i[l] = j * V + l;
      ew_act[l] = ew_i[l] < ew_n;
      av = 64'($signed(rd_d(a0 + ew_i[l])));
      bv = 64'($signed(rd_d(a1 + ew_i[l])));
      ab = av * bv;
      pa = (ew_add ? av : ab) * {{32{ew_m0[31]}}, ew_m0[31:0]};
      pb = bv * {{32{ew_m1[31]}}, ew_m1[31:0]};
      ew_y8[l] = sat(rshift(pa, ew_m0[37:32]) +
                     (ew_add ? rshift(pb, ew_m1[37:32]) : 64'd0), bits_q);
      if (ew_act[l]) ew_nact = ew_nact + 32'd1;
    end
  end

  // ---- mix lanes --------------------------------------------------------------------
  // MIX: AL Pp Qq rows F Y P; element i = t F + f of the [rows, F] block:
  // Y = sat(rq(a p, m0) + rq((2^14 - a) q, m1)) with a = AL[t] (sac_dense
  // rq's int64 products).  Lane l handles element j V + l; its (t, f) is
  // lane 0's stepped l times (a chain of V incrementers, no divider).  A
  // lane on the first column of a row reads that row's gate word.
  logic [31:0] mix_t, mix_f;          // lane 0's row and column
  logic [31:0] mix_tl [V+1], mix_fl [V+1];
  logic        mx_act [V];
  logic [31:0] mx_y [V];
  logic [31:0] mx_nact, mx_nrow;
  wire  [31:0] mix_cols = a4, mix_y = a5;
  logic [63:0] mix_n;                 // rows F
  always_comb begin
    mx_nact = 32'd0;
    mx_nrow = 32'd0;
    mix_tl[0] = mix_t;
    mix_fl[0] = mix_f;
    for (int l = 0; l < V; l++) begin
      logic [31:0] al, i;
      logic [63:0] pa, qa;
      i = j * V + l;
      mx_act[l] = 64'(i) < mix_n;
      al = rd_d(a0 + mix_tl[l]);
      pa = 64'($signed(al)) * 64'($signed(rd_d(a1 + i)));
      qa = 64'($signed(32'd16384 - al)) * 64'($signed(rd_d(a2 + i)));
      mx_y[l] = sat(rshift(pa * {{32{ew_m0[31]}}, ew_m0[31:0]}, ew_m0[37:32]) +
                    rshift(qa * {{32{ew_m1[31]}}, ew_m1[31:0]}, ew_m1[37:32]), bits_q);
      if (mx_act[l]) begin
        mx_nact = mx_nact + 32'd1;
        if (mix_fl[l] == 32'd0) mx_nrow = mx_nrow + 32'd1;
      end
      if (mix_fl[l] == mix_cols - 32'd1) begin
        mix_tl[l+1] = mix_tl[l] + 32'd1;
        mix_fl[l+1] = 32'd0;
      end else begin
        mix_tl[l+1] = mix_tl[l];
        mix_fl[l+1] = mix_fl[l] + 32'd1;
      end
    end
  end

  // ---- row lanes (LNORM, SOFTMAX) ---------------------------------------------------
  // X rows K Y P.  LNORM (sac_dense_ln_row, sac_dense_ln_elem): pass 1
  // sums x and x^2 over the row; then 2 D cycles (the square root, then
  // the reciprocal); pass 2 writes sat(rq(rshift((K x - s1) inv, 50 -
  // q/2) gamma + beta, m)).  SOFTMAX (sac_dense_softmax_rowg): pass 1
  // the row's maximum; pass 2 writes e = rshift(exp2neg(rshift((max - x)
  // c, g)), 15) to Y and sums it; D cycles (the reciprocal 2^46 / sum);
  // pass 3 reads e back from Y and writes (e r + 2^31) >> 32.  The square
  // root and the divisions are behavioural operators on registers that
  // hold still while the unit waits D cycles for each (the latency of the
  // iterative unit the timing model charges), not an iterative datapath.
  logic        rsm;                   // SOFTMAX (else LNORM)
  logic [63:0] ln_s1, ln_s2, ln_eps, ln_m, sm_c, sm_sum;
  logic [5:0]  sm_g;
  logic [31:0] sm_max, wcnt;
  wire  [31:0] r_x = a0, r_k = a2, r_y = a3, r_p = a4;
  logic [63:0] ln_v, ln_inv, sm_r;
  logic [5:0]  ln_q;
  always_comb begin
    logic [31:0] root;
    ln_v = 64'(r_k) * ln_s2 - ln_s1 * ln_s1 + ln_eps;
    // Normalise V to [2^60, 2^62) by an even shift q (V >= 1: eps >= 1).
    ln_q = 6'd0;
    for (int it = 0; it < 31; it++)
      if ($signed(ln_v << ln_q) < (64'sd1 <<< 60)) ln_q = ln_q + 6'd2;
    root = isqrt(ln_v << ln_q);           // in [2^30, 2^31)
    ln_inv = root == 32'd0 ? 64'd0 : (64'd1 << 62) / 64'(root);
    sm_r = sm_sum == 64'd0 ? 64'd0 : (64'd1 << 46) / sm_sum;  // sum >= 2^15
  end
  logic        rw_act [V];
  logic [31:0] rw_y [V];
  logic [63:0] rw_s1, rw_s2, rw_sum;
  logic [31:0] rw_max, rw_nact;
  always_comb begin
    rw_nact = 32'd0;
    rw_s1 = ln_s1;
    rw_s2 = ln_s2;
    rw_sum = sm_sum;
    rw_max = sm_max;
    for (int l = 0; l < V; l++) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic [63:0] e, p3, yl;  // their low 32 bits are the results
      /* verilator lint_on UNUSEDSIGNAL */
      logic [31:0] i, x, ey;
      logic [63:0] xs, gm, beta, z;
      i = j * V + l;
      rw_act[l] = i < r_k;
      x = rd_d(r_x + t * r_k + i);
      xs = 64'($signed(x));
      if (rw_act[l]) begin
        rw_nact = rw_nact + 32'd1;
        rw_s1 = rw_s1 + xs;
        rw_s2 = rw_s2 + xs * xs;
        if ((j == 32'd0 && l == 0) || $signed(x) > $signed(rw_max)) rw_max = x;
      end
      // SOFTMAX pass 2; pass 3 on the e read back from Y.
      e = rshift({32'd0, exp2neg(rshift(64'($signed(sm_max - x)) * sm_c, sm_g))}, 6'd15);
      if (rw_act[l]) rw_sum = rw_sum + e;
      ey = rd_d(r_y + t * r_k + i);
      p3 = 64'($signed(64'($signed(ey)) * sm_r + (64'sd1 <<< 31)) >>> 32);
      // LNORM pass 2: gamma (int8, int16 with W16) and beta of column i.
      gm = w16 ? 64'($signed({rd_w(r_p + 32'd16 + 32'd8 * r_k + 32'd2 * i + 32'd1),
                              rd_w(r_p + 32'd16 + 32'd8 * r_k + 32'd2 * i)}))
               : 64'($signed(rd_w(r_p + 32'd16 + 32'd8 * r_k + i)));
      beta = rd_w64(r_p + 32'd16 + 32'd8 * i);
      z = rshift((64'(r_k) * xs - ln_s1) * ln_inv, 6'd50 - {1'b0, ln_q[5:1]});
      yl = 64'(sat(rshift((z * gm + beta) * {{32{ln_m[31]}}, ln_m[31:0]}, ln_m[37:32]), bits_q));
      rw_y[l] = state == S_P2 ? e[31:0] : rsm ? p3[31:0] : yl[31:0];
    end
  end

  // ---- selection (TOPK) and expert sum (MOESUM) -------------------------------------
  // TOPK X n k Y (sac_dense_topk_weights): k passes of n cycles, one X
  // word and one compare per cycle; pass j keeps the first strictly
  // largest word not chosen before and writes its index to Y[j]; the
  // last pass also writes the k Q14 weights, rounded divisions of 2^14 p
  // by the chosen words' sum (the last weight takes the remainder), by k
  // dividers side by side.  MOESUM T k count Y nexp E0..E9: the k indices
  // and weights are read into registers when the instruction is taken;
  // then count x k cycles, one expert word and one 32 x 32 product
  // (4 MAC lane passes) per cycle, Y[c] = sat32(the sum) written with the
  // last.  An index outside 0..nexp-1 contributes nothing (its cycle and
  // counted read are spent as the model charges them).
  localparam int KMAX = 64;   // the C model's limit on k
  logic [31:0] sel_idx [KMAX];
  logic [31:0] sel_v [KMAX];  // TOPK: the chosen words; MOESUM: the weights
  logic [31:0] tk_best, tk_bv;
  logic        tk_have;
  logic [63:0] tk_s, moe_acc;
  logic [31:0] ebase [DUNIT_MAX_EXPERTS];
  wire  [31:0] tk_n = a1, tk_k = a2, tk_y = a3;
  wire  [31:0] moe_k = a1, moe_n = a2, moe_y = a3, moe_ne = a4;
  logic        tk_take;       // this cycle's word becomes the best
  logic [31:0] tk_nbest, tk_nbv;
  logic [31:0] tk_w [KMAX];   // the weights (last pass)
  logic [63:0] moe_nacc;
  always_comb begin
    logic [31:0] x;
    logic        used;
    logic [63:0] sf, wacc;
    x = rd_d(a0 + k);
    used = 1'b0;
    for (int q = 0; q < KMAX; q++)
      if (32'(q) < j && sel_idx[q] == k) used = 1'b1;
    tk_take = !used && (!tk_have || $signed(x) > $signed(tk_bv));
    tk_nbest = tk_take ? k : tk_best;
    tk_nbv = tk_take ? x : tk_bv;
    // The weights, from the sum including this pass's choice.
    sf = tk_s + 64'($signed(tk_nbv));
    wacc = 64'd0;
    for (int q = 0; q < KMAX; q++) begin
      logic [63:0] pq, wq;
      pq = 64'($signed(32'(q) == j ? tk_nbv : sel_v[q]));
      if (32'(q) == tk_k - 32'd1) wq = 64'd16384 - wacc;
      else if ($signed(sf) > 64'sd0)
        wq = 64'($signed(64'd2 * pq * 64'd16384 + sf) / $signed(64'd2 * sf));
      else wq = 64'($signed(64'd16384) / $signed({32'd0, tk_k}));
      tk_w[q] = wq[31:0];
      wacc = wacc + wq;
    end
    // MOESUM: slot j of output c (= k).
    moe_nacc = moe_acc;
    if ($signed(sel_idx[j[5:0]]) >= 0 && sel_idx[j[5:0]] < moe_ne)
      moe_nacc = moe_acc + 64'($signed(sel_v[j[5:0]])) *
                 64'($signed(rd_d(ebase[sel_idx[j[5:0]][3:0]] + k)));
  end

  // ---- attention (ATTN) ----------------------------------------------------------------
  // Q K V rows Tk dk Y P S, one head, per query row i:
  //  S_AS  ceil(Tk dk fs / L) cycles over the lane passes of the scores
  //        (key j, column c, byte pass; fs = 4 with IN16, else 1); a
  //        key's score sat16(rq(sum_c Q K, m0)) is written to S[j] by the
  //        lane of its last pass;
  //  S_AP1 read S[j], the maximum;  S_AP2 read S[j] again, e_j =
  //        rshift(exp2neg(rshift((max - s) c, g)), 15) into a register
  //        file, the sum;  S_AWAIT D cycles (2^46 / sum);  S_AP3 write p_j
  //        = (e r + 2^31) >> 32 to S[Tk + j] (each ceil(Tk/V) cycles);
  //  S_AC  ceil(Tk dk fc / L) cycles over the passes of the context
  //        (column c, key j, byte pass; fc = 4 with IN16, else 2: p is 16
  //        bits) into an accumulator per column; p_j is read from S with
  //        column 0 and held;
  //  S_AR  ceil(dk/V) cycles: Y[i, c] = sat(rq(acc_c, m1)).
  // Q's row is read with key 0 and held (a lane of a later key in the same
  // cycle takes the word that key 0's lane reads).  Lane indices are
  // decoded by division (behavioural).
  logic [63:0] at_m0, at_m1, at_c, at_run;
  logic [5:0]  at_g;
  logic [1:0]  at_fs, at_fc;              // log2 of the passes
  logic [31:0] at_y, at_p, at_s, at_max;
  logic [63:0] at_sum;
  logic [31:0] at_q [NMAX];               // the query row
  logic [31:0] at_e [NMAX];               // the exponentials
  logic [31:0] at_pr [NMAX];              // p, held for the context
  logic [63:0] at_acc [NMAX];             // context accumulators
  logic [NMAX-1:0] at_qok, at_pok;        // at_q / at_pr hold the word
  wire  [31:0] at_tk = a4, at_dk = a5;
  logic [63:0] at_nrun;                   // the running sum after the lanes
  logic        as_act [L], as_done [L], as_rd [L], as_rq [L];
  logic [31:0] as_key [L], as_col [L], as_x [L];
  logic [63:0] as_val [L];                // the completed key's or column's sum
  logic [31:0] as_nact, as_nrd, as_ndone;
  logic        at_bad;
  always_comb begin
    logic [63:0] run;
    run = at_run;
    as_nact = 32'd0;
    as_nrd = 32'd0;
    as_ndone = 32'd0;
    at_bad = 1'b0;
    for (int l = 0; l < L; l++) begin
      logic [31:0] e, per, rem, key, col, xa, xb;
      logic [1:0]  bp, lf;
      logic [7:0]  ba, bb;
      logic signed [8:0] a9, b9;
      logic        scores, a16;
      scores = state == S_AS;
      lf = scores ? at_fs : at_fc;
      e = j * L + l;
      per = (scores ? at_dk : at_tk) << lf;
      rem = per == 32'd0 ? 32'd0 : e % per;
      key = scores ? (per == 32'd0 ? 32'd0 : e / per) : rem >> lf;
      col = scores ? rem >> lf : (per == 32'd0 ? 32'd0 : e / per);
      bp = 2'(rem & ((32'd1 << lf) - 32'd1));
      as_key[l] = key;
      as_col[l] = col;
      as_act[l] = (state == S_AS || state == S_AC) && per != 32'd0 &&
                  e < per * (scores ? at_tk : at_dk);
      // Operand a: Q[i, col] (scores) or p_key (context); b: K[key, col]
      // or V[key, col].
      if (scores) begin
        xa = at_qok[NA'(col)] ? at_q[NA'(col)] : rd_d(a0 + t * at_dk + col);
        xb = rd_d(a1 + key * at_dk + col);
      end else begin
        xa = at_pok[NA'(key)] ? at_pr[NA'(key)] : rd_d(at_s + at_tk + key);
        xb = rd_d(a2 + key * at_dk + col);
      end
      as_x[l] = xa;
      // Reads counted: b with a key's (column's) first pass; Q with key 0;
      // p with column 0.
      as_rd[l] = as_act[l] && bp == 2'd0;
      as_rq[l] = as_act[l] && bp == 2'd0 && (scores ? key == 32'd0 : col == 32'd0);
      a16 = scores ? in16 : 1'b1;          // p is 16 bits

      // Byte passes: bit 0 picks a's byte, bit 1 b's (scores with IN16,
      // context with IN16); the context without IN16 walks p's bytes.
      ba = bp[0] ? xa[15:8] : xa[7:0];
      bb = (lf == 2'd2 && bp[1]) ? xb[15:8] : xb[7:0];
      a9 = {a16 && !bp[0] ? 1'b0 : ba[7], ba};
      b9 = {lf == 2'd2 && !bp[1] ? 1'b0 : bb[7], bb};
      if (as_act[l]) begin
        as_nact = as_nact + 32'd1;
        if (as_rd[l]) as_nrd = as_nrd + 32'd1;
        if (as_rq[l]) as_nrd = as_nrd + 32'd1;
        if (as_rd[l] && (in16 ? ($signed(xb) != $signed(32'($signed(xb[15:0]))) ||
                                 (scores && $signed(xa) != $signed(32'($signed(xa[15:0])))))
                              : ($signed(xb) != $signed(32'($signed(xb[7:0]))) ||
                                 (scores && $signed(xa) != $signed(32'($signed(xa[7:0])))))))
          at_bad = 1'b1;
        run = run + (64'(a9 * b9) <<< (8 * (32'(bp[0]) + 32'(lf == 2'd2 && bp[1]))));
      end
      as_done[l] = as_act[l] && rem == per - 32'd1;
      as_val[l] = run;
      if (as_done[l]) begin
        as_ndone = as_ndone + 32'd1;
        run = 64'd0;
      end
    end
    at_nrun = run;
  end
  // Softmax and output lanes (S_AP1..S_AP3, S_AR).
  logic        ap_act [V];
  logic [31:0] ap_w [V];                  // S_AP2: e; S_AP3: p; S_AR: Y
  logic [31:0] ap_nact, ap_max;
  logic [63:0] ap_sum, at_r;
  always_comb begin
    ap_nact = 32'd0;
    ap_max = at_max;
    ap_sum = at_sum;
    at_r = at_sum == 64'd0 ? 64'd0 : (64'd1 << 46) / at_sum;
    for (int l = 0; l < V; l++) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic [63:0] ev, pv;
      /* verilator lint_on UNUSEDSIGNAL */
      logic [31:0] i, sv;
      i = j * V + l;
      ap_act[l] = i < (state == S_AR ? at_dk : at_tk);
      sv = rd_d(at_s + i);
      ev = rshift({32'd0, exp2neg(rshift(64'($signed(at_max - sv)) * at_c, at_g))}, 6'd15);
      pv = 64'($signed(64'($signed(at_e[NA'(i)])) * at_r + (64'sd1 <<< 31)) >>> 32);
      ap_w[l] = state == S_AP2 ? ev[31:0] : state == S_AP3 ? pv[31:0] :
                sat(rshift(at_acc[NA'(i)] * {{32{at_m1[31]}}, at_m1[31:0]}, at_m1[37:32]),
                    bits_q);
      if (ap_act[l]) begin
        ap_nact = ap_nact + 32'd1;
        if ((j == 32'd0 && l == 0) || $signed(sv) > $signed(ap_max)) ap_max = sv;
        ap_sum = ap_sum + ev;
      end
    end
  end

  // ---- gate (GATE) --------------------------------------------------------------------
  // A B rows K Y P (sac_dense_sigmoid_q14g): per row, ceil(K f / L) MAC
  // cycles over the K f lane passes (k = pass / f), then D cycles for the
  // division; the last writes Y[t] = sigmoid_q14(sum_k A B) by the exp2
  // ROM and one rounded division.  f = 1: A B, both int8 (8 x 8); f = 4
  // (IN16): the four byte pairs (8 x 8 each).  A and B
  // are read with a row's pass 0 and checked against the declared width.
  logic [63:0] gt_s, gt_c;
  logic [5:0]  gt_g;
  logic [1:0]  gt_lf;                   // log2 f
  logic [31:0] gt_npass;                // K f
  logic [63:0] gt_sn;                   // the sum with this cycle's passes
  logic [31:0] gt_nact, gt_nrd;
  logic        gt_bad;
  logic [31:0] gt_y;                    // the sigmoid of gt_sn
  wire  [31:0] gt_k = a3;
  always_comb begin
    logic [63:0] a, u, e, den;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] p;        // < 2^15
    /* verilator lint_on UNUSEDSIGNAL */
    gt_sn = gt_s;
    gt_nact = 32'd0;
    gt_nrd = 32'd0;
    gt_bad = 1'b0;
    for (int l = 0; l < L; l++) begin
      logic [31:0] pe, kk, av, bv;
      logic [1:0]  gp;
      logic [7:0]  ab, bb;
      logic signed [8:0] a9, b9;
      logic [63:0] pr;
      pe = j * L + l;                  // the lane pass
      kk = pe >> gt_lf;
      gp = 2'(pe & ((32'd1 << gt_lf) - 32'd1));
      av = rd_d(a0 + t * gt_k + kk);
      bv = rd_d(a1 + t * gt_k + kk);
      ab = gp[0] ? av[15:8] : av[7:0];
      bb = gp[1] ? bv[15:8] : bv[7:0];
      a9 = {gt_lf != 2'd0 && !gp[0] ? 1'b0 : ab[7], ab};
      b9 = {gt_lf == 2'd2 && !gp[1] ? 1'b0 : bb[7], bb};
      if (gt_lf == 2'd0) pr = 64'(a9 * b9);
      else pr = 64'(a9 * b9) <<< (8 * (32'(gp[0]) + 32'(gp[1])));
      if (state == S_GMAC && pe < gt_npass) begin
        gt_nact = gt_nact + 32'd1;
        gt_sn = gt_sn + pr;
        if (gp == 2'd0) begin
          gt_nrd = gt_nrd + 32'd2;
          if (in16 ? ($signed(av) != $signed(32'($signed(av[15:0]))) ||
                      $signed(bv) != $signed(32'($signed(bv[15:0]))))
                   : ($signed(av) != $signed(32'($signed(av[7:0]))) ||
                      $signed(bv) != $signed(32'($signed(bv[7:0])))))
            gt_bad = 1'b1;
        end
      end
    end
    // sigmoid(|s| c / 2^(24 + g)) in Q14, by symmetry for s < 0.
    a = gt_sn[63] ? 64'd0 - gt_sn : gt_sn;
    u = a > (64'h3fffffffffffffff / gt_c) ? 64'h3fffffffffffffff : a * gt_c;
    e = {32'd0, exp2neg(rshift(u, gt_g))};
    den = (64'd1 << 30) + e;
    p = ((64'd1 << 44) + (den >> 1)) / den;
    gt_y = gt_sn[63] ? 32'd16384 - p[31:0] : p[31:0];
  end

  // ---- selective scan (SCAN) --------------------------------------------------------
  // X DL B C Y H rows nd N P init (sac_dense_scan_state, sac_dense_scan_out).
  // Per token t (REVERSE: last first) and channel c, 4 ceil(N/V) + 1
  // cycles: one reads x = X[t, c] and dv = DL[t, c]; then four passes of V
  // state lanes n: (1) read h = H[c, n] and ae, A_bar = exp2neg(rshift(
  // max(dv, 0) ae, g)); (2) read b = B[t, n], write H[c, n] = sat32(rshift(
  // A_bar h, 30) + rq(dv b x, m0)); (3) read the new state back; (4) read
  // C[t, n] and accumulate C h (a 16 x 32 product, 4 MAC lane passes); the
  // last cycle writes Y[t, c] = sat(rq(acc, m1) + rq(x dq[c], m2)).  A_bar
  // and h wait in per-state registers between passes.  init != 0: the
  // first token's states are zero instead of H's words (the read slot is
  // spent and counted, as the model charges it).
  logic [31:0] sc_abar [NMAX];
  logic [31:0] sc_h [NMAX];
  logic [31:0] sc_x, sc_dv, sc_c, sc_ps;   // latched x and dv, channel, pass 0..4
  logic [63:0] sc_acc, sc_g;
  logic [63:0] sc_m0, sc_m1, sc_m2;
  logic [31:0] sc_rows, sc_nd, sc_n, sc_p;
  logic        sc_rev, sc_init;
  logic [31:0] sc_xs [V];    // pass 1: A_bar; pass 2: the new state; 3: h read
  logic        sc_act [V];
  logic [31:0] sc_nact;
  logic [63:0] sc_nacc;
  logic [31:0] sc_y;
  wire  [31:0] sc_t = sc_rev ? sc_rows - 32'd1 - t : t;   // the token
  always_comb begin
    logic [63:0] yq;
    sc_nact = 32'd0;
    sc_nacc = sc_acc;
    for (int l = 0; l < V; l++) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic [63:0] u, ab, dec, inc, hn;
      logic [63:0] ae;
      /* verilator lint_on UNUSEDSIGNAL */
      logic [31:0] n, h;
      logic [NA-1:0] ni;
      n = j * V + l;
      ni = n[NA-1:0];
      sc_act[l] = n < sc_n;
      h = rd_d(a5 + sc_c * sc_n + n);    // pass 3: the new state read back
      ae = rd_w64(sc_p + 32'd32 + 32'd8 * (sc_c * sc_n + n));
      u = rshift(($signed(sc_dv) > 0 ? 64'($signed(sc_dv)) : 64'd0) * ae, sc_g[5:0]);
      ab = {32'd0, exp2neg(u)};
      dec = rshift({32'd0, sc_abar[ni]} * 64'($signed(sc_h[ni])), 6'd30);
      inc = rshift(64'($signed(sc_dv)) * 64'($signed(rd_d(a2 + sc_t * sc_n + n))) *
                   64'($signed(sc_x)) * {{32{sc_m0[31]}}, sc_m0[31:0]}, sc_m0[37:32]);
      hn = 64'(sat(dec + inc, 8'd32));
      sc_xs[l] = sc_ps == 32'd1 ? ab[31:0] : sc_ps == 32'd2 ? hn[31:0] : h;
      if (sc_act[l]) begin
        sc_nact = sc_nact + 32'd1;
        if (sc_ps == 32'd4)
          sc_nacc = sc_nacc + 64'($signed(rd_d(a3 + sc_t * sc_n + n))) * 64'($signed(sc_h[ni]));
      end
    end
    yq = rshift(sc_nacc * {{32{sc_m1[31]}}, sc_m1[31:0]}, sc_m1[37:32]) +
         rshift(64'($signed(sc_x)) *
                64'($signed(rd_w(sc_p + 32'd32 + 32'd8 * sc_nd * sc_n + sc_c))) *
                {{32{sc_m2[31]}}, sc_m2[31:0]}, sc_m2[37:32]);
    sc_y = sat(yq, bits_q);
  end

  // ---- sequencing ----------------------------------------------------------------------
  assign busy = state != S_IDLE;
  assign c_wmem_wr = 64'd0;  // W is written by WLOAD (the simulator's)

  wire _unused = &{1'b0, i_flags[7:5], ew_m0[63:38],
                    ew_m1[63:38], mm0[63:38], ln_m[63:38], sc_m0[63:38], sc_m1[63:38],
                    sc_m2[63:38], sc_g[63:6], at_m0[63:38], at_m1[63:38], at_p};

  // Cycles per row end: the W bytes of the row become 64-bit rows.
  function automatic logic [63:0] wrows(input logic [63:0] b);
    return (b + 64'd7) >> 3;
  endfunction

  // The last cycle of an instruction: the drain, or done now.
  task automatic finish();
    if (PIPELINE > 0) state <= S_TAIL;
    else begin
      state <= S_IDLE;
      done <= 1'b1;
      c_instrs <= c_instrs + 64'd1;
    end
  endtask

  // A refused instruction (a word outside its declared width, docs/ISA.md):
  // corrupt with done, at once.
  task automatic refuse();
    state <= S_IDLE;
    done <= 1'b1;
    corrupt <= 1'b1;
  endtask

  // The end of row t: the next row starts in state st, or the
  // instruction ends.
  task automatic next_row(input state_t st);
    if (t == rows - 32'd1) finish();
    else begin
      t <= t + 32'd1;
      state <= st;
    end
  endtask

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state <= S_IDLE;
      kind <= K_MM;
      done <= 1'b0;
      unsupported <= 1'b0;
      corrupt <= 1'b0;
      {bits_q, w16, in16, a0, a1, a2, a3, a4, a5} <= '0;
      {rows, nout, kloop, kw, ydst, wbase, mbase, bbase, qbase, ksz, ker} <= '0;
      {tbase, tlen, xr0, trev, mm0} <= '0;
      {ngrp, nvec, plast, t, k, g, j, ck, cj, ps, wbytes_row, tail} <= '0;
      {ew_add, ew_m0, ew_m1, mix_t, mix_f, mix_n} <= '0;
      {win_on, win_x0, win_k, win_m, win_sh} <= '0;
      {c_cycles, c_macs, c_rq, c_alu, c_lut, c_div, c_dmem_rd, c_dmem_wr, c_wmem_rd,
       c_instrs} <= '0;
      {rsm, ln_s1, ln_s2, ln_eps, ln_m, sm_c, sm_sum, sm_g, sm_max, wcnt} <= '0;
      {tk_best, tk_bv, tk_have, tk_s, moe_acc} <= '0;
      {sc_x, sc_dv, sc_c, sc_ps, sc_acc, sc_g, sc_m0, sc_m1, sc_m2} <= '0;
      {sc_rows, sc_nd, sc_n, sc_p, sc_rev, sc_init} <= '0;
      {gt_s, gt_c, gt_g, gt_lf, gt_npass} <= '0;
      {at_m0, at_m1, at_c, at_run, at_g, at_fs, at_fc, at_y, at_p, at_s, at_max, at_sum,
       at_qok, at_pok} <= '0;
      acc_v <= '0;
      acc2_v <= '0;
      for (int l = 0; l < L; l++) begin
        wlat[l] <= '{8'd0, 8'd0};
        xlat[l] <= 32'd0;
      end
      for (int l = 0; l < V; l++) begin
        lat_ii[l] <= 9'd0;
        lat_fr[l] <= 8'd0;
        lat_cls[l] <= C_MID;
        lat_ue[l] <= 64'd0;
        lat_t0[l] <= 32'd0;
      end
    end else begin
      done <= 1'b0;
      unsupported <= 1'b0;
      corrupt <= 1'b0;
      if (state != S_IDLE) c_cycles <= c_cycles + 64'd1;
      case (state)
        S_IDLE: if (start) begin
          logic [31:0] b [11];
          logic [31:0] n_, r_, kl_;
          logic        mac_op;
          /* verilator lint_off UNUSEDSIGNAL */
          logic [31:0] wk, wsh;
          logic [63:0] off;
          /* verilator lint_on UNUSEDSIGNAL */
          for (int i = 0; i < 11; i++) b[i] = i_a[32*i +: 32];
          {a0, a1, a2, a3, a4, a5} <= {b[0], b[1], b[2], b[3], b[4], b[5]};
          bits_q <= i_bits == 8'd0 ? 8'd32 : i_bits;
          w16 <= (i_flags & 8'(DF_W16)) != 8'd0;
          in16 <= (i_flags & 8'(DF_IN16)) != 8'd0;
          plast <= 2'(((i_flags & 8'(DF_W16)) != 8'd0 ? 2 : 1) *
                      ((i_flags & 8'(DF_IN16)) != 8'd0 ? 2 : 1) - 1);
          {t, k, g, j, ck, cj, ps, tail} <= '0;
          wbytes_row <= 64'd0;
          // The MAC instructions: rows r_, outputs n_, MAC steps kl_.
          mac_op = 1'b1;
          off = 64'd0;
          case (i_op)
            8'(DOP_MATMUL): begin          // X rows K Y n P
              kind <= K_MM;
              r_ = b[1]; n_ = b[4]; kl_ = b[2];
              kw <= b[2]; ydst <= b[3];
              mbase <= b[5]; bbase <= b[5] + 32'd8 * b[4]; wbase <= b[5] + 32'd16 * b[4];
            end
            8'(DOP_CONV): begin            // ... t0 xr0 xrows T kernel
              kind <= K_CONV;
              r_ = b[1]; n_ = b[4]; kl_ = b[2] * b[10];
              kw <= b[2] * b[10]; ydst <= b[3]; ksz <= b[2]; ker <= b[10];
              mbase <= b[5]; bbase <= b[5] + 32'd8 * b[4]; wbase <= b[5] + 32'd16 * b[4];
              off = (64'(b[10]) - 64'd1) >> 1;
              tbase <= 64'(b[6]) - off; xr0 <= 64'(b[7]); tlen <= 64'(b[9]);
            end
            8'(DOP_DWCONV): begin          // X rows C Y P t0 xr0 xrows T kernel
              kind <= K_DW;
              r_ = b[1]; n_ = b[2]; kl_ = b[9];
              kw <= b[9]; ydst <= b[3];
              mbase <= b[4]; bbase <= b[4] + 32'd8 * b[2]; wbase <= b[4] + 32'd16 * b[2];
              // CAUSAL: taps t - kernel + 1 .. t (REVERSE: t .. t + kernel - 1);
              // else centred.
              off = (i_flags & 8'(DF_CAUSAL)) != 8'd0 ? 64'(b[9]) - 64'd1
                                                      : (64'(b[9]) - 64'd1) >> 1;
              trev <= (i_flags & 8'(DF_CAUSAL | DF_REVERSE)) == 8'(DF_CAUSAL | DF_REVERSE);
              tbase <= (i_flags & 8'(DF_CAUSAL | DF_REVERSE)) == 8'(DF_CAUSAL | DF_REVERSE)
                       ? 64'(b[5]) + off : 64'(b[5]) - off;
              xr0 <= 64'(b[6]); tlen <= 64'(b[8]);
            end
            8'(DOP_MJOS): begin            // A B rows N Y P
              kind <= K_MJOS;
              r_ = b[2]; n_ = b[3]; kl_ = 32'd2 * b[3];
              kw <= 32'd2 * b[3]; ydst <= b[4]; ksz <= b[3];
              mm0 <= rd_w64(b[5]);
              mbase <= b[5] + 32'd8; qbase <= b[5] + 32'd8 + 32'd8 * b[3];
              bbase <= b[5] + 32'd8 + 32'd16 * b[3]; wbase <= b[5] + 32'd8 + 32'd24 * b[3];
            end
            default: begin
              mac_op = 1'b0;
              r_ = 32'd0; n_ = 32'd0; kl_ = 32'd0;
            end
          endcase
          if (mac_op && n_ <= NMAX) begin
            rows <= r_;
            nout <= n_;
            kloop <= kl_;
            ngrp <= (n_ + L - 1) / L;
            nvec <= (n_ + V - 1) / V;
            acc_v <= '0;
            acc2_v <= '0;
            // rows x (ceil(n/L) kloop f + ceil(n/V)) cycles, then the drain.
            if (r_ == 32'd0 || n_ == 32'd0) finish();
            else state <= kl_ == 32'd0 ? S_RQ : S_MAC;
          end else if (i_op == 8'(DOP_LUT)) begin
            nvec <= (b[2] + V - 1) / V;
            // The window after the 257 entries (x0, k, the slope's m and
            // shift); the C model charges no action for reading it.
            win_on <= (i_flags & 8'(DF_IN16 | DF_WIN)) == 8'(DF_IN16 | DF_WIN);
            win_x0 <= rd_w32(b[3] + 32'd1028);
            wk = rd_w32(b[3] + 32'd1032);     // 0..8 (the C model checks)
            wsh = rd_w32(b[3] + 32'd1040);    // 0..62 (likewise)
            win_k <= wk[3:0];
            win_m <= rd_w32(b[3] + 32'd1036);
            win_sh <= wsh[5:0];
            if (b[2] == 32'd0) finish();
            else state <= (i_flags & 8'(DF_IN16)) != 8'd0 ? S_LUT_A : S_LUT;
          end else if (i_op == 8'(DOP_ADD) || i_op == 8'(DOP_MUL) || i_op == 8'(DOP_MIX)) begin
            // The multipliers, once per instruction: one 64-bit W row each.
            logic [31:0] pb;
            logic [63:0] n64;
            pb = i_op == 8'(DOP_MIX) ? b[6] : b[4];
            ew_add <= i_op == 8'(DOP_ADD);
            ew_m0 <= rd_w64(pb);
            ew_m1 <= i_op != 8'(DOP_MUL) ? rd_w64(pb + 32'd8) : 64'd0;
            c_wmem_rd <= c_wmem_rd + (i_op != 8'(DOP_MUL) ? 64'd2 : 64'd1);
            // ADD / MUL: count; MIX: rows F.
            n64 = i_op == 8'(DOP_MIX) ? 64'(b[3]) * 64'(b[4]) : 64'(b[3]);
            mix_n <= n64;
            {mix_t, mix_f} <= '0;
            nvec <= 32'((n64 + 64'(V) - 64'd1) / 64'(V));
            if (n64 == 64'd0) finish();
            else state <= i_op == 8'(DOP_MIX) ? S_MIX : S_EW;
          end else if (i_op == 8'(DOP_LNORM) || i_op == 8'(DOP_SOFTMAX)) begin
            // X rows K Y P; the row's block words latched (m and eps, or c
            // and g); the C model rejects K = 0.
            logic [63:0] w1;
            w1 = rd_w64(b[4] + 32'd8);
            rsm <= i_op == 8'(DOP_SOFTMAX);
            ln_m <= rd_w64(b[4]);
            sm_c <= rd_w64(b[4]);
            ln_eps <= w1;
            sm_g <= w1[5:0];          // 0..30 (the C model checks)
            {ln_s1, ln_s2, sm_sum, sm_max, wcnt} <= '0;
            rows <= b[1];
            nvec <= (b[2] + V - 1) / V;
            if (b[1] == 32'd0) finish();
            else state <= S_P1;
          end else if (i_op == 8'(DOP_ATTN) && b[4] <= NMAX && b[5] <= NMAX) begin
            // Q K V rows Tk dk Y P S; m0, m1, c, g now (the model charges
            // their three W rows per query row).  The C model refuses
            // Tk = 0 and dk = 0 with rows.
            /* verilator lint_off UNUSEDSIGNAL */
            logic [63:0] w3;
            /* verilator lint_on UNUSEDSIGNAL */
            w3 = rd_w64(b[7] + 32'd24);
            at_m0 <= rd_w64(b[7]);
            at_m1 <= rd_w64(b[7] + 32'd8);
            at_c <= rd_w64(b[7] + 32'd16);
            at_g <= w3[5:0];
            at_fs <= (i_flags & 8'(DF_IN16)) != 8'd0 ? 2'd2 : 2'd0;
            at_fc <= (i_flags & 8'(DF_IN16)) != 8'd0 ? 2'd2 : 2'd1;
            at_y <= b[6];
            at_p <= b[7];
            at_s <= b[8];
            rows <= b[3];
            {at_run, at_sum, at_max, at_qok, at_pok} <= '0;
            nvec <= 32'd0;
            if (b[3] == 32'd0) finish();
            else begin
              c_wmem_rd <= c_wmem_rd + 64'd3;
              state <= S_AS;
            end
          end else if (i_op == 8'(DOP_GATE) && (b[3] != 32'd0 || DIV_CYCLES > 0)) begin
            // A B rows K Y P: c and g now (one W row, as the model).
            logic [1:0] lf;
            /* verilator lint_off UNUSEDSIGNAL */
            logic [63:0] w1;
            /* verilator lint_on UNUSEDSIGNAL */
            lf = (i_flags & 8'(DF_IN16)) != 8'd0 ? 2'd2 : 2'd0;
            gt_lf <= lf;
            gt_npass <= b[3] << lf;
            gt_c <= rd_w64(b[5]);
            w1 = rd_w64(b[5] + 32'd8);
            gt_g <= w1[5:0];                   // 0..30 (the C model checks)
            gt_s <= 64'd0;
            rows <= b[2];
            nvec <= ((b[3] << lf) + L - 1) / L;
            c_wmem_rd <= c_wmem_rd + 64'd1;
            wcnt <= 32'd0;
            if (b[2] == 32'd0) finish();
            else state <= b[3] == 32'd0 ? S_GWAIT : S_GMAC;
          end else if (i_op == 8'(DOP_SCAN) && b[8] <= NMAX) begin
            // X DL B C Y H rows nd N P init; the multipliers and g now.
            sc_rows <= b[6];
            sc_nd <= b[7];
            sc_n <= b[8];
            sc_p <= b[9];
            sc_rev <= (i_flags & 8'(DF_REVERSE)) != 8'd0;
            sc_m0 <= rd_w64(b[9]);
            sc_m1 <= rd_w64(b[9] + 32'd8);
            sc_m2 <= rd_w64(b[9] + 32'd16);
            sc_g <= rd_w64(b[9] + 32'd24);    // 0..30 (the C model checks)
            {sc_c, sc_ps} <= '0;
            nvec <= (b[8] + V - 1) / V;
            sc_init <= b[10] != 32'd0;
            // The C model refuses N = 0 with tokens and channels.
            if (b[6] == 32'd0 || b[7] == 32'd0) finish();
            else state <= S_SCAN;
          end else if (i_op == 8'(DOP_TOPK)) begin
            // X n k Y: k passes of n words (the C model: 1 <= k <= n, 64).
            {tk_best, tk_bv, tk_have, tk_s} <= '0;
            state <= S_TOPK;
          end else if (i_op == 8'(DOP_MOESUM)) begin
            // T k count Y nexp E0..E9: the k indices and weights now.
            for (int q = 0; q < KMAX; q++) begin
              sel_idx[q] <= rd_d(b[0] + 32'(q));
              sel_v[q] <= rd_d(b[0] + b[1] + 32'(q));
            end
            for (int q = 0; q < DUNIT_MAX_EXPERTS; q++) ebase[q] <= i_a[32*(5+q) +: 32];
            c_dmem_rd <= c_dmem_rd + 64'd2 * 64'(b[1]);
            moe_acc <= 64'd0;
            if (b[1] == 32'd0 || b[2] == 32'd0) finish();
            else state <= S_MOE;
          end else if (i_op == 8'(DOP_NOP)) begin
            done <= 1'b1;            // 0 cycles, as sac_dunit_cycles
            c_instrs <= c_instrs + 64'd1;
          end else begin
            done <= 1'b1;
            unsupported <= 1'b1;
          end
        end

        S_MAC: begin
          if (mac_corrupt) begin
            // An X word outside its declared width: stop (docs/ISA.md).
            refuse();
          end
          for (int l = 0; l < L; l++)
            if (mac_act[l]) begin
              logic [NA-1:0] o;
              o = NA'(g * L + l);  // < n <= NMAX
              if (kind == K_MJOS && k >= ksz) begin
                acc2[o] <= acc2_rd(o) + mac_prod[l];
                acc2_v[o] <= 1'b1;
              end else begin
                acc[o] <= acc_rd(o) + mac_prod[l];
                acc_v[o] <= 1'b1;
              end
              if (!xsel) wlat[l][wsel] <= wbyte[l];
            end
          for (int l = 0; l < L; l++)
            if (rd_x) xlat[l] <= xw[l];
          if (kind == K_MJOS && rd_x && k < ksz) arow[NA'(k)] <= xw[0];
          c_macs <= c_macs + 64'(mac_nact);
          if (!xsel) wbytes_row <= wbytes_row + 64'(mac_nact);
          // One D word per step (the shared X), or one per lane (dwconv).
          if (rd_x) c_dmem_rd <= c_dmem_rd + (kind == K_DW ? 64'(mac_nact) : 64'd1);
          if (!mac_corrupt) begin
            if (ps != plast) ps <= ps + 2'd1;
            else begin
              ps <= 2'd0;
              if (g != ngrp - 32'd1) g <= g + 32'd1;
              else begin
                g <= 32'd0;
                // conv: k = channel ck x kernel + tap cj.
                if (cj == ker - 32'd1 || kind != K_CONV) begin
                  cj <= 32'd0;
                  ck <= ck + 32'd1;
                end else cj <= cj + 32'd1;
                if (k != kloop - 32'd1) k <= k + 32'd1;
                else begin
                  k <= 32'd0;
                  {ck, cj} <= '0;
                  j <= 32'd0;
                  state <= S_RQ;
                end
              end
            end
          end
        end

        S_RQ: begin
          for (int l = 0; l < V; l++)
            if (rq_act[l]) begin
              dmem[DA'(ydst + t * nout + rq_o[l])] <= rq_y[l];
              acc_v[rq_o[l][NA-1:0]] <= 1'b0;  // zero for the next row
              acc2_v[rq_o[l][NA-1:0]] <= 1'b0;
            end
          // mjos: three requantisations and two adds per output.
          c_rq <= c_rq + (kind == K_MJOS ? 64'd3 : 64'd1) * 64'(rq_nact);
          if (kind == K_MJOS) c_alu <= c_alu + 64'd2 * 64'(rq_nact);
          c_dmem_wr <= c_dmem_wr + 64'(rq_nact);
          if (j != nvec - 32'd1) begin
            j <= j + 32'd1;
            wbytes_row <= wbytes_row + (kind == K_MJOS ? 64'd24 : 64'd16) * 64'(rq_nact);
          end else begin
            // The row's parameter bytes: 16 n of multipliers and biases
            // (mjos: 24 N and the residual's multiplier), then the weights.
            c_wmem_rd <= c_wmem_rd + wrows(wbytes_row +
                         (kind == K_MJOS ? 64'd24 : 64'd16) * 64'(rq_nact) +
                         (kind == K_MJOS ? 64'd8 : 64'd0));
            wbytes_row <= 64'd0;
            j <= 32'd0;
            next_row(kloop == 32'd0 ? S_RQ : S_MAC);
          end
        end

        S_MIX: begin
          for (int l = 0; l < V; l++)
            if (mx_act[l]) dmem[DA'(mix_y + j * V + l)] <= mx_y[l];
          c_macs <= c_macs + 64'd4 * 64'(mx_nact);   // two 16 x 32 products
          c_rq <= c_rq + 64'd2 * 64'(mx_nact);
          c_alu <= c_alu + 64'd2 * 64'(mx_nact);     // 2^14 - a, the sum
          c_dmem_rd <= c_dmem_rd + 64'd2 * 64'(mx_nact) + 64'(mx_nrow);
          c_dmem_wr <= c_dmem_wr + 64'(mx_nact);
          mix_t <= mix_tl[V];
          mix_f <= mix_fl[V];
          if (j != nvec - 32'd1) j <= j + 32'd1;
          else finish();
        end

        S_LUT, S_LUT_B: begin
          for (int l = 0; l < V; l++)
            if (lt_act[l])
              dmem[DA'(lut_y + lt_i[l])] <= state == S_LUT ? lt_y8[l] : lt_y16[l];
          c_lut <= c_lut + 64'(lt_nact);
          c_dmem_wr <= c_dmem_wr + 64'(lt_nact);
          if (state == S_LUT) c_dmem_rd <= c_dmem_rd + 64'(lt_nact);
          else begin
            c_alu <= c_alu + 64'(lt_nact);  // t[i+1] - t[i]
            c_rq <= c_rq + 64'(lt_nact);    // the product and its shift
          end
          if (j != nvec - 32'd1) begin
            j <= j + 32'd1;
            if (state == S_LUT_B) state <= S_LUT_A;
          end else finish();
        end

        S_EW: begin
          for (int l = 0; l < V; l++)
            if (ew_act[l]) dmem[DA'(ew_y + ew_i[l])] <= ew_y8[l];
          c_dmem_rd <= c_dmem_rd + 64'd2 * 64'(ew_nact);
          c_dmem_wr <= c_dmem_wr + 64'(ew_nact);
          if (ew_add) begin
            c_rq <= c_rq + 64'd2 * 64'(ew_nact);
            c_alu <= c_alu + 64'(ew_nact);   // the sum of the two terms
          end else begin
            c_rq <= c_rq + 64'(ew_nact);
            c_macs <= c_macs + 64'(ew_nact); // A B
          end
          if (j != nvec - 32'd1) j <= j + 32'd1;
          else finish();
        end

        S_LUT_A: begin
          for (int l = 0; l < V; l++) begin
            lat_ii[l] <= lt_ii[l];
            lat_fr[l] <= lt_fr[l];
            lat_cls[l] <= lt_cls[l];
            lat_ue[l] <= lt_ue[l];
            lat_t0[l] <= lt_t0[l];
          end
          c_lut <= c_lut + 64'(lt_nact);
          c_dmem_rd <= c_dmem_rd + 64'(lt_nact);
          state <= S_LUT_B;
        end

        S_P1, S_P2, S_P3: begin
          // S_P1: LNORM sums, SOFTMAX maximum; S_P2: SOFTMAX's e; S_P3:
          // the outputs.
          c_dmem_rd <= c_dmem_rd + 64'(rw_nact);
          if (state == S_P1) begin
            ln_s1 <= rw_s1;
            ln_s2 <= rw_s2;
            sm_max <= rw_max;
            c_alu <= c_alu + 64'(rw_nact);                    // add / compare
            if (!rsm) c_macs <= c_macs + 64'(rw_nact);        // x^2
          end else begin
            for (int l = 0; l < V; l++)
              if (rw_act[l]) dmem[DA'(r_y + t * r_k + j * V + l)] <= rw_y[l];
            c_dmem_wr <= c_dmem_wr + 64'(rw_nact);
          end
          if (state == S_P2) begin
            sm_sum <= rw_sum;
            c_alu <= c_alu + 64'd2 * 64'(rw_nact);             // max - x, the sum
            c_lut <= c_lut + 64'(rw_nact);                     // exp2
            c_rq <= c_rq + 64'(rw_nact);                       // (max - x) c, g
          end
          if (state == S_P3) begin
            c_rq <= c_rq + (rsm ? 64'd1 : 64'd2) * 64'(rw_nact);
            if (!rsm) begin
              c_macs <= c_macs + 64'(rw_nact);                 // (K x - s1) inv
              c_alu <= c_alu + 64'(rw_nact);                   // K x - s1
            end
          end
          if (j != nvec - 32'd1) j <= j + 32'd1;
          else begin
            j <= 32'd0;
            if (state == S_P1 && rsm) state <= S_P2;
            else if (state != S_P3) begin
              // The divisions (LNORM: the root and the reciprocal).
              c_div <= c_div + (rsm ? 64'd1 : 64'd2);
              wcnt <= 32'd0;
              state <= (rsm ? DIV_CYCLES : 2 * DIV_CYCLES) > 0 ? S_WAIT : S_P3;
            end else begin
              // The row's parameter rows: SOFTMAX c and g; LNORM m, eps,
              // beta and gamma.
              c_wmem_rd <= c_wmem_rd + (rsm ? 64'd1 :
                           wrows(64'd16 + (w16 ? 64'd10 : 64'd9) * 64'(r_k)));
              {ln_s1, ln_s2, sm_sum} <= '0;
              next_row(S_P1);
            end
          end
        end

        S_WAIT: begin
          if (wcnt == 32'(rsm ? DIV_CYCLES - 1 : 2 * DIV_CYCLES - 1)) state <= S_P3;
          else wcnt <= wcnt + 32'd1;
        end

        S_AS, S_AC: begin
          // Scores or context lane passes.
          logic [31:0] last;
          last = state == S_AS ? (at_tk * at_dk << at_fs) : (at_tk * at_dk << at_fc);
          if (at_bad) refuse();
          c_macs <= c_macs + 64'(as_nact);
          c_dmem_rd <= c_dmem_rd + 64'(as_nrd);
          at_run <= at_nrun;
          for (int l = 0; l < L; l++) begin
            if (as_rq[l]) begin
              // The held Q word (scores) or p (context).
              if (state == S_AS) begin
                at_q[NA'(as_col[l])] <= as_x[l];
                at_qok[NA'(as_col[l])] <= 1'b1;
              end else begin
                at_pr[NA'(as_key[l])] <= as_x[l];
                at_pok[NA'(as_key[l])] <= 1'b1;
              end
            end
            if (as_done[l]) begin
              if (state == S_AS)
                dmem[DA'(at_s + as_key[l])] <= sat(rshift(as_val[l] *
                  {{32{at_m0[31]}}, at_m0[31:0]}, at_m0[37:32]), 8'd16);
              else at_acc[NA'(as_col[l])] <= as_val[l];
            end
          end
          if (state == S_AS) begin
            c_rq <= c_rq + 64'(as_ndone);
            c_dmem_wr <= c_dmem_wr + 64'(as_ndone);
          end
          if (!at_bad) begin
            if ((j + 32'd1) * L < last) j <= j + 32'd1;
            else begin
              j <= 32'd0;
              at_run <= 64'd0;
              state <= state == S_AS ? S_AP1 : S_AR;
            end
          end
        end

        S_AP1, S_AP2, S_AP3, S_AR: begin
          logic [31:0] n;
          n = state == S_AR ? at_dk : at_tk;
          if (state == S_AP1 || state == S_AP2) c_dmem_rd <= c_dmem_rd + 64'(ap_nact);
          if (state == S_AP1) begin
            at_max <= ap_max;
            c_alu <= c_alu + 64'(ap_nact);                // compare
          end
          if (state == S_AP2) begin
            for (int l = 0; l < V; l++)
              if (ap_act[l]) at_e[NA'(j * V + l)] <= ap_w[l];
            at_sum <= ap_sum;
            c_alu <= c_alu + 64'd2 * 64'(ap_nact);        // max - s, the sum
            c_lut <= c_lut + 64'(ap_nact);
          end
          if (state == S_AP3 || state == S_AR) begin
            for (int l = 0; l < V; l++)
              if (ap_act[l])
                dmem[DA'((state == S_AP3 ? at_s + at_tk : at_y + t * at_dk) + j * V + l)] <= ap_w[l];
            c_rq <= c_rq + 64'(ap_nact);
            c_dmem_wr <= c_dmem_wr + 64'(ap_nact);
          end
          if ((j + 32'd1) * V < n) j <= j + 32'd1;
          else begin
            j <= 32'd0;
            case (state)
              S_AP1: state <= S_AP2;
              S_AP2: begin
                c_div <= c_div + 64'd1;
                wcnt <= 32'd0;
                state <= DIV_CYCLES > 0 ? S_AWAIT : S_AP3;
              end
              S_AP3: state <= S_AC;
              default: begin
                {at_sum, at_max, at_qok, at_pok} <= '0;
                if (t != rows - 32'd1) c_wmem_rd <= c_wmem_rd + 64'd3;
                next_row(S_AS);
              end
            endcase
          end
        end

        S_AWAIT: begin
          if (wcnt != 32'(DIV_CYCLES - 1)) wcnt <= wcnt + 32'd1;
          else state <= S_AP3;
        end

        S_GMAC: begin
          if (gt_bad) begin
            // An A or B word outside its declared width (docs/ISA.md).
            refuse();
          end
          c_macs <= c_macs + 64'(gt_nact);
          c_dmem_rd <= c_dmem_rd + 64'(gt_nrd);
          gt_s <= gt_sn;
          if (!gt_bad) begin
            if (j != nvec - 32'd1) j <= j + 32'd1;
            else begin
              j <= 32'd0;
              wcnt <= 32'd0;
              if (DIV_CYCLES > 0) state <= S_GWAIT;
              else begin
                // No division latency: the row's output now.
                dmem[DA'(a4 + t)] <= gt_y;
                c_lut <= c_lut + 64'd1;
                c_rq <= c_rq + 64'd1;
                c_div <= c_div + 64'd1;
                c_dmem_wr <= c_dmem_wr + 64'd1;
                gt_s <= 64'd0;
                if (t == rows - 32'd1) finish();
                else t <= t + 32'd1;
              end
            end
          end
        end

        S_GWAIT: begin
          // The division's D cycles; the last writes the row's output.
          if (wcnt != 32'(DIV_CYCLES - 1)) wcnt <= wcnt + 32'd1;
          else begin
            wcnt <= 32'd0;
            dmem[DA'(a4 + t)] <= gt_y;
            c_lut <= c_lut + 64'd1;                    // exp2
            c_rq <= c_rq + 64'd1;                      // |s| c, g
            c_div <= c_div + 64'd1;
            c_dmem_wr <= c_dmem_wr + 64'd1;
            gt_s <= 64'd0;
            next_row(gt_k == 32'd0 ? S_GWAIT : S_GMAC);
          end
        end

        S_SCAN: begin
          if (sc_ps == 32'd0) begin
            // Token t's x and dv of channel c.
            sc_x <= rd_d(a0 + sc_t * sc_nd + sc_c);
            sc_dv <= rd_d(a1 + sc_t * sc_nd + sc_c);
            c_dmem_rd <= c_dmem_rd + 64'd2;
            sc_acc <= 64'd0;
            sc_ps <= 32'd1;
          end else begin
            c_dmem_rd <= c_dmem_rd + 64'(sc_nact);
            for (int l = 0; l < V; l++)
              if (sc_act[l]) begin
                logic [NA-1:0] ni;
                ni = NA'(j * V + l);
                if (sc_ps == 32'd1) begin
                  sc_abar[ni] <= sc_xs[l];
                  // init: the first token's state is zero (its read slot
                  // is spent and counted).
                  sc_h[ni] <= sc_init && t == 32'd0 ? 32'd0 : rd_d(a5 + sc_c * sc_n + j * V + l);
                end
                if (sc_ps == 32'd2) dmem[DA'(a5 + sc_c * sc_n + j * V + l)] <= sc_xs[l];
                if (sc_ps == 32'd3) sc_h[ni] <= sc_xs[l];
              end
            case (sc_ps)
              32'd1: begin
                c_lut <= c_lut + 64'(sc_nact);                 // exp2
                c_rq <= c_rq + 64'(sc_nact);                   // dv ae, g
              end
              32'd2: begin
                c_rq <= c_rq + 64'd2 * 64'(sc_nact);           // decay, input
                c_alu <= c_alu + 64'(sc_nact);                 // their sum
                c_dmem_wr <= c_dmem_wr + 64'(sc_nact);
              end
              32'd4: begin
                sc_acc <= sc_nacc;
                c_macs <= c_macs + 64'd4 * 64'(sc_nact);       // C h: 16 x 32
                c_alu <= c_alu + 64'(sc_nact);
              end
              default: ;
            endcase
            if (j != nvec - 32'd1) j <= j + 32'd1;
            else begin
              j <= 32'd0;
              if (sc_ps != 32'd4) sc_ps <= sc_ps + 32'd1;
              else begin
                // The output of (t, c), then the next channel or token.
                dmem[DA'(a4 + sc_t * sc_nd + sc_c)] <= sc_y;
                c_dmem_wr <= c_dmem_wr + 64'd1;
                c_rq <= c_rq + 64'd2;
                sc_ps <= 32'd0;
                if (sc_c != sc_nd - 32'd1) sc_c <= sc_c + 32'd1;
                else begin
                  sc_c <= 32'd0;
                  // The token's parameter rows: the block.
                  c_wmem_rd <= c_wmem_rd + wrows(64'd32 + 64'd8 * 64'(sc_nd) * 64'(sc_n) +
                                                 64'(sc_nd));
                  if (t == sc_rows - 32'd1) finish();
                  else t <= t + 32'd1;
                end
              end
            end
          end
        end

        S_TOPK: begin
          // Element k of pass j.
          c_dmem_rd <= c_dmem_rd + 64'd1;
          c_alu <= c_alu + 64'd1;                    // the compare
          tk_best <= tk_nbest;
          tk_bv <= tk_nbv;
          tk_have <= tk_have | tk_take;
          if (k != tk_n - 32'd1) k <= k + 32'd1;
          else begin
            // The pass's choice: its index, and its word into the sum.
            sel_idx[j[5:0]] <= tk_nbest;
            sel_v[j[5:0]] <= tk_nbv;
            dmem[DA'(tk_y + j)] <= tk_nbest;
            tk_s <= tk_s + 64'($signed(tk_nbv));
            c_alu <= c_alu + 64'd2;
            c_dmem_wr <= c_dmem_wr + 64'd1;
            tk_have <= 1'b0;
            k <= 32'd0;
            if (j != tk_k - 32'd1) j <= j + 32'd1;
            else begin
              for (int q = 0; q < KMAX; q++)
                if (32'(q) < tk_k) dmem[DA'(tk_y + tk_k + 32'(q))] <= tk_w[q];
              c_div <= c_div + 64'(tk_k);
              c_dmem_wr <= c_dmem_wr + 64'd1 + 64'(tk_k);
              finish();
            end
          end
        end

        S_MOE: begin
          // Slot j of output k.
          c_dmem_rd <= c_dmem_rd + 64'd1;
          c_macs <= c_macs + 64'd4;                  // 32 x 32 bits
          if (j != moe_k - 32'd1) begin
            j <= j + 32'd1;
            moe_acc <= moe_nacc;
          end else begin
            j <= 32'd0;
            moe_acc <= 64'd0;
            dmem[DA'(moe_y + k)] <= sat(moe_nacc, 8'd32);
            c_dmem_wr <= c_dmem_wr + 64'd1;
            if (k != moe_n - 32'd1) k <= k + 32'd1;
            else finish();
          end
        end

        S_TAIL: begin
          if (tail == 32'(PIPELINE - 1)) begin
            state <= S_IDLE;
            done <= 1'b1;
            c_instrs <= c_instrs + 64'd1;
          end else tail <= tail + 32'd1;
        end

        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
