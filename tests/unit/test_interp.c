/*
 * test_interp.c — tests of the reference interpreter (ir/interp.c).
 *
 * Part 1 builds small kernels with the IR builder and checks each op's
 * semantics exactly (wraparound, division by zero, shifts, casts, NaN
 * handling, bounds of load/store/view, shape ops, reductions, dot, loops,
 * if, grids) and the argument checks (sizes, dtypes, strides, limits).
 * Part 2 compiles every kernel in examples/ (front end, optionally the
 * default pass pipeline), runs it on random inputs of shapes that are not
 * multiples of its tiles, and compares with the independent references in
 * references.c; every tensor lives inside a poisoned guard buffer so writes
 * outside the logical tensor and changes to inputs are caught.
 *
 * Invariant: every test is deterministic (fixed seeds) and frees what it
 * allocates, so the binary runs clean under sanitizers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "ir.h"
#include "passes.h"
#include "guarded.h"
#include "references.h"

/* ============================================================ part 1 */

/* A kernel under construction, with its own arena and module. */
typedef struct Kern {
    TcArena arena;
    TcIrModule *m;
    TcIrFunc *f;
    TcIrBuilder b;   /* appends to the body */
} Kern;

static Kern *kern_new(void)
{
    Kern *k = calloc(1, sizeof *k);
    assert_non_null(k);
    tc_arena_init(&k->arena);
    k->m = tc_ir_module_new(&k->arena);
    k->f = tc_ir_func_new(k->m, "k", (TcSpan){0});
    tc_ir_builder_at_end(&k->b, k->f, k->f->body);
    return k;
}

static void kern_free(Kern *k)
{
    tc_ir_module_free(k->m);
    tc_arena_free(&k->arena);
    free(k);
}

static TcType *ty_s(Kern *k, TcDtype dt) { return tc_type_scalar(k->m, dt); }
static TcType *ty_1(Kern *k, TcDtype dt, int64_t n) { return tc_type_tile(k->m, dt, 1, &n); }
static TcType *ty_2(Kern *k, TcDtype dt, int64_t r, int64_t c)
{
    int64_t s[2] = {r, c};
    return tc_type_tile(k->m, dt, 2, s);
}

/* A tensor type; sym[i] names a size or is NULL for the constant val[i]. */
static TcType *ty_tensor(Kern *k, TcDtype dt, uint32_t rank, const char *const *sym, const int64_t *val,
                         unsigned flags)
{
    TcDim d[TC_MAX_RANK];
    for (uint32_t i = 0; i < rank; i++) {
        d[i].sym = sym ? sym[i] : NULL;
        d[i].value = sym && sym[i] ? 0 : val[i];
    }
    return tc_type_tensor(k->m, dt, rank, d, flags);
}

static TcIrValue *param(Kern *k, const char *name, TcType *t) { return tc_ir_func_add_param(k->f, name, t); }
static TcIrValue *ci(Kern *k, int64_t v) { return tc_ir_build_const_int(&k->b, TC_I32, v); }

/* Sets the grid to (g0, g1, g2) (0 = axis absent); the body has no yield. */
static void finish(Kern *k, int64_t g0, int64_t g1, int64_t g2)
{
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    TcIrValue *g[3];
    uint32_t n = 0;
    g[n++] = tc_ir_build_const_int(&gb, TC_I32, g0);
    if (g1) g[n++] = tc_ir_build_const_int(&gb, TC_I32, g1);
    if (g2) g[n++] = tc_ir_build_const_int(&gb, TC_I32, g2);
    tc_ir_build_yield(&gb, n, g);
}

/* Stores scalar s (dtype of tensor t) at t[idx] through a one-element tile. */
static void store_scalar(Kern *k, TcIrValue *t, int64_t idx, TcIrValue *s)
{
    TcIrValue *tile = tc_ir_build_splat(&k->b, s, ty_1(k, s->type->dtype, 1));
    TcIrValue *o = ci(k, idx);
    tc_ir_build_store(&k->b, t, &o, tile);
}

static TcInterpArg targ1(TcDtype dt, void *data, int64_t n)
{
    TcInterpArg a = {0};
    a.tensor.data = data;
    a.tensor.dtype = dt;
    a.tensor.rank = 1;
    a.tensor.sizes[0] = n;
    a.tensor.strides[0] = 1;
    return a;
}

static TcInterpArg targ2(TcDtype dt, void *data, int64_t r, int64_t c, int64_t ld)
{
    TcInterpArg a = {0};
    a.tensor.data = data;
    a.tensor.dtype = dt;
    a.tensor.rank = 2;
    a.tensor.sizes[0] = r;
    a.tensor.sizes[1] = c;
    a.tensor.strides[0] = ld;
    a.tensor.strides[1] = 1;
    return a;
}

static TcInterpArg sarg_i(int64_t v)
{
    TcInterpArg a = {0};
    a.i = v;
    return a;
}

static TcInterpArg sarg_f(double v)
{
    TcInterpArg a = {0};
    a.f = v;
    return a;
}

/* The kernels built here must be valid Tile IR, or the tests would check
 * the interpreter on inputs it is never given. */
static void verify(Kern *k)
{
    TcDiagEngine de;
    tc_diag_init(&de, &k->arena);
    bool ok = tc_ir_verify_func(k->f, &de, NULL);
    if (!ok) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&de, TC_DIAG_TEXT, &sb);
        tc_ir_print_func(k->f, &sb);
        print_message("invalid test kernel:\n%s\n", sb.data ? sb.data : "");
        tc_sb_free(&sb);
    }
    assert_true(ok);
}

static void run_ok_opt(Kern *k, const TcInterpArg *args, const TcInterpOptions *opt)
{
    verify(k);
    char err[512];
    bool ok = tc_interp_run(k->f, args, opt, err, sizeof err);
    if (!ok) print_message("interpreter error: %s\n", err);
    assert_true(ok);
}

static void run_ok(Kern *k, const TcInterpArg *args) { run_ok_opt(k, args, NULL); }

/* Runs and expects failure with a message containing `want`. */
static void run_err_opt(Kern *k, const TcInterpArg *args, const TcInterpOptions *opt, const char *want)
{
    verify(k);
    char err[512];
    bool ok = tc_interp_run(k->f, args, opt, err, sizeof err);
    assert_false(ok);
    if (!strstr(err, want)) print_message("message: '%s'\nwanted:  '%s'\n", err, want);
    assert_non_null(strstr(err, want));
    size_t n = strlen(err);
    assert_true(n > 0 && err[n - 1] != '\n');
}

static void run_err(Kern *k, const TcInterpArg *args, const char *want) { run_err_opt(k, args, NULL, want); }

/* o[i] = opc(x[i], y[i]) over n elements: x and y of dtype dt, o of rdt. For
 * unary ops y is ignored; for TC_OP_CAST the op casts x to rdt. */
static void ew(TcOpcode opc, TcDtype dt, TcDtype rdt, int64_t n, void *x, void *y, void *o)
{
    Kern *k = kern_new();
    const char *sym[1] = {"N"};
    TcIrValue *px = param(k, "x", ty_tensor(k, dt, 1, sym, NULL, 0));
    TcIrValue *py = param(k, "y", ty_tensor(k, dt, 1, sym, NULL, 0));
    TcIrValue *po = param(k, "o", ty_tensor(k, rdt, 1, sym, NULL, TC_TENSOR_OUT));
    tc_ir_func_add_size(k->f, "N");
    TcIrValue *zero = ci(k, 0);
    TcIrValue *tx = tc_ir_build_load(&k->b, px, &zero, NULL, ty_1(k, dt, n));
    TcIrValue *ty = tc_ir_build_load(&k->b, py, &zero, NULL, ty_1(k, dt, n));
    TcIrValue *r;
    if (opc == TC_OP_CAST) r = tc_ir_build_cast(&k->b, tx, ty_1(k, rdt, n));
    else if (tc_op_info(opc)->noperands == 1) r = tc_ir_build_unary(&k->b, opc, tx);
    else r = tc_ir_build_binary(&k->b, opc, tx, ty);
    tc_ir_build_store(&k->b, po, &zero, r);
    finish(k, 1, 0, 0);
    TcInterpArg args[3] = {targ1(dt, x, n), targ1(dt, y ? y : x, n), targ1(rdt, o, n)};
    run_ok(k, args);
    kern_free(k);
}

static void test_int_wrap(void **state)
{
    (void)state;
    int8_t a8[4] = {100, -100, 127, -128}, b8[4] = {100, -100, 1, -1}, r8[4];
    ew(TC_OP_ADD, TC_I8, TC_I8, 4, a8, b8, r8);
    int8_t e8[4] = {-56, 56, -128, 127};
    assert_memory_equal(r8, e8, sizeof e8);

    uint8_t ua[3] = {200, 0, 16}, ub[3] = {100, 1, 16}, ur[3];
    ew(TC_OP_ADD, TC_U8, TC_U8, 3, ua, ub, ur);
    assert_int_equal(ur[0], 44);
    ew(TC_OP_SUB, TC_U8, TC_U8, 3, ua, ub, ur);
    assert_int_equal(ur[1], 255);
    ew(TC_OP_MUL, TC_U8, TC_U8, 3, ua, ub, ur);
    assert_int_equal(ur[2], 0);

    int32_t a32[2] = {65536, INT32_MAX}, b32[2] = {65536, 1}, r32[2];
    ew(TC_OP_MUL, TC_I32, TC_I32, 2, a32, b32, r32);
    assert_int_equal(r32[0], 0);
    ew(TC_OP_ADD, TC_I32, TC_I32, 2, a32, b32, r32);
    assert_int_equal(r32[1], INT32_MIN);

    int64_t a64[1] = {INT64_MAX}, b64[1] = {1}, r64[1];
    ew(TC_OP_ADD, TC_I64, TC_I64, 1, a64, b64, r64);
    assert_true(r64[0] == INT64_MIN);

    uint32_t u32a[1] = {0xFFFFFFFFu}, u32b[1] = {2}, u32r[1];
    ew(TC_OP_MUL, TC_U32, TC_U32, 1, u32a, u32b, u32r);
    assert_int_equal(u32r[0], 0xFFFFFFFEu);

    int16_t n16[2] = {-32768, 5}, r16[2];
    ew(TC_OP_NEG, TC_I16, TC_I16, 2, n16, NULL, r16);
    assert_int_equal(r16[0], -32768);
    assert_int_equal(r16[1], -5);
    ew(TC_OP_ABS, TC_I16, TC_I16, 2, n16, NULL, r16);
    assert_int_equal(r16[0], -32768);
    ew(TC_OP_NOT, TC_I16, TC_I16, 2, n16, NULL, r16);
    assert_int_equal(r16[0], 32767);
    assert_int_equal(r16[1], -6);
}

