/*
 * sema.c — semantic analysis of a .tile file and its lowering to Tile IR,
 * in one walk over the syntax tree.
 *
 * For each selected kernel: const parameters take their value (-D override,
 * else default), tensor and scalar parameters become kernel arguments, size
 * names become i32 size arguments, the grid clause is lowered into the grid
 * block, and the body is checked and lowered statement by statement.
 *
 * Invariants:
 *  - Every expression evaluates to an Sv. An Sv of kind SV_ERROR means an
 *    error was already reported; callers propagate it without reporting more.
 *  - Tile IR produced here only ever holds ops of matching types: implicit
 *    conversions (widening only) and NumPy broadcasting are made explicit
 *    with cast, splat, reshape and broadcast.
 *  - `var` is turned into SSA: a variable's current value lives in its symbol;
 *    `for` carries the outer variables its body assigns, `if` returns those
 *    either arm assigns.
 *  - A variable keeps the type it was declared with.
 *  - Tile extents are compile-time powers of two, at most TC_TILE_MAX_ELEMS
 *    elements per tile.
 */
#include "frontend.h"
#include "ast.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TC_TILE_MAX_ELEMS (INT64_C(1) << 24)
#define TC_MAX_PARAMS 256
#define TC_MAX_IR_VALUES 2000000u

/* ------------------------------------------------------------ values */

typedef enum SvKind {
    SV_ERROR, /* reported already */
    SV_VOID,  /* a call with no value (store) */
    SV_VALUE, /* an IR value: scalar, tile or tensor */
    SV_DTYPE, /* a dtype used as an argument (cast(x, f16)) */
} SvKind;

typedef struct Sv {
    SvKind kind;
    TcSpan span;
    TcIrValue *v;      /* SV_VALUE */
    TcDtype dt;        /* SV_DTYPE */
    bool weak;         /* literal or const-derived scalar: adopts the other operand's dtype */
    bool is_const;     /* scalar with a compile-time value in c */
    TcScalar c;
    const char *tensor_name; /* SV_VALUE of tensor type: the parameter it views */
} Sv;

/* ----------------------------------------------------------- symbols */

typedef enum SymKind {
    SYM_CONST,  /* const parameter: value in sv (SV_DTYPE for dtype consts) */
    SYM_TENSOR, /* tensor parameter: sv.v */
    SYM_SCALAR, /* scalar parameter or size name: sv.v */
    SYM_LET,    /* immutable binding (let, loop variable): sv */
    SYM_VAR,    /* mutable variable: current value in sv, declared type in vtype */
} SymKind;

typedef struct Sym {
    const char *name;  /* interned */
    SymKind kind;
    TcSpan span;       /* declaration */
    Sv sv;
    TcType *vtype;     /* SYM_VAR: the declared type */
    uint32_t shadowed; /* index+1 of the entry this one hides, or 0 */
    uint32_t depth;    /* scope depth of the declaration */
} Sym;

typedef struct Sema {
    TcArena *arena;
    TcDiagEngine *de;
    TcIrModule *m;
    const TcSemaOptions *opt;
    TcIrFunc *f;
    TcIrBuilder b;
    bool in_grid;              /* lowering the grid clause */
    uint32_t errors_at_start;
    /* symbols: a stack, plus a hash from name to the visible entry */
    TC_VEC(Sym) syms;
    uint32_t *map_keys_idx;    /* open addressing: entry index+1, 0 = empty */
    const char **map_keys;
    uint32_t map_cap, map_len;
    uint32_t scope_depth;
    bool *define_used;         /* per -D: did some kernel take it */
} Sema;

static uint32_t name_slot(Sema *s, const char *name)
{
    uint32_t h = (uint32_t)((uintptr_t)name >> 4) * 2654435761u;
    uint32_t j = h & (s->map_cap - 1);
    while (s->map_keys[j] && s->map_keys[j] != name) j = (j + 1) & (s->map_cap - 1);
    return j;
}

static void map_grow(Sema *s)
{
    uint32_t ocap = s->map_cap;
    const char **okeys = s->map_keys;
    uint32_t *oidx = s->map_keys_idx;
    s->map_cap = ocap ? ocap * 2 : 256;
    s->map_keys = calloc(s->map_cap, sizeof *s->map_keys);
    s->map_keys_idx = calloc(s->map_cap, sizeof *s->map_keys_idx);
    if (!s->map_keys || !s->map_keys_idx) TC_ICE("out of host memory");
    for (uint32_t i = 0; i < ocap; i++) {
        if (!okeys[i]) continue;
        uint32_t j = name_slot(s, okeys[i]);
        s->map_keys[j] = okeys[i];
        s->map_keys_idx[j] = oidx[i];
    }
    free(okeys);
    free(oidx);
}

/* Names are keyed by their interned pointer in the module's table, so the
 * syntax tree may come from any string table. */
static Sym *lookup(Sema *s, const char *name)
{
    if (!s->map_cap) return NULL;
    name = tc_ir_intern(s->m, name);
    uint32_t j = name_slot(s, name);
    if (!s->map_keys[j] || !s->map_keys_idx[j]) return NULL;
    return &s->syms.data[s->map_keys_idx[j] - 1];
}

static Sym *declare_as(Sema *s, const char *name, SymKind kind, TcSpan span, bool report_redefinition)
{
    name = tc_ir_intern(s->m, name);
    Sym *prev = lookup(s, name);
    if (report_redefinition && prev && prev->depth == s->scope_depth) {
        TcDiag *d = tc_error(s->de, TC_E_REDEFINED, span, "'%s' is already defined in this scope", name);
        tc_diag_note(s->de, d, prev->span, "'%s' was defined here", name);
    }
    if ((s->map_len + 1) * 2 > s->map_cap) map_grow(s);
    Sym sym = {.name = name, .kind = kind, .span = span, .depth = s->scope_depth};
    uint32_t j = name_slot(s, name);
    if (s->map_keys[j]) sym.shadowed = s->map_keys_idx[j];
    else s->map_len++;
    TC_VEC_PUSH(s->arena, s->syms, sym);
    s->map_keys[j] = name;
    s->map_keys_idx[j] = s->syms.len;
    return &s->syms.data[s->syms.len - 1];
}

static Sym *declare(Sema *s, const char *name, SymKind kind, TcSpan span)
{
    return declare_as(s, name, kind, span, true);
}

/* Parameters: a repeated name was reported as TC_E_DUP_PARAM already. */
static Sym *declare_param(Sema *s, const char *name, SymKind kind, TcSpan span)
{
    return declare_as(s, name, kind, span, false);
}

static uint32_t scope_push(Sema *s)
{
    s->scope_depth++;
    return s->syms.len;
}

static void scope_pop(Sema *s, uint32_t mark)
{
    while (s->syms.len > mark) {
        Sym *sym = &s->syms.data[s->syms.len - 1];
        uint32_t j = name_slot(s, sym->name);
        s->map_keys_idx[j] = sym->shadowed;
        s->syms.len--;
    }
    s->scope_depth--;
}

/* ---------------------------------------------------------- helpers */

static Sv sv_error(void) { return (Sv){.kind = SV_ERROR}; }

static bool sv_ok(const Sv *v) { return v->kind != SV_ERROR; }

static TcType *vtype(const Sv *v) { return v->v->type; }

static TcIrModule *mod(Sema *s) { return s->m; }

static void type_str(const TcType *t, char *buf, size_t n)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_type_print(t, &sb);
    snprintf(buf, n, "%s", sb.data ? sb.data : "?");
    tc_sb_free(&sb);
}

/* A short description of an Sv's type for messages. */
static const char *sv_type_name(Sema *s, const Sv *v)
{
    char buf[160];
    if (v->kind == SV_DTYPE) return "dtype";
    if (v->kind == SV_VOID) return "no value";
    if (v->kind != SV_VALUE) return "?";
    type_str(vtype(v), buf, sizeof buf);
    return tc_arena_strdup(s->arena, buf);
}

static bool is_pow2(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

/* Checks a tile shape against the v0 rules; reports at span. */
static bool check_shape(Sema *s, uint32_t rank, const int64_t *shape, TcSpan span)
{
    if (rank > TC_MAX_RANK) {
        TcDiag *d = tc_error(s->de, TC_E_RANK_LIMIT, span, "tile rank %u is above the limit of %d", rank, TC_MAX_RANK);
        tc_diag_amounts(d, rank, TC_MAX_RANK);
        return false;
    }
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) {
        if (shape[i] <= 0) {
            tc_error(s->de, TC_E_EXTENT, span, "tile extent %lld must be positive", (long long)shape[i]);
            return false;
        }
        if (!is_pow2(shape[i])) {
            tc_error(s->de, TC_E_EXTENT, span,
                     "tile extent %lld is not a power of two; v0 maps tile axes onto threads and needs powers of two",
                     (long long)shape[i]);
            return false;
        }
        n = n > INT64_MAX / shape[i] ? INT64_MAX : n * shape[i]; /* saturates; extents are positive */
    }
    if (n > TC_TILE_MAX_ELEMS) {
        TcDiag *d = tc_error(s->de, TC_E_TILE_TOO_LARGE, span, "tile of %s%lld elements exceeds the limit of %lld",
                             n == INT64_MAX ? "more than " : "", (long long)n, (long long)TC_TILE_MAX_ELEMS);
        tc_diag_amounts(d, n, TC_TILE_MAX_ELEMS);
        return false;
    }
    return true;
}

static void name_value(TcIrValue *v, Sema *s, const char *name)
{
    if (v && v->def && !v->name && v->def->opc != TC_OP_CONST) v->name = tc_ir_intern(mod(s), name);
}

/* Emits a scalar constant of dtype dt. */
static Sv make_const(Sema *s, TcDtype dt, TcScalar c, bool weak, TcSpan span)
{
    c = tc_scalar_normalize(dt, c);
    TcIrValue *v = tc_dtype_is_float(dt) ? tc_ir_build_const_float(&s->b, dt, c.f)
                                         : tc_ir_build_const_int(&s->b, dt, c.i);
    return (Sv){.kind = SV_VALUE, .span = span, .v = v, .weak = weak, .is_const = true, .c = c};
}

static Sv make_value(TcIrValue *v, TcSpan span)
{
    return (Sv){.kind = SV_VALUE, .span = span, .v = v};
}

/* ------------------------------------------------------- conversions */

/* True if a value of dtype `from` converts to `to` without narrowing. */
static bool widens(TcDtype from, TcDtype to)
{
    if (from == to) return true;
    if (from == TC_BOOL || to == TC_BOOL) return false;
    bool ff = tc_dtype_is_float(from), tf = tc_dtype_is_float(to);
    unsigned fb = tc_dtype_bits(from), tb = tc_dtype_bits(to);
    if (tf && !ff) return true; /* integer with float is float */
    if (ff && tf) return tb > fb && !(from == TC_F16 && to == TC_BF16) && !(from == TC_BF16 && to == TC_F16);
    if (ff) return false;
    bool fs = tc_dtype_is_signed(from), ts = tc_dtype_is_signed(to);
    if (fs == ts) return tb > fb;
    return !fs && ts && tb > fb; /* unsigned into a wider signed type */
}

static bool weak_fits(TcDtype to, const Sv *v)
{
    if (!v->is_const || tc_dtype_is_float(to) || tc_dtype_is_float(vtype(v)->dtype)) return true;
    TcScalar n = tc_scalar_normalize(to, v->c);
    return n.i == v->c.i;
}

/*
 * Converts v to dtype `to`, keeping its shape. Implicit conversions only widen;
 * a weak value (literal, const) takes the dtype if its value fits. `what`
 * names the context for messages.
 */
static Sv convert_dtype(Sema *s, Sv v, TcDtype to, bool explicit_cast, const char *what)
{
    if (!sv_ok(&v)) return v;
    TcDtype from = vtype(&v)->dtype;
    if (from == to) return v;
    if (v.weak && v.is_const && !explicit_cast) {
        bool from_float = tc_dtype_is_float(from);
        if (from_float && !tc_dtype_is_float(to)) {
            tc_error(s->de, TC_E_NARROWING, v.span,
                     "float literal in %s of type %s needs cast(x, %s)", what, tc_dtype_name(to), tc_dtype_name(to));
            return sv_error();
        }
        if (to == TC_BOOL) {
            tc_error(s->de, TC_E_TYPE, v.span, "expected bool in %s, found a number", what);
            return sv_error();
        }
        if (!weak_fits(to, &v)) {
            tc_error(s->de, TC_E_CONST_RANGE, v.span, "constant %lld does not fit in %s",
                     (long long)v.c.i, tc_dtype_name(to));
            return sv_error();
        }
        TcScalar c = tc_scalar_cast(from, to, v.c);
        Sv r = make_const(s, to, c, true, v.span);
        return r;
    }
    if (!explicit_cast && !widens(from, to)) {
        tc_error(s->de, TC_E_NARROWING, v.span,
                 "implicit conversion from %s to %s in %s narrows; use cast(x, %s)",
                 tc_dtype_name(from), tc_dtype_name(to), what, tc_dtype_name(to));
        return sv_error();
    }
    if (v.is_const) {
        Sv r = make_const(s, to, tc_scalar_cast(from, to, v.c), false, v.span);
        return r;
    }
    TcIrValue *c = tc_ir_build_cast(&s->b, v.v, tc_type_with_dtype(mod(s), vtype(&v), to));
    Sv r = make_value(c, v.span);
    return r;
}

