/*
 * test_syscalls.c — x86-64 system call names from the generated table, and
 * how the thread header says them.
 *
 * Checked: common blocking calls are named (futex, clock_nanosleep,
 * epoll_wait, restart_syscall), both ends of the table (0 and the newest
 * number), the gap between 334 and 424 and numbers past the end stay
 * unnamed, and the header text: "in syscall NAME", "in syscall N" for an
 * unknown number, restart_syscall with the call it continues.
 */
#include <string.h>

#include "engine/native/native.h"
#include "engine/native/syscalls.h"
#include "unit.h"

static void test_names(void)
{
	CHECK_STR(syscalls_name(0), "read");
	CHECK_STR(syscalls_name(202), "futex");
	CHECK_STR(syscalls_name(219), "restart_syscall");
	CHECK_STR(syscalls_name(230), "clock_nanosleep");
	CHECK_STR(syscalls_name(232), "epoll_wait");
	CHECK_STR(syscalls_name(334), "rseq");
	CHECK_STR(syscalls_name(424), "pidfd_send_signal");
	CHECK_STR(syscalls_name(449), "futex_waitv");
	CHECK_STR(syscalls_name(450), "set_mempolicy_home_node");
	CHECK_STR(syscalls_name(455), "futex_wait");
	CHECK_STR(syscalls_name(471), "rseq_slice_yield");
	CHECK(syscalls_name(335) == NULL);
	CHECK(syscalls_name(423) == NULL);
	CHECK(syscalls_name(472) == NULL);
	CHECK(syscalls_name(-1) == NULL);
	CHECK(syscalls_name(1L << 40) == NULL);
}

static void test_status_text(void)
{
	char buf[128];
	struct native_frame f = { 0 };
	f.sym.function = "clock_nanosleep";
	struct native_stack s = { .frames = &f, .n = 1, .status = NSTAT_SYSCALL };
	s.syscall = 202;
	s.syscall_name = syscalls_name(202);
	CHECK_STR(native_status_text(&s, buf, sizeof(buf)), "in syscall futex");
	s.syscall = 219;
	s.syscall_name = syscalls_name(219);
	CHECK_STR(native_status_text(&s, buf, sizeof(buf)), "in syscall restart_syscall (clock_nanosleep)");
	/* glibc 2.41+: through its unnamed syscall-cancel wrappers to the call */
	struct native_frame g[3] = { { 0 } };
	g[0].sym.library = g[1].sym.library = g[2].sym.library = "libc.so.6";
	g[2].sym.function = "clock_nanosleep";
	s.frames = g;
	s.n = 3;
	CHECK_STR(native_status_text(&s, buf, sizeof(buf)), "in syscall restart_syscall (clock_nanosleep)");
	g[1].sym.library = "libpython3.14.so";
	CHECK_STR(native_status_text(&s, buf, sizeof(buf)), "in syscall restart_syscall");
	s.syscall = 999;
	s.syscall_name = syscalls_name(999);
	CHECK_STR(native_status_text(&s, buf, sizeof(buf)), "in syscall 999");
}

int main(void)
{
	test_names();
	test_status_text();
	return unit_done();
}
