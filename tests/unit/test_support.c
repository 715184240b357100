/*
 * test_support.c — unit tests of support/: arenas, vectors, string buffers,
 * double formatting, interning, and diagnostic rendering (text and JSON).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static void arena_allocates_zeroed_aligned(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    for (int i = 1; i < 2000; i += 7) {
        unsigned char *p = tc_arena_alloc(&a, (size_t)i);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (int j = 0; j < i; j++) assert_int_equal(p[j], 0);
        memset(p, 0xab, (size_t)i);
    }
    char *big = tc_arena_alloc(&a, 1 << 20); /* larger than a chunk */
    assert_non_null(big);
    big[(1 << 20) - 1] = 1;
    assert_string_equal(tc_arena_strndup(&a, "hello world", 5), "hello");
    assert_string_equal(tc_arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    tc_arena_free(&a);
}

static void arena_limit_sets_exhausted(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    a.limit = 4096;
    assert_false(a.exhausted);
    void *p = tc_arena_alloc(&a, 1000);
    assert_non_null(p);
    assert_false(a.exhausted);
    p = tc_arena_alloc(&a, 8192);
    assert_non_null(p); /* still usable memory, but flagged */
    assert_true(a.exhausted);
    tc_arena_free(&a);
}

static void vec_grows(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    TC_VEC(int) v = {0};
    for (int i = 0; i < 1000; i++) TC_VEC_PUSH(&a, v, i * 3);
    assert_int_equal(v.len, 1000);
    for (int i = 0; i < 1000; i++) assert_int_equal(v.data[i], i * 3);
    tc_arena_free(&a);
}

static void strbuf_and_json(void **state)
{
    (void)state;
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_sb_printf(&sb, "%s=%d", "a", 1);
    tc_sb_putc(&sb, ' ');
    tc_sb_json_string(&sb, "q\"b\\n\n\t\x01");
    assert_string_equal(sb.data, "a=1 \"q\\\"b\\\\n\\n\\t\\u0001\"");
    tc_sb_free(&sb);
}

static void doubles_round_trip(void **state)
{
    (void)state;
    const double vals[] = {0.0, 1.0, -2.5, 0.1, 1e-5, 3.14159265358979, 1e300, 6.103515625e-05,
                           (double)1.1f, 123456789.0};
    for (size_t i = 0; i < TC_ARRAY_LEN(vals); i++) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_sb_double(&sb, vals[i]);
        assert_true(strpbrk(sb.data, ".e") != NULL); /* never reads as an integer */
        assert_true(strtod(sb.data, NULL) == vals[i]);
        tc_sb_free(&sb);
    }
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_sb_double(&sb, INFINITY);
    tc_sb_putc(&sb, ' ');
    tc_sb_double(&sb, -INFINITY);
    tc_sb_putc(&sb, ' ');
    tc_sb_double(&sb, NAN);
    tc_sb_putc(&sb, ' ');
    tc_sb_double(&sb, 0.5);
    assert_string_equal(sb.data, "inf -inf nan 0.5");
    tc_sb_free(&sb);
}

static void interning_gives_equal_pointers(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    TcStrTab t;
    tc_strtab_init(&t, &a);
    const char *x = tc_intern(&t, "alpha", 5);
    const char *y = tc_intern(&t, "alphabet", 5);
    assert_ptr_equal(x, y);
    assert_ptr_not_equal(x, tc_intern(&t, "beta", 4));
    char name[32];
    const char *first = NULL;
    for (int i = 0; i < 5000; i++) { /* forces several rehashes */
        snprintf(name, sizeof name, "n%d", i);
        const char *p = tc_intern(&t, name, strlen(name));
        if (i == 17) first = p;
    }
    assert_ptr_equal(first, tc_intern(&t, "n17", 3));
    tc_strtab_free(&t);
    tc_arena_free(&a);
}

static TcSpan span(uint32_t line, uint32_t col, uint32_t end_line, uint32_t end_col)
{
    TcSpan s = {1, line, col, end_line, end_col};
    return s;
}

static TcDiagEngine *engine_with_source(TcArena *a, const char *text)
{
    TcDiagEngine *de = tc_arena_alloc(a, sizeof *de);
    tc_diag_init(de, a);
    TcSource src = {"k.tile", text, strlen(text)};
    assert_int_equal(tc_diag_add_file(de, src), 1);
    return de;
}