/* NumPy broadcasting of two shapes (scalars have rank 0). */
static bool broadcast_shapes(uint32_t ra, const int64_t *a, uint32_t rb, const int64_t *b,
                             uint32_t *rr, int64_t *r)
{
    uint32_t n = ra > rb ? ra : rb;
    for (uint32_t i = 0; i < n; i++) {
        int64_t x = i < n - ra ? 1 : a[i - (n - ra)];
        int64_t y = i < n - rb ? 1 : b[i - (n - rb)];
        if (x != y && x != 1 && y != 1) return false;
        r[i] = x == 1 ? y : x;
    }
    *rr = n;
    return true;
}

static uint32_t rank_of(const TcType *t) { return t->kind == TC_TY_TILE ? t->rank : 0; }

/* Makes v a tile of the given shape (NumPy rules); rank 0 leaves scalars alone. */
static Sv broadcast_to(Sema *s, Sv v, uint32_t rank, const int64_t *shape)
{
    if (!sv_ok(&v)) return v;
    const TcType *t = vtype(&v);
    if (rank == 0) return v;
    TcType *target = tc_type_tile(mod(s), t->dtype, rank, shape);
    if (t == target) return v;
    Sv r = v;
    r.is_const = false;
    r.weak = false;
    if (t->kind == TC_TY_SCALAR) {
        r.v = tc_ir_build_splat(&s->b, v.v, target);
        return r;
    }
    TcIrValue *x = v.v;
    if (t->rank < rank) {
        int64_t ext[TC_MAX_RANK];
        uint32_t pad = rank - t->rank;
        for (uint32_t i = 0; i < rank; i++) ext[i] = i < pad ? 1 : t->shape[i - pad];
        x = tc_ir_build_reshape(&s->b, x, tc_type_tile(mod(s), t->dtype, rank, ext));
    }
    if (x->type != target) x = tc_ir_build_broadcast(&s->b, x, target);
    r.v = x;
    return r;
}

static bool is_tensor_sv(const Sv *v) { return v->kind == SV_VALUE && vtype(v)->kind == TC_TY_TENSOR; }

/* Requires a scalar or tile value (not a tensor, dtype or void). */
static bool need_value(Sema *s, const Sv *v, const char *what)
{
    if (v->kind == SV_ERROR) return false;
    if (v->kind == SV_DTYPE) {
        tc_error(s->de, TC_E_DTYPE_VALUE, v->span, "a dtype cannot be used as %s", what);
        return false;
    }
    if (v->kind == SV_VOID) {
        tc_error(s->de, TC_E_VOID, v->span, "expression has no value; it cannot be used as %s", what);
        return false;
    }
    if (is_tensor_sv(v)) {
        tc_error(s->de, TC_E_TENSOR_VALUE, v->span,
                 "tensor '%s' used as %s; load a tile from it with load(%s, offsets, shape)",
                 v->tensor_name ? v->tensor_name : "?", what, v->tensor_name ? v->tensor_name : "t");
        return false;
    }
    return true;
}

/* The dtype two operands meet at (DESIGN: widening only). */
static bool meet_dtype(Sema *s, const Sv *a, const Sv *b, TcSpan span, const char *op, TcDtype *out)
{
    TcDtype x = vtype(a)->dtype, y = vtype(b)->dtype;
    if (x == y) { *out = x; return true; }
    bool xf = tc_dtype_is_float(x), yf = tc_dtype_is_float(y);
    /* A weak operand takes the other's dtype when it can. */
    if (a->weak && !b->weak && (!xf || yf)) { *out = y; return true; }
    if (b->weak && !a->weak && (!yf || xf)) { *out = x; return true; }
    if (a->weak && b->weak) { *out = xf ? x : y; return true; }
    if (x == TC_BOOL || y == TC_BOOL) {
        tc_error(s->de, TC_E_TYPE, span, "operands of '%s' have types %s and %s; convert the bool with cast",
                 op, tc_dtype_name(x), tc_dtype_name(y));
        return false;
    }
    if (xf || yf) {
        if (xf && yf) {
            if ((x == TC_F16 && y == TC_BF16) || (x == TC_BF16 && y == TC_F16)) *out = TC_F32;
            else *out = tc_dtype_bits(x) >= tc_dtype_bits(y) ? x : y;
        } else {
            *out = xf ? x : y;
        }
        return true;
    }
    bool xs = tc_dtype_is_signed(x), ys = tc_dtype_is_signed(y);
    unsigned xb = tc_dtype_bits(x), yb = tc_dtype_bits(y);
    if (xs == ys) { *out = xb >= yb ? x : y; return true; }
    TcDtype sg = xs ? x : y, un = xs ? y : x;
    if (tc_dtype_bits(sg) > tc_dtype_bits(un)) { *out = sg; return true; }
    if (tc_dtype_bits(un) < 64) {
        *out = tc_dtype_bits(un) == 32 ? TC_I64 : tc_dtype_bits(un) == 16 ? TC_I32 : TC_I16;
        return true;
    }
    tc_error(s->de, TC_E_SIGNEDNESS, span,
             "operands of '%s' mix %s and %s, which have no common type; use cast", op,
             tc_dtype_name(x), tc_dtype_name(y));
    return false;
}

/* Brings a and b to one type (dtype meet + broadcast). */
static bool unify(Sema *s, Sv *a, Sv *b, TcSpan span, const char *op)
{
    TcDtype dt;
    if (!meet_dtype(s, a, b, span, op, &dt)) return false;
    const TcType *ta = vtype(a), *tb = vtype(b);
    uint32_t rr;
    int64_t shape[TC_MAX_RANK];
    if (!broadcast_shapes(rank_of(ta), ta->shape, rank_of(tb), tb->shape, &rr, shape)) {
        char x[160], y[160];
        type_str(ta, x, sizeof x);
        type_str(tb, y, sizeof y);
        tc_error(s->de, TC_E_SHAPE, span, "operands of '%s' have shapes that do not broadcast: %s and %s", op, x, y);
        return false;
    }
    bool weak = a->weak && b->weak;
    *a = convert_dtype(s, *a, dt, false, "an operand");
    *b = convert_dtype(s, *b, dt, false, "an operand");
    if (!sv_ok(a) || !sv_ok(b)) return false;
    *a = broadcast_to(s, *a, rr, shape);
    *b = broadcast_to(s, *b, rr, shape);
    a->weak = b->weak = weak;
    return true;
}

/* Emits a binary op, folding scalar constants. */
static Sv emit_binary(Sema *s, TcOpcode opc, Sv a, Sv b, TcSpan span)
{
    bool weak = a.weak && b.weak;
    if (a.is_const && b.is_const && vtype(&a)->kind == TC_TY_SCALAR) {
        TcScalar in[2] = {a.c, b.c}, out;
        TcDtype dt = vtype(&a)->dtype;
        if (tc_fold_scalar(opc, dt, in, &out)) {
            TcDtype rdt = tc_op_info(opc)->rule == TC_RR_BOOL ? TC_BOOL : dt;
            return make_const(s, rdt, out, weak && rdt != TC_BOOL, span);
        }
    }
    Sv r = make_value(tc_ir_build_binary(&s->b, opc, a.v, b.v), span);
    r.weak = weak && tc_op_info(opc)->rule != TC_RR_BOOL;
    return r;
}

static Sv emit_unary(Sema *s, TcOpcode opc, Sv a, TcSpan span)
{
    if (a.is_const) {
        TcScalar out;
        if (tc_fold_scalar(opc, vtype(&a)->dtype, &a.c, &out))
            return make_const(s, vtype(&a)->dtype, out, a.weak, span);
    }
    Sv r = make_value(tc_ir_build_unary(&s->b, opc, a.v), span);
    r.weak = a.weak;
    return r;
}

/* -------------------------------------------------------- expressions */

static Sv lower_expr(Sema *s, const TcAstNode *e);

/* Lowers e and requires a scalar or tile value. */
static Sv lower_value(Sema *s, const TcAstNode *e, const char *what)
{
    Sv v = lower_expr(s, e);
    if (!need_value(s, &v, what)) return sv_error();
    return v;
}

/* Evaluates e as a compile-time integer (shape extents, axes, attributes). */
static bool const_int(Sema *s, const TcAstNode *e, const char *what, int64_t *out)
{
    Sv v = lower_value(s, e, what);
    if (!sv_ok(&v)) return false;
    const TcType *t = vtype(&v);
    if (t->kind != TC_TY_SCALAR || !tc_dtype_is_int(t->dtype)) {
        tc_error(s->de, TC_E_TYPE, e->span, "%s must be an integer, found %s", what, sv_type_name(s, &v));
        return false;
    }
    if (!v.is_const) {
        tc_error(s->de, TC_E_NOT_CONST, e->span,
                 "%s must be a compile-time constant (literals and const parameters)", what);
        return false;
    }
    *out = v.c.i;
    return true;
}

/* Reads a shape list `[a, b, ...]` of compile-time extents. */
static bool const_shape(Sema *s, const TcAstNode *e, uint32_t *rank, int64_t *shape)
{
    if (e->kind == TC_AST_ERROR) return false;
    if (e->kind != TC_AST_LIST) {
        tc_error(s->de, TC_E_LIST, e->span, "expected a shape list like [64, 32]");
        return false;
    }
    if (e->u.list.items.len == 0 || e->u.list.items.len > TC_MAX_RANK) {
        TcDiag *d = tc_error(s->de, e->u.list.items.len ? TC_E_RANK_LIMIT : TC_E_LIST, e->span,
                             "a shape needs 1 to %d extents, found %u", TC_MAX_RANK, e->u.list.items.len);
        tc_diag_amounts(d, e->u.list.items.len, TC_MAX_RANK);
        return false;
    }
    *rank = e->u.list.items.len;
    for (uint32_t i = 0; i < *rank; i++)
        if (!const_int(s, e->u.list.items.data[i], "a tile extent", &shape[i])) return false;
    return check_shape(s, *rank, shape, e->span);
}

/* Reads a dtype argument: a dtype keyword or a dtype const. */
static bool dtype_arg(Sema *s, const TcAstNode *e, TcDtype *out)
{
    Sv v = lower_expr(s, e);
    if (!sv_ok(&v)) return false;
    if (v.kind != SV_DTYPE) {
        tc_error(s->de, TC_E_DTYPE_VALUE, e->span, "expected a dtype such as f32, found %s", sv_type_name(s, &v));
        return false;
    }
    *out = v.dt;
    return true;
}

/* Requires an integer scalar (offsets, indices, loop bounds). */
static bool int_scalar(Sema *s, Sv *v, const char *what)
{
    if (!sv_ok(v)) return false;
    const TcType *t = vtype(v);
    if (t->kind != TC_TY_SCALAR || !tc_dtype_is_int(t->dtype)) {
        tc_error(s->de, TC_E_TYPE, v->span, "%s must be an integer scalar, found %s", what, sv_type_name(s, v));
        return false;
    }
    return true;
}

static TcOpcode binop_opcode(TcAstOp op)
{
    switch (op) {
    case TC_AOP_ADD: return TC_OP_ADD;
    case TC_AOP_SUB: return TC_OP_SUB;
    case TC_AOP_MUL: return TC_OP_MUL;
    case TC_AOP_DIV: return TC_OP_DIV;
    case TC_AOP_REM: return TC_OP_REM;
    case TC_AOP_BITAND: case TC_AOP_ANDAND: return TC_OP_AND;
    case TC_AOP_BITOR: case TC_AOP_OROR: return TC_OP_OR;
    case TC_AOP_BITXOR: return TC_OP_XOR;
    case TC_AOP_SHL: return TC_OP_SHL;
    case TC_AOP_SHR: return TC_OP_SHR;
    case TC_AOP_EQ: return TC_OP_EQ;
    case TC_AOP_NE: return TC_OP_NE;
    case TC_AOP_LT: return TC_OP_LT;
    case TC_AOP_LE: return TC_OP_LE;
    case TC_AOP_GT: return TC_OP_GT;
    case TC_AOP_GE: return TC_OP_GE;
    default: return TC_OP_COUNT;
    }
}

static Sv lower_dot(Sema *s, Sv a, Sv b, const TcAstNode *acc_e, TcSpan span);

