/*
 * lua_run: a small stand-alone front end of ours to Lua 5.4's library (the crates.io crate
 * lua-src carries the library's sources but not Lua's own lua.c). Usage:
 *
 *     lua_run SCRIPT [ARGS...]
 *
 * Opens the standard libraries, sets the global table `arg` as lua.c does (arg[0] is the
 * script, arg[1..] its arguments), runs SCRIPT with ARGS as its `...`, and exits 0 when it
 * returns, 1 with the error and a traceback on stderr when it raises one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

/* Message handler: the error (converted to a string when it can be) and a traceback. */
static int with_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Runs in protected mode: everything that may raise an error (memory included). */
static int run(lua_State *L) {
    int argc = (int)lua_tointeger(L, 1);
    char **argv = (char **)lua_touserdata(L, 2);
    luaL_openlibs(L);
    lua_createtable(L, argc - 1, 1);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    if (luaL_loadfile(L, argv[1]) != LUA_OK)
        return lua_error(L);
    for (int i = 2; i < argc; i++)
        lua_pushstring(L, argv[i]);
    lua_call(L, argc - 2, 0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "lua_run: cannot create a Lua state: out of memory\n");
        return 1;
    }
    lua_pushcfunction(L, with_traceback);
    lua_pushcfunction(L, run);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 0, 1);
    if (status != LUA_OK) {
        fprintf(stderr, "lua_run: %s\n", lua_tostring(L, -1));
        lua_close(L);
        return 1;
    }
    lua_close(L);
    return fflush(stdout) == 0 ? 0 : 1;
}
