/*
 * lua_values.c — turning engine data into Lua values, and reading the
 * option tables scripts pass in.
 *
 * A decoded Python value (engine/pyvalue.h) maps onto Lua directly: None is
 * nil, bool a boolean, an int an integer, a float a number, a str a string,
 * a list or tuple an array, a dict a table keyed by its (scalar) keys, and
 * anything else the repr text `locals` would print.  Frames and thread
 * records are plain tables: they are a copy of what was read, so they can be
 * kept, compared and printed long after the process moved on.
 *
 * Options are tables ({locals=true, rate=200}); a field of the wrong type
 * is the caller's mistake and raises, naming the function and the field.
 */
#include "engine/native/native.h"
#include "lua_impl.h"

void lv_push_value(lua_State *L, const struct py_value *v)
{
	luaL_checkstack(L, 4, "value nested too deep");
	switch (v->kind) {
	case PYV_NONE: lua_pushnil(L); return;
	case PYV_BOOL: lua_pushboolean(L, v->i != 0); return;
	case PYV_INT: lua_pushinteger(L, (lua_Integer)v->i); return;
	case PYV_FLOAT: lua_pushnumber(L, v->f); return;
	case PYV_STR: case PYV_REPR: lua_pushlstring(L, v->s ? v->s : "", v->len); return;
	case PYV_LIST:
		lua_createtable(L, (int)v->n, 0);
		for (size_t i = 0; i < v->n; i++) {
			lv_push_value(L, &v->items[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return;
	case PYV_DICT:
		lua_createtable(L, 0, (int)v->n);
		for (size_t i = 0; i < v->n; i++) {
			if (v->items[2 * i].kind == PYV_NONE)
				lua_pushliteral(L, "None");   /* nil cannot be a key */
			else
				lv_push_value(L, &v->items[2 * i]);
			if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1)) {
				lua_pop(L, 1);        /* NaN cannot be a key either */
				lua_pushliteral(L, "nan");
			}
			lv_push_value(L, &v->items[2 * i + 1]);
			lua_rawset(L, -3);
		}
		return;
	}
	lua_pushnil(L);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (v) {
		lua_pushstring(L, v);
		lua_setfield(L, -2, k);
	}
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

void lv_push_frame(lua_State *L, const char *function, const char *qualname, const char *file, int line)
{
	lua_createtable(L, 0, 5);
	set_str(L, "kind", "python");
	set_str(L, "function", function);
	set_str(L, "qualname", qualname);
	set_str(L, "file", file);
	if (line >= 0)
		set_int(L, "line", line);
}

void lv_push_frames(lua_State *L, const struct py_frame *f, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lv_push_frame(L, f[i].function, f[i].qualname, f[i].file, f[i].line);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

void lv_push_thread_record(lua_State *L, const struct py_thread *th)
{
	lua_createtable(L, 0, 5);
	set_int(L, "id", (lua_Integer)th->thread_id);
	if (th->os_tid)
		set_int(L, "os_tid", th->os_tid);
	set_str(L, "name", th->name);
	lua_pushboolean(L, th->active);
	lua_setfield(L, -2, "active");
	if (th->gil >= 0) {
		lua_pushboolean(L, th->gil > 0);
		lua_setfield(L, -2, "gil");
	}
}

/* Push field `field` of the table at idx (absent or nil table: nil); returns its type. */
static int opt_field(lua_State *L, int idx, const char *field)
{
	if (lua_isnoneornil(L, idx)) {
		lua_pushnil(L);
		return LUA_TNIL;
	}
	return lua_getfield(L, idx, field);
}

static int opt_error(lua_State *L, int idx, const char *fn, const char *field, const char *want)
{
	(void)fn;   /* luaL_argerror names the function as it was called */
	return luaL_argerror(L, idx, lua_pushfstring(L, "field '%s': %s expected, got %s", field, want,
						     luaL_typename(L, -1)));
}

void lv_check_opts(lua_State *L, int idx)
{
	if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
		luaL_typeerror(L, idx, "table");
}

bool lv_opt_bool(lua_State *L, int idx, const char *fn, const char *field, bool def)
{
	int t = opt_field(L, idx, field);
	bool v = def;
	if (t == LUA_TBOOLEAN)
		v = lua_toboolean(L, -1);
	else if (t != LUA_TNIL)
		opt_error(L, idx, fn, field, "boolean");
	lua_pop(L, 1);
	return v;
}

double lv_opt_number(lua_State *L, int idx, const char *fn, const char *field, double def)
{
	int t = opt_field(L, idx, field);
	double v = def;
	if (t == LUA_TNUMBER)
		v = lua_tonumber(L, -1);
	else if (t != LUA_TNIL)
		opt_error(L, idx, fn, field, "number");
	lua_pop(L, 1);
	return v;
}

const char *lv_opt_string(lua_State *L, int idx, const char *fn, const char *field, const char *def)
{
	int t = opt_field(L, idx, field);
	const char *v = def;
	if (t == LUA_TSTRING)
		v = lua_tostring(L, -1);   /* anchored in the options table */
	else if (t != LUA_TNIL)
		opt_error(L, idx, fn, field, "string");
	lua_pop(L, 1);
	return v;
}

void lv_push_native_frame(lua_State *L, const struct native_frame *f)
{
	lua_createtable(L, 0, 6);
	set_str(L, "kind", "native");
	set_str(L, "function", f->sym.function);
	set_str(L, "library", f->sym.library);
	set_str(L, "file", f->sym.file);
	if (f->sym.line > 0)
		set_int(L, "line", f->sym.line);
	set_int(L, "address", (lua_Integer)f->ip);
}

int lv_fail(lua_State *L, const char *msg)
{
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

void lv_new_class(lua_State *L, const char *name, lua_CFunction index, lua_CFunction tostring,
		  lua_CFunction gc, const luaL_Reg *methods)
{
	luaL_newmetatable(L, name);
	lua_pushcfunction(L, index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, tostring);
	lua_setfield(L, -2, "__tostring");
	if (gc) {
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__close");
	}
	if (methods) {
		lua_newtable(L);
		luaL_setfuncs(L, methods, 0);
		lua_setfield(L, -2, "methods");
	}
	lua_pop(L, 1);
}

int lv_method(lua_State *L, const char *k)
{
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "methods");
	lua_getfield(L, -1, k);
	return 1;
}