static void test_int_div_rem(void **state)
{
    (void)state;
    int32_t x[8] = {7, -7, 7, -7, 5, -5, INT32_MIN, INT32_MIN};
    int32_t y[8] = {2, 2, -2, -2, 0, 0, -1, 1}, r[8];
    int32_t ediv[8] = {3, -3, -3, 3, 0, 0, INT32_MIN, INT32_MIN};
    int32_t erem[8] = {1, -1, 1, -1, 0, 0, 0, 0};
    ew(TC_OP_DIV, TC_I32, TC_I32, 8, x, y, r);
    assert_memory_equal(r, ediv, sizeof r);
    ew(TC_OP_REM, TC_I32, TC_I32, 8, x, y, r);
    assert_memory_equal(r, erem, sizeof r);

    int64_t x64[2] = {INT64_MIN, INT64_MIN}, y64[2] = {-1, 0}, r64[2];
    ew(TC_OP_DIV, TC_I64, TC_I64, 2, x64, y64, r64);
    assert_true(r64[0] == INT64_MIN && r64[1] == 0);
    ew(TC_OP_REM, TC_I64, TC_I64, 2, x64, y64, r64);
    assert_true(r64[0] == 0 && r64[1] == 0);

    int8_t x8[1] = {-128}, y8[1] = {-1}, r8[1];
    ew(TC_OP_DIV, TC_I8, TC_I8, 1, x8, y8, r8);
    assert_int_equal(r8[0], -128);

    uint8_t ux[3] = {200, 200, 255}, uy[3] = {3, 0, 16}, ur[3];
    ew(TC_OP_DIV, TC_U8, TC_U8, 3, ux, uy, ur);
    assert_int_equal(ur[0], 66);
    assert_int_equal(ur[1], 0);
    assert_int_equal(ur[2], 15);
    ew(TC_OP_REM, TC_U8, TC_U8, 3, ux, uy, ur);
    assert_int_equal(ur[0], 2);
    assert_int_equal(ur[1], 0);
    assert_int_equal(ur[2], 15);

    uint64_t bx[1] = {UINT64_MAX}, by[1] = {2}, br[1];
    ew(TC_OP_DIV, TC_U64, TC_U64, 1, bx, by, br);
    assert_true(br[0] == UINT64_MAX / 2);
}

static void test_shifts(void **state)
{
    (void)state;
    int32_t x[5] = {1, 1, 1, 1, -1}, y[5] = {31, 32, -1, 100, 4}, r[5];
    int32_t eshl[5] = {INT32_MIN, 0, 0, 0, -16};
    ew(TC_OP_SHL, TC_I32, TC_I32, 5, x, y, r);
    assert_memory_equal(r, eshl, sizeof r);

    int32_t sx[6] = {-8, -8, 8, -8, 8, INT32_MIN}, sy[6] = {1, 32, 40, -1, 3, 31}, sr[6];
    int32_t eshr[6] = {-4, -1, 0, -1, 1, -1};
    ew(TC_OP_SHR, TC_I32, TC_I32, 6, sx, sy, sr);
    assert_memory_equal(sr, eshr, sizeof sr);

    uint32_t ux[3] = {0x80000000u, 0xFFFFFFFFu, 5}, uy[3] = {31, 32, 1}, ur[3];
    ew(TC_OP_SHR, TC_U32, TC_U32, 3, ux, uy, ur);
    assert_int_equal(ur[0], 1);
    assert_int_equal(ur[1], 0);
    assert_int_equal(ur[2], 2);

    int8_t x8[2] = {1, -1}, y8[2] = {7, 8}, r8[2];
    ew(TC_OP_SHL, TC_I8, TC_I8, 2, x8, y8, r8);
    assert_int_equal(r8[0], -128);
    assert_int_equal(r8[1], 0);
    uint8_t ub[1] = {0xFF}, us[1] = {4}, uo[1];
    ew(TC_OP_SHL, TC_U8, TC_U8, 1, ub, us, uo);
    assert_int_equal(uo[0], 0xF0);

    int64_t x64[2] = {INT64_MIN, 1}, y64[2] = {63, 64}, r64[2];
    ew(TC_OP_SHR, TC_I64, TC_I64, 2, x64, y64, r64);
    assert_true(r64[0] == -1 && r64[1] == 0);
}

static void test_bool_logic_and_compare(void **state)
{
    (void)state;
    uint8_t a[4] = {0, 0, 1, 1}, b[4] = {0, 1, 0, 1}, r[4];
    uint8_t eand[4] = {0, 0, 0, 1}, eor[4] = {0, 1, 1, 1}, exor[4] = {0, 1, 1, 0}, enot[4] = {1, 1, 0, 0};
    ew(TC_OP_AND, TC_BOOL, TC_BOOL, 4, a, b, r);
    assert_memory_equal(r, eand, 4);
    ew(TC_OP_OR, TC_BOOL, TC_BOOL, 4, a, b, r);
    assert_memory_equal(r, eor, 4);
    ew(TC_OP_XOR, TC_BOOL, TC_BOOL, 4, a, b, r);
    assert_memory_equal(r, exor, 4);
    ew(TC_OP_NOT, TC_BOOL, TC_BOOL, 4, a, NULL, r);
    assert_memory_equal(r, enot, 4);

    float fx[4] = {NAN, NAN, -0.0f, 1.0f}, fy[4] = {1.0f, NAN, 0.0f, 2.0f};
    uint8_t lt[4], ne[4], eq[4], ge[4];
    ew(TC_OP_LT, TC_F32, TC_BOOL, 4, fx, fy, lt);
    ew(TC_OP_NE, TC_F32, TC_BOOL, 4, fx, fy, ne);
    ew(TC_OP_EQ, TC_F32, TC_BOOL, 4, fx, fy, eq);
    ew(TC_OP_GE, TC_F32, TC_BOOL, 4, fx, fy, ge);
    uint8_t elt[4] = {0, 0, 0, 1}, ene[4] = {1, 1, 0, 1}, eeq[4] = {0, 0, 1, 0}, ege[4] = {0, 0, 1, 0};
    assert_memory_equal(lt, elt, 4);
    assert_memory_equal(ne, ene, 4);
    assert_memory_equal(eq, eeq, 4);
    assert_memory_equal(ge, ege, 4);

    uint32_t ux[2] = {0xFFFFFFFFu, 1}, uy[2] = {1, 0xFFFFFFFFu};
    int32_t sx[2] = {-1, 1}, sy[2] = {1, -1};
    uint8_t ru[2], rs[2];
    ew(TC_OP_LT, TC_U32, TC_BOOL, 2, ux, uy, ru);
    ew(TC_OP_LT, TC_I32, TC_BOOL, 2, sx, sy, rs);
    assert_int_equal(ru[0], 0);
    assert_int_equal(ru[1], 1);
    assert_int_equal(rs[0], 1);
    assert_int_equal(rs[1], 0);
    uint64_t bx[1] = {UINT64_MAX}, by[1] = {1};
    uint8_t rb[1];
    ew(TC_OP_GT, TC_U64, TC_BOOL, 1, bx, by, rb);
    assert_int_equal(rb[0], 1);
}

static void test_float_max_min(void **state)
{
    (void)state;
    float x[5] = {NAN, 1.0f, 0.0f, -0.0f, -3.0f}, y[5] = {1.0f, NAN, -0.0f, 0.0f, 2.0f}, mx[5], mn[5];
    ew(TC_OP_MAX, TC_F32, TC_F32, 5, x, y, mx);
    ew(TC_OP_MIN, TC_F32, TC_F32, 5, x, y, mn);
    assert_true(isnan(mx[0]) && isnan(mx[1]) && isnan(mn[0]) && isnan(mn[1]));
    assert_true(mx[2] == 0 && !signbit(mx[2]));
    assert_true(mx[3] == 0 && !signbit(mx[3]));
    assert_true(mn[2] == 0 && signbit(mn[2]));
    assert_true(mn[3] == 0 && signbit(mn[3]));
    assert_true(mx[4] == 2.0f && mn[4] == -3.0f);

    double dx[2] = {NAN, -0.0}, dy[2] = {5.0, 0.0}, dm[2];
    ew(TC_OP_MAX, TC_F64, TC_F64, 2, dx, dy, dm);
    assert_true(isnan(dm[0]) && dm[1] == 0 && !signbit(dm[1]));

    uint32_t ux[1] = {0xFFFFFFFFu}, uy[1] = {1}, ur[1];
    ew(TC_OP_MAX, TC_U32, TC_U32, 1, ux, uy, ur);
    assert_int_equal(ur[0], 0xFFFFFFFFu);
    int32_t sx[1] = {-1}, sy[1] = {1}, sr[1];
    ew(TC_OP_MIN, TC_I32, TC_I32, 1, sx, sy, sr);
    assert_int_equal(sr[0], -1);

    float fx[2] = {7.5f, -7.5f}, fy[2] = {2.0f, 2.0f}, fr[2];
    ew(TC_OP_REM, TC_F32, TC_F32, 2, fx, fy, fr);
    assert_true(fr[0] == 1.5f && fr[1] == -1.5f);
    ew(TC_OP_DIV, TC_F32, TC_F32, 2, fx, (float[2]){0.0f, 0.0f}, fr);
    assert_true(isinf(fr[0]) && fr[0] > 0 && isinf(fr[1]) && fr[1] < 0);
}

