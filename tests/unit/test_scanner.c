/*
 * test_scanner.c — unit tests of the .tile scanner (frontend/lexer.l):
 * token kinds and locations through tc_dump_tokens, literal values through
 * the parser's INT and FLOAT nodes, and the lexical diagnostics E1001..E1005.
 * Every test runs on its own arena and diagnostic engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "frontend.h"

/* One compilation: arena, diagnostics, strings and a source file. */
typedef struct Fix {
    TcArena arena;
    TcDiagEngine de;
    TcStrTab strs;
    uint32_t file;
    TcStrBuf out;
} Fix;

static void fix_open(Fix *f, const char *text, size_t len)
{
    tc_arena_init(&f->arena);
    tc_diag_init(&f->de, &f->arena);
    tc_strtab_init(&f->strs, &f->arena);
    char *copy = tc_arena_alloc(&f->arena, len + 1); /* zeroed: NUL-terminated */
    memcpy(copy, text, len);
    TcSource src = {"t.tile", copy, len};
    f->file = tc_diag_add_file(&f->de, src);
    tc_sb_init(&f->out);
}

static void fix_close(Fix *f)
{
    tc_sb_free(&f->out);
    tc_strtab_free(&f->strs);
    tc_arena_free(&f->arena);
}

/* The token dump of text, as a string owned by f. */
static const char *dump(Fix *f, const char *text)
{
    fix_open(f, text, strlen(text));
    tc_dump_tokens(&f->arena, &f->de, f->file, &f->out);
    return f->out.data ? f->out.data : "";
}

static const TcDiag *diag(const Fix *f, uint32_t i)
{
    assert_true(i < f->de.diags.len);
    return f->de.diags.data[i];
}

static void assert_diag(const Fix *f, uint32_t i, TcDiagCode code, uint32_t line, uint32_t col)
{
    const TcDiag *d = diag(f, i);
    assert_string_equal(tc_diag_code_str(d->code), tc_diag_code_str(code));
    assert_int_equal(d->span.line, line);
    assert_int_equal(d->span.col, col);
    assert_int_equal(d->span.file, f->file);
}

/* The expression of `kernel k() { EXPR; }`, parsed without errors. */
static const TcAstNode *parse_expr(Fix *f, const char *expr)
{
    char buf[512];
    snprintf(buf, sizeof buf, "kernel k() { %s; }", expr);
    fix_open(f, buf, strlen(buf));
    const TcAstNode *file = tc_parse_file(&f->arena, &f->strs, &f->de, f->file);
    assert_int_equal(f->de.nerrors, 0);
    assert_int_equal(file->u.file.kernels.len, 1);
    const TcAstNode *body = file->u.file.kernels.data[0]->u.kernel.body;
    assert_int_equal(body->u.block.stmts.len, 1);
    const TcAstNode *s = body->u.block.stmts.data[0];
    assert_int_equal(s->kind, TC_AST_EXPR_STMT);
    return s->u.expr_stmt.expr;
}

static void dump_gives_kinds_and_locations(void **state)
{
    (void)state;
    Fix f;
    const char *got = dump(&f, "kernel k<T: dtype>(a: out f16[M, 4]) {\n  x += 0x1F;\n}\n");
    assert_string_equal(got,
        "1:1 KEYWORD 'kernel'\n"
        "1:8 IDENT 'k'\n"
        "1:9 OP '<'\n"
        "1:10 IDENT 'T'\n"
        "1:11 OP ':'\n"
        "1:13 KEYWORD 'dtype'\n"
        "1:18 OP '>'\n"
        "1:19 OP '('\n"
        "1:20 IDENT 'a'\n"
        "1:21 OP ':'\n"
        "1:23 KEYWORD 'out'\n"
        "1:27 DTYPE 'f16'\n"
        "1:30 OP '['\n"
        "1:31 IDENT 'M'\n"
        "1:32 OP ','\n"
        "1:34 INT '4'\n"
        "1:35 OP ']'\n"
        "1:36 OP ')'\n"
        "1:38 OP '{'\n"
        "2:3 IDENT 'x'\n"
        "2:5 OP '+='\n"
        "2:8 INT '0x1F'\n"
        "2:12 OP ';'\n"
        "3:1 OP '}'\n"
        "4:1 EOF ''\n");
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
}

