/*
 * fuzz_pipeline.c — libFuzzer target for the compiler as a whole on inputs
 * that pass sema. The stages, in order (each runs only if the one before it
 * succeeded):
 *
 *   1. front end: parse, check and lower to Tile IR, which must verify;
 *   2. the default pass pipeline (TC_DEFAULT_PIPELINE) with --verify-each;
 *   3. the round trip: print, re-parse, verify and print again, and the two
 *      texts must be identical;
 *   4. the reference interpreter on small tensors (size names 1..9, scalar
 *      arguments 3), for kernels whose grid, loops and tiles are small
 *      enough to finish quickly (cost_ok below);
 *      an interpreter error is an answer, a crash is not.
 *
 *   5. CPU code generation: the optimized module lowered to LLVM IR (at -O0,
 *      so each input stays fast; the LLVM verifier always runs), for
 *      modules of at most CODEGEN_MAX_VALUES values. A diagnostic is an
 *      answer; an internal error (E9001, e.g. IR that LLVM rejects) or a
 *      crash is not.
 *
 *   6. GPU lowering for one of the profiles (chosen from the input, so warp
 *      sizes 32 and 128 both get fuzzed): the GPU passes (tiling, cse, dce,
 *      smem) with --verify-each, the Memory IR round trip, and SIMT code
 *      generation for the sim target at -O0 when the unrolled code stays
 *      small (gpu_cost_ok). Diagnostics (shared memory or register limits)
 *      are answers; an internal error or a crash is not.
 */
#include "codegen.h"
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Interpreter budget: element operations per program instance, program
 * instances, elements per tensor argument and bytes per tile value. */
#define INTERP_MAX_COST (1u << 20)
#define INTERP_MAX_INSTANCES 8
#define INTERP_MAX_TENSOR_ELEMS 4096
#define INTERP_MAX_TILE_BYTES (256u << 10)

static uint64_t numel_of(const TcType *t)
{
    return t && t->kind == TC_TY_TILE && t->numel > 0 ? (uint64_t)t->numel : 1;
}

/* The integer value of a `const` op, if v is one. */
static bool const_int(const TcIrValue *v, int64_t *out)
{
    if (!v || !v->def || v->def->opc != TC_OP_CONST || !tc_type_is_scalar(v->type)) return false;
    if (!tc_dtype_is_int(v->type->dtype)) return false;
    *out = v->def->ival;
    return true;
}

/* An upper bound of integer scalar v when the fuzzer knows one: a `const`,
 * or a kernel argument (run_interp passes 3 for scalars, sizes are 1..9). */
static bool upper_bound(const TcIrFunc *f, const TcIrValue *v, int64_t *out)
{
    if (const_int(v, out)) return true;
    if (v && !v->def && v->block == f->body && tc_type_is_scalar(v->type)) {
        *out = 9;
        return true;
    }
    return false;
}

/* Adds the element operations of block b, run `mult` times, to *cost;
 * false when a loop's trip count has no known bound (a constant start and
 * step, an end from upper_bound) or the total passes the budget. */
static bool cost_ok(const TcIrFunc *f, const TcIrBlock *b, uint64_t mult, uint64_t *cost)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        uint64_t work = op->nresults ? numel_of(op->results[0]->type) : 1;
        for (uint32_t i = 0; i < op->noperands; i++) work += numel_of(op->operands[i]->type);
        if (op->opc == TC_OP_DOT && op->noperands == 3 && op->operands[0]->type->rank == 2)
            work *= (uint64_t)op->operands[0]->type->shape[1];
        *cost += mult * work;
        if (*cost > INTERP_MAX_COST) return false;
        uint64_t inner = mult;
        if (op->opc == TC_OP_FOR) {
            int64_t lo, hi, step;
            if (op->noperands < 3 || !const_int(op->operands[0], &lo) || !upper_bound(f, op->operands[1], &hi) ||
                !const_int(op->operands[2], &step) || step <= 0)
                return false;
            uint64_t trips = hi > lo ? ((uint64_t)hi - (uint64_t)lo + (uint64_t)step - 1) / (uint64_t)step : 0;
            if (trips > INTERP_MAX_COST) return false;
            inner = mult * (trips ? trips : 1);
            if (inner > INTERP_MAX_COST) return false;
        }
        for (uint32_t r = 0; r < op->nregions; r++)
            if (!cost_ok(f, op->regions[r], inner, cost)) return false;
    }
    return true;
}

