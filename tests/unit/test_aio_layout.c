/*
 * test_aio_layout.c — the asyncio task layouts and the AsyncioDebug reader.
 *
 * The AsyncioDebug tables below are the bytes of Debian's 3.14 (_asyncio's
 * .so) and 3.15 (built into the executable) sections, as objcopy dumps them:
 * they must be accepted, agree with the built-in task layout, and fill the
 * list offsets.  Each field scribbled past its struct, a task size that is
 * not one, a table that disagrees with the built-in layout, a misaligned
 * pointer field and a short table must be refused with the message a user
 * would see.  The per-minor tables must exist for 3.8-3.15 only and keep
 * their fields inside the task.
 */
#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "layouts/aio_layout.h"

static const uint64_t real314[13] = { 168, 136, 96, 108, 109, 128, 152, 225864, 10880, 936, 864, 872, 880 };
static const uint64_t real315[13] = { 168, 136, 96, 108, 109, 128, 152, 226240, 10856, 1104, 1024, 1032, 1048 };

static struct py_layout main_layout(int32_t interp_size, int32_t tstate_size)
{
	struct py_layout L;
	memset(&L, 0, sizeof(L));
	L.interp.size = interp_size;
	L.tstate.size = tstate_size;
	return L;
}

static int parse(const uint64_t *words, unsigned minor, int32_t interp_size, struct aio_layout *out, char *why)
{
	struct py_layout L = main_layout(interp_size, 200);
	*out = *aio_layout_for_minor(minor);
	return aio_layout_from_debug(words, 13 * 8, &L, out, why, 200);
}

static void scribbled(unsigned idx, uint64_t value, const char *want)
{
	uint64_t w[13];
	struct aio_layout A;
	char why[200] = "";
	memcpy(w, real314, sizeof(w));
	w[idx] = value;
	CHECK_INT(parse(w, 14, 225864, &A, why), -1);
	CHECK_STR(why, want);
}

int main(void)
{
	struct aio_layout A;
	char why[200] = "";

	for (unsigned m = 0; m < 20; m++) {
		const struct aio_layout *t = aio_layout_for_minor(m);
		CHECK((t != NULL) == (m >= 8 && m <= 15));
		if (!t)
			continue;
		CHECK(t->fut_state + 4 <= t->task_size && t->task_name + 8 <= t->task_size);
		CHECK(t->task_coro + 8 <= t->task_size && t->task_fut_waiter + 8 <= t->task_size);
		CHECK(t->registry == (m <= 11 ? AIO_REG_ALL_TASKS : m <= 13 ? AIO_REG_SCHEDULED : AIO_REG_LLIST));
	}

	CHECK_INT(parse(real314, 14, 225864, &A, why), 0);
	CHECK_INT(A.task_node, 152);
	CHECK_INT(A.task_awaited_by, 96);
	CHECK_INT(A.interp_tasks_head, 10880);
	CHECK_INT(A.tstate_tasks_head, 880);
	CHECK_INT(A.tstate_running_task, 872);
	CHECK_INT(parse(real315, 15, 226240, &A, why), 0);
	CHECK_INT(A.tstate_running_task, 1032);
	CHECK_INT(A.sp_depth, 2);

	/* the interpreter state the table names must be the main table's */
	CHECK_INT(parse(real314, 14, 1000, &A, why), -1);
	CHECK_STR(why, "asyncio_interpreter_state.size = 225864, the interpreter state is 1000 bytes");
	scribbled(0, 5, "asyncio_task_object.size = 5 is not a task's size");
	scribbled(6, 400, "asyncio_task_object.task_node = 400 past its size 168");
	scribbled(1, 1ull << 40, "asyncio_task_object.task_name = 1099511627776 past its size 168");
	scribbled(8, 225860, "asyncio_interpreter_state.asyncio_tasks_head = 225860 past its size 225864");
	scribbled(12, 930, "asyncio_thread_state.asyncio_tasks_head = 930 past its size 936");
	scribbled(11, 873, "AsyncioDebug: a pointer field is not aligned");
	scribbled(5, 120, "AsyncioDebug disagrees with the built-in 3.14 task layout (size 168, coro 120, name 136; "
		  "expected 168, 128, 136)");
	scribbled(9, 10, "asyncio_thread_state.size = 10, smaller than a thread state (200)");
	{
		struct py_layout L = main_layout(225864, 200);
		A = *aio_layout_for_minor(14);
		CHECK_INT(aio_layout_from_debug(real314, 50, &L, &A, why, sizeof(why)), -1);
		CHECK_STR(why, "AsyncioDebug truncated: 50 bytes, 104 needed");
	}
	return unit_done();
}
