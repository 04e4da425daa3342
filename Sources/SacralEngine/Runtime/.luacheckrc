-- luacheck configuration for the engine's trusted Lua runtime (scripts/test.sh runs it in CI).
std = "lua54"
max_line_length = 140
