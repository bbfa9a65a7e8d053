// chip.sv: the whole accelerator: a W x H mesh (mesh.sv) with a PE (pe.sv)
// at every node and the global step sequencer, cycle for cycle
// sac_sim_run of sim/sim.c (docs/ARCHITECTURE.md, "Steps and their
// synchronisation").
//
// Per step of window w the sequencer runs three phases:
//
//   TRAFFIC  every cycle: sources offer (spike units), sinks take
//            (datapaths), the NoC advances.  The phase ends in the first
//            cycle t in which, after this cycle's offers and takes, no
//            source has anything left and the NoC holds no packet
//            (outstanding = packets sent - packets popped, as
//            sac_noc_busy); the step's end is then e = max(t, every sink's
//            done cycle) (WAIT covers the cycles between);
//   BARRIER  cycles e .. e + SYNC_DELAY - 1 (cycle e is the one that found
//            the end);
//   UPDATE   the slowest updating PE's ceil(n / LANES) + PIPELINE cycles;
//            the next step's TRAFFIC starts right after.
//
// The run starts with `start` (cycle 0 is the first TRAFFIC cycle) and
// stops in DONE, where `cycle` is the latency sac_sim_run reports.  Which
// layer fires or integrates in which window, the windows' steps and
// every PE's region are configuration written through cfg_* before the
// run (cfg_node = 16'hFFFF addresses the sequencer); only the target's
// sizes are parameters, so one build runs any network that fits the
// target.  rd_* reads PE counters and potentials, and router statistics
// (docs/RTL.md, "Address map").
//
// Invariants: outstanding >= 0 and is 0 outside TRAFFIC; in DONE nothing
// changes any more.
module chip #(
    parameter int W = saccade_pkg::DEF_MESH_W,
    parameter int H = saccade_pkg::DEF_MESH_H,
    parameter int VCS = saccade_pkg::DEF_VCS,
    parameter int BUFFER_DEPTH = saccade_pkg::DEF_BUFFER_DEPTH,
    parameter int ROUTE_DELAY = saccade_pkg::DEF_ROUTE_DELAY,
    parameter int VC_DELAY = saccade_pkg::DEF_VC_DELAY,
    parameter int SWITCH_DELAY = saccade_pkg::DEF_SWITCH_DELAY,
    parameter int XBAR_DELAY = saccade_pkg::DEF_XBAR_DELAY,
    parameter int LINK_DELAY = saccade_pkg::DEF_LINK_DELAY,
    parameter int CREDIT_DELAY = saccade_pkg::DEF_CREDIT_DELAY,
    parameter int IN_FIFO = saccade_pkg::DEF_IN_FIFO,
    parameter int OUT_FIFO = saccade_pkg::DEF_OUT_FIFO,
    parameter int NEURONS = 4096,
    parameter int WEIGHT_BYTES = 8192,
    parameter int WEIGHT_WIDTH = 8,
    parameter int LANES = 8,
    parameter int ROUTE_ENTRIES = 64,
    parameter int PIPELINE = 3,
    parameter int SYNC_DELAY = 32,
    parameter int MAX_STEPS = 4096,
    parameter int MAX_WINDOWS = 256,
    localparam int N = W * H,
    localparam int NW = N > 1 ? $clog2(N) : 1,
    localparam int WINW = MAX_WINDOWS > 1 ? $clog2(MAX_WINDOWS) : 1,
    localparam int CB = saccade_pkg::COORD_BITS,
    localparam int NFB = saccade_pkg::NFLITS_BITS,
    localparam int PLB = saccade_pkg::PAYLOAD_BITS,
    localparam int FB = saccade_pkg::FLIT_BITS
) (
    input logic clk,
    input logic rst_n,

    // Host configuration and readback.
    input  logic        cfg_valid,
    input  logic [15:0] cfg_node,
    input  logic [31:0] cfg_addr,
    input  logic [63:0] cfg_data,
    input  logic [15:0] rd_node,
    input  logic [31:0] rd_addr,
    output logic [63:0] rd_data,

    // Run control and state.
    input  logic        start,
    output logic        ready,   // every PE cleared after reset
    output logic        done,
    output logic [63:0] cycle,
    output logic [31:0] gstep,
    output logic [15:0] window,
    output logic [ 2:0] phase,

    // Per node, this cycle: a spike record (neuron), a packet sent, taken.
    output logic [N-1:0]       spk_valid,
    output logic [N-1:0][31:0] spk_neuron,
    output logic [N-1:0]       ev_out,
    output logic [N-1:0]       ev_in
);
  if (SYNC_DELAY < 1 || MAX_WINDOWS < 1) begin : g_bad
    $error("chip: parameter out of range");
  end

  localparam logic [2:0] S_IDLE = 3'd0, S_TRAFFIC = 3'd1, S_WAIT = 3'd2;
  localparam logic [2:0] S_BARRIER = 3'd3, S_UPDATE = 3'd4, S_DONE = 3'd5;

  // ---- mesh ------------------------------------------------------------------
  logic [N-1:0] inj_valid, inj_ready, ej_valid, ej_pop;
  logic [N-1:0][CB-1:0] inj_dst_x, inj_dst_y;
  logic [N-1:0][NFB-1:0] inj_nflits;
  logic [N-1:0][PLB-1:0] inj_payload;
  logic [N-1:0][FB-1:0] ej_data;
  logic [N-1:0][NFB-1:0] ej_nflits;
  logic [31:0] stat_val;
  mesh #(
      .W(W),
      .H(H),
      .VCS(VCS),
      .BUFFER_DEPTH(BUFFER_DEPTH),
      .ROUTE_DELAY(ROUTE_DELAY),
      .VC_DELAY(VC_DELAY),
      .SWITCH_DELAY(SWITCH_DELAY),
      .XBAR_DELAY(XBAR_DELAY),
      .LINK_DELAY(LINK_DELAY),
      .CREDIT_DELAY(CREDIT_DELAY),
      .IN_FIFO(IN_FIFO),
      .OUT_FIFO(OUT_FIFO)
  ) u_mesh (
      .clk,
      .rst_n,
      .inj_valid,
      .inj_ready,
      .inj_dst_x,
      .inj_dst_y,
      .inj_nflits,
      .inj_payload,
      .ej_valid,
      .ej_data,
      .ej_nflits,
      .ej_pop,
      .stat_node(NW'(rd_node)),
      .stat_sel(rd_addr[3:0]),
      .stat_val
  );
  // Spikes are one flit; the ejection length is always 1.
  wire unused_nflits = &{1'b0, ej_nflits};

  // ---- sequencer state -----------------------------------------------------------
  logic [2:0] st;
  logic trf_first, upd_first;
  logic [15:0] win, stp, nwin;
  logic [15:0] steps[MAX_WINDOWS];
  logic [31:0] ctr;
  logic [63:0] cyc;
  logic [31:0] gs;
  int outstanding;

  // ---- PEs -----------------------------------------------------------------------
  logic [N-1:0] is_src, is_sink, src_left, pending, clr_busy;
  logic [N-1:0][31:0] upd_cycles;
  logic [63:0] pe_rd[N];
  logic trf, upd;
  logic [15:0] steps_w;
  assign trf = st == S_TRAFFIC;
  assign upd = st == S_UPDATE;
  assign steps_w = int'(win) < MAX_WINDOWS ? steps[WINW'(win)] : '0;
  for (genvar i = 0; i < N; i++) begin : g_pe
    logic [31:0] tr_spikes, tr_pout, tr_pin;
    pe #(
        .NEURONS(NEURONS),
        .WEIGHT_BYTES(WEIGHT_BYTES),
        .WEIGHT_WIDTH(WEIGHT_WIDTH),
        .LANES(LANES),
        .ROUTE_ENTRIES(ROUTE_ENTRIES),
        .PIPELINE(PIPELINE),
        .MAX_STEPS(MAX_STEPS)
    ) u_pe (
        .clk,
        .rst_n,
        .cfg_we(cfg_valid && cfg_node == 16'(i)),
        .cfg_addr,
        .cfg_data,
        .rd_addr,
        .rd_data(pe_rd[i]),
        .clr_busy(clr_busy[i]),
        .trf,
        .trf_first,
        .upd,
        .upd_first,
        .win,
        .stp,
        .steps_w,
        .is_src(is_src[i]),
        .is_sink(is_sink[i]),
        .src_left(src_left[i]),
        .pending(pending[i]),
        .upd_cycles(upd_cycles[i]),
        .inj_valid(inj_valid[i]),
        .inj_ready(inj_ready[i]),
        .inj_dst_x(inj_dst_x[i]),
        .inj_dst_y(inj_dst_y[i]),
        .inj_payload(inj_payload[i]),
        .ej_valid(ej_valid[i]),
        .ej_data(ej_data[i]),
        .ej_pop(ej_pop[i]),
        .spk_valid(spk_valid[i]),
        .spk_neuron(spk_neuron[i]),
        .tr_spikes,
        .tr_pout,
        .tr_pin
    );
    assign inj_nflits[i] = NFB'(1);
    // The harness counts ev_out/ev_in itself; the running counts are for
    // waveform viewers (--trace of a Verilator build with tracing).
    wire unused_tr = &{1'b0, tr_spikes, tr_pout, tr_pin, is_src[i]};
  end
  assign ev_out = inj_valid & inj_ready;
  assign ev_in = ej_pop;

  // ---- sequencer -------------------------------------------------------------------
  logic over, pend, last_step;
  logic [31:0] upd_max;
  int nsend, npop;
  always_comb begin
    nsend = $countones(inj_valid & inj_ready);
    npop = $countones(ej_pop);
    over = src_left == '0 && outstanding + nsend - npop == 0;
    pend = (pending & is_sink) != '0;
    upd_max = '0;
    for (int i = 0; i < N; i++) if (upd_cycles[i] > upd_max) upd_max = upd_cycles[i];
    last_step = stp + 1'b1 == steps_w && win + 1'b1 == nwin;
  end

  always_ff @(posedge clk) begin
    if (cfg_valid && cfg_node == 16'hffff) begin
      if (cfg_addr[31:24] == 8'h00 && cfg_addr[23:0] == 24'd0) nwin <= cfg_data[15:0];
      if (cfg_addr[31:24] == 8'h01 && int'(cfg_addr[23:0]) < MAX_WINDOWS)
        steps[WINW'(cfg_addr[23:0])] <= cfg_data[15:0];
    end
  end

  always_ff @(posedge clk) begin
    logic fin, go_upd;  // the step's end found; the update starts next
    if (!rst_n) begin
      st <= S_IDLE;
      trf_first <= 0;
      upd_first <= 0;
      win <= '0;
      stp <= '0;
      ctr <= '0;
      cyc <= '0;
      gs <= '0;
      outstanding <= 0;
    end else begin
      fin = 0;
      go_upd = 0;
      outstanding <= outstanding + nsend - npop;
      if (st != S_IDLE && st != S_DONE) cyc <= cyc + 1'b1;
      trf_first <= 0;
      upd_first <= 0;
      case (st)
        S_IDLE:
        if (start) begin
          st <= nwin == 0 ? S_DONE : S_TRAFFIC;
          trf_first <= 1;
          cyc <= '0;
        end
        S_TRAFFIC:
        if (over) begin
          if (pend) st <= S_WAIT;
          else fin = 1;
        end
        S_WAIT: if (!pend) fin = 1;
        S_BARRIER:
        if (ctr == 0) go_upd = 1;
        else ctr <= ctr - 1'b1;
        S_UPDATE:
        if (ctr != 0) ctr <= ctr - 1'b1;
        else begin
          // The next step, window or the end.
          gs <= gs + 1'b1;
          trf_first <= 1;
          st <= last_step ? S_DONE : S_TRAFFIC;
          if (stp + 1'b1 < steps_w) stp <= stp + 1'b1;
          else begin
            stp <= '0;
            win <= win + 1'b1;
          end
        end
        default: ;
      endcase
      if (fin) begin
        if (SYNC_DELAY > 1) begin
          st <= S_BARRIER;
          ctr <= 32'(SYNC_DELAY - 2);
        end else go_upd = 1;
      end
      if (go_upd) begin
        // ramp: some layer always integrates, so upd_max > 0.
        st <= S_UPDATE;
        upd_first <= 1;
        ctr <= upd_max != 0 ? upd_max - 1'b1 : '0;
      end
    end
  end

  assign ready = clr_busy == '0;
  assign done = st == S_DONE;
  assign cycle = cyc;
  assign gstep = gs;
  assign window = win;
  assign phase = st;
  always_comb begin
    if (rd_addr[31:24] == 8'h12) rd_data = 64'(stat_val);
    else if (int'(rd_node) < N) rd_data = pe_rd[NW'(rd_node)];
    else rd_data = '0;
  end
endmodule
