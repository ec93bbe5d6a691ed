/*
 * export_file.c — writing exports safely, the escapers they share, and the
 * folded-stacks format.
 *
 * A profile can be the only copy of minutes of sampling, so an export must
 * never leave a half-written file where a good one was, nor lose the profile
 * when the disk is full: every exporter writes a temporary file next to the
 * target path (same directory, so rename() is atomic), flushes and fsyncs it,
 * and renames it into place.  Any failure removes the temporary file and says
 * which path could not be written and why; the profile is untouched, so the
 * caller can try elsewhere.
 *
 * Names come from the target and may hold anything: the escapers replace bad
 * UTF-8 with U+FFFD so JSON and XML readers never choke, and the folded
 * writer replaces the two characters that would break its line format (';'
 * separates frames, a newline ends the stack).
 */
#include "engine/profile/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char REPLACEMENT[] = "\xef\xbf\xbd";   /* U+FFFD */

/* ---- atomic files ---- */

/* "dir/.base.tmp-PID-N" for "dir/base". */
static char *temp_name(const char *path, unsigned n)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	size_t len = strlen(path) + 64;
	char *t = malloc(len);
	if (t)
		snprintf(t, len, "%.*s.%s.tmp-%ld-%u", (int)dirlen, path, path + dirlen,
			 (long)getpid(), n);
	return t;
}

static int open_temp(const char *path, char **tmp, struct pyspy_err *e)
{
	static unsigned counter;
	for (int tries = 0; tries < 100; tries++) {
		if (!(*tmp = temp_name(path, counter++)))
			return err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0)
			return fd;
		int err = errno;
		free(*tmp);
		*tmp = NULL;
		if (err != EEXIST)
			return err_set(e, PS_EIO, "cannot write '%s': %s", path, strerror(err));
	}
	return err_set(e, PS_EIO, "cannot write '%s': no free temporary name", path);
}

/* Flush, fsync and close f; 0 or the errno of the first failure. */
static int finish_file(FILE *f)
{
	int err = 0;
	if (fflush(f) != 0 || ferror(f))
		err = errno ? errno : EIO;
	if (!err && fsync(fileno(f)) != 0)
		err = errno;
	if (fclose(f) != 0 && !err)
		err = errno;
	return err;
}

/* Make the rename itself durable; a failure here loses nothing, so it is ignored. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int export_atomic(const char *path, export_body_fn body, void *ctx, struct pyspy_err *e)
{
	char *tmp = NULL;
	int fd = open_temp(path, &tmp, e), rc = 0, err;
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		rc = err_set(e, PS_EIO, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	errno = 0;
	rc = body(f, ctx, e);
	err = finish_file(f);
	if (rc == 0 && err)
		rc = err_set(e, PS_EIO, "cannot write '%s': %s", path, strerror(err));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = err_set(e, PS_EIO, "cannot write '%s': %s", path, strerror(errno));
	if (rc == 0)
		sync_dir(path);
out:
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- escaping ---- */

size_t export_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (!n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;   /* overlong, surrogate, or beyond U+10FFFF */
	return n;
}

void export_json_str(FILE *f, const char *s)
{
	putc('"', f);
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n = export_utf8_len(s);
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else if (n)
			fwrite(s, 1, n, f);
		else
			fputs(REPLACEMENT, f);
		s += n ? n : 1;
	}
	putc('"', f);
}

void export_xml_str(FILE *f, const char *s, size_t len)
{
	const char *end = s + len;
	while (s < end && *s) {
		unsigned char c = (unsigned char)*s;
		size_t n = export_utf8_len(s);
		if (n > (size_t)(end - s))
			n = 0;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((c < 0x20 && c != '\t') || !n)
				fputs(REPLACEMENT, f);
			else
				fwrite(s, 1, n, f);
		}
		s += n ? n : 1;
	}
}

/* ---- folded stacks ---- */

