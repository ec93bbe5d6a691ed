/*
 * jsonread.h — a small JSON reader for the unit tests (header only, static).
 *
 * The exporters' JSON (speedscope, Chrome trace) is parsed back into a tree of
 * `struct jv` so a test can walk it for required fields; a document that is
 * not exactly one well-formed JSON value fails to parse.  Nesting is bounded.
 */
#ifndef PYSPY_TEST_JSONREAD_H
#define PYSPY_TEST_JSONREAD_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	double num;
	char *str;
	struct jv *items;
	char **keys;
	size_t n;
};

static const char *jp;
static bool jbad;

static void jws(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\r' || *jp == '\t')
		jp++;
}

static char *jstring(void)
{
	size_t cap = 64, n = 0;
	char *s = malloc(cap);
	jp++;
	while (*jp != '"') {
		if (n + 8 > cap)
			s = realloc(s, cap *= 2);
		unsigned char c = (unsigned char)*jp;
		if (c < 0x20) {
			jbad = true;
			break;
		}
		if (c == '\\') {
			jp++;
			if (*jp == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", jp[i]) || !jp[i])
						jbad = true;
				if (jbad)
					break;
				s[n++] = '?';
				jp += 5;
				continue;
			}
			if (!*jp || !strchr("\"\\/bfnrt", *jp)) {
				jbad = true;
				break;
			}
			s[n++] = *jp == 'n' ? '\n' : *jp == 't' ? '\t' : *jp;
			jp++;
			continue;
		}
		size_t k = export_utf8_len(jp);
		if (!k) {
			jbad = true;
			break;
		}
		memcpy(s + n, jp, k);
		n += k;
		jp += k;
	}
	s[n] = '\0';
	if (!jbad)
		jp++;
	return s;
}

static struct jv jvalue(int depth);

static void jpush(struct jv *v, struct jv item, char *key)
{
	v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
	v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
	v->items[v->n] = item;
	v->keys[v->n++] = key;
}

static struct jv jcontainer(int depth, char close)
{
	struct jv v = { .t = close == '}' ? J_OBJ : J_ARR };
	jp++;
	jws();
	if (*jp == close) {
		jp++;
		return v;
	}
	while (!jbad) {
		char *key = NULL;
		jws();
		if (close == '}') {
			if (*jp != '"') {
				jbad = true;
				break;
			}
			key = jstring();
			jws();
			if (*jp++ != ':')
				jbad = true;
		}
		jpush(&v, jvalue(depth + 1), key);
		jws();
		if (*jp == ',') {
			jp++;
		} else if (*jp == close) {
			jp++;
			break;
		} else {
			jbad = true;
		}
	}
	return v;
}

static struct jv jvalue(int depth)
{
	struct jv v = { 0 };
	jws();
	if (depth > 200) {
		jbad = true;
	} else if (*jp == '{' || *jp == '[') {
		v = jcontainer(depth, *jp == '{' ? '}' : ']');
	} else if (*jp == '"') {
		v.t = J_STR;
		v.str = jstring();
	} else if (!strncmp(jp, "true", 4) || !strncmp(jp, "null", 4)) {
		v.t = *jp == 't' ? J_BOOL : J_NULL;
		jp += 4;
	} else if (!strncmp(jp, "false", 5)) {
		v.t = J_BOOL;
		jp += 5;
	} else if (*jp == '-' || (*jp >= '0' && *jp <= '9')) {
		char *end;
		v.t = J_NUM;
		v.num = strtod(jp, &end);
		jp = end;
	} else {
		jbad = true;
	}
	return v;
}

/* Parse the whole text; false if it is not one well-formed JSON value. */
static bool jparse(const char *text, struct jv *out)
{
	jp = text;
	jbad = false;
	*out = jvalue(0);
	jws();
	return !jbad && *jp == '\0';
}

static void jfree(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->items[i]);
		free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

static const struct jv *jget(const struct jv *o, const char *key, enum jtype t)
{
	for (size_t i = 0; o && o->t == J_OBJ && i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i].t == t ? &o->items[i] : NULL;
	return NULL;
}

#endif