static void test_casts(void **state)
{
    (void)state;
    float f[6] = {300.0f, -300.0f, NAN, 2.9f, -2.9f, INFINITY};
    int8_t i8[6];
    ew(TC_OP_CAST, TC_F32, TC_I8, 6, f, NULL, i8);
    int8_t ei8[6] = {127, -128, 0, 2, -2, 127};
    assert_memory_equal(i8, ei8, 6);
    uint8_t u8[6];
    ew(TC_OP_CAST, TC_F32, TC_U8, 6, f, NULL, u8);
    uint8_t eu8[6] = {255, 0, 0, 2, 0, 255};
    assert_memory_equal(u8, eu8, 6);

    float big[3] = {1e30f, -1e30f, 9.3e18f};
    int64_t i64[3];
    ew(TC_OP_CAST, TC_F32, TC_I64, 3, big, NULL, i64);
    assert_true(i64[0] == INT64_MAX && i64[1] == INT64_MIN && i64[2] == INT64_MAX);
    uint64_t u64[3];
    ew(TC_OP_CAST, TC_F32, TC_U64, 3, big, NULL, u64);
    assert_true(u64[0] == UINT64_MAX && u64[1] == 0 && u64[2] == (uint64_t)9.3e18f);

    /* to bool: x != 0 (NaN is not 0) */
    float fb[3] = {0.0f, -0.0f, NAN};
    uint8_t b[3];
    ew(TC_OP_CAST, TC_F32, TC_BOOL, 3, fb, NULL, b);
    assert_int_equal(b[0], 0);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[2], 1);
    int32_t ib[2] = {5, 0};
    ew(TC_OP_CAST, TC_I32, TC_BOOL, 2, ib, NULL, b);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 0);
    uint8_t bb[2] = {1, 0};
    float bf[2];
    ew(TC_OP_CAST, TC_BOOL, TC_F32, 2, bb, NULL, bf);
    assert_true(bf[0] == 1.0f && bf[1] == 0.0f);

    /* int -> int: wrap, extension by the source's signedness */
    int32_t w[2] = {200, -1};
    int8_t w8[2];
    ew(TC_OP_CAST, TC_I32, TC_I8, 2, w, NULL, w8);
    assert_int_equal(w8[0], -56);
    int8_t s8[1] = {-1};
    uint32_t s32[1];
    ew(TC_OP_CAST, TC_I8, TC_U32, 1, s8, NULL, s32);
    assert_int_equal(s32[0], 0xFFFFFFFFu);
    uint8_t z8[1] = {255};
    int32_t z32[1];
    ew(TC_OP_CAST, TC_U8, TC_I32, 1, z8, NULL, z32);
    assert_int_equal(z32[0], 255);
    uint64_t bigu[1] = {UINT64_MAX};
    float fu[1];
    ew(TC_OP_CAST, TC_U64, TC_F32, 1, bigu, NULL, fu);
    assert_true(fu[0] == 18446744073709551616.0f);

    /* f32 -> f16: nearest even, overflow to inf */
    float h[5] = {1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, 65520.0f, 65519.0f, 0x1p-25f};
    uint16_t hb[5];
    ew(TC_OP_CAST, TC_F32, TC_F16, 5, h, NULL, hb);
    assert_int_equal(hb[0], 0x3C00);
    assert_int_equal(hb[1], 0x3C02);
    assert_int_equal(hb[2], 0x7C00);
    assert_int_equal(hb[3], 0x7BFF);
    assert_int_equal(hb[4], 0x0000);

    /* f64 -> f16 rounds once: 1 + 2^-11 + 2^-40 is above the tie */
    double d[2] = {1.0 + 0x1p-11 + 0x1p-40, 1.0 + 0x1p-11};
    uint16_t dh[2];
    ew(TC_OP_CAST, TC_F64, TC_F16, 2, d, NULL, dh);
    assert_int_equal(dh[0], 0x3C01);
    assert_int_equal(dh[1], 0x3C00);

    /* i32 -> bf16 rounds once: 2^24 + 2^16 + 1 is above the tie */
    int32_t ibf[1] = {(1 << 24) + (1 << 16) + 1};
    uint16_t bfo[1];
    ew(TC_OP_CAST, TC_I32, TC_BF16, 1, ibf, NULL, bfo);
    assert_true(tc_bf16_to_f32(bfo[0]) == (float)((1 << 24) + (1 << 17)));

    /* f16 -> f32 is exact; f32 -> f64 exact; f64 -> f32 nearest */
    uint16_t hin[1] = {0x3555};
    float hout[1];
    ew(TC_OP_CAST, TC_F16, TC_F32, 1, hin, NULL, hout);
    assert_true(hout[0] == tc_f16_to_f32(0x3555));
    double dd[1] = {0.1};
    float df[1];
    ew(TC_OP_CAST, TC_F64, TC_F32, 1, dd, NULL, df);
    assert_true(df[0] == 0.1f);
}

static void test_transcendentals(void **state)
{
    (void)state;
    float x[4] = {-1.5f, 0.25f, 2.0f, 0.0f}, r[4];
    ew(TC_OP_EXP, TC_F32, TC_F32, 4, x, NULL, r);
    for (int i = 0; i < 4; i++) assert_true(r[i] == expf(x[i]));
    ew(TC_OP_SIGMOID, TC_F32, TC_F32, 4, x, NULL, r);
    for (int i = 0; i < 4; i++) assert_true(r[i] == 1.0f / (1.0f + expf(-x[i])));
    ew(TC_OP_RSQRT, TC_F32, TC_F32, 4, x, NULL, r);
    assert_true(isnan(r[0]) && r[2] == 1.0f / sqrtf(2.0f) && isinf(r[3]));
    ew(TC_OP_ERF, TC_F32, TC_F32, 4, x, NULL, r);
    assert_true(r[1] == erff(0.25f));
    double dx[1] = {0.3}, dr[1];
    ew(TC_OP_TANH, TC_F64, TC_F64, 1, dx, NULL, dr);
    assert_true(dr[0] == tanh(0.3));
    ew(TC_OP_LOG2, TC_F64, TC_F64, 1, dx, NULL, dr);
    assert_true(dr[0] == log2(0.3));
}

/* (x + y) + y on f16 tiles is carried in f32 and rounded only by the store. */
static void test_f16_carried_in_f32(void **state)
{
    (void)state;
    Kern *k = kern_new();
    int64_t one = 1;
    TcIrValue *px = param(k, "x", ty_tensor(k, TC_F16, 1, NULL, &one, 0));
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_F16, 1, NULL, &one, TC_TENSOR_OUT));
    TcIrValue *zero = ci(k, 0);
    TcIrValue *t = tc_ir_build_load(&k->b, px, &zero, NULL, ty_1(k, TC_F16, 1));
    TcIrValue *c = tc_ir_build_const_float(&k->b, TC_F16, 0x1p-11);
    TcIrValue *cs = tc_ir_build_splat(&k->b, c, ty_1(k, TC_F16, 1));
    TcIrValue *s = tc_ir_build_binary(&k->b, TC_OP_ADD, tc_ir_build_binary(&k->b, TC_OP_ADD, t, cs), cs);
    tc_ir_build_store(&k->b, po, &zero, s);
    /* const f16 rounds once from the double */
    TcIrValue *q = tc_ir_build_const_float(&k->b, TC_F16, 1.0 + 0x1p-11 + 0x1p-40);
    TcIrValue *po2 = param(k, "o2", ty_tensor(k, TC_F16, 1, NULL, &one, TC_TENSOR_OUT));
    store_scalar(k, po2, 0, q);
    finish(k, 1, 0, 0);
    uint16_t x = 0x3C00, o = 0, o2 = 0;
    TcInterpArg args[3] = {targ1(TC_F16, &x, 1), targ1(TC_F16, &o, 1), targ1(TC_F16, &o2, 1)};
    run_ok(k, args);
    assert_int_equal(o, 0x3C01);
    assert_int_equal(o2, 0x3C01);
    kern_free(k);
}

/* o[0..8) = load(x, [off], [8], pad) for x = {1, 2, 3, 4, 5}. */
static void load_case(TcDtype offdt, int64_t off, bool with_pad, float pad, const float *want)
{
    Kern *k = kern_new();
    const char *sym[1] = {"N"};
    int64_t eight = 8;
    TcIrValue *px = param(k, "x", ty_tensor(k, TC_F32, 1, sym, NULL, 0));
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_F32, 1, NULL, &eight, TC_TENSOR_OUT));
    TcIrValue *poff = param(k, "off", ty_s(k, offdt));
    tc_ir_func_add_size(k->f, "N");
    TcIrValue *pv = with_pad ? tc_ir_build_const_float(&k->b, TC_F32, pad) : NULL;
    TcIrValue *t = tc_ir_build_load(&k->b, px, &poff, pv, ty_1(k, TC_F32, 8));
    TcIrValue *zero = ci(k, 0);
    tc_ir_build_store(&k->b, po, &zero, t);
    finish(k, 1, 0, 0);
    float x[5] = {1, 2, 3, 4, 5}, o[8];
    TcInterpArg args[3] = {targ1(TC_F32, x, 5), targ1(TC_F32, o, 8), sarg_i(off)};
    run_ok(k, args);
    for (int i = 0; i < 8; i++) {
        if (o[i] != want[i]) print_message("o[%d] = %g, want %g\n", i, o[i], want[i]);
        assert_true(o[i] == want[i]);
    }
    kern_free(k);
}

static void test_load_padding(void **state)
{
    (void)state;
    load_case(TC_I32, 3, false, 0, (float[8]){4, 5, 0, 0, 0, 0, 0, 0});
    load_case(TC_I32, -2, false, 0, (float[8]){0, 0, 1, 2, 3, 4, 5, 0});
    load_case(TC_I32, 3, true, -7, (float[8]){4, 5, -7, -7, -7, -7, -7, -7});
    load_case(TC_I64, INT64_MAX, true, 9, (float[8]){9, 9, 9, 9, 9, 9, 9, 9});
    load_case(TC_I64, INT64_MIN, true, 9, (float[8]){9, 9, 9, 9, 9, 9, 9, 9});
    load_case(TC_U64, -1, true, 9, (float[8]){9, 9, 9, 9, 9, 9, 9, 9});
    load_case(TC_U32, 0xFFFFFFFFu, true, 9, (float[8]){9, 9, 9, 9, 9, 9, 9, 9});
    load_case(TC_I8, -8, true, 9, (float[8]){9, 9, 9, 9, 9, 9, 9, 9});
    load_case(TC_U8, 4, false, 0, (float[8]){5, 0, 0, 0, 0, 0, 0, 0});
}

/* store(o, [off0, off1], x) of a [4, 4] tile x[i][j] = 10 i + j into o: [3, 5]
 * embedded in a NaN-filled buffer; checks exactly the inside positions. */
