// See CLuaShims.h for why this file exists. Everything here may raise a Lua error; nothing here
// calls back into Swift.
#include "CLuaShims.h"

#include <lauxlib.h>
#include <lualib.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void stop_rule_later(clua_limits *lim);

// MARK: - Allocator with a cap

// Small blocks (most of what Lua allocates: table nodes, closures, short strings) come from free
// lists of the state's own, one per 16-byte size class, carved from 64 KiB slabs that live as long
// as the state. A case makes and drops tens of thousands of them, and the full collection before
// each case frees them all at once; through malloc that cost a tenth of an evaluation (free-list
// consolidation every time Lua then asked for a larger block). The cap and the work budget still
// count the sizes Lua asks for, so what a rule may allocate, and every decision, is unchanged.
// Under AddressSanitizer every block goes to malloc, so that it still sees each one.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLUA_NO_POOL 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CLUA_NO_POOL 1
#endif

#define POOL_GRAIN 16
#define POOL_MAX 512
#define POOL_CLASSES (POOL_MAX / POOL_GRAIN)
#define POOL_SLAB (64 * 1024)

typedef struct clua_pool {
    void *free[POOL_CLASSES];  // class c holds blocks of (c + 1) * POOL_GRAIN bytes
    char *cursor;               // the unused end of the newest slab
    size_t left;
    void *slabs;                // newest slab; each slab's first word points to the one before
} clua_pool;

static size_t pool_class(size_t n) { return (n - 1) / POOL_GRAIN; }

static void *pool_take(clua_pool *pool, size_t n) {
    size_t c = pool_class(n);
    void *p = pool->free[c];
    if (p) {
        pool->free[c] = *(void **)p;
        return p;
    }
    size_t size = (c + 1) * POOL_GRAIN;
    if (pool->left < size) {
        char *slab = malloc(POOL_SLAB);
        if (!slab) return NULL;
        *(void **)slab = pool->slabs;
        pool->slabs = slab;
        pool->cursor = slab + POOL_GRAIN;  // the link, padded to keep blocks 16-byte aligned
        pool->left = POOL_SLAB - POOL_GRAIN;
    }
    p = pool->cursor;
    pool->cursor += size;
    pool->left -= size;
    return p;
}

static void pool_give(clua_pool *pool, void *p, size_t n) {
    size_t c = pool_class(n);
    *(void **)p = pool->free[c];
    pool->free[c] = p;
}

static void pool_release(clua_pool *pool) {
    for (void *slab = pool->slabs; slab;) {
        void *before = *(void **)slab;
        free(slab);
        slab = before;
    }
}

#ifdef CLUA_NO_POOL
static int pooled(size_t n) { (void)n; return 0; }
#else
static int pooled(size_t n) { return n > 0 && n <= POOL_MAX; }
#endif

// A block of `n` bytes for Lua, from the pool or malloc by its size.
static void *block_take(clua_pool *pool, size_t n) { return pooled(n) ? pool_take(pool, n) : malloc(n); }

static void block_give(clua_pool *pool, void *p, size_t n) {
    if (pooled(n)) pool_give(pool, p, n);
    else free(p);
}

// Lua's realloc: within one pool class, or both past the pool, the block stays where it can.
// Lua assumes a shrinking call never fails; when no pool block can be had for a block that shrinks
// into the pool's range, it keeps its malloc block, which then serves as a pool block of the
// smaller class from its release on (it is bigger than the class needs).
static void *block_resize(clua_pool *pool, void *p, size_t old, size_t n) {
    if (!pooled(old) && !pooled(n)) return realloc(p, n);
    if (pooled(old) && pooled(n) && pool_class(old) == pool_class(n)) return p;
    void *q = block_take(pool, n);
    if (!q) return n <= old ? p : NULL;
    memcpy(q, p, old < n ? old : n);
    block_give(pool, p, old);
    return q;
}

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    clua_limits *lim = (clua_limits *)ud;
    clua_pool *pool = (clua_pool *)lim->pool;
    size_t old = ptr ? osize : 0;  // with ptr == NULL, osize is a type tag in 5.4
    if (nsize == 0) {
        if (ptr) block_give(pool, ptr, old);
        lim->mem_used -= old;
        return NULL;
    }
    if (lim->enforce && lim->mem_limit && nsize > old && lim->mem_used + (nsize - old) > lim->mem_limit) {
        lim->mem_exceeded = 1;
        stop_rule_later(lim);
        return NULL;  // Lua raises LUA_ERRMEM "not enough memory"
    }
    if (lim->armed && lim->enforce && nsize > old) {
        // A new string (ptr == NULL: osize is the type tag) longer than a rule may make.
        if (ptr == NULL && osize == LUA_TSTRING && nsize > CLUA_MAX_STRING + 64) {
            lim->mem_exceeded = 1;
            stop_rule_later(lim);
            return NULL;
        }
        lim->work += (double)(nsize - old);
        if (lim->work > (double)lim->budget * CLUA_WORK_PER_INSTRUCTION) {
            lim->work_exceeded = 1;
            stop_rule_later(lim);
            return NULL;  // LUA_ERRMEM; the runtime reports it as the work budget
        }
    }
    void *p = ptr ? block_resize(pool, ptr, old, nsize) : block_take(pool, nsize);
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
    lim->pool = calloc(1, sizeof(clua_pool));
    if (!lim->pool) { free(lim); return NULL; }
    lim->mem_limit = mem_limit;
    lim->budget = budget > 0 ? budget : 1000000;
    lua_State *L = lua_newstate(limited_alloc, lim);
    if (!L) { pool_release(lim->pool); free(lim->pool); free(lim); return NULL; }
    lua_atpanic(L, on_panic);
    lim->main = L;
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
    pool_release(lim->pool);
    free(lim->pool);
    free(lim);
}

// MARK: - Instruction budget

static int in_trusted_code(lua_State *L, lua_Debug *ar) {
    if (!lua_getinfo(L, "S", ar)) return 0;
    return strncmp(ar->source, CLUA_TRUSTED_CHUNK_PREFIX, sizeof(CLUA_TRUSTED_CHUNK_PREFIX) - 1) == 0;
}

static int line_mask(clua_limits *lim) { return lim->line_coverage ? LUA_MASKLINE : 0; }
static lua_Hook count_hook_fn(void);

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

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Whether the host call has used up its seconds. They are the CPU seconds of the thread running
// it, so a case on a loaded machine (waiting for a core) is decided as on an idle one. Reading
// the thread's CPU clock is a system call (~0.6 us), too dear for every slice of 256 instructions;
// the monotonic clock (vDSO, ~25 ns) is read instead, and since a thread's CPU time never runs
// ahead of the time on the wall, the CPU clock is read only once the wall-clock deadline passed:
// time the thread spent waiting moves the deadline on by as much.
static int case_time_up(clua_limits *lim) {
    if (lim->case_deadline <= 0) return 0;
    double now = clock_seconds(CLOCK_MONOTONIC);
    if (now <= lim->case_deadline) return 0;
    double used = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - lim->case_cpu_start;
    if (used >= lim->case_seconds) return 1;
    lim->case_deadline = now + (lim->case_seconds - used);
    return 0;
}