static void dump_of_empty_input_is_eof(void **state)
{
    (void)state;
    Fix f;
    assert_string_equal(dump(&f, ""), "1:1 EOF ''\n");
    fix_close(&f);
    assert_string_equal(dump(&f, "  \n\t// only a comment"), "2:19 EOF ''\n");
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
}

static void operators_longest_match(void **state)
{
    (void)state;
    Fix f;
    const char *got = dump(&f, "<<>><=>===!=&&||+=-=*=/=<>=+-*/%@&|^!~?:()[]{},;");
    assert_string_equal(got,
        "1:1 OP '<<'\n1:3 OP '>>'\n1:5 OP '<='\n1:7 OP '>='\n1:9 OP '=='\n"
        "1:11 OP '!='\n1:13 OP '&&'\n1:15 OP '||'\n1:17 OP '+='\n1:19 OP '-='\n"
        "1:21 OP '*='\n1:23 OP '/='\n1:25 OP '<'\n1:26 OP '>='\n1:28 OP '+'\n"
        "1:29 OP '-'\n1:30 OP '*'\n1:31 OP '/'\n1:32 OP '%'\n1:33 OP '@'\n1:34 OP '&'\n"
        "1:35 OP '|'\n1:36 OP '^'\n1:37 OP '!'\n1:38 OP '~'\n1:39 OP '?'\n1:40 OP ':'\n"
        "1:41 OP '('\n1:42 OP ')'\n1:43 OP '['\n1:44 OP ']'\n1:45 OP '{'\n1:46 OP '}'\n"
        "1:47 OP ','\n1:48 OP ';'\n1:49 EOF ''\n");
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
}

static void keywords_dtypes_and_identifiers(void **state)
{
    (void)state;
    Fix f;
    const char *got = dump(&f,
        "kernel let var for in range if else true false inf nan None out inout strided "
        "int float dtype bool i8 i16 i32 i64 u8 u16 u32 u64 f16 bf16 f32 f64 "
        "kernels in_ _x pipeline unroll grid warps none f8 F16 Bool x_1");
    const char *want[] = {
        "KEYWORD 'kernel'", "KEYWORD 'let'", "KEYWORD 'var'", "KEYWORD 'for'",
        "KEYWORD 'in'", "KEYWORD 'range'", "KEYWORD 'if'", "KEYWORD 'else'",
        "KEYWORD 'true'", "KEYWORD 'false'", "KEYWORD 'inf'", "KEYWORD 'nan'",
        "KEYWORD 'None'", "KEYWORD 'out'", "KEYWORD 'inout'", "KEYWORD 'strided'",
        "KEYWORD 'int'", "KEYWORD 'float'", "KEYWORD 'dtype'",
        "DTYPE 'bool'", "DTYPE 'i8'", "DTYPE 'i16'", "DTYPE 'i32'", "DTYPE 'i64'",
        "DTYPE 'u8'", "DTYPE 'u16'", "DTYPE 'u32'", "DTYPE 'u64'", "DTYPE 'f16'",
        "DTYPE 'bf16'", "DTYPE 'f32'", "DTYPE 'f64'",
        "IDENT 'kernels'", "IDENT 'in_'", "IDENT '_x'", "IDENT 'pipeline'",
        "IDENT 'unroll'", "IDENT 'grid'", "IDENT 'warps'", "IDENT 'none'", "IDENT 'f8'",
        "IDENT 'F16'", "IDENT 'Bool'", "IDENT 'x_1'", "EOF ''",
    };
    const char *p = got;
    for (size_t i = 0; i < TC_ARRAY_LEN(want); i++) {
        const char *sp = strchr(p, ' ');
        assert_non_null(sp);
        const char *nl = strchr(sp, '\n');
        assert_non_null(nl);
        char line[64];
        snprintf(line, sizeof line, "%.*s", (int)(nl - sp - 1), sp + 1);
        assert_string_equal(line, want[i]);
        p = nl + 1;
    }
    assert_string_equal(p, "");
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
}

