/*
 * native_merge.c — one stack from a C stack and a Python stack.
 *
 * Each call of the interpreter's evaluation function in the C stack is where
 * Python code runs, so it is replaced by the Python frames that call ran.
 * Which frames those are depends on the frame model: up to 3.10 every
 * PyFrameObject is evaluated by its own call (one Python frame per call); from
 * 3.11 one call runs a whole run of frames, from the frame it was entered
 * with (marked `entry` by the frame walker) inward, because Python-to-Python
 * calls no longer recurse in C.  Both stacks are innermost first, so the
 * merge is a single pass that consumes one run per evaluation frame.
 *
 * Without --native-all the interpreter's call plumbing goes; in a stripped
 * interpreter its static functions have no names and are hidden with it, but
 * one of each hidden run is kept, because among them may be the C function
 * (sorted, functools.reduce) through which Python called back into Python.
 *
 * The merge never guesses: if the number of evaluation frames differs from
 * the number of runs (an evaluation function that could not be named in a
 * stripped binary, an unwind cut short, a stack that changed while read) the
 * result is an error that says so, and the caller shows the Python stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* The length of each run of Python frames, innermost run first; returns the
 * number of runs. */
static size_t python_runs(struct target *t, const struct py_thread *th, size_t *len)
{
	size_t nruns = 0, cur = 0;
	bool per_frame = t->layout.frame_model == FRAME_MODEL_OBJECT;
	for (size_t i = 0; i < th->nframes; i++) {
		cur++;
		if (per_frame || th->frames[i].entry) {
			len[nruns++] = cur;
			cur = 0;
		}
	}
	if (cur)
		len[nruns++] = cur;
	return nruns;
}

static size_t count_eval(const struct native_stack *ns)
{
	size_t n = 0;
	for (size_t i = 0; i < ns->n; i++)
		n += (ns->frames[i].flags & NATIVE_EVAL) != 0;
	return n;
}

static int fail(const struct native_stack *ns, size_t evals, size_t runs, struct pyspy_err *e)
{
	if (ns->error)
		return err_set(e, PS_ETORN, "native merge failed: %s", ns->msg);
	return err_set(e, PS_ETORN,
		       "native merge failed: %zu evaluation frame%s in the C stack, %zu run%s of Python frames",
		       evals, evals == 1 ? "" : "s", runs, runs == 1 ? "" : "s");
}

int native_merge(struct target *t, const struct py_thread *th, const struct native_stack *ns, bool all,
		 struct merged_frame **out, size_t *n, struct pyspy_err *e)
{
	*out = NULL;
	*n = 0;
	size_t *len = malloc((th->nframes + 1) * sizeof(*len));
	struct merged_frame *m = malloc((th->nframes + ns->n + 1) * sizeof(*m));
	if (!len || !m) {
		free(len);
		free(m);
		return err_set(e, PS_ENOMEM, "out of memory");
	}
	size_t nruns = python_runs(t, th, len), evals = count_eval(ns);
	if (evals != nruns || ns->error) {
		free(len);
		free(m);
		return fail(ns, evals, nruns, e);
	}
	size_t k = 0, run = 0, py = 0;
	const struct native_frame *unnamed = NULL;   /* first unnamed frame of the hidden run */
	for (size_t i = 0; i < ns->n; i++) {
		const struct native_frame *f = &ns->frames[i];
		bool shown = all || (f->flags & NATIVE_EVAL) || !(f->flags & NATIVE_PLUMBING);
		if (!shown) {
			if (!unnamed && !f->sym.function)
				unnamed = f;
			continue;
		}
		/* interpreter code that has no name (a stripped binary) is hidden with
		 * the plumbing, but one frame of it stays between shown frames: it may
		 * be the C function (sorted, reduce) that calls back into Python */
		if (unnamed && !all)
			m[k++] = (struct merged_frame){ FRAME_NATIVE, NULL, unnamed };
		unnamed = NULL;
		if (f->flags & NATIVE_EVAL) {
			for (size_t j = 0; j < len[run]; j++)
				m[k++] = (struct merged_frame){ FRAME_PYTHON, &th->frames[py++], NULL };
			run++;
			if (all)   /* the call that ran them, just outside them */
				m[k++] = (struct merged_frame){ FRAME_NATIVE, NULL, f };
		} else {
			m[k++] = (struct merged_frame){ FRAME_NATIVE, NULL, f };
		}
	}
	free(len);
	*out = m;
	*n = k;
	return 0;
}

int native_thread_stack(struct target *t, const struct py_thread *th, bool all, struct native_stack *ns,
			struct merged_frame **out, size_t *n, struct pyspy_err *e)
{
	*out = NULL;
	*n = 0;
	int rc = native_unwind(t, th->os_tid, ns, e);
	if (rc < 0) {
		err_wrap(e, "no native stack");
		return rc;
	}
	return native_merge(t, th, ns, all, out, n, e);
}

/* "libz.so.1+0x5a20" (where the function starts in its module) for a
 * function without a name, "??" when even that is unknown. */
static const char *unnamed(struct target *t, const struct native_sym *s)
{
	char buf[300];
	int n;
	if (s->start && s->library && s->start >= s->module_base)
		n = snprintf(buf, sizeof(buf), "%s+0x%llx", s->library, (unsigned long long)(s->start - s->module_base));
	else
		n = snprintf(buf, sizeof(buf), "??");
	const char *out = strtab_intern(&t->strings, buf, n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
	return out ? out : "??";
}

size_t native_as_py_frames(struct target *t, const struct merged_frame *m, size_t n,
			   struct py_frame *buf, size_t cap)
{
	static const char unknown[] = "??";
	size_t k = 0;
	for (size_t i = 0; i < n && k < cap; i++) {
		if (m[i].kind == FRAME_PYTHON) {
			buf[k++] = *m[i].py;
			continue;
		}
		const struct native_sym *s = &m[i].native->sym;
		const char *fn = s->function ? s->function : unnamed(t, s);
		buf[k++] = (struct py_frame){
			.function = fn,
			.qualname = fn,
			.file = s->library ? s->library : unknown,
			.line = -1,
			.addr = m[i].native->ip,
		};
	}
	return k;
}
