/*
 * unit.h — the whole unit-test harness: count checks, report, set the exit code.
 *
 * Each tests/unit/test_*.c is one program that includes this header once, calls
 * CHECK* as it goes and ends main() with `return unit_done();`.  A failed check
 * prints where and what to stderr and carries on, so one run shows every
 * failure.  The last line on stdout is exactly "N passed, N failed", and the
 * exit status is non-zero if anything failed, which is all a runner needs.
 */
#ifndef PYSPY_UNIT_H
#define PYSPY_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

/* Records one check; returns cond so a test can stop early on failure. */
static inline int unit_check(int cond, const char *file, int line, const char *what)
{
	if (cond) {
		unit_passed++;
	} else {
		unit_failed++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	}
	return cond;
}

static inline int unit_check_int(long long got, long long want, const char *file,
				 int line, const char *what)
{
	if (got != want)
		fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", file, line, what, got, want);
	return unit_check(got == want, file, line, what);
}

static inline int unit_check_str(const char *got, const char *want, const char *file,
				 int line, const char *what)
{
	int ok = got && want ? strcmp(got, want) == 0 : got == want;

	if (!ok)
		fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", file, line, what,
			got ? got : "(null)", want ? want : "(null)");
	return unit_check(ok, file, line, what);
}

#define CHECK(cond) unit_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_INT(got, want) unit_check_int((got), (want), __FILE__, __LINE__, #got)
#define CHECK_STR(got, want) unit_check_str((got), (want), __FILE__, __LINE__, #got)

/* Prints the summary line; returns main()'s exit status. */
static inline int unit_done(void)
{
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