#define CASE_MESSAGE "case budget exceeded (the rules ran out of the instructions or time one case may take)"

// Charges `used` instructions to the open window and to the host call; marks what ran out.
static void account(clua_limits *lim, long used) {
    lim->window_left -= used;
    if (lim->case_budget > 0) {
        lim->case_left -= used;
        if (lim->case_left <= 0) lim->case_exceeded = 1;
    }
    if (case_time_up(lim)) lim->case_exceeded = 1;
    if (lim->case_exceeded || lim->window_left <= 0) lim->tripped = 1;
}

// The count of the next slice: never past the end of the window or of the case budget.
static void next_slice(lua_State *L, clua_limits *lim) {
    long n = CLUA_HOOK_SLICE;
    if (lim->window_left < n) n = lim->window_left;
    if (lim->case_budget > 0 && lim->case_left < n) n = lim->case_left;
    if (n < 1) n = 1;
    lim->hook_count = (int)n;
    lua_sethook(L, count_hook_fn(), LUA_MASKCOUNT | line_mask(lim), (int)n);
}

// Sticky: fire on every instruction from now on, so a rule's own pcall cannot swallow the stop.
static void make_sticky(lua_State *L, clua_limits *lim) {
    lim->hook_count = 1;
    lua_sethook(L, count_hook_fn(), LUA_MASKCOUNT | line_mask(lim), 1);
}

// Called by the allocator when it refused memory inside a window: the refusal raises
// "not enough memory" once, which the rule could catch with pcall; the hook raises it again at
// every instruction of rule code until the window closes.
static void stop_rule_later(clua_limits *lim) {
    if (!lim->armed || !lim->main) return;
    lim->alloc_refused = 1;
    make_sticky(lim->main, lim);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    clua_limits *lim = clua_get_limits(L);
    if (ar->event == LUA_HOOKLINE) { record_line(L, ar); return; }
    account(lim, lim->hook_count);
    if (!lim->tripped && !lim->alloc_refused) { next_slice(L, lim); return; }
    if (lim->tripped) lim->instr_exceeded = 1;
    make_sticky(L, lim);
    if (in_trusted_code(L, ar)) return;  // the runtime regains control and disarms
    if (!lim->tripped) {
        // Exactly Lua's own message, so the runtime reports the memory cap or the work budget.
        lua_pushliteral(L, "not enough memory");
        lua_error(L);
    }
    luaL_where(L, 0);  // level 0 is the running Lua function: the rule's file and line
    if (lim->case_exceeded) lua_pushliteral(L, CASE_MESSAGE);
    else lua_pushliteral(L, "instruction limit exceeded");
    lua_concat(L, 2);
    lua_error(L);
}

static lua_Hook count_hook_fn(void) { return count_hook; }

/// host.arm([left, work]): a fresh budget window for the rule about to run; or, given what a
/// caller's window had left (instructions and work), that window again after a nested window
/// (c:status, c:score running other rules) closed. Nothing left: the caller stops at its next
/// instruction.
static int host_arm(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    lim->tripped = 0;
    lim->work = 0;
    lim->work_exceeded = 0;
    lim->alloc_refused = 0;
    lim->armed = 1;
    lim->window_left = lim->budget;
    if (!lua_isnoneornil(L, 1)) {
        lim->window_left = (long)luaL_checkinteger(L, 1);
        lim->work = luaL_optnumber(L, 2, 0);
        if (lim->work > (double)lim->budget * CLUA_WORK_PER_INSTRUCTION) lim->work_exceeded = 1;
    }
    if (lim->case_exceeded || lim->window_left <= 0 || lim->work_exceeded) {
        // The case is out of budget: the rule stops at its first instruction.
        lim->tripped = 1;
        make_sticky(L, lim);
    } else {
        next_slice(L, lim);
    }
    return 0;
}

static void disarm_hook(lua_State *L, clua_limits *lim) {
    // The slice under way is charged whole to the case: the hook's remaining count is not
    // readable through the API, and charging too much never lets a case run longer.
    if (lim->armed && lim->case_budget > 0 && !lim->tripped) {
        lim->case_left -= lim->hook_count;
        if (lim->case_left <= 0) lim->case_exceeded = 1;
    }
    lim->armed = 0;
    lim->alloc_refused = 0;
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

/// host.usage(): what the open window has left of its instructions (the slice under way charged
/// whole) and the work it has used.
static int host_usage(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    long left = lim->window_left;
    if (lim->armed) left -= lim->hook_count;
    lua_pushinteger(L, left);
    lua_pushnumber(L, lim->work);
    return 2;
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
// Whether the C function running was called by the trusted runtime's Lua code (through any
// number of C functions, such as table.sort and its wrappers): the nearest Lua function up the
// stack is the runtime's.
static int called_from_runtime(lua_State *L) {
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "S", &ar)) return 0;
        if (ar.what[0] == 'C') continue;
        return in_trusted_code(L, &ar);
    }
    return 0;
}

static void charge(lua_State *L, double units) {
    clua_limits *lim = clua_get_limits(L);
    if (!lim->armed) return;
    lim->work += units;
    // Work counts against the case budget too, at the same rate as against the window.
    if (lim->case_budget > 0) {
        lim->case_left -= (long)(units / CLUA_WORK_PER_INSTRUCTION);
        if (lim->case_left <= 0) lim->case_exceeded = 1;
    }
    if (units >= 4096 && case_time_up(lim)) lim->case_exceeded = 1;
    if (!lim->case_exceeded && lim->work <= (double)lim->budget * CLUA_WORK_PER_INSTRUCTION) return;
    if (!lim->case_exceeded) lim->work_exceeded = 1;
    lim->tripped = 1;
    lim->instr_exceeded = 1;
    if (called_from_runtime(L)) {
        // The runtime's own bookkeeping finishes (an error here would break a pathway's decision
        // half-way); the sticky hook stops the rule at its next instruction.
        make_sticky(L, lim);
        return;
    }
    lim->armed = 0;  // the message below must be allocatable; the sticky hook keeps the rule stopped
    make_sticky(L, lim);
    luaL_where(L, 1);
    if (lim->case_exceeded) lua_pushliteral(L, CASE_MESSAGE);
    else lua_pushliteral(L, "instruction limit exceeded");
    lua_concat(L, 2);
    lua_error(L);
}

