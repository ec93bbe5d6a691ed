/*
 * main.c — pyspy-sh's command line.
 *
 *   pyspy-sh [-p PID] [--nonblocking] [-nx] [-ex CMD]... [--batch] [-- PROGRAM ARGS...]
 *   pyspy-sh -p PID [-ex CMD]... -x SCRIPT.lua [-- SCRIPT ARGS...]
 *   pyspy-sh --core CORE [--exe PATH] [-ex CMD]... [--batch]
 *
 * Batch use is the fast path (a one-shot `bt --all` should cost a few
 * milliseconds, fork and exec included), so nothing interactive — readline,
 * Lua — is started before it is needed.  Exit status, as eu-stack and gdb
 * users expect: 0 all done, 1 a command failed or its output is partial,
 * 2 could not attach, 64 bad usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/command.h"
#include "commands/session.h"
#include "launch.h"
#include "repl.h"

#define EXIT_PARTIAL 1
#define EXIT_NOATTACH 2
#define EXIT_USAGE 64

#ifndef PYSPY_VERSION
#define PYSPY_VERSION "0.1.0"
#endif

struct options {
	long pid;
	const char *core;          /* --core / -c: a core file instead of a process */
	const char *exe;           /* --exe: the core's executable */
	const char **ex;
	int nex;
	int batch;
	int nonblocking;
	int subprocesses;
	int no_init;
	char **launch;             /* the program after "--", or NULL */
	const char *script;        /* -x: a Lua script to run after the -ex commands, then exit */
	const char *const *script_args;  /* with -p, what follows "--" */
	int nscript_args;
};

static void usage(FILE *f)
{
	fputs("usage: pyspy-sh [-p PID] [options] [-ex COMMAND]... [--batch]\n"
	      "       pyspy-sh [options] [-ex COMMAND]... [--batch] -- PROGRAM [ARGS...]\n"
	      "       pyspy-sh -p PID [options] [-ex COMMAND]... -x SCRIPT.lua [-- SCRIPT ARGS...]\n"
	      "       pyspy-sh --core CORE [--exe PATH] [options] [-ex COMMAND]... [--batch]\n"
	      "\n"
	      "Look inside a running CPython process (2.7, 3.6 to 3.13) without changing it:\n"
	      "its threads, their Python stacks, and more.  Without --batch an interactive\n"
	      "session follows the -ex commands.  With -- PROGRAM, pyspy-sh starts the\n"
	      "program and attaches to it once it runs.\n"
	      "\n"
	      "options:\n"
	      "  -p, --pid PID        attach to this process\n"
	      "  -c, --core CORE      open a core file of a Python process (post-mortem)\n"
	      "  --exe PATH           the core's executable, where it is not where the core says\n"
	      "  -ex, --ex COMMAND    run COMMAND (repeatable, in order)\n"
	      "  --batch              exit after the -ex commands\n"
	      "  -x, --script FILE    run the Lua script FILE after the -ex commands, then exit\n"
	      "                       (found by name in the script directories: 'info scripts')\n"
	      "  --nonblocking        never pause the target (reads may be inconsistent)\n"
	      "  --subprocesses       sample, threads and bt --all cover the target's Python descendants too\n"
	      "  -nx, --nx            do not read ~/.pyspyinit\n"
	      "  -h, --help           this text\n"
	      "  --version            the version\n"
	      "\n"
	      "exit status: 0 done, 1 a command failed or output is partial,\n"
	      "2 could not attach (no such process, not Python, no permission), 64 bad usage\n", f);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("pyspy-sh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\ntry 'pyspy-sh --help'\n", stderr);
	return EXIT_USAGE;
}

