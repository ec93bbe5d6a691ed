/*
 * syscalls.h — names of x86-64 system calls (syscalls.generated.c, made by
 * gen_syscalls.sh from the kernel's uapi header and committed).
 */
#ifndef PYSPY_SYSCALLS_H
#define PYSPY_SYSCALLS_H

/* "futex" for 202, "restart_syscall" for 219; NULL for a number without a
 * name (unknown to the table, or negative). */
const char *syscalls_name(long nr);

#endif
