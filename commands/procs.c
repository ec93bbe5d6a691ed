/*
 * procs.c — `ps`, and running a command once per process of the tree.
 *
 * The tree comes from engine/os/proctree.c; whether a process is Python is
 * what attaching to it says, so `ps` and `sample --subprocesses` can never
 * disagree.  A descendant is looked at through a second struct target that
 * takes the session's place for the length of one call: the commands that
 * print threads and stacks then run unchanged on it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/proctree.h"
#include "engine/python/proc_python.h"
#include "command.h"
#include "procs.h"
#include "session.h"

static void look_at(struct session *s, struct proc_info *pi)
{
	struct pyspy_err e = { 0 };
	if (pi->pid == s->target.pid) {
		snprintf(pi->python, sizeof(pi->python), "%s", s->target.version_str);
		return;
	}
	if (proc_python_version(pi->pid, s->set.locate, pi->python, sizeof(pi->python), &e) < 0)
		snprintf(pi->why, sizeof(pi->why), "%.150s", e.msg);
}

int procs_list(struct session *s, struct proc_info **out, size_t *n)
{
	struct proc_entry *v;
	size_t nv;
	struct pyspy_err e = { 0 };
	*out = NULL;
	*n = 0;
	if (s->target.core)
		return cmd_error(s, "--subprocesses: not available on a core file");
	int rc = proctree_list(s->target.pid, &v, &nv, &e);
	if (rc < 0)
		return cmd_engine_error(s, rc, e.msg);
	struct proc_info *pv = calloc(nv ? nv : 1, sizeof(*pv));
	if (!pv) {
		free(v);
		return cmd_error(s, "out of memory");
	}
	for (size_t i = 0; i < nv; i++) {
		pv[i].pid = v[i].pid;
		pv[i].ppid = v[i].ppid;
		pv[i].depth = v[i].depth;
		proctree_cmdline(v[i].pid, pv[i].cmd, sizeof(pv[i].cmd));
		look_at(s, &pv[i]);
	}
	free(v);
	*out = pv;
	*n = nv;
	return CMD_OK;
}

int procs_each(struct session *s, int (*fn)(struct session *s, const struct proc_info *p, void *arg), void *arg)
{
	struct proc_info *pv;
	size_t n;
	int rc = procs_list(s, &pv, &n);
	bool by_default = s->subprocesses;
	if (rc != CMD_OK)
		return rc;
	s->subprocesses = false;   /* fn runs the command for one process: not again for its tree */
	for (size_t i = 0; i < n; i++) {
		if (!pv[i].python[0])
			continue;
		if (i == 0) {
			int r = fn(s, &pv[i], arg);
			rc = r > rc ? r : rc;
			continue;
		}
		struct target own = s->target, t;
		struct pyspy_err e = { 0 };
		struct attach_opts opts = { .locate = s->set.locate };
		int cur_thread = s->cur_thread, cur_frame = s->cur_frame;
		memset(&t, 0, sizeof(t));
		if (target_attach(&t, pv[i].pid, &opts, &e) < 0) {
			fprintf(s->err, "pyspy-sh: pid %d: %s\n", (int)pv[i].pid, e.msg);
			rc = rc > CMD_FAILED ? rc : CMD_FAILED;
			continue;
		}
		s->target = t;
		s->cur_thread = 0;
		s->cur_frame = 0;
		int r = fn(s, &pv[i], arg);
		target_detach(&s->target);
		s->target = own;
		s->cur_thread = cur_thread;
		s->cur_frame = cur_frame;
		rc = r > rc ? r : rc;
	}
	s->subprocesses = by_default;
	free(pv);
	return rc;
}

/* PS */
static int do_ps(struct session *s, const struct cmd_args *a)
{
	struct proc_info *pv;
	size_t n;
	(void)a;
	int rc = procs_list(s, &pv, &n);
	if (rc != CMD_OK)
		return rc;
	fprintf(s->out, "%8s %8s  %-10s  %s\n", "PID", "PPID", "PYTHON", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		const struct proc_info *p = &pv[i];
		fprintf(s->out, "%8d %8d  %-10s  %*s%s\n", (int)p->pid, (int)p->ppid,
			p->python[0] ? p->python : "not Python", 2 * p->depth, "", p->cmd[0] ? p->cmd : "?");
	}
	free(pv);
	return CMD_OK;
}

const struct command cmd_ps = {
	.name = "ps",
	.usage = "ps",
	.summary = "List the target and its descendant processes: pid, parent, Python version, command.",
	.help = "One line per process, the target first, each child under its parent\n"
		"(indented by depth): its pid, its parent's pid, its Python version or\n"
		"'not Python' (a shell or any other program, walked through to reach its\n"
		"children), and its command line.  Whether a process is Python is what\n"
		"attaching to it finds, as 'attach PID' and 'sample --subprocesses' do.",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET | CMD_LIVE,
	.handler = do_ps,
};