static void store_case(int64_t off0, int64_t off1)
{
    Kern *k = kern_new();
    int64_t xs[2] = {4, 4}, os[2] = {3, 5};
    TcIrValue *px = param(k, "x", ty_tensor(k, TC_F32, 2, NULL, xs, 0));
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_F32, 2, NULL, os, TC_TENSOR_OUT));
    TcIrValue *p0 = param(k, "o0", ty_s(k, TC_I32));
    TcIrValue *p1 = param(k, "o1", ty_s(k, TC_I64));
    TcIrValue *z[2] = {ci(k, 0), ci(k, 0)};
    TcIrValue *t = tc_ir_build_load(&k->b, px, z, NULL, ty_2(k, TC_F32, 4, 4));
    TcIrValue *offs[2] = {p0, p1};
    tc_ir_build_store(&k->b, po, offs, t);
    finish(k, 1, 0, 0);
    float x[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(10 * i + j);
    enum { LD = 9, ROWS = 7 };
    float buf[ROWS * LD];
    for (int i = 0; i < ROWS * LD; i++) buf[i] = NAN;
    float *o = buf + 2 * LD + 2; /* o[r][c] = buf[(r + 2) * LD + c + 2] */
    TcInterpArg args[4] = {targ2(TC_F32, x, 4, 4, 4), targ2(TC_F32, o, 3, 5, LD), sarg_i(off0), sarg_i(off1)};
    run_ok(k, args);
    for (int r = -2; r < ROWS - 2; r++)
        for (int cc = -2; cc < LD - 2; cc++) {
            float got = buf[(r + 2) * LD + cc + 2];
            int64_t i = r - off0;
            int64_t j = off1 > 1000 || off1 < -1000 ? -1 : cc - off1;
            bool inside = r >= 0 && r < 3 && cc >= 0 && cc < 5;
            if (inside && i >= 0 && i < 4 && j >= 0 && j < 4) assert_true(got == x[i * 4 + j]);
            else assert_true(isnan(got));
        }
    kern_free(k);
}

static void test_store_skips_outside(void **state)
{
    (void)state;
    store_case(0, 0);
    store_case(-1, 2);
    store_case(2, -3);
    store_case(-4, 0);
    store_case(0, INT64_MAX);
    store_case(1, INT64_MIN);
}

/* Views: row i of a [3, 4] tensor, loaded (pad 0) and stored to. */
static void view_case(int32_t row, bool expect_inside)
{
    Kern *k = kern_new();
    const char *sym[2] = {"R", "C"};
    TcIrValue *px = param(k, "x", ty_tensor(k, TC_F32, 2, sym, NULL, 0));
    TcIrValue *pt = param(k, "t", ty_tensor(k, TC_F32, 2, sym, NULL, TC_TENSOR_INOUT));
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_F32, 1, &sym[1], NULL, TC_TENSOR_OUT));
    TcIrValue *pi = param(k, "i", ty_s(k, TC_I32));
    tc_ir_func_add_size(k->f, "R");
    tc_ir_func_add_size(k->f, "C");
    TcIrValue *zero = ci(k, 0);
    TcIrValue *vx = tc_ir_build_view(&k->b, px, 1, &pi);
    TcIrValue *t = tc_ir_build_load(&k->b, vx, &zero, NULL, ty_1(k, TC_F32, 4));
    tc_ir_build_store(&k->b, po, &zero, t);
    TcIrValue *vt = tc_ir_build_view(&k->b, pt, 1, &pi);
    TcIrValue *c = tc_ir_build_splat(&k->b, tc_ir_build_const_float(&k->b, TC_F32, -1), ty_1(k, TC_F32, 4));
    tc_ir_build_store(&k->b, vt, &zero, c);
    finish(k, 1, 0, 0);
    float x[12], tt[12], o[4] = {7, 7, 7, 7};
    for (int i = 0; i < 12; i++) x[i] = tt[i] = (float)i;
    TcInterpArg args[4] = {targ2(TC_F32, x, 3, 4, 4), targ2(TC_F32, tt, 3, 4, 4), targ1(TC_F32, o, 4),
                           sarg_i(row)};
    run_ok(k, args);
    for (int j = 0; j < 4; j++) assert_true(o[j] == (expect_inside ? x[row * 4 + j] : 0.0f));
    for (int i = 0; i < 12; i++) {
        bool written = expect_inside && i / 4 == row;
        assert_true(tt[i] == (written ? -1.0f : (float)i));
    }
    kern_free(k);
}

static void test_views(void **state)
{
    (void)state;
    view_case(0, true);
    view_case(2, true);
    view_case(3, false);
    view_case(-1, false);
    view_case(INT32_MAX, false);
}

static void test_shape_ops(void **state)
{
    (void)state;
    Kern *k = kern_new();
    int64_t s34[2] = {3, 4}, s32[2] = {3, 2}, s423[3] = {4, 2, 3}, one = 1;
    TcIrValue *o1 = param(k, "o1", ty_tensor(k, TC_I32, 2, NULL, s34, TC_TENSOR_OUT));
    TcIrValue *o2 = param(k, "o2", ty_tensor(k, TC_I32, 2, NULL, s34, TC_TENSOR_OUT));
    TcIrValue *o3 = param(k, "o3", ty_tensor(k, TC_I32, 2, NULL, s32, TC_TENSOR_OUT));
    TcIrValue *o4 = param(k, "o4", ty_tensor(k, TC_I32, 3, NULL, s423, TC_TENSOR_OUT));
    TcIrValue *o5 = param(k, "o5", ty_tensor(k, TC_I32, 1, NULL, &one, TC_TENSOR_OUT));
    TcIrValue *z[3] = {ci(k, 0), ci(k, 0), ci(k, 0)};
    /* arange(4)[None, :] broadcast to [3, 4]: o1[r][c] = c */
    TcIrValue *a4 = tc_ir_build_arange(&k->b, 4);
    TcIrValue *row = tc_ir_build_expand_dims(&k->b, a4, 0);
    tc_ir_build_store(&k->b, o1, z, tc_ir_build_broadcast(&k->b, row, ty_2(k, TC_I32, 3, 4)));
    /* arange(3)[:, None] broadcast to [3, 4]: o2[r][c] = r */
    TcIrValue *col = tc_ir_build_expand_dims(&k->b, tc_ir_build_arange(&k->b, 3), 1);
    tc_ir_build_store(&k->b, o2, z, tc_ir_build_broadcast(&k->b, col, ty_2(k, TC_I32, 3, 4)));
    /* trans(reshape(arange(6), [2, 3])): o3[i][j] = 3 j + i */
    TcIrValue *m23 = tc_ir_build_reshape(&k->b, tc_ir_build_arange(&k->b, 6), ty_2(k, TC_I32, 2, 3));
    int64_t perm2[2] = {1, 0};
    tc_ir_build_store(&k->b, o3, z, tc_ir_build_trans(&k->b, m23, 2, perm2));
    /* 3-d: source [2, 3, 4] = arange(24), perm {2, 0, 1} gives [4, 2, 3] with
     * r[i0][i1][i2] = s[i1][i2][i0] = 12 i1 + 4 i2 + i0 */
    int64_t s234[3] = {2, 3, 4}, perm3[3] = {2, 0, 1};
    TcIrValue *m234 = tc_ir_build_reshape(&k->b, tc_ir_build_arange(&k->b, 24), tc_type_tile(k->m, TC_I32, 3, s234));
    tc_ir_build_store(&k->b, o4, z, tc_ir_build_trans(&k->b, m234, 3, perm3));
    /* expand_dims of a scalar gives [1] */
    tc_ir_build_store(&k->b, o5, z, tc_ir_build_expand_dims(&k->b, ci(k, 42), 0));
    finish(k, 1, 0, 0);
    int32_t r1[12], r2[12], r3[6], r4[24], r5[1];
    TcInterpArg args[5] = {targ2(TC_I32, r1, 3, 4, 4), targ2(TC_I32, r2, 3, 4, 4), targ2(TC_I32, r3, 3, 2, 2),
                           targ1(TC_I32, r4, 24), targ1(TC_I32, r5, 1)};
    args[3].tensor = (TcTensorArg){.data = r4, .dtype = TC_I32, .rank = 3, .sizes = {4, 2, 3}, .strides = {6, 3, 1}};
    run_ok(k, args);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) {
            assert_int_equal(r1[r * 4 + c], c);
            assert_int_equal(r2[r * 4 + c], r);
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) assert_int_equal(r3[i * 2 + j], 3 * j + i);
    for (int i0 = 0; i0 < 4; i0++)
        for (int i1 = 0; i1 < 2; i1++)
            for (int i2 = 0; i2 < 3; i2++) assert_int_equal(r4[i0 * 6 + i1 * 3 + i2], 12 * i1 + 4 * i2 + i0);
    assert_int_equal(r5[0], 42);
    kern_free(k);
}

static void test_reductions(void **state)
{
    (void)state;
    Kern *k = kern_new();
    int64_t s23[2] = {2, 3}, three = 3, two = 2, one = 1;
    TcIrValue *px = param(k, "x", ty_tensor(k, TC_F32, 2, NULL, s23, 0));
    TcIrValue *os0 = param(k, "sum0", ty_tensor(k, TC_F32, 1, NULL, &three, TC_TENSOR_OUT));
    TcIrValue *os1 = param(k, "sum1", ty_tensor(k, TC_F32, 1, NULL, &two, TC_TENSOR_OUT));
    TcIrValue *omx = param(k, "max1", ty_tensor(k, TC_F32, 1, NULL, &two, TC_TENSOR_OUT));
    TcIrValue *omn = param(k, "min0", ty_tensor(k, TC_F32, 1, NULL, &three, TC_TENSOR_OUT));
    TcIrValue *osc = param(k, "all", ty_tensor(k, TC_F32, 1, NULL, &one, TC_TENSOR_OUT));
    TcIrValue *oi = param(k, "isum", ty_tensor(k, TC_I8, 1, NULL, &one, TC_TENSOR_OUT));
    TcIrValue *z[2] = {ci(k, 0), ci(k, 0)};
    TcIrValue *t = tc_ir_build_load(&k->b, px, z, NULL, ty_2(k, TC_F32, 2, 3));
    tc_ir_build_store(&k->b, os0, z, tc_ir_build_reduce(&k->b, TC_OP_REDUCE_SUM, t, 0));
    tc_ir_build_store(&k->b, os1, z, tc_ir_build_reduce(&k->b, TC_OP_REDUCE_SUM, t, 1));
    tc_ir_build_store(&k->b, omx, z, tc_ir_build_reduce(&k->b, TC_OP_REDUCE_MAX, t, 1));
    tc_ir_build_store(&k->b, omn, z, tc_ir_build_reduce(&k->b, TC_OP_REDUCE_MIN, t, 0));
    TcIrValue *rs = tc_ir_build_reduce(&k->b, TC_OP_REDUCE_SUM, tc_ir_build_reduce(&k->b, TC_OP_REDUCE_SUM, t, 1), 0);
    assert_true(tc_type_is_scalar(rs->type));
    store_scalar(k, osc, 0, rs);
    /* i8 sums wrap: 100 + 100 + 100 = 300 -> 44 */
    TcIrValue *h = tc_ir_build_splat(&k->b, tc_ir_build_const_int(&k->b, TC_I8, 100), ty_1(k, TC_I8, 3));
    store_scalar(k, oi, 0, tc_ir_build_reduce(&k->b, TC_OP_REDUCE_SUM, h, 0));
    finish(k, 1, 0, 0);
    float x[6] = {1, 2, 3, 4, NAN, -6}, s0[3], s1[2], mx[2], mn[3], all[1];
    int8_t is[1];
    TcInterpArg args[7] = {targ2(TC_F32, x, 2, 3, 3), targ1(TC_F32, s0, 3), targ1(TC_F32, s1, 2),
                           targ1(TC_F32, mx, 2),     targ1(TC_F32, mn, 3), targ1(TC_F32, all, 1),
                           targ1(TC_I8, is, 1)};
    run_ok(k, args);
    assert_true(s0[0] == 5 && isnan(s0[1]) && s0[2] == -3);
    assert_true(s1[0] == 6 && isnan(s1[1]));
    assert_true(mx[0] == 3 && isnan(mx[1]));
    assert_true(mn[0] == 1 && isnan(mn[1]) && mn[2] == -6);
    assert_true(isnan(all[0]));
    assert_int_equal(is[0], 44);
    kern_free(k);
}

