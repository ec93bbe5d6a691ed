/*
 * lookup_key.c — see lookup_key.h.
 */
#include "lookup_key.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "repr.h"
#include "reprfmt.h"
#include "engine/python/pyobj.h"

#define KEY_MAX_NEST 8
#define KEY_MAX_CHARS 4096

struct kparse {
	const char *s, *end;
	bool py2;
	struct pyspy_err *e;
};

static void skip_space(struct kparse *p)
{
	while (p->s < p->end && isspace((unsigned char)*p->s))
		p->s++;
}

static bool word(struct kparse *p, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0 ||
	    (p->s + n < p->end && (isalnum((unsigned char)p->s[n]) || p->s[n] == '_')))
		return false;
	p->s += n;
	return true;
}

static int hexval(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0' : isxdigit((unsigned char)ch) ? (tolower((unsigned char)ch) - 'a' + 10) : -1;
}

/* One code point (or byte) of a quoted literal, escapes decoded; -1 at a bad escape. */
static int64_t quoted_char(struct kparse *p, bool bytes)
{
	unsigned char ch = (unsigned char)*p->s++;
	if (ch != '\\') {
		if (bytes || ch < 0x80)
			return ch;
		int len = (ch >> 5) == 6 ? 2 : (ch >> 4) == 14 ? 3 : (ch >> 3) == 30 ? 4 : 0;
		if (!len || p->s + len - 1 > p->end)
			return -1;
		uint32_t v = ch & (0x7f >> len);
		for (int j = 1; j < len; j++)
			v = v << 6 | ((unsigned char)*p->s++ & 0x3f);
		return v;
	}
	if (p->s >= p->end)
		return -1;
	char esc = *p->s++;
	int digits = esc == 'x' ? 2 : esc == 'u' && !bytes ? 4 : esc == 'U' && !bytes ? 8 : 0;
	switch (esc) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case '0': return 0;
	case '\\': case '\'': case '"': return esc;
	}
	if (!digits || p->end - p->s < digits)
		return -1;
	int64_t v = 0;
	for (int i = 0; i < digits; i++) {
		int h = hexval(*p->s++);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v > 0x10ffff ? -1 : v;
}

static int quoted(struct kparse *p, struct strbuf *canon, struct lookup_key *top)
{
	bool bytes = false, unicode = false;
	while (*p->s == 'b' || *p->s == 'B' || *p->s == 'u' || *p->s == 'U') {
		bytes = bytes || tolower((unsigned char)*p->s) == 'b';
		unicode = unicode || tolower((unsigned char)*p->s) == 'u';
		p->s++;
	}
	char q = *p->s++;
	uint32_t *cp = malloc(KEY_MAX_CHARS * sizeof(*cp));
	uint8_t *raw = malloc(KEY_MAX_CHARS);
	size_t n = 0;
	int rc = 0;
	if (!cp || !raw) {
		rc = err_set(p->e, PS_ENOMEM, "out of memory");
		goto out;
	}
	while (p->s < p->end && *p->s != q) {
		int64_t v = quoted_char(p, bytes || (p->py2 && !unicode));
		if (v < 0 || n >= KEY_MAX_CHARS || (bytes && v > 255)) {
			rc = err_set(p->e, PS_EARG, "bad character in the key's %s literal", bytes ? "bytes" : "str");
			goto out;
		}
		cp[n] = (uint32_t)v;
		raw[n++] = (uint8_t)v;
	}
	if (p->s >= p->end) {
		rc = err_set(p->e, PS_EARG, "the key's string has no closing %c", q);
		goto out;
	}
	p->s++;
	if (bytes || (p->py2 && !unicode))
		reprfmt_bytes(canon, raw, n, bytes && !p->py2 ? "b" : "");
	else
		reprfmt_unicode(canon, cp, n, p->py2);
	if (top && !bytes) {
		struct strbuf t;
		strbuf_init(&t, 0);
		for (size_t i = 0; i < n; i++) {
			char u[4];
			strbuf_add(&t, u, p->py2 && !unicode ? (u[0] = (char)raw[i], 1) : strbuf_utf8(cp[i], u));
		}
		if (t.len < sizeof(top->text) && !memchr(strbuf_str(&t), 0, t.len)) {
			top->kind = LKEY_STR;
			memcpy(top->text, strbuf_str(&t), t.len + 1);
		}
		strbuf_release(&t);
	}
out:
	free(cp);
	free(raw);
	return rc;
}

static int literal(struct kparse *p, struct strbuf *canon, struct lookup_key *top, int depth);

