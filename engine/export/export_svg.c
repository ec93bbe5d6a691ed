/*
 * export_svg.c — an interactive flame graph as a self-contained SVG.
 *
 * The picture is the merged call tree (engine/profile/profile_report.c) with children sorted
 * by label, so the same code paths always sit in the same place and two
 * graphs can be compared by eye.  Each node is a box whose width is its share
 * of all samples; by default the root ("all") is at the bottom and callees
 * stack upwards (a flame), or, as an icicle, the root is at the top.
 *
 * Boxes narrower than a tenth of a pixel are left out with their whole
 * subtree (they cannot be seen, and a deep profile would otherwise weigh
 * megabytes); everything else is written with its position, colour and a
 * label cut to fit, so the file is a correct picture even where scripts do
 * not run.  The script (export_svg_js.c) adds zoom and search on top.
 *
 * Colours are warm and stable: the hue comes from a hash of the file's
 * package (its directory), so one library keeps one hue across the graph,
 * and the saturation and lightness from a hash of the function, so
 * neighbours stay distinguishable.  Thread frames are a cool grey-blue.
 *
 * A diff flame graph (export_opts.diff: a base profile) keeps the widths of
 * the current profile and paints each frame by the change of its function's
 * own share since the base (export_diff.c): red where it grew, blue where it
 * shrank, grey where it stayed, paler the smaller the change (full colour
 * at 10 points).  The colour is the rect's fill, so any viewer shows it; the
 * tooltip gives both shares and the difference, and functions the base had
 * and this profile lacks are listed in a note under the graph.
 */
#include "export_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_H 16
#define FONT_W 6.5        /* average advance of an 11px sans-serif character */
#define PAD 10
#define HEAD 66
#define FOOT 34
#define MIN_W 0.1

struct svg_ctx {
	const struct profile *p;
	const struct export_opts *o;
	struct prof_tree tree;
	uint64_t *x;               /* node → offset in samples */
	uint64_t *cursor;          /* node → where its next child starts */
	struct strbuf sb;
	int width;
	double scale;              /* pixels per sample */
	struct export_diff diff;   /* when o->diff */
	int note_lines;            /* the diff's note: lines under the graph */
};

#define NOTE_MAX 12         /* functions the note names; the rest are counted */

static uint32_t fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n && s[i]; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The directory that holds the file: "json" for ".../json/decoder.py". */
static uint32_t package_hash(const char *file)
{
	const char *end = strrchr(file, '/');
	if (!end)
		return fnv(file, strlen(file));
	const char *start = end;
	while (start > file && start[-1] != '/')
		start--;
	return fnv(start, (size_t)(end - start));
}

static void hsl_rgb(double h, double s, double l, int rgb[3])
{
	double c = (1 - (2 * l - 1 < 0 ? 1 - 2 * l : 2 * l - 1)) * s;
	double hp = h / 60, xm = hp - 2 * (int)(hp / 2) - 1;
	double x = c * (1 - (xm < 0 ? -xm : xm)), m = l - c / 2;
	double r = 0, g = 0, b = 0;
	if (hp < 1) { r = c; g = x; }
	else if (hp < 2) { r = x; g = c; }
	else if (hp < 3) { g = c; b = x; }
	else if (hp < 4) { g = x; b = c; }
	else if (hp < 5) { r = x; b = c; }
	else { r = c; b = x; }
	rgb[0] = (int)((r + m) * 255 + 0.5);
	rgb[1] = (int)((g + m) * 255 + 0.5);
	rgb[2] = (int)((b + m) * 255 + 0.5);
}

/* A diff frame's colour: the change of its function's own share. */
static void diff_colour(const struct svg_ctx *c, uint32_t frame, int rgb[3])
{
	uint32_t k = profile_frame_key(c->p, PROF_BY_FUNCTION, frame);
	double base = c->diff.base_own[k] < 0 ? 0 : c->diff.base_own[k];
	double d = c->diff.own[k] - base, s = (d < 0 ? -d : d) / 10.0;
	if (d > -0.05 && d < 0.05) {
		hsl_rgb(0, 0, 0.80, rgb);
		return;
	}
	if (s > 1)
		s = 1;
	hsl_rgb(d > 0 ? 0 : 220, 0.35 + 0.55 * s, 0.90 - 0.40 * s, rgb);
}

