/*
 * target.c — attaching: from a pid to a validated interpreter state.
 *
 * The steps, each with its fallbacks:
 *  1. the process: exists, not a zombie, readable (procfs_check);
 *  2. the module holding the interpreter: a mapped libpython, else the
 *     executable when it carries the interpreter (a static build);
 *  3. the version: the target's own _Py_DebugOffsets (3.13+), the Py_Version
 *     symbol (3.11+), else major.minor from the file name and the micro from
 *     sys.version once attached (a binary without a telling name: the
 *     PY_VERSION string in .rodata);
 *  4. the layout: from the debug offsets (cross-checked with the table) or the
 *     generated table for that minor version;
 *  5. the interpreter state: the _PyRuntime or interp_head symbol, the
 *     .PyRuntime section, or a scan of the module's data and bss; every
 *     candidate must validate (its first thread state points back to it).
 */
#include "target.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layouts/debug_offsets.h"
#include "layouts/layout_check.h"
#include "code.h"
#include "engine/os/core.h"
#include "engine/os/elfsym.h"
#include "pyobj.h"

#define SCAN_CHUNK 65536

const char *locate_method_name(enum locate_method m)
{
	switch (m) {
	case LOCATE_SYMBOL: return "symbol";
	case LOCATE_SECTION: return "section";
	case LOCATE_SCAN: return "scan";
	default: return "any";
	}
}

int target_read_ptr(struct target *t, raddr_t addr, raddr_t *out, struct pyspy_err *e)
{
	int rc = remote_read_ptr(&t->mem, addr, out, e);
	if (rc == 0 && *out >= (1ull << 47))
		return err_set(e, PS_ECORRUPT, "value 0x%" PRIx64 " at 0x%" PRIx64 " is not a pointer", *out, addr);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* The lowest mapped address of a file, which is where its first PT_LOAD lands. */
static raddr_t lowest_mapping(const struct maps *m, const char *path)
{
	raddr_t lo = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].path && strcmp(m->v[i].path, path) == 0 && (!lo || m->v[i].start < lo))
			lo = m->v[i].start;
	return lo;
}

static int open_module(struct target *t, const char *path, struct elfsym *es, struct pyspy_err *e)
{
	char real[PATH_MAX + 32];
	if (t->core)
		snprintf(real, sizeof(real), "%s", core_file_path(t->core, path));
	else
		procfs_path(t->pid, path, real, sizeof(real));
	int rc = elfsym_open(es, real, e);
	if (rc < 0)
		return rc;
	snprintf(t->pymodule, sizeof(t->pymodule), "%s", path);
	t->pymodule_bias = lowest_mapping(&t->maps, path) - es->load_vaddr;
	return 0;
}

static bool has_python_symbols(struct elfsym *es)
{
	static const char *const names[] = { "Py_Initialize", "PyEval_EvalFrameDefault", "_PyEval_EvalFrameDefault",
					     "PyEval_EvalFrameEx", "_PyRuntime", "Py_Version" };
	uint64_t v;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (elfsym_find(es, names[i], &v, NULL, false) == 0)
			return true;
	return elfsym_section(es, ".PyRuntime", NULL, NULL, NULL) == 0;
}

/* Step 2: libpython if mapped, else an executable that carries the interpreter. */
static int find_module(struct target *t, struct elfsym *es, struct pyspy_err *e)
{
	struct pyversion v;
	for (size_t i = 0; i < t->maps.n; i++) {
		const char *p = t->maps.v[i].path;
		if (p && strncmp(base_name(p), "libpython", 9) == 0 && pyversion_from_filename(p, &v) == 0)
			return open_module(t, p, es, e);
	}
	if (!t->exe[0])
		return err_set(e, PS_ENOTPY, "pid %d (%s) is not a Python process: its executable cannot be read", (int)t->pid, t->comm);
	int rc = open_module(t, t->exe, es, e);
	if (rc < 0)
		return rc;
	t->pymodule_is_exe = true;
	if (has_python_symbols(es) || pyversion_from_filename(t->exe, &v) == 0)
		return 0;
	elfsym_close(es);
	return err_set(e, PS_ENOTPY, "pid %d (%s) is not a Python process: no libpython is mapped and %s has no Python interpreter in it",
		       (int)t->pid, t->comm, t->exe);
}