/* Applies a binary operator to two lowered operands (also used by op=). */
static Sv apply_binary(Sema *s, TcAstOp op, Sv a, Sv b, TcSpan span)
{
    const char *ops = tc_ast_op_str(op);
    if (!need_value(s, &a, "an operand") || !need_value(s, &b, "an operand")) return sv_error();
    if (op == TC_AOP_MATMUL) return lower_dot(s, a, b, NULL, span);
    if (op == TC_AOP_ANDAND || op == TC_AOP_OROR) {
        if (vtype(&a)->dtype != TC_BOOL || vtype(&b)->dtype != TC_BOOL) {
            tc_error(s->de, TC_E_OPERATOR, span, "operands of '%s' must be bool, found %s and %s", ops,
                     sv_type_name(s, &a), sv_type_name(s, &b));
            return sv_error();
        }
    }
    if (!unify(s, &a, &b, span, ops)) return sv_error();
    TcDtype dt = vtype(&a)->dtype;
    TcOpcode opc = binop_opcode(op);
    switch (op) {
    case TC_AOP_ADD: case TC_AOP_SUB: case TC_AOP_MUL: case TC_AOP_DIV: case TC_AOP_REM:
        if (dt == TC_BOOL) {
            tc_error(s->de, TC_E_OPERATOR, span, "'%s' is not defined on bool", ops);
            return sv_error();
        }
        if ((op == TC_AOP_DIV || op == TC_AOP_REM) && !tc_dtype_is_float(dt) && b.is_const && b.c.i == 0) {
            tc_error(s->de, TC_E_DIV_ZERO, b.span, "integer division by zero");
            return sv_error();
        }
        break;
    case TC_AOP_BITAND: case TC_AOP_BITOR: case TC_AOP_BITXOR:
        if (tc_dtype_is_float(dt)) {
            tc_error(s->de, TC_E_OPERATOR, span, "'%s' needs integer or bool operands, found %s", ops, tc_dtype_name(dt));
            return sv_error();
        }
        break;
    case TC_AOP_SHL: case TC_AOP_SHR:
        if (!tc_dtype_is_int(dt)) {
            tc_error(s->de, TC_E_OPERATOR, span, "'%s' needs integer operands, found %s", ops, tc_dtype_name(dt));
            return sv_error();
        }
        break;
    default: break;
    }
    return emit_binary(s, opc, a, b, span);
}

static Sv lower_unary(Sema *s, const TcAstNode *e)
{
    Sv a = lower_value(s, e->u.unary.operand, "an operand");
    if (!sv_ok(&a)) return a;
    TcDtype dt = vtype(&a)->dtype;
    switch (e->u.unary.op) {
    case TC_AOP_NEG:
        if (dt == TC_BOOL) break;
        return emit_unary(s, TC_OP_NEG, a, e->span);
    case TC_AOP_NOT:
        if (dt != TC_BOOL) break;
        return emit_unary(s, TC_OP_NOT, a, e->span);
    case TC_AOP_BITNOT:
        if (!tc_dtype_is_int(dt)) break;
        return emit_unary(s, TC_OP_NOT, a, e->span);
    default: break;
    }
    tc_error(s->de, TC_E_OPERATOR, e->span, "unary '%s' is not defined on %s", tc_ast_op_str(e->u.unary.op),
             sv_type_name(s, &a));
    return sv_error();
}

/* c ? a : b — a constant condition picks one arm; otherwise both are
 * evaluated (expressions have no side effects) and selected. */
static Sv lower_ternary(Sema *s, const TcAstNode *e)
{
    Sv c = lower_value(s, e->u.ternary.cond, "a condition");
    Sv a = lower_value(s, e->u.ternary.then_e, "a value");
    Sv b = lower_value(s, e->u.ternary.else_e, "a value");
    if (!sv_ok(&c) || !sv_ok(&a) || !sv_ok(&b)) return sv_error();
    if (vtype(&c)->dtype != TC_BOOL) {
        tc_error(s->de, TC_E_CONDITION, c.span, "condition of '?:' must be bool, found %s", sv_type_name(s, &c));
        return sv_error();
    }
    if (!unify(s, &a, &b, e->span, "?:")) return sv_error();
    if (c.is_const) {
        Sv r = c.c.i ? a : b;
        r.span = e->span;
        return r;
    }
    const TcType *ta = vtype(&a), *tc = vtype(&c);
    uint32_t rr;
    int64_t shape[TC_MAX_RANK];
    if (!broadcast_shapes(rank_of(ta), ta->shape, rank_of(tc), tc->shape, &rr, shape)) {
        tc_error(s->de, TC_E_SHAPE, e->span, "condition and values of '?:' do not broadcast");
        return sv_error();
    }
    c = broadcast_to(s, c, rr, shape);
    a = broadcast_to(s, a, rr, shape);
    b = broadcast_to(s, b, rr, shape);
    return make_value(tc_ir_build_select(&s->b, c.v, a.v, b.v), e->span);
}

static Sv lower_name(Sema *s, const TcAstNode *e)
{
    Sym *sym = lookup(s, e->u.name.id);
    if (!sym) {
        tc_error(s->de, TC_E_UNDEFINED, e->span, "undefined name '%s'", e->u.name.id);
        return sv_error();
    }
    if (s->in_grid && (sym->kind == SYM_TENSOR)) {
        tc_error(s->de, TC_E_GRID, e->span, "the grid clause cannot use tensor '%s'; use its size names", sym->name);
        return sv_error();
    }
    Sv v = sym->sv;
    v.span = e->span;
    if (sym->kind == SYM_CONST && v.kind == SV_VALUE) {
        /* consts are materialized where they are used */
        return make_const(s, vtype(&sym->sv)->dtype, sym->sv.c, sym->sv.weak, e->span);
    }
    return v;
}

/* q[z, h]: a view fixing leading indices; x[:, None]: tile axis indexing. */
static Sv lower_index(Sema *s, const TcAstNode *e)
{
    Sv base = lower_expr(s, e->u.index.base);
    if (!sv_ok(&base)) return base;
    const TcAstList *items = &e->u.index.items;
    if (is_tensor_sv(&base)) {
        const TcType *t = vtype(&base);
        if (items->len >= t->rank) {
            tc_error(s->de, TC_E_VIEW, e->span,
                     "a view of tensor '%s' (rank %u) fixes fewer than %u indices, found %u",
                     base.tensor_name, t->rank, t->rank, items->len);
            return sv_error();
        }
        TcIrValue *idx[TC_MAX_RANK];
        for (uint32_t i = 0; i < items->len; i++) {
            const TcAstNode *it = items->data[i];
            if (it->kind == TC_AST_SLICE || it->kind == TC_AST_NONE) {
                tc_error(s->de, TC_E_VIEW, it->span, "a tensor view takes integer indices, not ':' or None");
                return sv_error();
            }
            Sv iv = lower_value(s, it, "a view index");
            if (!int_scalar(s, &iv, "a view index")) return sv_error();
            idx[i] = iv.v;
        }
        Sv r = make_value(tc_ir_build_view(&s->b, base.v, items->len, idx), e->span);
        r.tensor_name = base.tensor_name;
        return r;
    }
    if (!need_value(s, &base, "an indexed value")) return sv_error();
    const TcType *t = vtype(&base);
    uint32_t rank = rank_of(t), nslices = 0, nnone = 0;
    for (uint32_t i = 0; i < items->len; i++) {
        const TcAstNode *it = items->data[i];
        if (it->kind == TC_AST_SLICE) nslices++;
        else if (it->kind == TC_AST_NONE) nnone++;
        else {
            tc_error(s->de, TC_E_INDEX, it->span,
                     "a tile is indexed with ':' (keep an axis) and None (insert an axis); other indices are not supported");
            return sv_error();
        }
    }
    if (nslices != rank) {
        tc_error(s->de, TC_E_INDEX, e->span, "indexing a tile of rank %u needs %u ':', found %u", rank, rank, nslices);
        return sv_error();
    }
    if (rank + nnone > TC_MAX_RANK) {
        tc_error(s->de, TC_E_RANK_LIMIT, e->span, "indexing gives rank %u, above the limit of %d", rank + nnone, TC_MAX_RANK);
        return sv_error();
    }
    TcIrValue *x = base.v;
    for (uint32_t i = 0; i < items->len; i++)
        if (items->data[i]->kind == TC_AST_NONE) x = tc_ir_build_expand_dims(&s->b, x, i);
    Sv r = make_value(x, e->span);
    return r;
}

/* ------------------------------------------------------------ builtins */

typedef struct Args {
    const TcAstNode *a[6];  /* by parameter position; NULL = not given */
    TcSpan call_span;
} Args;

typedef Sv (*BuiltinFn)(Sema *s, const Args *args, TcSpan span, int variant);

typedef struct Builtin {
    const char *name;
    const char *params[6]; /* parameter names, NULL-terminated */
    uint8_t nrequired;
    BuiltinFn fn;
    int variant;
} Builtin;

/* Matches call arguments (positional, then named) to a builtin's params. */
static bool match_args(Sema *s, const Builtin *bi, const TcAstNode *call, Args *out)
{
    memset(out, 0, sizeof *out);
    out->call_span = call->span;
    uint32_t nparams = 0;
    while (nparams < 6 && bi->params[nparams]) nparams++;
    const TcAstList *args = &call->u.call.args;
    uint32_t pos = 0;
    bool ok = true;
    for (uint32_t i = 0; i < args->len; i++) {
        const TcAstNode *a = args->data[i];
        if (a->kind == TC_AST_NAMED_ARG) {
            uint32_t j = 0;
            while (j < nparams && strcmp(bi->params[j], a->u.named_arg.id) != 0) j++;
            if (j == nparams) {
                TcDiag *d = tc_error(s->de, TC_E_NAMED_ARG, a->u.named_arg.id_span,
                                     "%s() has no named argument '%s'", bi->name, a->u.named_arg.id);
                char buf[128] = "";
                for (uint32_t k = 0; k < nparams; k++) {
                    strncat(buf, k ? ", " : "", sizeof buf - strlen(buf) - 1);
                    strncat(buf, bi->params[k], sizeof buf - strlen(buf) - 1);
                }
                tc_diag_note(s->de, d, call->u.call.callee_span, "the arguments of %s() are: %s", bi->name, buf);
                ok = false;
                continue;
            }
            if (out->a[j]) {
                tc_error(s->de, TC_E_NAMED_ARG, a->span, "argument '%s' of %s() given twice", bi->params[j], bi->name);
                ok = false;
                continue;
            }
            out->a[j] = a->u.named_arg.value;
        } else {
            if (pos >= nparams) {
                tc_error(s->de, TC_E_ARG_COUNT, a->span, "%s() takes at most %u argument%s, found %u", bi->name,
                         nparams, nparams == 1 ? "" : "s", args->len);
                return false;
            }
            if (out->a[pos]) {
                tc_error(s->de, TC_E_NAMED_ARG, a->span, "argument '%s' of %s() given twice", bi->params[pos], bi->name);
                return false;
            }
            if (i > 0 && args->data[i - 1]->kind == TC_AST_NAMED_ARG) {
                tc_error(s->de, TC_E_NAMED_ARG, a->span, "positional argument after a named one");
                return false;
            }
            out->a[pos++] = a;
        }
    }
    for (uint32_t j = 0; j < bi->nrequired; j++) {
        if (!out->a[j]) {
            tc_error(s->de, TC_E_ARG_COUNT, call->span, "%s() is missing its argument '%s'", bi->name, bi->params[j]);
            return false;
        }
    }
    return ok;
}

static Sv bi_program_id(Sema *s, const Args *a, TcSpan span, int variant)
{
    if (s->in_grid) {
        tc_error(s->de, TC_E_GRID, span, "the grid clause cannot use %s()", variant ? "num_programs" : "program_id");
        return sv_error();
    }
    int64_t axis;
    if (!const_int(s, a->a[0], "the program axis", &axis)) return sv_error();
    if (axis < 0 || axis > 2) {
        tc_error(s->de, TC_E_PROGRAM_AXIS, a->a[0]->span, "program axis must be 0, 1 or 2, found %lld", (long long)axis);
        return sv_error();
    }
    TcOpcode opc = variant ? TC_OP_NUM_PROGRAMS : TC_OP_PROGRAM_ID;
    return make_value(tc_ir_build_program_id(&s->b, opc, (uint32_t)axis), span);
}

