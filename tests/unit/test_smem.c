/*
 * test_smem.c — the smem pass (passes/smem.c) on distributed IR built by hand:
 * barriers, local_alloc and local_load where layouts meet and before dots,
 * reduce scratch, offsets by liveness (overlap only when not live together),
 * the kernel's total, the per-block limit diagnostic, and the errors for a
 * missing target or missing layouts.
 *
 * ops_of() spells a block's ops as "load,barrier,local_alloc,..." (consts
 * left out) so the expected sequences read like the IR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "passes.h"

/* ------------------------------------------------------------ fixture */

typedef struct Fx {
    TcArena arena;
    TcDiagEngine de;
    TcIrModule *m;
    TcIrFunc *f;
    TcIrBuilder b; /* at the end of the body */
    const TcGpuProfile *prof;
    unsigned ntensors;
    char ops[1024];
} Fx;

static const TcSpan kernel_loc = {1, 3, 1, 3, 6};

static Fx *fx_new(const char *arch)
{
    Fx *x = test_calloc(1, sizeof *x);
    tc_arena_init(&x->arena);
    tc_diag_init(&x->de, &x->arena);
    TcSource src = {"k.tile", "\n\nkernel k() {}\n", 16};
    tc_diag_add_file(&x->de, src);
    x->m = tc_ir_module_new(&x->arena);
    x->f = tc_ir_func_new(x->m, "k", kernel_loc);
    x->f->warps = 4;
    x->prof = tc_gpu_profile(arch);
    assert_non_null(x->prof);
    TcIrBuilder g;
    tc_ir_builder_at_end(&g, x->f, x->f->grid);
    TcIrValue *one = tc_ir_build_const_int(&g, TC_I32, 1);
    tc_ir_build_yield(&g, 1, &one);
    tc_ir_builder_at_end(&x->b, x->f, x->f->body);
    return x;
}

static void fx_free(Fx *x)
{
    tc_ir_module_free(x->m);
    tc_arena_free(&x->arena);
    test_free(x);
}

/* dt[d0, d1] with no layout. */
static TcType *tile2(Fx *x, TcDtype dt, int64_t d0, int64_t d1)
{
    int64_t s[2] = {d0, d1};
    return tc_type_tile(x->m, dt, 2, s);
}

/* dt[d0, d1] with the profile's default blocked layout. */
static TcType *blocked2(Fx *x, TcDtype dt, int64_t d0, int64_t d1)
{
    TcType *t = tile2(x, dt, d0, d1);
    const TcLayout *l = tc_layout_default(x->m, 2, t->shape, tc_dtype_bytes(dt), x->prof->vec_bytes,
                                          x->prof->warp_size, 4);
    return tc_type_with_layout(x->m, t, l);
}

/* f32[d0, d1] with the dot-accumulator layout. */
static TcType *acc2(Fx *x, int64_t d0, int64_t d1)
{
    return tc_type_with_layout(x->m, tile2(x, TC_F32, d0, d1), tc_layout_dot_acc(x->m, d0, d1, x->prof->warp_size, 4));
}

static TcIrValue *tensor(Fx *x, const TcType *t, unsigned flags)
{
    TcDim d[TC_MAX_RANK];
    for (unsigned i = 0; i < t->rank; i++) d[i] = (TcDim){t->shape[i], NULL};
    char name[16];
    snprintf(name, sizeof name, "t%u", x->ntensors++);
    return tc_ir_func_add_param(x->f, name, tc_type_tensor(x->m, t->dtype, t->rank, d, flags));
}

static TcIrValue *load(Fx *x, TcIrBuilder *b, TcType *t, const char *name)
{
    TcIrValue *tn = tensor(x, t, 0);
    TcIrValue *off[TC_MAX_RANK];
    for (unsigned i = 0; i < t->rank; i++) off[i] = tc_ir_build_const_int(b, TC_I32, 0);
    TcIrValue *v = tc_ir_build_load(b, tn, off, NULL, t);
    v->name = tc_ir_intern(x->m, name);
    return v;
}

static void store(Fx *x, TcIrBuilder *b, TcIrValue *v)
{
    TcIrValue *tn = tensor(x, v->type, TC_TENSOR_OUT);
    TcIrValue *off[TC_MAX_RANK];
    for (unsigned i = 0; i < v->type->rank; i++) off[i] = tc_ir_build_const_int(b, TC_I32, 0);
    tc_ir_build_store(b, tn, off, v);
}

static TcIrValue *convert(TcIrBuilder *b, TcIrValue *v, TcType *to)
{
    return tc_ir_build_op(b, TC_OP_CONVERT_LAYOUT, 1, &v, to)->results[0];
}

static TcIrValue *zeros(TcIrBuilder *b, TcType *t)
{
    return tc_ir_build_splat(b, tc_ir_build_const_float(b, t->dtype, 0.0), t);
}

static bool run_smem_ctx(Fx *x, const TcGpuProfile *prof, bool *changed)
{
    TcArena scratch;
    tc_arena_init(&scratch);
    TcPassContext ctx = {.de = &x->de, .scratch = &scratch, .profile = prof};
    bool ok = tc_pass_smem.run(x->f, &ctx);
    tc_arena_free(&scratch);
    if (changed) *changed = ctx.changed;
    return ok;
}

static bool run_smem(Fx *x) { return run_smem_ctx(x, x->prof, NULL); }

static void assert_verifies(Fx *x)
{
    bool ok = tc_ir_verify_func(x->f, &x->de, "after pass smem");
    if (!ok) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&x->de, TC_DIAG_TEXT, &sb);
        tc_ir_print_func(x->f, &sb);
        print_error("%s\n", sb.data);
        tc_sb_free(&sb);
    }
    assert_true(ok);
}

/* "load,barrier,local_alloc,...": the ops of b, consts left out. */
static const char *ops_of(Fx *x, const TcIrBlock *b)
{
    x->ops[0] = 0;
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_CONST) continue;
        if (x->ops[0]) strcat(x->ops, ",");
        strcat(x->ops, tc_op_info(op->opc)->name);
    }
    return x->ops;
}

/* The n-th op (0-based) of b with opcode opc. */
static TcIrOp *nth_op(const TcIrBlock *b, TcOpcode opc, unsigned n)
{
    for (TcIrOp *op = b->first; op; op = op->next)
        if (op->opc == opc && n-- == 0) return op;
    return NULL;
}

static uint64_t bytes_of(const TcIrOp *alloc) { return tc_layout_shared_bytes(alloc->results[0]->type); }

static bool disjoint(const TcIrOp *a, const TcIrOp *b)
{
    return (uint64_t)a->smem + bytes_of(a) <= (uint64_t)b->smem || (uint64_t)b->smem + bytes_of(b) <= (uint64_t)a->smem;
}

/* ---------------------------------------------------------------- tests */

static void test_registered(void **state)
{
    (void)state;
    const TcPass *p = tc_pass_find("smem");
    assert_ptr_equal(p, &tc_pass_smem);
    /* after dce in the registry */
    uint32_t n, idce = 0, ismem = 0;
    const TcPass *const *r = tc_pass_registry(&n);
    for (uint32_t i = 0; i < n; i++) {
        if (r[i] == &tc_pass_dce) idce = i;
        if (r[i] == &tc_pass_smem) ismem = i;
    }
    assert_true(ismem > idce);
}

/* %y = convert_layout %x -> local_alloc, barrier, local_load (same %y). */
static void test_convert(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *v = load(x, &x->b, blocked2(x, TC_F32, 64, 64), "x");
    TcIrValue *y = convert(&x->b, v, acc2(x, 64, 64));
    store(x, &x->b, y);
    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body), "load,barrier,local_alloc,barrier,local_load,store");
    TcIrOp *al = nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 0);
    TcIrOp *ld = nth_op(x->f->body, TC_OP_LOCAL_LOAD, 0);
    assert_ptr_equal(al->operands[0], v);
    assert_int_equal(al->smem, 0);
    const TcType *st = al->results[0]->type;
    assert_int_equal(st->layout->kind, TC_LAYOUT_SHARED);
    assert_int_equal(st->layout->pad, 1); /* f32: one word per row */
    assert_int_equal(st->dtype, TC_F32);
    assert_ptr_equal(ld->operands[0], al->results[0]);
    assert_ptr_equal(ld->results[0], y); /* the same value: uses untouched */
    assert_int_equal(ld->smem, -1);
    assert_int_equal(x->f->smem_bytes, 64 * 65 * 4);
    assert_verifies(x);
    fx_free(x);
}

/* Two conversions one after the other: the first buffer is dead, the second reuses it. */
static void test_reuse_dead(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *v = load(x, &x->b, blocked2(x, TC_F32, 64, 64), "x");
    TcIrValue *y = convert(&x->b, v, acc2(x, 64, 64));
    TcIrValue *e = tc_ir_build_unary(&x->b, TC_OP_EXP, y);
    TcIrValue *z = convert(&x->b, e, v->type);
    store(x, &x->b, z);
    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body),
                        "load,barrier,local_alloc,barrier,local_load,exp,barrier,local_alloc,barrier,local_load,store");
    assert_int_equal(nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 0)->smem, 0);
    assert_int_equal(nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 1)->smem, 0);
    assert_int_equal(x->f->smem_bytes, 64 * 65 * 4);
    assert_verifies(x);
    fx_free(x);
}

/* dot: one barrier pair around both operands, which are live together. */
static void test_dot_operands(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *a = load(x, &x->b, blocked2(x, TC_F16, 64, 32), "ta");
    TcIrValue *b = load(x, &x->b, blocked2(x, TC_F16, 32, 64), "tb");
    TcIrValue *acc = zeros(&x->b, acc2(x, 64, 64));
    TcIrValue *d = tc_ir_build_dot(&x->b, a, b, acc);
    store(x, &x->b, d);
    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body), "load,load,splat,barrier,local_alloc,local_alloc,barrier,dot,store");
    TcIrOp *sa = nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 0), *sb = nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 1);
    TcIrOp *dot = nth_op(x->f->body, TC_OP_DOT, 0);
    assert_ptr_equal(sa->operands[0], a);
    assert_ptr_equal(sb->operands[0], b);
    assert_ptr_equal(dot->operands[0], sa->results[0]);
    assert_ptr_equal(dot->operands[1], sb->results[0]);
    assert_ptr_equal(dot->operands[2], acc);
    assert_int_equal(sa->results[0]->type->layout->pad, 2); /* f16: two elements per row */
    assert_int_equal(bytes_of(sa), 64 * 34 * 2);
    assert_int_equal(bytes_of(sb), 32 * 66 * 2);
    assert_true(disjoint(sa, sb));
    assert_int_equal(sa->smem % 16, 0);
    assert_int_equal(sb->smem % 16, 0);
    assert_int_equal(x->f->smem_bytes, 4352 + 4224);
    assert_verifies(x);
    fx_free(x);
}

/* A dot operand made by convert_layout is staged from the convert's source. */
static void test_dot_through_convert(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *a0 = load(x, &x->b, blocked2(x, TC_F16, 64, 64), "ta");
    TcType *other = tc_type_with_layout(x->m, a0->type, tc_layout_dot_acc(x->m, 64, 64, 32, 4));
    TcIrValue *a = convert(&x->b, a0, other);
    TcIrValue *acc = zeros(&x->b, acc2(x, 64, 64));
    TcIrValue *d = tc_ir_build_dot(&x->b, a, a0, acc);
    store(x, &x->b, d);
    assert_true(run_smem(x));
    /* a and b are the same tile once the convert is looked through: staged once */
    assert_string_equal(ops_of(x, x->f->body), "load,splat,barrier,local_alloc,barrier,dot,store");
    TcIrOp *sa = nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 0);
    TcIrOp *dot = nth_op(x->f->body, TC_OP_DOT, 0);
    assert_ptr_equal(sa->operands[0], a0);
    assert_ptr_equal(dot->operands[0], sa->results[0]);
    assert_ptr_equal(dot->operands[1], sa->results[0]);
    assert_int_equal(x->f->smem_bytes, 64 * 66 * 2);
    assert_verifies(x);
    fx_free(x);
}

/* A buffer defined before a loop and read in it lives over the whole loop;
 * after the loop its space is reused. */
static void test_live_over_loop(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcType *bt = blocked2(x, TC_F32, 32, 32);
    TcIrValue *v = load(x, &x->b, bt, "x");
    /* hand-made Memory IR: %s = local_alloc %x; barrier */
    TcType *st = tc_type_with_layout(x->m, bt, tc_layout_shared(x->m, tc_layout_shared_pad(4)));
    TcIrOp *pre = tc_ir_build_op(&x->b, TC_OP_LOCAL_ALLOC, 1, &v, st);
    tc_ir_build_op(&x->b, TC_OP_BARRIER, 0, NULL, NULL);
    TcIrValue *lo = tc_ir_build_const_int(&x->b, TC_I32, 0);
    TcIrValue *hi = tc_ir_build_const_int(&x->b, TC_I32, 4);
    TcIrValue *step = tc_ir_build_const_int(&x->b, TC_I32, 1);
    TcIrOp *loop = tc_ir_build_for(&x->b, lo, hi, step, 0, NULL);
    TcIrBuilder ib;
    tc_ir_builder_at_end(&ib, x->f, loop->regions[0]);
    TcIrValue *w = load(x, &ib, bt, "w");
    TcIrValue *y = convert(&ib, w, acc2(x, 32, 32));
    TcIrValue *r = tc_ir_build_op(&ib, TC_OP_LOCAL_LOAD, 1, &pre->results[0], acc2(x, 32, 32))->results[0];
    store(x, &ib, tc_ir_build_binary(&ib, TC_OP_ADD, y, r));
    tc_ir_build_yield(&ib, 0, NULL);
    TcIrValue *u = load(x, &x->b, bt, "u");
    store(x, &x->b, convert(&x->b, u, acc2(x, 32, 32)));

    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body), "load,barrier,local_alloc,barrier,for,load,barrier,local_alloc,barrier,"
                                                "local_load,store");
    assert_string_equal(ops_of(x, loop->regions[0]), "load,barrier,local_alloc,barrier,local_load,local_load,add,"
                                                     "store,yield");
    TcIrOp *in = nth_op(loop->regions[0], TC_OP_LOCAL_ALLOC, 0);
    TcIrOp *after = nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 1);
    uint64_t bytes = 32 * 33 * 4;
    assert_int_equal(pre->smem, 0);
    assert_true(disjoint(pre, in));
    assert_int_equal(in->smem, bytes); /* 4224, 16-aligned */
    assert_int_equal(after->smem, 0);  /* the pre-loop buffer is dead after the loop */
    assert_int_equal(x->f->smem_bytes, 2 * bytes);
    assert_verifies(x);
    fx_free(x);
}

/* A #shared value carried through a loop (not valid Memory IR for the
 * verifier today, but the allocation must still be safe): its buffer lives
 * over the whole loop and up to the last use of the loop's result. */
static void test_carried_buffer(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcType *bt = blocked2(x, TC_F32, 32, 32);
    TcIrValue *v = load(x, &x->b, bt, "x");
    TcType *st = tc_type_with_layout(x->m, bt, tc_layout_shared(x->m, tc_layout_shared_pad(4)));
    TcIrOp *pre = tc_ir_build_op(&x->b, TC_OP_LOCAL_ALLOC, 1, &v, st);
    TcIrValue *lo = tc_ir_build_const_int(&x->b, TC_I32, 0);
    TcIrValue *hi = tc_ir_build_const_int(&x->b, TC_I32, 4);
    TcIrValue *step = tc_ir_build_const_int(&x->b, TC_I32, 1);
    TcIrOp *loop = tc_ir_build_for(&x->b, lo, hi, step, 1, &pre->results[0]);
    TcIrBuilder ib;
    tc_ir_builder_at_end(&ib, x->f, loop->regions[0]);
    TcIrValue *w = load(x, &ib, bt, "w");
    store(x, &ib, convert(&ib, w, acc2(x, 32, 32)));
    tc_ir_build_yield(&ib, 1, &loop->regions[0]->args[1]);
    tc_ir_build_op(&x->b, TC_OP_BARRIER, 0, NULL, NULL);
    store(x, &x->b, tc_ir_build_op(&x->b, TC_OP_LOCAL_LOAD, 1, &loop->results[0], bt)->results[0]);
    TcIrValue *u = load(x, &x->b, bt, "u");
    store(x, &x->b, convert(&x->b, u, acc2(x, 32, 32)));

    assert_true(run_smem(x));
    TcIrOp *in = nth_op(loop->regions[0], TC_OP_LOCAL_ALLOC, 0);
    TcIrOp *after = nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 1);
    assert_int_equal(pre->smem, 0);
    assert_true(disjoint(pre, in));
    assert_int_equal(after->smem, 0); /* the carried buffer's last use is before it */
    assert_int_equal(x->f->smem_bytes, 2 * 32 * 33 * 4);
    fx_free(x);
}

/* A reduce across warps gets scratch; one within a warp does not. */
static void test_reduce_scratch(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcType *bt = blocked2(x, TC_F32, 64, 64);
    assert_int_equal(bt->layout->wpc[0], 4); /* warps along axis 0 */
    TcIrValue *v = load(x, &x->b, bt, "x");
    TcIrValue *r0 = tc_ir_build_reduce(&x->b, TC_OP_REDUCE_SUM, v, 0);
    r0->type = tc_type_with_layout(x->m, r0->type, tc_layout_slice(x->m, bt->layout, 0));
    TcIrValue *r1 = tc_ir_build_reduce(&x->b, TC_OP_REDUCE_MAX, v, 1);
    r1->type = tc_type_with_layout(x->m, r1->type, tc_layout_slice(x->m, bt->layout, 1));
    store(x, &x->b, r0);
    store(x, &x->b, r1);
    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body), "load,reduce_sum,reduce_max,store,store");
    assert_int_equal(tc_layout_reduce_scratch(bt, 0), 4 * 64 * 4);
    assert_int_equal(tc_layout_reduce_scratch(bt, 1), 0);
    assert_int_equal(r0->def->smem, 0);
    assert_int_equal(r1->def->smem, -1);
    assert_int_equal(x->f->smem_bytes, 1024);
    assert_verifies(x);
    fx_free(x);
}

/* A scratch lives at its op only: a later conversion reuses its space, one
 * live across it does not. */
static void test_scratch_and_buffers(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcType *bt = blocked2(x, TC_F32, 64, 64);
    TcIrValue *v = load(x, &x->b, bt, "x");
    TcIrValue *r0 = tc_ir_build_reduce(&x->b, TC_OP_REDUCE_SUM, v, 0);
    r0->type = tc_type_with_layout(x->m, r0->type, tc_layout_slice(x->m, bt->layout, 0));
    store(x, &x->b, r0);
    store(x, &x->b, convert(&x->b, v, acc2(x, 64, 64)));
    assert_true(run_smem(x));
    assert_int_equal(r0->def->smem, 0);
    assert_int_equal(nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 0)->smem, 0);
    assert_int_equal(x->f->smem_bytes, 64 * 65 * 4);
    assert_verifies(x);
    fx_free(x);
}

/* A reshape moves its tile through an unpadded scratch buffer. */
static void test_reshape_scratch(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *v = load(x, &x->b, blocked2(x, TC_F16, 32, 64), "x");
    int64_t n = 2048;
    TcType *flat = tc_type_tile(x->m, TC_F16, 1, &n);
    flat = tc_type_with_layout(x->m, flat, tc_layout_default(x->m, 1, &n, 2, 16, 32, 4));
    TcIrValue *r = tc_ir_build_reshape(&x->b, v, flat);
    store(x, &x->b, r);
    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body), "load,reshape,store");
    assert_int_equal(r->def->smem, 0);
    assert_int_equal(x->f->smem_bytes, 2048 * 2);
    assert_verifies(x);
    fx_free(x);
}

/* A barrier right before a convert is not doubled. */
static void test_no_double_barrier(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *v = load(x, &x->b, blocked2(x, TC_F32, 64, 64), "x");
    tc_ir_build_op(&x->b, TC_OP_BARRIER, 0, NULL, NULL);
    tc_ir_build_op(&x->b, TC_OP_BARRIER, 0, NULL, NULL);
    store(x, &x->b, convert(&x->b, v, acc2(x, 64, 64)));
    assert_true(run_smem(x));
    assert_string_equal(ops_of(x, x->f->body), "load,barrier,local_alloc,barrier,local_load,store");
    assert_verifies(x);
    fx_free(x);
}

/* The pass on its own output changes nothing. */
static void test_idempotent(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *a = load(x, &x->b, blocked2(x, TC_F16, 64, 32), "ta");
    TcIrValue *b = load(x, &x->b, blocked2(x, TC_F16, 32, 64), "tb");
    TcIrValue *d = tc_ir_build_dot(&x->b, a, b, zeros(&x->b, acc2(x, 64, 64)));
    store(x, &x->b, convert(&x->b, d, blocked2(x, TC_F32, 64, 64)));
    bool changed = false;
    assert_true(run_smem_ctx(x, x->prof, &changed));
    assert_true(changed);
    TcStrBuf one, two;
    tc_sb_init(&one);
    tc_sb_init(&two);
    tc_ir_print_func(x->f, &one);
    uint64_t total = x->f->smem_bytes;
    assert_true(run_smem_ctx(x, x->prof, &changed));
    assert_false(changed);
    tc_ir_print_func(x->f, &two);
    assert_string_equal(one.data, two.data);
    assert_int_equal(x->f->smem_bytes, total);
    tc_sb_free(&one);
    tc_sb_free(&two);
    assert_verifies(x);
    fx_free(x);
}

/* Builds the over-limit gemm step: f16 [128, 256] @ [256, 128], 132608 bytes. */
static void build_big_dot(Fx *x)
{
    TcIrConst c1 = {tc_ir_intern(x->m, "BM"), TC_CONST_INT, 128, 0, TC_F32};
    TcIrConst c2 = {tc_ir_intern(x->m, "BK"), TC_CONST_INT, 256, 0, TC_F32};
    TcIrConst c3 = {tc_ir_intern(x->m, "T"), TC_CONST_DTYPE, 0, 0, TC_F16};
    TC_VEC_PUSH(x->m->arena, x->f->consts, c1);
    TC_VEC_PUSH(x->m->arena, x->f->consts, c2);
    TC_VEC_PUSH(x->m->arena, x->f->consts, c3);
    TcIrValue *a = load(x, &x->b, blocked2(x, TC_F16, 128, 256), "ta");
    TcIrValue *b = load(x, &x->b, blocked2(x, TC_F16, 256, 128), "tb");
    TcIrValue *d = tc_ir_build_dot(&x->b, a, b, zeros(&x->b, acc2(x, 128, 128)));
    store(x, &x->b, d);
}

static const TcDiag *only_error(Fx *x)
{
    assert_int_equal(x->de.nerrors, 1);
    return x->de.diags.data[0];
}

static void test_limit_mp22(void **state)
{
    (void)state;
    Fx *x = fx_new("mp_22");
    build_big_dot(x);
    assert_false(run_smem(x));
    assert_int_equal(x->f->smem_bytes, 66048 + 66560);
    const TcDiag *d = only_error(x);
    assert_int_equal(d->code, TC_E_SMEM_LIMIT);
    assert_string_equal(tc_diag_code_str(d->code), "E5007");
    assert_string_equal(d->msg, "kernel 'k' needs 132608 bytes of shared memory; mp_22 allows 73728 per block");
    assert_int_equal(d->span.line, kernel_loc.line);
    assert_int_equal(d->span.col, kernel_loc.col);
    assert_true(d->has_amounts);
    assert_int_equal(d->needed, 132608);
    assert_int_equal(d->limit, 73728);
    assert_true(d->notes.len >= 3);
    assert_non_null(strstr(d->notes.data[0].msg, "with BM = 128, BK = 256, T = f16"));
    /* the buffers live at the peak, largest first */
    assert_non_null(strstr(d->notes.data[1].msg, "66560 bytes"));
    assert_non_null(strstr(d->notes.data[1].msg, "'tb'"));
    assert_non_null(strstr(d->notes.data[1].msg, "operand b of dot"));
    assert_non_null(strstr(d->notes.data[2].msg, "66048 bytes"));
    assert_non_null(strstr(d->notes.data[2].msg, "operand a of dot"));

    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&x->de, TC_DIAG_JSON, &sb);
    assert_non_null(strstr(sb.data, "\"E5007\""));
    assert_non_null(strstr(sb.data, "132608"));
    tc_sb_free(&sb);
    fx_free(x);
}

static void test_limit_sm90_fits(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    build_big_dot(x);
    assert_true(run_smem(x));
    assert_int_equal(x->de.nerrors, 0);
    assert_int_equal(x->f->smem_bytes, 132608);
    assert_int_equal(nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 0)->smem, 0);
    assert_int_equal(nth_op(x->f->body, TC_OP_LOCAL_ALLOC, 1)->smem, 66048);
    assert_verifies(x);
    fx_free(x);
}

static void test_needs_gpu_target(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *v = load(x, &x->b, blocked2(x, TC_F32, 64, 64), "x");
    store(x, &x->b, convert(&x->b, v, acc2(x, 64, 64)));
    assert_false(run_smem_ctx(x, NULL, NULL));
    const TcDiag *d = only_error(x);
    assert_int_equal(d->code, TC_E_PIPELINE);
    assert_non_null(strstr(d->msg, "needs a GPU target"));
    fx_free(x);
}

static void test_needs_layouts(void **state)
{
    (void)state;
    Fx *x = fx_new("sm_90");
    TcIrValue *v = load(x, &x->b, tile2(x, TC_F32, 64, 64), "x");
    store(x, &x->b, tc_ir_build_unary(&x->b, TC_OP_EXP, v));
    assert_false(run_smem(x));
    const TcDiag *d = only_error(x);
    assert_int_equal(d->code, TC_E_PIPELINE);
    assert_non_null(strstr(d->msg, "smem needs distributed IR: run tiling first"));
    assert_int_equal(d->notes.len, 1);
    assert_non_null(strstr(d->notes.data[0].msg, "'load'"));
    assert_string_equal(ops_of(x, x->f->body), "load,exp,store"); /* untouched */
    fx_free(x);
}

/* Through the pass manager, with the profile in the options. */
static void test_pipeline(void **state)
{
    (void)state;
    Fx *x = fx_new("mp_22");
    TcIrValue *v = load(x, &x->b, blocked2(x, TC_BF16, 128, 64), "x");
    store(x, &x->b, convert(&x->b, v, tc_type_with_layout(x->m, v->type, tc_layout_dot_acc(x->m, 128, 64, 128, 4))));
    TcPipeline p;
    assert_true(tc_pipeline_parse("smem", &x->arena, &x->de, &p));
    TcPassOptions opt = {.verify_each = true, .profile = x->prof};
    assert_true(tc_pipeline_run(&p, x->m, &x->de, &opt, NULL, NULL));
    assert_int_equal(x->de.nerrors, 0);
    assert_int_equal(x->f->smem_bytes, 128 * 66 * 2);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_convert),
        cmocka_unit_test(test_reuse_dead),
        cmocka_unit_test(test_dot_operands),
        cmocka_unit_test(test_dot_through_convert),
        cmocka_unit_test(test_live_over_loop),
        cmocka_unit_test(test_carried_buffer),
        cmocka_unit_test(test_reduce_scratch),
        cmocka_unit_test(test_scratch_and_buffers),
        cmocka_unit_test(test_reshape_scratch),
        cmocka_unit_test(test_no_double_barrier),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_limit_mp22),
        cmocka_unit_test(test_limit_sm90_fits),
        cmocka_unit_test(test_needs_gpu_target),
        cmocka_unit_test(test_needs_layouts),
        cmocka_unit_test(test_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
