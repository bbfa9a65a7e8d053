/* svg.c: the PE map as a picture (`saccade map NET.sac --svg MAP.svg`).
 *
 * Draws the mesh as one square per PE at its (x, y) position (y = 0 at the
 * top, as in the NoC's node numbering), filled with a colour per hardware
 * layer, labelled with the layer index and the channel and row range it
 * holds, with a <title> tooltip carrying the full details.  Between
 * neighbouring PEs it draws both directed links, offset from each other,
 * with width and darkness scaled by the link's estimated traffic: the sum
 * of route.traffic over every route whose XY path (x first, then y, as the
 * routers do, docs/NOC.md) crosses that link.  The sum over all links is
 * therefore exactly the map's hop-weighted cost.  A legend lists the
 * layers and the traffic scale.  The output is plain, self-contained SVG
 * text (generic font families only, no scripts, no external references)
 * and depends only on the map, so the same image always gives the same
 * bytes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/map.h"

/* Outgoing link directions of a node; y grows southwards as in noc.h. */
enum { DIR_N, DIR_E, DIR_S, DIR_W, NDIR };

/* Geometry, in SVG user units (pixels at 100%). */
enum {
	CELL = 76,        /* PE square */
	GAP = 38,         /* room between squares for the two links */
	PITCH = CELL + GAP,
	MARGIN = 24,
	HEADER = 64,      /* title lines above the mesh */
	LEGEND_MIN_W = 330, /* legend column right of the mesh, at least */
	LEGEND_ROW = 20
};
#define LINK_OFFSET 7.0   /* distance of each direction from the pair's axis */
#define LINK_MIN_W 1.2    /* stroke width of the lightest used link */
#define LINK_MAX_W 7.0    /* stroke width of the busiest link */

/* A qualitative palette: Tableau 10 with its grey replaced by a cyan (so
 * that no layer looks like an unused PE), plus an olive and a navy, so
 * that a full TNAS-ER (a dozen hardware layers) needs no repeats; it
 * cycles past that, and the "Ln" labels still tell layers apart. */
static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#bcbd22", "#2f4b7c",
};
#define NPALETTE ((int)(sizeof palette / sizeof palette[0]))
#define UNUSED_FILL "#ececec"

static const char *layer_colour(int l)
{
	return palette[l % NPALETTE];
}

/* Black or white text, whichever reads better on the fill (by the
 * perceived luminance of the sRGB value). */
static const char *text_colour(const char *hex)
{
	unsigned r = 0, g = 0, b = 0;
	if (sscanf(hex, "#%2x%2x%2x", &r, &g, &b) != 3)
		return "#000";
	return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#1a1a1a" : "#ffffff";
}

/* Names come from the model's YAML, so they may hold XML specials. */
static void put_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* Control characters are not allowed in XML 1.0 text. */
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

/* Link traffic: link[n * NDIR + d] is what leaves node n towards d, summed
 * over the XY paths of all routes. */
static void link_traffic(const sac_map *m, int64_t *link)
{
	for (int r = 0; r < m->nroutes; r++) {
		const sac_route *R = &m->route[r];
		int a = m->region[R->src_region].pe, b = m->region[R->dst_region].pe;
		int x = a % m->mesh_w, y = a / m->mesh_w;
		int bx = b % m->mesh_w, by = b / m->mesh_w;
		while (x != bx) {
			int d = bx > x ? DIR_E : DIR_W;
			link[(y * m->mesh_w + x) * NDIR + d] += R->traffic;
			x += d == DIR_E ? 1 : -1;
		}
		while (y != by) {
			int d = by > y ? DIR_S : DIR_N;
			link[(y * m->mesh_w + x) * NDIR + d] += R->traffic;
			y += d == DIR_S ? 1 : -1;
		}
	}
}

/* Traffic colour: light grey for the lightest up to near-black for the
 * busiest, so links never compete with the layer colours. */
static void traffic_colour(double f, char *buf, size_t n)
{
	int v = (int)(190.0 - 170.0 * f + 0.5);
	snprintf(buf, n, "#%02x%02x%02x", v, v, v + 8 > 255 ? 255 : v + 8);
}

static double traffic_width(double f)
{
	return LINK_MIN_W + (LINK_MAX_W - LINK_MIN_W) * f;
}

