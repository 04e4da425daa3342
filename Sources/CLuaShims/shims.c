// See CLuaShims.h for why this file exists. Everything here may raise a Lua error; nothing here
// calls back into Swift.
#include "CLuaShims.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// MARK: - Allocator with a cap

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    clua_limits *lim = (clua_limits *)ud;
    size_t old = ptr ? osize : 0;  // with ptr == NULL, osize is a type tag in 5.4
    if (nsize == 0) {
        free(ptr);
        lim->mem_used -= old;
        return NULL;
    }
    if (lim->enforce && lim->mem_limit && nsize > old && lim->mem_used + (nsize - old) > lim->mem_limit) {
        lim->mem_exceeded = 1;
        return NULL;  // Lua raises LUA_ERRMEM "not enough memory"
    }
    if (lim->armed && lim->enforce && nsize > old) {
        lim->work += (double)(nsize - old);
        if (lim->work > (double)lim->budget * CLUA_WORK_PER_INSTRUCTION) {
            lim->work_exceeded = 1;
            return NULL;  // LUA_ERRMEM; the runtime reports it as the work budget
        }
    }
    void *p = realloc(ptr, nsize);
    if (p) {
        lim->mem_used = lim->mem_used - old + nsize;
        if (lim->mem_used > lim->mem_peak) lim->mem_peak = lim->mem_used;
    }
    return p;
}

static int on_panic(lua_State *L) {
    // Only reachable for an error outside any protected call, which this boundary never makes.
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "sacral: unprotected Lua error: %s\n", msg ? msg : "?");
    abort();
}

lua_State *clua_newstate(size_t mem_limit, long budget) {
    clua_limits *lim = calloc(1, sizeof(clua_limits));
    if (!lim) return NULL;
    lim->mem_limit = mem_limit;
    lim->budget = budget > 0 ? budget : 1000000;
    lua_State *L = lua_newstate(limited_alloc, lim);
    if (!L) { free(lim); return NULL; }
    lua_atpanic(L, on_panic);
    return L;
}

clua_limits *clua_get_limits(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (clua_limits *)ud;
}

void clua_close(lua_State *L) {
    if (!L) return;
    clua_limits *lim = clua_get_limits(L);
    lua_close(L);
    free(lim);
}

// MARK: - Instruction budget

static int in_trusted_code(lua_State *L, lua_Debug *ar) {
    if (!lua_getinfo(L, "S", ar)) return 0;
    return strncmp(ar->source, CLUA_TRUSTED_CHUNK_PREFIX, sizeof(CLUA_TRUSTED_CHUNK_PREFIX) - 1) == 0;
}

static int line_mask(clua_limits *lim) { return lim->line_coverage ? LUA_MASKLINE : 0; }

// Records the line about to run when it belongs to a rule file (chunk names starting with "@").
static void record_line(lua_State *L, lua_Debug *ar) {
    if (!lua_getinfo(L, "S", ar) || ar->source[0] != '@') return;
    if (lua_getfield(L, LUA_REGISTRYINDEX, "sacral.lines") != LUA_TTABLE) { lua_pop(L, 1); return; }
    if (lua_getfield(L, -1, ar->source) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, ar->source);
    }
    lua_pushboolean(L, 1);
    lua_rawseti(L, -2, ar->currentline);
    lua_pop(L, 2);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    clua_limits *lim = clua_get_limits(L);
    if (ar->event == LUA_HOOKLINE) { record_line(L, ar); return; }
    lim->tripped = 1;
    lim->instr_exceeded = 1;
    // Sticky: fire on every instruction from now on, so a rule's own pcall cannot swallow the stop.
    lua_sethook(L, count_hook, LUA_MASKCOUNT | line_mask(lim), 1);
    if (in_trusted_code(L, ar)) return;  // the runtime regains control and disarms
    luaL_where(L, 0);  // level 0 is the running Lua function: the rule's file and line
    lua_pushliteral(L, "instruction limit exceeded");
    lua_concat(L, 2);
    lua_error(L);
}

/// host.arm(): a fresh budget window for the rule about to run.
static int host_arm(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    lim->tripped = 0;
    lim->work = 0;
    lim->work_exceeded = 0;
    lim->armed = 1;
    lua_sethook(L, count_hook, LUA_MASKCOUNT | line_mask(lim), (int)(lim->budget > 0x7fffffff ? 0x7fffffff : lim->budget));
    return 0;
}

static void disarm_hook(lua_State *L, clua_limits *lim) {
    lim->armed = 0;
    if (lim->line_coverage) lua_sethook(L, count_hook, LUA_MASKLINE, 0);
    else lua_sethook(L, NULL, 0, 0);
}

