/*
 * ir.h — Tile IR: types, values, ops, blocks, kernels and modules; the
 * builder, printer, parser, verifier and reference interpreter.
 *
 * Invariants:
 *  - Everything in a module lives in the module's arena.
 *  - Types are interned per module: two types are equal iff the pointers are.
 *  - Every value has exactly one definition: an op result or a block argument.
 *    Values are numbered densely per kernel (TcIrValue.id < func->nvalues), so
 *    passes keep side tables in plain arrays.
 *  - Control flow is structured: `for` and `if` own regions (blocks), every
 *    region ends with `yield`; an op may use any value defined before it in an
 *    enclosing block.
 */
#ifndef TILEC_IR_H
#define TILEC_IR_H

#include "support.h"
#include "layout.h"

#define TC_MAX_RANK 8

/* ---------------------------------------------------------------- dtypes */

typedef enum TcDtype {
#define TC_DTYPE(id, name, bits, kind) id,
#include "dtypes.def"
#undef TC_DTYPE
    TC_DTYPE_COUNT
} TcDtype;

const char *tc_dtype_name(TcDtype t);
unsigned tc_dtype_bits(TcDtype t);      /* bool: 1 */
unsigned tc_dtype_bytes(TcDtype t);     /* storage bytes; bool: 1 */
bool tc_dtype_is_float(TcDtype t);
bool tc_dtype_is_int(TcDtype t);        /* signed or unsigned, not bool */
bool tc_dtype_is_signed(TcDtype t);     /* signed integer */
bool tc_dtype_is_unsigned(TcDtype t);
/* Parses "f16", "bf16", ...; returns false for anything else. */
bool tc_dtype_from_name(const char *s, size_t n, TcDtype *out);

/* Conversions used by the interpreter and the tests (round to nearest even). */
float tc_f16_to_f32(uint16_t h);
uint16_t tc_f32_to_f16(float f);
float tc_bf16_to_f32(uint16_t h);
uint16_t tc_f32_to_bf16(float f);

/* ----------------------------------------------------------------- types */

typedef enum TcTypeKind {
    TC_TY_SCALAR, /* dtype */
    TC_TY_TILE,   /* dtype[shape]: rank >= 1, every extent known */
    TC_TY_TENSOR, /* memory: dtype, rank, dims (constant or symbolic), flags */
} TcTypeKind;

enum {
    TC_TENSOR_OUT = 1,     /* written, not read by the caller's contract */
    TC_TENSOR_INOUT = 2,   /* read and written */
    TC_TENSOR_STRIDED = 4, /* innermost stride may be other than 1 */
};

/* A tensor dimension: a constant extent, or a symbolic runtime size. */
typedef struct TcDim {
    int64_t value;    /* extent when sym == NULL */
    const char *sym;  /* interned size name (e.g. "M"), or NULL */
} TcDim;


typedef struct TcType {
    TcTypeKind kind;
    TcDtype dtype;
    uint8_t rank;           /* 0 for scalars */
    uint8_t flags;          /* tensors: TC_TENSOR_* */
    const int64_t *shape;   /* tiles: rank extents */
    const TcDim *dims;      /* tensors: rank dims */
    const TcLayout *layout; /* tiles: layout once assigned, else NULL */
    int64_t numel;          /* tiles: product of extents; scalars: 1 */
} TcType;

typedef struct TcIrModule TcIrModule;

TcType *tc_type_scalar(TcIrModule *m, TcDtype dt);
TcType *tc_type_tile(TcIrModule *m, TcDtype dt, uint32_t rank, const int64_t *shape);
TcType *tc_type_tensor(TcIrModule *m, TcDtype dt, uint32_t rank, const TcDim *dims,
                       unsigned flags);
/* Same shape (or scalar-ness), other dtype. */
TcType *tc_type_with_dtype(TcIrModule *m, const TcType *t, TcDtype dt);
bool tc_type_is_scalar(const TcType *t);
bool tc_type_is_tile(const TcType *t);
bool tc_type_is_tensor(const TcType *t);
/* "f32", "f32[64, 64]", "tensor<f16[M, K]>", "tensor<out f32[M, N]>"; a tile
 * type with a layout is followed by it (tc_layout_print), e.g.
 * "f32[64, 32] #blocked<spt = [1, 4], tpw = [8, 4], wpc = [4, 1], order = [1, 0]>". */
void tc_type_print(const TcType *t, TcStrBuf *out);

/* ------------------------------------------------------------------- ops */

