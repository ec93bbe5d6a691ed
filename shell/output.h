/*
 * output.h — running a command for a person at a terminal: its output goes
 * through the pager when it is longer than the screen.
 */
#ifndef PYSPY_OUTPUT_H
#define PYSPY_OUTPUT_H

struct session;

/* Run one command line; returns its cmd_status. */
int output_run(struct session *s, const char *line);

#endif