/* o = dot(a, b, acc) with a: [M, K], b: [K, N] of dt, acc/o: [M, N] of adt. */
static void dot_case(TcDtype dt, TcDtype adt, int64_t M, int64_t N, int64_t K, void *a, void *b, void *acc,
                     void *o)
{
    Kern *k = kern_new();
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    TcIrValue *pa = param(k, "a", ty_tensor(k, dt, 2, NULL, sa, 0));
    TcIrValue *pb = param(k, "b", ty_tensor(k, dt, 2, NULL, sb, 0));
    TcIrValue *pc = param(k, "c", ty_tensor(k, adt, 2, NULL, sc, 0));
    TcIrValue *po = param(k, "o", ty_tensor(k, adt, 2, NULL, sc, TC_TENSOR_OUT));
    TcIrValue *z[2] = {ci(k, 0), ci(k, 0)};
    TcIrValue *ta = tc_ir_build_load(&k->b, pa, z, NULL, ty_2(k, dt, M, K));
    TcIrValue *tb = tc_ir_build_load(&k->b, pb, z, NULL, ty_2(k, dt, K, N));
    TcIrValue *tc = tc_ir_build_load(&k->b, pc, z, NULL, ty_2(k, adt, M, N));
    tc_ir_build_store(&k->b, po, z, tc_ir_build_dot(&k->b, ta, tb, tc));
    finish(k, 1, 0, 0);
    TcInterpArg args[4] = {targ2(dt, a, M, K, K), targ2(dt, b, K, N, N), targ2(adt, acc, M, N, N),
                           targ2(adt, o, M, N, N)};
    run_ok(k, args);
    kern_free(k);
}

static void test_dot(void **state)
{
    (void)state;
    /* f16 operands, f32 accumulator: products and sums rounded in f32, k ascending */
    float af[6] = {0.5f, -1.25f, 3.0f, 0.1f, 7.0f, -0.3f}, bf[6] = {1.5f, 2.0f, -0.75f, 0.2f, 1e-3f, 4.0f};
    uint16_t a[6], b[6];
    for (int i = 0; i < 6; i++) {
        a[i] = tc_f32_to_f16(af[i]);
        b[i] = tc_f32_to_f16(bf[i]);
    }
    float acc[4] = {1.0f, -2.0f, 1e8f, 0.0f}, o[4];
    dot_case(TC_F16, TC_F32, 2, 2, 3, a, b, acc, o);
    for (int m = 0; m < 2; m++)
        for (int n = 0; n < 2; n++) {
            float s = acc[m * 2 + n];
            for (int kk = 0; kk < 3; kk++) {
                float p = tc_f16_to_f32(a[m * 3 + kk]) * tc_f16_to_f32(b[kk * 2 + n]);
                s = s + p;
            }
            assert_true(o[m * 2 + n] == s);
        }
    /* not fused: (1 + 2^-12)^2 rounds to 1 + 2^-11 in f32 before the add */
    float x1[1] = {1.0f + 0x1p-12f}, acc1[1] = {-(1.0f + 0x1p-11f)}, o1[1];
    dot_case(TC_F32, TC_F32, 1, 1, 1, x1, x1, acc1, o1);
    assert_true(o1[0] == 0.0f);
    /* integers wrap to the accumulator's width */
    int32_t ia[1] = {65536}, ib[1] = {65536}, ic[1] = {5}, io[1];
    dot_case(TC_I32, TC_I32, 1, 1, 1, ia, ib, ic, io);
    assert_int_equal(io[0], 5);
    int8_t ja[2] = {-128, -128}, jb[2] = {-128, 127};
    int32_t jc[1] = {1}, jo[1];
    dot_case(TC_I8, TC_I32, 1, 1, 2, ja, jb, jc, jo);
    assert_int_equal(jo[0], 16384 - 16256 + 1);
}

/* Loop over range(lo, hi, step) of dtype dt: o[0] = iterations, o[1] = sum of iv. */
static void for_case(TcDtype dt, int64_t lo, int64_t hi, int64_t step, int32_t want_n, int32_t want_sum)
{
    Kern *k = kern_new();
    int64_t two = 2;
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_I32, 1, NULL, &two, TC_TENSOR_OUT));
    TcIrValue *plo = param(k, "lo", ty_s(k, dt)), *phi = param(k, "hi", ty_s(k, dt));
    TcIrValue *pst = param(k, "step", ty_s(k, dt));
    TcIrValue *inits[2] = {ci(k, 0), ci(k, 0)};
    TcIrOp *loop = tc_ir_build_for(&k->b, plo, phi, pst, 2, inits);
    TcIrBuilder ib;
    tc_ir_builder_at_end(&ib, k->f, loop->regions[0]);
    TcIrValue **args = loop->regions[0]->args;
    TcIrValue *n1 = tc_ir_build_binary(&ib, TC_OP_ADD, args[1], tc_ir_build_const_int(&ib, TC_I32, 1));
    TcIrValue *iv32 = tc_ir_build_cast(&ib, args[0], ty_s(k, TC_I32));
    TcIrValue *s1 = tc_ir_build_binary(&ib, TC_OP_ADD, args[2], iv32);
    TcIrValue *y[2] = {n1, s1};
    tc_ir_build_yield(&ib, 2, y);
    store_scalar(k, po, 0, loop->results[0]);
    store_scalar(k, po, 1, loop->results[1]);
    finish(k, 1, 0, 0);
    int32_t o[2] = {-1, -1};
    TcInterpArg a[4] = {targ1(TC_I32, o, 2), sarg_i(lo), sarg_i(hi), sarg_i(step)};
    run_ok(k, a);
    assert_int_equal(o[0], want_n);
    assert_int_equal(o[1], want_sum);
    kern_free(k);
}

static void test_for_loops(void **state)
{
    (void)state;
    for_case(TC_I32, 0, 10, 3, 4, 18);
    for_case(TC_I32, 5, 5, 1, 0, 0);
    for_case(TC_I32, 0, 10, 0, 0, 0);
    for_case(TC_I32, 0, 10, -1, 0, 0);
    for_case(TC_I32, -5, -1, 2, 2, -8);
    for_case(TC_I8, 120, 127, 5, 2, 245);      /* 125 + 5 overflows i8: stop */
    for_case(TC_U8, 0, 255, 100, 3, 300);      /* 200 + 100 overflows u8: stop */
    for_case(TC_U8, 0, 10, 0, 0, 0);
    for_case(TC_I32, INT32_MAX - 3, INT32_MAX, 2, 2, (int32_t)((uint32_t)(INT32_MAX - 3) * 2u + 2u));
    for_case(TC_I64, INT64_MAX - 5, INT64_MAX, 4, 2, (int32_t)(uint32_t)(((uint64_t)(INT64_MAX - 5) * 2u + 4u)));
    for_case(TC_U32, 0xFFFFFFF0u, 0xFFFFFFFFu, 8, 2, (int32_t)(0xFFFFFFF0u + 0xFFFFFFF8u));
}

/* Carried values are all replaced at once: yield (b, a) swaps every
 * iteration; a carried tile accumulates over many iterations. */
static void test_for_carried(void **state)
{
    (void)state;
    Kern *k = kern_new();
    int64_t two = 2, sixty4 = 64;
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_I32, 1, NULL, &two, TC_TENSOR_OUT));
    TcIrValue *pt = param(k, "t", ty_tensor(k, TC_F32, 1, NULL, &sixty4, TC_TENSOR_OUT));
    TcIrValue *pn = param(k, "n", ty_s(k, TC_I32));
    TcIrValue *zero = ci(k, 0);
    TcIrValue *acc0 = tc_ir_build_splat(&k->b, tc_ir_build_const_float(&k->b, TC_F32, 0), ty_1(k, TC_F32, 64));
    TcIrValue *inits[3] = {ci(k, 1), ci(k, 2), acc0};
    TcIrOp *loop = tc_ir_build_for(&k->b, zero, pn, ci(k, 1), 3, inits);
    TcIrBuilder ib;
    tc_ir_builder_at_end(&ib, k->f, loop->regions[0]);
    TcIrValue **a = loop->regions[0]->args;
    TcIrValue *inc = tc_ir_build_cast(&ib, tc_ir_build_arange(&ib, 64), ty_1(k, TC_F32, 64));
    TcIrValue *acc = tc_ir_build_binary(&ib, TC_OP_ADD, a[3], inc);
    TcIrValue *y[3] = {a[2], a[1], acc};
    tc_ir_build_yield(&ib, 3, y);
    store_scalar(k, po, 0, loop->results[0]);
    store_scalar(k, po, 1, loop->results[1]);
    tc_ir_build_store(&k->b, pt, &zero, loop->results[2]);
    finish(k, 1, 0, 0);
    int32_t o[2];
    float t[64];
    TcInterpArg args[3] = {targ1(TC_I32, o, 2), targ1(TC_F32, t, 64), sarg_i(1001)};
    run_ok(k, args);
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 1);
    for (int i = 0; i < 64; i++) assert_true(t[i] == 1001.0f * i);
    kern_free(k);
}