typedef enum TcOpcode {
#define TC_OP(id, name, nopnd, nres, rr, attr, flags) id,
#include "ops.def"
#undef TC_OP
    TC_OP_COUNT
} TcOpcode;

typedef enum TcResultRule {
    TC_RR_NONE,     /* no result */
    TC_RR_SAME,     /* type of operand 0 */
    TC_RR_BOOL,     /* operand 0's shape, bool */
    TC_RR_I32,      /* scalar i32 */
    TC_RR_OPERAND1, /* type of operand 1 */
    TC_RR_OPERAND2, /* type of operand 2 */
    TC_RR_EXPLICIT, /* given when the op is built (cast, load, reshape, ...) */
    TC_RR_REGION,   /* types of the values the regions yield */
} TcResultRule;

typedef enum TcAttrKind {
    TC_ATTR_NONE,
    TC_ATTR_VALUE, /* const: ival (integers, bool) or fval (floats) */
    TC_ATTR_AXIS,  /* ival is an axis */
    TC_ATTR_PERM,  /* ints[0..nints) is a permutation */
    TC_ATTR_LOOP,  /* pipeline, unroll (0 = not given) */
    TC_ATTR_DOT,   /* ival: 1 = lowered to MMA m16n8k16 (distributed IR), 0 = FMA */
    TC_ATTR_PENDING, /* async_wait: ival = groups of copies that may stay in flight */
} TcAttrKind;

enum {
    TC_OPF_PURE = 1,          /* no side effects: removable if unused, CSE-able */
    TC_OPF_ELEMENTWISE = 2,   /* applies per element, operands of one shape */
    TC_OPF_COMMUTATIVE = 4,   /* operands 0 and 1 may be swapped */
    TC_OPF_TERMINATOR = 8,    /* ends a block */
    TC_OPF_HAS_REGIONS = 16,  /* owns blocks */
    TC_OPF_READS_MEMORY = 32, /* reads tensors (no writes) */
    TC_OPF_WRITES_MEMORY = 64,/* writes tensors */
    TC_OPF_READS_SHARED = 128,/* reads shared memory (Memory IR) */
    TC_OPF_WRITES_SHARED = 256,/* writes shared memory or orders its accesses */
};

typedef struct TcOpInfo {
    const char *name;
    int noperands;  /* -1: variable */
    int nresults;   /* -1: variable */
    TcResultRule rule;
    TcAttrKind attr;
    unsigned flags;
} TcOpInfo;

const TcOpInfo *tc_op_info(TcOpcode op);
/* Looks an op up by its text name; false if unknown. */
bool tc_op_from_name(const char *s, size_t n, TcOpcode *out);

typedef struct TcIrOp TcIrOp;
typedef struct TcIrBlock TcIrBlock;
typedef struct TcIrFunc TcIrFunc;

typedef struct TcIrValue {
    TcType *type;
    TcIrOp *def;        /* defining op, or NULL for a block argument */
    TcIrBlock *block;   /* block argument: the block that owns it */
    uint32_t index;     /* result index in def, or argument index in block */
    uint32_t id;        /* dense per kernel, < func->nvalues */
    const char *name;   /* printing hint (interned), or NULL */
} TcIrValue;

struct TcIrOp {
    TcOpcode opc;
    TcSpan loc;               /* source location; file == 0 when unknown */
    uint32_t noperands;
    uint32_t nresults;
    uint32_t nregions;
    TcIrValue **operands;
    TcIrValue **results;
    TcIrBlock **regions;
    /* Attributes; which are meaningful is given by tc_op_info(opc)->attr. */
    int64_t ival;             /* TC_ATTR_VALUE (int/bool const), TC_ATTR_AXIS */
    double fval;              /* TC_ATTR_VALUE (float const) */
    int64_t *ints;            /* TC_ATTR_PERM */
    uint32_t nints;
    int32_t pipeline, unroll; /* TC_ATTR_LOOP; 0 = not requested */
    int64_t smem;             /* shared-memory byte offset (Memory IR), -1 = none */
    TcIrBlock *parent;        /* block containing this op */
    TcIrOp *prev, *next;      /* siblings in parent */
};

struct TcIrBlock {
    TcIrValue **args;  /* for: [iv, carried...]; if arms and kernel grid: none */
    uint32_t nargs, cap_args;
    TcIrOp *first, *last;
    TcIrOp *parent;    /* owning op, or NULL for a kernel's body and grid */
    TcIrFunc *func;
};