static void dtype_tokens_carry_their_dtype(void **state)
{
    (void)state;
    Fix f;
    const char *names[] = {"bool", "i8", "i16", "i32", "i64", "u8", "u16",
                           "u32", "u64", "f16", "bf16", "f32", "f64"};
    for (size_t i = 0; i < TC_ARRAY_LEN(names); i++) {
        const TcAstNode *e = parse_expr(&f, names[i]);
        assert_int_equal(e->kind, TC_AST_DTYPE);
        TcDtype want;
        assert_true(tc_dtype_from_name(names[i], strlen(names[i]), &want));
        assert_int_equal(e->u.dtype.dtype, want);
        fix_close(&f);
    }
}

static void integer_literal_values(void **state)
{
    (void)state;
    struct { const char *text; uint64_t value; } cases[] = {
        {"0", 0},
        {"42", 42},
        {"007", 7},
        {"0x1F", 31},
        {"0Xff", 255},
        {"0xDEADbeef", 0xdeadbeefull},
        {"18446744073709551615", UINT64_MAX},
        {"0xFFFFFFFFFFFFFFFF", UINT64_MAX},
        {"0x0000000000000000001", 1},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fix f;
        const TcAstNode *e = parse_expr(&f, cases[i].text);
        assert_int_equal(e->kind, TC_AST_INT);
        assert_true(e->u.int_lit.value == cases[i].value);
        assert_int_equal(e->span.col, 14);
        assert_int_equal(e->span.end_col, 14 + strlen(cases[i].text) - 1);
        fix_close(&f);
    }
}

