/*
 * error.h — the engine's one list of failures.
 *
 * Every engine function returns 0 on success or a negative code from this list,
 * and puts the detail ("cannot read 8 bytes at 0x7f..: bad address") into an
 * error struct the caller owns.  The engine never prints: the shell decides what
 * a failure looks like, Lua turns it into `nil, message`, and the batch exit
 * status is derived from the code (attach failures are 2, the rest 1).
 */
#ifndef PYSPY_ERROR_H
#define PYSPY_ERROR_H

#include <signal.h>
#include <stddef.h>

#define PYSPY_ERRORS(X) \
	X(PS_OK, "success") \
	X(PS_ENOPROC, "no such process") \
	X(PS_EPERM, "permission denied") \
	X(PS_ENOTPY, "not a Python process") \
	X(PS_EUNSUP, "unsupported Python version") \
	X(PS_EFAULT, "bad remote address") \
	X(PS_EGONE, "process exited") \
	X(PS_ETORN, "inconsistent data") \
	X(PS_ENOMEM, "out of memory") \
	X(PS_EIO, "input/output error") \
	X(PS_EARG, "bad argument") \
	X(PS_ECORRUPT, "corrupt data") \
	X(PS_EINTR, "interrupted")

enum pyspy_code {
#define PS_ENUM(code, text) code,
	PYSPY_ERRORS(PS_ENUM)
#undef PS_ENUM
	PS_NCODES
};

struct pyspy_err {
	int code;          /* a pyspy_code, positive */
	char msg[512];     /* lowercase, no full stop, names the subject */
};

/* Record a failure and return -code, so `return err_set(e, PS_EIO, "...")` works. */
int err_set(struct pyspy_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context: "reading thread 3: <old>". */
int err_wrap(struct pyspy_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The generic text of a code ("no such process"). */
const char *err_text(int code);

/* Set (by the shell's SIGINT handler) to ask long engine loops to stop;
 * they return PS_EINTR with what they have.  The shell clears it. */
extern volatile sig_atomic_t pyspy_interrupted;

/* Reset to "no error". */
void err_clear(struct pyspy_err *e);

#endif