/* Where _PyRuntime is, by symbol or by section; 0 if neither. */
static raddr_t runtime_address(struct target *t, struct elfsym *es, enum locate_method only, enum locate_method *how)
{
	uint64_t v;
	if ((only == LOCATE_ANY || only == LOCATE_SYMBOL) && elfsym_find(es, "_PyRuntime", &v, NULL, true) == 0) {
		*how = LOCATE_SYMBOL;
		return t->pymodule_bias + v;
	}
	if ((only == LOCATE_ANY || only == LOCATE_SECTION) && elfsym_section(es, ".PyRuntime", &v, NULL, NULL) == 0) {
		*how = LOCATE_SECTION;
		return t->pymodule_bias + v;
	}
	return 0;
}

/* Steps 3 and 4. */
static int choose_layout(struct target *t, struct elfsym *es, struct pyspy_err *e)
{
	enum locate_method how;
	raddr_t rt = runtime_address(t, es, LOCATE_ANY, &how);
	struct { char cookie[8]; uint64_t version, free_threaded; } head;
	uint64_t v;
	const struct py_layout *table;

	if (rt && remote_read(&t->mem, rt, &head, sizeof(head), NULL) == 0 && memcmp(head.cookie, "xdebugpy", 8) == 0) {
		if (pyversion_from_hex(head.version, &t->version) < 0)
			return err_set(e, PS_EUNSUP, "pid %d: _Py_DebugOffsets carries an implausible version 0x%" PRIx64, (int)t->pid, head.version);
		pyversion_format(&t->version, t->version_str, sizeof(t->version_str));
		size_t len = layout_debug_offsets_size(head.version);
		uint8_t *blob = len ? malloc(len) : NULL;
		char why[256] = "";
		int rc;
		if (!len)	/* no shape known for this version: the header says why */
			rc = layout_from_debug_offsets(&head, sizeof(head), &t->layout, why, sizeof(why));
		else if ((rc = blob ? remote_read(&t->mem, rt, blob, len, e) : -1) == 0)
			rc = layout_from_debug_offsets(blob, len, &t->layout, why, sizeof(why));
		free(blob);
		if (rc == LAYOUT_DEBUG_REFUSED)
			return err_set(e, PS_EUNSUP, "%s", why);
		if (rc == LAYOUT_DEBUG_INCONSISTENT)
			return err_set(e, PS_EUNSUP, "the target's debug offsets are inconsistent (%s)", why);
		if (rc < 0)
			return err_set(e, PS_EUNSUP, "unsupported Python %s: %s", t->version_str, why[0] ? why : "its debug offsets cannot be read");
		table = layout_for_version(t->version.major, t->version.minor);
		if (table) {
			char diff[200] = "";
			int n = layout_crosscheck(table, &t->layout, diff, sizeof(diff));
			if (n == 0)
				snprintf(t->layout_origin, sizeof(t->layout_origin),
					 "both cross-checked: the target's own _Py_DebugOffsets and the built-in table %u.%u "
					 "(generated from the %s headers) agree", t->version.major, t->version.minor, table->headers);
			else
				snprintf(t->layout_origin, sizeof(t->layout_origin),
					 "the target's own _Py_DebugOffsets; the built-in table %u.%u disagrees: %s",
					 t->version.major, t->version.minor, diff);
		} else
			snprintf(t->layout_origin, sizeof(t->layout_origin), "the target's own _Py_DebugOffsets (no built-in table for %u.%u)",
				 t->version.major, t->version.minor);
		return 0;
	}
	if (elfsym_find(es, "Py_Version", &v, NULL, false) == 0) {
		uint32_t hex;
		if (remote_read(&t->mem, t->pymodule_bias + v, &hex, sizeof(hex), NULL) == 0)
			pyversion_from_hex(hex, &t->version);
	}
	if (!t->version.major) {
		/* the file name gives major.minor (sys.version gives the micro once
		 * attached); only a binary with no telling name has .rodata scanned */
		struct pyversion fv = { 0 };
		size_t len;
		const void *ro;
		if (pyversion_from_filename(t->pymodule, &fv) == 0)
			t->version = fv;
		else if (!(ro = elfsym_section_data(es, ".rodata", &len)) || pyversion_scan(ro, len, 0, 0, &t->version) < 0)
			return err_set(e, PS_ENOTPY, "pid %d (%s): cannot tell the Python version of %s", (int)t->pid, t->comm, t->pymodule);
	}
	pyversion_format(&t->version, t->version_str, sizeof(t->version_str));
	table = layout_for_version(t->version.major, t->version.minor);
	if (!table)
		return err_set(e, PS_EUNSUP, "unsupported Python %s: pyspy-sh reads 2.7 and 3.6 to 3.15", t->version_str);
	t->layout = *table;
	snprintf(t->layout_origin, sizeof(t->layout_origin), "the built-in table %u.%u (generated from the %s headers)",
		 t->version.major, t->version.minor, table->headers);
	return 0;
}

