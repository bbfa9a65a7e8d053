// pe.sv: one processing element in spiking mode, ramp micro-architecture,
// cycle for cycle the PE of sim/sim.c (docs/ARCHITECTURE.md, "The chip").
//
// The PE has three engines, each active only in its phase of the step,
// which the chip's sequencer (chip.sv) announces on trf/upd:
//
//   spike unit (traffic, source layer): walks the step's fire list in
//     order (ramp: the neurons the last update found, ascending; input:
//     the step's bucket loaded by the host).  In the first cycle of the
//     neuron at the head it sets its fired bit, reads and sets its pool
//     chain bits (every level in that cycle) and finds its packets, one per
//     matching routing entry in table order; a neuron without packets is a
//     one-cycle bubble.  Packets are offered to the router's injection
//     queue one per cycle, the first in that same cycle; a refused packet
//     is offered again the next cycle.  spk_valid marks the cycle the
//     neuron's first item is consumed (bubble or first acceptance).
//   datapath (traffic, sink layer): takes the oldest arrived packet when
//     it is free, and is then busy max(1, positions x ceil(G' / LANES))
//     cycles; in each busy cycle after the take it adds one kernel
//     position's row of at most LANES weights to the slopes (accum SRAM).
//     The take cycle decodes the packet and the adds run one cycle behind
//     it, so the last add of a packet lands in its last busy cycle + 1 <=
//     busy + PIPELINE: the PE counts itself done PIPELINE cycles after the
//     last busy cycle, as the simulator's done_at.  The arithmetic is
//     therefore spread over the busy cycles, not applied at once.
//   neuron sweep (update, spiking or readout layer): LANES neurons per
//     cycle, ceil(n / LANES) cycles: phase 1 V += slope (and, at the
//     window's last step, V >= theta puts the neuron on the fire list),
//     phase 2 V += r for neurons that have not fired and V >= theta while
//     steps remain.  The sequencer holds the phase for the slowest PE's
//     ceil(n / LANES) + PIPELINE cycles.
//
// Counters (rd space 0x10) are the simulator's sac_pe_counts, incremented
// by the same events; the host adds what it reads itself (the readout's
// potentials).  Max-pools at the source must be non-overlapping (kernel =
// stride, padding 0: what the mapper of TNAS-ER networks makes): the host
// (sim/chipcfg.c) rejects others.  Configuration is loaded at run time
// through cfg_* (address map in docs/RTL.md); only the SRAM sizes and the
// datapath width are parameters.  v, slope, fired and pool bits are
// cleared LANES words per cycle after reset (clr_busy), while the host
// loads the rest.
//
// Invariants: 0 <= fp <= fend <= n; the datapath's remaining busy count
// bcnt <= dcnt (done count) and both count down to 0; a neuron in progress
// (inprog) has at least one packet left in mask_r.
module pe #(
    parameter int NEURONS = 4096,
    parameter int WEIGHT_BYTES = 8192,
    parameter int WEIGHT_WIDTH = 8,
    parameter int LANES = 8,
    parameter int ROUTE_ENTRIES = 64,
    parameter int PIPELINE = 3,
    parameter int MAX_STEPS = 4096,
    localparam int KMAX = 16,  // largest kernel side the datapath walks
    localparam int MAXP = 8,  // = SAC_MAX_POOLS
    localparam int CB = saccade_pkg::COORD_BITS,
    localparam int PLB = saccade_pkg::PAYLOAD_BITS,
    localparam int FB = saccade_pkg::FLIT_BITS,
    localparam int RW = ROUTE_ENTRIES > 1 ? $clog2(ROUTE_ENTRIES) : 1
) (
    input logic clk,
    input logic rst_n,

    // Host: configuration writes and combinational reads (docs/RTL.md).
    input  logic        cfg_we,
    input  logic [31:0] cfg_addr,
    input  logic [63:0] cfg_data,
    input  logic [31:0] rd_addr,
    output logic [63:0] rd_data,
    output logic        clr_busy,

    // Sequencer: the phase of this cycle and the current window and step.
    input  logic        trf,
    input  logic        trf_first,
    input  logic        upd,
    input  logic        upd_first,
    input  logic [15:0] win,
    input  logic [15:0] stp,
    input  logic [15:0] steps_w,
    output logic        is_src,
    output logic        is_sink,
    output logic        src_left,    // items left after this cycle
    output logic        pending,     // sink: not done in this cycle
    output logic [31:0] upd_cycles,  // this window's update length, or 0

    // Router: injection and ejection.
    output logic           inj_valid,
    input  logic           inj_ready,
    output logic [ CB-1:0] inj_dst_x,
    output logic [ CB-1:0] inj_dst_y,
    output logic [PLB-1:0] inj_payload,
    input  logic           ej_valid,
    input  logic [ FB-1:0] ej_data,
    output logic           ej_pop,

    // Spike records and trace values.
    output logic        spk_valid,
    output logic [31:0] spk_neuron,
    output logic [31:0] tr_spikes,
    output logic [31:0] tr_pout,
    output logic [31:0] tr_pin
);
  if (NEURONS < 1 || WEIGHT_BYTES < 1 || WEIGHT_WIDTH < 1 || LANES < 1 || LANES > NEURONS ||
      ROUTE_ENTRIES < 1 || PIPELINE < 1 || MAX_STEPS < 1) begin : g_bad
    $error("pe: parameter out of range");
  end

  localparam int LAYER_LSB = saccade_pkg::LAYER_LSB, LAYER_W = saccade_pkg::LAYER_W;
  localparam int CHAN_LSB = saccade_pkg::CHAN_LSB, CHAN_W = saccade_pkg::CHAN_W;
  localparam int ROW_LSB = saccade_pkg::ROW_LSB, ROW_W = saccade_pkg::ROW_W;
  localparam int COL_LSB = saccade_pkg::COL_LSB, COL_W = saccade_pkg::COL_W;
  localparam int SW = $clog2(MAX_STEPS + 1);  // bucket start index
  localparam int K_NONE = 0, K_INPUT = 1, K_SPIKING = 2, K_READOUT = 3;

  // ---- memories (behavioural SRAMs sized by the target) ----------------------
  logic signed [31:0] vmem[NEURONS];  // potentials
  logic signed [31:0] smem[NEURONS];  // accumulated values (slopes)
  logic fired[NEURONS];
  logic pbit[NEURONS];  // pool bits of every level (host-assigned bases)
  logic [31:0] fmem[NEURONS];  // fire list (ramp) or input buckets
  logic [31:0] bstart[MAX_STEPS+1];  // input: bucket of step s = [bstart[s], bstart[s+1])
  logic signed [7:0] wmem[WEIGHT_BYTES];
  logic signed [31:0] theta[NEURONS], ramp[NEURONS];  // per local channel

  // ---- configuration registers (space 0) --------------------------------------
  int kind, layer, window, G, W, n, c0, y0, y1, linear;
  int kh, kw, sh, sw, ph, pw, cin_g, cout_g, src_h, src_w, npools, nroutes;
  // pools (space 1): stride, output size, bit base, local rows, first row
  int pl_sh[MAXP], pl_sw[MAXP], pl_h[MAXP], pl_w[MAXP], pl_base[MAXP], pl_rows[MAXP], pl_y0[MAXP];
  // routes (space 2): destination and filter
  logic [CB-1:0] rt_x[ROUTE_ENTRIES], rt_y[ROUTE_ENTRIES];
  int rt_c0[ROUTE_ENTRIES], rt_c1[ROUTE_ENTRIES], rt_y0[ROUTE_ENTRIES], rt_y1[ROUTE_ENTRIES];

  // Counters, in sac_pe_counts order (rd space 0x10).
  localparam int C_WREAD = 0, C_PREAD = 1, C_PWRITE = 2, C_AREAD = 3, C_AWRITE = 4;
  localparam int C_SREAD = 5, C_SWRITE = 6, C_ADD = 7, C_CMP = 9;
  localparam int C_PIN = 11, C_POUT = 12, C_SPIKES = 13, C_SYN = 14, C_ACTIVE = 15;
  localparam int NCNT = 16;
  logic [63:0] cnt[NCNT];

  // ---- which engines this window uses ----------------------------------------
  logic k_in, k_sp, k_ro, is_upd, phase1, last, more;
  int kupd;
  always_comb begin
    k_in = kind == K_INPUT;
    k_sp = kind == K_SPIKING;
    k_ro = kind == K_READOUT;
    is_src = (k_in || k_sp) && window == int'(win);
    is_sink = (k_sp || k_ro) && window == int'(win) + 1;
    is_upd = (k_sp || k_ro) && (window == int'(win) + 1 || (window == int'(win) && k_sp));
    phase1 = window == int'(win) + 1;
    last = int'(stp) == int'(steps_w) - 1 && k_sp;  // phase 1: compare at the last step
    more = int'(stp) + 1 < int'(steps_w);  // phase 2: a neuron may still fire
    kupd = (n + LANES - 1) / LANES;
    upd_cycles = is_upd ? 32'(kupd + PIPELINE) : '0;
  end

  // ---- spike unit ----------------------------------------------------------------
  int fp, fend;  // next list entry, end of this step's list
  int nfire;  // fire list length (ramp)
  logic inprog, recorded;  // a neuron with packets left; its record emitted
  logic [ROUTE_ENTRIES-1:0] mask_r;
  logic [PLB-1:0] pl_r;

  int pl_li;  // local index of the neuron in progress
  int su_fp, su_end, su_li, su_prd, su_pwr;
  logic su_new, su_act, su_acc, su_done, su_inprog_n;
  logic [ROUTE_ENTRIES-1:0] su_mask, cur_mask, rem_mask;
  logic [PLB-1:0] su_pl, cur_pl;
  logic [MAXP-1:0] pset_v;
  int pset_a[MAXP];
  logic [RW-1:0] sel;
  always_comb begin
    int o, pos, y, x, ty, tx, a;
    logic supp;
    {o, pos, y, x, ty, tx, a} = '0;
    su_fp = trf_first ? (k_in ? int'(bstart[SW'(stp)]) : 0) : fp;
    su_end = trf_first ? (k_in ? int'(bstart[SW'(int'(stp) + 1)]) : nfire) : fend;
    su_new = trf && is_src && !inprog && su_fp < su_end;
    su_li = su_new ? int'(fmem[su_fp]) : 0;
    supp = 1;
    su_prd = 0;
    su_pwr = 0;
    pset_v = '0;
    for (int k = 0; k < MAXP; k++) pset_a[k] = 0;
    su_mask = '0;
    su_pl = '0;
    // Only in a neuron's first cycle (also keeps the simulation fast).
    if (su_new) begin
      // The neuron's (channel, row, column) in its layer, then the pool chain.
      o = G > 0 ? su_li % G + c0 : 0;
      pos = G > 0 ? su_li / G : 0;
      y = W > 0 ? pos / W + y0 : 0;
      x = W > 0 ? pos % W : 0;
      supp = 0;
      for (int k = 0; k < MAXP; k++) begin
        if (k < npools && !supp) begin
          ty = y / pl_sh[k];
          tx = x / pl_sw[k];
          if (ty >= pl_h[k] || tx >= pl_w[k]) supp = 1;  // outside every window
          else begin
            a = pl_base[k] + ((o - c0) * pl_rows[k] + ty - pl_y0[k]) * pl_w[k] + tx;
            su_prd++;
            if (pbit[a]) supp = 1;  // the pool neuron fired already
            else begin
              pset_v[k] = 1;
              pset_a[k] = a;
              su_pwr++;
              y = ty;
              x = tx;
            end
          end
        end
      end
      for (int e = 0; e < ROUTE_ENTRIES; e++)
        su_mask[e] = !supp && e < nroutes && o >= rt_c0[e] && o < rt_c1[e] &&
            y >= rt_y0[e] && y < rt_y1[e];
      su_pl[LAYER_LSB+:LAYER_W] = LAYER_W'(layer);
      su_pl[CHAN_LSB+:CHAN_W] = CHAN_W'(o);
      su_pl[ROW_LSB+:ROW_W] = ROW_W'(y);
      su_pl[COL_LSB+:COL_W] = COL_W'(x);
    end
    // Offer the lowest remaining packet.
    su_act = trf && is_src && (inprog || su_new);
    cur_mask = inprog ? mask_r : su_mask;
    cur_pl = inprog ? pl_r : su_pl;
    sel = '0;
    for (int e = ROUTE_ENTRIES - 1; e >= 0; e--) if (cur_mask[e]) sel = RW'(e);
    inj_valid = su_act && cur_mask != 0;
    inj_dst_x = rt_x[sel];
    inj_dst_y = rt_y[sel];
    inj_payload = cur_pl;
    su_acc = inj_valid && inj_ready;
    rem_mask = cur_mask & ~(su_acc ? ROUTE_ENTRIES'(1) << sel : '0);
    su_done = su_act && rem_mask == 0;  // bubble, or the last packet accepted
    su_inprog_n = su_act && rem_mask != 0;
    spk_valid = (su_new && (cur_mask == 0 || su_acc)) || (inprog && !recorded && su_acc);
    spk_neuron = su_new ? su_li : int'(pl_li);
    src_left = is_src && trf && ((su_fp + int'(su_done)) < su_end || su_inprog_n);
  end

  // ---- datapath ------------------------------------------------------------------
  // Decode in the take cycle: which kernel rows (vy) and columns (vx) land
  // in the region (they are independent), the channels G' the input
  // channel feeds, and from them the busy cycles and the counts.
  int bcnt, dcnt;  // cycles until free / done, from this cycle
  logic take;
  int tk_c, tk_y, tk_x, tk_gp, tk_olo, tk_ci, tk_cyc, tk_ops, tk_wr, tk_row;
  logic [KMAX-1:0] tk_vy, tk_vx;
  always_comb begin
    int ty, tx, ny, nx, grp, ohi, chunks;
    {ty, tx, ny, nx, grp, ohi, chunks} = '0;
    tk_c = int'(ej_data[CHAN_LSB+:CHAN_W]);
    tk_y = int'(ej_data[ROW_LSB+:ROW_W]);
    tk_x = int'(ej_data[COL_LSB+:COL_W]);
    tk_vy = '0;
    tk_vx = '0;
    tk_olo = 0;
    tk_ci = 0;
    tk_row = 0;
    ny = 0;
    nx = 0;
    tk_gp = 0;
    if (!(trf && is_sink && ej_valid)) ;  // nothing to decode this cycle
    else if (linear != 0) begin
      tk_gp = G;
      tk_row = ((tk_c * src_h + tk_y) * src_w + tk_x) * G;
      ny = 1;
      nx = 1;
    end else begin
      grp = cin_g > 0 ? tk_c / cin_g : 0;
      tk_ci = cin_g > 0 ? tk_c % cin_g : 0;
      tk_olo = grp * cout_g > c0 ? grp * cout_g : c0;
      ohi = (grp + 1) * cout_g < c0 + G ? (grp + 1) * cout_g : c0 + G;
      tk_gp = ohi - tk_olo;
      for (int k = 0; k < KMAX; k++) begin
        ty = tk_y + ph - k;
        tx = tk_x + pw - k;
        tk_vy[k] = tk_gp > 0 && k < kh && ty >= 0 && ty % sh == 0 && ty / sh >= y0 && ty / sh < y1;
        tk_vx[k] = tk_gp > 0 && k < kw && tx >= 0 && tx % sw == 0 && tx / sw < W;
        ny += int'(tk_vy[k]);
        nx += int'(tk_vx[k]);
      end
    end
    chunks = tk_gp > 0 ? ny * nx * ((tk_gp + LANES - 1) / LANES) : 0;
    tk_cyc = chunks > 0 ? chunks : 1;
    tk_ops = tk_gp > 0 ? ny * nx * tk_gp : 0;
    tk_wr = tk_gp > 0 ? ny * nx * ((tk_gp + WEIGHT_WIDTH - 1) / WEIGHT_WIDTH) : 0;
    take = trf && is_sink && bcnt == 0 && ej_valid;
    ej_pop = take;
    pending = dcnt != 0 || take;
  end

  // Work registers: the packet being applied, the position (ky, kx) and the
  // chunk j of its G' channels.
  logic dp_on, dp_lin;
  int dp_y, dp_x, dp_gp, dp_olo, dp_ci, dp_row, dp_ky, dp_kx, dp_j;
  logic [KMAX-1:0] dp_vy, dp_vx;
  // The next position after (dp_ky, dp_kx): kx moves first.
  logic nx_ok, ny_ok, dp_more;
  int nx_k, ny_k, fx_k;
  always_comb begin
    nx_ok = 0;
    ny_ok = 0;
    nx_k = 0;
    ny_k = 0;
    fx_k = 0;
    for (int k = KMAX - 1; k >= 0; k--) begin
      if (dp_on) begin
        if (dp_vx[k] && k > dp_kx) begin
          nx_ok = 1;
          nx_k = k;
        end
        if (dp_vy[k] && k > dp_ky) begin
          ny_ok = 1;
          ny_k = k;
        end
        if (dp_vx[k]) fx_k = k;
      end
    end
    dp_more = dp_j + LANES < dp_gp || (!dp_lin && (nx_ok || ny_ok));
  end

  // ---- sweep ----------------------------------------------------------------------
  int ui, uo;  // next neuron, its local channel

  // ---- counter increments of this cycle (the engines never share a cycle
  // in one PE: a layer is a source in its window, a sink in the next) ----
  logic [63:0] inc[NCNT];
  always_comb begin
    int bsz;
    for (int k = 0; k < NCNT; k++) inc[k] = '0;
    bsz = trf_first && is_src && k_in ? int'(bstart[SW'(int'(stp) + 1)]) - int'(bstart[SW'(stp)]) : 0;
    inc[C_SREAD] = 64'(bsz);
    if (su_new) begin
      inc[C_SPIKES] = 1;
      inc[C_SWRITE] = 64'(su_pwr) + 1;
      inc[C_SREAD] = 64'(bsz) + 64'(su_prd);
    end
    if (su_acc) inc[C_POUT] = 1;
    if (su_acc || (su_act && cur_mask == 0)) inc[C_ACTIVE] = 1;  // a packet or a bubble
    if (take) begin
      inc[C_WREAD] = 64'(tk_wr);
      inc[C_AREAD] = 64'(tk_ops);
      inc[C_AWRITE] = 64'(tk_ops);
      inc[C_ADD] = 64'(tk_ops);
      inc[C_SYN] = 64'(tk_ops);
      inc[C_PIN] = 1;
      inc[C_ACTIVE] = 64'(tk_cyc);
    end
    if (upd && upd_first && is_upd) begin
      inc[C_PREAD] = 64'(n);
      inc[C_PWRITE] = 64'(n);
      inc[C_ADD] = 64'(n);
      inc[C_ACTIVE] = 64'(kupd);
      if (phase1) begin
        inc[C_AREAD] = 64'(n);
        if (last) inc[C_CMP] = 64'(n);
      end else begin
        inc[C_SREAD] = 64'(n);
        inc[C_CMP] = 64'(n);
      end
    end
  end

  // ---- host reads -----------------------------------------------------------------
  always_comb begin
    rd_data = '0;
    case (rd_addr[31:24])
      8'h10: if (int'(rd_addr[23:0]) < NCNT) rd_data = cnt[rd_addr[3:0]];
      8'h11: if (int'(rd_addr[23:0]) < NEURONS) rd_data = 64'(vmem[int'(rd_addr[23:0])]);
      default: rd_data = '0;
    endcase
  end
  // The sink reads the transmitted coordinates; the layer field names the
  // source layer, which the configuration already fixes (layer src).
  wire unused_ej = &{1'b0, ej_data[FB-1:LAYER_LSB], layer[31:LAYER_W]};
  assign tr_spikes = cnt[C_SPIKES][31:0];
  assign tr_pout = cnt[C_POUT][31:0];
  assign tr_pin = cnt[C_PIN][31:0];

  // ---- clearing after reset ---------------------------------------------------------
  int clr;  // next word to clear
  assign clr_busy = clr < NEURONS;

  // ---- state --------------------------------------------------------------------------
  always_ff @(posedge clk) begin
    int a, i, nf, o, row, dst, oy, ox;
    logic signed [31:0] v;
    if (!rst_n) begin
      kind <= K_NONE;
      clr <= 0;
      fp <= 0;
      fend <= 0;
      nfire <= 0;
      inprog <= 0;
      recorded <= 0;
      bcnt <= 0;
      dcnt <= 0;
      dp_on <= 0;
      for (int k = 0; k < NCNT; k++) cnt[k] <= '0;
    end else begin
      // Host writes (docs/RTL.md, "Address map").
      if (cfg_we) begin
        a = int'(cfg_addr[23:0]);
        case (cfg_addr[31:24])
          8'h00:
          case (a)
            0: kind <= int'(cfg_data[31:0]);
            1: layer <= int'(cfg_data[31:0]);
            2: window <= int'(cfg_data[31:0]);
            3: G <= int'(cfg_data[31:0]);
            4: W <= int'(cfg_data[31:0]);
            5: n <= int'(cfg_data[31:0]);
            6: c0 <= int'(cfg_data[31:0]);
            7: y0 <= int'(cfg_data[31:0]);
            8: y1 <= int'(cfg_data[31:0]);
            9: linear <= int'(cfg_data[31:0]);
            10: kh <= int'(cfg_data[31:0]);
            11: kw <= int'(cfg_data[31:0]);
            12: sh <= int'(cfg_data[31:0]);
            13: sw <= int'(cfg_data[31:0]);
            14: ph <= int'(cfg_data[31:0]);
            15: pw <= int'(cfg_data[31:0]);
            16: cin_g <= int'(cfg_data[31:0]);
            17: cout_g <= int'(cfg_data[31:0]);
            18: src_h <= int'(cfg_data[31:0]);
            19: src_w <= int'(cfg_data[31:0]);
            20: npools <= int'(cfg_data[31:0]);
            21: nroutes <= int'(cfg_data[31:0]);
            default: ;
          endcase
          8'h01:
          if (a / 8 < MAXP)
            case (a % 8)
              0: pl_sh[a/8] <= int'(cfg_data[31:0]);
              1: pl_sw[a/8] <= int'(cfg_data[31:0]);
              2: pl_h[a/8] <= int'(cfg_data[31:0]);
              3: pl_w[a/8] <= int'(cfg_data[31:0]);
              4: pl_base[a/8] <= int'(cfg_data[31:0]);
              5: pl_rows[a/8] <= int'(cfg_data[31:0]);
              6: pl_y0[a/8] <= int'(cfg_data[31:0]);
              default: ;
            endcase
          8'h02:
          if (a / 8 < ROUTE_ENTRIES)
            case (a % 8)
              0: rt_x[a/8] <= cfg_data[CB-1:0];
              1: rt_y[a/8] <= cfg_data[CB-1:0];
              2: rt_c0[a/8] <= int'(cfg_data[31:0]);
              3: rt_c1[a/8] <= int'(cfg_data[31:0]);
              4: rt_y0[a/8] <= int'(cfg_data[31:0]);
              5: rt_y1[a/8] <= int'(cfg_data[31:0]);
              default: ;
            endcase
          8'h03:  // eight weights per word, little end first
          for (int b = 0; b < 8; b++)
            if (a * 8 + b < WEIGHT_BYTES) wmem[a*8+b] <= cfg_data[8*b+:8];
          8'h04: if (a < NEURONS) theta[a] <= cfg_data[31:0];
          8'h05: if (a < NEURONS) ramp[a] <= cfg_data[31:0];
          8'h06: if (a <= MAX_STEPS) bstart[a] <= cfg_data[31:0];
          8'h07: if (a < NEURONS) fmem[a] <= cfg_data[31:0];
          default: ;
        endcase
      end
      if (clr < NEURONS) begin
        for (int l = 0; l < LANES; l++)
          if (clr + l < NEURONS) begin
            vmem[clr+l] <= '0;
            smem[clr+l] <= '0;
            fired[clr+l] <= 0;
            pbit[clr+l] <= 0;
          end
        clr <= clr + LANES;
      end

      for (int k = 0; k < NCNT; k++) cnt[k] <= cnt[k] + inc[k];

      // Spike unit.
      if (su_new) begin
        fired[su_li] <= 1;
        for (int k = 0; k < MAXP; k++) if (pset_v[k]) pbit[pset_a[k]] <= 1;
        pl_r <= su_pl;
        pl_li <= su_li;
      end
      if (trf) begin
        fp <= su_fp + int'(su_done);
        fend <= su_end;
        inprog <= su_inprog_n;
        mask_r <= rem_mask;
        recorded <= su_inprog_n && (recorded && inprog || spk_valid);
      end

      // Datapath: decode on a take, then one (position, chunk) per cycle.
      bcnt <= take ? tk_cyc - 1 : (bcnt != 0 ? bcnt - 1 : 0);
      dcnt <= take ? tk_cyc + PIPELINE - 1 : (dcnt != 0 ? dcnt - 1 : 0);
      // The work step of the packet in the datapath (its last chunk if a
      // new packet is taken in this cycle).
      if (dp_on) begin
        if (dp_lin) begin
          row = dp_row + dp_j;
          dst = dp_j;
        end else begin
          oy = (dp_y + ph - dp_ky) / sh;
          ox = (dp_x + pw - dp_kx) / sw;
          row = ((dp_ci * kh + dp_ky) * kw + dp_kx) * G + dp_olo + dp_j;
          dst = ((oy - y0) * W + ox) * G + dp_olo + dp_j;
        end
        for (int l = 0; l < LANES; l++)
          if (dp_j + l < dp_gp) smem[dst+l] <= smem[dst+l] + 32'(wmem[row+l]);
      end
      if (take) begin
        dp_on <= tk_gp > 0 && (linear != 0 || (tk_vy != 0 && tk_vx != 0));
        dp_lin <= linear != 0;
        dp_y <= tk_y;
        dp_x <= tk_x;
        dp_gp <= tk_gp;
        dp_olo <= tk_olo - c0;
        dp_ci <= tk_ci;
        dp_row <= tk_row;
        dp_vy <= tk_vy;
        dp_vx <= tk_vx;
        dp_j <= 0;
        dp_ky <= 0;
        dp_kx <= 0;
        for (int k = KMAX - 1; k >= 0; k--) begin
          if (tk_vy[k]) dp_ky <= k;
          if (tk_vx[k]) dp_kx <= k;
        end
      end else if (dp_on) begin
        dp_on <= dp_more;
        if (dp_j + LANES < dp_gp) dp_j <= dp_j + LANES;
        else begin
          dp_j <= 0;
          if (nx_ok) dp_kx <= nx_k;
          else begin
            dp_kx <= fx_k;
            dp_ky <= ny_k;
          end
        end
      end

      // Neuron sweep.
      if (upd && is_upd) begin
        i = upd_first ? 0 : ui;
        o = upd_first ? 0 : uo;
        nf = upd_first ? 0 : nfire;
        for (int l = 0; l < LANES; l++)
          if (i + l < n) begin
            if (phase1) begin
              v = vmem[i+l] + smem[i+l];
              vmem[i+l] <= v;
              if (last && v >= theta[o]) begin
                fmem[nf] <= i + l;
                nf++;
              end
            end else if (!fired[i+l]) begin
              v = vmem[i+l] + ramp[o];
              vmem[i+l] <= v;
              if (more && v >= theta[o]) begin
                fmem[nf] <= i + l;
                nf++;
              end
            end
            o = o + 1 == G ? 0 : o + 1;
          end
        ui <= i + LANES;
        uo <= o;
        nfire <= nf;
      end
    end
  end
endmodule
