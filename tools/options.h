/*
 * options.h — command-line pieces shared by `tilec` and `tilec run`.
 */
#ifndef TILEC_OPTIONS_H
#define TILEC_OPTIONS_H

#include "frontend.h"

/* The value of "--name=value" or "--name value" at argv[*i] (advancing *i
 * past a separate value); NULL if argv[*i] is not that option. */
const char *tc_opt_value(int argc, char **argv, int *i, const char *name);

/* Parses "-DNAME=VALUE" or "-D NAME=VALUE" at argv[*i] into *out. Reports
 * TC_E_OPTION and returns false when it is malformed. */
bool tc_opt_define(int argc, char **argv, int *i, TcArena *a, TcDiagEngine *de, TcConstOverride *out);

#endif
