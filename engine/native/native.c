/*
 * native.c — unwinding a stopped task's C stack with libunwind-ptrace.
 *
 * libunwind's ptrace accessors would read the target one word per
 * PTRACE_PEEKDATA and one register per PTRACE_PEEKUSER; a sampler unwinding
 * every thread on every tick cannot afford that.  So the accessors here are
 * libunwind's own (_UPT_*, which find the unwind tables in the mapped ELF
 * files) except for memory and registers: registers come from one
 * PTRACE_GETREGS per unwind, memory from process_vm_readv through a small
 * page cache that lives for one unwind (the stack changes between ticks, the
 * .eh_frame tables the unwinder reads do not, and they are cheap to reread).
 * The address space keeps libunwind's global cache of parsed unwind rules,
 * so a return address seen before costs no table search.  Writes are refused.
 *
 * After the unwind every frame is named (symbolize.c) and classified: the
 * evaluation function, the interpreter's module, plumbing.  The thread's
 * status comes from the innermost frames: a `syscall` instruction just
 * before the stopped program counter means the task sits in that system call
 * (the number is in orig_rax, which the kernel keeps); take_gil or
 * PyEval_RestoreThread near the top means it waits for the GIL, and so does
 * a condition-variable wait called from the interpreter's own code (CPython
 * on Linux uses condition variables only for the GIL; this is what finds
 * take_gil in a stripped binary) or, on 2.7, a lock acquired straight from
 * the evaluation loop; the collector's functions anywhere mean it is
 * collecting garbage (these have no exported name in a stripped binary).
 */
#include "native.h"

#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "engine/os/core.h"
#include "engine/python/target.h"
#include "native_core.h"
#include "syscalls.h"

#define MAX_NATIVE_FRAMES 1024
#define PAGE 4096u
#define CACHE_PAGES 64
#define UPT_SLOTS 32

struct page {
	uint64_t base;             /* 0: empty */
	int ok;                    /* 1 read, -1 unreadable */
	uint8_t data[PAGE];
};

/* libunwind-ptrace remembers the unwind table of one module per handle and
 * rereads /proc/PID/maps and re-maps the ELF file whenever the next address
 * is in another module; a stack alternates between libc, libpython and
 * extensions, so keep a handle per module. */
struct upt_slot {
	char *path;
	void *upt;
};

struct native_state {
	unw_addr_space_t as;
	unw_accessors_t acc;
	struct symbolizer *sym;
	struct page *pages;
	struct upt_slot upts[UPT_SLOTS];
	size_t nupts;
};

/* The unwind in progress.  The accessors cannot rely on their argument:
 * _UPT_find_proc_info calls back into access_mem with its own handle, not
 * ours.  pyspy-sh unwinds on one thread (the tracer), one task at a time. */
struct unwind_ctx {
	void *upt;
	struct target *t;
	struct native_state *ns;
	struct user_regs_struct regs;
};
static struct unwind_ctx *current;

void native_state_free(struct native_state *ns)
{
	if (!ns)
		return;
	if (ns->as)
		unw_destroy_addr_space(ns->as);
	symbolize_free(ns->sym);
	free(ns->pages);
	for (size_t i = 0; i < ns->nupts; i++) {
		_UPT_destroy(ns->upts[i].upt);
		free(ns->upts[i].path);
	}
	free(ns);
}

/* The libunwind-ptrace handle for the module holding ip (the unwind's own
 * handle when the module is unknown or the slots are full). */
static void *upt_for(struct unwind_ctx *c, unw_word_t ip)
{
	struct native_state *ns = c->ns;
	const struct map_region *r = maps_find(&c->t->maps, ip);
	if (!r || !r->path)
		return c->upt;
	for (size_t i = 0; i < ns->nupts; i++)
		if (strcmp(ns->upts[i].path, r->path) == 0)
			return ns->upts[i].upt;
	if (ns->nupts == UPT_SLOTS)
		return c->upt;
	struct upt_slot slot = { strdup(r->path), _UPT_create(c->t->pid) };
	if (!slot.path || !slot.upt) {
		free(slot.path);
		if (slot.upt)
			_UPT_destroy(slot.upt);
		return c->upt;
	}
	ns->upts[ns->nupts++] = slot;
	return slot.upt;
}

