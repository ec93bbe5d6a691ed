/*
 * export_atomic.c — writing exports safely, and the escapers they share.
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
 * UTF-8 with U+FFFD so JSON and XML readers never choke.
 */
#include "export_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
			fputs(EXPORT_REPLACEMENT, f);
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
				fputs(EXPORT_REPLACEMENT, f);
			else
				fwrite(s, 1, n, f);
		}
		s += n ? n : 1;
	}
}