/* cdiv(a, b) = (a + b - 1) / b on integers. */
static Sv bi_cdiv(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "an argument of cdiv");
    Sv y = lower_value(s, a->a[1], "an argument of cdiv");
    if (!sv_ok(&x) || !sv_ok(&y)) return sv_error();
    if (!unify(s, &x, &y, span, "cdiv")) return sv_error();
    if (!tc_dtype_is_int(vtype(&x)->dtype)) {
        tc_error(s->de, TC_E_TYPE, span, "cdiv() needs integers, found %s", sv_type_name(s, &x));
        return sv_error();
    }
    if (y.is_const && y.c.i == 0) {
        tc_error(s->de, TC_E_DIV_ZERO, y.span, "cdiv() by zero");
        return sv_error();
    }
    TcScalar one = {.i = 1};
    Sv c1 = make_const(s, vtype(&y)->dtype, one, true, span);
    c1 = broadcast_to(s, c1, rank_of(vtype(&y)), vtype(&y)->shape);
    Sv t = emit_binary(s, TC_OP_ADD, x, y, span);
    t = emit_binary(s, TC_OP_SUB, t, c1, span);
    return emit_binary(s, TC_OP_DIV, t, y, span);
}

/* zeros(shape, T = f32), full(shape, value, T) */
static Sv bi_full(Sema *s, const Args *a, TcSpan span, int variant)
{
    uint32_t rank;
    int64_t shape[TC_MAX_RANK];
    if (!const_shape(s, a->a[0], &rank, shape)) return sv_error();
    const TcAstNode *dt_e = variant ? a->a[2] : a->a[1];
    Sv val;
    TcDtype dt = TC_F32;
    if (variant) {
        val = lower_value(s, a->a[1], "the fill value");
        if (!sv_ok(&val)) return sv_error();
        if (vtype(&val)->kind != TC_TY_SCALAR) {
            tc_error(s->de, TC_E_TYPE, val.span, "the fill value of full() must be a scalar, found %s",
                     sv_type_name(s, &val));
            return sv_error();
        }
        dt = val.weak && tc_dtype_is_int(vtype(&val)->dtype) ? TC_I32 : vtype(&val)->dtype;
    }
    if (dt_e && !dtype_arg(s, dt_e, &dt)) return sv_error();
    if (!variant) val = make_const(s, dt, (TcScalar){0}, false, span);
    else val = convert_dtype(s, val, dt, false, "the fill value");
    if (!sv_ok(&val)) return sv_error();
    Sv r = broadcast_to(s, val, rank, shape);
    r.span = span;
    return r;
}

static Sv bi_arange(Sema *s, const Args *a, TcSpan span, int variant)
{
    int64_t n;
    if (!const_int(s, a->a[0], "the length of arange", &n)) return sv_error();
    if (!check_shape(s, 1, &n, a->a[0]->span)) return sv_error();
    return make_value(tc_ir_build_arange(&s->b, n), span);
}

/* The tensor argument of load/store: a tensor parameter or a view. */
static bool tensor_arg(Sema *s, const TcAstNode *e, Sv *out, const char *fn)
{
    *out = lower_expr(s, e);
    if (!sv_ok(out)) return false;
    if (!is_tensor_sv(out)) {
        tc_error(s->de, TC_E_TYPE, e->span, "the first argument of %s() must be a tensor or a view, found %s", fn,
                 sv_type_name(s, out));
        return false;
    }
    return true;
}

/* Reads an offsets list with one integer scalar per tensor axis. */
static bool offsets_arg(Sema *s, const TcAstNode *e, uint32_t rank, TcIrValue **offs)
{
    if (e->kind == TC_AST_ERROR) return false;
    if (e->kind != TC_AST_LIST) {
        tc_error(s->de, TC_E_LIST, e->span, "expected an offsets list like [m0, k]");
        return false;
    }
    if (e->u.list.items.len != rank) {
        tc_error(s->de, TC_E_RANK, e->span, "the tensor has rank %u but %u offset%s given", rank, e->u.list.items.len,
                 e->u.list.items.len == 1 ? " is" : "s are");
        return false;
    }
    for (uint32_t i = 0; i < rank; i++) {
        Sv o = lower_value(s, e->u.list.items.data[i], "an offset");
        if (!int_scalar(s, &o, "an offset")) return false;
        offs[i] = o.v;
    }
    return true;
}

static Sv bi_load(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv t;
    if (!tensor_arg(s, a->a[0], &t, "load")) return sv_error();
    const TcType *tt = vtype(&t);
    TcIrValue *offs[TC_MAX_RANK];
    if (!offsets_arg(s, a->a[1], tt->rank, offs)) return sv_error();
    uint32_t rank;
    int64_t shape[TC_MAX_RANK];
    if (!const_shape(s, a->a[2], &rank, shape)) return sv_error();
    if (rank != tt->rank) {
        tc_error(s->de, TC_E_RANK, a->a[2]->span, "the tensor has rank %u but the tile shape has %u extent%s",
                 tt->rank, rank, rank == 1 ? "" : "s");
        return sv_error();
    }
    TcIrValue *pad = NULL;
    if (a->a[3]) {
        Sv p = lower_value(s, a->a[3], "the pad value");
        if (!sv_ok(&p)) return sv_error();
        if (vtype(&p)->kind != TC_TY_SCALAR) {
            tc_error(s->de, TC_E_TYPE, p.span, "pad must be a scalar, found %s", sv_type_name(s, &p));
            return sv_error();
        }
        p = convert_dtype(s, p, tt->dtype, false, "the pad value");
        if (!sv_ok(&p)) return sv_error();
        pad = p.v;
    }
    TcType *tile = tc_type_tile(mod(s), tt->dtype, rank, shape);
    return make_value(tc_ir_build_load(&s->b, t.v, offs, pad, tile), span);
}

static Sv bi_store(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv t;
    if (!tensor_arg(s, a->a[0], &t, "store")) return sv_error();
    const TcType *tt = vtype(&t);
    if (!(tt->flags & (TC_TENSOR_OUT | TC_TENSOR_INOUT))) {
        TcDiag *d = tc_error(s->de, TC_E_READ_ONLY, a->a[0]->span, "store to read-only tensor '%s'", t.tensor_name);
        Sym *sym = t.tensor_name ? lookup(s, t.tensor_name) : NULL;
        if (sym) tc_diag_note(s->de, d, sym->span, "declare it 'out' or 'inout' to write it");
        return sv_error();
    }
    TcIrValue *offs[TC_MAX_RANK];
    if (!offsets_arg(s, a->a[1], tt->rank, offs)) return sv_error();
    Sv v = lower_value(s, a->a[2], "the stored value");
    if (!sv_ok(&v)) return sv_error();
    v = convert_dtype(s, v, tt->dtype, false, "a store");
    if (!sv_ok(&v)) return sv_error();
    const TcType *vt = vtype(&v);
    if (vt->kind == TC_TY_SCALAR) {
        int64_t ones[TC_MAX_RANK];
        for (uint32_t i = 0; i < tt->rank; i++) ones[i] = 1;
        v = broadcast_to(s, v, tt->rank, ones);
    } else if (vt->rank != tt->rank) {
        tc_error(s->de, TC_E_RANK, v.span, "storing a rank-%u tile into tensor '%s' of rank %u", vt->rank,
                 t.tensor_name, tt->rank);
        return sv_error();
    }
    tc_ir_build_store(&s->b, t.v, offs, v.v);
    return (Sv){.kind = SV_VOID, .span = span};
}

static Sv lower_dot(Sema *s, Sv a, Sv b, const TcAstNode *acc_e, TcSpan span)
{
    const TcType *ta = vtype(&a), *tb = vtype(&b);
    if (ta->kind != TC_TY_TILE || tb->kind != TC_TY_TILE || ta->rank != 2 || tb->rank != 2) {
        tc_error(s->de, TC_E_DOT_SHAPE, span, "dot needs two rank-2 tiles, found %s and %s", sv_type_name(s, &a),
                 sv_type_name(s, &b));
        return sv_error();
    }
    if (ta->shape[1] != tb->shape[0]) {
        tc_error(s->de, TC_E_DOT_SHAPE, span, "dot of [%lld, %lld] and [%lld, %lld]: inner extents %lld and %lld differ",
                 (long long)ta->shape[0], (long long)ta->shape[1], (long long)tb->shape[0], (long long)tb->shape[1],
                 (long long)ta->shape[1], (long long)tb->shape[0]);
        return sv_error();
    }
    if (ta->dtype != tb->dtype) {
        tc_error(s->de, TC_E_DOT_DTYPE, span, "dot operands must share a dtype, found %s and %s; use cast",
                 tc_dtype_name(ta->dtype), tc_dtype_name(tb->dtype));
        return sv_error();
    }
    TcDtype in = ta->dtype;
    if (in == TC_BOOL) {
        tc_error(s->de, TC_E_DOT_DTYPE, span, "dot is not defined on bool");
        return sv_error();
    }
    int64_t shape[2] = {ta->shape[0], tb->shape[1]};
    TcType *rt;
    Sv acc;
    if (acc_e) {
        acc = lower_value(s, acc_e, "the accumulator");
        if (!sv_ok(&acc)) return sv_error();
        TcDtype adt = vtype(&acc)->dtype;
        bool ok = tc_dtype_is_float(in) ? (adt == in || adt == TC_F32 || adt == TC_F64) && tc_dtype_is_float(adt)
                                        : (adt == in || adt == TC_I32 || adt == TC_I64) && tc_dtype_is_int(adt);
        if (!ok) {
            tc_error(s->de, TC_E_DOT_DTYPE, acc.span, "a dot of %s operands cannot accumulate in %s",
                     tc_dtype_name(in), tc_dtype_name(adt));
            return sv_error();
        }
        rt = tc_type_tile(mod(s), adt, 2, shape);
        if (vtype(&acc) != rt) {
            const TcType *tacc = vtype(&acc);
            uint32_t rr;
            int64_t bs[TC_MAX_RANK];
            if (!broadcast_shapes(rank_of(tacc), tacc->shape, 2, shape, &rr, bs) || rr != 2 || bs[0] != shape[0] ||
                bs[1] != shape[1]) {
                tc_error(s->de, TC_E_DOT_SHAPE, acc.span, "the accumulator has type %s, expected %s[%lld, %lld]",
                         sv_type_name(s, &acc), tc_dtype_name(adt), (long long)shape[0], (long long)shape[1]);
                return sv_error();
            }
            acc = broadcast_to(s, acc, 2, shape);
        }
    } else {
        TcDtype adt = tc_dtype_is_float(in) ? (in == TC_F64 ? TC_F64 : TC_F32) : (in == TC_I64 ? TC_I64 : TC_I32);
        acc = make_const(s, adt, (TcScalar){0}, false, span);
        acc = broadcast_to(s, acc, 2, shape);
    }
    return make_value(tc_ir_build_dot(&s->b, a.v, b.v, acc.v), span);
}

static Sv bi_dot(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "a dot operand");
    Sv y = lower_value(s, a->a[1], "a dot operand");
    if (!sv_ok(&x) || !sv_ok(&y)) return sv_error();
    return lower_dot(s, x, y, a->a[2], span);
}

static Sv bi_trans(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "the argument of trans");
    if (!sv_ok(&x)) return x;
    const TcType *t = vtype(&x);
    if (t->kind != TC_TY_TILE || t->rank != 2) {
        tc_error(s->de, TC_E_RANK, x.span, "trans() needs a rank-2 tile, found %s", sv_type_name(s, &x));
        return sv_error();
    }
    int64_t perm[2] = {1, 0};
    return make_value(tc_ir_build_trans(&s->b, x.v, 2, perm), span);
}

static Sv bi_reshape(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "the argument of reshape");
    uint32_t rank;
    int64_t shape[TC_MAX_RANK];
    if (!sv_ok(&x) || !const_shape(s, a->a[1], &rank, shape)) return sv_error();
    const TcType *t = vtype(&x);
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= shape[i];
    if (n != t->numel) {
        tc_error(s->de, TC_E_RESHAPE, span, "reshape of %s (%lld elements) to %lld elements", sv_type_name(s, &x),
                 (long long)t->numel, (long long)n);
        return sv_error();
    }
    if (t->kind == TC_TY_SCALAR) return broadcast_to(s, x, rank, shape);
    return make_value(tc_ir_build_reshape(&s->b, x.v, tc_type_tile(mod(s), t->dtype, rank, shape)), span);
}

static Sv bi_broadcast_to(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "the argument of broadcast_to");
    uint32_t rank;
    int64_t shape[TC_MAX_RANK];
    if (!sv_ok(&x) || !const_shape(s, a->a[1], &rank, shape)) return sv_error();
    const TcType *t = vtype(&x);
    uint32_t rr;
    int64_t bs[TC_MAX_RANK];
    bool ok = rank_of(t) <= rank && broadcast_shapes(rank_of(t), t->shape, rank, shape, &rr, bs);
    for (uint32_t i = 0; ok && i < rank; i++) ok = bs[i] == shape[i];
    if (!ok) {
        tc_error(s->de, TC_E_SHAPE, span, "%s does not broadcast to the requested shape", sv_type_name(s, &x));
        return sv_error();
    }
    Sv r = broadcast_to(s, x, rank, shape);
    r.span = span;
    return r;
}