/// host.disarm(): back in trusted code; returns whether the window ran out.
static int host_disarm(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    disarm_hook(L, lim);
    lua_pushboolean(L, lim->tripped || lim->work_exceeded);
    lim->tripped = 0;
    return 1;
}

/// host.work_tripped(): whether the last window ran out of work budget (allocations or library
/// calls) rather than instructions.
static int host_work_tripped(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    lua_pushboolean(L, lim->work_exceeded);
    return 1;
}

/// Charges work done inside a library function to the open window; over budget, stops the rule
/// like the count hook does (sticky, so the rule's own pcall cannot swallow it).
static void charge(lua_State *L, double units) {
    clua_limits *lim = clua_get_limits(L);
    if (!lim->armed) return;
    lim->work += units;
    if (lim->work <= (double)lim->budget * CLUA_WORK_PER_INSTRUCTION) return;
    lim->work_exceeded = 1;
    lim->tripped = 1;
    lim->instr_exceeded = 1;
    lim->armed = 0;  // the message below must be allocatable; the sticky hook keeps the rule stopped
    lua_sethook(L, count_hook, LUA_MASKCOUNT | line_mask(lim), 1);
    luaL_where(L, 1);
    lua_pushliteral(L, "instruction limit exceeded");
    lua_concat(L, 2);
    lua_error(L);
}

// MARK: - Host functions for the trusted runtime

/// host.setenv(fn, env): make env the _ENV of a freshly loaded chunk (its first upvalue).
static int host_setenv(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushvalue(L, 2);
    if (lua_setupvalue(L, 1, 1) == NULL) lua_pop(L, 1);
    return 0;
}

/// host.where(level): source and line of the function `level` frames up (1 = caller of where).
static int host_where(lua_State *L) {
    int level = (int)luaL_optinteger(L, 1, 1);
    lua_Debug ar;
    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar)) {
        lua_pushstring(L, ar.short_src);
        lua_pushinteger(L, ar.currentline);
        return 2;
    }
    return 0;
}

/// host.active_lines(root): the lines that can run, of every Lua function reachable from root
/// (through tables, metatables and upvalues), as chunk name -> { [line] = true }; rule-file
/// chunks ("@...") only. The denominator of line coverage.
static void walk_active(lua_State *L, int idx, int seen, int out, int depth) {
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    if ((t != LUA_TTABLE && t != LUA_TFUNCTION) || depth > 200) return;
    lua_pushvalue(L, idx);
    if (lua_rawget(L, seen) != LUA_TNIL) { lua_pop(L, 1); return; }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    luaL_checkstack(L, 8, "walking rules for coverage");
    if (t == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            walk_active(L, -2, seen, out, depth + 1);
            walk_active(L, -1, seen, out, depth + 1);
            lua_pop(L, 1);
        }
        if (lua_getmetatable(L, idx)) { walk_active(L, -1, seen, out, depth + 1); lua_pop(L, 1); }
        return;
    }
    if (lua_iscfunction(L, idx)) return;
    lua_Debug ar;
    lua_pushvalue(L, idx);
    lua_getinfo(L, ">SL", &ar);  // pushes the active-lines table
    if (ar.source[0] == '@' && lua_istable(L, -1)) {
        if (lua_getfield(L, out, ar.source) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, out, ar.source);
        }
        lua_pushnil(L);
        while (lua_next(L, -3)) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushboolean(L, 1);
            lua_rawset(L, -4);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (int i = 1; lua_getupvalue(L, idx, i) != NULL; i++) {
        walk_active(L, -1, seen, out, depth + 1);
        lua_pop(L, 1);
    }
}

static int host_active_lines(lua_State *L) {
    lua_settop(L, 1);
    lua_newtable(L);  // 2: seen
    lua_newtable(L);  // 3: out
    walk_active(L, 1, 2, 3, 0);
    return 1;
}

/// host.collect(): a full collection, after a rule was stopped for memory.
static int host_collect(lua_State *L) {
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}

/// host.memory_tripped(): whether an allocation was refused since the last call.
static int host_memory_tripped(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    lua_pushboolean(L, lim->mem_exceeded);
    return 1;
}

// MARK: - Guards for C functions the hook cannot interrupt

// A Lua pattern backtracks; with q quantifiers over a subject of n bytes the matcher may take on the
// order of n^(q+1) steps, none of which the count hook can interrupt. Refuse calls whose bound
// exceeds this many steps.
#define PATTERN_STEP_BOUND 1e8

static int pattern_quantifiers(const char *p, size_t len) {
    int q = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '%') {
            i++;
            if (i >= len) break;
            // %bxy scans to the end of the subject from every start, and a back-reference %1-%9
            // compares the whole capture at every try: each costs as much as a quantifier.
            if (p[i] == 'b') { q++; i += 2; continue; }
            if (p[i] >= '1' && p[i] <= '9') { q++; continue; }
            continue;  // escaped character or class
        }
        if (c == '[') {                   // a set: skip to its closing bracket
            i++;
            if (i < len && p[i] == '^') i++;
            if (i < len && p[i] == ']') i++;
            while (i < len && p[i] != ']') { if (p[i] == '%') i++; i++; }
            continue;
        }
        if (c == '*' || c == '+' || c == '-' || c == '?') q++;
    }
    return q;
}