/// host.case_tripped(): whether the current host call ran out of its case budget.
static int host_case_tripped(lua_State *L) {
    lua_pushboolean(L, clua_get_limits(L)->case_exceeded);
    return 1;
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
// The walks below (coverage, freezing) visit each table and function once, whatever the cycles:
// returns the value's type when idx holds a table or function not in `seen` yet (and marks it),
// else LUA_TNONE.
static int visit_once(lua_State *L, int idx, int seen, int depth) {
    int t = lua_type(L, idx);
    if ((t != LUA_TTABLE && t != LUA_TFUNCTION) || depth > 200) return LUA_TNONE;
    lua_pushvalue(L, idx);
    if (lua_rawget(L, seen) != LUA_TNIL) { lua_pop(L, 1); return LUA_TNONE; }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    return t;
}

static void walk_active(lua_State *L, int idx, int seen, int out, int depth) {
    idx = lua_absindex(L, idx);
    int t = visit_once(L, idx, seen, depth);
    if (t == LUA_TNONE) return;
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

// MARK: - No state kept by rule files (issue 8)

/// host.depth(): how many frames the stack holds below and at the caller.
// lua_getstack walks `level` frames down from the top on every call, so counting the frames one
// level at a time is quadratic: after a runaway recursion (50,000 frames within one instruction
// budget) the error handler's count took seconds, enough to run a case into its seconds budget
// and fail every later rule. Doubling to a level past the bottom, then bisecting, probes
// O(log depth) levels.
static int host_depth(lua_State *L) {
    lua_Debug ar;
    int found = 0, missing = 1;  // level `found` exists (0: this function), `missing` not known yet
    while (lua_getstack(L, missing, &ar)) {
        found = missing;
        if (missing > INT_MAX / 2) { lua_pushinteger(L, found); return 1; }
        missing *= 2;
    }
    while (missing - found > 1) {
        int mid = found + (missing - found) / 2;
        if (lua_getstack(L, mid, &ar)) found = mid;
        else missing = mid;
    }
    lua_pushinteger(L, found);
    return 1;
}

/// host.defined_at(fn): "file:line" where a Lua function is written (its prototype), nil for C.
static int host_defined_at(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Debug ar;
    lua_pushvalue(L, 1);
    if (!lua_getinfo(L, ">S", &ar) || ar.what[0] == 'C') return 0;
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.linedefined);
    return 1;
}

static int frozen_newindex(lua_State *L) {
    return luaL_error(L, "a rule file's table is read-only once the rules are loaded (tried to set %s; rule "
                         "files keep no state from one call to the next: use a local inside the function)",
                      lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER ? lua_tostring(L, 2)
                                                                                      : luaL_typename(L, 2));
}

static int frozen_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

// Freezes the table at idx in place: its contents move to a shadow table the metatable reads
// through (__index, __len, and __frozen for the ordered next), and every write is refused. The
// table keeps its identity, so every closure and table that refers to it sees the frozen one.
static void freeze_table(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_newtable(L);  // shadow
    int shadow = lua_gettop(L);
    lua_newtable(L);  // keys, to clear after the traversal
    int keys = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, shadow);
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++n);
    }
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, i);
        lua_pushnil(L);
        lua_rawset(L, idx);
    }
    lua_pop(L, 1);  // keys
    lua_newtable(L);  // metatable
    lua_pushvalue(L, shadow);
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, shadow);
    lua_setfield(L, -2, "__frozen");
    lua_pushcfunction(L, frozen_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, shadow);
    lua_pushcclosure(L, frozen_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, idx);
    lua_pop(L, 1);  // shadow
}

// MARK: - Which upvalue cells a function can assign

// A call can change an upvalue cell only by an OP_SETUPVAL in the called function, or in a closure
// it creates from one of its nested functions (which reaches the cell as an upvalue of its own:
// `instack` 0). Rules have no debug library, so nothing else writes a cell. The restore after
// each call (host.restore) need look only at cells some reachable function can assign: most rule
// files assign none, and looking at every cell after every call was a tenth of an evaluation.
// The functions' code is read from lua_dump (stripped), whose layout is that of Lua 5.4
// (ldump.c); anything unexpected in it counts every upvalue of the function as assigned.

typedef struct { unsigned char *p; size_t n, cap; int failed; } dump_buffer;

static int dump_writer(lua_State *L, const void *b, size_t size, void *ud) {
    (void)L;
    dump_buffer *d = (dump_buffer *)ud;
    if (d->failed) return 1;
    if (d->n + size > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4096;
        while (cap < d->n + size) cap *= 2;
        unsigned char *p = realloc(d->p, cap);
        if (!p) { d->failed = 1; return 1; }
        d->p = p;
        d->cap = cap;
    }
    memcpy(d->p + d->n, b, size);
    d->n += size;
    return 0;
}

typedef struct { const unsigned char *p, *end; int bad; } dump_reader;
typedef struct { uint64_t bits[4]; } upvalue_set;  // upvalue indexes 0..255

static int read_byte(dump_reader *r) {
    if (r->bad || r->p >= r->end) { r->bad = 1; return 0; }
    return *r->p++;
}

// ldump.c's dumpSize: 7 bits per byte, most significant first, the last byte marked with 0x80.
static size_t read_size(dump_reader *r) {
    size_t x = 0;
    for (int i = 0; i < 10; i++) {
        int b = read_byte(r);
        x = (x << 7) | (size_t)(b & 0x7f);
        if (b & 0x80) return x;
    }
    r->bad = 1;
    return 0;
}

static void skip_bytes(dump_reader *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) { r->bad = 1; return; }
    r->p += n;
}

static void skip_string(dump_reader *r) {
    size_t n = read_size(r);  // length + 1; 0 for none
    if (n > 0) skip_bytes(r, n - 1);
}

#define DUMP_OP_SETUPVAL 10  // lopcodes.h of Lua 5.4: MOVE, LOADI, LOADF, LOADK, LOADKX, LOADFALSE,
                             // LFALSESKIP, LOADTRUE, LOADNIL, GETUPVAL, SETUPVAL