static Sv bi_cast(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "the argument of cast");
    TcDtype dt;
    if (!sv_ok(&x) || !dtype_arg(s, a->a[1], &dt)) return sv_error();
    Sv r = convert_dtype(s, x, dt, true, "a cast");
    r.weak = false;
    r.span = span;
    return r;
}

static Sv bi_where(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv c = lower_value(s, a->a[0], "a condition");
    Sv x = lower_value(s, a->a[1], "a value");
    Sv y = lower_value(s, a->a[2], "a value");
    if (!sv_ok(&c) || !sv_ok(&x) || !sv_ok(&y)) return sv_error();
    if (vtype(&c)->dtype != TC_BOOL) {
        tc_error(s->de, TC_E_CONDITION, c.span, "the condition of where() must be bool, found %s", sv_type_name(s, &c));
        return sv_error();
    }
    if (!unify(s, &x, &y, span, "where")) return sv_error();
    const TcType *tx = vtype(&x), *tcn = vtype(&c);
    uint32_t rr;
    int64_t shape[TC_MAX_RANK];
    if (!broadcast_shapes(rank_of(tx), tx->shape, rank_of(tcn), tcn->shape, &rr, shape)) {
        tc_error(s->de, TC_E_SHAPE, span, "the condition and values of where() do not broadcast");
        return sv_error();
    }
    c = broadcast_to(s, c, rr, shape);
    x = broadcast_to(s, x, rr, shape);
    y = broadcast_to(s, y, rr, shape);
    return make_value(tc_ir_build_select(&s->b, c.v, x.v, y.v), span);
}

/* sum/max/min(x, axis=k): reduce one axis, or all axes when axis is absent.
 * max/min(a, b) with two values: element-wise, like maximum/minimum. */
static Sv bi_reduce(Sema *s, const Args *a, TcSpan span, int variant)
{
    static const TcOpcode red[3] = {TC_OP_REDUCE_SUM, TC_OP_REDUCE_MAX, TC_OP_REDUCE_MIN};
    static const TcOpcode ew[3] = {TC_OP_COUNT, TC_OP_MAX, TC_OP_MIN};
    static const char *const names[3] = {"sum", "max", "min"};
    if (a->a[1] && a->a[2]) {
        tc_error(s->de, TC_E_NAMED_ARG, a->a[2]->span,
                 "%s() of two values is element-wise and takes no axis; reduce with %s(x, axis=k)", names[variant],
                 names[variant]);
        return sv_error();
    }
    if (a->a[1] && variant != 0) {
        Sv x = lower_value(s, a->a[0], "an operand");
        Sv y = lower_value(s, a->a[1], "an operand");
        if (!sv_ok(&x) || !sv_ok(&y) || !unify(s, &x, &y, span, names[variant])) return sv_error();
        if (vtype(&x)->dtype == TC_BOOL) {
            tc_error(s->de, TC_E_OPERATOR, span, "%s() is not defined on bool", names[variant]);
            return sv_error();
        }
        return emit_binary(s, ew[variant], x, y, span);
    }
    if (a->a[1]) {
        tc_error(s->de, TC_E_ARG_COUNT, a->a[1]->span, "sum() takes one tile; give the axis as axis=k");
        return sv_error();
    }
    Sv x = lower_value(s, a->a[0], "the argument of a reduction");
    if (!sv_ok(&x)) return x;
    const TcType *t = vtype(&x);
    if (t->kind != TC_TY_TILE) {
        tc_error(s->de, TC_E_TYPE, x.span, "%s() reduces a tile, found %s", names[variant], sv_type_name(s, &x));
        return sv_error();
    }
    if (t->dtype == TC_BOOL) {
        tc_error(s->de, TC_E_OPERATOR, x.span, "%s() is not defined on bool; cast first", names[variant]);
        return sv_error();
    }
    TcIrValue *v = x.v;
    if (a->a[2]) {
        int64_t axis;
        if (!const_int(s, a->a[2], "the axis", &axis)) return sv_error();
        int64_t rank = t->rank;
        if (axis < -rank || axis >= rank) {
            tc_error(s->de, TC_E_AXIS, a->a[2]->span, "axis %lld is out of range for a rank-%lld tile",
                     (long long)axis, (long long)rank);
            return sv_error();
        }
        if (axis < 0) axis += rank;
        v = tc_ir_build_reduce(&s->b, red[variant], v, (uint32_t)axis);
    } else {
        while (v->type->kind == TC_TY_TILE) v = tc_ir_build_reduce(&s->b, red[variant], v, v->type->rank - 1);
    }
    return make_value(v, span);
}

static Sv bi_minmax(Sema *s, const Args *a, TcSpan span, int variant)
{
    Sv x = lower_value(s, a->a[0], "an operand");
    Sv y = lower_value(s, a->a[1], "an operand");
    const char *name = variant ? "minimum" : "maximum";
    if (!sv_ok(&x) || !sv_ok(&y) || !unify(s, &x, &y, span, name)) return sv_error();
    if (vtype(&x)->dtype == TC_BOOL) {
        tc_error(s->de, TC_E_OPERATOR, span, "%s() is not defined on bool", name);
        return sv_error();
    }
    return emit_binary(s, variant ? TC_OP_MIN : TC_OP_MAX, x, y, span);
}

static Sv bi_math(Sema *s, const Args *a, TcSpan span, int variant)
{
    TcOpcode opc = (TcOpcode)variant;
    Sv x = lower_value(s, a->a[0], "an operand");
    if (!sv_ok(&x)) return x;
    TcDtype dt = vtype(&x)->dtype;
    if (dt == TC_BOOL) {
        tc_error(s->de, TC_E_OPERATOR, x.span, "%s() is not defined on bool", tc_op_info(opc)->name);
        return sv_error();
    }
    if (!tc_dtype_is_float(dt) && opc != TC_OP_ABS) {
        x = convert_dtype(s, x, dt == TC_I64 || dt == TC_U64 ? TC_F64 : TC_F32, false, "an operand");
        if (!sv_ok(&x)) return x;
    }
    return emit_unary(s, opc, x, span);
}

static const Builtin builtins[] = {
    {"program_id", {"axis"}, 1, bi_program_id, 0},
    {"num_programs", {"axis"}, 1, bi_program_id, 1},
    {"cdiv", {"a", "b"}, 2, bi_cdiv, 0},
    {"zeros", {"shape", "dtype"}, 1, bi_full, 0},
    {"full", {"shape", "value", "dtype"}, 2, bi_full, 1},
    {"arange", {"n"}, 1, bi_arange, 0},
    {"load", {"view", "offsets", "shape", "pad"}, 3, bi_load, 0},
    {"store", {"view", "offsets", "tile"}, 3, bi_store, 0},
    {"dot", {"a", "b", "acc"}, 2, bi_dot, 0},
    {"trans", {"x"}, 1, bi_trans, 0},
    {"reshape", {"x", "shape"}, 2, bi_reshape, 0},
    {"broadcast_to", {"x", "shape"}, 2, bi_broadcast_to, 0},
    {"cast", {"x", "dtype"}, 2, bi_cast, 0},
    {"where", {"cond", "a", "b"}, 3, bi_where, 0},
    {"sum", {"x", "other", "axis"}, 1, bi_reduce, 0},
    {"max", {"x", "other", "axis"}, 1, bi_reduce, 1},
    {"min", {"x", "other", "axis"}, 1, bi_reduce, 2},
    {"maximum", {"a", "b"}, 2, bi_minmax, 0},
    {"minimum", {"a", "b"}, 2, bi_minmax, 1},
    {"exp", {"x"}, 1, bi_math, TC_OP_EXP},
    {"exp2", {"x"}, 1, bi_math, TC_OP_EXP2},
    {"log", {"x"}, 1, bi_math, TC_OP_LOG},
    {"log2", {"x"}, 1, bi_math, TC_OP_LOG2},
    {"sqrt", {"x"}, 1, bi_math, TC_OP_SQRT},
    {"rsqrt", {"x"}, 1, bi_math, TC_OP_RSQRT},
    {"abs", {"x"}, 1, bi_math, TC_OP_ABS},
    {"tanh", {"x"}, 1, bi_math, TC_OP_TANH},
    {"sigmoid", {"x"}, 1, bi_math, TC_OP_SIGMOID},
    {"erf", {"x"}, 1, bi_math, TC_OP_ERF},
};

static Sv lower_call(Sema *s, const TcAstNode *e)
{
    const char *name = e->u.call.callee;
    for (size_t i = 0; i < TC_ARRAY_LEN(builtins); i++) {
        if (strcmp(builtins[i].name, name) != 0) continue;
        Args args;
        if (!match_args(s, &builtins[i], e, &args)) return sv_error();
        for (uint32_t j = 0; j < 6; j++)
            if (args.a[j] && args.a[j]->kind == TC_AST_ERROR) return sv_error();
        return builtins[i].fn(s, &args, e->span, builtins[i].variant);
    }
    if (strcmp(name, "atomic_add") == 0) {
        tc_error(s->de, TC_E_NOT_CALLABLE, e->u.call.callee_span, "atomic_add() is not supported yet (it comes with split-K)");
        return sv_error();
    }
    TcDiag *d = tc_error(s->de, TC_E_NOT_CALLABLE, e->u.call.callee_span, "'%s' is not a builtin function", name);
    if (lookup(s, name)) tc_diag_note(s->de, d, lookup(s, name)->span, "'%s' is a name defined here, not a function", name);
    return sv_error();
}

static Sv lower_expr(Sema *s, const TcAstNode *e)
{
    s->b.loc = e->span;
    switch (e->kind) {
    case TC_AST_ERROR:
        return sv_error();
    case TC_AST_INT: {
        uint64_t v = e->u.int_lit.value;
        if (v > (uint64_t)INT64_MAX) {
            tc_error(s->de, TC_E_CONST_RANGE, e->span, "integer literal %llu does not fit in i64", (unsigned long long)v);
            return sv_error();
        }
        TcDtype dt = v > (uint64_t)INT32_MAX ? TC_I64 : TC_I32;
        return make_const(s, dt, (TcScalar){.i = (int64_t)v}, true, e->span);
    }
    case TC_AST_FLOAT:
        return make_const(s, TC_F32, (TcScalar){.f = e->u.float_lit.value}, true, e->span);
    case TC_AST_BOOL:
        return make_const(s, TC_BOOL, (TcScalar){.i = e->u.bool_lit.value}, false, e->span);
    case TC_AST_NAME:
        return lower_name(s, e);
    case TC_AST_DTYPE:
        return (Sv){.kind = SV_DTYPE, .span = e->span, .dt = e->u.dtype.dtype};
    case TC_AST_UNARY:
        return lower_unary(s, e);
    case TC_AST_BINARY: {
        Sv a = lower_expr(s, e->u.binary.lhs);
        Sv b = lower_expr(s, e->u.binary.rhs);
        if (!sv_ok(&a) || !sv_ok(&b)) return sv_error();
        s->b.loc = e->span;
        return apply_binary(s, e->u.binary.op, a, b, e->span);
    }
    case TC_AST_TERNARY:
        return lower_ternary(s, e);
    case TC_AST_CALL:
        return lower_call(s, e);
    case TC_AST_INDEX:
        return lower_index(s, e);
    case TC_AST_LIST:
        tc_error(s->de, TC_E_LIST, e->span, "a list is only allowed as the shape or offsets argument of a builtin");
        return sv_error();
    case TC_AST_SLICE:
    case TC_AST_NONE:
        tc_error(s->de, TC_E_INDEX, e->span, "':' and None are only allowed inside tile indexing");
        return sv_error();
    case TC_AST_NAMED_ARG:
        tc_error(s->de, TC_E_NAMED_ARG, e->span, "named arguments are only allowed in builtin calls");
        return sv_error();
    default:
        break;
    }
    TC_ICE("unexpected %s node in an expression", tc_ast_kind_str(e->kind));
}

/* --------------------------------------------------------- statements */

static void lower_block(Sema *s, const TcAstNode *blk);
static void lower_stmt(Sema *s, const TcAstNode *st);

/* Resolves a type annotation of a let/var: a dtype or dtype[extents]. */
static TcType *annotation_type(Sema *s, const TcAstNode *ty)
{
    TcDtype dt;
    if (!dtype_arg(s, ty->u.type.elem, &dt)) return NULL;
    if (!ty->u.type.has_dims) return tc_type_scalar(mod(s), dt);
    const TcAstList *dims = &ty->u.type.dims;
    if (dims->len == 0 || dims->len > TC_MAX_RANK) {
        tc_error(s->de, TC_E_RANK_LIMIT, ty->span, "a tile type needs 1 to %d extents", TC_MAX_RANK);
        return NULL;
    }
    int64_t shape[TC_MAX_RANK];
    for (uint32_t i = 0; i < dims->len; i++)
        if (!const_int(s, dims->data[i], "a tile extent", &shape[i])) return NULL;
    if (!check_shape(s, dims->len, shape, ty->span)) return NULL;
    return tc_type_tile(mod(s), dt, dims->len, shape);
}

