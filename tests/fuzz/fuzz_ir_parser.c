/*
 * fuzz_ir_parser.c — libFuzzer target for the Tile IR text parser: the
 * input, as a .tir file, is parsed and verified (tilec -x tile-ir); what
 * verifies must survive the print/parse round trip unchanged and then the
 * default pass pipeline with --verify-each.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzCtx c;
    if (!fuzz_begin(&c, data, size, "fuzz.tir")) return 0;
    TcIrModule *m = tc_ir_module_new(&c.arena);
    bool ok = tc_ir_parse(m, &c.de, c.file);
    if (!ok && c.de.nerrors == 0 && !c.de.too_many)
        fuzz_fail(&c, "the IR parser failed without reporting an error", NULL);
    if (ok && !c.arena.exhausted && tc_ir_verify_module(m, &c.de, NULL) && !c.arena.exhausted) {
        fuzz_check_round_trip(&c, m);
        if (fuzz_run_pipeline(&c, m) && !c.arena.exhausted) fuzz_check_round_trip(&c, m);
    }
    tc_ir_module_free(m);
    fuzz_end(&c);
    return 0;
}
