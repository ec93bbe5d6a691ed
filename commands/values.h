/*
 * values.h — printing a frame's variables, shared by `locals` and `bt --locals`.
 */
#ifndef PYSPY_VALUES_H
#define PYSPY_VALUES_H

#include <stdbool.h>

struct session;
struct py_frame;

/* Arguments and locals of f: as text blocks under `indent`, or as a JSON
 * member `, "locals": [{"name", "arg", "value"}]` appended to an open object.
 * The target should be paused (SNAP_KEEP_PAUSED) while this runs. */
void values_print_frame(struct session *s, const struct py_frame *f, const char *indent, bool json);

#endif