// One function of a dump (ldump.c's dumpFunction). `assigns` gets the function's own upvalues that
// it or a closure made from its nested functions can assign; `in_parent` the same cells as
// upvalues of the enclosing function.
static void read_function(dump_reader *r, upvalue_set *assigns, upvalue_set *in_parent, int depth) {
    if (depth > 200) { r->bad = 1; return; }
    skip_string(r);            // source
    read_size(r);              // linedefined
    read_size(r);              // lastlinedefined
    skip_bytes(r, 3);          // numparams, is_vararg, maxstacksize
    size_t ncode = read_size(r);
    for (size_t i = 0; i < ncode && !r->bad; i++) {
        if ((size_t)(r->end - r->p) < 4) { r->bad = 1; break; }
        uint32_t ins = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
        r->p += 4;
        if ((ins & 0x7F) == DUMP_OP_SETUPVAL) {
            unsigned b = (ins >> 16) & 0xFF;  // iABC: op 7, A 8, k 1, B 8, C 8 bits
            assigns->bits[b >> 6] |= (uint64_t)1 << (b & 63);
        }
    }
    size_t nk = read_size(r);
    for (size_t i = 0; i < nk && !r->bad; i++) {
        switch (read_byte(r)) {
        case 3: case 19: skip_bytes(r, 8); break;   // integer, float
        case 4: case 20: skip_string(r); break;     // short, long string
        case 0: case 1: case 17: break;             // nil, false, true
        default: r->bad = 1;
        }
    }
    size_t nup = read_size(r);
    if (nup > 256) { r->bad = 1; return; }
    unsigned char instack[256], idx[256];
    for (size_t i = 0; i < nup && !r->bad; i++) {
        instack[i] = (unsigned char)read_byte(r);
        idx[i] = (unsigned char)read_byte(r);
        read_byte(r);  // kind
    }
    size_t np = read_size(r);
    for (size_t i = 0; i < np && !r->bad; i++) {
        upvalue_set child = {{0}};
        read_function(r, &child, assigns, depth + 1);
    }
    // Debug information (empty in a stripped dump, skipped all the same).
    size_t n = read_size(r);
    skip_bytes(r, n);
    n = read_size(r);
    for (size_t i = 0; i < n && !r->bad; i++) { read_size(r); read_size(r); }
    n = read_size(r);
    for (size_t i = 0; i < n && !r->bad; i++) { skip_string(r); read_size(r); read_size(r); }
    n = read_size(r);
    for (size_t i = 0; i < n && !r->bad; i++) skip_string(r);
    if (r->bad) return;
    for (size_t i = 0; i < nup; i++) {
        if ((assigns->bits[i >> 6] >> (i & 63)) & 1) {
            if (!instack[i]) in_parent->bits[idx[i] >> 6] |= (uint64_t)1 << (idx[i] & 63);
        }
    }
}

// The upvalues (bit i - 1 for upvalue i) the Lua function at idx can assign; every one of them
// when its dump cannot be read as expected.
static upvalue_set read_assigned_upvalues(lua_State *L, int idx) {
    upvalue_set all;
    memset(&all, 0xff, sizeof all);
#if LUA_VERSION_NUM != 504
    (void)L; (void)idx;
    return all;
#else
    dump_buffer d = {0};
    lua_pushvalue(L, idx);
    int status = lua_dump(L, dump_writer, &d, 1);
    lua_pop(L, 1);
    static const unsigned char header[] = {0x1b, 'L', 'u', 'a', 0x54, 0};
    if (status != 0 || d.failed || d.n < 32 || memcmp(d.p, header, sizeof header) != 0 || d.p[12] != 4 ||
        d.p[13] != 8 || d.p[14] != 8) {
        free(d.p);
        return all;
    }
    dump_reader r = {d.p + 32, d.p + d.n, 0};  // the header (31 bytes) and the upvalue count
    upvalue_set assigns = {{0}}, outer = {{0}};
    read_function(&r, &assigns, &outer, 0);
    int complete = !r.bad && r.p == r.end;
    free(d.p);
    return complete ? assigns : all;
#endif
}

// Pushes the registry's table `name`, weak-keyed, made on first use.
static void push_weak_registry_table(lua_State *L, const char *name) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, name) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
}

// The same, remembered per function for the state's life (host.slots walks a file's functions
// once per rule and score of the file): registry "sacral.assigns", weak keys.
static upvalue_set assigned_upvalues(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    upvalue_set set;
    push_weak_registry_table(L, "sacral.assigns");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TSTRING && lua_rawlen(L, -1) == sizeof set) {
        memcpy(&set, lua_tostring(L, -1), sizeof set);
        lua_pop(L, 2);
        return set;
    }
    lua_pop(L, 1);
    set = read_assigned_upvalues(L, idx);
    lua_pushvalue(L, idx);
    lua_pushlstring(L, (const char *)&set, sizeof set);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return set;
}

// Walks what rule-file code can reach from the value at idx and records every upvalue cell of a
// rule-file function (chunk name "@..."), _ENV included, once per cell in `slots` as f, i, value,
// name. Freezing (host.freeze): tables without a metatable (the runtime's own objects all have
// one) are frozen on the way. Not freezing (host.slots, after the freeze): a frozen table is read
// through its shadow, and any other table with a metatable is the runtime's and ends the walk.
static void walk_state(lua_State *L, int idx, int seen, int slots, int assigned, int depth, int freezing) {
    idx = lua_absindex(L, idx);
    int t = visit_once(L, idx, seen, depth);
    if (t == LUA_TNONE) return;
    luaL_checkstack(L, 8, "walking rule files' state");
    if (t == LUA_TTABLE) {
        if (lua_getmetatable(L, idx)) {
            if (!freezing) {
                lua_pushliteral(L, "__frozen");
                if (lua_rawget(L, -2) == LUA_TTABLE) walk_state(L, -1, seen, slots, assigned, depth + 1, 0);
            }
            lua_pop(L, freezing ? 1 : 2);
            return;
        }
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            walk_state(L, -2, seen, slots, assigned, depth + 1, freezing);
            walk_state(L, -1, seen, slots, assigned, depth + 1, freezing);
            lua_pop(L, 1);
        }
        if (freezing) freeze_table(L, idx);
        return;
    }
    if (lua_iscfunction(L, idx)) return;
    lua_Debug ar;
    lua_pushvalue(L, idx);
    lua_getinfo(L, ">S", &ar);
    if (ar.source[0] != '@') return;
    upvalue_set assigns = assigned_upvalues(L, idx);
    const char *name;
    for (int i = 1; (name = lua_getupvalue(L, idx, i)) != NULL; i++) {
        unsigned bit = (unsigned)(i - 1);
        if (bit > 255 || ((assigns.bits[bit >> 6] >> (bit & 63)) & 1)) {
            lua_pushlightuserdata(L, lua_upvalueid(L, idx, i));
            lua_pushboolean(L, 1);
            lua_rawset(L, assigned);
        }
        lua_pushlightuserdata(L, lua_upvalueid(L, idx, i));
        if (lua_rawget(L, seen) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushlightuserdata(L, lua_upvalueid(L, idx, i));
            lua_pushboolean(L, 1);
            lua_rawset(L, seen);
            lua_Integer n = (lua_Integer)lua_rawlen(L, slots);
            lua_pushvalue(L, idx);
            lua_rawseti(L, slots, n + 1);
            lua_pushinteger(L, i);
            lua_rawseti(L, slots, n + 2);
            lua_pushvalue(L, -1);
            lua_rawseti(L, slots, n + 3);
            lua_pushstring(L, name);
            lua_rawseti(L, slots, n + 4);
            // A file's environment is the runtime's table (it has a metatable): freezing stops
            // there, and the slots walk goes on to the file's globals through its shadow.
            walk_state(L, -1, seen, slots, assigned, depth + 1, freezing);
        } else {
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

static int walk_roots(lua_State *L, int freezing) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L);  // 2: seen
    lua_newtable(L);  // 3: slots, every cell
    lua_newtable(L);  // 4: the cells some reachable function can assign
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        walk_state(L, -1, 2, 3, 4, 0, freezing);
        lua_pop(L, 1);
    }
    // Only those cells are kept: the others hold what the file's code put there, for good.
    lua_newtable(L);  // 5: the slots returned
    lua_Integer kept = 0, total = (lua_Integer)lua_rawlen(L, 3);
    for (lua_Integer j = 1; j + 3 <= total; j += 4) {
        lua_rawgeti(L, 3, j);
        lua_rawgeti(L, 3, j + 1);
        int i = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_pushlightuserdata(L, lua_upvalueid(L, -1, i));
        int assigned = lua_rawget(L, 4) != LUA_TNIL;
        lua_pop(L, 2);
        if (!assigned) continue;
        for (int k = 0; k < 4; k++) {
            lua_rawgeti(L, 3, j + k);
            lua_rawseti(L, 5, kept + k + 1);
        }
        kept += 4;
    }
    return 1;
}

