/*
 * fuzz_frontend.c — libFuzzer target for the whole front end: the input, as
 * a .tile file, is parsed, checked and lowered to Tile IR, which must then
 * verify (the check tilec makes after lowering).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzCtx c;
    if (!fuzz_begin(&c, data, size, "fuzz.tile")) return 0;
    TcIrModule *m = tc_ir_module_new(&c.arena);
    TcAstNode *file = tc_parse_file(&c.arena, &m->strs, &c.de, c.file);
    if (c.de.nerrors == 0 && !c.arena.exhausted) {
        TcSemaOptions so = {0};
        bool ok = tc_sema_lower(file, m, &c.de, &so);
        if (ok && c.de.nerrors) fuzz_fail(&c, "sema succeeded after reporting errors", NULL);
        if (!ok && c.de.nerrors == 0 && !c.de.too_many)
            fuzz_fail(&c, "sema failed without reporting an error", NULL);
        if (ok && !c.arena.exhausted) fuzz_check_lowered(&c, m);
    }
    tc_ir_module_free(m);
    fuzz_end(&c);
    return 0;
}
