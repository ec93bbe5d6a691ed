/*
 * native_core.c — C stacks from a core file, unwound by libdwfl.
 *
 * Live stacks go through libunwind-ptrace, whose unwind-table lookup
 * (_UPT_find_proc_info) reads /proc/PID/maps: with no process behind a core
 * it has nothing to read, and libunwind-coredump (1.6 in Debian) finds its
 * tables only through backing files added segment by segment, with the load
 * base taken from the segment rather than the file offset (wrong for a PIE
 * whose text is not its first segment).  libdwfl, already the symbolizer,
 * unwinds from any memory given to it: its thread callbacks here take the
 * registers from the core's NT_PRSTATUS notes and every read from struct
 * remote (the core backend, file-backed parts included), and its CFI comes
 * from the very modules the symbolizer reported (the files the core trusts).
 * A frame of a module it has no file for ends the stack there: never a guess.
 */
#include "native_core.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/core.h"
#include "engine/python/target.h"

#define MAX_FRAMES 1024

/* user_regs_struct slots of the DWARF x86-64 registers 0..16
 * (rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip) */
static const int dwarf_slot[17] = { 10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16 };

struct walk {
	struct native_stack *out;
	int error;
	char msg[200];
};

/* A thread's argument is its struct core_thread. */
static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct target *t = arg;
	struct core_thread *prev = *thread_argp;
	size_t i = prev ? (size_t)(prev - t->core->threads) + 1 : 0;
	(void)dwfl;
	if (i >= t->core->nthreads)
		return 0;
	*thread_argp = &t->core->threads[i];
	return t->core->threads[i].tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct target *t = arg;
	(void)dwfl;
	for (size_t i = 0; i < t->core->nthreads; i++)
		if (t->core->threads[i].tid == tid) {
			*thread_argp = &t->core->threads[i];
			return true;
		}
	return false;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct target *t = arg;
	(void)dwfl;
	return remote_read(&t->mem, addr, result, sizeof(*result), NULL) == 0;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct core_thread *th = thread_arg;
	Dwarf_Word regs[17];
	for (int i = 0; i < 17; i++)
		regs[i] = th->regs[dwarf_slot[i]];
	return dwfl_thread_state_registers(thread, 0, 17, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

int native_core_attach(struct target *t, void *dwfl, struct pyspy_err *e)
{
	if (!dwfl_attach_state(dwfl, NULL, t->pid, &thread_callbacks, t))
		return err_set(e, PS_EIO, "cannot unwind the core's threads: %s", dwfl_errmsg(-1));
	return 0;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp = 0;
	bool activation;
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (w->out->n >= MAX_FRAMES) {
		snprintf(w->msg, sizeof(w->msg), "more than %d native frames", MAX_FRAMES);
		w->error = PS_ECORRUPT;
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(state, 7, &sp) != 0)
		sp = 0;
	if (native_stack_push(w->out, pc, sp) < 0) {
		w->error = PS_ENOMEM;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

int native_core_walk(struct target *t, void *dwfl, pid_t tid, struct native_stack *out)
{
	struct walk w = { .out = out };
	if (!core_thread(t->core, tid)) {
		snprintf(out->msg, sizeof(out->msg), "the core has no thread %d", (int)tid);
		return -PS_EARG;
	}
	int rc = dwfl_getthread_frames(dwfl, tid, frame_cb, &w);
	if (w.error) {
		snprintf(out->msg, sizeof(out->msg), "%s", w.msg);
		return -w.error;
	}
	if (out->n == 0) {
		snprintf(out->msg, sizeof(out->msg), "cannot unwind: %s", dwfl_errmsg(-1));
		return -PS_EIO;
	}
	if (rc != 0) {
		/* a stack ends where the CFI says the return address is undefined
		 * (_start, clone3) and the call returns 0; anything else cut it short */
		snprintf(out->msg, sizeof(out->msg), "unwinding stopped at 0x%llx: %s",
			 (unsigned long long)out->frames[out->n - 1].ip, dwfl_errmsg(-1));
		return -PS_ECORRUPT;
	}
	return 0;
}