/* One directed link as a line with a filled arrowhead (drawn as a polygon
 * rather than an SVG marker, so that the head takes the line's colour in
 * every renderer). */
static void put_arrow(FILE *f, double x0, double y0, double x1, double y1,
		      int64_t t, int64_t tmax, int W, int from, int to)
{
	if (t == 0) {
		/* Unused links: a hairline, so the mesh stays visible. */
		fprintf(f, "<line class=\"link\" data-from=\"%d\" data-to=\"%d\" "
			"data-traffic=\"0\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#dcdcdc\" stroke-width=\"0.8\"/>\n",
			from, to, x0, y0, x1, y1);
		return;
	}
	double frac = tmax > 0 ? (double)t / (double)tmax : 0.0;
	double w = traffic_width(frac);
	char col[8];
	traffic_colour(frac, col, sizeof col);
	double dx = x1 - x0, dy = y1 - y0;
	double len = dx != 0 ? (dx > 0 ? dx : -dx) : (dy > 0 ? dy : -dy);
	double ux = dx / len, uy = dy / len;      /* unit direction */
	double hl = 5.0 + 1.2 * w, hw = 2.5 + 0.9 * w; /* head length, half width */
	double bx = x1 - ux * hl, by = y1 - uy * hl;   /* base of the head */
	fprintf(f, "<g class=\"link\" data-from=\"%d\" data-to=\"%d\" data-traffic=\"%" PRId64 "\">"
		"<title>link (%d,%d) -&gt; (%d,%d): %" PRId64 " spikes (dense estimate)</title>"
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"%.2f\"/>"
		"<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/></g>\n",
		from, to, t, from % W, from / W, to % W, to / W, t,
		x0, y0, bx + ux * 0.5, by + uy * 0.5, col, w,
		x1, y1, bx - uy * hw, by + ux * hw, bx + uy * hw, by - ux * hw, col);
}