/* ---- accessors ---- */

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
	(void)arg;
	return _UPT_find_proc_info(as, ip, pi, need, upt_for(current, ip));
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)arg;
	_UPT_put_unwind_info(as, pi, current->upt);
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dil, void *arg)
{
	(void)arg;
	return _UPT_get_dyn_info_list_addr(as, dil, current->upt);
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct unwind_ctx *c = current;
	(void)as, (void)arg;
	if (write)
		return -UNW_EINVAL;
	uint64_t base = addr & ~(uint64_t)(PAGE - 1), off = addr - base;
	if (off + sizeof(*val) > PAGE)   /* straddles two pages: read it directly */
		return remote_read(&c->t->mem, addr, val, sizeof(*val), NULL) == 0 ? 0 : -UNW_EINVAL;
	struct page *p = &c->ns->pages[(base / PAGE) % CACHE_PAGES];
	if (p->base != base) {
		p->base = base;
		p->ok = remote_read(&c->t->mem, base, p->data, PAGE, NULL) == 0 ? 1 : -1;
	}
	if (p->ok < 0)
		return remote_read(&c->t->mem, addr, val, sizeof(*val), NULL) == 0 ? 0 : -UNW_EINVAL;
	memcpy(val, p->data + off, sizeof(*val));
	return 0;
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	const struct user_regs_struct *r = &current->regs;
	const unsigned long long v[] = {
		[UNW_X86_64_RAX] = r->rax, [UNW_X86_64_RDX] = r->rdx, [UNW_X86_64_RCX] = r->rcx,
		[UNW_X86_64_RBX] = r->rbx, [UNW_X86_64_RSI] = r->rsi, [UNW_X86_64_RDI] = r->rdi,
		[UNW_X86_64_RBP] = r->rbp, [UNW_X86_64_RSP] = r->rsp, [UNW_X86_64_R8] = r->r8,
		[UNW_X86_64_R9] = r->r9, [UNW_X86_64_R10] = r->r10, [UNW_X86_64_R11] = r->r11,
		[UNW_X86_64_R12] = r->r12, [UNW_X86_64_R13] = r->r13, [UNW_X86_64_R14] = r->r14,
		[UNW_X86_64_R15] = r->r15, [UNW_X86_64_RIP] = r->rip,
	};
	(void)as, (void)arg;
	if (write || reg < 0 || (size_t)reg >= sizeof(v) / sizeof(v[0]))
		return -UNW_EBADREG;
	*val = v[reg];
	return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	(void)as, (void)reg, (void)val, (void)write, (void)arg;
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as, (void)c, (void)arg;
	return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off, void *arg)
{
	(void)arg;
	return _UPT_get_proc_name(as, ip, buf, len, off, current->upt);
}

static void state_release(struct target *t)
{
	native_state_free(t->native);
	t->native = NULL;
}

static int state_get(struct target *t, struct native_state **out, struct pyspy_err *e)
{
	if (t->native) {
		*out = t->native;
		return 0;
	}
	struct native_state *ns = calloc(1, sizeof(*ns));
	if (!ns || !(ns->pages = calloc(CACHE_PAGES, sizeof(struct page)))) {
		free(ns);
		return err_set(e, PS_ENOMEM, "out of memory");
	}
	ns->acc = (unw_accessors_t){
		.find_proc_info = acc_find_proc_info,
		.put_unwind_info = acc_put_unwind_info,
		.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
		.access_mem = acc_access_mem,
		.access_reg = acc_access_reg,
		.access_fpreg = acc_access_fpreg,
		.resume = acc_resume,
		.get_proc_name = acc_get_proc_name,
	};
	if (t->core) {
		/* a core: libdwfl unwinds (native_core.c); no libunwind address space */
		int rc = symbolize_new_core(&ns->sym, t->core, &t->maps, &t->strings, e);
		if (rc == 0)
			rc = native_core_attach(t, symbolize_dwfl(ns->sym), e);
		if (rc < 0) {
			native_state_free(ns);
			return rc;
		}
		t->native = ns;
		target_on_detach(t, state_release);
		*out = ns;
		return 0;
	}
	ns->as = unw_create_addr_space(&ns->acc, 0);
	if (!ns->as) {
		native_state_free(ns);
		return err_set(e, PS_ENOMEM, "cannot create a libunwind address space");
	}
	unw_set_caching_policy(ns->as, UNW_CACHE_GLOBAL);
	int rc = symbolize_new(&ns->sym, t->pid, &t->strings, e);
	if (rc < 0) {
		native_state_free(ns);
		return rc;
	}
	t->native = ns;
	target_on_detach(t, state_release);
	*out = ns;
	return 0;
}

/* ---- naming and classifying frames ---- */

