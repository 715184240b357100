/*
 * options.c — command-line pieces shared by `tilec` and `tilec run`.
 */
#include "options.h"

#include <string.h>

const char *tc_opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] == 0 && *i + 1 < argc) return argv[++*i];
    return NULL;
}

bool tc_opt_define(int argc, char **argv, int *i, TcArena *a, TcDiagEngine *de, TcConstOverride *out)
{
    const char *arg = argv[*i];
    const char *def = arg[2] ? arg + 2 : (*i + 1 < argc ? argv[++*i] : "");
    const char *eq = strchr(def, '=');
    if (!eq || eq == def) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "-D needs NAME=VALUE, found '%s'", def);
        return false;
    }
    out->name = tc_arena_strndup(a, def, (size_t)(eq - def));
    out->value = eq + 1;
    return true;
}
