/*
 * error.c — formatting of engine failures.  See error.h for the contract.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

volatile sig_atomic_t pyspy_interrupted;

static const char *const texts[] = {
#define PS_TEXT(code, text, fatal) text,
	PYSPY_ERRORS(PS_TEXT)
#undef PS_TEXT
};

static const unsigned char fatal_codes[] = {
#define PS_FATAL(code, text, fatal) fatal,
	PYSPY_ERRORS(PS_FATAL)
#undef PS_FATAL
};

int err_is_fatal(int code)
{
	if (code < 0)
		code = -code;
	return code < PS_NCODES && fatal_codes[code];
}

const char *err_text(int code)
{
	if (code < 0)
		code = -code;
	if (code >= PS_NCODES)
		return "unknown error";
	return texts[code];
}

int err_set(struct pyspy_err *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		e->code = code;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

int err_wrap(struct pyspy_err *e, const char *fmt, ...)
{
	char prefix[256], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return -PS_EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	size_t n = strlen(prefix);
	if (n > sizeof(e->msg) - 3)
		n = sizeof(e->msg) - 3;
	memcpy(e->msg, prefix, n);
	memcpy(e->msg + n, ": ", 2);
	size_t room = sizeof(e->msg) - n - 3;
	size_t olen = strnlen(old, room);
	memcpy(e->msg + n + 2, old, olen);
	e->msg[n + 2 + olen] = '\0';
	return -e->code;
}

void err_clear(struct pyspy_err *e)
{
	if (e) {
		e->code = PS_OK;
		e->msg[0] = '\0';
	}
}