static void if_case(bool c, int32_t want)
{
    Kern *k = kern_new();
    int64_t two = 2;
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_I32, 1, NULL, &two, TC_TENSOR_OUT));
    TcIrValue *pc = param(k, "c", ty_s(k, TC_BOOL));
    TcType *i32 = ty_s(k, TC_I32);
    TcIrOp *op = tc_ir_build_if(&k->b, pc, 1, &i32);
    TcIrBuilder tb, eb;
    tc_ir_builder_at_end(&tb, k->f, op->regions[0]);
    tc_ir_builder_at_end(&eb, k->f, op->regions[1]);
    TcIrValue *one = tc_ir_build_const_int(&tb, TC_I32, 1);
    TcIrValue *t1 = tc_ir_build_splat(&tb, one, ty_1(k, TC_I32, 1));
    TcIrValue *off1 = tc_ir_build_const_int(&tb, TC_I32, 1);
    tc_ir_build_store(&tb, po, &off1, t1); /* side effect only in the then arm */
    tc_ir_build_yield(&tb, 1, &one);
    TcIrValue *twov = tc_ir_build_const_int(&eb, TC_I32, 2);
    tc_ir_build_yield(&eb, 1, &twov);
    store_scalar(k, po, 0, op->results[0]);
    finish(k, 1, 0, 0);
    int32_t o[2] = {0, 0};
    TcInterpArg a[2] = {targ1(TC_I32, o, 2), sarg_i(c)};
    run_ok(k, a);
    assert_int_equal(o[0], want);
    assert_int_equal(o[1], c ? 1 : 0);
    kern_free(k);
}

static void test_if(void **state)
{
    (void)state;
    if_case(true, 1);
    if_case(false, 2);
}

/* grid(g0, g1, g2) from scalar params; each instance records the order in
 * which it ran and its ids. */
static Kern *grid_kernel(void)
{
    Kern *k = kern_new();
    int64_t one = 1;
    const char *sym[1] = {"N"};
    TcIrValue *pseq = param(k, "seq", ty_tensor(k, TC_I32, 1, NULL, &one, TC_TENSOR_INOUT));
    TcIrValue *pord = param(k, "order", ty_tensor(k, TC_I32, 1, sym, NULL, TC_TENSOR_OUT));
    TcIrValue *pids = param(k, "ids", ty_tensor(k, TC_I32, 1, sym, NULL, TC_TENSOR_OUT));
    TcIrValue *pg[3] = {param(k, "g0", ty_s(k, TC_I32)), param(k, "g1", ty_s(k, TC_I32)),
                        param(k, "g2", ty_s(k, TC_I32))};
    tc_ir_func_add_size(k->f, "N");
    TcIrBuilder *b = &k->b;
    TcIrValue *zero = ci(k, 0);
    TcIrValue *p[3], *np[3];
    for (uint32_t i = 0; i < 3; i++) {
        p[i] = tc_ir_build_program_id(b, TC_OP_PROGRAM_ID, i);
        np[i] = tc_ir_build_program_id(b, TC_OP_NUM_PROGRAMS, i);
    }
    /* flat = p0 + np0 * (p1 + np1 * p2) */
    TcIrValue *flat = tc_ir_build_binary(b, TC_OP_ADD, p[0],
        tc_ir_build_binary(b, TC_OP_MUL, np[0],
            tc_ir_build_binary(b, TC_OP_ADD, p[1], tc_ir_build_binary(b, TC_OP_MUL, np[1], p[2]))));
    TcIrValue *cnt = tc_ir_build_load(b, pseq, &zero, NULL, ty_1(k, TC_I32, 1));
    tc_ir_build_store(b, pord, &flat, cnt);
    TcIrValue *onet = tc_ir_build_splat(b, ci(k, 1), ty_1(k, TC_I32, 1));
    tc_ir_build_store(b, pseq, &zero, tc_ir_build_binary(b, TC_OP_ADD, cnt, onet));
    /* ids[flat] = p0 + 10 p1 + 100 p2 + 1000 (np0 + np1 + np2) */
    TcIrValue *id = tc_ir_build_binary(b, TC_OP_ADD, p[0], tc_ir_build_binary(b, TC_OP_MUL, p[1], ci(k, 10)));
    id = tc_ir_build_binary(b, TC_OP_ADD, id, tc_ir_build_binary(b, TC_OP_MUL, p[2], ci(k, 100)));
    TcIrValue *nsum = tc_ir_build_binary(b, TC_OP_ADD, np[0], tc_ir_build_binary(b, TC_OP_ADD, np[1], np[2]));
    id = tc_ir_build_binary(b, TC_OP_ADD, id, tc_ir_build_binary(b, TC_OP_MUL, nsum, ci(k, 1000)));
    TcIrValue *idt = tc_ir_build_splat(b, id, ty_1(k, TC_I32, 1));
    tc_ir_build_store(b, pids, &flat, idt);
    /* grid: (g0, g1 + 0, g2) computed in the grid block from the params */
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    TcIrValue *g1 = tc_ir_build_binary(&gb, TC_OP_ADD, pg[1], tc_ir_build_const_int(&gb, TC_I32, 0));
    TcIrValue *g[3] = {pg[0], g1, pg[2]};
    tc_ir_build_yield(&gb, 3, g);
    return k;
}

static void test_grid(void **state)
{
    (void)state;
    Kern *k = grid_kernel();
    int32_t seq = 0, order[12], ids[12];
    TcInterpArg a[6] = {targ1(TC_I32, &seq, 1), targ1(TC_I32, order, 12), targ1(TC_I32, ids, 12),
                        sarg_i(3), sarg_i(2), sarg_i(2)};
    run_ok(k, a);
    assert_int_equal(seq, 12);
    for (int i = 0; i < 12; i++) {
        int p0 = i % 3, p1 = (i / 3) % 2, p2 = i / 6;
        assert_int_equal(order[i], i); /* axis 0 fastest */
        assert_int_equal(ids[i], p0 + 10 * p1 + 100 * p2 + 7000);
    }
    /* an extent <= 0 runs nothing */
    seq = 0;
    a[3] = sarg_i(0);
    run_ok(k, a);
    assert_int_equal(seq, 0);
    a[3] = sarg_i(4);
    a[5] = sarg_i(-1);
    run_ok(k, a);
    assert_int_equal(seq, 0);
    /* the instance limit */
    a[5] = sarg_i(1);
    TcInterpOptions opt = {.max_program_instances = 7};
    run_err_opt(k, a, &opt, "limit of 7");
    opt.max_program_instances = 8;
    run_ok_opt(k, a, &opt);
    assert_int_equal(seq, 8);
    kern_free(k);
}

/* a: f32[M, K], b: f32[K, N] with an out c: f32[M, N] (nothing stored). */
static Kern *sizes_kernel(unsigned bflags)
{
    Kern *k = kern_new();
    const char *sa[2] = {"M", "K"}, *sb[2] = {"K", "N"}, *sc[2] = {"M", "N"};
    param(k, "a", ty_tensor(k, TC_F32, 2, sa, NULL, 0));
    TcIrValue *pb = param(k, "b", ty_tensor(k, TC_F32, 2, sb, NULL, bflags));
    TcIrValue *pc = param(k, "c", ty_tensor(k, TC_F32, 2, sc, NULL, TC_TENSOR_OUT));
    tc_ir_func_add_size(k->f, "M");
    tc_ir_func_add_size(k->f, "K");
    tc_ir_func_add_size(k->f, "N");
    TcIrValue *z[2] = {ci(k, 0), ci(k, 0)};
    tc_ir_build_store(&k->b, pc, z, tc_ir_build_load(&k->b, pb, z, NULL, ty_2(k, TC_F32, 2, 2)));
    finish(k, 1, 0, 0);
    return k;
}

static void test_argument_errors(void **state)
{
    (void)state;
    float a[64] = {0}, b[64], c[64];
    for (int i = 0; i < 64; i++) b[i] = (float)i;
    Kern *k = sizes_kernel(0);
    TcInterpArg args[3] = {targ2(TC_F32, a, 3, 29, 29), targ2(TC_F32, b, 31, 2, 2), targ2(TC_F32, c, 3, 2, 2)};
    char err[256];
    assert_false(tc_interp_run(k->f, args, NULL, err, sizeof err));
    assert_string_equal(err, "size K is 29 in 'a' (dim 1) but 31 in 'b' (dim 0)");
    args[1] = targ2(TC_F32, b, 29, 2, 2);
    run_ok(k, args);
    assert_true(c[0] == 0 && c[1] == 1 && c[2] == 2 && c[3] == 3);
    args[2] = targ2(TC_F32, c, 3, 5, 5);
    assert_false(tc_interp_run(k->f, args, NULL, err, sizeof err));
    assert_string_equal(err, "size N is 2 in 'b' (dim 1) but 5 in 'c' (dim 1)");
    args[2] = targ2(TC_F32, c, 3, 2, 2);
    args[0].tensor.dtype = TC_F16;
    run_err(k, args, "argument 'a' has dtype f16, but the kernel expects f32");
    args[0] = targ1(TC_F32, a, 29);
    run_err(k, args, "argument 'a' has rank 1, but the kernel expects rank 2");
    args[0] = targ2(TC_F32, a, 3, 29, 29);
    args[1].tensor.strides[1] = 2;
    run_err(k, args, "argument 'b' has innermost stride 2");
    args[1].tensor.strides[1] = 1;
    args[1].tensor.data = NULL;
    run_err(k, args, "argument 'b' has 58 elements but no data");
    args[1] = targ2(TC_F32, b, 29, 2, 2);
    args[0].tensor.sizes[0] = (int64_t)INT32_MAX + 1;
    run_err(k, args, "more than INT32_MAX");
    args[0].tensor.sizes[0] = -1;
    run_err(k, args, "negative size");
    kern_free(k);

    /* a strided parameter reads through any innermost stride */
    k = sizes_kernel(TC_TENSOR_STRIDED);
    args[0] = targ2(TC_F32, a, 3, 29, 29);
    args[1] = targ2(TC_F32, b, 29, 2, 4);
    args[1].tensor.strides[1] = 2;
    run_ok(k, args);
    assert_true(c[0] == 0 && c[1] == 2 && c[2] == 4 && c[3] == 6);
    kern_free(k);

    /* constant dims must match */
    k = kern_new();
    int64_t four = 4;
    param(k, "x", ty_tensor(k, TC_F32, 1, NULL, &four, 0));
    finish(k, 1, 0, 0);
    TcInterpArg x = targ1(TC_F32, a, 5);
    run_err(k, &x, "argument 'x' dim 0 is 5, but the kernel requires 4");
    x = targ1(TC_F32, a, 4);
    run_ok(k, &x);
    kern_free(k);
}