/* An interpreter state is real if its first thread state points back at it. */
static bool valid_interp(struct target *t, raddr_t interp)
{
	const struct py_layout *L = &t->layout;
	raddr_t ts, back, modules;
	if (!interp || (interp & 7) || !maps_readable(&t->maps, interp, (size_t)L->interp.size))
		return false;
	if (target_read_ptr(t, interp + (raddr_t)L->interp.tstate_head, &ts, NULL) < 0 || !ts || (ts & 7))
		return false;
	if (target_read_ptr(t, ts + (raddr_t)L->tstate.interp, &back, NULL) < 0 || back != interp)
		return false;
	return target_read_ptr(t, interp + (raddr_t)L->interp.modules, &modules, NULL) == 0 &&
	       modules && maps_readable(&t->maps, modules, 8);
}

/* Scan one block of the module's writable data for a pointer to a valid interpreter. */
static int scan_block(struct target *t, raddr_t start, uint64_t size)
{
	const struct py_layout *L = &t->layout;
	uint64_t *buf = malloc(SCAN_CHUNK);
	if (!buf)
		return -1;
	for (raddr_t at = start & ~(raddr_t)7; at < start + size; at += SCAN_CHUNK) {
		size_t len = start + size - at < SCAN_CHUNK ? (size_t)(start + size - at) & ~(size_t)7 : SCAN_CHUNK;
		if (len == 0 || remote_read(&t->mem, at, buf, len, NULL) < 0)
			continue;
		for (size_t i = 0; i < len / 8; i++) {
			raddr_t v = buf[i];
			if (v < 4096 || (v & 7) || !maps_find(&t->maps, v) || !valid_interp(t, v))
				continue;
			raddr_t slot = at + i * 8;
			if (L->interp_model == INTERP_MODEL_RUNTIME) {
				/* interpreters.head: its neighbour interpreters.main must agree */
				raddr_t rt = slot - (raddr_t)L->runtime.interpreters_head, main_interp;
				if (L->runtime.interpreters_main >= 0 &&
				    (remote_read_ptr(&t->mem, rt + (raddr_t)L->runtime.interpreters_main, &main_interp, NULL) < 0 || main_interp != v))
					continue;
				t->runtime = rt;
			}
			t->interp = v;
			free(buf);
			return 0;
		}
	}
	free(buf);
	return -1;
}

static int locate_by_scan(struct target *t, struct elfsym *es)
{
	static const char *const sections[] = { ".PyRuntime", ".data", ".bss" };
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		uint64_t addr, size;
		if (elfsym_section(es, sections[i], &addr, &size, NULL) == 0 && size &&
		    scan_block(t, t->pymodule_bias + addr, size) == 0) {
			snprintf(t->locate_detail, sizeof(t->locate_detail), "scan of %s", sections[i]);
			return 0;
		}
	}
	/* no section headers: the module's writable mappings and the bss right after them */
	for (size_t i = 0; i < t->maps.n; i++) {
		const struct map_region *r = &t->maps.v[i];
		bool mine = r->path && strcmp(r->path, t->pymodule) == 0;
		bool bss = !r->path && i > 0 && t->maps.v[i - 1].path && strcmp(t->maps.v[i - 1].path, t->pymodule) == 0;
		if ((mine || bss) && r->perms[1] == 'w' && scan_block(t, r->start, r->end - r->start) == 0) {
			snprintf(t->locate_detail, sizeof(t->locate_detail), "scan of writable mappings");
			return 0;
		}
	}
	return -1;
}

