/*
 * fuzz_lexer_parser.c — libFuzzer target for the scanner and the parser: the
 * input, as a .tile file, is dumped as tokens (--emit=tokens), parsed into a
 * syntax tree and printed (--emit=ast).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzCtx c;
    if (!fuzz_begin(&c, data, size, "fuzz.tile")) return 0;
    TcStrBuf out;
    tc_sb_init(&out);
    tc_dump_tokens(&c.arena, &c.de, c.file, &out);
    tc_sb_clear(&out);
    TcStrTab strs;
    tc_strtab_init(&strs, &c.arena);
    TcAstNode *file = tc_parse_file(&c.arena, &strs, &c.de, c.file);
    if (!file) fuzz_fail(&c, "tc_parse_file returned NULL", NULL);
    tc_ast_print(file, &out);
    tc_sb_free(&out);
    tc_strtab_free(&strs);
    fuzz_end(&c);
    return 0;
}