/* Converts v to type t (widening dtype, broadcasting shape) for an assignment. */
static Sv coerce_to(Sema *s, Sv v, TcType *t, const char *what, const char *name)
{
    if (!sv_ok(&v)) return v;
    const TcType *vt = vtype(&v);
    if (vt == t) return v;
    uint32_t rr;
    int64_t shape[TC_MAX_RANK];
    bool shape_ok = rank_of(vt) <= rank_of(t) &&
                    broadcast_shapes(rank_of(vt), vt->shape, rank_of(t), t->shape, &rr, shape);
    for (uint32_t i = 0; shape_ok && i < rank_of(t); i++) shape_ok = shape[i] == t->shape[i];
    if (!shape_ok) {
        char x[160], y[160];
        type_str(vt, x, sizeof x);
        type_str(t, y, sizeof y);
        tc_error(s->de, TC_E_VAR_TYPE, v.span, "%s '%s' has type %s, but the value has type %s", what, name, y, x);
        return sv_error();
    }
    v = convert_dtype(s, v, t->dtype, false, what);
    if (!sv_ok(&v)) return v;
    v = broadcast_to(s, v, rank_of(t), t->shape);
    v.weak = false;
    return v;
}

static void lower_decl(Sema *s, const TcAstNode *st)
{
    bool is_var = st->kind == TC_AST_VAR;
    /* let may also name a tensor view or a dtype; var holds scalars and tiles */
    Sv v = is_var ? lower_value(s, st->u.decl.init, "an initial value") : lower_expr(s, st->u.decl.init);
    if (v.kind == SV_VOID) {
        tc_error(s->de, TC_E_VOID, v.span, "expression has no value; it cannot be bound to '%s'", st->u.decl.id);
        v = sv_error();
    }
    if (st->u.decl.type && sv_ok(&v) && (v.kind == SV_DTYPE || is_tensor_sv(&v))) {
        tc_error(s->de, TC_E_TYPE, st->u.decl.type->span, "a type annotation is only allowed on scalar and tile values");
        v = sv_error();
    }
    TcType *ann = NULL;
    if (st->u.decl.type) {
        ann = annotation_type(s, st->u.decl.type);
        if (!ann) v = sv_error();
    }
    if (sv_ok(&v) && ann) v = coerce_to(s, v, ann, is_var ? "variable" : "name", st->u.decl.id);
    if (sv_ok(&v) && is_var) {
        /* A var's dtype is fixed here: a literal initial value takes its default dtype. */
        v.weak = false;
        v.is_const = false;
    }
    if (v.kind == SV_VALUE) name_value(v.v, s, st->u.decl.id);
    Sym *sym = declare(s, st->u.decl.id, is_var ? SYM_VAR : SYM_LET, st->u.decl.id_span);
    sym->sv = v;
    sym->vtype = v.kind == SV_VALUE ? vtype(&v) : NULL;
}

static void lower_assign(Sema *s, const TcAstNode *st)
{
    const TcAstNode *target = st->u.assign.target;
    if (target->kind == TC_AST_ERROR) return;
    if (target->kind != TC_AST_NAME) {
        tc_error(s->de, TC_E_SYNTAX_ASSIGN, target->span,
                 "only a variable can be assigned; tiles and tensors are not assignable element-wise (use store for tensors)");
        lower_expr(s, st->u.assign.value);
        return;
    }
    const char *name = target->u.name.id;
    Sym *sym = lookup(s, name);
    if (!sym) {
        tc_error(s->de, TC_E_UNDEFINED, target->span, "undefined name '%s'", name);
        lower_expr(s, st->u.assign.value);
        return;
    }
    if (sym->kind != SYM_VAR) {
        static const char *const what[] = {"const parameter", "tensor parameter", "parameter", "'let' name", ""};
        TcDiag *d = tc_error(s->de, sym->kind == SYM_LET ? TC_E_ASSIGN_LET : TC_E_ASSIGN_OTHER, target->span,
                             "cannot assign to %s '%s'", what[sym->kind], name);
        tc_diag_note(s->de, d, sym->span, sym->kind == SYM_LET ? "declared here; use 'var' to make it mutable"
                                                              : "declared here");
        lower_expr(s, st->u.assign.value);
        return;
    }
    Sv v = lower_value(s, st->u.assign.value, "an assigned value");
    if (!sv_ok(&v) || !sv_ok(&sym->sv)) return;
    if (st->u.assign.op != TC_AOP_ASSIGN) {
        Sv cur = sym->sv;
        cur.span = target->span;
        s->b.loc = st->span;
        v = apply_binary(s, st->u.assign.op, cur, v, st->span);
        if (!sv_ok(&v)) return;
    }
    v = coerce_to(s, v, sym->vtype, "variable", name);
    if (!sv_ok(&v)) return;
    name_value(v.v, s, name);
    v.is_const = false;
    sym = lookup(s, name); /* the table may have grown */
    sym->sv = v;
}

/* Outer variables assigned anywhere in a statement list, in first-assignment
 * order. Names declared inside (let, var, loop variables) shadow outer ones
 * for the rest of their block. */
typedef struct Assigned {
    TC_VEC(uint32_t) syms;     /* symbol indices of the outer vars */
    TC_VEC(const char *) local;/* names declared inside, as a stack */
} Assigned;

static void collect_assigned(Sema *s, const TcAstNode *n, Assigned *out)
{
    if (!n) return;
    switch (n->kind) {
    case TC_AST_BLOCK: {
        uint32_t mark = out->local.len;
        for (uint32_t i = 0; i < n->u.block.stmts.len; i++) collect_assigned(s, n->u.block.stmts.data[i], out);
        out->local.len = mark;
        return;
    }
    case TC_AST_LET:
    case TC_AST_VAR:
        TC_VEC_PUSH(s->arena, out->local, n->u.decl.id);
        return;
    case TC_AST_FOR: {
        uint32_t mark = out->local.len;
        TC_VEC_PUSH(s->arena, out->local, n->u.for_.var);
        collect_assigned(s, n->u.for_.body, out);
        out->local.len = mark;
        return;
    }
    case TC_AST_IF:
        collect_assigned(s, n->u.if_.then_b, out);
        collect_assigned(s, n->u.if_.else_b, out);
        return;
    case TC_AST_ASSIGN: {
        const TcAstNode *t = n->u.assign.target;
        if (t->kind != TC_AST_NAME) return;
        for (uint32_t i = out->local.len; i-- > 0;)
            if (out->local.data[i] == t->u.name.id) return;
        Sym *sym = lookup(s, t->u.name.id);
        if (!sym || sym->kind != SYM_VAR || !sv_ok(&sym->sv)) return;
        uint32_t idx = (uint32_t)(sym - s->syms.data);
        for (uint32_t i = 0; i < out->syms.len; i++)
            if (out->syms.data[i] == idx) return;
        TC_VEC_PUSH(s->arena, out->syms, idx);
        return;
    }
    default:
        return;
    }
}

/* Lowers one arm of an `if` (or a loop body) as a region ending in a yield of
 * the carried vars' values. */
static void lower_region(Sema *s, TcIrBlock *blk, const TcAstNode *body, const Assigned *carried)
{
    TcIrBuilder saved = s->b;
    tc_ir_builder_at_end(&s->b, s->f, blk);
    s->b.loc = saved.loc;
    if (body) {
        if (body->kind == TC_AST_BLOCK) lower_block(s, body);
        else lower_stmt(s, body);
    }
    TcIrValue **vals = tc_arena_alloc(s->arena, (carried->syms.len + 1) * sizeof *vals);
    for (uint32_t i = 0; i < carried->syms.len; i++) vals[i] = s->syms.data[carried->syms.data[i]].sv.v;
    s->b.loc = body ? body->span : saved.loc;
    tc_ir_build_yield(&s->b, carried->syms.len, vals);
    s->b = saved;
}

static void lower_if(Sema *s, const TcAstNode *st)
{
    Sv c = lower_value(s, st->u.if_.cond, "a condition");
    if (sv_ok(&c) && (vtype(&c)->kind != TC_TY_SCALAR || vtype(&c)->dtype != TC_BOOL)) {
        tc_error(s->de, TC_E_CONDITION, c.span, "the condition of 'if' must be a scalar bool, found %s%s",
                 sv_type_name(s, &c), vtype(&c)->kind == TC_TY_TILE ? "; use where() for element-wise choices" : "");
        c = sv_error();
    }
    Assigned carried = {0};
    collect_assigned(s, st->u.if_.then_b, &carried);
    collect_assigned(s, st->u.if_.else_b, &carried);
    if (!sv_ok(&c)) {
        /* still check both arms, without building IR that would not verify */
        c = make_const(s, TC_BOOL, (TcScalar){.i = 0}, false, st->span);
    }
    uint32_t n = carried.syms.len;
    TcType **types = tc_arena_alloc(s->arena, (n + 1) * sizeof *types);
    Sv *before = tc_arena_alloc(s->arena, (n + 1) * sizeof *before);
    for (uint32_t i = 0; i < n; i++) {
        before[i] = s->syms.data[carried.syms.data[i]].sv;
        types[i] = s->syms.data[carried.syms.data[i]].vtype;
    }
    s->b.loc = st->span;
    TcIrOp *op = tc_ir_build_if(&s->b, c.v, n, types);
    uint32_t mark = scope_push(s);
    lower_region(s, op->regions[0], st->u.if_.then_b, &carried);
    scope_pop(s, mark);
    for (uint32_t i = 0; i < n; i++) s->syms.data[carried.syms.data[i]].sv = before[i];
    mark = scope_push(s);
    lower_region(s, op->regions[1], st->u.if_.else_b, &carried);
    scope_pop(s, mark);
    for (uint32_t i = 0; i < n; i++) {
        Sym *sym = &s->syms.data[carried.syms.data[i]];
        sym->sv = make_value(op->results[i], st->span);
        op->results[i]->name = tc_ir_intern(mod(s), sym->name);
    }
}