/* `name` is fn, or a compiler-made part or copy of it (fn.cold, fn.constprop.1). */
static bool is_fn(const char *name, const char *fn)
{
	size_t n = strlen(fn);
	return name && strncmp(name, fn, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (is_fn(name, *list))
			return true;
	return false;
}

static bool has_prefix(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strncmp(name, *list, strlen(*list)) == 0)
			return true;
	return false;
}

static const char *const start_names[] = {
	"_start", "__libc_start_main", "__libc_start_call_main", "start_thread", "clone", "clone3",
	"__clone", "__clone3", "__GI___clone", "__GI___clone3", "main", NULL,
};

/* Call machinery of the interpreter: how a call gets from one function to
 * the next, never where time is spent for its own sake. */
static const char *const plumbing_prefixes[] = {
	"Py", "_Py", "pymain", "cfunction_", "method_vectorcall", "vectorcall_", "slot_tp_", "run_",
	"pyrun_", "call_function", "fast_function", "function_code_fastcall", "do_call_core",
	"function_call", "instancemethod_call", "t_bootstrap", "thread_run", "pythread_wrapper",
	"object_vacall", "method_call", "ext_do_call", "exec_code_in", NULL,
};

static unsigned classify(struct target *t, const struct native_sym *s, const char *evalname)
{
	unsigned f = 0;
	if (s->path && strcmp(s->path, t->pymodule) == 0)
		f |= NATIVE_INTERP;
	if (f & NATIVE_INTERP && is_fn(s->function, evalname))
		return f | NATIVE_EVAL;
	if (!s->function)
		return (f & NATIVE_INTERP) ? f | NATIVE_PLUMBING : f;
	if (name_in(s->function, start_names))
		return f | NATIVE_PLUMBING;
	if ((f & NATIVE_INTERP) && has_prefix(s->function, plumbing_prefixes))
		return f | NATIVE_PLUMBING;
	return f;
}

static const char *const gil_names[] = { "take_gil", "PyEval_RestoreThread", "PyEval_AcquireThread",
					 "_PyEval_AcquireLock", NULL };
static const char *const cond_names[] = { "pthread_cond_timedwait", "pthread_cond_wait",
					  "__pthread_cond_timedwait", "__pthread_cond_wait",
					  "pthread_cond_clockwait", NULL };
static const char *const gc_names[] = { "collect", "gc_collect_main", "collect_with_callback",
					"collect_generations", "gc_collect_region", "gc_collect_full",
					"gc_collect_young", "gc_collect_increment", "gc_collect_impl",
					"_PyGC_Collect", "PyGC_Collect", "_PyGC_CollectNoFail", NULL };

/* Whether every frame inward of frame i is in frame i's library. */
static bool only_library_below(const struct native_stack *s, size_t i)
{
	const char *lib = s->frames[i].sym.library;
	for (size_t j = 0; j < i; j++)
		if (!lib || !s->frames[j].sym.library || strcmp(s->frames[j].sym.library, lib) != 0)
			return false;
	return true;
}

static void find_status(struct target *t, struct native_stack *s, const struct user_regs_struct *regs)
{
	uint8_t insn[2];
	s->status = NSTAT_NONE;
	s->syscall = -1;
	s->syscall_name = NULL;
	for (size_t i = 0; i < s->n; i++)
		if ((s->frames[i].flags & NATIVE_INTERP) && name_in(s->frames[i].sym.function, gc_names)) {
			s->status = NSTAT_GC;
			return;
		}
	for (size_t i = 0; i < s->n && i < 8; i++) {
		const char *fn = s->frames[i].sym.function;
		/* 2.7 takes the GIL, a plain lock, straight from the evaluation loop */
		bool lock_in_eval = fn && is_fn(fn, "PyThread_acquire_lock") && i + 1 < s->n &&
				    (s->frames[i + 1].flags & NATIVE_EVAL);
		/* CPython on Linux waits on a condition variable only for the GIL (its
		 * locks are semaphores): this names take_gil in a stripped binary.
		 * The wait is the thread's, not a callee's: only its own library's
		 * internals (glibc 2.41+: the unnamed syscall-cancel wrappers) run below */
		bool cond_in_interp = fn && i + 1 < s->n && name_in(fn, cond_names) &&
				      (s->frames[i + 1].flags & NATIVE_INTERP) && only_library_below(s, i);
		bool gil_fn = (s->frames[i].flags & NATIVE_INTERP) && name_in(fn, gil_names);
		if (gil_fn || lock_in_eval || cond_in_interp) {
			s->status = NSTAT_GIL;
			return;
		}
	}
	if (regs->rip >= 2 && remote_read(&t->mem, regs->rip - 2, insn, 2, NULL) == 0 &&
	    insn[0] == 0x0f && insn[1] == 0x05 && (long long)regs->orig_rax >= 0) {
		s->status = NSTAT_SYSCALL;
		s->syscall = (long)regs->orig_rax;
		s->syscall_name = syscalls_name(s->syscall);
	}
}