int sac_map_svg(const sac_map *m, const sac_graph *g, FILE *f, sac_err *e)
{
	if (!m || !g || !f || m->mesh_w <= 0 || m->mesh_h <= 0)
		return sac_errf(e, SAC_ERR_USAGE, "sac_map_svg: no map, graph or file");
	int W = m->mesh_w, H = m->mesh_h;
	int64_t *link = calloc((size_t)m->npe * NDIR, sizeof *link);
	int *layer_pes = calloc((size_t)(m->nlayers > 0 ? m->nlayers : 1), sizeof *layer_pes);
	if (!link || !layer_pes) {
		free(link);
		free(layer_pes);
		return sac_errf(e, SAC_ERR_NOMEM, "sac_map_svg: out of memory");
	}
	link_traffic(m, link);
	int64_t tmax = 0, tsum = 0;
	int nlinks_used = 0;
	for (int i = 0; i < m->npe * NDIR; i++) {
		tmax = link[i] > tmax ? link[i] : tmax;
		tsum += link[i];
		nlinks_used += link[i] > 0;
	}
	int used = 0;
	for (int n = 0; n < m->npe; n++) {
		int r = m->pe_region[n];
		if (r >= 0) {
			used++;
			layer_pes[m->region[r].layer]++;
		}
	}

	int mesh_px_w = W * PITCH - GAP, mesh_px_h = H * PITCH - GAP;
	int ox = MARGIN, oy = MARGIN + HEADER;
	int legend_rows = m->nlayers + 11;
	int legend_h = legend_rows * LEGEND_ROW;
	/* Widen the legend for long layer names: about 7.2 units per
	 * character at 12 units, plus the swatch and the "Ln" and PE count. */
	int legend_w = LEGEND_MIN_W;
	for (int l = 0; l < m->nlayers; l++) {
		int need = 22 + (int)(7.2 * (double)(strlen(g->node[m->layer[l].node].name) + 26));
		legend_w = need > legend_w ? need : legend_w;
	}
	int width = ox + mesh_px_w + MARGIN + legend_w + MARGIN;
	int height = oy + (mesh_px_h > legend_h ? mesh_px_h : legend_h) + MARGIN;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
		width, height, width, height);
	fputs("<title>Saccade PE map: ", f);
	put_esc(f, g->name);
	fputs("</title>\n", f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);

	/* Title lines. */
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"%d\" font-size=\"18\" font-weight=\"bold\" fill=\"#1a1a1a\">", MARGIN, MARGIN + 16);
	put_esc(f, g->name);
	fprintf(f, " \xe2\x80\x94 %dx%d mesh, %d of %d PEs used, %d layers, %d routes</text>\n",
		W, H, used, m->npe, m->nlayers, m->nroutes);
	double saved = m->cost_baseline ? 100.0 * (double)(m->cost_baseline - m->cost) /
						  (double)m->cost_baseline
					: 0.0;
	fprintf(f, "<text class=\"subtitle\" x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#444444\">"
		"hop-weighted traffic (dense estimate): baseline %" PRId64 ", optimised %" PRId64
		" (%.1f%% less); XY routing, x first</text>\n",
		MARGIN, MARGIN + 40, m->cost_baseline, m->cost, saved);

	/* Links first, so the PE squares sit on top of any overlap. */
	fputs("<g id=\"links\" stroke-linecap=\"butt\">\n", f);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int n = y * W + x;
			double cx = ox + x * PITCH + CELL / 2.0, cy = oy + y * PITCH + CELL / 2.0;
			if (x + 1 < W) {
				/* Each arrow keeps to its right-hand side of the
				 * pair's axis, like traffic driving on the right. */
				double xa = ox + x * PITCH + CELL + 2, xb = xa + GAP - 4;
				put_arrow(f, xa, cy + LINK_OFFSET, xb, cy + LINK_OFFSET,
					  link[n * NDIR + DIR_E], tmax, W, n, n + 1);
				put_arrow(f, xb, cy - LINK_OFFSET, xa, cy - LINK_OFFSET,
					  link[(n + 1) * NDIR + DIR_W], tmax, W, n + 1, n);
			}
			if (y + 1 < H) {
				double ya = oy + y * PITCH + CELL + 2, yb = ya + GAP - 4;
				put_arrow(f, cx - LINK_OFFSET, ya, cx - LINK_OFFSET, yb,
					  link[n * NDIR + DIR_S], tmax, W, n, n + W);
				put_arrow(f, cx + LINK_OFFSET, yb, cx + LINK_OFFSET, ya,
					  link[(n + W) * NDIR + DIR_N], tmax, W, n + W, n);
			}
		}
	fputs("</g>\n", f);

	/* PEs. */
	static const char *const kind[] = {"input", "spiking", "readout"};
	fputs("<g id=\"pes\">\n", f);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int n = y * W + x, r = m->pe_region[n];
			int px = ox + x * PITCH, py = oy + y * PITCH;
			if (r < 0) {
				fprintf(f, "<g class=\"pe\" data-pe=\"%d\"><title>PE (%d,%d): unused</title>"
					"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"5\" "
					"fill=\"%s\" stroke=\"#c8c8c8\" stroke-dasharray=\"4 3\"/>"
					"<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#a0a0a0\" "
					"text-anchor=\"middle\">(%d,%d)</text></g>\n",
					n, x, y, px, py, CELL, CELL, UNUSED_FILL,
					px + CELL / 2, py + CELL / 2 + 4, x, y);
				continue;
			}
			const sac_region *R = &m->region[r];
			const sac_hwlayer *L = &m->layer[R->layer];
			const char *fill = layer_colour(R->layer), *ink = text_colour(fill);
			fprintf(f, "<g class=\"pe\" data-pe=\"%d\" data-layer=\"%d\"><title>PE (%d,%d): ",
				n, R->layer, x, y);
			put_esc(f, g->node[L->node].name);
			fprintf(f, " (L%d, %s), channels [%d,%d), rows [%d,%d), %d neurons, "
				"%d weight bytes, %d routes out</title>",
				R->layer, kind[L->kind], R->c0, R->c1, R->y0, R->y1, R->neurons,
				R->weight_bytes, R->nroutes);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"5\" "
				"fill=\"%s\" stroke=\"#333333\" stroke-width=\"1\"/>",
				px, py, CELL, CELL, fill);
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"%s\" opacity=\"0.8\">"
				"%d,%d</text>", px + 4, py + 11, ink, x, y);
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\" "
				"fill=\"%s\" text-anchor=\"middle\">L%d</text>",
				px + CELL / 2, py + 34, ink, R->layer);
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\" "
				"text-anchor=\"middle\">c[%d,%d)</text>",
				px + CELL / 2, py + 51, ink, R->c0, R->c1);
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\" "
				"text-anchor=\"middle\">y[%d,%d)</text></g>\n",
				px + CELL / 2, py + 65, ink, R->y0, R->y1);
		}
	fputs("</g>\n", f);

	/* Legend: layers, then the traffic scale. */
	int lx = ox + mesh_px_w + MARGIN + 8, ly = oy;
	fprintf(f, "<g id=\"legend\" font-size=\"12\" fill=\"#1a1a1a\">\n"
		"<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">Layers (PEs)</text>\n",
		lx, ly + 12);
	ly += LEGEND_ROW + 4;
	for (int l = 0; l < m->nlayers; l++, ly += LEGEND_ROW) {
		const sac_hwlayer *L = &m->layer[l];
		fprintf(f, "<g class=\"legend-layer\" data-layer=\"%d\" data-name=\"", l);
		put_esc(f, g->node[L->node].name);
		fprintf(f, "\" data-pes=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
			"rx=\"2\" fill=\"%s\" stroke=\"#333333\"/><text x=\"%d\" y=\"%d\">"
			"L%d  ", layer_pes[l], lx, ly, layer_colour(l), lx + 22, ly + 12, l);
		put_esc(f, g->node[L->node].name);
		/* The input layer is usually called "input": say it once. */
		if (strcmp(g->node[L->node].name, kind[L->kind]))
			fprintf(f, " \xc2\xb7 %s", kind[L->kind]);
		fprintf(f, " \xc2\xb7 %d PE%s</text></g>\n", layer_pes[l],
			layer_pes[l] == 1 ? "" : "s");
	}
	fprintf(f, "<g class=\"legend-unused\"><rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
		"rx=\"2\" fill=\"%s\" stroke=\"#c8c8c8\" stroke-dasharray=\"3 2\"/>"
		"<text x=\"%d\" y=\"%d\">unused \xc2\xb7 %d PE%s</text></g>\n",
		lx, ly, UNUSED_FILL, lx + 22, ly + 12, m->npe - used,
		m->npe - used == 1 ? "" : "s");
	ly += LEGEND_ROW * 2;

	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">"
		"Link traffic (spikes, dense estimate)</text>\n", lx, ly + 12);
	ly += LEGEND_ROW + 4;
	/* Four sample strokes at quarter steps of the maximum. */
	for (int k = 1; k <= 4; k++, ly += LEGEND_ROW) {
		double frac = k / 4.0;
		char col[8];
		traffic_colour(frac, col, sizeof col);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
			"stroke-width=\"%.2f\"/><text x=\"%d\" y=\"%d\">%" PRId64 "%s</text>\n",
			lx, ly + 7, lx + 44, ly + 7, col, traffic_width(frac), lx + 54, ly + 12,
			(int64_t)((double)tmax * frac + 0.5), k == 4 ? " (max)" : "");
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dcdcdc\" "
		"stroke-width=\"0.8\"/><text x=\"%d\" y=\"%d\">0 (unused link)</text>\n",
		lx, ly + 7, lx + 44, ly + 7, lx + 54, ly + 12);
	ly += LEGEND_ROW + 6;
	fprintf(f, "<text class=\"traffic-scale\" data-max=\"%" PRId64 "\" data-sum=\"%" PRId64
		"\" x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444444\">%d of %d directed links "
		"carry traffic.</text>\n",
		tmax, tsum, lx, ly + 12, nlinks_used, 2 * ((W - 1) * H + W * (H - 1)));
	ly += LEGEND_ROW - 4;
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444444\">"
		"Width and shade are linear in traffic.</text>\n", lx, ly + 12);
	ly += LEGEND_ROW - 4;
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444444\">"
		"One arrow per direction, on its right-hand side.</text>\n", lx, ly + 12);
	fputs("</g>\n</svg>\n", f);

	free(link);
	free(layer_pes);
	if (ferror(f))
		return sac_errf(e, SAC_ERR_IO, "sac_map_svg: write error");
	return 0;
}