/*
 * The main interpreter, from the head of the runtime's list: with
 * subinterpreters running (3.12+) the head is the newest of them, and the
 * main one is where the runtime says (interpreters.main) or, where the layout
 * does not say, the last in the list.  0 when neither is a valid interpreter.
 */
static raddr_t main_interp(struct target *t, raddr_t rt, raddr_t head)
{
	const struct py_layout *L = &t->layout;
	raddr_t main = 0, next;
	if (L->runtime.interpreters_main >= 0 &&
	    target_read_ptr(t, rt + (raddr_t)L->runtime.interpreters_main, &main, NULL) == 0 && valid_interp(t, main))
		return main;
	if (L->interp.next < 0)
		return valid_interp(t, head) ? head : 0;
	main = head;
	for (int k = 0; k < 256 && target_read_ptr(t, main + (raddr_t)L->interp.next, &next, NULL) == 0 && next; k++)
		main = next;
	return valid_interp(t, main) ? main : 0;
}

/* Step 5. */
static int locate_interp(struct target *t, struct elfsym *es, enum locate_method only, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	enum locate_method how = LOCATE_ANY;
	uint64_t v;

	if (L->interp_model == INTERP_MODEL_RUNTIME) {
		raddr_t rt = runtime_address(t, es, only, &how);
		raddr_t interp;
		if (rt && target_read_ptr(t, rt + (raddr_t)L->runtime.interpreters_head, &interp, NULL) == 0 && interp &&
		    (interp = main_interp(t, rt, interp)) != 0) {
			t->runtime = rt;
			t->interp = interp;
			t->located_by = how;
			snprintf(t->locate_detail, sizeof(t->locate_detail), "%s at 0x%" PRIx64,
				 how == LOCATE_SYMBOL ? "symbol _PyRuntime" : "section .PyRuntime", rt);
			return 0;
		}
	} else if ((only == LOCATE_ANY || only == LOCATE_SYMBOL) && elfsym_find(es, "interp_head", &v, NULL, true) == 0) {
		raddr_t interp;
		if (target_read_ptr(t, t->pymodule_bias + v, &interp, NULL) == 0 && valid_interp(t, interp)) {
			t->interp = interp;
			t->located_by = LOCATE_SYMBOL;
			snprintf(t->locate_detail, sizeof(t->locate_detail), "symbol interp_head at 0x%" PRIx64, t->pymodule_bias + v);
			return 0;
		}
	}
	if ((only == LOCATE_ANY || only == LOCATE_SCAN) && locate_by_scan(t, es) == 0) {
		t->located_by = LOCATE_SCAN;
		return 0;
	}
	if (t->core)
		return err_set(e, PS_ENOTPY, "core %s: found Python %s in %s but no interpreter state "
			       "(did the process die while starting up or shutting down?)", t->core->path, t->version_str, t->pymodule);
	if (!procfs_alive(t->pid))
		return err_set(e, PS_EGONE, "pid %d has exited", (int)t->pid);
	return err_set(e, PS_ENOTPY, "pid %d (%s): found Python %s in %s but no live interpreter state%s",
		       (int)t->pid, t->comm, t->version_str, t->pymodule,
		       only != LOCATE_ANY ? " with the requested method" : " (is it still starting up or shutting down?)");
}

/* 2.7–3.10 binaries may not carry PY_VERSION as a string of its own; sys.version has it. */
static void refine_version(struct target *t)
{
	char buf[64];
	struct pyversion v;
	if (t->version.micro_known || pyobj_sys_str(t, "version", buf, sizeof(buf)) < 0)
		return;
	buf[strcspn(buf, " ")] = '\0';
	if (pyversion_parse(buf, &v) == 0 && v.major == t->version.major && v.minor == t->version.minor) {
		t->version = v;
		pyversion_format(&t->version, t->version_str, sizeof(t->version_str));
	}
}

static size_t max_end(const int32_t *offs, size_t n, size_t width)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (offs[i] >= 0 && (size_t)offs[i] + width > m)
			m = (size_t)offs[i] + width;
	return m;
}

/* How much of a PyThreadState and of a frame struct the walk needs; never
 * more than the buffers they fill (TARGET_TSTATE_MAX, TARGET_FRAME_MAX): a
 * layout asking for more is refused at attach, and reads nothing offline. */
