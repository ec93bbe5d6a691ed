/*
 * info.c — `info`: what pyspy-sh knows about the attached process.
 */
#include <dirent.h>
#include <signal.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/core.h"
#include "engine/os/taskstat.h"
#include "engine/profile/profile.h"
#include "scripts/luabind.h"
#include "command.h"
#include "session.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each script directory, in search order, and the .lua files in it. */
static int info_scripts(struct session *s)
{
	struct script_dir dirs[SCRIPT_NDIRS];
	script_dirs(dirs);
	for (int i = 0; i < SCRIPT_NDIRS; i++) {
		if (!dirs[i].path[0])
			continue;
		DIR *d = opendir(dirs[i].path);
		fprintf(s->out, "%s (%s)%s\n", dirs[i].path, dirs[i].label, d ? "" : ": not there");
		char *names[256];
		size_t n = 0;
		for (struct dirent *de; d && (de = readdir(d)) && n < 256;) {
			size_t len = strlen(de->d_name);
			if (len > 4 && !strcmp(de->d_name + len - 4, ".lua") && (names[n] = strdup(de->d_name)))
				n++;
		}
		if (d)
			closedir(d);
		qsort(names, n, sizeof(*names), by_name);
		for (size_t k = 0; k < n; k++) {
			char path[PATH_MAX + 256], summary[256];
			summary[0] = '\0';
			if (snprintf(path, sizeof(path), "%s/%s", dirs[i].path, names[k]) < (int)sizeof(path))
				script_summary(path, summary, sizeof(summary));
			fprintf(s->out, "  %-18s %s\n", names[k], summary);
			free(names[k]);
		}
	}
	return CMD_OK;
}

/* How a live process is read. */
static void info_live(struct session *s, struct target *t)
{
	fprintf(s->out, "reading:       %s; sample: nonblocking unless --blocking\n",
		s->set.nonblocking ? "bt, threads, locals: nonblocking (the target keeps running)"
				   : "bt, threads, locals: blocking (the target is paused while read)");
	struct taskstat ts;
	taskstat_init(&ts, t->pid);
	fprintf(s->out, "sample mode:   cpu by default: %s\n", taskstat_has_cpu(&ts)
		? "each stack weighs its thread's CPU time since the previous tick (schedstat)"
		: "no schedstat on this kernel: one sample per thread the kernel shows running");
	taskstat_release(&ts);
}

/* What ended the process a core was made of. */
static void info_core(struct session *s, const struct core *c)
{
	fprintf(s->out, "core file:     %s\n", c->path);
	if (c->signal == SIGSTOP)
		fprintf(s->out, "signal:        none: the process was stopped (SIGSTOP) when the core was made, as gcore does\n");
	else if (c->signal > 0) {
		const char *abbrev = sigabbrev_np(c->signal);
		fprintf(s->out, "signal:        %d (SIG%s: %s), in thread %d", c->signal, abbrev ? abbrev : "?",
			strsignal(c->signal), (int)c->threads[0].tid);
		if (c->have_siginfo && (c->signal == SIGSEGV || c->signal == SIGBUS || c->signal == SIGFPE ||
					c->signal == SIGILL))
			fprintf(s->out, ", fault address 0x%" PRIx64, c->fault_addr);
		fputc('\n', s->out);
	} else
		fprintf(s->out, "signal:        none (a core made while the process ran, e.g. by gcore)\n");
	if (strcmp(c->exe, c->exe_open) != 0)
		fprintf(s->out, "executable as: %s (--exe)\n", c->exe_open);
}

/* INFO [scripts] */
static int do_info(struct session *s, const struct cmd_args *a)
{
	struct target *t = &s->target;
	struct snapshot snap;
	if (a->argc && !strcmp(a->argv[0], "scripts"))
		return info_scripts(s);
	if (a->argc) {
		cmd_error(s, "info: unexpected argument '%s'", a->argv[0]);
		fprintf(s->err, "usage: info [scripts]\n");
		return CMD_FAILED;
	}
	if (!s->attached)
		return cmd_error(s, "info: no process attached (use 'attach PID' or start with -p PID)");
	if (t->core)
		info_core(s, t->core);
	fprintf(s->out, "process:       %d (%s)%s\n", (int)t->pid, t->comm, t->core ? ", gone: a core file" : "");
	fprintf(s->out, "executable:    %s\n", t->exe);
	fprintf(s->out, "python:        %s\n", t->version_str);
	fprintf(s->out, "interpreter:   %s%s\n", t->pymodule, t->pymodule_is_exe ? " (statically linked)" : "");
	fprintf(s->out, "interp state:  0x%" PRIx64 " (found by %s)\n", t->interp, t->locate_detail);
	if (t->runtime)
		fprintf(s->out, "_PyRuntime:    0x%" PRIx64 "\n", t->runtime);
	fprintf(s->out, "layout:        %s\n", t->layout_origin);
	if (t->core)
		fprintf(s->out, "reading:       the core file (sample, top --live, stop, continue, attach: not available)\n");
	else
		info_live(s, t);
	if (s->profile) {
		const struct profile_meta *m = profile_meta(s->profile);
		uint64_t read = profile_samples(s->profile) + m->torn;
		fprintf(s->out, "last sample:   %llu samples; %llu stacks lost as torn (%.1f%% of those read; %llu read again, "
			"%llu with their thread held)\n",
			(unsigned long long)profile_samples(s->profile), (unsigned long long)m->torn,
			read ? 100.0 * (double)m->torn / (double)read : 0.0, (unsigned long long)m->retried,
			(unsigned long long)m->held);
		fprintf(s->out, "               mode %s, weights in %s%s\n", m->mode[0] ? m->mode : "?",
			profile_unit_text(m->unit), m->no_schedstat ? " (no schedstat: threads shown running)" : "");
	}
	if (snapshot_take(t, 0, &snap, NULL) == 0) {
		fprintf(s->out, "threads:       %zu\n", snap.nthreads);
		snapshot_release(&snap);
	}
	return CMD_OK;
}

const struct command cmd_info = {
	.name = "info",
	.usage = "info [scripts]",
	.summary = "Describe the attached process and how it is being read.",
	.help = "The pid and executable, the Python version, the module that holds the\n"
		"interpreter, the interpreter state's address and how it was found (symbol,\n"
		"ELF section or a validated scan), where the structure layout came from (the\n"
		"built-in table generated from that version's headers, the target's own\n"
		"debug offsets (3.13+), or both cross-checked), the reading mode, and the\n"
		"number of Python threads.\n"
		"\n"
		"'info scripts' lists where Lua scripts are looked for ('-x NAME.lua',\n"
		"'source NAME.lua'), in order, and the scripts found in each place.",
	.max_args = 1,
	.handler = do_info,
};
