/*
 * tables.c — the list of generated layouts and the lookup by version.
 *
 * Each pyX_Y.generated.c defines one `const struct py_layout`; this file is
 * the only place that names them all, so adding a version is one line here
 * plus running generate.sh.  The engine picks a table once, at attach time,
 * and from then on branches on the table's models and fields only.
 */
#include "layout.h"

extern const struct py_layout layout_py2_7, layout_py3_6, layout_py3_7,
	layout_py3_8, layout_py3_9, layout_py3_10, layout_py3_11, layout_py3_12,
	layout_py3_13, layout_py3_14, layout_py3_15;

const struct py_layout *const layout_tables[] = {
	&layout_py2_7,
	&layout_py3_6,
	&layout_py3_7,
	&layout_py3_8,
	&layout_py3_9,
	&layout_py3_10,
	&layout_py3_11,
	&layout_py3_12,
	&layout_py3_13,
	&layout_py3_14,
	&layout_py3_15,
};

const size_t layout_table_count = sizeof layout_tables / sizeof layout_tables[0];

const struct py_layout *layout_for_version(unsigned major, unsigned minor)
{
	uint32_t want;

	if (major > 0xff || minor > 0xff)
		return NULL;
	want = (uint32_t)major << 24 | (uint32_t)minor << 16;
	for (size_t i = 0; i < layout_table_count; i++)
		if (layout_tables[i]->version == want)
			return layout_tables[i];
	return NULL;
}
