/*
 * table.c — the list of every command.  Adding a command means adding its
 * file and one line here; help, prefixes and argument checks follow.
 */
#include <stddef.h>

#include "command.h"

extern const struct command cmd_attach, cmd_bt, cmd_flamegraph, cmd_heatmap, cmd_sample, cmd_save, cmd_top, cmd_globals, cmd_locals, cmd_print, cmd_ps, cmd_continue, cmd_detach, cmd_down, cmd_frame, cmd_help, cmd_info,
	cmd_list, cmd_lua, cmd_quit, cmd_set, cmd_source, cmd_show, cmd_stop, cmd_tasks, cmd_thread, cmd_threads, cmd_up;

const struct command *const command_table[] = {
	&cmd_attach,
	&cmd_bt,
	&cmd_continue,
	&cmd_detach,
	&cmd_down,
	&cmd_flamegraph,
	&cmd_frame,
	&cmd_globals,
	&cmd_heatmap,
	&cmd_help,
	&cmd_info,
	&cmd_list,
	&cmd_locals,
	&cmd_lua,
	&cmd_print,
	&cmd_ps,
	&cmd_quit,
	&cmd_sample,
	&cmd_save,
	&cmd_set,
	&cmd_show,
	&cmd_source,
	&cmd_stop,
	&cmd_tasks,
	&cmd_thread,
	&cmd_threads,
	&cmd_top,
	&cmd_up,
	NULL,
};