static void float_literal_values(void **state)
{
    (void)state;
    struct { const char *text; double value; } cases[] = {
        {"1.0", 1.0},       {"1.", 1.0},         {".5", 0.5},
        {"1e-5", 1e-5},     {"2.5E+3", 2500.0},  {"1.e2", 100.0},
        {"0.1", 0.1},       {"3.14159", 3.14159}, {"6.02e23", 6.02e23},
        {"1E5", 1e5},       {".25e-1", 0.025},   {"0.000001", 1e-6},
        {"123456789012345678901234567890.0", 123456789012345678901234567890.0},
        {"1e-400", 0.0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fix f;
        const TcAstNode *e = parse_expr(&f, cases[i].text);
        assert_int_equal(e->kind, TC_AST_FLOAT);
        assert_true(e->u.float_lit.value == cases[i].value);
        fix_close(&f);
    }
    Fix f;
    const TcAstNode *e = parse_expr(&f, "inf");
    assert_int_equal(e->kind, TC_AST_FLOAT);
    assert_true(isinf(e->u.float_lit.value) && e->u.float_lit.value > 0);
    fix_close(&f);
    e = parse_expr(&f, "nan");
    assert_int_equal(e->kind, TC_AST_FLOAT);
    assert_true(isnan(e->u.float_lit.value));
    fix_close(&f);
    e = parse_expr(&f, "-inf");
    assert_int_equal(e->kind, TC_AST_UNARY);
    assert_int_equal(e->u.unary.op, TC_AOP_NEG);
    assert_true(isinf(e->u.unary.operand->u.float_lit.value));
    fix_close(&f);
}

static void malformed_numbers_are_one_token_each(void **state)
{
    (void)state;
    const char *bad[] = {"1e", "0x", "1.2.3", "12abc", "0x1g", "1e+", "1.5e", "3x", "0x.5",
                         "1..2", "2e+x", "1.2e3.4"};
    for (size_t i = 0; i < TC_ARRAY_LEN(bad); i++) {
        Fix f;
        char src[64];
        snprintf(src, sizeof src, "x = %s;", bad[i]);
        const char *got = dump(&f, src);
        char want[160];
        snprintf(want, sizeof want, "1:1 IDENT 'x'\n1:3 OP '='\n1:5 INT '%s'\n1:%zu OP ';'\n"
                 "1:%zu EOF ''\n", bad[i], 5 + strlen(bad[i]), 6 + strlen(bad[i]));
        assert_string_equal(got, want);
        assert_int_equal(f.de.nerrors, 1);
        assert_diag(&f, 0, TC_E_LEX_NUMBER, 1, 5);
        assert_int_equal(diag(&f, 0)->span.end_col, 4 + strlen(bad[i]));
        fix_close(&f);
    }
}

static void numbers_next_to_operators(void **state)
{
    (void)state;
    Fix f;
    /* a hex digit 'e' is not an exponent: 0xE+1 is 0xE, '+', 1 */
    assert_string_equal(dump(&f, "0xE+1 1e+5-2 1-2 x1e+2"),
        "1:1 INT '0xE'\n1:4 OP '+'\n1:5 INT '1'\n1:7 FLOAT '1e+5'\n1:11 OP '-'\n"
        "1:12 INT '2'\n1:14 INT '1'\n1:15 OP '-'\n1:16 INT '2'\n1:18 IDENT 'x1e'\n"
        "1:21 OP '+'\n1:22 INT '2'\n1:23 EOF ''\n");
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
}

static void out_of_range_literals(void **state)
{
    (void)state;
    Fix f;
    dump(&f, "18446744073709551616 0x10000000000000000 99999999999999999999999 1e999 1.5");
    assert_int_equal(f.de.nerrors, 4);
    assert_diag(&f, 0, TC_E_LEX_INT_RANGE, 1, 1);
    assert_diag(&f, 1, TC_E_LEX_INT_RANGE, 1, 22);
    assert_diag(&f, 2, TC_E_LEX_INT_RANGE, 1, 42);
    assert_diag(&f, 3, TC_E_LEX_INT_RANGE, 1, 66);
    fix_close(&f);
}

static void invalid_characters_are_skipped(void **state)
{
    (void)state;
    Fix f;
    const char *got = dump(&f, "a $ b\n#c.\x01 \xe2\x88\x80x");
    assert_string_equal(got, "1:1 IDENT 'a'\n1:5 IDENT 'b'\n2:2 IDENT 'c'\n2:9 IDENT 'x'\n"
                             "2:10 EOF ''\n");
    assert_int_equal(f.de.nerrors, 5);
    assert_diag(&f, 0, TC_E_LEX_CHAR, 1, 3);
    assert_diag(&f, 1, TC_E_LEX_CHAR, 2, 1);
    assert_diag(&f, 2, TC_E_LEX_CHAR, 2, 3);
    assert_diag(&f, 3, TC_E_LEX_CHAR, 2, 4);
    assert_diag(&f, 4, TC_E_LEX_CHAR, 2, 6); /* one error for the UTF-8 sequence */
    assert_int_equal(diag(&f, 4)->span.end_col, 8);
    assert_string_equal(diag(&f, 0)->msg, "invalid character '$'");
    assert_string_equal(diag(&f, 3)->msg, "invalid character '\\x01'");
    fix_close(&f);
}

static void nul_byte_is_an_invalid_character(void **state)
{
    (void)state;
    Fix f;
    const char text[] = {'a', ' ', '\0', ' ', 'b'};
    fix_open(&f, text, sizeof text);
    tc_dump_tokens(&f.arena, &f.de, f.file, &f.out);
    assert_string_equal(f.out.data, "1:1 IDENT 'a'\n1:5 IDENT 'b'\n1:6 EOF ''\n");
    assert_int_equal(f.de.nerrors, 1);
    assert_diag(&f, 0, TC_E_LEX_CHAR, 1, 3);
    fix_close(&f);
}

static void comments_are_skipped_and_tracked(void **state)
{
    (void)state;
    Fix f;
    const char *got = dump(&f, "a // line * / comment\n/* block\n ** / */ b /**/c/* x */\n"
                               "d /* a // b */ e");
    assert_string_equal(got, "1:1 IDENT 'a'\n3:10 IDENT 'b'\n3:16 IDENT 'c'\n4:1 IDENT 'd'\n"
                             "4:16 IDENT 'e'\n4:17 EOF ''\n");
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
}

static void unterminated_comment_is_reported_at_its_start(void **state)
{
    (void)state;
    Fix f;
    const char *got = dump(&f, "a\n  b /* never\n closed * /");
    assert_string_equal(got, "1:1 IDENT 'a'\n2:3 IDENT 'b'\n3:12 EOF ''\n");
    assert_int_equal(f.de.nerrors, 1);
    assert_diag(&f, 0, TC_E_LEX_COMMENT, 2, 5);
    assert_int_equal(diag(&f, 0)->span.end_col, 6);
    fix_close(&f);

    /* the parser sees end of file right after the comment */
    fix_open(&f, "kernel k() { /* x", 17);
    const TcAstNode *file = tc_parse_file(&f.arena, &f.strs, &f.de, f.file);
    assert_int_equal(file->kind, TC_AST_FILE);
    assert_int_equal(f.de.nerrors, 2);
    assert_diag(&f, 0, TC_E_LEX_COMMENT, 1, 14);
    assert_diag(&f, 1, TC_E_SYNTAX, 1, 18);
    fix_close(&f);
}

static void identifier_length_limit(void **state)
{
    (void)state;
    Fix f;
    char id[300];
    memset(id, 'a', sizeof id);
    id[256] = '\0';
    dump(&f, id);
    assert_int_equal(f.de.nerrors, 0);
    fix_close(&f);
    id[256] = 'b';
    id[257] = '\0';
    const char *got = dump(&f, id);
    assert_int_equal(f.de.nerrors, 1);
    assert_diag(&f, 0, TC_E_LEX_IDENT_LEN, 1, 1);
    assert_non_null(strstr(got, "1:258 EOF"));
    fix_close(&f);
}

static void tabs_and_crlf_count_one_column(void **state)
{
    (void)state;
    Fix f;
    assert_string_equal(dump(&f, "\ta\r\n\t\tb"), "1:2 IDENT 'a'\n2:3 IDENT 'b'\n2:4 EOF ''\n");
    fix_close(&f);
}

static void errors_stop_at_the_engine_limit(void **state)
{
    (void)state;
    Fix f;
    char *text = malloc(100001);
    assert_non_null(text);
    memset(text, '$', 100000);
    text[100000] = '\0';
    dump(&f, text);
    free(text);
    assert_int_equal(f.de.nerrors, f.de.max_errors);
    assert_true(f.de.too_many);
    fix_close(&f);
}

static void random_bytes_scan_to_the_end(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 50; round++) {
        char buf[2048];
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            /* half the rounds stay printable so tokens, not only errors, come out */
            unsigned c = (unsigned)(seed >> 56);
            buf[i] = (char)(round % 2 ? c : 32 + c % 95);
        }
        Fix f;
        fix_open(&f, buf, sizeof buf);
        tc_dump_tokens(&f.arena, &f.de, f.file, &f.out);
        assert_non_null(strstr(f.out.data, "EOF ''\n"));
        fix_close(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dump_gives_kinds_and_locations),
        cmocka_unit_test(dump_of_empty_input_is_eof),
        cmocka_unit_test(operators_longest_match),
        cmocka_unit_test(keywords_dtypes_and_identifiers),
        cmocka_unit_test(dtype_tokens_carry_their_dtype),
        cmocka_unit_test(integer_literal_values),
        cmocka_unit_test(float_literal_values),
        cmocka_unit_test(malformed_numbers_are_one_token_each),
        cmocka_unit_test(numbers_next_to_operators),
        cmocka_unit_test(out_of_range_literals),
        cmocka_unit_test(invalid_characters_are_skipped),
        cmocka_unit_test(nul_byte_is_an_invalid_character),
        cmocka_unit_test(comments_are_skipped_and_tracked),
        cmocka_unit_test(unterminated_comment_is_reported_at_its_start),
        cmocka_unit_test(identifier_length_limit),
        cmocka_unit_test(tabs_and_crlf_count_one_column),
        cmocka_unit_test(errors_stop_at_the_engine_limit),
        cmocka_unit_test(random_bytes_scan_to_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