static void test_tile_limit(void **state)
{
    (void)state;
    Kern *k = kern_new();
    int64_t n = 1024;
    TcIrValue *po = param(k, "o", ty_tensor(k, TC_I32, 1, NULL, &n, TC_TENSOR_OUT));
    TcIrValue *zero = ci(k, 0);
    tc_ir_build_store(&k->b, po, &zero, tc_ir_build_arange(&k->b, 1024));
    finish(k, 1, 0, 0);
    int32_t o[1024];
    TcInterpArg a = targ1(TC_I32, o, 1024);
    TcInterpOptions opt = {.max_tile_bytes = 4096};
    run_err_opt(k, &a, &opt, "limit of 4096 bytes");
    opt.max_tile_bytes = 8192;
    run_ok_opt(k, &a, &opt);
    assert_int_equal(o[1023], 1023);
    kern_free(k);
}

static void test_select_and_store_rounding(void **state)
{
    (void)state;
    Kern *k = kern_new();
    int64_t four = 4;
    TcIrValue *px = param(k, "x", ty_tensor(k, TC_F32, 1, NULL, &four, 0));
    TcIrValue *ph = param(k, "h", ty_tensor(k, TC_BF16, 1, NULL, &four, TC_TENSOR_OUT));
    TcIrValue *pb = param(k, "b", ty_tensor(k, TC_BOOL, 1, NULL, &four, TC_TENSOR_OUT));
    TcIrValue *pi = param(k, "i", ty_tensor(k, TC_U8, 1, NULL, &four, TC_TENSOR_OUT));
    TcIrValue *zero = ci(k, 0);
    TcIrValue *t = tc_ir_build_load(&k->b, px, &zero, NULL, ty_1(k, TC_F32, 4));
    TcIrValue *zt = tc_ir_build_splat(&k->b, tc_ir_build_const_float(&k->b, TC_F32, 0), ty_1(k, TC_F32, 4));
    TcIrValue *pos = tc_ir_build_binary(&k->b, TC_OP_GT, t, zt);
    TcIrValue *relu = tc_ir_build_select(&k->b, pos, t, zt);
    tc_ir_build_store(&k->b, ph, &zero, tc_ir_build_cast(&k->b, relu, ty_1(k, TC_BF16, 4)));
    tc_ir_build_store(&k->b, pb, &zero, pos);
    TcIrValue *ints = tc_ir_build_cast(&k->b, tc_ir_build_arange(&k->b, 4), ty_1(k, TC_U8, 4));
    TcIrValue *big = tc_ir_build_binary(&k->b, TC_OP_MUL, ints,
        tc_ir_build_splat(&k->b, tc_ir_build_const_int(&k->b, TC_U8, 100), ty_1(k, TC_U8, 4)));
    tc_ir_build_store(&k->b, pi, &zero, big);
    finish(k, 1, 0, 0);
    float x[4] = {-1.0f, 1.0f + 0x1p-8f, 3.0f + 0x1p-7f + 0x1p-20f, NAN};
    uint16_t h[4];
    uint8_t bo[4], io[4];
    TcInterpArg a[4] = {targ1(TC_F32, x, 4), targ1(TC_BF16, h, 4), targ1(TC_BOOL, bo, 4), targ1(TC_U8, io, 4)};
    run_ok(k, a);
    assert_int_equal(h[0], 0x0000);
    assert_int_equal(h[1], 0x3F80);   /* tie to even: 1.0 */
    assert_true(tc_bf16_to_f32(h[2]) == 3.0f + 0x1p-6f);
    assert_int_equal(h[3], 0x0000);   /* NaN > 0 is false */
    uint8_t eb[4] = {0, 1, 1, 0}, ei[4] = {0, 100, 200, 44};
    assert_memory_equal(bo, eb, 4);
    assert_memory_equal(io, ei, 4);
    kern_free(k);
}

/* ============================================================ part 2 */

static void check_input_unchanged(GBuf *g) { assert_memory_equal(g->mem, g->snapshot, g->bytes); }

/* Counts elements of the buffer outside the logical tensor that lost their poison. */
/* The output of the last case run without passes, to check that the same
 * case after the default pipeline gives bit-identical results. */
static float *raw_out;
static int64_t raw_n;

/* Compares output g with ref: |got - ref| <= atol + rtol |ref| everywhere,
 * and the guard border untouched. Prints the max abs error. A run without
 * passes is remembered; the run after the pipeline must match it bit for
 * bit (the passes may not change results). */
static void compare_out(const char *what, GBuf *g, const float *ref, double rtol, double atol, bool passes)
{
    double maxerr = 0;
    int64_t bad = 0, differ = 0;
    for (int64_t i = 0; i < g->numel; i++) {
        double got = gbuf_get(g, i), want = ref[i], e = fabs(got - want);
        if (!(e <= atol + rtol * fabs(want))) {
            if (bad < 5) print_message("  %s[%lld] = %.8g, want %.8g\n", what, (long long)i, got, want);
            bad++;
            e = isnan(e) ? INFINITY : e;
        }
        if (e > maxerr) maxerr = e;
    }
    if (!passes) {
        free(raw_out);
        raw_n = g->numel;
        raw_out = malloc((size_t)(raw_n ? raw_n : 1) * sizeof *raw_out);
        assert_non_null(raw_out);
        for (int64_t i = 0; i < raw_n; i++) raw_out[i] = gbuf_get(g, i);
    } else {
        assert_int_equal(raw_n, g->numel);
        for (int64_t i = 0; i < raw_n; i++) {
            float got = gbuf_get(g, i);
            if (memcmp(&got, &raw_out[i], sizeof got) != 0) differ++;
        }
        free(raw_out);
        raw_out = NULL;
    }
    int64_t dmg = guard_damage(g);
    print_message("  %-48s max abs err %.3g (%lld elements)\n", what, maxerr, (long long)g->numel);
    if (dmg) print_message("  %s: %lld guard elements written\n", what, (long long)dmg);
    if (differ) print_message("  %s: %lld elements differ from the run without passes\n", what, (long long)differ);
    assert_int_equal(bad, 0);
    assert_int_equal(dmg, 0);
    assert_int_equal(differ, 0);
}

/* A compiled example kernel. */
typedef struct Example {
    TcArena arena;
    TcDiagEngine de;
    TcIrModule *m;
    TcIrFunc *f;
} Example;

static void example_compile(Example *ex, const char *name, const TcConstOverride *defs, uint32_t ndefs,
                            bool passes)
{
    tc_test_rng_state = 0x9E3779B97F4A7C15u; /* both pass modes see the same inputs */
    tc_arena_init(&ex->arena);
    tc_diag_init(&ex->de, &ex->arena);
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s.tile", TILEC_SOURCE_DIR, name);
    TcSource src;
    const char *err = NULL;
    if (!tc_read_file(&ex->arena, path, (size_t)1 << 20, &src, &err)) {
        print_message("cannot read %s: %s\n", path, err ? err : "?");
        fail();
    }
    uint32_t fid = tc_diag_add_file(&ex->de, src);
    ex->m = tc_ir_module_new(&ex->arena);
    TcAstNode *ast = tc_parse_file(&ex->arena, &ex->m->strs, &ex->de, fid);
    TcSemaOptions so = {.defines = defs, .ndefines = ndefs, .kernel = NULL};
    bool ok = ex->de.nerrors == 0 && tc_sema_lower(ast, ex->m, &ex->de, &so);
    if (ok && passes) {
        TcPipeline p;
        TcPassOptions po = {0};
        ok = tc_pipeline_parse(TC_DEFAULT_PIPELINE, &ex->arena, &ex->de, &p) &&
             tc_pipeline_run(&p, ex->m, &ex->de, &po, NULL, NULL);
    }
    ex->f = ok ? tc_ir_module_find(ex->m, name) : NULL;
    if (!ex->f) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&ex->de, TC_DIAG_TEXT, &sb);
        print_message("compiling %s failed:\n%s\n", path, sb.data ? sb.data : "(no diagnostics)");
        tc_sb_free(&sb);
        tc_ir_module_free(ex->m);
        tc_arena_free(&ex->arena);
        fail();
    }
}

static void example_free(Example *ex)
{
    tc_ir_module_free(ex->m);
    tc_arena_free(&ex->arena);
}

static void example_run(Example *ex, const TcInterpArg *args)
{
    char err[512];
    bool ok = tc_interp_run(ex->f, args, NULL, err, sizeof err);
    if (!ok) print_message("interpreter error: %s\n", err);
    assert_true(ok);
}

static TcInterpArg tensor_of(GBuf *g)
{
    TcInterpArg a = {0};
    a.tensor = g->t;
    return a;
}

/* Every e2e case runs on the front end's IR (p = 0) and again after the
 * default pass pipeline (p = 1). */

static void gemm_case(int M, int N, int K, const TcConstOverride *defs, uint32_t ndefs, TcDtype T, bool passes)
{
    Example ex;
    example_compile(&ex, "gemm", defs, ndefs, passes);
    GBuf a, b, c;
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    float *da = gbuf_random(&a, T, 2, sa), *db = gbuf_random(&b, T, 2, sb);
    gbuf_init(&c, TC_F32, 2, sc);
    float alpha = 0.75f, *ref = malloc((size_t)M * N * sizeof *ref);
    assert_non_null(ref);
    ref_gemm(M, N, K, da, db, alpha, ref);
    TcInterpArg args[4] = {tensor_of(&a), tensor_of(&b), tensor_of(&c), sarg_f(alpha)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "gemm %s M=%d N=%d K=%d%s%s", tc_dtype_name(T), M, N, K, ndefs ? " (tiles -D)" : "",
             passes ? " +passes" : "");
    /* f32 accumulation of K products in [-1, 1]: 1e-3 per 32 terms of K */
    compare_out(what, &c, ref, 0, 1e-3 * ceil(K / 32.0), passes);
    check_input_unchanged(&a);
    check_input_unchanged(&b);
    free(da);
    free(db);
    free(ref);
    gbuf_free(&a);
    gbuf_free(&b);
    gbuf_free(&c);
    example_free(&ex);
}