/* The innermost frame's name; through unnamed frames of its own library
 * (glibc 2.41+ makes a blocking call through unexported syscall-cancel
 * wrappers), the first named one's.  NULL when there is none. */
static const char *innermost_named(const struct native_stack *s)
{
	for (size_t i = 0; i < s->n && i < 4; i++) {
		if (s->frames[i].sym.function)
			return s->frames[i].sym.function;
		if (!s->frames[i].sym.library || !s->frames[0].sym.library ||
		    strcmp(s->frames[i].sym.library, s->frames[0].sym.library) != 0)
			return NULL;
	}
	return NULL;
}

const char *native_status_text(const struct native_stack *s, char *buf, size_t len)
{
	switch (s->status) {
	case NSTAT_GIL:
		return "waiting for the GIL";
	case NSTAT_GC:
		return "collecting garbage";
	case NSTAT_SYSCALL:
		/* a sleep interrupted by an earlier pause resumes as restart_syscall:
		 * say which call it continues */
		if (s->syscall_name && strcmp(s->syscall_name, "restart_syscall") == 0 && innermost_named(s))
			snprintf(buf, len, "in syscall restart_syscall (%s)", innermost_named(s));
		else if (s->syscall_name)
			snprintf(buf, len, "in syscall %s", s->syscall_name);
		else
			snprintf(buf, len, "in syscall %ld", s->syscall);
		return buf;
	default:
		return NULL;
	}
}

/* ---- the unwind ---- */

int native_stack_push(struct native_stack *s, uint64_t ip, uint64_t sp)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct native_frame *nf = realloc(s->frames, ncap * sizeof(*nf));
		if (!nf)
			return -1;
		s->frames = nf;
		s->cap = ncap;
	}
	memset(&s->frames[s->n], 0, sizeof(s->frames[0]));
	s->frames[s->n].ip = ip;
	s->frames[s->n++].sp = sp;
	return 0;
}

/* Name the frame just pushed.  An outer frame's pc is a return address: name
 * the call before it.  A function without a symbol still has an unwind table
 * entry, whose start tells it apart from its unnamed neighbours. */
const char *native_eval_function(const struct target *t)
{
	return t->layout.eval_model == EVAL_MODEL_FRAME_EX ? "PyEval_EvalFrameEx" : "_PyEval_EvalFrameDefault";
}

/* cur: the libunwind cursor at the frame, for an unnamed function's start; NULL on a core */
static void name_frame(struct target *t, struct native_state *ns, unw_cursor_t *cur, struct native_frame *f, bool outer)
{
	const char *evalname = native_eval_function(t);
	symbolize_addr(ns->sym, outer ? f->ip - 1 : f->ip, &f->sym);
	if (outer && f->sym.start)
		f->sym.offset++;
	unw_proc_info_t pi;
	if (cur && !f->sym.start && f->sym.library && unw_get_proc_info(cur, &pi) == 0 && pi.start_ip &&
	    pi.start_ip <= f->ip) {
		f->sym.start = pi.start_ip;
		f->sym.offset = f->ip - pi.start_ip;
	}
	f->flags = classify(t, &f->sym, evalname);
	const struct map_region *r = maps_find(&t->maps, f->ip);
	if (!f->sym.library && (!r || !r->path))
		f->flags |= NATIVE_ANON;
}