static int parse_pid(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || end == s || errno || v <= 0 || v > 0x3fffffff)
		return -1;
	*out = v;
	return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	o->ex = calloc((size_t)argc, sizeof(*o->ex));
	if (!o->ex)
		return EXIT_PARTIAL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("pyspy-sh %s\n", PYSPY_VERSION);
			return 0;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pid")) {
			if (!val)
				return bad_usage("%s needs a process id", a);
			if (parse_pid(val, &o->pid) < 0)
				return bad_usage("'%s' is not a process id", val);
			i++;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--core")) {
			if (!val)
				return bad_usage("%s needs a core file", a);
			o->core = val;
			i++;
		} else if (!strcmp(a, "--exe")) {
			if (!val)
				return bad_usage("%s needs the path of an executable", a);
			o->exe = val;
			i++;
		} else if (!strcmp(a, "-ex") || !strcmp(a, "--ex") || !strcmp(a, "-e")) {
			if (!val)
				return bad_usage("%s needs a command", a);
			o->ex[o->nex++] = val;
			i++;
		} else if (!strcmp(a, "-x") || !strcmp(a, "--script")) {
			if (!val)
				return bad_usage("%s needs a Lua script", a);
			o->script = val;
			i++;
		} else if (!strcmp(a, "--batch") || !strcmp(a, "-batch")) {
			o->batch = 1;
		} else if (!strcmp(a, "--subprocesses")) {
			o->subprocesses = 1;
		} else if (!strcmp(a, "--nonblocking")) {
			o->nonblocking = 1;
		} else if (!strcmp(a, "-nx") || !strcmp(a, "--nx") || !strcmp(a, "-n")) {
			o->no_init = 1;
		} else if (!strcmp(a, "--") && o->script && (o->pid || o->core)) {
			o->script_args = (const char *const *)argv + i + 1;
			o->nscript_args = argc - i - 1;
			break;
		} else if (!strcmp(a, "--")) {
			if (i + 1 >= argc)
				return bad_usage("%s", "-- needs a program to start");
			if (o->pid || o->core)
				return bad_usage("%s", o->pid ? "-p and -- PROGRAM cannot be used together"
							      : "--core and -- PROGRAM cannot be used together");
			o->launch = argv + i + 1;
			break;
		} else {
			return bad_usage("unknown option '%s'", a);
		}
	}
	if (o->core && o->pid)
		return bad_usage("%s", "-p and --core cannot be used together");
	if (o->exe && !o->core)
		return bad_usage("%s", "--exe goes with --core CORE");
	return -1;
}

static enum locate_method locate_from_env(void)
{
	const char *v = getenv("PYSPY_LOCATE");
	if (!v)
		return LOCATE_ANY;
	if (!strcmp(v, "symbol"))
		return LOCATE_SYMBOL;
	if (!strcmp(v, "section"))
		return LOCATE_SECTION;
	if (!strcmp(v, "scan"))
		return LOCATE_SCAN;
	return LOCATE_ANY;
}

/* Launch mode: whether the first command wants the program from its start. */
static bool first_from_start(const struct options *o)
{
	const struct command *c = o->nex ? command_of_line(o->ex[0]) : NULL;
	return c && (c->flags & CMD_FROM_START);
}

static void run_init_file(struct session *s)
{
	const char *home = getenv("HOME");
	char path[4096];
	if (!home || !*home)
		return;
	snprintf(path, sizeof(path), "%s/.pyspyinit", home);
	source_file(s, path, true);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct session s;
	pid_t child = 0;
	int status = 0;

	int rc = parse_options(argc, argv, &o);
	if (rc >= 0) {
		free(o.ex);
		return rc;
	}
	session_init(&s);
	s.interactive = !o.batch && !o.script && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	s.set.colour = s.interactive && !getenv("NO_COLOR");
	s.set.nonblocking = o.nonblocking;
	s.subprocesses = o.subprocesses;
	s.set.locate = locate_from_env();
	if (o.launch)
		repl_catch_sigint();   /* Ctrl-C stops a command; the program, in its own group, never sees it */
	if (o.launch || o.pid || o.core) {
		rc = o.launch ? launch_and_attach(&s, o.launch, first_from_start(&o), &child)
		   : o.core ? session_open_core(&s, o.core, o.exe)
			    : session_attach(&s, (int)o.pid);
		if (rc != CMD_OK)
			status = EXIT_NOATTACH;
		if (rc != CMD_OK && (o.batch || o.script))
			goto out;
	}
	if (!o.no_init)
		run_init_file(&s);
	for (int i = 0; i < o.nex && !s.quit; i++) {
		pyspy_interrupted = 0;
		rc = command_run(&s, o.ex[i]);
		if (rc == CMD_NOATTACH && o.batch) {
			status = EXIT_NOATTACH;
			break;
		}
		if (rc != CMD_OK && status == 0)
			status = EXIT_PARTIAL;
	}
	if (o.script && !s.quit && status != EXIT_NOATTACH) {
		repl_catch_sigint();   /* Ctrl-C stops the script with a message, exit 1 */
		pyspy_interrupted = 0;
		if (luacmd_run_file(&s, o.script, o.script_args, o.nscript_args) != CMD_OK && status == 0)
			status = EXIT_PARTIAL;
	}
	if (!o.batch && !o.script && !s.quit) {
		rc = repl_run(&s);
		if (rc != CMD_OK && status == 0 && !isatty(STDIN_FILENO))
			status = EXIT_PARTIAL;
	}
out:
	session_release(&s);
	free(o.ex);
	if (child) {
		/* the program's own exit status is the answer, unless pyspy-sh failed */
		int child_status = launch_finish(child, s.launch_kill);
		return status ? status : child_status;
	}
	return status;
}