/* A const parameter's value in this specialization (printed, informative). */
typedef enum TcConstKind { TC_CONST_INT, TC_CONST_BOOL, TC_CONST_FLOAT, TC_CONST_DTYPE } TcConstKind;
typedef struct TcIrConst {
    const char *name;
    TcConstKind kind;
    int64_t ival;   /* int, bool */
    double fval;    /* float */
    TcDtype dtype;  /* dtype */
} TcIrConst;

/*
 * A kernel. Its body block's arguments are the parameters (tensors and
 * scalars, nparams of them) followed by the size symbols (nsizes scalar i32
 * values named after the symbol). The grid block computes the launch grid
 * from those arguments and ends with a yield of 1 to 3 i32 scalars.
 */
struct TcIrFunc {
    const char *name;
    TcSpan loc;
    TcIrModule *module;
    TcIrBlock *body;
    TcIrBlock *grid;
    uint32_t nparams, nsizes;
    int32_t warps;                 /* 0 = target's default */
    uint64_t smem_bytes;           /* shared memory (Memory IR), 0 = none */
    TC_VEC(TcIrConst) consts;
    uint32_t nvalues;              /* next value id */
};

struct TcIrModule {
    TcArena *arena;
    TcStrTab strs;
    TC_VEC(TcIrFunc *) funcs;
    TC_VEC(TcLayout *) layouts;    /* interned layouts (ir/layout.c) */
    /* type interning (open addressing, heap-allocated) */
    TcType **type_slots;
    uint32_t type_cap, type_len;
};

TcIrModule *tc_ir_module_new(TcArena *a);
void tc_ir_module_free(TcIrModule *m);  /* frees heap side tables, not the arena */
const char *tc_ir_intern(TcIrModule *m, const char *s);

TcIrFunc *tc_ir_func_new(TcIrModule *m, const char *name, TcSpan loc);
TcIrValue *tc_ir_func_add_param(TcIrFunc *f, const char *name, TcType *t);
TcIrValue *tc_ir_func_add_size(TcIrFunc *f, const char *name);
TcIrValue *tc_ir_func_param(const TcIrFunc *f, uint32_t i);  /* 0 <= i < nparams */
TcIrValue *tc_ir_func_size(const TcIrFunc *f, uint32_t i);   /* 0 <= i < nsizes */
TcIrFunc *tc_ir_module_find(const TcIrModule *m, const char *name);

TcIrBlock *tc_ir_block_new(TcIrFunc *f);
TcIrValue *tc_ir_block_add_arg(TcIrBlock *b, TcType *t, const char *name);
TcIrValue *tc_ir_value_new(TcIrFunc *f, TcType *t, const char *name);

/* A detached op with room for its operands, results (types given) and regions
 * (created empty). Attributes are set by the caller. */
TcIrOp *tc_ir_op_new(TcIrFunc *f, TcOpcode opc, TcSpan loc,
                     uint32_t noperands, TcIrValue *const *operands,
                     uint32_t nresults, TcType *const *result_types,
                     uint32_t nregions);
void tc_ir_block_append(TcIrBlock *b, TcIrOp *op);
void tc_ir_insert_before(TcIrOp *pos, TcIrOp *op);
void tc_ir_op_unlink(TcIrOp *op);
TcIrOp *tc_ir_block_terminator(const TcIrBlock *b); /* last op if terminator */

/* Calls fn(op, ctx) for every op in pre-order (an op before its regions). */
void tc_ir_walk_block(TcIrBlock *b, void (*fn)(TcIrOp *, void *), void *ctx);
void tc_ir_walk_func(TcIrFunc *f, void (*fn)(TcIrOp *, void *), void *ctx);

/* The level of kernel f by its tiles (the verifier makes layouts all or
 * none): 1 when they carry GPU layouts (distributed or Memory IR), 0 when
 * they do not (Tile IR), -1 when f has no tile values. */
int tc_ir_func_has_layouts(const TcIrFunc *f);

/* ------------------------------------------------------------- builder */

/* Inserts at the end of `block`, or before `before` when it is not NULL. */
typedef struct TcIrBuilder {
    TcIrFunc *func;
    TcIrBlock *block;
    TcIrOp *before;
    TcSpan loc;        /* location given to built ops */
} TcIrBuilder;

void tc_ir_builder_at_end(TcIrBuilder *b, TcIrFunc *f, TcIrBlock *block);
TcIrOp *tc_ir_build_op(TcIrBuilder *b, TcOpcode opc, uint32_t noperands,
                       TcIrValue *const *operands, TcType *explicit_result);