static int tuple(struct kparse *p, struct strbuf *canon, int depth)
{
	size_t n = 0;
	bool comma = false;
	p->s++;
	strbuf_addch(canon, '(');
	for (;;) {
		skip_space(p);
		if (p->s < p->end && *p->s == ')')
			break;
		if (n)
			strbuf_addstr(canon, ", ");
		int rc = literal(p, canon, NULL, depth + 1);
		if (rc < 0)
			return rc;
		n++;
		skip_space(p);
		comma = p->s < p->end && *p->s == ',';
		if (!comma)
			break;
		p->s++;
	}
	skip_space(p);
	if (p->s >= p->end || *p->s != ')')
		return err_set(p->e, PS_EARG, "the key's tuple has no closing )");
	p->s++;
	strbuf_addstr(canon, n == 1 ? ",)" : ")");
	(void)comma;
	return 0;
}

static int literal(struct kparse *p, struct strbuf *canon, struct lookup_key *top, int depth)
{
	skip_space(p);
	if (depth > KEY_MAX_NEST)
		return err_set(p->e, PS_EARG, "the key nests too deep");
	if (p->s >= p->end)
		return err_set(p->e, PS_EARG, "empty key");
	const char *w[] = { "None", "True", "False" };
	for (int i = 0; i < 3; i++)
		if (word(p, w[i])) {
			strbuf_addstr(canon, w[i]);
			return 0;
		}
	char ch = *p->s;
	if (ch == '(')
		return tuple(p, canon, depth);
	const char *q = p->s;
	while (q < p->end && strchr("bBuU", *q) && q - p->s < 2)
		q++;
	if (q < p->end && (*q == '\'' || *q == '"'))
		return quoted(p, canon, top);
	if (ch == '-' || isdigit((unsigned char)ch)) {
		const char *start = p->s + (ch == '-');
		const char *d = start;
		while (d < p->end && isdigit((unsigned char)*d))
			d++;
		if (d == start)
			return err_set(p->e, PS_EARG, "bad number in the key");
		while (start < d - 1 && *start == '0')
			start++;
		bool zero = d - start == 1 && *start == '0';
		strbuf_addf(canon, "%s%.*s", ch == '-' && !zero ? "-" : "", (int)(d - start), start);
		if (top && d - start < 19) {
			top->kind = LKEY_INT;
			top->n = strtoll(p->s, NULL, 10);
		}
		p->s = d;
		return 0;
	}
	return err_set(p->e, PS_EARG, "bad key '%.*s': expected a number, a string, bytes, None or a tuple",
		       (int)(p->end - p->s), p->s);
}

int lookup_key_parse(const char *s, size_t len, bool py2, struct lookup_key *k, struct pyspy_err *e)
{
	memset(k, 0, sizeof(*k));
	k->kind = LKEY_OTHER;
	strbuf_init(&k->canon, 0);
	struct kparse p = { s, s + len, py2, e };
	int rc = literal(&p, &k->canon, k, 0);
	if (rc < 0)
		return rc;
	skip_space(&p);
	if (p.s != p.end)
		return err_set(e, PS_EARG, "unexpected '%.*s' after the key", (int)(p.end - p.s), p.s);
	return k->canon.oom ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}

void lookup_key_release(struct lookup_key *k)
{
	strbuf_release(&k->canon);
}

struct key_match {
	struct target *t;
	const struct lookup_key *k;
	struct repr_opts o;
	raddr_t value;
	int fatal;
	struct pyspy_err *e;
};

static int match_repr(void *arg, raddr_t key, raddr_t value)
{
	struct key_match *m = arg;
	struct strbuf sb;
	strbuf_init(&sb, 0);
	int rc = repr_value(m->t, key, &m->o, &sb, m->e);
	bool same = sb.len == m->k->canon.len && memcmp(strbuf_str(&sb), strbuf_str(&m->k->canon), sb.len) == 0;
	strbuf_release(&sb);
	if (rc < 0) {
		m->fatal = rc;
		return 1;
	}
	if (same)
		m->value = value;
	return same;
}

int lookup_key_find(struct target *t, raddr_t dict, const struct lookup_key *k, raddr_t *value, struct pyspy_err *e)
{
	int rc;
	*value = 0;
	if (k->kind == LKEY_STR && (rc = pyobj_dict_get_str(t, dict, k->text, value, e)) < 0)
		return rc;
	if (k->kind == LKEY_INT && (rc = pyobj_dict_get_int(t, dict, (uint64_t)k->n, value, e)) < 0)
		return rc;
	if (*value || k->kind != LKEY_OTHER)
		return 0;
	/* one character more than the key's own repr tells a longer repr apart */
	struct key_match m = { t, k, { .width = k->canon.len + 4, .depth = KEY_MAX_NEST + 1, .max_items = 0, .attrs = false }, 0, 0, e };
	if ((rc = pyobj_dict_foreach(t, dict, match_repr, &m, e)) < 0)
		return rc;
	*value = m.value;
	return m.fatal;
}