static void test_e2e_gemm(void **state)
{
    (void)state;
    static const TcConstOverride small[3] = {{"BM", "32"}, {"BN", "16"}, {"BK", "8"}};
    static const TcConstOverride small_f32[4] = {{"BM", "32"}, {"BN", "16"}, {"BK", "8"}, {"T", "f32"}};
    for (int p = 0; p < 2; p++) gemm_case(37, 53, 29, NULL, 0, TC_F16, p);
    for (int p = 0; p < 2; p++) gemm_case(37, 53, 29, small, 3, TC_F16, p);
    for (int p = 0; p < 2; p++) gemm_case(37, 53, 29, small_f32, 4, TC_F32, p);
}

static void gemm_bias_relu_case(int M, int N, int K, const TcConstOverride *defs, uint32_t ndefs, bool passes)
{
    Example ex;
    example_compile(&ex, "gemm_bias_relu", defs, ndefs, passes);
    GBuf a, b, bias, y;
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sn[1] = {N}, sy[2] = {M, N};
    float *da = gbuf_random(&a, TC_F16, 2, sa), *db = gbuf_random(&b, TC_F16, 2, sb);
    float *dbias = gbuf_random(&bias, TC_F32, 1, sn);
    gbuf_init(&y, TC_F16, 2, sy);
    float *ref = malloc((size_t)M * N * sizeof *ref);
    assert_non_null(ref);
    ref_gemm_bias_relu(M, N, K, da, db, dbias, ref);
    TcInterpArg args[4] = {tensor_of(&a), tensor_of(&b), tensor_of(&bias), tensor_of(&y)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "gemm_bias_relu M=%d N=%d K=%d%s%s", M, N, K, ndefs ? " (tiles -D)" : "",
             passes ? " +passes" : "");
    compare_out(what, &y, ref, 2e-3, 2e-3, passes);
    check_input_unchanged(&a);
    check_input_unchanged(&b);
    check_input_unchanged(&bias);
    free(da);
    free(db);
    free(dbias);
    free(ref);
    gbuf_free(&a);
    gbuf_free(&b);
    gbuf_free(&bias);
    gbuf_free(&y);
    example_free(&ex);
}

static void test_e2e_gemm_bias_relu(void **state)
{
    (void)state;
    static const TcConstOverride small[3] = {{"BM", "32"}, {"BN", "16"}, {"BK", "8"}};
    for (int p = 0; p < 2; p++) gemm_bias_relu_case(37, 53, 29, NULL, 0, p);
    for (int p = 0; p < 2; p++) gemm_bias_relu_case(37, 53, 29, small, 3, p);
}

static void attention_case(bool causal, bool passes)
{
    enum { Z = 1, H = 2, S = 77, D = 64 };
    static const TcConstOverride causal_def[1] = {{"CAUSAL", "true"}};
    Example ex;
    example_compile(&ex, "attention", causal ? causal_def : NULL, causal ? 1 : 0, passes);
    GBuf q, k, v, o;
    int64_t s[4] = {Z, H, S, D};
    float *dq = gbuf_random(&q, TC_F16, 4, s), *dk = gbuf_random(&k, TC_F16, 4, s);
    float *dv = gbuf_random(&v, TC_F16, 4, s);
    gbuf_init(&o, TC_F16, 4, s);
    float scale = (float)(1.0 / sqrt(64.0)), *ref = malloc((size_t)Z * H * S * D * sizeof *ref);
    assert_non_null(ref);
    ref_attention(Z, H, S, D, dq, dk, dv, scale, causal, ref);
    TcInterpArg args[5] = {tensor_of(&q), tensor_of(&k), tensor_of(&v), tensor_of(&o), sarg_f(scale)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "attention Z=%d H=%d S=%d D=%d%s%s", Z, H, S, D, causal ? " causal" : "",
             passes ? " +passes" : "");
    compare_out(what, &o, ref, 2e-3, 2e-3, passes);
    check_input_unchanged(&q);
    check_input_unchanged(&k);
    check_input_unchanged(&v);
    free(dq);
    free(dk);
    free(dv);
    free(ref);
    gbuf_free(&q);
    gbuf_free(&k);
    gbuf_free(&v);
    gbuf_free(&o);
    example_free(&ex);
}

static void test_e2e_attention(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) attention_case(false, p);
    for (int p = 0; p < 2; p++) attention_case(true, p);
}

static void softmax_case(int M, int N, bool passes)
{
    Example ex;
    example_compile(&ex, "softmax", NULL, 0, passes);
    GBuf x, y;
    int64_t s[2] = {M, N};
    float *dx = gbuf_random(&x, TC_F32, 2, s);
    gbuf_init(&y, TC_F32, 2, s);
    float *ref = malloc((size_t)M * N * sizeof *ref);
    assert_non_null(ref);
    ref_softmax(M, N, dx, ref);
    TcInterpArg args[2] = {tensor_of(&x), tensor_of(&y)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "softmax M=%d N=%d%s", M, N, passes ? " +passes" : "");
    compare_out(what, &y, ref, 1e-4, 1e-4, passes);
    check_input_unchanged(&x);
    free(dx);
    free(ref);
    gbuf_free(&x);
    gbuf_free(&y);
    example_free(&ex);
}

static void test_e2e_softmax(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) softmax_case(7, 300, p);
    for (int p = 0; p < 2; p++) softmax_case(7, 1, p);
}

static void layernorm_case(int M, int N, bool passes)
{
    Example ex;
    example_compile(&ex, "layernorm", NULL, 0, passes);
    GBuf x, w, b, y;
    int64_t s[2] = {M, N}, sn[1] = {N};
    float *dx = gbuf_random(&x, TC_F32, 2, s), *dw = gbuf_random(&w, TC_F32, 1, sn);
    float *db = gbuf_random(&b, TC_F32, 1, sn);
    gbuf_init(&y, TC_F32, 2, s);
    float *ref = malloc((size_t)M * N * sizeof *ref);
    assert_non_null(ref);
    ref_layernorm(M, N, dx, dw, db, 1e-5f, ref);
    TcInterpArg args[4] = {tensor_of(&x), tensor_of(&w), tensor_of(&b), tensor_of(&y)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "layernorm M=%d N=%d%s", M, N, passes ? " +passes" : "");
    compare_out(what, &y, ref, 1e-4, 1e-4, passes);
    check_input_unchanged(&x);
    check_input_unchanged(&w);
    check_input_unchanged(&b);
    free(dx);
    free(dw);
    free(db);
    free(ref);
    gbuf_free(&x);
    gbuf_free(&w);
    gbuf_free(&b);
    gbuf_free(&y);
    example_free(&ex);
}

static void test_e2e_layernorm(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) layernorm_case(5, 300, p);
}

static void rmsnorm_case(int M, int N, bool passes)
{
    Example ex;
    example_compile(&ex, "rmsnorm", NULL, 0, passes);
    GBuf x, w, y;
    int64_t s[2] = {M, N}, sn[1] = {N};
    float *dx = gbuf_random(&x, TC_F16, 2, s), *dw = gbuf_random(&w, TC_F16, 1, sn);
    gbuf_init(&y, TC_F16, 2, s);
    float *ref = malloc((size_t)M * N * sizeof *ref);
    assert_non_null(ref);
    ref_rmsnorm(M, N, dx, dw, 1e-6f, true, ref);
    TcInterpArg args[3] = {tensor_of(&x), tensor_of(&w), tensor_of(&y)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "rmsnorm f16 M=%d N=%d%s", M, N, passes ? " +passes" : "");
    compare_out(what, &y, ref, 2e-3, 2e-3, passes);
    check_input_unchanged(&x);
    check_input_unchanged(&w);
    free(dx);
    free(dw);
    free(ref);
    gbuf_free(&x);
    gbuf_free(&w);
    gbuf_free(&y);
    example_free(&ex);
}

static void test_e2e_rmsnorm(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) rmsnorm_case(5, 300, p);
}

static void vector_add_case(int N, bool passes)
{
    Example ex;
    example_compile(&ex, "vector_add", NULL, 0, passes);
    GBuf x, y, z;
    int64_t s[1] = {N};
    float *dx = gbuf_random(&x, TC_F32, 1, s), *dy = gbuf_random(&y, TC_F32, 1, s);
    gbuf_init(&z, TC_F32, 1, s);
    float *ref = malloc((size_t)N * sizeof *ref);
    assert_non_null(ref);
    ref_vector_add(N, dx, dy, ref);
    TcInterpArg args[3] = {tensor_of(&x), tensor_of(&y), tensor_of(&z)};
    example_run(&ex, args);
    char what[128];
    snprintf(what, sizeof what, "vector_add N=%d%s", N, passes ? " +passes" : "");
    compare_out(what, &z, ref, 1e-4, 1e-4, passes);
    check_input_unchanged(&x);
    check_input_unchanged(&y);
    free(dx);
    free(dy);
    free(ref);
    gbuf_free(&x);
    gbuf_free(&y);
    gbuf_free(&z);
    example_free(&ex);
}

static void test_e2e_vector_add(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) vector_add_case(1, p);
    for (int p = 0; p < 2; p++) vector_add_case(1000, p);
    for (int p = 0; p < 2; p++) vector_add_case(3000, p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_wrap),
        cmocka_unit_test(test_int_div_rem),
        cmocka_unit_test(test_shifts),
        cmocka_unit_test(test_bool_logic_and_compare),
        cmocka_unit_test(test_float_max_min),
        cmocka_unit_test(test_casts),
        cmocka_unit_test(test_transcendentals),
        cmocka_unit_test(test_f16_carried_in_f32),
        cmocka_unit_test(test_load_padding),
        cmocka_unit_test(test_store_skips_outside),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_shape_ops),
        cmocka_unit_test(test_reductions),
        cmocka_unit_test(test_dot),
        cmocka_unit_test(test_for_loops),
        cmocka_unit_test(test_for_carried),
        cmocka_unit_test(test_if),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_argument_errors),
        cmocka_unit_test(test_tile_limit),
        cmocka_unit_test(test_select_and_store_rounding),
        cmocka_unit_test(test_e2e_gemm),
        cmocka_unit_test(test_e2e_gemm_bias_relu),
        cmocka_unit_test(test_e2e_attention),
        cmocka_unit_test(test_e2e_softmax),
        cmocka_unit_test(test_e2e_layernorm),
        cmocka_unit_test(test_e2e_rmsnorm),
        cmocka_unit_test(test_e2e_vector_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