/// host.freeze(roots): freezes every rule-file table reachable from the list `roots` and returns
/// the upvalue slots of rule-file functions (for host.restore).
static int host_freeze(lua_State *L) { return walk_roots(L, 1); }

/// host.slots(roots): once frozen, the upvalue slots of the rule-file functions reachable from the
/// list `roots` (through frozen tables and files' globals): the cells a call into those functions
/// can change, so that host.restore after the call needs to look at those alone.
static int host_slots(lua_State *L) { return walk_roots(L, 0); }

/// host.restore(slots): puts back every upvalue a rule-file function changed since host.freeze;
/// returns the name of the first one changed, or nothing.
static int host_restore(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    lua_Integer first = 0;
    for (lua_Integer j = 1; j + 3 <= n; j += 4) {
        lua_rawgeti(L, 1, j);  // f
        lua_rawgeti(L, 1, j + 1);
        int i = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getupvalue(L, -1, i);  // its value now
        lua_rawgeti(L, 1, j + 2);  // its value at freeze time
        if (!lua_rawequal(L, -1, -2)) {
            lua_setupvalue(L, -3, i);  // pops the value at freeze time
            // The name reported is the least of those changed: the order of the slots follows
            // the walk's, which follows tables' traversal order, which may differ between runs.
            if (!first) {
                first = j + 3;
            } else {
                lua_rawgeti(L, 1, j + 3);
                lua_rawgeti(L, 1, first);
                if (strcmp(lua_tostring(L, -2), lua_tostring(L, -1)) < 0) first = j + 3;
                lua_pop(L, 2);
            }
        } else {
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    if (!first) return 0;
    lua_rawgeti(L, 1, first);
    return 1;
}

/// host.contents(t): the table that holds a frozen table's contents (its shadow), else t itself;
/// for the runtime's loops that read a frozen table in any order.
static int host_contents(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getmetatable(L, 1)) {
        if (lua_getfield(L, -1, "__frozen") == LUA_TTABLE) return 1;
        lua_pop(L, 2);
    }
    return 1;
}

/// host.collect(): a full collection, after a rule was stopped for memory (or for a case that
/// found the heap not made fresh). It drops the sentinel: the next collection between cases is a
/// full one too (collect_between_cases).
static int host_collect(lua_State *L) {
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}

/// The collection between cases: afterwards the next case finds the same heap whatever ran
/// before. The key orders the ordered next remembered are dropped first (one remembered for a rule
/// file's table during a case would make the next case's first traversal of it cost less work and
/// memory).
///
/// Once the rules are loaded the state collects generationally. A full collection (entering
/// generational mode again) makes every object it keeps old. When no collection ran since the
/// last of these (a sentinel tells: a table that only a weak registry entry holds, made after
/// each, gone after any collection), a young collection frees what the case made and dropped
/// without marking the rules again (3 % of `sacral test`'s time, where the full one took 17 %).
/// It leaves what a full one leaves unless something that was already old died, or was kept old
/// by the collector's forward barrier (a new value stored in an upvalue of an old function: the
/// runtime keeps its per-case state in table fields for this reason, and a rule that tries to
/// set a file-level local does it). Then the byte count differs from what the last full
/// collection left, and the full collection runs now: a case starts after a young collection
/// only with the bytes, and so the objects, a full one leaves. This runs on the state itself,
/// once the host call has returned: the call's own thread, alive during a collection inside it,
/// would be kept old by a full one and die after it. The runtime drops its per-case list of
/// window depths before this and makes a new one after. A case that allocated past the young
/// generation's bound (255 % of the heap) or had a rule stopped for memory (host.collect) ran a
/// collection: the next one is full. RuleIsolationTests hold the heap between cases to a fresh
/// engine's, and count the young ones.
static void collect_between_cases(lua_State *L) {
    // false, not nil: the key stays, so the case that makes a new cache does not grow the
    // registry's hash part (which would stay grown).
    lua_pushboolean(L, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, "sacral.order");
    clua_limits *lim = clua_get_limits(L);
    // The sentinel's holder, made before the first collection: it is part of every heap after.
    int young = 0;
    if (lua_getfield(L, LUA_REGISTRYINDEX, "sacral.sentinel") == LUA_TTABLE) {
        young = lua_rawgeti(L, -1, 1) == LUA_TTABLE;  // no collection ran since the last of these
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
        lua_createtable(L, 1, 0);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "v");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "sacral.sentinel");
    }
    if (young) {
        lua_gc(L, LUA_GCSTEP, 0);  // generational: a young collection (the debt is zero, never a major one)
        // Any other byte count than the last full collection left means something outlived its
        // case (an object kept old, a rule's attempt at an upvalue): the full collection, now.
        young = lim->mem_used == lim->heap_between_cases;
    }
    if (young) {
        lim->young_collections++;
    } else {
        lua_gc(L, LUA_GCINC, 0, 0, 0);
        lua_gc(L, LUA_GCGEN, 255, 0);  // entering generational mode: a full collection
        // Entering generational mode leaves the collector's debt (when the next collection comes)
        // as the heap's history left it; a young collection sets it from the heap's size alone,
        // as on the other path. Without it, a case after a full collection met its first
        // collection at another moment than after a young one, with the same heap (rule fuzzer,
        // seed 7777: a rule growing its stack ran into a limit at another instruction).
        lua_gc(L, LUA_GCSTEP, 0);
        lim->heap_between_cases = lim->mem_used;
        lim->full_collections++;
    }
    lua_createtable(L, 0, 0);  // the sentinel: young, held by the weak holder alone
    lua_rawseti(L, -2, 1);
    lua_pop(L, 1);
}

