/*
 * sample.h — pieces of `sample` that `top --live` reuses.
 */
#ifndef PYSPY_SAMPLE_CMD_H
#define PYSPY_SAMPLE_CMD_H

#include <stdbool.h>

struct session;
struct profile;
struct sampler_stats;

struct sample_request {
	double rate, duration;
	int mode;                  /* enum sampler_mode: SAMPLER_CPU (0) by default */
	bool blocking;
	bool never_hold;           /* --nonblocking: not even a torn walk's one thread (sampler_opts) */
	bool native, native_all;   /* merge C frames in; implies blocking */
	bool by_task;              /* --async: samples re-rooted at asyncio tasks */
	bool subprocesses;         /* the target and its Python descendants */
	/* instead of the progress line: called a few times a second; non-zero is ignored */
	int (*tick)(void *arg, const struct sampler_stats *st);
	void *tick_arg;
};

/* "500ms", "10s", "2m", "1h", "unlimited" (0).  0, -1 (not a duration) or
 * -2 (longer than 30 days). */
int parse_duration(const char *s, double *seconds);
/* A --rate value for command `cmd` (its name starts the error message). */
int sample_parse_rate(struct session *s, const char *cmd, const char *text, double *rate);

/* --mode NAME into *mode (enum sampler_mode); `cmd` starts the error message. */
int sample_parse_mode(struct session *s, const char *cmd, const char *text, int *mode);

/* Sample into p (fills its metadata).  Returns a cmd_status. */
int sample_into(struct session *s, const struct sample_request *rq, struct profile *p, struct sampler_stats *st);

#endif
