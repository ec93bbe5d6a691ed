/*
 * command.h — one table of commands, one dispatcher.
 *
 * Every command is a `const struct command` in its own file: name, aliases,
 * usage, summary, long help, its options as data, its argument counts, what it
 * needs (an attached target), and its handler.  Help text, `CMD -h`, argument
 * errors, prefix matching and (later) completion all come from that one entry,
 * so they cannot drift from what the handler accepts.  The REPL, `-ex`,
 * `source` and Lua's `pyspy.cmd()` all go through command_run().
 */
#ifndef PYSPY_COMMAND_H
#define PYSPY_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

struct session;

enum opt_type {
	OPT_BOOL,
	OPT_INT,
	OPT_STRING,
};

struct cmd_opt {
	const char *name;          /* long form without dashes: "all" for --all */
	char short_name;           /* 'a' for -a, or 0 */
	enum opt_type type;
	const char *metavar;       /* "N" for an argument, NULL for a flag */
	const char *help;
};

#define CMD_MAX_OPTS 16
#define CMD_MAX_ARGS 32

struct cmd_args {
	int argc;                  /* positional arguments */
	const char *argv[CMD_MAX_ARGS];
	bool set[CMD_MAX_OPTS];    /* indexed like the command's opts[] */
	long num[CMD_MAX_OPTS];
	const char *str[CMD_MAX_OPTS];
};

enum cmd_flags {
	CMD_NEEDS_TARGET = 1 << 0, /* refuse unless attached */
	CMD_REPEATS = 1 << 1,      /* an empty line repeats it, as in gdb */
	CMD_FILE_ARG = 1 << 2,     /* its argument is a file name: complete file names */
	CMD_RAW_ARGS = 1 << 3,     /* one argument: the rest of the line as typed (quotes kept) */
	CMD_STREAMS = 1 << 4,      /* output as it comes, never held back for the pager (scripts) */
	CMD_FROM_START = 1 << 5,   /* launch mode: run as the interpreter starts, not once the program settles */
	CMD_LIVE = 1 << 6,         /* needs a running process: refused on a core file */
};

/* Handler status: 0 done; 1 failed or partial; 2 cannot attach (for batch exit codes). */
enum cmd_status {
	CMD_OK = 0,
	CMD_FAILED = 1,
	CMD_NOATTACH = 2,
};

/* A completer offers candidates for argument number argi (0-based); the caller filters by prefix. */
typedef void (*complete_add_fn)(void *ctx, const char *word);

struct command {
	const char *name;
	const char *const *aliases;    /* NULL-terminated, or NULL */
	const char *usage;             /* "bt [N] [--all] [--json]" */
	const char *summary;           /* one line */
	const char *help;              /* paragraphs */
	const struct cmd_opt *opts;    /* terminated by a zero entry, or NULL */
	int min_args, max_args;        /* positional argument counts */
	unsigned flags;
	int (*handler)(struct session *s, const struct cmd_args *a);
	void (*complete)(struct session *s, int argi, complete_add_fn add, void *ctx);
};

extern const struct command *const command_table[];

/* Parse and run one command line.  Returns a cmd_status. */
int command_run(struct session *s, const char *line);

/* The command called name, by exact name, alias or unique prefix; NULL if none.
 * On ambiguity *ambiguous is set and NULL returned. */
const struct command *command_find(const char *name, bool *ambiguous);

/* The command a line would run (by its first word), or NULL. */
const struct command *command_of_line(const char *line);

/* Offer every command name and alias. */
void command_complete_names(complete_add_fn add, void *ctx);

/* Completers shared by several commands. */
void complete_thread_numbers(struct session *s, int argi, complete_add_fn add, void *ctx);
void complete_frame_numbers(struct session *s, int argi, complete_add_fn add, void *ctx);
void complete_command_names(struct session *s, int argi, complete_add_fn add, void *ctx);

/* Print a command's full help (usage, summary, options, help text). */
void command_print_help(struct session *s, const struct command *c);

/* Run a file of commands (source.c); stops at the first failure.  missing_ok:
 * a file that does not exist is not an error (the init file). */
int source_file(struct session *s, const char *path, bool missing_ok);

/* Run a Lua script (lua.c): arg[0] = path, args after; the path is looked up
 * as `-x` and `source` do.  Errors are reported; returns a cmd_status. */
int luacmd_run_file(struct session *s, const char *path, const char *const *args, int nargs);

/* Split a line into words, honouring '...', "..." and backslashes.
 * Returns the count, or -1 on an unterminated quote.  Words point into buf. */
int command_split(const char *line, char *buf, size_t buflen, const char **words, int maxwords);

#endif