static void read_sizes(struct target *t)
{
	const struct py_layout *L = &t->layout;
	int32_t ts[] = { L->tstate.next, L->tstate.interp, L->tstate.frame, L->tstate.cframe, L->tstate.current_frame,
			 L->tstate.thread_id, L->tstate.native_thread_id, L->tstate.datastack_chunk, L->tstate.datastack_top };
	t->tstate_len = max_end(ts, sizeof(ts) / sizeof(ts[0]), 8);
	if (L->frame_model == FRAME_MODEL_OBJECT) {
		int32_t f[] = { L->pyframe.back, L->pyframe.code, L->pyframe.lasti };
		t->iframe_len = max_end(f, 3, 8);
	} else {
		int32_t f[] = { L->iframe.previous, L->iframe.code, L->iframe.instr, L->iframe.owner, L->iframe.is_entry };
		t->iframe_len = max_end(f, 5, 8);
	}
	if (t->tstate_len > TARGET_TSTATE_MAX)
		t->tstate_len = 0;
	if (t->iframe_len > TARGET_FRAME_MAX)
		t->iframe_len = 0;
}

/* Every layout, built in or from the target, must fit the engine's buffers. */
static int check_layout(struct target *t, struct pyspy_err *e)
{
	char why[200];
	bool from_target = strncmp(t->layout_origin, "the target's", 12) == 0;
	if (layout_check(&t->layout, why, sizeof(why)) < 0)
		return err_set(e, PS_EUNSUP, from_target ? "the target's debug offsets are inconsistent (%s)"
					 : "the layout table is inconsistent (%s)", why);
	read_sizes(t);
	if (!t->tstate_len || !t->iframe_len)
		return err_set(e, PS_EUNSUP, "the target's layout needs more than %d bytes of a thread state or %d of a frame",
			       TARGET_TSTATE_MAX, TARGET_FRAME_MAX);
	return 0;
}

static void find_globals(struct target *t, struct elfsym *es)
{
	uint64_t v;
	if (elfsym_find(es, "PyCode_Type", &v, NULL, true) == 0)
		t->code_type = t->pymodule_bias + v;
	if (t->layout.gil_model == GIL_MODEL_CURRENT_SYMBOL && elfsym_find(es, "_PyThreadState_Current", &v, NULL, true) == 0)
		t->tstate_current = t->pymodule_bias + v;
	if (t->layout.str_model == STR_MODEL_PY2) {
		if (elfsym_find(es, "PyUnicodeUCS2_FromString", &v, NULL, false) == 0)
			t->layout.unicode_size = 2;
		else if (elfsym_find(es, "PyUnicodeUCS4_FromString", &v, NULL, false) == 0)
			t->layout.unicode_size = 4;
	}
}

/* Steps 2 to 5, once the maps are read. */
static int attach_steps(struct target *t, enum locate_method only, struct pyspy_err *e)
{
	struct elfsym es = { .fd = -1 };
	int rc;
	if ((rc = find_module(t, &es, e)) < 0)
		goto out;
	if ((rc = choose_layout(t, &es, e)) < 0 || (rc = check_layout(t, e)) < 0)
		goto out;
	find_globals(t, &es);
	if ((rc = locate_interp(t, &es, only, e)) < 0)
		goto out;
	refine_version(t);
out:
	elfsym_close(&es);
	return rc;
}

static void target_start(struct target *t, pid_t pid)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pthread_tid_offset = -1;
	remote_init(&t->mem, pid);
	strtab_init(&t->strings);
}

int target_attach(struct target *t, pid_t pid, const struct attach_opts *opts, struct pyspy_err *e)
{
	enum locate_method only = opts ? opts->locate : LOCATE_ANY;
	int rc;

	target_start(t, pid);
	if ((rc = procfs_check(pid, e)) < 0)
		goto fail;
	procfs_comm(pid, t->comm, sizeof(t->comm));
	procfs_exe(pid, t->exe, sizeof(t->exe));
	t->image_id = procfs_image_id(pid);
	if ((rc = maps_read(pid, &t->maps, e)) < 0)
		goto fail;
	if ((rc = attach_steps(t, only, e)) < 0)
		goto fail;
	return 0;
fail:
	target_detach(t);
	return rc;
}