static void node_colour(const struct svg_ctx *c, uint32_t node, char *buf, size_t cap)
{
	const struct prof_node *n = &c->tree.nodes[node];
	int rgb[3];
	if (c->o->diff && node != 0 && n->frame != PROF_NONE) {
		diff_colour(c, n->frame, rgb);
	} else if (node == 0) {
		hsl_rgb(0, 0, 0.82, rgb);
	} else if (n->frame == PROF_NONE) {
		hsl_rgb(210, 0.25, 0.72, rgb);
	} else {
		const struct prof_frame *f = profile_frame(c->p, n->frame);
		uint32_t ph = package_hash(f->file), fh = fnv(f->qualname, strlen(f->qualname));
		hsl_rgb((double)(ph % 50), 0.70 + (fh % 20) / 100.0,
			0.52 + ((fh >> 8) % 14) / 100.0, rgb);
	}
	snprintf(buf, cap, "rgb(%d,%d,%d)", rgb[0], rgb[1], rgb[2]);
}

/* The byte length of the longest prefix of s holding at most n code points. */
static size_t prefix_chars(const char *s, size_t n)
{
	size_t i = 0;
	while (s[i] && n--) {
		size_t k = export_utf8_len(s + i);
		i += k ? k : 1;
	}
	return i;
}

static void label_fit(FILE *f, const char *s, double w)
{
	double fits = (w - 6) / FONT_W;
	if (fits < 3)
		return;
	size_t n = (size_t)fits, len = strlen(s), cut = prefix_chars(s, n);
	if (cut >= len) {
		export_xml_str(f, s, len);
		return;
	}
	export_xml_str(f, s, prefix_chars(s, n - 2));
	fputs("..", f);
}

static double frame_y(const struct svg_ctx *c, uint32_t depth)
{
	if (c->o->orient == EXPORT_ICICLE)
		return HEAD + (double)depth * FRAME_H;
	return HEAD + (double)(c->tree.max_depth - depth) * FRAME_H;
}

/* A weight for people: "12 samples", or CPU time in ms or s. */
static void weight_text(const struct profile *p, uint64_t w, char *buf, size_t cap)
{
	if (profile_meta(p)->unit != PROF_UNIT_CPU_US)
		snprintf(buf, cap, "%" PRIu64 " sample%s", w, w == 1 ? "" : "s");
	else if (w >= 1000000)
		snprintf(buf, cap, "%.3f s of CPU", (double)w / 1e6);
	else
		snprintf(buf, cap, "%.3f ms of CPU", (double)w / 1e3);
}

/* " · own 12.00% (base 3.00%, +9.00 points)" */
static void diff_tip(FILE *f, const struct svg_ctx *c, uint32_t frame)
{
	uint32_t k = profile_frame_key(c->p, PROF_BY_FUNCTION, frame);
	double now = c->diff.own[k], base = c->diff.base_own[k];
	if (base < 0)
		fprintf(f, " \xc2\xb7 own %.2f%% (not in the base, +%.2f points)", now, now);
	else
		fprintf(f, " \xc2\xb7 own %.2f%% (base %.2f%%, %+.2f points)", now, base, now - base);
}

static void svg_frame(FILE *f, struct svg_ctx *c, uint32_t node, uint32_t index)
{
	const struct prof_node *n = &c->tree.nodes[node];
	uint64_t all = c->tree.nodes[0].total;
	double x = PAD + c->x[node] * c->scale, w = n->total * c->scale, y = frame_y(c, n->depth);
	char colour[32], wt[64];

	node_colour(c, node, colour, sizeof(colour));
	weight_text(c->p, n->total, wt, sizeof(wt));
	prof_node_label(c->p, &c->tree, node, &c->sb);
	fprintf(f, "<g class=\"f\" id=\"f%" PRIu32 "\" data-x=\"%" PRIu64 "\" data-w=\"%" PRIu64
		   "\" data-d=\"%" PRIu32 "\" data-c=\"%s\"><title>",
		index, c->x[node], n->total, n->depth, colour);
	export_xml_str(f, strbuf_str(&c->sb), c->sb.len);
	fprintf(f, " \xe2\x80\x94 %s, %.2f%%", wt, all ? 100.0 * (double)n->total / (double)all : 0.0);
	if (c->o->diff && n->frame != PROF_NONE)
		diff_tip(f, c, n->frame);
	fputs("</title>", f);
	fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
		x, y, w > 0.6 ? w - 0.5 : 0.1, FRAME_H - 1, colour);
	fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
	label_fit(f, strbuf_str(&c->sb), w);
	fputs("</text></g>\n", f);
}

