-- luacheck configuration for rule files: the helper library's globals (Rules/README.md).
std = "lua54"
read_globals = { "ruleset", "field", "score", "rule", "define", "use", "any_of", "all_of", "known" }
-- Rule callbacks receive the context whether they read it or not.
unused_args = false
max_line_length = 140