static void lower_for(Sema *s, const TcAstNode *st)
{
    const TcAstList *ra = &st->u.for_.range_args;
    Sv lo, hi, step;
    bool ok = true;
    if (ra->len < 1 || ra->len > 3) {
        tc_error(s->de, TC_E_ARG_COUNT, st->span, "range() takes 1 to 3 arguments, found %u", ra->len);
        return;
    }
    if (ra->len == 1) {
        hi = lower_value(s, ra->data[0], "a loop bound");
        lo = make_const(s, TC_I32, (TcScalar){.i = 0}, true, st->span);
    } else {
        lo = lower_value(s, ra->data[0], "a loop bound");
        hi = lower_value(s, ra->data[1], "a loop bound");
    }
    step = ra->len == 3 ? lower_value(s, ra->data[2], "a loop step")
                        : make_const(s, TC_I32, (TcScalar){.i = 1}, true, st->span);
    /* check all three, so each bad bound gets its own diagnostic */
    bool ok_lo = int_scalar(s, &lo, "a loop bound");
    bool ok_hi = int_scalar(s, &hi, "a loop bound");
    bool ok_step = int_scalar(s, &step, "a loop step");
    ok = ok_lo && ok_hi && ok_step;
    if (ok) ok = unify(s, &lo, &hi, st->span, "range") && unify(s, &lo, &step, st->span, "range") &&
                 unify(s, &hi, &step, st->span, "range");
    if (ok && step.is_const && !(tc_dtype_is_unsigned(vtype(&step)->dtype) ? step.c.i != 0 : step.c.i > 0)) {
        tc_error(s->de, TC_E_LOOP_RANGE, step.span, "the loop step must be positive, found %lld", (long long)step.c.i);
        ok = false;
    }
    int32_t pipeline = 0, unroll = 0;
    for (uint32_t i = 0; i < st->u.for_.attrs.len; i++) {
        const TcAstNode *at = st->u.for_.attrs.data[i];
        bool is_pipe = strcmp(at->u.attr.id, "pipeline") == 0, is_unroll = strcmp(at->u.attr.id, "unroll") == 0;
        if (!is_pipe && !is_unroll) {
            tc_error(s->de, TC_E_LOOP_ATTR, at->u.attr.id_span, "unknown loop attribute '%s'; expected pipeline(n) or unroll(n)",
                     at->u.attr.id);
            continue;
        }
        if (at->u.attr.args.len != 1) {
            tc_error(s->de, TC_E_ARG_COUNT, at->span, "%s() takes one argument", at->u.attr.id);
            continue;
        }
        int64_t n;
        if (!const_int(s, at->u.attr.args.data[0], is_pipe ? "the pipeline depth" : "the unroll factor", &n)) continue;
        int64_t max = is_pipe ? 16 : 1024;
        if (n < 1 || n > max) {
            TcDiag *d = tc_error(s->de, TC_E_CONST_RANGE, at->u.attr.args.data[0]->span, "%s(%lld) is out of range 1..%lld",
                                 at->u.attr.id, (long long)n, (long long)max);
            tc_diag_amounts(d, n, max);
            continue;
        }
        if ((is_pipe ? pipeline : unroll) != 0)
            tc_error(s->de, TC_E_LOOP_ATTR, at->span, "loop attribute '%s' given twice", at->u.attr.id);
        if (is_pipe) pipeline = (int32_t)n;
        else unroll = (int32_t)n;
    }

    Assigned carried = {0};
    collect_assigned(s, st->u.for_.body, &carried);
    if (!ok) {
        /* check the body anyway, with a stand-in induction variable */
        lo = hi = step = make_const(s, TC_I32, (TcScalar){.i = 0}, false, st->span);
    }
    uint32_t n = carried.syms.len;
    TcIrValue **inits = tc_arena_alloc(s->arena, (n + 1) * sizeof *inits);
    for (uint32_t i = 0; i < n; i++) inits[i] = s->syms.data[carried.syms.data[i]].sv.v;
    s->b.loc = st->span;
    TcIrOp *op = tc_ir_build_for(&s->b, lo.v, hi.v, step.v, n, inits);
    op->pipeline = pipeline;
    op->unroll = unroll;
    TcIrBlock *body = op->regions[0];
    body->args[0]->name = tc_ir_intern(mod(s), st->u.for_.var);
    for (uint32_t i = 0; i < n; i++) {
        Sym *sym = &s->syms.data[carried.syms.data[i]];
        body->args[i + 1]->name = tc_ir_intern(mod(s), sym->name);
        sym->sv = make_value(body->args[i + 1], sym->span);
    }
    uint32_t mark = scope_push(s);
    Sym *iv = declare(s, st->u.for_.var, SYM_LET, st->u.for_.var_span);
    iv->sv = make_value(body->args[0], st->u.for_.var_span);
    lower_region(s, body, st->u.for_.body, &carried);
    scope_pop(s, mark);
    for (uint32_t i = 0; i < n; i++) {
        Sym *sym = &s->syms.data[carried.syms.data[i]];
        sym->sv = make_value(op->results[i], st->span);
        op->results[i]->name = tc_ir_intern(mod(s), sym->name);
    }
}

static void lower_stmt(Sema *s, const TcAstNode *st)
{
    if (s->f->nvalues > TC_MAX_IR_VALUES || s->arena->exhausted) return; /* reported by lower_kernel */
    s->b.loc = st->span;
    switch (st->kind) {
    case TC_AST_ERROR:
        return;
    case TC_AST_LET:
    case TC_AST_VAR:
        lower_decl(s, st);
        return;
    case TC_AST_ASSIGN:
        lower_assign(s, st);
        return;
    case TC_AST_FOR:
        lower_for(s, st);
        return;
    case TC_AST_IF:
        lower_if(s, st);
        return;
    case TC_AST_EXPR_STMT: {
        Sv v = lower_expr(s, st->u.expr_stmt.expr);
        if (v.kind == SV_DTYPE) tc_error(s->de, TC_E_DTYPE_VALUE, v.span, "a dtype alone is not a statement");
        return;
    }
    case TC_AST_BLOCK: {
        uint32_t mark = scope_push(s);
        lower_block(s, st);
        scope_pop(s, mark);
        return;
    }
    default:
        TC_ICE("unexpected %s node as a statement", tc_ast_kind_str(st->kind));
    }
}

static void lower_block(Sema *s, const TcAstNode *blk)
{
    if (blk->kind == TC_AST_ERROR) return;
    TC_ASSERT(blk->kind == TC_AST_BLOCK);
    for (uint32_t i = 0; i < blk->u.block.stmts.len; i++) lower_stmt(s, blk->u.block.stmts.data[i]);
}

/* ------------------------------------------------------------ kernels */

static const char *const const_kind_name[] = {"int", "bool", "float", "dtype"};

/* Parses a -D value for a const of the given kind. */
static bool parse_define(Sema *s, TcAstConstKind kind, const char *text, Sv *out, TcSpan span)
{
    char *end;
    errno = 0;
    switch (kind) {
    case TC_ACK_INT: {
        long long v = strtoll(text, &end, 0);
        if (!*text || *end || errno) return false;
        *out = (Sv){.kind = SV_VALUE, .span = span, .is_const = true, .weak = true, .c.i = v};
        return true;
    }
    case TC_ACK_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0) out->c.i = 1;
        else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0) out->c.i = 0;
        else return false;
        out->kind = SV_VALUE;
        out->is_const = true;
        return true;
    case TC_ACK_FLOAT: {
        double v = strtod(text, &end);
        if (!*text || *end) return false;
        *out = (Sv){.kind = SV_VALUE, .span = span, .is_const = true, .weak = true, .c.f = v};
        return true;
    }
    case TC_ACK_DTYPE: {
        TcDtype dt;
        if (!tc_dtype_from_name(text, strlen(text), &dt)) return false;
        *out = (Sv){.kind = SV_DTYPE, .span = span, .dt = dt};
        return true;
    }
    }
    return false;
}

/* Evaluates a const parameter's default (an expression over literals and
 * earlier consts) and checks it against the declared kind. */
static bool eval_const_default(Sema *s, const TcAstNode *cp, Sv *out)
{
    TcAstConstKind kind = cp->u.const_param.kind;
    Sv v = lower_expr(s, cp->u.const_param.def);
    if (!sv_ok(&v)) return false;
    if (kind == TC_ACK_DTYPE) {
        if (v.kind != SV_DTYPE) goto mismatch;
        *out = v;
        return true;
    }
    if (v.kind != SV_VALUE || !v.is_const || vtype(&v)->kind != TC_TY_SCALAR) {
        if (v.kind == SV_VALUE && !v.is_const) {
            tc_error(s->de, TC_E_NOT_CONST, v.span, "the default of const '%s' must be a compile-time constant",
                     cp->u.const_param.id);
            return false;
        }
        goto mismatch;
    }
    TcDtype dt = vtype(&v)->dtype;
    if (kind == TC_ACK_BOOL && dt != TC_BOOL) goto mismatch;
    if (kind == TC_ACK_INT && !tc_dtype_is_int(dt)) goto mismatch;
    if (kind == TC_ACK_FLOAT && dt == TC_BOOL) goto mismatch;
    *out = (Sv){.kind = SV_VALUE, .span = v.span, .is_const = true, .weak = kind != TC_ACK_BOOL, .c = v.c};
    if (kind == TC_ACK_FLOAT && !tc_dtype_is_float(dt)) out->c.f = (double)v.c.i;
    return true;
mismatch:
    tc_error(s->de, TC_E_CONST_VALUE, v.span, "the default of const '%s' must be of kind %s, found %s",
             cp->u.const_param.id, const_kind_name[kind], sv_type_name(s, &v));
    return false;
}

/* Declares a kernel's const parameters with their values in this
 * specialization; records them on the IR kernel. */
static void lower_consts(Sema *s, const TcAstNode *k)
{
    for (uint32_t i = 0; i < k->u.kernel.const_params.len; i++) {
        const TcAstNode *cp = k->u.kernel.const_params.data[i];
        if (cp->kind != TC_AST_CONST_PARAM) continue;
        const char *name = cp->u.const_param.id;
        TcAstConstKind kind = cp->u.const_param.kind;
        Sv v = sv_error();
        bool have = false, bad = false;
        for (uint32_t d = 0; d < s->opt->ndefines; d++) {
            if (strcmp(s->opt->defines[d].name, name) != 0) continue;
            s->define_used[d] = true;
            if (!parse_define(s, kind, s->opt->defines[d].value, &v, cp->span)) {
                tc_error(s->de, TC_E_CONST_VALUE, (TcSpan){0}, "-D %s=%s: '%s' is not a valid %s value for kernel '%s'",
                         name, s->opt->defines[d].value, s->opt->defines[d].value, const_kind_name[kind],
                         k->u.kernel.id);
                bad = true;
            }
            have = true;
        }
        if (!have && cp->u.const_param.def) {
            s->b.loc = cp->span;
            have = eval_const_default(s, cp, &v);
            bad = !have;
        }
        if (!have && !bad) {
            tc_error(s->de, TC_E_CONST_MISSING, cp->span, "const '%s' has no default; give a value with -D %s=VALUE",
                     name, name);
        }
        if (have && !bad && kind == TC_ACK_INT && (v.c.i < INT32_MIN || v.c.i > INT32_MAX)) {
            TcDiag *d = tc_error(s->de, TC_E_CONST_RANGE, cp->span, "const '%s' = %lld does not fit in i32", name,
                                 (long long)v.c.i);
            tc_diag_amounts(d, v.c.i, INT32_MAX);
            bad = true;
        }
        TcIrConst ic = {.name = tc_ir_intern(mod(s), name)};
        if (have && !bad) {
            /* Materialize the value once to give it an IR type; uses re-emit it. */
            switch (kind) {
            case TC_ACK_INT:
                ic.kind = TC_CONST_INT;
                ic.ival = v.c.i;
                v = make_const(s, TC_I32, v.c, true, cp->span);
                break;
            case TC_ACK_BOOL:
                ic.kind = TC_CONST_BOOL;
                ic.ival = v.c.i != 0;
                v = make_const(s, TC_BOOL, v.c, false, cp->span);
                break;
            case TC_ACK_FLOAT:
                ic.kind = TC_CONST_FLOAT;
                ic.fval = v.c.f;
                v = make_const(s, TC_F32, v.c, true, cp->span);
                break;
            case TC_ACK_DTYPE:
                ic.kind = TC_CONST_DTYPE;
                ic.dtype = v.dt;
                break;
            }
            TC_VEC_PUSH(s->m->arena, s->f->consts, ic);
        } else {
            v = sv_error();
        }
        Sym *sym = declare_param(s, name, SYM_CONST, cp->u.const_param.id_span);
        sym->sv = v;
    }
}

/* Resolves the element dtype of a parameter type. */
static bool param_dtype(Sema *s, const TcAstNode *elem, TcDtype *out)
{
    if (elem->kind == TC_AST_DTYPE) {
        *out = elem->u.dtype.dtype;
        return true;
    }
    if (elem->kind == TC_AST_NAME) {
        Sym *sym = lookup(s, elem->u.name.id);
        if (sym && sym->kind == SYM_CONST && sym->sv.kind == SV_DTYPE) {
            *out = sym->sv.dt;
            return true;
        }
        if (sym && sym->kind == SYM_CONST && sym->sv.kind == SV_ERROR) return false;
        tc_error(s->de, sym ? TC_E_DTYPE_VALUE : TC_E_UNDEFINED, elem->span,
                 sym ? "'%s' is not a dtype" : "undefined type '%s'", elem->u.name.id);
        return false;
    }
    return false;
}

typedef struct SizeName {
    const char *name;
    TcSpan span;
} SizeName;