/// host.fresh_heap(): the collection between cases, once this host call has returned (see
/// collect_between_cases).
static int host_fresh_heap(lua_State *L) {
    clua_get_limits(L)->collect_after_call = 1;
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
    // Every start position may compare up to the whole pattern, quantifiers or not: a literal
    // pattern (or a plain find) of m bytes over n bytes costs up to n * m steps.
    charge(L, ((double)lua_rawlen(L, 1) + 1) * ((double)lua_rawlen(L, 2) + 1));
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
        // The bounds as table.unpack reads them: integers, integral floats or numeric strings
        // ("1e6" is a million values).
        int ok_i = 0, ok_j = 0;
        lua_Integer i = lua_isnoneornil(L, 2) ? 1 : lua_tointegerx(L, 2, &ok_i);
        lua_Integer j = lua_isnoneornil(L, 3) ? (lua_Integer)luaL_len(L, 1) : lua_tointegerx(L, 3, &ok_j);
        if (lua_isnoneornil(L, 2)) ok_i = 1;
        if (lua_isnoneornil(L, 3)) ok_j = 1;
        if (!ok_i || !ok_j) return 0;  // table.unpack itself refuses the argument
        // Each value is read (perhaps through __index) and pushed: far more than a byte's work.
        return j >= i ? ((double)j - (double)i + 1) * 16 : 0;
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

// MARK: - Determinism (issue 8)
//
// Lua seeds its string hash per state (luai_makeseed: time and addresses; Debian keeps the
// default), so the order `next` visits string keys changes from run to run, and `tostring` of a
// table or function prints its address. A rule that branched on either could decide differently
// each run. In the sandbox `next` (and so `pairs`) visits keys in a defined order: numbers
// ascending, then strings bytewise, then false, true. `tostring` and `string.format("%s")` name
// the type of a table or function without its address, and "%p" is refused.

typedef struct key_desc {
    int kind;            // 0 number, 1 string, 2 boolean, 3 anything else
    int isint;
    lua_Integer ival;
    lua_Number num;
    const char *str;
    size_t len;
    int boolean;
    lua_Integer raw;     // position in the raw traversal (tie-break for kind 3 only)
} key_desc;

static int compare_keys(const void *pa, const void *pb) {
    const key_desc *a = pa, *b = pb;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case 0:
        if (a->isint && b->isint) return a->ival < b->ival ? -1 : a->ival > b->ival;
        if (a->num != b->num) return a->num < b->num ? -1 : 1;
        if (a->isint != b->isint) return a->isint ? -1 : 1;  // 2^63-1 before the float 2^63
        return 0;
    case 1: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->str, b->str, n);
        if (c != 0) return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case 2: return a->boolean - b->boolean;
    default: return a->raw < b->raw ? -1 : a->raw > b->raw;
    }
}

// Whether the function `level` frames up is the trusted runtime (or C).
static int caller_is_trusted(lua_State *L, int level) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return 1;
    if (!lua_getinfo(L, "S", &ar)) return 1;
    if (ar.what[0] == 'C') return 1;
    return in_trusted_code(L, &ar);
}

// Pushes the order cache of the registry: weak-keyed, table -> { [1..n] = keys, [key] = position }.
// Keys and positions share one table: a position is stored under the key itself in a second
// table at index 0 of the first, so that an integer key never collides with a position slot.
static void push_order_cache(lua_State *L) { push_weak_registry_table(L, "sacral.order"); }

// Builds the ordered snapshot of t's keys, leaves it on the stack and caches it:
// snapshot = { [1..n] = keys in order, [0] = { [key] = position } }.
static void build_order(lua_State *L, int t) {
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) { lua_pop(L, 1); n++; }
    charge(L, (double)n * (log2((double)n + 1) + 1) + 1);
    lua_createtable(L, (int)(n > 0x7fffffff ? 0x7fffffff : n), 1);  // snapshot
    int snap = lua_gettop(L);
    if (n == 0) {
        lua_newtable(L);
        lua_rawseti(L, snap, 0);
    } else {
        key_desc *d = lua_newuserdatauv(L, (size_t)n * sizeof(key_desc), 0);
        int ud = lua_gettop(L);
        lua_createtable(L, (int)n, 0);  // raw: keys in traversal order, anchoring them
        int raw = lua_gettop(L);
        lua_Integer i = 0;
        int unordered = 0;
        lua_pushnil(L);
        while (lua_next(L, t) && i < n) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, raw, i + 1);
            key_desc *k = &d[i];
            memset(k, 0, sizeof *k);
            k->raw = i;
            switch (lua_type(L, -1)) {
            case LUA_TNUMBER:
                k->kind = 0;
                k->isint = lua_isinteger(L, -1);
                if (k->isint) k->ival = lua_tointeger(L, -1);
                k->num = lua_tonumber(L, -1);
                break;
            case LUA_TSTRING: k->kind = 1; k->str = lua_tolstring(L, -1, &k->len); break;
            case LUA_TBOOLEAN: k->kind = 2; k->boolean = lua_toboolean(L, -1); break;
            default: k->kind = 3; unordered = 1; break;
            }
            i++;
        }
        if (unordered && !caller_is_trusted(L, 1))
            luaL_error(L, "pairs/next: a table with a key that is a table, function or other object has no "
                          "defined order (keys must be numbers, strings or booleans)");
        qsort(d, (size_t)n, sizeof(key_desc), compare_keys);
        lua_newtable(L);  // positions
        int pos = lua_gettop(L);
        for (lua_Integer j = 0; j < n; j++) {
            lua_rawgeti(L, raw, d[j].raw + 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, snap, j + 1);
            lua_pushinteger(L, j + 1);
            lua_rawset(L, pos);
        }
        lua_rawseti(L, snap, 0);  // pops positions
        lua_settop(L, snap);      // drops ud and raw
        (void)ud;
    }
    push_order_cache(L);
    lua_pushvalue(L, t);
    lua_pushvalue(L, snap);
    lua_rawset(L, -3);
    lua_pop(L, 1);  // the cache; the snapshot stays on top
}