/* A frame name made safe for the folded format. */
static void folded_name(FILE *f, const char *s)
{
	while (*s) {
		size_t n = export_utf8_len(s);
		if (*s == ';')
			putc(':', f);
		else if (*s == '\n' || *s == '\r')
			putc(' ', f);
		else if (n)
			fwrite(s, 1, n, f);
		else
			fputs(REPLACEMENT, f);
		s += n ? n : 1;
	}
}

struct folded_ctx {
	const struct profile *p;
	struct prof_tree tree;
	uint32_t *path;
	struct strbuf sb;
};

static void folded_line(FILE *f, struct folded_ctx *c, uint32_t node)
{
	size_t depth = c->tree.nodes[node].depth;
	for (uint32_t n = node; n != 0; n = c->tree.nodes[n].parent)
		c->path[c->tree.nodes[n].depth - 1] = n;
	for (size_t i = 0; i < depth; i++) {
		prof_node_label(c->p, &c->tree, c->path[i], &c->sb);
		if (i)
			putc(';', f);
		folded_name(f, strbuf_str(&c->sb));
	}
	fprintf(f, " %llu\n", (unsigned long long)c->tree.nodes[node].self);
}

static int folded_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct folded_ctx *c = ctx;
	(void)e;
	for (uint32_t n = prof_tree_next(&c->tree, 0); n != PROF_NONE; n = prof_tree_next(&c->tree, n))
		if (c->tree.nodes[n].self)
			folded_line(f, c, n);
	return c->sb.oom ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}

int profile_write_folded(const struct profile *p, const char *path, const struct export_opts *o,
			 struct pyspy_err *e)
{
	struct export_opts def = { 0 };
	struct folded_ctx c = { .p = p };
	int rc;
	if (!o)
		o = &def;
	strbuf_init(&c.sb, 0);
	if ((rc = profile_tree(p, o->by, o->by_thread, &c.tree)) < 0 ||
	    (rc = prof_tree_sort(p, &c.tree)) < 0 ||
	    !(c.path = malloc((c.tree.max_depth + 1) * sizeof(*c.path)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	rc = export_atomic(path, folded_body, &c, e);
out:
	free(c.path);
	strbuf_release(&c.sb);
	prof_tree_release(&c.tree);
	return rc;
}

/* ---- choosing a format ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

enum prof_format profile_format_named(const char *name)
{
	if (!strcmp(name, "folded") || !strcmp(name, "collapsed"))
		return PROF_FMT_FOLDED;
	if (!strcmp(name, "speedscope"))
		return PROF_FMT_SPEEDSCOPE;
	if (!strcmp(name, "chrometrace") || !strcmp(name, "chrome"))
		return PROF_FMT_CHROME;
	if (!strcmp(name, "svg") || !strcmp(name, "flamegraph"))
		return PROF_FMT_SVG;
	return PROF_FMT_NONE;
}

enum prof_format profile_format_of_path(const char *path)
{
	if (ends_with(path, ".svg"))
		return PROF_FMT_SVG;
	if (ends_with(path, ".trace.json") || ends_with(path, ".chrome.json"))
		return PROF_FMT_CHROME;
	if (ends_with(path, ".json"))
		return PROF_FMT_SPEEDSCOPE;
	if (ends_with(path, ".txt") || ends_with(path, ".folded") || ends_with(path, ".collapsed"))
		return PROF_FMT_FOLDED;
	return PROF_FMT_NONE;
}

int profile_write(const struct profile *p, const char *path, enum prof_format fmt,
		  const struct export_opts *o, struct pyspy_err *e)
{
	switch (fmt) {
	case PROF_FMT_FOLDED: return profile_write_folded(p, path, o, e);
	case PROF_FMT_SPEEDSCOPE: return profile_write_speedscope(p, path, o, e);
	case PROF_FMT_CHROME: return profile_write_chrome(p, path, o, e);
	default: return profile_write_svg(p, path, o, e);
	}
}