static int walk(struct unwind_ctx *c, struct native_stack *out)
{
	unw_cursor_t cur;
	int rc = unw_init_remote(&cur, c->ns->as, c);
	if (rc < 0) {
		snprintf(out->msg, sizeof(out->msg), "cannot start unwinding: %s", unw_strerror(rc));
		return -PS_EIO;
	}
	for (;;) {
		unw_word_t ip = 0, sp = 0;
		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		if (unw_get_reg(&cur, UNW_REG_SP, &sp) < 0)
			sp = 0;
		if (out->n >= MAX_NATIVE_FRAMES) {
			snprintf(out->msg, sizeof(out->msg), "more than %d native frames", MAX_NATIVE_FRAMES);
			return -PS_ECORRUPT;
		}
		if (native_stack_push(out, ip, sp) < 0)
			return -PS_ENOMEM;
		name_frame(c->t, c->ns, &cur, &out->frames[out->n - 1], out->n > 1);
		if (out->frames[out->n - 1].flags & NATIVE_ANON) {
			/* no unwind tables: libunwind would guess through the frame
			 * pointer, and what lies outward of here is not to be trusted */
			snprintf(out->msg, sizeof(out->msg), "unwinding stopped at 0x%llx: code outside any module, "
				 "such as JIT-compiled code (PYTHON_JIT=1), has no unwind tables", (unsigned long long)ip);
			return -PS_ECORRUPT;
		}
		rc = unw_step(&cur);
		if (rc == 0)
			break;
		if (rc < 0) {
			snprintf(out->msg, sizeof(out->msg), "unwinding stopped at 0x%llx: %s",
				 (unsigned long long)ip, unw_strerror(rc));
			return -PS_ECORRUPT;
		}
	}
	return 0;
}

/* A thread of a core: libdwfl walks (native_core.c), the frames are named
 * here as live ones are; code outside any module ends the stack as live. */
static int core_unwind(struct target *t, struct native_state *ns, pid_t tid, struct native_stack *out,
		       struct pyspy_err *e)
{
	struct user_regs_struct regs;
	const struct core_thread *th = core_thread(t->core, tid);
	_Static_assert(sizeof(regs) == sizeof(th->regs), "NT_PRSTATUS holds a user_regs_struct");
	if (!th)
		return err_set(e, PS_EARG, "the core has no thread %d", (int)tid);
	memcpy(&regs, th->regs, sizeof(regs));
	int rc = native_core_walk(t, symbolize_dwfl(ns->sym), tid, out);
	for (size_t i = 0; i < out->n; i++) {
		name_frame(t, ns, NULL, &out->frames[i], i > 0);
		if (out->frames[i].flags & NATIVE_ANON) {
			out->n = i + 1;
			snprintf(out->msg, sizeof(out->msg), "unwinding stopped at 0x%llx: code outside any module has no "
				 "unwind tables", (unsigned long long)out->frames[i].ip);
			rc = -PS_ECORRUPT;
		}
	}
	if (rc < 0) {
		out->error = -rc;
		if (rc == -PS_ENOMEM)
			return err_set(e, PS_ENOMEM, "out of memory");
	}
	find_status(t, out, &regs);
	if (out->n == 0)
		return err_set(e, PS_EIO, "task %d: %s", (int)tid, out->msg[0] ? out->msg : "no native frames");
	return 0;
}

int native_unwind(struct target *t, pid_t tid, struct native_stack *out, struct pyspy_err *e)
{
	struct native_state *ns = NULL;
	struct unwind_ctx c = { .t = t };
	out->n = 0;
	out->error = 0;
	out->msg[0] = '\0';
	out->status = NSTAT_NONE;
	out->syscall = -1;
	out->syscall_name = NULL;
#if !defined(__x86_64__)
	return err_set(e, PS_EUNSUP, "native stacks are only supported on x86-64");
#endif
	if (tid <= 0)
		return err_set(e, PS_EARG, "the thread's OS tid is not known");
	int rc = state_get(t, &ns, e);
	if (rc < 0)
		return rc;
	c.ns = ns;
	if (t->core)
		return core_unwind(t, ns, tid, out, e);
	if (ptrace(PTRACE_GETREGS, tid, 0, &c.regs) < 0)
		return err_set(e, errno == ESRCH ? PS_EGONE : PS_EIO, "cannot read the registers of task %d: %s",
			       (int)tid, errno == ESRCH ? "it is not paused, or has exited" : strerror(errno));
	if (!(c.upt = _UPT_create(tid)))
		return err_set(e, PS_ENOMEM, "out of memory");
	for (size_t i = 0; i < CACHE_PAGES; i++)
		ns->pages[i].base = 0;
	current = &c;
	rc = walk(&c, out);
	current = NULL;
	_UPT_destroy(c.upt);
	if (rc < 0) {
		out->error = -rc;
		if (rc == -PS_ENOMEM)
			return err_set(e, PS_ENOMEM, "out of memory");
	}
	find_status(t, out, &c.regs);
	if (out->n == 0)
		return err_set(e, PS_EIO, "task %d: %s", (int)tid, out->msg[0] ? out->msg : "no native frames");
	return 0;
}

void native_stack_release(struct native_stack *s)
{
	free(s->frames);
	s->frames = NULL;
	s->n = s->cap = 0;
}
