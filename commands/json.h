/*
 * json.h — the little JSON writing the commands need (`--json` output).
 */
#ifndef PYSPY_JSON_H
#define PYSPY_JSON_H

#include <stdio.h>

/* A JSON string literal for UTF-8 text (invalid bytes become U+FFFD); NULL prints null. */
void json_str(FILE *f, const char *s);

#endif