static void diag_text_has_caret_and_tildes(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    TcDiagEngine *de = engine_with_source(&a, "line one\n  let x = bad;\n");
    TcSpan sp = span(2, 11, 2, 13);
    TcDiag *d = tc_error(de, TC_E_UNDEFINED, sp, "undefined name '%s'", "bad");
    tc_diag_note(de, d, span(2, 3, 2, 5), "in this let");
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(de, TC_DIAG_TEXT, &sb);
    assert_string_equal(sb.data,
                        "k.tile:2:11: error: undefined name 'bad' [E3001]\n"
                        "    let x = bad;\n"
                        "            ^~~\n"
                        "k.tile:2:3: note: in this let\n"
                        "    let x = bad;\n"
                        "    ^~~\n");
    assert_int_equal(de->nerrors, 1);
    /* rendering again prints nothing new */
    tc_sb_clear(&sb);
    tc_diag_render(de, TC_DIAG_TEXT, &sb);
    assert_int_equal(sb.len, 0);
    tc_sb_free(&sb);
    tc_arena_free(&a);
}

static void diag_json_is_one_object_per_line(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    TcDiagEngine *de = engine_with_source(&a, "x\n");
    TcDiag *d = tc_error(de, TC_E_TILE_TOO_LARGE, span(1, 1, 1, 1), "tile \"big\"");
    tc_diag_amounts(d, 100, 10);
    tc_error(de, TC_E_OPTION, (TcSpan){0}, "bad option");
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(de, TC_DIAG_JSON, &sb);
    assert_string_equal(sb.data,
                        "{\"code\":\"E5001\",\"severity\":\"error\",\"file\":\"k.tile\",\"line\":1,\"col\":1,"
                        "\"end_line\":1,\"end_col\":1,\"message\":\"tile \\\"big\\\"\",\"needed\":100,\"limit\":10,"
                        "\"notes\":[]}\n"
                        "{\"code\":\"E7002\",\"severity\":\"error\",\"file\":\"\",\"line\":0,\"col\":0,"
                        "\"end_line\":0,\"end_col\":0,\"message\":\"bad option\",\"notes\":[]}\n");
    tc_sb_free(&sb);
    tc_arena_free(&a);
}

static void diag_stops_after_max_errors(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    TcDiagEngine *de = engine_with_source(&a, "x\n");
    de->max_errors = 3;
    for (int i = 0; i < 10; i++) tc_error(de, TC_E_SYNTAX, span(1, 1, 1, 1), "e%d", i);
    assert_int_equal(de->nerrors, 3);
    assert_true(de->too_many);
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(de, TC_DIAG_TEXT, &sb);
    assert_non_null(strstr(sb.data, "too many errors (more than 3); stopping [E5002]"));
    assert_null(strstr(sb.data, "e3"));
    tc_sb_free(&sb);
    tc_arena_free(&a);
}

static void diag_spans_past_the_text_are_safe(void **state)
{
    (void)state;
    TcArena a;
    tc_arena_init(&a);
    TcDiagEngine *de = engine_with_source(&a, "ab");
    tc_error(de, TC_E_SYNTAX, span(1, 40, 1, 90), "past the end of the line");
    tc_error(de, TC_E_SYNTAX, span(9, 1, 9, 1), "past the last line");
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(de, TC_DIAG_TEXT, &sb);
    assert_non_null(strstr(sb.data, "k.tile:1:40: error: past the end of the line"));
    assert_non_null(strstr(sb.data, "  ab\n    ^\n"));
    assert_non_null(strstr(sb.data, "k.tile:9:1: error: past the last line"));
    tc_sb_free(&sb);
    tc_arena_free(&a);
}

static void every_code_is_distinct(void **state)
{
    (void)state;
    for (int i = 0; i < TC_DIAG_COUNT; i++) {
        const char *c = tc_diag_code_str((TcDiagCode)i);
        assert_int_equal(strlen(c), 5);
        for (int j = 0; j < i; j++) assert_string_not_equal(c, tc_diag_code_str((TcDiagCode)j));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_allocates_zeroed_aligned),
        cmocka_unit_test(arena_limit_sets_exhausted),
        cmocka_unit_test(vec_grows),
        cmocka_unit_test(strbuf_and_json),
        cmocka_unit_test(doubles_round_trip),
        cmocka_unit_test(interning_gives_equal_pointers),
        cmocka_unit_test(diag_text_has_caret_and_tildes),
        cmocka_unit_test(diag_json_is_one_object_per_line),
        cmocka_unit_test(diag_stops_after_max_errors),
        cmocka_unit_test(diag_spans_past_the_text_are_safe),
        cmocka_unit_test(every_code_is_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
