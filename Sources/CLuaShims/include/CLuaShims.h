// The C boundary between Swift and Lua.
//
// A Lua error is a longjmp. No longjmp may cross a Swift frame (it would skip Swift's cleanups), so
// everything that can raise — the sandbox set-up, the allocator's cap, the instruction hook, the
// pattern-function guards and every function offered to Lua — lives in this file's C, and Swift
// only ever enters Lua through `clua_pcall`.
#ifndef CLUA_SHIMS_H
#define CLUA_SHIMS_H

#include <stddef.h>
#include <lua.h>

/// Per-state resource accounting; one lives behind each state created by `clua_newstate`.
typedef struct clua_limits {
    size_t mem_used;        ///< bytes currently allocated by the state
    size_t mem_limit;       ///< cap enforced inside `clua_pcall` (0 = none)
    size_t mem_peak;        ///< high-water mark since the state was created
    int enforce;            ///< 1 while inside `clua_pcall`: the cap only applies there
    int mem_exceeded;       ///< set once an allocation was refused; the state should be rebuilt
    long budget;            ///< instructions allowed between two `host.arm()` calls
    int tripped;            ///< the current budget window ran out
    int instr_exceeded;     ///< some window ran out since the state was created; rebuild it
    int line_coverage;      ///< record every line of a rule file ("@" chunk) that runs
    int armed;              ///< a budget window is open (between host.arm and host.disarm)
    double work;            ///< work charged in the open window: bytes allocated, elements or
                            ///< bytes handled by library functions the count hook cannot see
    int work_exceeded;      ///< the open window ran out of work budget
    // Hardening (issue 8): memory stops that stay stopped, a budget per call from the host,
    // counting in slices so the budgets can be checked as the rule runs.
    lua_State *main;        ///< the state itself, for the allocator (which gets no lua_State)
    int alloc_refused;      ///< an allocation was refused in the open window: stop the rule
                            ///< at its next instruction, however often it catches the error
    long window_left;       ///< instructions left in the open window
    int hook_count;         ///< the count the hook was last set with (one slice)
    long case_budget;       ///< instructions one host call (one case) may run in all its windows (0 = none)
    double case_seconds;    ///< CPU seconds one host call may run rule code (0 = none)
    long case_left;         ///< instructions left in the current host call
    double case_deadline;   ///< CLOCK_MONOTONIC seconds before which the current host call cannot
                            ///< have run out (0 = none); moved on by the time the thread waited
    double case_cpu_start;  ///< the thread's CPU seconds when the current host call began
    int case_exceeded;      ///< the current host call ran out; every later window stops at once
    void *pool;             ///< the state's free lists of small blocks (shims.c)
    int collect_after_call; ///< host.fresh_heap asked for the collection between cases: `clua_pcall`
                            ///< runs it once the call's thread is gone
    size_t heap_between_cases; ///< bytes the last full collection between cases left (0: none yet)
    long full_collections;  ///< collections between cases that had to be full ones
    long young_collections; ///< collections between cases that could be young ones
} clua_limits;

/// Instructions between two checks of the budgets and the clock. Every VM instruction touches at
/// most CLUA_MAX_STRING bytes, so a slice runs for a bounded time whatever the rule does.
#define CLUA_HOOK_SLICE 256

/// The longest string a rule may create (bytes). Equality, ordering and numeric conversion of
/// strings are single VM instructions that the count hook cannot charge by size; with this cap
/// one of them touches at most this much. Strings the host pushes (case data) are bounded by the
/// case reader instead.
#define CLUA_MAX_STRING (1 << 20)

/// Work units one instruction of budget buys: a window of N instructions may also allocate, or
/// make library functions touch, up to N * CLUA_WORK_PER_INSTRUCTION bytes or elements. Without it
/// a short loop of calls that each copy or shift a large string or table runs for minutes inside
/// a small instruction budget.
#define CLUA_WORK_PER_INSTRUCTION 64

/// The chunk-name prefix of the trusted runtime's modules ("=sacral-runtime/runtime", ...). The
/// count hook never raises inside functions of these chunks, so the runtime can regain control
/// after a rule ran out of budget. Rule files are compiled as "@path" and cannot load chunks.
#define CLUA_TRUSTED_CHUNK_PREFIX "=sacral-runtime/"

/// Sets the budget of each host call (`clua_pcall`): instructions over all budget windows, and
/// CPU seconds of the calling thread. Zero means no such budget. When the budget runs out the rule
/// running stops with "case budget exceeded" and every later window stops at its first instruction
/// until the host call returns; the trusted runtime can ask `host.case_tripped()`.
void clua_set_case_budget(lua_State *L, long instructions, double seconds);

/// Whether the current (or last) host call ran out of its case budget.
int clua_case_exceeded(lua_State *L);

/// A new state with the capped allocator. Returns NULL when no memory at all could be had.
lua_State *clua_newstate(size_t mem_limit, long budget);
void clua_close(lua_State *L);
clua_limits *clua_get_limits(lua_State *L);

/// Opens base, table, string, math and utf8 only, strips what a rule must never reach, guards the
/// pattern functions, and leaves the `host` table (for the trusted runtime only) in the registry
/// under "sacral.host". Returns a LUA_* status; on error a message is on the stack.
int clua_open_sandbox(lua_State *L);

/// Turns on line coverage: from now on every executed line of a chunk whose name starts with "@"
/// is recorded in the registry (see `clua_push_covered_lines`).
void clua_enable_line_coverage(lua_State *L);

/// Pushes the table of covered lines: chunk name -> { [line] = true }.
void clua_push_covered_lines(lua_State *L);

/// Pushes the host table saved by `clua_open_sandbox`.
void clua_push_host(lua_State *L);

/// Compiles a text chunk (never binary) and pushes the function, or an error message.
int clua_load_text(lua_State *L, const char *buf, size_t len, const char *chunkname);

/// Loads a binary chunk (never text) and pushes the function, or an error message. For the host's
/// own precompiled runtime and shipped rules only; never reachable from rule code.
int clua_load_precompiled(lua_State *L, const unsigned char *buf, size_t len, const char *chunkname);

/// lua_pcall with the memory cap enforced for its duration and a message handler that turns any
/// error value into a string. Returns a LUA_* status.
int clua_pcall(lua_State *L, int nargs, int nresults);

/* Macro wrappers: function-like macros do not import into Swift. */
void clua_pop(lua_State *L, int n);
void clua_newtable(lua_State *L);
const char *clua_tolstring(lua_State *L, int idx, size_t *len);
int clua_isinteger(lua_State *L, int idx);
int clua_registryindex(void);
int clua_ref(lua_State *L);
void clua_unref(lua_State *L, int ref);
void clua_getref(lua_State *L, int ref);

#endif