static void core_release(struct target *t)
{
	if (t->core) {
		core_close(t->core);
		free(t->core);
	}
	t->core = NULL;
	t->mem.backend = NULL;
	t->mem.backend_ctx = NULL;
}

int target_open_core(struct target *t, const char *path, const char *exe, const struct attach_opts *opts,
		     struct pyspy_err *e)
{
	enum locate_method only = opts ? opts->locate : LOCATE_ANY;
	struct core *c = calloc(1, sizeof(*c));
	int rc;

	target_start(t, 0);
	if (!c)
		return err_set(e, PS_ENOMEM, "out of memory");
	if ((rc = core_open(c, path, exe, e)) < 0) {
		free(c);
		target_detach(t);
		return rc;
	}
	t->core = c;
	t->pid = c->pid;
	t->mem.backend = core_read;
	t->mem.backend_ctx = c;
	target_on_detach(t, core_release);
	snprintf(t->comm, sizeof(t->comm), "%s", c->comm);
	snprintf(t->exe, sizeof(t->exe), "%s", c->exe);
	if ((rc = core_maps(c, &t->maps, e)) < 0)
		goto fail;
	if ((rc = attach_steps(t, only, e)) < 0) {
		/* "pid 0 (...) is not a Python process" would name no process: say it of the core */
		if (rc == -PS_ENOTPY && strncmp(e->msg, "core ", 5) != 0)
			err_wrap(e, "core %s", path);
		goto fail;
	}
	return 0;
fail:
	target_detach(t);
	return rc;
}

int target_check_exec(struct target *t, struct pyspy_err *e)
{
	char exe[PATH_MAX];
	uint64_t id;
	if (!t->pid || !t->image_id || !(id = procfs_image_id(t->pid)) || id == t->image_id)
		return 0;
	procfs_exe(t->pid, exe, sizeof(exe));
	return err_set(e, PS_EGONE, "pid %d exec'd %s: it is no longer the Python program attached to (attach again to read it)",
		       (int)t->pid, exe[0] ? exe : "another program");
}

int target_probe(pid_t pid, char *exe, size_t len, struct pyspy_err *e)
{
	struct maps m = { 0 };
	struct elfsym es = { .fd = -1 };
	struct pyversion v;
	char real[PATH_MAX + 32];
	int rc, yes = 0;

	if ((rc = procfs_check(pid, e)) < 0)
		return rc;
	if (procfs_exe(pid, exe, len) < 0 || !exe[0])
		return err_set(e, PS_ENOTPY, "the executable of pid %d cannot be read", (int)pid);
	if ((rc = maps_read(pid, &m, e)) < 0)
		return rc;
	for (size_t i = 0; i < m.n && !yes; i++)
		yes = m.v[i].path && strncmp(base_name(m.v[i].path), "libpython", 9) == 0;
	maps_release(&m);
	if (yes || pyversion_from_filename(exe, &v) == 0)
		return 1;
	procfs_path(pid, exe, real, sizeof(real));
	if ((rc = elfsym_open(&es, real, e)) < 0)
		return rc;
	yes = elfsym_needs(&es, "libpython") || has_python_symbols(&es);
	elfsym_close(&es);
	if (!yes)
		err_set(e, PS_ENOTPY, "%s has no Python symbols and needs no libpython", exe);
	return yes;
}

void target_init_offline(struct target *t, const struct py_layout *layout)
{
	memset(t, 0, sizeof(*t));
	t->pthread_tid_offset = -1;
	remote_init(&t->mem, 0);
	strtab_init(&t->strings);
	t->layout = *layout;
	pyversion_from_hex((uint32_t)layout->version, &t->version);
	pyversion_format(&t->version, t->version_str, sizeof(t->version_str));
	read_sizes(t);
}

void target_on_detach(struct target *t, target_release_fn release)
{
	for (int i = 0; i < t->nhooks; i++)
		if (t->on_detach[i] == release)
			return;
	/* the hooks are this program's own modules, a handful: running out is a bug */
	assert(t->nhooks < TARGET_HOOKS);
	if (t->nhooks < TARGET_HOOKS)
		t->on_detach[t->nhooks++] = release;
}

void target_detach(struct target *t)
{
	while (t->nhooks > 0)
		t->on_detach[--t->nhooks](t);
	strtab_release(&t->strings);
	maps_release(&t->maps);
	remote_release(&t->mem);
}