/// next(t, k) in the defined order. A traversal (next(t, nil)) takes a snapshot of the keys;
/// each later step is a lookup. Keys cleared during the traversal are skipped, as Lua allows.
static int ordered_next(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    // A frozen rule-file table (host.freeze) keeps its contents in its shadow.
    if (lua_getmetatable(L, 1)) {
        if (lua_getfield(L, -1, "__frozen") == LUA_TTABLE) {
            lua_replace(L, 1);
            lua_pop(L, 1);
        } else {
            lua_pop(L, 2);
        }
    }
    lua_Integer at = 0;
    if (lua_isnil(L, 2)) {
        lua_pushnil(L);
        if (!lua_next(L, 1)) { lua_pushnil(L); return 1; }  // empty
        lua_settop(L, 2);
        build_order(L, 1);  // 3: snapshot
    } else {
        push_order_cache(L);
        lua_pushvalue(L, 1);
        lua_rawget(L, -2);
        lua_remove(L, -2);  // 3: snapshot or nil
        int found = 0;
        for (int attempt = 0; attempt < 2 && !found; attempt++) {
            if (lua_istable(L, 3)) {
                lua_rawgeti(L, 3, 0);
                lua_pushvalue(L, 2);
                lua_rawget(L, -2);
                if (lua_isinteger(L, -1)) { at = lua_tointeger(L, -1); found = 1; }
                lua_pop(L, 2);
            }
            if (!found && attempt == 0) {
                lua_settop(L, 2);
                build_order(L, 1);
            }
        }
        if (!found) return luaL_error(L, "invalid key to 'next'");
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    for (lua_Integer j = at + 1; j <= n; j++) {
        lua_rawgeti(L, 3, j);     // key
        lua_pushvalue(L, -1);
        if (lua_rawget(L, 1) != LUA_TNIL) return 2;  // key, value
        lua_pop(L, 2);
    }
    lua_pushnil(L);
    return 1;
}

/// pairs(t): the __pairs metamethod when there is one, else the ordered next.
static int ordered_pairs(lua_State *L) {
    luaL_checkany(L, 1);
    if (luaL_getmetafield(L, 1, "__pairs") == LUA_TNIL) {
        lua_pushvalue(L, lua_upvalueindex(1));  // ordered_next
        lua_pushvalue(L, 1);
        lua_pushnil(L);
    } else {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
    }
    return 3;
}

// Whether the value at idx would print an address through luaL_tolstring.
static int prints_address(lua_State *L, int idx) {
    switch (lua_type(L, idx)) {
    case LUA_TNIL: case LUA_TBOOLEAN: case LUA_TNUMBER: case LUA_TSTRING: return 0;
    default:
        if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) { lua_pop(L, 1); return 0; }
        return 1;
    }
}

/// tostring(v): as Lua's, but a table, function or other object without __tostring is named by
/// its type alone ("table", "function").
static int sandbox_tostring(lua_State *L) {
    luaL_checkany(L, 1);
    if (prints_address(L, 1)) lua_pushstring(L, luaL_typename(L, 1));
    else luaL_tolstring(L, 1, NULL);
    return 1;
}

/// string.format without addresses: "%p" is refused, "%s" of an object prints its type name.
static int sandbox_format(lua_State *L) {
    size_t len = 0;
    const char *f = luaL_checklstring(L, 1, &len);
    int arg = 1;
    for (size_t i = 0; i < len; i++) {
        if (f[i] != '%') continue;
        i++;
        if (i < len && f[i] == '%') continue;
        while (i < len && strchr("-+ #0123456789.", f[i])) i++;
        if (i >= len) break;
        arg++;
        if (f[i] == 'p') return luaL_error(L, "string.format: '%%p' is not available (an address differs from run to run)");
        if (f[i] == 's' && arg <= lua_gettop(L) && prints_address(L, arg)) {
            lua_pushstring(L, luaL_typename(L, arg));
            lua_replace(L, arg);
        }
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 1);
    return 1;
}

// MARK: - Callbacks from C into Lua (issue 8)

// The count hook never raises inside the trusted runtime, so a runtime function handed to
// table.sort as its comparator would keep the sort running after the budget ran out. The
// comparator is called through this C closure, which stops the sort once the window or the case
// is out of budget.
static int checked_comparator(lua_State *L) {
    clua_limits *lim = clua_get_limits(L);
    if ((lim->tripped || lim->case_exceeded || lim->alloc_refused) && !called_from_runtime(L)) {
        lim->armed = 0;
        make_sticky(L, lim);
        luaL_where(L, 1);
        if (lim->case_exceeded) lua_pushliteral(L, CASE_MESSAGE);
        else if (lim->tripped) lua_pushliteral(L, "instruction limit exceeded");
        else lua_pushliteral(L, "not enough memory");
        lua_concat(L, 2);
        return lua_error(L);
    }
    charge(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

static int checked_sort(lua_State *L) {
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
        lua_pushvalue(L, 2);
        lua_pushcclosure(L, checked_comparator, 1);
        lua_replace(L, 2);
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 0);
    return 0;
}

// Wraps every function of the table at libtab with a charge (for math: a numeric string
// argument is converted by strtod, whose cost grows with its length).
static void charge_all_functions(lua_State *L, int libtab, int kind) {
    libtab = lua_absindex(L, libtab);
    lua_newtable(L);  // names first: the table must not change while it is traversed
    int names = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, libtab)) {
        if (lua_type(L, -1) == LUA_TFUNCTION && lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, names, ++n);
        }
        lua_pop(L, 1);
    }
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, names, i);
        charge_function(L, libtab, lua_tostring(L, -1), kind);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