/* Next node in depth-first order that is not inside n's subtree. */
static uint32_t skip_subtree(const struct prof_tree *t, uint32_t n)
{
	for (; n != 0 && n != PROF_NONE; n = t->nodes[n].parent)
		if (t->nodes[n].next_sibling != PROF_NONE)
			return t->nodes[n].next_sibling;
	return PROF_NONE;
}

static void svg_frames(FILE *f, struct svg_ctx *c)
{
	uint32_t index = 0, n = 0;
	fprintf(f, "<g id=\"frames\" data-total=\"%" PRIu64 "\" data-width=\"%d\" data-pad=\"%d\">\n",
		c->tree.nodes[0].total, c->width, PAD);
	c->x[0] = c->cursor[0] = 0;
	while (n != PROF_NONE) {
		const struct prof_node *nd = &c->tree.nodes[n];
		if (n) {
			c->x[n] = c->cursor[nd->parent];
			c->cursor[nd->parent] += nd->total;
			c->cursor[n] = c->x[n];
		}
		if (nd->total * c->scale < MIN_W) {
			n = skip_subtree(&c->tree, n);
			continue;
		}
		svg_frame(f, c, n, index++);
		n = prof_tree_next(&c->tree, n);
	}
	fputs("</g>\n", f);
}

static void default_subtitle(const struct svg_ctx *c, struct strbuf *sb)
{
	const struct profile_meta *m = profile_meta(c->p);
	strbuf_addf(sb, "pid %d", (int)m->pid);
	if (m->command[0])
		strbuf_addf(sb, " \xc2\xb7 %s", m->command);
	if (m->python[0])
		strbuf_addf(sb, " \xc2\xb7 Python %s", m->python);
	strbuf_addf(sb, " \xc2\xb7 %.1f s", (double)m->duration_us / 1e6);
	if (m->rate_hz > 0)
		strbuf_addf(sb, " at %g Hz", m->rate_hz);
	strbuf_addf(sb, " \xc2\xb7 %" PRIu64 " samples", profile_samples(c->p));
	if (m->unit == PROF_UNIT_CPU_US)
		strbuf_addf(sb, ", %.3f s of CPU", (double)profile_weight(c->p) / 1e6);
	if (m->errors || m->torn)
		strbuf_addf(sb, " (%" PRIu64 " errors, %" PRIu64 " torn)", m->errors, m->torn);
}

static void svg_text(FILE *f, const char *attrs, const char *s)
{
	fprintf(f, "<text %s>", attrs);
	export_xml_str(f, s, strlen(s));
	fputs("</text>\n", f);
}

static void svg_header(FILE *f, struct svg_ctx *c, int height)
{
	char attrs[128];
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\">\n", c->width, height, c->width, height);
	fprintf(f, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", export_svg_style);
	fprintf(f, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", export_svg_script);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fdf8f0\"/>\n",
		c->width, height);
	snprintf(attrs, sizeof(attrs), "class=\"title\" x=\"%d\" y=\"24\"", c->width / 2);
	svg_text(f, attrs, c->o->title ? c->o->title : "pyspy-sh profile");
	strbuf_reset(&c->sb);
	if (c->o->subtitle)
		strbuf_addstr(&c->sb, c->o->subtitle);
	else
		default_subtitle(c, &c->sb);
	snprintf(attrs, sizeof(attrs), "class=\"subtitle\" x=\"%d\" y=\"44\"", c->width / 2);
	svg_text(f, attrs, strbuf_str(&c->sb));
	svg_text(f, "class=\"ctl\" id=\"unzoom\" x=\"10\" y=\"24\" style=\"opacity:0.3\"", "Reset Zoom");
	snprintf(attrs, sizeof(attrs), "class=\"ctl\" id=\"search\" x=\"%d\" y=\"24\" "
		 "text-anchor=\"end\"", c->width - PAD);
	svg_text(f, attrs, "Search");
}

/* The diff's note: the base's functions this profile lacks. */
static void svg_note(FILE *f, struct svg_ctx *c, int y)
{
	char attrs[96], buf[1200];
	if (!c->note_lines)
		return;
	snprintf(attrs, sizeof(attrs), "class=\"note\" id=\"gone\" x=\"%d\" y=\"%d\"", PAD, y);
	snprintf(buf, sizeof(buf), "Gone since the base (%zu function%s, own and total share there):",
		 c->diff.ngone, c->diff.ngone == 1 ? "" : "s");
	svg_text(f, attrs, buf);
	for (size_t i = 0; i < c->diff.ngone && i < NOTE_MAX; i++) {
		uint32_t k = c->diff.gone[i];
		char label[1024];
		profile_label(c->diff.base, k, PROF_BY_FUNCTION, label, sizeof(label));
		snprintf(buf, sizeof(buf), "%s \xe2\x80\x94 own %.2f%%, total %.2f%%", label, c->diff.bown[k],
			 c->diff.btotal[k]);
		snprintf(attrs, sizeof(attrs), "class=\"note gone\" x=\"%d\" y=\"%d\"", PAD + 12,
			 y + (int)(i + 1) * FRAME_H);
		svg_text(f, attrs, buf);
	}
	if (c->diff.ngone > NOTE_MAX) {
		snprintf(attrs, sizeof(attrs), "class=\"note\" x=\"%d\" y=\"%d\"", PAD + 12,
			 y + (NOTE_MAX + 1) * FRAME_H);
		snprintf(buf, sizeof(buf), "and %zu more", c->diff.ngone - NOTE_MAX);
		svg_text(f, attrs, buf);
	}
}

static void svg_footer(FILE *f, struct svg_ctx *c, int height)
{
	char attrs[128];
	snprintf(attrs, sizeof(attrs), "id=\"details\" x=\"%d\" y=\"%d\"", PAD, height - 12);
	svg_text(f, attrs, " ");
	snprintf(attrs, sizeof(attrs), "id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"",
		 c->width - PAD, height - 12);
	svg_text(f, attrs, "");
	fputs("</svg>\n", f);
}

static int svg_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct svg_ctx *c = ctx;
	int graph = HEAD + ((int)c->tree.max_depth + 1) * FRAME_H;
	int height = graph + FOOT + c->note_lines * FRAME_H;
	svg_header(f, c, height);
	svg_frames(f, c);
	svg_note(f, c, graph + 24);
	svg_footer(f, c, height);
	return c->sb.oom ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}

int export_svg(const struct profile *p, const char *path, const struct export_opts *o,
		      struct pyspy_err *e)
{
	struct export_opts def = { 0 };
	struct svg_ctx c = { .p = p, .o = o ? o : &def };
	int rc;

	c.width = c.o->width > 2 * PAD + 100 ? c.o->width : 1200;
	strbuf_init(&c.sb, 0);
	if ((rc = profile_tree(p, c.o->by, c.o->by_thread, &c.tree)) < 0 ||
	    (rc = prof_tree_sort(p, &c.tree)) < 0 ||
	    !(c.x = malloc(c.tree.n * sizeof(*c.x))) ||
	    !(c.cursor = malloc(c.tree.n * sizeof(*c.cursor)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	if (c.o->diff) {
		if ((rc = export_diff_build(p, c.o->diff, &c.diff)) < 0) {
			rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
			goto out;
		}
		if (c.diff.ngone)
			c.note_lines = 2 + (c.diff.ngone < NOTE_MAX ? (int)c.diff.ngone : NOTE_MAX + 1);
	}
	c.scale = c.tree.nodes[0].total ? (double)(c.width - 2 * PAD) / (double)c.tree.nodes[0].total
					: 0;
	rc = export_atomic(path, svg_body, &c, e);
out:
	export_diff_release(&c.diff);
	free(c.cursor);
	free(c.x);
	strbuf_release(&c.sb);
	prof_tree_release(&c.tree);
	return rc;
}
