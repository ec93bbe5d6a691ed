/*
 * repl.h — the interactive loop (readline on a terminal, plain lines otherwise).
 */
#ifndef PYSPY_REPL_H
#define PYSPY_REPL_H

struct session;

/* Read and run commands until quit or end of input.  Returns CMD_OK, or
 * CMD_FAILED if any command read from a non-terminal failed. */
int repl_run(struct session *s);

#endif