static void check_pattern_cost(lua_State *L, const char *fname) {
    size_t n = 0, m = 0;
    luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &m);
    int plain = strcmp(fname, "find") == 0 && lua_toboolean(L, 4);
    int q = plain ? 0 : pattern_quantifiers(p, m);
    double cost = (q + 1) * log((double)n + 1.0) + log((double)m + 1.0);
    if (cost > log(PATTERN_STEP_BOUND))
        luaL_error(L, "string.%s refused: pattern of %d quantifier(s) over a %d-byte subject may take too long",
                   fname, q, (int)n);
}

static int guarded_pattern_fn(lua_State *L) {
    const char *fname = lua_tostring(L, lua_upvalueindex(2));
    check_pattern_cost(L, fname);
    charge(L, (double)lua_rawlen(L, 1) + 1);
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

// string.rep of an empty string with a huge count loops in C without allocating.
static int guarded_rep(lua_State *L) {
    size_t l = 0, lsep = 0;
    luaL_checklstring(L, 1, &l);
    luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (l + lsep == 0) { lua_pushliteral(L, ""); return 1; }
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n > 0) charge(L, (double)n * (double)(l + lsep));
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 1);
    return 1;
}

// How a library function's work is measured from its arguments.
enum { COST_STRING_ARG1, COST_ALL_STRINGS, COST_ARG_COUNT, COST_TABLE_LEN, COST_TABLE_SORT, COST_UNPACK };

static double argument_cost(lua_State *L, int kind) {
    int n = lua_gettop(L);
    switch (kind) {
    case COST_STRING_ARG1: {
        size_t len = 0;
        if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &len);
        return (double)len;
    }
    case COST_ALL_STRINGS: {
        double total = 0;
        for (int i = 1; i <= n; i++) {
            size_t len = 0;
            if (lua_type(L, i) == LUA_TSTRING) { lua_tolstring(L, i, &len); total += (double)len; }
        }
        return total;
    }
    case COST_ARG_COUNT: return n;
    case COST_TABLE_LEN: return lua_type(L, 1) == LUA_TTABLE ? (double)lua_rawlen(L, 1) : 0;
    case COST_TABLE_SORT: {
        double m = lua_type(L, 1) == LUA_TTABLE ? (double)lua_rawlen(L, 1) : 0;
        return m * (log2(m + 1) + 1);
    }
    case COST_UNPACK: {
        if (lua_type(L, 1) != LUA_TTABLE) return 0;
        lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 1;
        lua_Integer j = lua_isinteger(L, 3) ? lua_tointeger(L, 3) : (lua_Integer)lua_rawlen(L, 1);
        return j >= i ? (double)j - (double)i + 1 : 0;
    }
    }
    return 0;
}

static int charged_fn(lua_State *L) {
    charge(L, argument_cost(L, (int)lua_tointeger(L, lua_upvalueindex(2))) + 1);
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

static void charge_function(lua_State *L, int libtab, const char *name, int kind) {
    if (lua_getfield(L, libtab, name) != LUA_TFUNCTION) { lua_pop(L, 1); return; }
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, charged_fn, 2);
    lua_setfield(L, libtab, name);
}

static void guard_string_function(lua_State *L, int strtab, const char *name) {
    lua_getfield(L, strtab, name);
    lua_pushstring(L, name);
    lua_pushcclosure(L, guarded_pattern_fn, 2);
    lua_setfield(L, strtab, name);
}

// MARK: - Sandbox

static const char *const removed_globals[] = {
    "dofile", "loadfile", "load", "collectgarbage", "print", "require", "module",
    "rawset", "rawget", "rawequal", "rawlen", "setmetatable", "getmetatable", NULL,
};

