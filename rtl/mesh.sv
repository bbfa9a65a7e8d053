// mesh.sv: a W x H mesh of routers (router.sv) joined by links, the
// SystemVerilog counterpart of sim/noc.c (docs/NOC.md).
//
// Node n = y * W + x; y grows southwards.  Output port E of router (x, y)
// drives input port W of router (x + 1, y) through LINK_DELAY registers,
// and that router's credits for its input W come back through
// CREDIT_DELAY - 1 registers (the router adds the last cycle: see
// router.sv).  Ports at the edge of the mesh are tied off: XY routing never
// uses them.  Every node has its injection and ejection interface, one
// slice of the packed per-node ports below; stat_node/stat_sel read one
// router's statistics counter (combinational).
module mesh #(
    parameter int W = saccade_pkg::DEF_MESH_W,
    parameter int H = saccade_pkg::DEF_MESH_H,
    parameter int VCS = saccade_pkg::DEF_VCS,
    parameter int BUFFER_DEPTH = saccade_pkg::DEF_BUFFER_DEPTH,
    parameter int FLIT_BITS = saccade_pkg::DEF_FLIT_BITS,
    parameter int ROUTE_DELAY = saccade_pkg::DEF_ROUTE_DELAY,
    parameter int VC_DELAY = saccade_pkg::DEF_VC_DELAY,
    parameter int SWITCH_DELAY = saccade_pkg::DEF_SWITCH_DELAY,
    parameter int XBAR_DELAY = saccade_pkg::DEF_XBAR_DELAY,
    parameter int LINK_DELAY = saccade_pkg::DEF_LINK_DELAY,
    parameter int CREDIT_DELAY = saccade_pkg::DEF_CREDIT_DELAY,
    parameter int IN_FIFO = saccade_pkg::DEF_IN_FIFO,
    parameter int OUT_FIFO = saccade_pkg::DEF_OUT_FIFO,
    localparam int N = W * H,
    localparam int NW = N > 1 ? $clog2(N) : 1,
    localparam int CB = saccade_pkg::COORD_BITS,
    localparam int NFB = saccade_pkg::NFLITS_BITS,
    localparam int PLB = saccade_pkg::PAYLOAD_BITS
) (
    input logic clk,
    input logic rst_n,

    input  logic [N-1:0]          inj_valid,
    output logic [N-1:0]          inj_ready,
    input  logic [N-1:0][ CB-1:0] inj_dst_x,
    input  logic [N-1:0][ CB-1:0] inj_dst_y,
    input  logic [N-1:0][NFB-1:0] inj_nflits,
    input  logic [N-1:0][PLB-1:0] inj_payload,

    output logic [N-1:0]                ej_valid,
    output logic [N-1:0][FLIT_BITS-1:0] ej_data,
    output logic [N-1:0][      NFB-1:0] ej_nflits,
    input  logic [N-1:0]                ej_pop,

    input  logic [NW-1:0] stat_node,
    input  logic [   3:0] stat_sel,
    output logic [  31:0] stat_val
);
  localparam int VCW = VCS > 1 ? $clog2(VCS) : 1;
  localparam int FW = 3 + VCW + FLIT_BITS;  // valid, head, tail, vc, data
  localparam int CW = 1 + VCW;  // credit: valid, vc

  // Per router and port (1 = N .. 4 = W): what it sends and receives.
  logic [4:1][FW-1:0] tx[N], rx[N];  // flits
  logic [4:1][CW-1:0] ctx[N], crx[N];  // credits for rx / for tx
  logic [31:0] sv[N];

  for (genvar y = 0; y < H; y++) begin : g_y
    for (genvar x = 0; x < W; x++) begin : g_x
      localparam int n = y * W + x;
      logic [4:1] ov, oh, ot, crv, cri;
      logic [4:1][VCW-1:0] ovc, crvc, crivc;
      logic [4:1][FLIT_BITS-1:0] od;
      logic [4:1] ov_in, oh_in, ot_in;
      logic [4:1][VCW-1:0] ovc_in;
      logic [4:1][FLIT_BITS-1:0] od_in;

      router #(
          .VCS(VCS),
          .BUFFER_DEPTH(BUFFER_DEPTH),
          .FLIT_BITS(FLIT_BITS),
          .ROUTE_DELAY(ROUTE_DELAY),
          .VC_DELAY(VC_DELAY),
          .SWITCH_DELAY(SWITCH_DELAY),
          .XBAR_DELAY(XBAR_DELAY),
          .CREDIT_DELAY(CREDIT_DELAY),
          .IN_FIFO(IN_FIFO),
          .OUT_FIFO(OUT_FIFO)
      ) u_router (
          .clk,
          .rst_n,
          .my_x(CB'(x)),
          .my_y(CB'(y)),
          .in_valid(ov_in),
          .in_head(oh_in),
          .in_tail(ot_in),
          .in_vc(ovc_in),
          .in_data(od_in),
          .cr_out_valid(crv),
          .cr_out_vc(crvc),
          .out_valid(ov),
          .out_head(oh),
          .out_tail(ot),
          .out_vc(ovc),
          .out_data(od),
          .cr_in_valid(cri),
          .cr_in_vc(crivc),
          .inj_valid(inj_valid[n]),
          .inj_ready(inj_ready[n]),
          .inj_dst_x(inj_dst_x[n]),
          .inj_dst_y(inj_dst_y[n]),
          .inj_nflits(inj_nflits[n]),
          .inj_payload(inj_payload[n]),
          .ej_valid(ej_valid[n]),
          .ej_data(ej_data[n]),
          .ej_nflits(ej_nflits[n]),
          .ej_pop(ej_pop[n]),
          .stat_sel,
          .stat_val(sv[n])
      );

      for (genvar p = 1; p <= 4; p++) begin : g_port
        assign tx[n][p] = {ov[p], oh[p], ot[p], ovc[p], od[p]};
        assign ctx[n][p] = {crv[p], crvc[p]};
        assign {ov_in[p], oh_in[p], ot_in[p], ovc_in[p], od_in[p]} = rx[n][p];
        assign {cri[p], crivc[p]} = crx[n][p];
        // The neighbour on port p, and the port it sees us on.
        localparam bit has = p == 1 ? y > 0 : p == 2 ? x < W - 1 : p == 3 ? y < H - 1 : x > 0;
        localparam int m = p == 1 ? n - W : p == 2 ? n + 1 : p == 3 ? n + W : n - 1;
        localparam int q = p == 1 ? 3 : p == 2 ? 4 : p == 3 ? 1 : 2;
        if (has) begin : g_link
          pipe #(
              .WIDTH(FW),
              .DEPTH(LINK_DELAY)
          ) u_link (
              .clk,
              .rst_n,
              .d(tx[m][q]),
              .q(rx[n][p])
          );
          pipe #(
              .WIDTH(CW),
              .DEPTH(CREDIT_DELAY - 1)
          ) u_credit (
              .clk,
              .rst_n,
              .d(ctx[m][q]),
              .q(crx[n][p])
          );
        end else begin : g_edge
          assign rx[n][p] = '0;
          assign crx[n][p] = '0;
          // Nothing leaves the mesh (XY routing stays inside it).
          wire unused_edge = &{1'b0, tx[n][p], ctx[n][p]};
        end
      end
    end
  end

  assign stat_val = int'(stat_node) < N ? sv[stat_node] : '0;
endmodule