/* A small size for size symbol `sym`: 1..9, mostly not a power of two. */
static int64_t size_for(const char *sym)
{
    return 1 + (int64_t)(tc_hash_bytes(sym, strlen(sym), 7) % 9);
}

/* Writes element i of a tensor of dtype dt with a small value. */
static void fill_elem(void *data, TcDtype dt, int64_t i)
{
    int64_t v = i % 7 - 3;
    char *p = (char *)data + (size_t)i * tc_dtype_bytes(dt);
    switch (dt) {
    case TC_BOOL: *(uint8_t *)p = (uint8_t)(i & 1); break;
    case TC_I8: case TC_U8: *(uint8_t *)p = (uint8_t)v; break;
    case TC_I16: case TC_U16: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case TC_I32: case TC_U32: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    case TC_I64: case TC_U64: { uint64_t x = (uint64_t)v; memcpy(p, &x, 8); break; }
    case TC_F16: { uint16_t x = tc_f32_to_f16((float)v * 0.25f); memcpy(p, &x, 2); break; }
    case TC_BF16: { uint16_t x = tc_f32_to_bf16((float)v * 0.25f); memcpy(p, &x, 2); break; }
    case TC_F32: { float x = (float)v * 0.25f; memcpy(p, &x, 4); break; }
    case TC_F64: { double x = (double)v * 0.25; memcpy(p, &x, 8); break; }
    default: break;
    }
}

/* Stage 4: runs kernel f on small arguments when it is cheap enough. */
static void run_interp(FuzzCtx *c, const TcIrFunc *f)
{
    uint64_t cost = 0;
    if (!cost_ok(f, f->body, 1, &cost)) return;
    TcInterpArg *args = calloc(f->nparams ? f->nparams : 1, sizeof *args);
    if (!args) fuzz_fail(c, "out of host memory", NULL);
    bool ok = true;
    for (uint32_t i = 0; i < f->nparams && ok; i++) {
        const TcType *t = tc_ir_func_param(f, i)->type;
        if (!tc_type_is_tensor(t)) {
            args[i].i = 3;
            args[i].f = 0.5;
            continue;
        }
        TcTensorArg *ta = &args[i].tensor;
        ta->dtype = t->dtype;
        ta->rank = t->rank;
        int64_t n = 1;
        for (int d = (int)t->rank - 1; d >= 0; d--) {
            int64_t s = t->dims[d].sym ? size_for(t->dims[d].sym) : t->dims[d].value;
            if (s < 0 || s > INTERP_MAX_TENSOR_ELEMS || n * s > INTERP_MAX_TENSOR_ELEMS) {
                ok = false;
                break;
            }
            ta->sizes[d] = s;
            ta->strides[d] = n;
            n *= s;
        }
        if (!ok) break;
        ta->data = calloc((size_t)(n ? n : 1), tc_dtype_bytes(t->dtype));
        if (!ta->data) fuzz_fail(c, "out of host memory", NULL);
        for (int64_t e = 0; e < n; e++) fill_elem(ta->data, t->dtype, e);
    }
    if (ok) {
        TcInterpOptions io = {.max_program_instances = INTERP_MAX_INSTANCES,
                              .max_tile_bytes = INTERP_MAX_TILE_BYTES};
        char err[512];
        (void)tc_interp_run(f, args, &io, err, sizeof err);
    }
    for (uint32_t i = 0; i < f->nparams; i++) free(args[i].tensor.data);
    free(args);
}

#define CODEGEN_MAX_VALUES 20000u

/* Stage 5: CPU code generation of the whole module. */
static void run_codegen(FuzzCtx *c, TcIrModule *m)
{
    uint64_t values = 0;
    for (uint32_t i = 0; i < m->funcs.len; i++) values += m->funcs.data[i]->nvalues;
    if (values > CODEGEN_MAX_VALUES) return;
    uint32_t first = c->de.diags.len;
    TcCpuOptions opt = {.opt_level = 0};
    TcStrBuf out;
    tc_sb_init(&out);
    bool ok = tc_cpu_compile(m, &opt, TC_CPU_EMIT_LLVM, &out, &c->de);
    tc_sb_free(&out);
    if (ok) return;
    for (uint32_t i = first; i < c->de.diags.len; i++)
        if (c->de.diags.data[i]->code == TC_E_INTERNAL)
            fuzz_fail(c, "internal error in CPU code generation", c->de.diags.data[i]->msg);
}

/* SIMT code is unrolled per register: elements per thread summed over the
 * ops (times K for a dot) must stay below this for one input to stay fast. */
#define GPU_MAX_UNROLLED 200000u

static void gpu_cost(TcIrOp *op, void *vc)
{
    uint64_t *cost = vc;
    for (uint32_t i = 0; i < op->nresults; i++) {
        const TcType *t = op->results[i]->type;
        if (t->kind != TC_TY_TILE || !t->layout || t->layout->kind == TC_LAYOUT_SHARED) continue;
        uint64_t regs = tc_layout_regs(t);
        if (op->opc == TC_OP_DOT) regs *= (uint64_t)op->operands[0]->type->shape[1];
        *cost += regs;
    }
}

/* Stage 6: the GPU passes and SIMT code generation (sim target). */
static void run_gpu(FuzzCtx *c, TcIrModule *m, const uint8_t *data, size_t size)
{
    static const char *const archs[] = {"sm_80", "mp_22", "mp_31"};
    const TcGpuProfile *prof = tc_gpu_profile(archs[tc_hash_bytes(data, size, 3) % 3]);
    TcPipeline pipe;
    if (!tc_pipeline_parse(TC_GPU_PIPELINE, &c->arena, &c->de, &pipe)) fuzz_fail(c, "the GPU pipeline does not parse", NULL);
    TcPassOptions po = {.verify_each = true, .profile = prof};
    uint32_t first = c->de.diags.len;
    bool ok = tc_pipeline_run(&pipe, m, &c->de, &po, NULL, NULL);
    for (uint32_t i = first; i < c->de.diags.len; i++)
        if (c->de.diags.data[i]->code == TC_E_INTERNAL || c->de.diags.data[i]->code == TC_E_IR_VERIFY)
            fuzz_fail(c, "the GPU passes produced invalid IR or an internal error", c->de.diags.data[i]->msg);
    if (!ok || c->arena.exhausted) return;
    fuzz_check_round_trip(c, m);
    uint64_t cost = 0;
    for (uint32_t i = 0; i < m->funcs.len; i++) tc_ir_walk_func(m->funcs.data[i], gpu_cost, &cost);
    if (cost > GPU_MAX_UNROLLED) return;
    TcGpuOptions go = {.target = TC_GPU_TARGET_SIM, .profile = prof, .opt_level = 0};
    TcStrBuf out;
    tc_sb_init(&out);
    first = c->de.diags.len;
    ok = tc_gpu_compile(m, &go, TC_GPU_EMIT_LLVM, NULL, &out, NULL, &c->de);
    tc_sb_free(&out);
    if (ok) return;
    for (uint32_t i = first; i < c->de.diags.len; i++)
        if (c->de.diags.data[i]->code == TC_E_INTERNAL)
            fuzz_fail(c, "internal error in GPU code generation", c->de.diags.data[i]->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzCtx c;
    if (!fuzz_begin(&c, data, size, "fuzz.tile")) return 0;
    TcIrModule *m = tc_ir_module_new(&c.arena);
    TcAstNode *file = tc_parse_file(&c.arena, &m->strs, &c.de, c.file);
    TcSemaOptions so = {0};
    if (c.de.nerrors || c.arena.exhausted || !tc_sema_lower(file, m, &c.de, &so) || c.arena.exhausted) goto out;
    fuzz_check_lowered(&c, m);
    if (!fuzz_run_pipeline(&c, m) || c.arena.exhausted) goto out;
    fuzz_check_round_trip(&c, m);
    for (uint32_t i = 0; i < m->funcs.len; i++) run_interp(&c, m->funcs.data[i]);
    run_codegen(&c, m);
    if (c.de.nerrors == 0) run_gpu(&c, m, data, size);
out:
    tc_ir_module_free(m);
    fuzz_end(&c);
    return 0;
}