static int open_sandbox(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_settop(L, 0);

    // The runtime needs a few of the functions rules must not have; it gets them through `host`.
    lua_newtable(L);  // 1: host
    lua_pushglobaltable(L);  // 2: _G
    const char *kept[] = {"setmetatable", "getmetatable", "rawget", "rawset", "rawequal", "rawlen", NULL};
    for (int i = 0; kept[i]; i++) {
        lua_getfield(L, 2, kept[i]);
        lua_setfield(L, 1, kept[i]);
    }
    lua_pushcfunction(L, host_setenv);          lua_setfield(L, 1, "setenv");
    lua_pushcfunction(L, host_where);           lua_setfield(L, 1, "where");
    lua_pushcfunction(L, host_arm);             lua_setfield(L, 1, "arm");
    lua_pushcfunction(L, host_disarm);          lua_setfield(L, 1, "disarm");
    lua_pushcfunction(L, host_collect);         lua_setfield(L, 1, "collect");
    lua_pushcfunction(L, host_memory_tripped);  lua_setfield(L, 1, "memory_tripped");
    lua_pushcfunction(L, host_work_tripped);    lua_setfield(L, 1, "work_tripped");
    lua_pushcfunction(L, host_active_lines);    lua_setfield(L, 1, "active_lines");

    for (int i = 0; removed_globals[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, 2, removed_globals[i]);
    }

    // string: no bytecode dumps; guarded pattern functions and rep. The string metatable's
    // __index is this very table, so method calls ("x"):find(...) are guarded too.
    lua_getfield(L, 2, "string");  // 3
    lua_pushnil(L); lua_setfield(L, 3, "dump");
    guard_string_function(L, 3, "find");
    guard_string_function(L, 3, "match");
    guard_string_function(L, 3, "gmatch");
    guard_string_function(L, 3, "gsub");
    lua_getfield(L, 3, "rep");
    lua_pushcclosure(L, guarded_rep, 1);
    lua_setfield(L, 3, "rep");
    // Library work the count hook cannot see is charged to the rule's window.
    charge_function(L, 3, "byte", COST_STRING_ARG1);
    charge_function(L, 3, "upper", COST_STRING_ARG1);
    charge_function(L, 3, "lower", COST_STRING_ARG1);
    charge_function(L, 3, "reverse", COST_STRING_ARG1);
    charge_function(L, 3, "sub", COST_STRING_ARG1);
    charge_function(L, 3, "format", COST_ALL_STRINGS);
    charge_function(L, 3, "char", COST_ARG_COUNT);
    lua_pop(L, 1);
    lua_getfield(L, 2, "utf8");
    charge_function(L, lua_gettop(L), "len", COST_STRING_ARG1);
    charge_function(L, lua_gettop(L), "codepoint", COST_STRING_ARG1);
    charge_function(L, lua_gettop(L), "offset", COST_STRING_ARG1);
    charge_function(L, lua_gettop(L), "char", COST_ARG_COUNT);
    lua_pop(L, 1);

    // math: no randomness (results must be reproducible).
    lua_getfield(L, 2, "math");
    lua_pushnil(L); lua_setfield(L, -2, "random");
    lua_pushnil(L); lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);

    // table.move with a huge range loops in C over nils without allocating.
    lua_getfield(L, 2, "table");
    lua_pushnil(L); lua_setfield(L, -2, "move");
    charge_function(L, lua_gettop(L), "insert", COST_TABLE_LEN);
    charge_function(L, lua_gettop(L), "remove", COST_TABLE_LEN);
    charge_function(L, lua_gettop(L), "concat", COST_TABLE_LEN);
    charge_function(L, lua_gettop(L), "sort", COST_TABLE_SORT);
    charge_function(L, lua_gettop(L), "unpack", COST_UNPACK);
    lua_pop(L, 1);

    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "sacral.host");
    return 0;
}

int clua_open_sandbox(lua_State *L) {
    lua_pushcfunction(L, open_sandbox);
    return lua_pcall(L, 0, 0, 0);
}

void clua_push_host(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, "sacral.host"); }

void clua_enable_line_coverage(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    lim->line_coverage = 1;
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "sacral.lines");
}

void clua_push_covered_lines(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, "sacral.lines"); }

int clua_load_text(lua_State *L, const char *buf, size_t len, const char *chunkname) {
    return luaL_loadbufferx(L, buf, len, chunkname, "t");
}

// MARK: - Protected calls

static int message_handler(lua_State *L) {
    if (lua_type(L, 1) == LUA_TSTRING) return 1;
    const char *tn = luaL_typename(L, 1);
    lua_pushfstring(L, "(error object is a %s value)", tn);
    return 1;
}

int clua_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    clua_limits *lim = clua_get_limits(L);
    lim->enforce = 1;
    int rc = lua_pcall(L, nargs, nresults, base);
    lim->enforce = 0;
    disarm_hook(L, lim);
    lua_remove(L, base);
    return rc;
}

// MARK: - Macro wrappers

void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
void clua_newtable(lua_State *L) { lua_newtable(L); }
const char *clua_tolstring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
int clua_isinteger(lua_State *L, int idx) { return lua_isinteger(L, idx); }
int clua_registryindex(void) { return LUA_REGISTRYINDEX; }
int clua_ref(lua_State *L) { return luaL_ref(L, LUA_REGISTRYINDEX); }
void clua_unref(lua_State *L, int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }
void clua_getref(lua_State *L, int ref) { lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }
