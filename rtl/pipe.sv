// pipe.sv: a delay line of DEPTH registers (DEPTH = 0: a wire).
//
// Every latency of the NoC specification (switch and crossbar traversal,
// link traversal, credit return) is one of these: a stage delay is a
// latency, not an occupancy, so a new word enters every cycle.  Invariant:
// q in cycle c is d of cycle c - DEPTH (zero for the first DEPTH cycles
// after reset, so a valid bit in the word starts cleared).
module pipe #(
    parameter int WIDTH = 1,
    parameter int DEPTH = 1
) (
    input  logic             clk,
    input  logic             rst_n,
    input  logic [WIDTH-1:0] d,
    output logic [WIDTH-1:0] q
);
  if (DEPTH == 0) begin : g_wire
    assign q = d;
    wire unused_clk = &{1'b0, clk, rst_n};
  end else begin : g_regs
    logic [WIDTH-1:0] r[DEPTH];
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        for (int k = 0; k < DEPTH; k++) r[k] <= '0;
      end else begin
        r[0] <= d;
        for (int k = 1; k < DEPTH; k++) r[k] <= r[k-1];
      end
    end
    assign q = r[DEPTH-1];
  end
endmodule
