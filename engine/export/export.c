/*
 * export.c — which format a name or a path's ending selects, and writing a
 * profile in it.
 */
#include "export.h"

#include <string.h>

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

enum export_format export_format_named(const char *name)
{
	if (!strcmp(name, "folded") || !strcmp(name, "collapsed"))
		return EXPORT_FMT_FOLDED;
	if (!strcmp(name, "speedscope"))
		return EXPORT_FMT_SPEEDSCOPE;
	if (!strcmp(name, "chrometrace") || !strcmp(name, "chrome"))
		return EXPORT_FMT_CHROME;
	if (!strcmp(name, "svg") || !strcmp(name, "flamegraph"))
		return EXPORT_FMT_SVG;
	if (!strcmp(name, "pstats") || !strcmp(name, "prof"))
		return EXPORT_FMT_PSTATS;
	if (!strcmp(name, "gecko") || !strcmp(name, "firefox"))
		return EXPORT_FMT_GECKO;
	if (!strcmp(name, "heatmap") || !strcmp(name, "html"))
		return EXPORT_FMT_HEATMAP;
	return EXPORT_FMT_NONE;
}

enum export_format export_format_of_path(const char *path)
{
	if (ends_with(path, ".svg"))
		return EXPORT_FMT_SVG;
	if (ends_with(path, ".pstats") || ends_with(path, ".prof"))
		return EXPORT_FMT_PSTATS;
	if (ends_with(path, ".gecko.json"))
		return EXPORT_FMT_GECKO;
	if (ends_with(path, ".html") || ends_with(path, ".htm"))
		return EXPORT_FMT_HEATMAP;
	if (ends_with(path, ".trace.json") || ends_with(path, ".chrome.json"))
		return EXPORT_FMT_CHROME;
	if (ends_with(path, ".json"))
		return EXPORT_FMT_SPEEDSCOPE;
	if (ends_with(path, ".txt") || ends_with(path, ".folded") || ends_with(path, ".collapsed"))
		return EXPORT_FMT_FOLDED;
	return EXPORT_FMT_NONE;
}

int export_write(const struct profile *p, const char *path, enum export_format fmt,
		  const struct export_opts *o, struct pyspy_err *e)
{
	switch (fmt) {
	case EXPORT_FMT_FOLDED: return export_folded(p, path, o, e);
	case EXPORT_FMT_SPEEDSCOPE: return export_speedscope(p, path, o, e);
	case EXPORT_FMT_CHROME: return export_chrome(p, path, o, e);
	case EXPORT_FMT_PSTATS: return export_pstats(p, path, o, e);
	case EXPORT_FMT_GECKO: return export_gecko(p, path, o, e);
	case EXPORT_FMT_HEATMAP: return export_heatmap(p, path, o, e);
	default: return export_svg(p, path, o, e);
	}
}