TcIrValue *tc_ir_build_const_int(TcIrBuilder *b, TcDtype dt, int64_t v);
TcIrValue *tc_ir_build_const_float(TcIrBuilder *b, TcDtype dt, double v);
TcIrValue *tc_ir_build_unary(TcIrBuilder *b, TcOpcode opc, TcIrValue *x);
TcIrValue *tc_ir_build_binary(TcIrBuilder *b, TcOpcode opc, TcIrValue *x, TcIrValue *y);
TcIrValue *tc_ir_build_cast(TcIrBuilder *b, TcIrValue *x, TcType *to);
TcIrValue *tc_ir_build_splat(TcIrBuilder *b, TcIrValue *x, TcType *to);
TcIrValue *tc_ir_build_broadcast(TcIrBuilder *b, TcIrValue *x, TcType *to);
TcIrValue *tc_ir_build_reshape(TcIrBuilder *b, TcIrValue *x, TcType *to);
TcIrValue *tc_ir_build_expand_dims(TcIrBuilder *b, TcIrValue *x, uint32_t axis);
TcIrValue *tc_ir_build_trans(TcIrBuilder *b, TcIrValue *x, uint32_t rank, const int64_t *perm);
TcIrValue *tc_ir_build_reduce(TcIrBuilder *b, TcOpcode opc, TcIrValue *x, uint32_t axis);
TcIrValue *tc_ir_build_select(TcIrBuilder *b, TcIrValue *c, TcIrValue *x, TcIrValue *y);
TcIrValue *tc_ir_build_dot(TcIrBuilder *b, TcIrValue *a, TcIrValue *bb, TcIrValue *acc);
TcIrValue *tc_ir_build_arange(TcIrBuilder *b, int64_t n);
TcIrValue *tc_ir_build_program_id(TcIrBuilder *b, TcOpcode opc, uint32_t axis);
TcIrValue *tc_ir_build_view(TcIrBuilder *b, TcIrValue *t, uint32_t nidx, TcIrValue *const *idx);
/* pad may be NULL (pads with zero). */
TcIrValue *tc_ir_build_load(TcIrBuilder *b, TcIrValue *t, TcIrValue *const *offsets,
                            TcIrValue *pad, TcType *tile);
TcIrOp *tc_ir_build_store(TcIrBuilder *b, TcIrValue *t, TcIrValue *const *offsets,
                          TcIrValue *tile);
/* A `for` whose body has block args [iv, carried...] and no ops yet; the
 * results get the inits' types. The caller fills the body and its yield. */
TcIrOp *tc_ir_build_for(TcIrBuilder *b, TcIrValue *lo, TcIrValue *hi, TcIrValue *step,
                        uint32_t ninit, TcIrValue *const *inits);
/* An `if` with empty then/else regions and results of the given types. */
TcIrOp *tc_ir_build_if(TcIrBuilder *b, TcIrValue *cond, uint32_t nresults,
                       TcType *const *types);
TcIrOp *tc_ir_build_yield(TcIrBuilder *b, uint32_t n, TcIrValue *const *vals);

/* ---------------------------------------------- printer, parser, verifier */

/* Prints the module in the text form docs/ir.md defines. Names given to
 * values are kept; others are numbered. Printing a parsed module gives the
 * text it was parsed from, when that text came from this printer. */
void tc_ir_print_module(const TcIrModule *m, TcStrBuf *out);
void tc_ir_print_func(const TcIrFunc *f, TcStrBuf *out);

/* Parses Tile IR text into m. Reports errors (TC_E_IR_*) with locations in
 * file `file_id` of de. Returns false if anything was reported. */
bool tc_ir_parse(TcIrModule *m, TcDiagEngine *de, uint32_t file_id);

/* Checks the invariants of Tile IR (operand counts and types per op, dominance
 * of uses, terminators, region arguments). Reports TC_E_IR_VERIFY
 * diagnostics, each naming the op; returns false if any. `when` (may be NULL)
 * is mentioned in messages, e.g. "after pass cse". */
bool tc_ir_verify_module(const TcIrModule *m, TcDiagEngine *de, const char *when);
bool tc_ir_verify_func(const TcIrFunc *f, TcDiagEngine *de, const char *when);

/* ----------------------------------------------------- scalar evaluation */

/* A scalar constant: i for integers and bool (wrapped to the dtype), f for
 * floats (representable in the dtype). See ir/fold.c. */
