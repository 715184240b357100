/*
 * run.h — the `tilec run` subcommand (tools/run.c).
 */
#ifndef TILEC_RUN_H
#define TILEC_RUN_H

/* argv[1] is "run". Returns the process exit status. */
int tc_run_main(int argc, char **argv);

#endif
