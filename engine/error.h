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

/*
 * X(code, text, fatal): `fatal` says whether the failure ends a whole walk
 * (printing a value, decoding locals) rather than only the part being read:
 * the process is gone, memory ran out, or the user pressed Ctrl-C.  A bad
 * address or torn data spoils one object, which is shown as unreadable, and
 * the walk goes on.  err_is_fatal() is the one place this policy is read.
 */
#define PYSPY_ERRORS(X) \
	X(PS_OK, "success", 0) \
	X(PS_ENOPROC, "no such process", 1) \
	X(PS_EPERM, "permission denied", 0) \
	X(PS_ENOTPY, "not a Python process", 0) \
	X(PS_EUNSUP, "unsupported Python version", 0) \
	X(PS_EFAULT, "bad remote address", 0) \
	X(PS_EGONE, "process exited", 1) \
	X(PS_ETORN, "inconsistent data", 0) \
	X(PS_ENOMEM, "out of memory", 1) \
	X(PS_EIO, "input/output error", 0) \
	X(PS_EARG, "bad argument", 0) \
	X(PS_ECORRUPT, "corrupt data", 0) \
	X(PS_EINTR, "interrupted", 1)

enum pyspy_code {
#define PS_ENUM(code, text, fatal) code,
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

/* Whether a failure (a code, either sign) ends a walk: see PYSPY_ERRORS. */
int err_is_fatal(int code);

/* Set (by the shell's SIGINT handler) to ask long engine loops to stop;
 * they return PS_EINTR with what they have.  The shell clears it. */
extern volatile sig_atomic_t pyspy_interrupted;

/* Reset to "no error". */
void err_clear(struct pyspy_err *e);

#endif
