/*
 * fuzz_common.c — the per-input setup, checks and failure path shared by the
 * fuzz targets (see fuzz_common.h).
 */
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

bool fuzz_begin(FuzzCtx *c, const uint8_t *data, size_t size, const char *name)
{
    if (size > FUZZ_MAX_SOURCE_BYTES) return false;
    tc_arena_init(&c->arena);
    c->arena.limit = FUZZ_ARENA_LIMIT;
    tc_diag_init(&c->de, &c->arena);
    char *text = tc_arena_alloc(&c->arena, size + 1);
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    c->file = tc_diag_add_file(&c->de, (TcSource){name, text, size});
    return true;
}

void fuzz_end(FuzzCtx *c)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&c->de, TC_DIAG_TEXT, &sb);
    c->de.rendered = 0;
    tc_diag_render(&c->de, TC_DIAG_JSON, &sb);
    tc_sb_free(&sb);
    tc_arena_free(&c->arena);
}

void fuzz_fail(FuzzCtx *c, const char *what, const char *text)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    c->de.rendered = 0;
    tc_diag_render(&c->de, TC_DIAG_TEXT, &sb);
    printf("fuzz check failed: %s\n%s", what, sb.data ? sb.data : "");
    if (text) printf("---- text ----\n%s\n---- end ----\n", text);
    fflush(stdout);
    abort();
}

void fuzz_check_lowered(FuzzCtx *c, TcIrModule *m)
{
    if (!tc_ir_verify_module(m, &c->de, "after lowering"))
        fuzz_fail(c, "the Tile IR produced by the front end does not verify", NULL);
}

bool fuzz_run_pipeline(FuzzCtx *c, TcIrModule *m)
{
    TcPipeline pipe;
    if (!tc_pipeline_parse(TC_DEFAULT_PIPELINE, &c->arena, &c->de, &pipe))
        fuzz_fail(c, "the default pipeline does not parse", NULL);
    TcPassOptions po = {.verify_each = true};
    uint32_t before = c->de.nerrors;
    bool ok = tc_pipeline_run(&pipe, m, &c->de, &po, NULL, NULL);
    if (!ok && c->de.nerrors == before && !c->de.too_many)
        fuzz_fail(c, "the pipeline failed without reporting an error", NULL);
    return ok;
}

void fuzz_check_round_trip(FuzzCtx *c, const TcIrModule *m)
{
    TcStrBuf p1, p2;
    tc_sb_init(&p1);
    tc_sb_init(&p2);
    tc_ir_print_module(m, &p1);
    const char *t1 = p1.data ? p1.data : "";
    uint32_t fid = tc_diag_add_file(&c->de, (TcSource){"printed.tir", tc_arena_strdup(&c->arena, t1), p1.len});
    TcIrModule *m2 = tc_ir_module_new(&c->arena);
    if (!tc_ir_parse(m2, &c->de, fid)) fuzz_fail(c, "printed Tile IR does not parse", t1);
    if (!tc_ir_verify_module(m2, &c->de, "after re-parsing")) fuzz_fail(c, "re-parsed Tile IR does not verify", t1);
    tc_ir_print_module(m2, &p2);
    const char *t2 = p2.data ? p2.data : "";
    if (p1.len != p2.len || memcmp(t1, t2, p1.len) != 0) {
        printf("---- first print ----\n%s\n", t1);
        fuzz_fail(c, "printing the re-parsed Tile IR gives other text", t2);
    }
    tc_ir_module_free(m2);
    tc_sb_free(&p1);
    tc_sb_free(&p2);
}
