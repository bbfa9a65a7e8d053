// router.sv: one router of the mesh NoC with its node's network interface,
// cycle for cycle the router of docs/NOC.md (the C model is sim/noc.c).
//
// Input-buffered, virtual-channel, wormhole, credit flow control; five ports
// L, N, E, S, W (saccade_pkg::PORT_*); XY routing from the destination in
// the head flit; per-packet VC allocation (VA), each output port serving its
// requesters round robin from rr_va[o] over the 5 x VCS input VCs, each
// taking the lowest free output VC; separable input-first switch allocation
// (SA) with pointers rr_in[p] and rr_out[o] that move only on a grant.  The
// local input is fed by the injection queue (OUT_FIFO packets) through the
// NI, the local output feeds the ejection queue (IN_FIFO packets), whose
// slots are reserved when a head wins VA for L.
//
// Timing, with the specification's names: a flit granted in SA in cycle s
// is present downstream from s + SWITCH_DELAY + XBAR_DELAY + LINK_DELAY: the
// router's output ports carry it after SWITCH_DELAY + XBAR_DELAY - 1
// registers and the mesh adds LINK_DELAY on the link, so the downstream
// buffer is written at the end of the cycle before.  The credit for the
// slot it left is on cr_out in cycle s (combinational); the mesh delays it
// CREDIT_DELAY - 1 cycles and the upstream counter counts it at that edge,
// so it is usable in cycle s + CREDIT_DELAY.  The local ports do the same
// inside.  A packet's tail granted to L in cycle s has arrived in cycle
// E = s + SWITCH_DELAY + XBAR_DELAY and is shown on ej_* from E + 1.
//
// Instead of the C model's absolute cycle stamps, each input VC keeps a
// down counter tq = max(0, t - now): VA_WAIT requests VA when tq = 0, ACTIVE
// requests SA when tq = 0.  The NI writes a flit that is present in the
// same cycle, so for the local port the allocators see an "effective" VC
// (buffer + this cycle's NI write); network flits are in their buffer from
// their arrival cycle on, so they need no bypass.  With VC_DELAY = 0 a head
// that wins VA can win SA in the same cycle (the specification's rule).
//
// Invariants: per input VC, 0 <= cnt <= BUFFER_DEPTH, and the upstream
// credit counter = BUFFER_DEPTH - flits in the buffer or on the way -
// credits not yet returned; an IDLE VC is empty; a VA_WAIT VC has a head at
// its front; an output VC is busy from its VA grant to its tail's SA grant;
// ejection slots reserved + arrived (occ) <= IN_FIFO.
module router #(
    parameter int VCS = saccade_pkg::DEF_VCS,
    parameter int BUFFER_DEPTH = saccade_pkg::DEF_BUFFER_DEPTH,
    parameter int FLIT_BITS = saccade_pkg::DEF_FLIT_BITS,
    parameter int ROUTE_DELAY = saccade_pkg::DEF_ROUTE_DELAY,
    parameter int VC_DELAY = saccade_pkg::DEF_VC_DELAY,
    parameter int SWITCH_DELAY = saccade_pkg::DEF_SWITCH_DELAY,
    parameter int XBAR_DELAY = saccade_pkg::DEF_XBAR_DELAY,
    parameter int CREDIT_DELAY = saccade_pkg::DEF_CREDIT_DELAY,
    parameter int IN_FIFO = saccade_pkg::DEF_IN_FIFO,
    parameter int OUT_FIFO = saccade_pkg::DEF_OUT_FIFO,
    localparam int VCW = VCS > 1 ? $clog2(VCS) : 1,
    localparam int CB = saccade_pkg::COORD_BITS,
    localparam int NFB = saccade_pkg::NFLITS_BITS,
    localparam int PLB = saccade_pkg::PAYLOAD_BITS
) (
    input logic clk,
    input logic rst_n,
    // Coordinates of this router (constant; ports rather than parameters so
    // that every router of a mesh is the same module).
    input logic [saccade_pkg::COORD_BITS-1:0] my_x,
    input logic [saccade_pkg::COORD_BITS-1:0] my_y,

    // Links to the neighbours, indexed by port p (1 = N .. 4 = W); the
    // vectors hold port p's field at [(p-1)*width +: width], the layout of
    // a packed [4:1][width-1:0] (yosys 0.23 reads no multi-dimensional
    // packed array).
    input  logic [4:1]                in_valid,
    input  logic [4:1]                in_head,
    input  logic [4:1]                in_tail,
    input  logic [4*VCW-1:0]       in_vc,
    input  logic [4*FLIT_BITS-1:0] in_data,
    output logic [4:1]                cr_out_valid,  // credit for in_*
    output logic [4*VCW-1:0]       cr_out_vc,
    output logic [4:1]                out_valid,
    output logic [4:1]                out_head,
    output logic [4:1]                out_tail,
    output logic [4*VCW-1:0]       out_vc,
    output logic [4*FLIT_BITS-1:0] out_data,
    input  logic [4:1]                cr_in_valid,   // credit for out_*
    input  logic [4*VCW-1:0]       cr_in_vc,

    // Injection: a packet is accepted in a cycle with inj_valid and
    // inj_ready (ready depends on registers only).  inj_nflits >= 1.
    input  logic           inj_valid,
    output logic           inj_ready,
    input  logic [ CB-1:0] inj_dst_x,
    input  logic [ CB-1:0] inj_dst_y,
    input  logic [NFB-1:0] inj_nflits,
    input  logic [PLB-1:0] inj_payload,

    // Ejection: the oldest arrived packet (head flit and length); ej_pop in
    // a cycle with ej_valid removes it and frees its slot for this cycle's VA.
    output logic                 ej_valid,
    output logic [FLIT_BITS-1:0] ej_data,
    output logic [      NFB-1:0] ej_nflits,
    input  logic                 ej_pop,

    // Statistics (docs/NOC.md): 0 xbar, 1 buf_writes, 2 buf_reads,
    // 3 + o link[o], 8 misordered flits at ejection.
    input  logic [ 3:0] stat_sel,
    output logic [31:0] stat_val
);
  localparam int P = saccade_pkg::PORTS;
  localparam int L = saccade_pkg::PORT_L;
  localparam int PN = saccade_pkg::PORT_N;
  localparam int PE = saccade_pkg::PORT_E;
  localparam int PS = saccade_pkg::PORT_S;
  localparam int PW = saccade_pkg::PORT_W;
  localparam int NV = P * VCS;  // input VCs, index p * VCS + v
  localparam int D = BUFFER_DEPTH;
  localparam int DW = $clog2(D + 1);
  localparam int AW = D > 1 ? $clog2(D) : 1;
  localparam int IW = $clog2(NV);
  localparam int TMAX = ROUTE_DELAY > VC_DELAY ? ROUTE_DELAY : VC_DELAY;
  localparam int TW = TMAX > 0 ? $clog2(TMAX + 1) : 1;
  localparam int IQW = $clog2(OUT_FIFO + 1);
  localparam int IQA = OUT_FIFO > 1 ? $clog2(OUT_FIFO) : 1;
  localparam int EQW = $clog2(IN_FIFO + 1);
  localparam int EQA = IN_FIFO > 1 ? $clog2(IN_FIFO) : 1;
  localparam int ST = SWITCH_DELAY + XBAR_DELAY;  // grant -> ejection queue
  localparam int XLSB = saccade_pkg::DST_X_LSB;
  localparam int YLSB = saccade_pkg::DST_Y_LSB;
  localparam int SQB = saccade_pkg::SEQ_BITS;

  // The ranges sac_noc_new accepts (docs/NOC.md, "Parameters").
  if (VCS < 1 || VCS > saccade_pkg::MAX_VCS || BUFFER_DEPTH < 1 || ROUTE_DELAY < 0 ||
      VC_DELAY < 0 || SWITCH_DELAY < 1 || XBAR_DELAY < 1 || CREDIT_DELAY < 1 ||
      IN_FIFO < 1 || OUT_FIFO < 1 || FLIT_BITS < saccade_pkg::FLIT_BITS) begin : g_bad
    $error("router: parameter out of range");
  end

  typedef enum logic [1:0] {
    IDLE,
    VA_WAIT,
    ACTIVE
  } vcstate_t;

  // ---- state ----------------------------------------------------------------
  // Input VC buffers (no reset: cnt says which slots hold flits).
  logic [FLIT_BITS-1:0] buf_d[NV][D];
  logic buf_h[NV][D], buf_t[NV][D];  // head, tail
  logic [AW-1:0] rdp[NV], wrp[NV];
  logic [DW-1:0] cnt[NV];
  vcstate_t state[NV];
  logic [TW-1:0] tq[NV];  // cycles until t (VA_WAIT: VA, ACTIVE: SA)
  logic [2:0] outq[NV];  // ACTIVE: output port
  logic [VCW-1:0] ovcq[NV];  // ACTIVE: output VC
  logic [DW-1:0] credit[P][VCS];  // per output port and VC (o = L unused)
  logic [VCS-1:0] ovc_busy[P];  // output VC held by a packet (o = L unused)
  logic [IW-1:0] rr_va[P];
  logic [VCW-1:0] rr_in[P];
  logic [2:0] rr_out[P];
  // NI and injection queue
  logic [PLB-1:0] iq_pl[OUT_FIFO];
  logic [2*CB+NFB-1:0] iq_hdr[OUT_FIFO];  // x, y, nflits
  logic [IQA-1:0] iq_head;
  logic [IQW-1:0] iq_n;
  logic ni_busy;  // holds a local VC for the packet at the queue's head
  logic [VCW-1:0] ni_vc;
  logic [NFB-1:0] ni_seq;  // next flit of that packet
  logic [VCS-1:0] lowned;  // local input VCs held by the NI
  logic [DW-1:0] lcred[VCS];  // NI credits for the local input VCs
  // Ejection: per input VC the packet being ejected, then the queue.
  logic [FLIT_BITS-1:0] asm_data[NV];
  logic [NFB-1:0] asm_n[NV];
  logic [FLIT_BITS-1:0] eq_d[IN_FIFO];
  logic [NFB-1:0] eq_nf[IN_FIFO];
  logic [EQA-1:0] eq_head;
  logic [EQW-1:0] eq_n;  // arrived packets (in the queue)
  logic [EQW-1:0] occ;  // arrived + in the switch + reserved by VA
  logic [31:0] st_xbar, st_bufw, st_mis;
  logic [31:0] st_link[P];

  // XY routing on the destination of a head flit.
  function automatic logic [2:0] route(input logic [CB-1:0] dx, input logic [CB-1:0] dy);
    if (dx > my_x) route = 3'(PE);
    else if (dx < my_x) route = 3'(PW);
    else if (dy > my_y) route = 3'(PS);
    else if (dy < my_y) route = 3'(PN);
    else route = 3'(L);
  endfunction

  // ---- injection queue and NI -----------------------------------------------
  logic iq_push, iq_pop, ni_can, ni_wr, ni_head, ni_tail;
  logic [VCW-1:0] ni_sel;
  logic [PLB-1:0] f_pl;  // the packet at the head of the queue
  logic [CB-1:0] f_x, f_y;
  logic [NFB-1:0] f_nf, ni_cur;
  logic [FLIT_BITS-1:0] ni_d;  // the flit the NI writes
  assign inj_ready = iq_n < IQW'(OUT_FIFO);
  assign iq_push = inj_valid && inj_ready;
  always_comb begin
    // The packet sent in this cycle is at the head at once if the queue
    // was empty (sac_noc_send precedes the NI in the C model's cycle).
    if (iq_n != 0) begin
      f_pl = iq_pl[iq_head];
      {f_x, f_y, f_nf} = iq_hdr[iq_head];
    end else begin
      f_pl = inj_payload;
      {f_x, f_y, f_nf} = {inj_dst_x, inj_dst_y, inj_nflits};
    end
    // Step 1: the lowest local VC not held; step 2: a flit if it has a
    // credit; step 3: release after the tail.
    ni_sel = ni_vc;
    ni_can = 0;
    if (iq_n != 0 || inj_valid) begin
      if (ni_busy) ni_can = 1;
      else
        for (int v = VCS - 1; v >= 0; v--)
          if (!lowned[v]) begin
            ni_sel = VCW'(v);
            ni_can = 1;
          end
    end
    ni_wr = ni_can && lcred[ni_sel] != 0;
    ni_cur = ni_busy ? ni_seq : '0;
    ni_head = ni_cur == 0;
    ni_tail = ni_cur == f_nf - 1'b1;
    ni_d = '0;
    ni_d[PLB-1:0] = f_pl;
    if (ni_head) ni_d[YLSB+:2*CB] = {f_x, f_y};  // x sits above y
    else ni_d[PLB+:SQB] = SQB'(ni_cur);
    iq_pop = ni_wr && ni_tail;
  end

  // ---- the input VCs as the allocators see them in this cycle ---------------
  vcstate_t e_state[NV];
  logic [TW-1:0] e_t[NV];
  logic [DW-1:0] e_cnt[NV];
  logic [FLIT_BITS-1:0] e_d[NV];  // front flit
  logic [NV-1:0] e_h, e_tl;
  logic [2:0] e_route[NV];
  always_comb begin
    for (int i = 0; i < NV; i++) begin
      e_state[i] = state[i];
      e_t[i] = tq[i];
      e_cnt[i] = cnt[i];
      e_d[i] = buf_d[i][rdp[i]];
      e_h[i] = buf_h[i][rdp[i]];
      e_tl[i] = buf_t[i][rdp[i]];
      if (i < VCS && ni_wr && ni_sel == VCW'(i)) begin
        e_cnt[i] = cnt[i] + 1'b1;
        if (cnt[i] == 0) begin
          e_d[i] = ni_d;
          e_h[i] = ni_head;
          e_tl[i] = ni_tail;
        end
        if (state[i] == IDLE) begin  // head: present now, route at now + rd
          e_state[i] = VA_WAIT;
          e_t[i] = TW'(ROUTE_DELAY);
        end
      end
      e_route[i] = route(e_d[i][XLSB+:CB], e_d[i][YLSB+:CB]);
    end
  end

  // ---- VC allocation ---------------------------------------------------------
  // Per output o, the requesters in round-robin order from rr_va[o] (the
  // request vector rotated right by rr_va[o]) are served while free VCs
  // (slots) last; the j-th served takes the j-th lowest free VC.
  logic [NV-1:0] va_win;
  logic [VCW-1:0] va_ovc[NV];
  logic [IW-1:0] rr_va_n[P];
  logic [VCS-1:0] va_take[P];  // output VCs taken this cycle
  logic [EQW-1:0] va_res;  // ejection slots reserved this cycle
  logic pop_ok;
  assign pop_ok = ej_pop && ej_valid;
  always_comb begin
    logic [NV-1:0] rq, rot, srv;
    logic [NV-1:0] srv_rot[P];
    logic [VCS-1:0] fre[P];
    int nfree, n, last, ki, rank, c, o;
    va_win = '0;
    va_res = '0;
    for (int z = 0; z < P; z++) va_take[z] = '0;
    for (int z = 0; z < NV; z++) va_ovc[z] = '0;
    for (int z = 0; z < P; z++) srv_rot[z] = '0;
    for (int z = 0; z < P; z++) fre[z] = '0;
    rq = '0;
    rot = '0;
    srv = '0;
    {nfree, n, last, ki, rank, c, o} = '0;
    for (int oo = 0; oo < P; oo++) begin
      for (int i = 0; i < NV; i++) rq[i] = e_state[i] == VA_WAIT && e_t[i] == 0 && e_route[i] == 3'(oo);
      fre[oo] = oo == L ? '0 : ~ovc_busy[oo];
      nfree = oo == L ? IN_FIFO - int'(occ) + int'(pop_ok) : $countones(fre[oo]);
      rot = NV'({rq, rq} >> rr_va[oo]);
      n = 0;
      last = -1;
      srv = '0;
      for (int k = 0; k < NV; k++)
        if (rot[k] && n < nfree) begin
          srv[k] = 1;
          n++;
          last = k;
        end
      srv_rot[oo] = srv;
      va_win = va_win | NV'(({srv, srv} << rr_va[oo]) >> NV);
      if (oo == L) va_res = EQW'(n);
      rr_va_n[oo] = rr_va[oo];
      if (last >= 0) begin
        c = int'(rr_va[oo]) + last + 1;
        rr_va_n[oo] = IW'(c >= NV ? c - NV : c);
      end
    end
    for (int i = 0; i < NV; i++) begin
      o = int'(e_route[i]);
      if (va_win[i] && o != L) begin
        ki = i - int'(rr_va[o]);
        if (ki < 0) ki += NV;
        rank = $countones(srv_rot[o] & ((NV'(1) << ki) - 1'b1));
        c = 0;
        for (int w = 0; w < VCS; w++)
          if (fre[o][w]) begin
            if (c == rank) va_ovc[i] = VCW'(w);
            c++;
          end
        va_take[o][va_ovc[i]] = 1;
      end
    end
  end

  // ---- switch allocation -----------------------------------------------------
  logic [NV-1:0] sa_ready;
  logic [2:0] a_out[NV];
  logic [VCW-1:0] a_ovc[NV];
  logic [P-1:0] g_valid;  // per output port: a flit crosses
  logic [2:0] g_port[P];  // its input port
  logic [VCW-1:0] g_vc[P];  // its input VC
  logic [IW-1:0] g_i[P];  // its input VC index
  logic [NV-1:0] gnt;  // per input VC
  always_comb begin
    logic [P-1:0] pk_valid, rq;
    logic [VCW-1:0] pk_vc[P];
    logic [2:0] pk_out[P];
    logic [VCS-1:0] rv;
    logic [P-1:0] dp;
    int c;
    pk_valid = '0;
    rq = '0;
    for (int z = 0; z < P; z++) pk_vc[z] = '0;
    for (int z = 0; z < P; z++) pk_out[z] = '0;
    rv = '0;
    dp = '0;
    c = 0;
    gnt = '0;
    g_valid = '0;
    for (int z = 0; z < P; z++) g_port[z] = '0;
    for (int z = 0; z < P; z++) g_vc[z] = '0;
    for (int z = 0; z < P; z++) g_i[z] = '0;
    for (int n = 0; n < NV; n++) begin
      logic act, t0;
      if (VC_DELAY == 0 && va_win[n]) begin  // VA and SA in one cycle
        act = 1;
        t0 = 1;
        a_out[n] = e_route[n];
        a_ovc[n] = va_ovc[n];
      end else begin
        act = e_state[n] == ACTIVE;
        t0 = e_t[n] == 0;
        a_out[n] = outq[n];
        a_ovc[n] = ovcq[n];
      end
      sa_ready[n] = act && t0 && e_cnt[n] != 0 &&
          (a_out[n] == 3'(L) || credit[a_out[n]][a_ovc[n]] != 0);
    end
    // Input stage: one VC per input port, round robin from rr_in[p].
    for (int p = 0; p < P; p++) begin
      rv = VCS'({sa_ready[p*VCS+:VCS], sa_ready[p*VCS+:VCS]} >> rr_in[p]);
      pk_valid[p] = rv != 0;
      pk_vc[p] = '0;
      for (int k = VCS - 1; k >= 0; k--)
        if (rv[k]) begin
          c = int'(rr_in[p]) + k;
          pk_vc[p] = VCW'(c >= VCS ? c - VCS : c);
        end
      pk_out[p] = a_out[p*VCS+int'(pk_vc[p])];
    end
    // Output stage: one input port per output, round robin from rr_out[o].
    for (int o = 0; o < P; o++) begin
      for (int p = 0; p < P; p++) rq[p] = pk_valid[p] && pk_out[p] == 3'(o);
      dp = P'({rq, rq} >> rr_out[o]);
      g_valid[o] = dp[P-1:0] != 0;
      g_port[o] = '0;
      for (int k = P - 1; k >= 0; k--)
        if (dp[k]) begin
          c = int'(rr_out[o]) + k;
          g_port[o] = 3'(c >= P ? c - P : c);
        end
      g_vc[o] = pk_vc[g_port[o]];
      g_i[o] = IW'(int'(g_port[o]) * VCS + int'(g_vc[o]));
      if (g_valid[o]) gnt[g_i[o]] = 1;
    end
  end

  // ---- grants: flits leave, credits go upstream, packets eject --------------
  logic [FLIT_BITS-1:0] g_d[P];
  logic [P-1:0] g_h, g_tail;
  logic [VCW-1:0] g_ovc[P];
  always_comb begin
    for (int o = 0; o < P; o++) begin
      g_d[o] = e_d[g_i[o]];
      g_h[o] = e_h[g_i[o]];
      g_tail[o] = g_valid[o] && e_tl[g_i[o]];
      g_ovc[o] = a_ovc[g_i[o]];
    end
    for (int p = 1; p < P; p++) begin
      cr_out_valid[p] = gnt[p*VCS+:VCS] != 0;
      cr_out_vc[(p-1)*VCW+:VCW] = '0;
      for (int v = 0; v < VCS; v++) if (gnt[p*VCS+v]) cr_out_vc[(p-1)*VCW+:VCW] = VCW'(v);
    end
  end

  // Switch and crossbar traversal to the links: ST - 1 registers.
  for (genvar o = 1; o < P; o++) begin : g_st
    pipe #(
        .WIDTH(3 + VCW),
        .DEPTH(ST - 1)
    ) u_stc (
        .clk,
        .rst_n,
        .d({g_valid[o], g_h[o], g_tail[o], g_ovc[o]}),
        .q({out_valid[o], out_head[o], out_tail[o], out_vc[(o-1)*VCW+:VCW]})
    );
    pipe #(
        .WIDTH(FLIT_BITS),
        .DEPTH(ST - 1)
    ) u_std (
        .clk,
        .rst_n,
        .d(g_d[o]),
        .q(out_data[(o-1)*FLIT_BITS+:FLIT_BITS])
    );
  end

  // The local input's credits reach the NI CREDIT_DELAY cycles later.
  logic lcr_in_valid, lcr_valid;
  logic [VCW-1:0] lcr_in_vc, lcr_vc;
  always_comb begin
    lcr_in_valid = gnt[VCS-1:0] != 0;
    lcr_in_vc = '0;
    for (int v = 0; v < VCS; v++) if (gnt[v]) lcr_in_vc = VCW'(v);
  end
  pipe #(
      .WIDTH(1 + VCW),
      .DEPTH(CREDIT_DELAY - 1)
  ) u_lcr (
      .clk,
      .rst_n,
      .d({lcr_in_valid, lcr_in_vc}),
      .q({lcr_valid, lcr_vc})
  );

  // Ejection: a packet record is made when its tail crosses to L, and
  // enters the queue ST cycles later (arrival E = s + ST, visible E + 1).
  logic [FLIT_BITS-1:0] rec_d, ejp_d;
  logic [NFB-1:0] rec_nf, ejp_nf;
  logic rec_valid, ejp_valid, mis;
  logic [IW-1:0] rec_i;  // the input VC of the flit crossing to L
  always_comb begin
    rec_i = g_i[L];
    rec_valid = g_tail[L];
    rec_d = g_h[L] ? g_d[L] : asm_data[rec_i];
    rec_nf = g_h[L] ? NFB'(1) : asm_n[rec_i] + 1'b1;
    // Body flits of the test NI carry their index: check the order.
    mis = g_valid[L] && !g_h[L] && g_d[L][PLB+:NFB] != asm_n[rec_i];
  end
  pipe #(
      .WIDTH(1 + NFB),
      .DEPTH(ST)
  ) u_ejc (
      .clk,
      .rst_n,
      .d({rec_valid, rec_nf}),
      .q({ejp_valid, ejp_nf})
  );
  pipe #(
      .WIDTH(FLIT_BITS),
      .DEPTH(ST)
  ) u_ejd (
      .clk,
      .rst_n,
      .d(rec_d),
      .q(ejp_d)
  );
  assign ej_valid = eq_n != 0;
  assign ej_data = eq_d[eq_head];
  assign ej_nflits = eq_nf[eq_head];

  // ---- next state ------------------------------------------------------------
  logic [NV-1:0] wr_en, wr_h, wr_t;
  logic [FLIT_BITS-1:0] wr_d[NV];
  vcstate_t state_n[NV];
  logic [TW-1:0] tq_n[NV];
  logic [DW-1:0] cnt_n[NV];
  always_comb begin
    for (int i = 0; i < NV; i++) begin
      logic arrive;  // a network flit, present from the next cycle
      if (i < VCS) begin
        wr_en[i] = ni_wr && ni_sel == VCW'(i);
        wr_h[i] = ni_head;
        wr_t[i] = ni_tail;
        wr_d[i] = ni_d;
      end else begin
        wr_en[i] = in_valid[i/VCS] && in_vc[(i/VCS-1)*VCW+:VCW] == VCW'(i % VCS);
        wr_h[i] = in_head[i/VCS];
        wr_t[i] = in_tail[i/VCS];
        wr_d[i] = in_data[(i/VCS-1)*FLIT_BITS+:FLIT_BITS];
      end
      arrive = i >= VCS && wr_en[i];
      state_n[i] = e_state[i];
      tq_n[i] = e_t[i] != 0 ? e_t[i] - 1'b1 : '0;
      cnt_n[i] = e_cnt[i] - DW'(gnt[i]) + DW'(arrive);
      if (va_win[i]) begin
        state_n[i] = ACTIVE;
        tq_n[i] = VC_DELAY > 0 ? TW'(VC_DELAY - 1) : '0;
      end
      if (gnt[i] && e_tl[i]) begin
        // The next packet's head, if any, routes from the next cycle on.
        state_n[i] = cnt_n[i] != 0 ? VA_WAIT : IDLE;
        tq_n[i] = TW'(ROUTE_DELAY);
      end
      if (state_n[i] == IDLE && arrive) begin
        state_n[i] = VA_WAIT;
        tq_n[i] = TW'(ROUTE_DELAY);
      end
    end
  end

  always_ff @(posedge clk) begin
    for (int i = 0; i < NV; i++)
      if (wr_en[i]) begin
        buf_d[i][wrp[i]] <= wr_d[i];
        buf_h[i][wrp[i]] <= wr_h[i];
        buf_t[i][wrp[i]] <= wr_t[i];
      end
    if (iq_push) begin
      iq_pl[IQA'((int'(iq_head) + int'(iq_n)) % OUT_FIFO)] <= inj_payload;
      iq_hdr[IQA'((int'(iq_head) + int'(iq_n)) % OUT_FIFO)] <= {inj_dst_x, inj_dst_y, inj_nflits};
    end
    if (ejp_valid) begin
      eq_d[EQA'((int'(eq_head) + int'(eq_n)) % IN_FIFO)] <= ejp_d;
      eq_nf[EQA'((int'(eq_head) + int'(eq_n)) % IN_FIFO)] <= ejp_nf;
    end
    if (g_valid[L]) begin
      if (g_h[L]) asm_data[rec_i] <= g_d[L];
      asm_n[rec_i] <= rec_nf;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      for (int i = 0; i < NV; i++) begin
        rdp[i] <= '0;
        wrp[i] <= '0;
        cnt[i] <= '0;
        state[i] <= IDLE;
        tq[i] <= '0;
        outq[i] <= '0;
        ovcq[i] <= '0;
      end
      for (int o = 0; o < P; o++) begin
        for (int w = 0; w < VCS; w++) credit[o][w] <= DW'(D);
        ovc_busy[o] <= '0;
        rr_va[o] <= '0;
        rr_in[o] <= '0;
        rr_out[o] <= '0;
        st_link[o] <= '0;
      end
      iq_head <= '0;
      iq_n <= '0;
      ni_busy <= 0;
      ni_vc <= '0;
      ni_seq <= '0;
      lowned <= '0;
      for (int v = 0; v < VCS; v++) lcred[v] <= DW'(D);
      eq_head <= '0;
      eq_n <= '0;
      occ <= '0;
      st_xbar <= '0;
      st_bufw <= '0;
      st_mis <= '0;
    end else begin
      for (int i = 0; i < NV; i++) begin
        if (wr_en[i]) wrp[i] <= wrp[i] == AW'(D - 1) ? '0 : wrp[i] + 1'b1;
        if (gnt[i]) rdp[i] <= rdp[i] == AW'(D - 1) ? '0 : rdp[i] + 1'b1;
        cnt[i] <= cnt_n[i];
        state[i] <= state_n[i];
        tq[i] <= tq_n[i];
        if (va_win[i]) begin
          outq[i] <= e_route[i];
          ovcq[i] <= va_ovc[i];
        end
      end
      for (int o = 0; o < P; o++) begin
        rr_va[o] <= rr_va_n[o];
        if (g_valid[o]) begin
          rr_out[o] <= g_port[o] == 3'(P - 1) ? '0 : g_port[o] + 1'b1;
          rr_in[g_port[o]] <= g_vc[o] == VCW'(VCS - 1) ? '0 : g_vc[o] + 1'b1;
          st_link[o] <= st_link[o] + 1;
        end
        if (o != L) begin
          for (int w = 0; w < VCS; w++)
            credit[o][w] <= credit[o][w]
                - DW'(g_valid[o] && g_ovc[o] == VCW'(w))
                + DW'(cr_in_valid[o] && cr_in_vc[(o-1)*VCW+:VCW] == VCW'(w));
          // Taken by VA; released when the tail crosses (free from c + 1).
          ovc_busy[o] <= (ovc_busy[o] | va_take[o]) &
              ~(g_tail[o] ? VCS'(1) << g_ovc[o] : '0);
        end
      end
      // NI
      iq_head <= iq_pop ? (iq_head == IQA'(OUT_FIFO - 1) ? '0 : iq_head + 1'b1) : iq_head;
      iq_n <= iq_n + IQW'(iq_push) - IQW'(iq_pop);
      if (ni_can) begin
        ni_busy <= !(ni_wr && ni_tail);
        ni_vc <= ni_sel;
        ni_seq <= ni_wr ? (ni_tail ? '0 : ni_cur + 1'b1) : ni_cur;
        lowned[ni_sel] <= !(ni_wr && ni_tail);
      end
      for (int v = 0; v < VCS; v++)
        lcred[v] <= lcred[v] - DW'(ni_wr && ni_sel == VCW'(v))
            + DW'(lcr_valid && lcr_vc == VCW'(v));
      // Ejection queue: occ counts reserved + arrived slots.
      eq_head <= pop_ok ? (eq_head == EQA'(IN_FIFO - 1) ? '0 : eq_head + 1'b1) : eq_head;
      eq_n <= eq_n + EQW'(ejp_valid) - EQW'(pop_ok);
      occ <= occ + va_res - EQW'(pop_ok);
      // Statistics.
      st_xbar <= st_xbar + 32'($countones(g_valid));
      st_bufw <= st_bufw + 32'($countones(wr_en));
      st_mis <= st_mis + 32'(mis);
    end
  end

  always_comb begin
    case (stat_sel)
      4'd0, 4'd2: stat_val = st_xbar;  // every crossbar flit is a buffer read
      4'd1: stat_val = st_bufw;
      4'd3: stat_val = st_link[0];
      4'd4: stat_val = st_link[1];
      4'd5: stat_val = st_link[2];
      4'd6: stat_val = st_link[3];
      4'd7: stat_val = st_link[4];
      4'd8: stat_val = st_mis;
      default: stat_val = '0;
    endcase
  end
endmodule