static void lower_params(Sema *s, const TcAstNode *k)
{
    TC_VEC(SizeName) sizes = {0};
    const TcAstList *params = &k->u.kernel.params;
    if (params->len > TC_MAX_PARAMS) {
        TcDiag *d = tc_error(s->de, TC_E_LIMIT, k->u.kernel.id_span, "kernel '%s' has %u parameters; the limit is %d",
                             k->u.kernel.id, params->len, TC_MAX_PARAMS);
        tc_diag_amounts(d, params->len, TC_MAX_PARAMS);
        return;
    }
    for (uint32_t i = 0; i < params->len; i++) {
        const TcAstNode *p = params->data[i];
        if (p->kind != TC_AST_PARAM) continue;
        const TcAstNode *ty = p->u.param.type;
        const char *name = tc_ir_intern(mod(s), p->u.param.id);
        TcDtype dt = TC_F32;
        bool ok = ty->kind == TC_AST_TYPE && param_dtype(s, ty->u.type.elem, &dt);
        TcType *t = NULL;
        if (ok && ty->u.type.has_dims) {
            const TcAstList *dims = &ty->u.type.dims;
            if (dims->len == 0 || dims->len > TC_MAX_RANK) {
                TcDiag *d = tc_error(s->de, TC_E_RANK_LIMIT, ty->span, "tensor '%s' needs 1 to %d dimensions, found %u",
                                     name, TC_MAX_RANK, dims->len);
                tc_diag_amounts(d, dims->len, TC_MAX_RANK);
                ok = false;
            }
            TcDim d[TC_MAX_RANK];
            for (uint32_t j = 0; ok && j < dims->len; j++) {
                const TcAstNode *dn = dims->data[j];
                d[j] = (TcDim){0};
                if (dn->kind == TC_AST_INT) {
                    if (dn->u.int_lit.value < 1 || dn->u.int_lit.value > INT32_MAX) {
                        tc_error(s->de, TC_E_TENSOR_DIM, dn->span, "a tensor dimension must be in 1..%d", INT32_MAX);
                        ok = false;
                    }
                    d[j].value = (int64_t)dn->u.int_lit.value;
                } else if (dn->kind == TC_AST_NAME) {
                    Sym *sym = lookup(s, dn->u.name.id);
                    if (sym && sym->kind == SYM_CONST) {
                        if (sym->sv.kind != SV_VALUE || vtype(&sym->sv)->dtype != TC_I32) {
                            if (sym->sv.kind != SV_ERROR)
                                tc_error(s->de, TC_E_TENSOR_DIM, dn->span, "const '%s' is not an int and cannot be a dimension",
                                         dn->u.name.id);
                            ok = false;
                        } else if (sym->sv.c.i < 1) {
                            tc_error(s->de, TC_E_TENSOR_DIM, dn->span, "dimension %s = %lld must be positive",
                                     dn->u.name.id, (long long)sym->sv.c.i);
                            ok = false;
                        }
                        d[j].value = sym->sv.c.i;
                    } else if (sym) {
                        TcDiag *e = tc_error(s->de, TC_E_SIZE_NAME, dn->span,
                                             "size name '%s' is already a parameter name", dn->u.name.id);
                        tc_diag_note(s->de, e, sym->span, "'%s' is declared here", dn->u.name.id);
                        ok = false;
                    } else {
                        d[j].sym = tc_ir_intern(mod(s), dn->u.name.id);
                        bool seen = false;
                        for (uint32_t q = 0; q < sizes.len; q++) seen |= sizes.data[q].name == d[j].sym;
                        if (!seen) TC_VEC_PUSH(s->arena, sizes, ((SizeName){d[j].sym, dn->span}));
                    }
                } else {
                    tc_error(s->de, TC_E_TENSOR_DIM, dn->span, "a tensor dimension is an integer or a name");
                    ok = false;
                }
            }
            if (ok) t = tc_type_tensor(mod(s), dt, dims->len, d, p->u.param.flags);
        } else if (ok) {
            if (p->u.param.flags) {
                tc_error(s->de, TC_E_SCALAR_TYPE, p->span, "scalar parameter '%s' cannot be out, inout or strided; only tensors can",
                         name);
                ok = false;
            }
            t = tc_type_scalar(mod(s), dt);
        }
        if (!t) t = tc_type_scalar(mod(s), TC_I32); /* keeps the kernel well-formed after an error */
        /* A size name may not reuse a parameter's name. */
        for (uint32_t q = 0; q < sizes.len; q++) {
            if (sizes.data[q].name == name) {
                TcDiag *e = tc_error(s->de, TC_E_SIZE_NAME, p->u.param.id_span, "parameter '%s' has the name of a size",
                                     name);
                tc_diag_note(s->de, e, sizes.data[q].span, "size '%s' is used here", name);
            }
        }
        TcIrValue *v = tc_ir_func_add_param(s->f, name, t);
        Sym *sym = declare_param(s, name, t->kind == TC_TY_TENSOR ? SYM_TENSOR : SYM_SCALAR, p->u.param.id_span);
        sym->sv = ok ? make_value(v, p->u.param.id_span) : sv_error();
        sym->sv.tensor_name = name;
    }
    for (uint32_t q = 0; q < sizes.len; q++) {
        TcIrValue *v = tc_ir_func_add_size(s->f, sizes.data[q].name);
        Sym *prev = lookup(s, sizes.data[q].name);
        if (prev) continue; /* reported above */
        Sym *sym = declare(s, sizes.data[q].name, SYM_SCALAR, sizes.data[q].span);
        sym->sv = make_value(v, sizes.data[q].span);
    }
}

static void lower_clauses(Sema *s, const TcAstNode *k)
{
    bool have_grid = false, have_warps = false;
    for (uint32_t i = 0; i < k->u.kernel.clauses.len; i++) {
        const TcAstNode *c = k->u.kernel.clauses.data[i];
        if (c->kind != TC_AST_ATTR) continue;
        const char *id = c->u.attr.id;
        bool is_grid = strcmp(id, "grid") == 0, is_warps = strcmp(id, "warps") == 0;
        if (!is_grid && !is_warps) {
            tc_error(s->de, TC_E_CLAUSE, c->u.attr.id_span, "unknown kernel clause '%s'; expected grid(...) or warps(n)", id);
            continue;
        }
        if (is_grid ? have_grid : have_warps) {
            tc_error(s->de, TC_E_CLAUSE, c->u.attr.id_span, "clause '%s' given twice", id);
            continue;
        }
        if (is_warps) {
            have_warps = true;
            int64_t n;
            if (c->u.attr.args.len != 1) {
                tc_error(s->de, TC_E_WARPS, c->span, "warps() takes one argument");
                continue;
            }
            if (!const_int(s, c->u.attr.args.data[0], "the number of warps", &n)) continue;
            if (n < 1 || n > 32 || !is_pow2(n)) {
                tc_error(s->de, TC_E_WARPS, c->u.attr.args.data[0]->span,
                         "warps(%lld): the number of warps must be a power of two from 1 to 32", (long long)n);
                continue;
            }
            s->f->warps = (int32_t)n;
            continue;
        }
        have_grid = true;
        if (c->u.attr.args.len < 1 || c->u.attr.args.len > 3) {
            tc_error(s->de, TC_E_GRID, c->span, "grid() takes 1 to 3 extents, found %u", c->u.attr.args.len);
            continue;
        }
        TcIrBuilder saved = s->b;
        tc_ir_builder_at_end(&s->b, s->f, s->f->grid);
        s->in_grid = true;
        TcIrValue *ext[3];
        bool ok = true;
        for (uint32_t j = 0; j < c->u.attr.args.len; j++) {
            Sv v = lower_value(s, c->u.attr.args.data[j], "a grid extent");
            if (sv_ok(&v) && (vtype(&v)->kind != TC_TY_SCALAR || !tc_dtype_is_int(vtype(&v)->dtype))) {
                tc_error(s->de, TC_E_GRID, v.span, "a grid extent must be an integer scalar, found %s", sv_type_name(s, &v));
                v = sv_error();
            }
            if (sv_ok(&v)) v = convert_dtype(s, v, TC_I32, false, "a grid extent");
            if (!sv_ok(&v)) {
                ok = false;
                continue;
            }
            ext[j] = v.v;
        }
        s->b.loc = c->span;
        if (ok) tc_ir_build_yield(&s->b, c->u.attr.args.len, ext);
        s->in_grid = false;
        s->b = saved;
    }
    if (!have_grid) {
        TcIrBuilder saved = s->b;
        tc_ir_builder_at_end(&s->b, s->f, s->f->grid);
        s->b.loc = k->u.kernel.id_span;
        TcIrValue *one = tc_ir_build_const_int(&s->b, TC_I32, 1);
        tc_ir_build_yield(&s->b, 1, &one);
        s->b = saved;
    }
}

static void lower_kernel(Sema *s, const TcAstNode *k)
{
    s->f = tc_ir_func_new(s->m, k->u.kernel.id, k->u.kernel.id_span);
    tc_ir_builder_at_end(&s->b, s->f, s->f->body);
    s->b.loc = k->span;
    uint32_t mark = scope_push(s);
    lower_consts(s, k);
    lower_params(s, k);
    tc_ir_builder_at_end(&s->b, s->f, s->f->body);
    lower_clauses(s, k);
    lower_block(s, k->u.kernel.body);
    scope_pop(s, mark);
    if (s->f->nvalues > TC_MAX_IR_VALUES || s->arena->exhausted) {
        TcDiag *d = tc_error(s->de, TC_E_LIMIT, k->u.kernel.id_span,
                             "kernel '%s' is too large: more than %u IR values", k->u.kernel.id, TC_MAX_IR_VALUES);
        tc_diag_amounts(d, s->f->nvalues, TC_MAX_IR_VALUES);
    }
}

bool tc_sema_lower(const TcAstNode *file, TcIrModule *m, TcDiagEngine *de, const TcSemaOptions *opt)
{
    static const TcSemaOptions no_opt = {0};
    if (!opt) opt = &no_opt;
    Sema s = {.arena = m->arena, .de = de, .m = m, .opt = opt};
    s.errors_at_start = de->nerrors;
    s.define_used = tc_arena_alloc(m->arena, (opt->ndefines + 1) * sizeof(bool));
    TC_ASSERT(file && file->kind == TC_AST_FILE);
    const TcAstList *ks = &file->u.file.kernels;
    bool found = opt->kernel == NULL;
    for (uint32_t i = 0; i < ks->len; i++) {
        const TcAstNode *k = ks->data[i];
        if (k->kind != TC_AST_KERNEL) continue;
        for (uint32_t j = 0; j < i; j++) {
            const TcAstNode *o = ks->data[j];
            if (o->kind == TC_AST_KERNEL && strcmp(o->u.kernel.id, k->u.kernel.id) == 0) {
                TcDiag *d = tc_error(de, TC_E_DUP_KERNEL, k->u.kernel.id_span, "kernel '%s' is defined twice",
                                     k->u.kernel.id);
                tc_diag_note(de, d, o->u.kernel.id_span, "first defined here");
                break;
            }
        }
        /* parameter names must be unique across const and regular params */
        const TcAstList *lists[2] = {&k->u.kernel.const_params, &k->u.kernel.params};
        for (int a = 0; a < 2; a++) {
            for (uint32_t x = 0; x < lists[a]->len; x++) {
                const TcAstNode *p = lists[a]->data[x];
                const char *pid = p->kind == TC_AST_PARAM ? p->u.param.id : p->kind == TC_AST_CONST_PARAM ? p->u.const_param.id : NULL;
                if (!pid) continue;
                for (int b2 = 0; b2 <= a; b2++) {
                    uint32_t end = b2 == a ? x : lists[b2]->len;
                    for (uint32_t y = 0; y < end; y++) {
                        const TcAstNode *q = lists[b2]->data[y];
                        const char *qid = q->kind == TC_AST_PARAM ? q->u.param.id
                                          : q->kind == TC_AST_CONST_PARAM ? q->u.const_param.id : NULL;
                        if (qid && strcmp(pid, qid) == 0) {
                            TcDiag *d = tc_error(de, TC_E_DUP_PARAM, p->span, "parameter '%s' is defined twice in kernel '%s'",
                                                 pid, k->u.kernel.id);
                            tc_diag_note(de, d, q->span, "first defined here");
                        }
                    }
                }
            }
        }
        if (opt->kernel && strcmp(opt->kernel, k->u.kernel.id) != 0) continue;
        found = true;
        lower_kernel(&s, k);
    }
    if (!found) {
        TcDiag *d = tc_error(de, TC_E_NO_KERNEL, (TcSpan){0}, "no kernel named '%s' in this file", opt->kernel);
        for (uint32_t i = 0; i < ks->len; i++)
            if (ks->data[i]->kind == TC_AST_KERNEL)
                tc_diag_note(de, d, ks->data[i]->u.kernel.id_span, "kernel '%s' is defined here", ks->data[i]->u.kernel.id);
    }
    for (uint32_t d = 0; d < opt->ndefines; d++) {
        if (s.define_used[d] || !found) continue;
        TcDiag *dg = tc_error(de, TC_E_UNKNOWN_CONST, (TcSpan){0}, "-D %s: no const parameter named '%s'%s%s",
                              opt->defines[d].name, opt->defines[d].name, opt->kernel ? " in kernel " : "",
                              opt->kernel ? opt->kernel : "");
        for (uint32_t i = 0; i < ks->len; i++) {
            const TcAstNode *k = ks->data[i];
            if (k->kind != TC_AST_KERNEL || (opt->kernel && strcmp(opt->kernel, k->u.kernel.id) != 0)) continue;
            char buf[512] = "";
            for (uint32_t j = 0; j < k->u.kernel.const_params.len; j++) {
                const TcAstNode *cp = k->u.kernel.const_params.data[j];
                if (cp->kind != TC_AST_CONST_PARAM) continue;
                if (buf[0]) strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
                strncat(buf, cp->u.const_param.id, sizeof buf - strlen(buf) - 1);
            }
            tc_diag_note(de, dg, k->u.kernel.id_span, "kernel '%s' has const parameters: %s", k->u.kernel.id,
                         buf[0] ? buf : "(none)");
        }
    }
    free(s.map_keys);
    free(s.map_keys_idx);
    return de->nerrors == s.errors_at_start && !de->too_many;
}