// The hardening part of the sandbox: runs inside open_sandbox, after the libraries are trimmed.
// `g` is the index of _G.
static void harden_sandbox(lua_State *L, int g) {
    lua_pushcfunction(L, ordered_next);
    lua_pushvalue(L, -1);
    lua_setfield(L, g, "next");
    lua_pushcclosure(L, ordered_pairs, 1);
    lua_setfield(L, g, "pairs");
    lua_pushcfunction(L, sandbox_tostring);
    lua_setfield(L, g, "tostring");
    charge_function(L, g, "tonumber", COST_STRING_ARG1);

    lua_getfield(L, g, "string");
    int str = lua_gettop(L);
    charge_function(L, str, "pack", COST_ALL_STRINGS);
    charge_function(L, str, "unpack", COST_ALL_STRINGS);
    lua_getfield(L, str, "format");
    lua_pushcclosure(L, sandbox_format, 1);
    lua_setfield(L, str, "format");
    lua_pop(L, 1);

    // "1e300000…" + 0: arithmetic on strings converts them through the string metatable.
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        const char *arith[] = {"__add", "__sub", "__mul", "__div", "__mod", "__pow", "__unm", "__idiv", NULL};
        for (int i = 0; arith[i]; i++) charge_function(L, lua_gettop(L), arith[i], COST_ALL_STRINGS);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    lua_getfield(L, g, "math");
    charge_all_functions(L, -1, COST_ALL_STRINGS);
    lua_pop(L, 1);

    lua_getfield(L, g, "table");
    lua_getfield(L, -1, "sort");  // already charged by size
    lua_pushcclosure(L, checked_sort, 1);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 1);
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
    // The library's own next, in the table's traversal order (harden_sandbox below gives rules
    // the ordered one): for the runtime's loops over its own plain tables whose result does not
    // depend on order (copies, merges, checks that only ask whether anything is wrong).
    lua_getfield(L, 2, "next");                 lua_setfield(L, 1, "raw_next");
    lua_pushcfunction(L, host_setenv);          lua_setfield(L, 1, "setenv");
    lua_pushcfunction(L, host_where);           lua_setfield(L, 1, "where");
    lua_pushcfunction(L, host_arm);             lua_setfield(L, 1, "arm");
    lua_pushcfunction(L, host_disarm);          lua_setfield(L, 1, "disarm");
    lua_pushcfunction(L, host_collect);         lua_setfield(L, 1, "collect");
    lua_pushcfunction(L, host_fresh_heap);      lua_setfield(L, 1, "fresh_heap");
    lua_pushcfunction(L, host_memory_tripped);  lua_setfield(L, 1, "memory_tripped");
    lua_pushcfunction(L, host_work_tripped);    lua_setfield(L, 1, "work_tripped");
    lua_pushcfunction(L, host_active_lines);    lua_setfield(L, 1, "active_lines");
    lua_pushcfunction(L, host_case_tripped);    lua_setfield(L, 1, "case_tripped");
    lua_pushcfunction(L, host_defined_at);      lua_setfield(L, 1, "defined_at");
    lua_pushcfunction(L, host_depth);           lua_setfield(L, 1, "depth");
    lua_pushcfunction(L, host_usage);           lua_setfield(L, 1, "usage");
    lua_pushcfunction(L, host_freeze);          lua_setfield(L, 1, "freeze");
    lua_pushcfunction(L, host_restore);         lua_setfield(L, 1, "restore");
    lua_pushcfunction(L, host_slots);           lua_setfield(L, 1, "slots");
    lua_pushcfunction(L, host_contents);        lua_setfield(L, 1, "contents");

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

    harden_sandbox(L, 2);

    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "sacral.host");

    // lauxlib registers the metatable of its growable buffer ("_UBOX*", with its "__name") the
    // first time a buffer outgrows the C stack (string.rep, table.concat or string.format making
    // over LUAL_BUFFERSIZE bytes), and keeps it for the state's life. Made later, by whichever case
    // first builds such a string, it would be in the heap of every case after that one and not
    // before it: a state rebuilt after a limit would then collect at other moments than the one
    // that ran a case before, and a rule that runs into a limit would stop at another instruction
    // (rule fuzzer, seed 7777). Made now, it is part of every state's heap from the start.
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_prepbuffsize(&b, LUAL_BUFFERSIZE + 1);
    luaL_pushresult(&b);
    lua_pop(L, 1);
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
    // Compiling is held to the memory cap too: a rule file whose compilation needs more memory than
    // the state may hold fails with LUA_ERRMEM (the host names the file), never grows past it.
    clua_limits *lim = clua_get_limits(L);
    int was = lim->enforce;
    lim->enforce = 1;
    int rc = luaL_loadbufferx(L, buf, len, chunkname, "t");
    lim->enforce = was;
    return rc;
}

int clua_load_precompiled(lua_State *L, const unsigned char *buf, size_t len, const char *chunkname) {
    // Binary chunks are for the host alone: this is reached only from LuaState.loadPrecompiled, which
    // the engine calls for bytecode compiled into the binary from the very text and chunk name it
    // would otherwise compile; the sandbox gives rules no way to load any chunk (no load, no
    // loadstring, no string.dump).
    clua_limits *lim = clua_get_limits(L);
    int was = lim->enforce;
    lim->enforce = 1;
    int rc = luaL_loadbufferx(L, (const char *)buf, len, chunkname, "b");
    lim->enforce = was;
    return rc;
}

// MARK: - Protected calls

static int message_handler(lua_State *L) {
    if (lua_type(L, 1) == LUA_TSTRING) return 1;
    const char *tn = luaL_typename(L, 1);
    lua_pushfstring(L, "(error object is a %s value)", tn);
    return 1;
}

// Each host call runs on a thread of its own (inheriting the main thread's line hook), dropped
// when it returns: its Lua stack and call frames start at their smallest every time. A runaway
// recursion grows a thread's call frames, and a full collection frees only half of the unused
// ones; on the main thread they would stay to change how much the next case's calls allocate.
static int prepare_frames(lua_State *L) {
    lua_Integer n = lua_tointeger(L, 1);
    if (n > 1) {
        lua_pushcfunction(L, prepare_frames);
        lua_pushinteger(L, n - 1);
        lua_call(L, 1, 0);
    }
    return 0;
}

int clua_pcall(lua_State *L, int nargs, int nresults) {
    clua_limits *lim = clua_get_limits(L);
    lua_State *T = lua_newthread(L);
    lua_insert(L, -(nargs + 2));     // the thread below the function and its arguments
    // A few call frames made before the limits apply, the same for every call: a call that
    // allocates nothing of its own runs even when the host's arguments fill the memory cap.
    lua_pushcfunction(T, prepare_frames);
    lua_pushinteger(T, 16);
    lua_call(T, 1, 0);
    lua_pushcfunction(T, message_handler);
    lua_xmove(L, T, nargs + 1);      // function and arguments onto the thread
    lua_State *was_main = lim->main;
    lim->main = T;                   // where an allocation failure makes the hook sticky
    lim->enforce = 1;
    lim->case_left = lim->case_budget;
    lim->case_deadline = 0;
    if (lim->case_seconds > 0) {
        lim->case_cpu_start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
        lim->case_deadline = clock_seconds(CLOCK_MONOTONIC) + lim->case_seconds;
    }
    lim->case_exceeded = 0;
    int rc = lua_pcall(T, nargs, nresults, 1);
    lim->enforce = 0;
    disarm_hook(T, lim);
    lim->main = was_main;
    int n = lua_gettop(T) - 1;       // the results, or the error object
    lua_xmove(T, L, n);
    lua_remove(L, -(n + 1));         // the thread
    if (lim->collect_after_call) {
        lim->collect_after_call = 0;
        collect_between_cases(L);
    }
    return rc;
}

void clua_set_case_budget(lua_State *L, long instructions, double seconds) {
    clua_limits *lim = clua_get_limits(L);
    lim->case_budget = instructions > 0 ? instructions : 0;
    lim->case_seconds = seconds > 0 ? seconds : 0;
}

int clua_case_exceeded(lua_State *L) { return clua_get_limits(L)->case_exceeded; }

// MARK: - Macro wrappers

void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
void clua_newtable(lua_State *L) { lua_newtable(L); }
const char *clua_tolstring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
int clua_isinteger(lua_State *L, int idx) { return lua_isinteger(L, idx); }
int clua_registryindex(void) { return LUA_REGISTRYINDEX; }
int clua_ref(lua_State *L) { return luaL_ref(L, LUA_REGISTRYINDEX); }
void clua_unref(lua_State *L, int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }
void clua_getref(lua_State *L, int ref) { lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }
