/*
 * export_heatmap.c — the profile laid over the source: one self-contained
 * HTML page (no scripts, no fonts, nothing fetched) that works offline.
 *
 * Every (file, line) the profile saw gets two numbers: own, the samples
 * where it was the innermost line, and total, the samples where it was
 * anywhere on the stack (a line counted once per sample, recursion or not).
 * Files come hottest first (the samples with any of their lines on the
 * stack); each opens with its hottest lines and its functions, linked to
 * their lines (a function to its first line), then the whole source with
 * each line's counts and a bar as long as its total share, tinted by it.
 * Sources are read from this machine at export time, only Python files that
 * are safe to show (read_source); a file that cannot be read (gone, or a
 * "<string>") is listed by name with its lines' counts.
 * Percentages are of the profile's weight (CPU time in cpu mode).
 */
#include "export_impl.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOT_LINES 8
#define MAX_FILES 200
#define MAX_SOURCE (16u << 20)

struct hm_line {
	const char *file;          /* the profile's interned file name */
	int line;
	uint32_t fileno;           /* index into files */
	uint64_t own, total;       /* samples */
	uint64_t wown, wtotal;     /* the same, weighed */
	uint64_t stamp;
};

struct hm_file {
	const char *name;
	uint64_t total, wtotal, stamp;
	uint32_t *lines;           /* hm_line indexes, by line number */
	size_t nlines;
};

struct hm_ctx {
	const struct profile *p;
	struct hm_line *lines;
	size_t nlines, cap;
	uint32_t *slots;           /* (file, line) → lines index */
	size_t nslots;
	struct hm_file *files;
	size_t nfiles;
	uint32_t *fslots;          /* file pointer → files index */
	size_t nfslots;
	uint32_t *order;           /* files, hottest first */
	uint64_t all;              /* the profile's weight */
	uint64_t max_line;         /* the largest line total weight, for the bars */
	uint64_t max_own;          /* the largest line own weight, for the tint */
	const struct export_opts *o;
};

static size_t ptr_hash(const void *ptr, int line, size_t mask)
{
	uint64_t h = (uint64_t)(uintptr_t)ptr * 0x9e3779b97f4a7c15ull ^ (uint64_t)(unsigned)line * 0xc2b2ae3d27d4eb4full;
	return (size_t)(h ^ h >> 31) & mask;
}

static int rehash(struct hm_ctx *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *s = malloc(n * sizeof(*s));
	if (!s)
		return -PS_ENOMEM;
	memset(s, 0xff, n * sizeof(*s));
	for (size_t i = 0; i < c->nlines; i++) {
		size_t k = ptr_hash(c->lines[i].file, c->lines[i].line, n - 1);
		while (s[k] != PROF_NONE)
			k = (k + 1) & (n - 1);
		s[k] = (uint32_t)i;
	}
	free(c->slots);
	c->slots = s;
	c->nslots = n;
	return 0;
}

static uint32_t file_of(struct hm_ctx *c, const char *name)
{
	size_t k = ptr_hash(name, 0, c->nfslots - 1);
	for (; c->fslots[k] != PROF_NONE; k = (k + 1) & (c->nfslots - 1))
		if (c->files[c->fslots[k]].name == name)
			return c->fslots[k];
	c->fslots[k] = (uint32_t)c->nfiles;
	c->files[c->nfiles] = (struct hm_file){ .name = name };
	return (uint32_t)c->nfiles++;
}

static struct hm_line *line_of(struct hm_ctx *c, const struct prof_frame *fr)
{
	if ((c->nlines + 1) * 2 > c->nslots && rehash(c) < 0)
		return NULL;
	size_t k = ptr_hash(fr->file, fr->line, c->nslots - 1);
	for (; c->slots[k] != PROF_NONE; k = (k + 1) & (c->nslots - 1)) {
		struct hm_line *l = &c->lines[c->slots[k]];
		if (l->file == fr->file && l->line == fr->line)
			return l;
	}
	if (c->nlines == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct hm_line *nl = realloc(c->lines, cap * sizeof(*nl));
		if (!nl)
			return NULL;
		c->lines = nl;
		c->cap = cap;
	}
	c->slots[k] = (uint32_t)c->nlines;
	c->lines[c->nlines] = (struct hm_line){ .file = fr->file, .line = fr->line, .fileno = file_of(c, fr->file) };
	return &c->lines[c->nlines++];
}

static int hm_count(struct hm_ctx *c)
{
	struct prof_iter it;
	struct prof_stack st;
	uint64_t stamp = 0;
	int rc;
	prof_iter_init(&it, c->p);
	while ((rc = prof_iter_next(&it, &st)) > 0) {
		stamp++;
		for (size_t i = 0; i < st.nframes; i++) {
			const struct prof_frame *fr = profile_frame(c->p, st.frames[i]);
			if (profile_frame_is_process(fr))
				continue;   /* --subprocesses: a root naming a process, not a source line */
			struct hm_line *l = line_of(c, fr);
			if (!l) {
				rc = -PS_ENOMEM;
				break;
			}
			struct hm_file *f = &c->files[l->fileno];
			if (l->stamp != stamp) {
				l->stamp = stamp;
				l->total += st.count;
				l->wtotal += st.weight;
			}
			if (f->stamp != stamp) {
				f->stamp = stamp;
				f->total += st.count;
				f->wtotal += st.weight;
			}
			if (i + 1 == st.nframes) {
				l->own += st.count;
				l->wown += st.weight;
			}
		}
		if (rc < 0)
			break;
	}
	prof_iter_release(&it);
	return rc;
}

static int by_weight(const void *a, const void *b, void *arg)
{
	const struct hm_file *f = arg;
	uint64_t x = f[*(const uint32_t *)a].wtotal, y = f[*(const uint32_t *)b].wtotal;
	return x < y ? 1 : x > y ? -1 : strcmp(f[*(const uint32_t *)a].name, f[*(const uint32_t *)b].name);
}

static int by_line(const void *a, const void *b, void *arg)
{
	const struct hm_line *l = arg;
	return l[*(const uint32_t *)a].line - l[*(const uint32_t *)b].line;
}

/* Hottest first: own weight, then total, then the line. */
static int by_heat(const void *a, const void *b, void *arg)
{
	const struct hm_line *x = (const struct hm_line *)arg + *(const uint32_t *)a;
	const struct hm_line *y = (const struct hm_line *)arg + *(const uint32_t *)b;
	if (x->wown != y->wown)
		return x->wown < y->wown ? 1 : -1;
	if (x->wtotal != y->wtotal)
		return x->wtotal < y->wtotal ? 1 : -1;
	return x->line - y->line;
}

/* Each file's lines sorted by number, and the files hottest first. */
static int hm_group(struct hm_ctx *c)
{
	size_t *fill = calloc(c->nfiles + 1, sizeof(*fill));
	if (!fill || !(c->order = malloc((c->nfiles + 1) * sizeof(*c->order)))) {
		free(fill);
		return -PS_ENOMEM;
	}
	for (size_t i = 0; i < c->nlines; i++) {
		c->files[c->lines[i].fileno].nlines++;
		if (c->lines[i].wtotal > c->max_line)
			c->max_line = c->lines[i].wtotal;
		if (c->lines[i].wown > c->max_own)
			c->max_own = c->lines[i].wown;
	}
	for (size_t f = 0; f < c->nfiles; f++) {
		c->order[f] = (uint32_t)f;
		if (!(c->files[f].lines = malloc((c->files[f].nlines + 1) * sizeof(uint32_t)))) {
			free(fill);
			return -PS_ENOMEM;
		}
	}
	for (size_t i = 0; i < c->nlines; i++)
		c->files[c->lines[i].fileno].lines[fill[c->lines[i].fileno]++] = (uint32_t)i;
	for (size_t f = 0; f < c->nfiles; f++)
		qsort_r(c->files[f].lines, c->files[f].nlines, sizeof(uint32_t), by_line, c->lines);
	qsort_r(c->order, c->nfiles, sizeof(*c->order), by_weight, c->files);
	free(fill);
	return 0;
}

/* ---- HTML ---- */

static void html_str(FILE *f, const char *s, size_t n)
{
	export_xml_str(f, s, n);
}

static double pct(const struct hm_ctx *c, uint64_t w)
{
	return c->all ? 100.0 * (double)w / (double)c->all : 0;
}

/* The row tint by own weight: none without samples, a strong warm red at the hottest line. */
static void tint(FILE *f, const struct hm_ctx *c, const struct hm_line *l)
{
	double a = l && c->max_own ? (double)l->wown / (double)c->max_own : 0;
	if (l)
		fprintf(f, " style=\"background:rgba(230,60,20,%.3f)\"", 0.06 + 0.55 * a);
}

static void line_cells(FILE *f, const struct hm_ctx *c, const struct hm_line *l)
{
	double bar = c->max_line && l ? 100.0 * (double)l->wtotal / (double)c->max_line : 0;
	if (l)
		fprintf(f, "<td class=\"own\">%" PRIu64 "</td><td class=\"tot\">%" PRIu64 "</td>"
			   "<td class=\"pct\">%.1f%%</td><td class=\"bar\"><i style=\"width:%.1f%%\"></i></td>",
			l->own, l->total, pct(c, l->wtotal), bar);
	else
		fputs("<td class=\"own\"></td><td class=\"tot\"></td><td class=\"pct\"></td><td class=\"bar\"></td>", f);
}

/* The hottest lines and the functions of file fi, linked to their lines. */
static void file_index(FILE *f, const struct hm_ctx *c, size_t rank, const struct hm_file *hf, uint32_t *tmp)
{
	memcpy(tmp, hf->lines, hf->nlines * sizeof(*tmp));
	qsort_r(tmp, hf->nlines, sizeof(*tmp), by_heat, c->lines);
	fputs("<p class=\"hot\">Hottest lines (own, total):", f);
	for (size_t i = 0; i < hf->nlines && i < HOT_LINES; i++) {
		const struct hm_line *l = &c->lines[tmp[i]];
		fprintf(f, " <a href=\"#f%zu-l%d\">line %d</a> (%.1f%%, %.1f%%)", rank, l->line, l->line,
			pct(c, l->wown), pct(c, l->wtotal));
	}
	fputs("</p>\n<p class=\"funcs\">Functions:", f);
	for (uint32_t k = 0; k < profile_nframes(c->p); k++) {
		const struct prof_frame *fr = profile_frame(c->p, k);
		if (fr->file != hf->name || profile_frame_key(c->p, PROF_BY_FUNCTION, k) != k)
			continue;
		int first = fr->first_line > 0 ? fr->first_line : fr->line;
		fprintf(f, " <a href=\"#f%zu-l%d\">", rank, first);
		html_str(f, fr->qualname, strlen(fr->qualname));
		fputs("</a>", f);
	}
	fputs("</p>\n", f);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/*
 * The file names come from the target, which may be hostile: a code object
 * named "/etc/shadow" must not put that file into a page meant to be shared.
 * So a source is read only when it is a Python file by name, a regular file
 * (not a device, not a symlink at the last step), and readable by anyone or
 * owned by whoever runs pyspy-sh; otherwise its lines are listed without it.
 */
static char *read_source(const char *path, size_t *len, const char **why)
{
	struct stat st;
	char *buf = NULL;
	*why = "not found on this machine";
	if (!ends_with(path, ".py") && !ends_with(path, ".pyw") && !ends_with(path, ".pyx")) {
		*why = path[0] == '<' ? "not a file" : "not shown: not a .py file";
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_SOURCE) {
		*why = "not shown: not a regular file of a readable size";
	} else if (!(st.st_mode & S_IROTH) && st.st_uid != getuid()) {
		*why = "not shown: readable only by its owner";
	} else if ((buf = malloc((size_t)st.st_size + 1))) {
		ssize_t n = read(fd, buf, (size_t)st.st_size);
		*len = n > 0 ? (size_t)n : 0;
		buf[*len] = 0;
	}
	close(fd);
	return buf;
}

static void file_source(FILE *f, const struct hm_ctx *c, size_t rank, const struct hm_file *hf)
{
	size_t len = 0, k = 0;
	const char *why;
	char *src = read_source(hf->name, &len, &why);
	fputs("<table class=\"src\"><tr><th>line</th><th>own</th><th>total</th><th>%</th><th></th><th>", f);
	if (src)
		fputs("source</th></tr>\n", f);
	else
		fprintf(f, "source (%s)</th></tr>\n", why);
	int lineno = 1;
	for (const char *s = src; src && s < src + len; lineno++) {
		const char *nl = memchr(s, '\n', (size_t)(src + len - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(src + len - s);
		const struct hm_line *l = NULL;
		while (k < hf->nlines && c->lines[hf->lines[k]].line < lineno)
			k++;
		if (k < hf->nlines && c->lines[hf->lines[k]].line == lineno)
			l = &c->lines[hf->lines[k]];
		fprintf(f, "<tr id=\"f%zu-l%d\"%s", rank, lineno, l ? " class=\"s\"" : "");
		tint(f, c, l);
		fprintf(f, "><td class=\"n\">%d</td>", lineno);
		line_cells(f, c, l);
		fputs("<td class=\"code\">", f);
		html_str(f, s, n && s[n - 1] == '\r' ? n - 1 : n);
		fputs("</td></tr>\n", f);
		s = nl ? nl + 1 : src + len;
	}
	/* lines past the file's end (it changed), or all of them when it is missing */
	for (; k < hf->nlines; k++) {
		const struct hm_line *l = &c->lines[hf->lines[k]];
		if (src && l->line < lineno)
			continue;
		fprintf(f, "<tr id=\"f%zu-l%d\" class=\"s\"", rank, l->line);
		tint(f, c, l);
		fprintf(f, "><td class=\"n\">%d</td>", l->line);
		line_cells(f, c, l);
		fputs("<td class=\"code missing\"></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	free(src);
}

static const char hm_style[] =
	"body{font:13px/1.35 'DejaVu Sans',Verdana,sans-serif;margin:16px;color:#222;background:#fdf8f0}"
	"h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 4px;word-break:break-all}"
	"p.sub{color:#555;margin:0 0 12px}a{color:#1a4f9c;text-decoration:none}a:hover{text-decoration:underline}"
	"table.src{border-collapse:collapse;font:12px/1.3 'DejaVu Sans Mono',monospace;width:100%}"
	"table.src th{text-align:left;color:#666;font-weight:normal;border-bottom:1px solid #ccc}"
	"table.src td{padding:0 6px;white-space:pre;vertical-align:top}"
	"td.n,td.own,td.tot,td.pct{text-align:right;color:#555}td.code{width:100%}"
	"td.bar{width:120px;min-width:120px}td.bar i{display:block;height:10px;margin-top:2px;background:#d9480f}"
	"tr:target{outline:2px solid #1a4f9c}ol.files li{margin:2px 0}.missing{color:#999}"
	"p.hot,p.funcs{margin:2px 0}";

static void hm_head(FILE *f, const struct hm_ctx *c, const struct export_opts *o)
{
	const struct profile_meta *m = profile_meta(c->p);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	const char *title = o && o->title ? o->title : "pyspy-sh heatmap";
	html_str(f, title, strlen(title));
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>", hm_style);
	html_str(f, title, strlen(title));
	fprintf(f, "</h1>\n<p class=\"sub\">pid %d", (int)m->pid);
	if (m->command[0]) {
		fputs(" \xc2\xb7 ", f);
		html_str(f, m->command, strlen(m->command));
	}
	fprintf(f, " \xc2\xb7 %" PRIu64 " samples", profile_samples(c->p));
	if (m->unit == PROF_UNIT_CPU_US)
		fprintf(f, ", %.3f s of CPU (percentages are shares of it)", (double)c->all / 1e6);
	fputs(" \xc2\xb7 own: samples where the line was running; total: samples where it was on the "
	      "stack</p>\n<ol class=\"files\">\n", f);
	for (size_t r = 0; r < c->nfiles && r < MAX_FILES; r++) {
		const struct hm_file *hf = &c->files[c->order[r]];
		fprintf(f, "<li><a href=\"#f%zu\">", r);
		html_str(f, hf->name, strlen(hf->name));
		fprintf(f, "</a> \xe2\x80\x94 %" PRIu64 " samples, %.1f%%</li>\n", hf->total, pct(c, hf->wtotal));
	}
	fputs("</ol>\n", f);
}

static int hm_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct hm_ctx *c = ctx;
	uint32_t *tmp = malloc((c->nlines + 1) * sizeof(*tmp));
	if (!tmp)
		return err_set(e, PS_ENOMEM, "out of memory");
	hm_head(f, c, c->o);
	for (size_t r = 0; r < c->nfiles && r < MAX_FILES; r++) {
		const struct hm_file *hf = &c->files[c->order[r]];
		fprintf(f, "<section id=\"f%zu\"><h2>", r);
		html_str(f, hf->name, strlen(hf->name));
		fprintf(f, " <span class=\"sub\">\xe2\x80\x94 %" PRIu64 " samples, %.1f%%</span></h2>\n", hf->total,
			pct(c, hf->wtotal));
		file_index(f, c, r, hf, tmp);
		file_source(f, c, r, hf);
		fputs("</section>\n", f);
	}
	if (c->nfiles > MAX_FILES)
		fprintf(f, "<p class=\"missing\">and %zu more files with fewer samples</p>\n", c->nfiles - MAX_FILES);
	fputs("</body></html>\n", f);
	free(tmp);
	return 0;
}

int export_heatmap(const struct profile *p, const char *path, const struct export_opts *o,
		   struct pyspy_err *e)
{
	struct hm_ctx c = { .p = p, .all = profile_weight(p), .o = o };
	size_t nf = profile_nframes(p);
	int rc;
	for (c.nfslots = 16; c.nfslots < 2 * nf + 2; c.nfslots *= 2)
		;
	if (!(c.files = calloc(nf + 1, sizeof(*c.files))) || !(c.fslots = malloc(c.nfslots * sizeof(*c.fslots)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	memset(c.fslots, 0xff, c.nfslots * sizeof(*c.fslots));
	if (rehash(&c) < 0 || hm_count(&c) < 0 || hm_group(&c) < 0) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	rc = export_atomic(path, hm_body, &c, e);
out:
	for (size_t i = 0; c.files && i < c.nfiles; i++)
		free(c.files[i].lines);
	free(c.files);
	free(c.fslots);
	free(c.lines);
	free(c.slots);
	free(c.order);
	return rc;
}
