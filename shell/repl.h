/*
 * repl.h — the interactive loop (readline on a terminal, plain lines otherwise).
 */
#ifndef PYSPY_REPL_H
#define PYSPY_REPL_H

struct session;

/* Read and run commands until quit or end of input.  Returns CMD_OK, or
 * CMD_FAILED if any command read from a non-terminal failed. */
int repl_run(struct session *s);

/* Make Ctrl-C set pyspy_interrupted (stopping the running command or script)
 * instead of ending pyspy-sh; repl_run() does this itself on a terminal. */
void repl_catch_sigint(void);

#endif
