/*
 * export_impl.h — what the writers share: atomic files and escapers
 * (export_atomic.c), the flame graph's script and style (export_svg_js.c).
 * Not an API: only engine/export/ includes it.
 */
#ifndef PYSPY_EXPORT_IMPL_H
#define PYSPY_EXPORT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"

/* U+FFFD, what a byte that is not valid UTF-8 becomes. */
#define EXPORT_REPLACEMENT "\xef\xbf\xbd"

/* Body of an export: write to f, return 0 or a negative code (with e set). */
typedef int (*export_body_fn)(FILE *f, void *ctx, struct pyspy_err *e);
int export_atomic(const char *path, export_body_fn body, void *ctx, struct pyspy_err *e);
/* A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD. */
void export_json_str(FILE *f, const char *s);
/* Text for XML content or attributes; invalid UTF-8 and control characters become U+FFFD. */
void export_xml_str(FILE *f, const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
size_t export_utf8_len(const char *s);
/*
 * A diff flame graph's numbers (export_diff.c): shares in percent, by
 * function key frame id.  own/total: the current profile's, base_own and
 * base_total: the base's share of the same function (by qualname and file),
 * -1 when the base never saw it; bown/btotal by the base's frame ids; gone:
 * the base's functions the current profile lacks, heaviest first.
 */
struct export_diff {
	const struct profile *base;
	double *own, *total, *base_own, *base_total;
	double *bown, *btotal;
	uint32_t *gone;
	size_t ngone;
};
int export_diff_build(const struct profile *cur, const struct profile *base, struct export_diff *d);
void export_diff_release(struct export_diff *d);

/* The flame graph's embedded CSS and JavaScript (export_svg_js.c). */
extern const char export_svg_style[];
extern const char export_svg_script[];

#endif