typedef union TcScalar {
    int64_t i;
    double f;
} TcScalar;

/*
 * The element semantics of docs/ir.md, defined once (ir/fold.c) and used by
 * the interpreter, canonicalize and sema. f16/bf16 are computed in f32 (the
 * "f32" evaluators) and carried in f32 between ops; f64 in double; integers
 * and bool in int64, operands and results wrapped to the dtype.
 */

/* v wrapped to dt: sign-extended (signed), zero-extended (unsigned), 0/1 (bool). */
int64_t tc_int_wrap(TcDtype dt, int64_t v);
/* x rounded once (nearest even) to float dtype dt; f64 leaves it unchanged. */
double tc_float_round(TcDtype dt, double x);
/* Whether element-wise op (unary, binary or comparison; not cast) is defined on dt. */
bool tc_eval_defined(TcOpcode op, TcDtype dt);
/* Integer/bool add sub mul div rem max min and or xor shl shr, eq..ge (0/1): x/0 = x%0 = 0, wrapping. */
int64_t tc_eval_int_binary(TcOpcode op, TcDtype dt, int64_t a, int64_t b);
/* Integer/bool neg, not, abs (wrapping: -INT_MIN = abs(INT_MIN) = INT_MIN). */
int64_t tc_eval_int_unary(TcOpcode op, TcDtype dt, int64_t x);
/* f32-class add sub mul div rem(fmod) max min (NaN wins, +0 > -0). */
float tc_eval_f32_binary(TcOpcode op, float a, float b);
/* f64 add sub mul div rem(fmod) max min (NaN wins, +0 > -0). */
double tc_eval_f64_binary(TcOpcode op, double a, double b);
/* IEEE eq ne lt le gt ge on floats of any class (NaN: only ne is true). */
bool tc_eval_float_compare(TcOpcode op, double a, double b);
/* f32-class neg abs exp exp2 log log2 sqrt rsqrt tanh sigmoid erf, with C's float functions. */
float tc_eval_f32_unary(TcOpcode op, float x);
/* f64 neg abs exp exp2 log log2 sqrt rsqrt tanh sigmoid erf, with C's double functions. */
double tc_eval_f64_unary(TcOpcode op, double x);
/* The `cast` op on one scalar: rounds once, truncates float->int (NaN -> 0, saturating). */
TcScalar tc_scalar_cast(TcDtype from, TcDtype to, TcScalar v);
/* Wraps/rounds (once) v into dtype dt's range and precision. */
TcScalar tc_scalar_normalize(TcDtype dt, TcScalar v);
/* An element-wise op on scalars of dtype dt, exactly as at run time (an
 * f16/bf16 result is the unrounded f32 value); false if not defined on dt. */
bool tc_eval_scalar(TcOpcode op, TcDtype dt, const TcScalar *in, TcScalar *out);
/* Constant folding: tc_eval_scalar, but false (not foldable) for div/rem by
 * zero and for an f16/bf16 result that the dtype cannot hold exactly, whose
 * const would differ from the f32 value the op carries at run time. */
bool tc_fold_scalar(TcOpcode op, TcDtype dt, const TcScalar *in, TcScalar *out);

/* ----------------------------------------------------------- interpreter */

/* A tensor in host memory: sizes and strides in elements. */
typedef struct TcTensorArg {
    void *data;
    TcDtype dtype;
    uint32_t rank;
    int64_t sizes[TC_MAX_RANK];
    int64_t strides[TC_MAX_RANK];
} TcTensorArg;

/* One kernel argument; which member is used follows the parameter's type. */
typedef struct TcInterpArg {
    TcTensorArg tensor;  /* tensor params */
    int64_t i;           /* integer and bool scalar params */
    double f;            /* float scalar params */
} TcInterpArg;

typedef struct TcInterpOptions {
    uint64_t max_program_instances; /* 0 = no limit */
    size_t max_tile_bytes;          /* per tile value; 0 = 1 GiB */
} TcInterpOptions;

/*
 * Runs kernel f over its whole grid, one program instance after another
 * (axis 0 varying fastest), with the semantics of docs/ir.md. args has f->nparams entries. Size symbols are bound
 * from the tensor arguments and must agree. Returns true on success; on
 * failure writes a message (no trailing newline) to err.
 */
bool tc_interp_run(const TcIrFunc *f, const TcInterpArg *args,
                   const TcInterpOptions *opt, char *err, size_t errlen);

#endif
