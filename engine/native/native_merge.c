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
 * Which C frames are evaluation calls: up to 3.11, those named after the
 * evaluation function.  From 3.12 the frame a call is entered with follows a
 * shim _PyInterpreterFrame (owned by the C stack on 3.12-3.13, by the
 * interpreter on 3.14+) that is a local variable of the evaluation call, so
 * its address lies in that call's own stack frame: between the C frame's
 * stack pointer and the next outer frame's.  Each run's shim thus points at
 * its call by address, with no symbol needed: a PGO build whose evaluation
 * loop returns into an unexported `_PyEval_EvalFrameDefault.cold` part
 * (Debian's 3.14), a stripped binary, and a tail-calling interpreter (clang,
 * Py_TAIL_CALL_INTERP), whose evaluation function keeps the shim in its own
 * frame and calls the first opcode handler, all work the same.  Where names
 * exist they are a cross-check: a frame named after the evaluation function
 * that holds no shim is refused.
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

/* Whether this layout's entry frames are locals of the evaluation call:
 * shims owned by the C stack or the interpreter (3.12+). */
static bool entry_on_cstack(const struct py_layout *L)
{
	return L->frame_model != FRAME_MODEL_OBJECT && (L->owner_cstack >= 0 || L->owner_interpreter >= 0);
}

static size_t count_eval(const struct native_stack *ns, unsigned flag)
{
	size_t n = 0;
	for (size_t i = 0; i < ns->n; i++)
		n += (ns->frames[i].flags & flag) != 0;
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

/* The C frame whose stack holds addr, from frame `from` outward; ns->n when
 * none does.  The outermost frame has no known end and holds nothing. */
static size_t frame_holding(const struct native_stack *ns, size_t from, uint64_t addr)
{
	for (size_t i = from; i + 1 < ns->n; i++)
		if (ns->frames[i].sp && ns->frames[i].sp <= addr && addr < ns->frames[i + 1].sp)
			return i;
	return ns->n;
}

/*
 * Mark NATIVE_ENTRY on the C frame holding each run's shim, innermost run
 * first (both stacks grow the same way, so each is found outward of the
 * last).  An unnamed one is the evaluation function (a part the symbol table
 * does not name), and is named so.  Refused: a run without a shim, a shim in
 * no frame (or out of order), a frame named after the evaluation function
 * that holds no shim.
 */
static int mark_entries(struct target *t, const struct py_thread *th, struct native_stack *ns,
			const size_t *len, size_t nruns, struct pyspy_err *e)
{
	size_t last = 0, from = 0;
	for (size_t i = 0; i < ns->n; i++)
		ns->frames[i].flags &= ~(unsigned)NATIVE_ENTRY;
	for (size_t r = 0; r < nruns; r++) {
		const struct py_frame *pf = &th->frames[last + len[r] - 1];
		last += len[r];
		if (!pf->entry_frame)
			return err_set(e, PS_ETORN, "native merge failed: the run of Python frames ending in %s "
				       "has no entry frame", pf->function);
		size_t i = frame_holding(ns, from, pf->entry_frame);
		if (i == ns->n)
			return err_set(e, PS_ETORN, "native merge failed: the entry frame of %s (0x%llx) lies in "
				       "none of C frames #%zu-#%zu (stack 0x%llx-0x%llx)", pf->function,
				       (unsigned long long)pf->entry_frame, from, ns->n - 1,
				       (unsigned long long)ns->frames[from < ns->n ? from : 0].sp,
				       (unsigned long long)ns->frames[ns->n - 1].sp);
		ns->frames[i].flags |= NATIVE_ENTRY;
		if (!ns->frames[i].sym.function)
			ns->frames[i].sym.function = native_eval_function(t);
		from = i + 1;
	}
	for (size_t i = 0; i < ns->n; i++)
		if ((ns->frames[i].flags & (NATIVE_EVAL | NATIVE_ENTRY)) == NATIVE_EVAL)
			return err_set(e, PS_ETORN, "native merge failed: C frame #%zu, %s, holds no entry frame "
				       "(%zu run%s of Python frames)", i, ns->frames[i].sym.function, nruns,
				       nruns == 1 ? "" : "s");
	return 0;
}

int native_merge(struct target *t, const struct py_thread *th, struct native_stack *ns, bool all,
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
	size_t nruns = python_runs(t, th, len);
	unsigned eval = entry_on_cstack(&t->layout) ? NATIVE_ENTRY : NATIVE_EVAL;
	int rc = ns->error || eval != NATIVE_ENTRY ? 0 : mark_entries(t, th, ns, len, nruns, e);
	size_t evals = count_eval(ns, eval);
	if (rc < 0 || evals != nruns || ns->error) {
		free(len);
		free(m);
		return rc < 0 ? rc : fail(ns, evals, nruns, e);
	}
	size_t k = 0, run = 0, py = 0;
	const struct native_frame *unnamed = NULL;   /* first unnamed frame of the hidden run */
	for (size_t i = 0; i < ns->n; i++) {
		const struct native_frame *f = &ns->frames[i];
		bool shown = all || (f->flags & eval) || !(f->flags & NATIVE_PLUMBING);
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
		if (f->flags & eval) {
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
	/* a stripped interpreter has no names for its gc functions; its own flag
	 * says a collection runs, and the thread holding the GIL runs it */
	if ((ns->status == NSTAT_NONE || ns->status == NSTAT_SYSCALL) && th->gil == 1 &&
	    threads_gc_collecting(t, th->interp) == 1)
		ns->status = NSTAT_GC;
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
