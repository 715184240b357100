/*
 * printer.c — Tile IR to text, in the form docs/ir.md defines and parser.c
 * reads back.
 *
 * Invariants:
 *  - Printing never fails and never changes the module: broken IR (a dangling
 *    operand, a missing region) still prints, with `%<invalid>` where a value
 *    cannot be named, so a module that failed verification can be dumped.
 *  - Names are unique per kernel and assigned in print order: a value with a
 *    name hint prints as %hint (%hint.1, %hint.2, ... when taken), a value
 *    without one (or with a purely numeric one) as %0, %1, ...; numbered and
 *    hinted names never collide because hinted names are never all digits.
 *    Hence print(parse(print(M))) == print(M).
 *  - All side tables live in a scratch arena released before returning.
 */
#include "ir.h"

#include <string.h>

/* A set of names, each with the next suffix to try when it is taken again. */
typedef struct NameSlot {
    const char *name;
    uint32_t next_suffix;
} NameSlot;

typedef struct Printer {
    TcArena scratch;
    TcStrBuf *out;
    const TcIrFunc *func;
    const TcIrValue **owner;   /* owner[id]: the value named names[id] */
    const char **names;        /* by value id; NULL until named */
    NameSlot *slots;           /* open addressing */
    uint32_t cap, len;
    uint32_t counter;          /* next number for a value without a hint */
} Printer;

static uint64_t name_hash(const char *s) { return tc_hash_bytes(s, strlen(s), 0x9e3779b9u); }

static NameSlot *name_find(Printer *p, const char *s)
{
    uint32_t j = (uint32_t)name_hash(s) & (p->cap - 1);
    while (p->slots[j].name) {
        if (strcmp(p->slots[j].name, s) == 0) return &p->slots[j];
        j = (j + 1) & (p->cap - 1);
    }
    return &p->slots[j];
}

static NameSlot *name_insert(Printer *p, const char *s)
{
    if ((p->len + 1) * 2 > p->cap) {
        uint32_t ocap = p->cap;
        NameSlot *old = p->slots;
        p->cap = ocap ? ocap * 2 : 64;
        p->slots = tc_arena_alloc(&p->scratch, p->cap * sizeof *p->slots);
        for (uint32_t i = 0; i < ocap; i++)
            if (old[i].name) *name_find(p, old[i].name) = old[i];
    }
    NameSlot *slot = name_find(p, s);
    if (!slot->name) {
        slot->name = s;
        slot->next_suffix = 1;
        p->len++;
    }
    return slot;
}

static bool name_taken(Printer *p, const char *s) { return p->cap && name_find(p, s)->name; }

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '$';
}

/* The hint as it may be printed: characters outside the name alphabet become
 * '_'; NULL when there is no usable hint (none, empty, or all digits). */
static char *clean_hint(Printer *p, const char *hint)
{
    if (!hint || !*hint) return NULL;
    bool digits = true;
    size_t n = strlen(hint);
    char *s = tc_arena_strndup(&p->scratch, hint, n);
    for (size_t i = 0; i < n; i++) {
        if (!is_name_char(s[i])) s[i] = '_';
        if (s[i] < '0' || s[i] > '9') digits = false;
    }
    return digits ? NULL : s;
}

static const char *assign_name(Printer *p, const TcIrValue *v)
{
    char *base = clean_hint(p, v->name);
    const char *name;
    if (!base) {
        name = tc_arena_printf(&p->scratch, "%u", p->counter++);
    } else if (!name_taken(p, base)) {
        name = base;
    } else {
        NameSlot *slot = name_find(p, base);
        uint32_t k = slot->next_suffix;
        char *cand;
        for (;; k++) {
            cand = tc_arena_printf(&p->scratch, "%s.%u", base, k);
            if (!name_taken(p, cand)) break;
        }
        name_find(p, base)->next_suffix = k + 1;
        name = cand;
    }
    name_insert(p, name);
    return name;
}

/* The printed name of v, assigning one on first mention. */
static const char *value_name(Printer *p, const TcIrValue *v)
{
    if (!v || v->id >= p->func->nvalues) return "<invalid>";
    if (p->owner[v->id] && p->owner[v->id] != v) return "<invalid>";
    if (!p->names[v->id]) {
        p->owner[v->id] = v;
        p->names[v->id] = assign_name(p, v);
    }
    return p->names[v->id];
}

static void put_value(Printer *p, const TcIrValue *v)
{
    tc_sb_putc(p->out, '%');
    tc_sb_puts(p->out, value_name(p, v));
}

static void put_type(Printer *p, const TcType *t)
{
    if (t) tc_type_print(t, p->out);
    else tc_sb_puts(p->out, "<null>");
}

static void indent(Printer *p, unsigned depth)
{
    for (unsigned i = 0; i < depth; i++) tc_sb_puts(p->out, "  ");
}

static void put_value_list(Printer *p, TcIrValue *const *vals, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i) tc_sb_puts(p->out, ", ");
        put_value(p, vals[i]);
    }
}

static void put_result_types(Printer *p, const TcIrOp *op)
{
    if (!op->nresults) return;
    tc_sb_puts(p->out, " : ");
    for (uint32_t i = 0; i < op->nresults; i++) {
        if (i) tc_sb_puts(p->out, ", ");
        put_type(p, op->results[i]->type);
    }
}

/* " {axis = 1}", " {perm = [1, 0]}", " {pipeline = 3, unroll = 2}", with
 * ", smem = N" (or " {smem = N}" alone) when the op has a shared-memory
 * offset; nothing when there is no attribute to print. */
static void put_attrs(Printer *p, const TcIrOp *op)
{
    bool any = false;
#define KEY() (tc_sb_puts(p->out, any ? ", " : " {"), any = true)
    switch (tc_op_info(op->opc)->attr) {
    case TC_ATTR_AXIS:
        KEY();
        tc_sb_printf(p->out, "axis = %lld", (long long)op->ival);
        break;
    case TC_ATTR_PERM:
        KEY();
        tc_sb_puts(p->out, "perm = [");
        for (uint32_t i = 0; i < op->nints; i++)
            tc_sb_printf(p->out, "%s%lld", i ? ", " : "", (long long)op->ints[i]);
        tc_sb_putc(p->out, ']');
        break;
    case TC_ATTR_LOOP:
        if (op->pipeline) {
            KEY();
            tc_sb_printf(p->out, "pipeline = %d", op->pipeline);
        }
        if (op->unroll) {
            KEY();
            tc_sb_printf(p->out, "unroll = %d", op->unroll);
        }
        break;
    case TC_ATTR_DOT:
        if (op->ival) {
            KEY();
            tc_sb_printf(p->out, "mma = %lld", (long long)op->ival);
        }
        break;
    case TC_ATTR_PENDING:
        KEY();
        tc_sb_printf(p->out, "pending = %lld", (long long)op->ival);
        break;
    case TC_ATTR_NONE:
    case TC_ATTR_VALUE:
        break;
    }
    if (op->smem >= 0) {
        KEY();
        tc_sb_printf(p->out, "smem = %lld", (long long)op->smem);
    }
#undef KEY
    if (any) tc_sb_putc(p->out, '}');
}

/* The literal of a const: its dtype says whether ival or fval holds it. */
static void put_const_value(Printer *p, const TcIrOp *op)
{
    const TcType *t = op->nresults ? op->results[0]->type : NULL;
    TcDtype dt = t ? t->dtype : TC_I64;
    if (tc_dtype_is_float(dt)) tc_sb_double(p->out, op->fval);
    else if (dt == TC_BOOL && (op->ival == 0 || op->ival == 1)) tc_sb_puts(p->out, op->ival ? "true" : "false");
    else if (tc_dtype_is_unsigned(dt)) tc_sb_printf(p->out, "%llu", (unsigned long long)op->ival);
    else tc_sb_printf(p->out, "%lld", (long long)op->ival);
}

static void print_block(Printer *p, const TcIrBlock *b, unsigned depth);

static void print_region(Printer *p, const TcIrOp *op, uint32_t r, unsigned depth)
{
    if (r < op->nregions && op->regions[r]) print_block(p, op->regions[r], depth + 1);
}

/* for %iv = %lo to %hi step %st [iter_args(%a = %init, ...)] [: types] [{attrs}] { */
static void print_for(Printer *p, const TcIrOp *op, unsigned depth)
{
    const TcIrBlock *body = op->regions[0];
    tc_sb_puts(p->out, "for ");
    if (body->nargs) put_value(p, body->args[0]);
    else tc_sb_puts(p->out, "%<invalid>");
    tc_sb_puts(p->out, " = ");
    put_value(p, op->operands[0]);
    tc_sb_puts(p->out, " to ");
    put_value(p, op->operands[1]);
    tc_sb_puts(p->out, " step ");
    put_value(p, op->operands[2]);
    if (op->noperands > 3) {
        tc_sb_puts(p->out, " iter_args(");
        for (uint32_t i = 3; i < op->noperands; i++) {
            if (i > 3) tc_sb_puts(p->out, ", ");
            if (i - 2 < body->nargs) put_value(p, body->args[i - 2]);
            else tc_sb_puts(p->out, "%<invalid>");
            tc_sb_puts(p->out, " = ");
            put_value(p, op->operands[i]);
        }
        tc_sb_putc(p->out, ')');
    }
    put_result_types(p, op);
    put_attrs(p, op);
    tc_sb_puts(p->out, " {\n");
    print_region(p, op, 0, depth);
    indent(p, depth);
    tc_sb_putc(p->out, '}');
}

/* if %c [: types] [{smem = N}] { ... } else { ... } */
static void print_if(Printer *p, const TcIrOp *op, unsigned depth)
{
    tc_sb_puts(p->out, "if ");
    put_value(p, op->operands[0]);
    put_result_types(p, op);
    put_attrs(p, op);
    tc_sb_puts(p->out, " {\n");
    print_region(p, op, 0, depth);
    indent(p, depth);
    tc_sb_puts(p->out, "} else {\n");
    print_region(p, op, 1, depth);
    indent(p, depth);
    tc_sb_putc(p->out, '}');
}

/* [results =] NAME operands [{attrs}] [: result types], then any regions
 * (only broken IR has regions on other ops; they print for inspection). */
static void print_generic(Printer *p, const TcIrOp *op, unsigned depth)
{
    tc_sb_puts(p->out, tc_op_info(op->opc)->name);
    if (op->opc == TC_OP_CONST) {
        tc_sb_putc(p->out, ' ');
        put_const_value(p, op);
    }
    if (op->noperands) {
        tc_sb_putc(p->out, ' ');
        put_value_list(p, op->operands, op->noperands);
    }
    put_attrs(p, op);
    put_result_types(p, op);
    for (uint32_t r = 0; r < op->nregions; r++) {
        tc_sb_puts(p->out, " {\n");
        print_region(p, op, r, depth);
        indent(p, depth);
        tc_sb_putc(p->out, '}');
    }
}

static void print_op(Printer *p, const TcIrOp *op, unsigned depth)
{
    indent(p, depth);
    if (op->nresults) {
        put_value_list(p, op->results, op->nresults);
        tc_sb_puts(p->out, " = ");
    }
    if (op->opc == TC_OP_FOR && op->noperands >= 3 && op->nregions == 1 && op->regions[0])
        print_for(p, op, depth);
    else if (op->opc == TC_OP_IF && op->noperands == 1 && op->nregions == 2)
        print_if(p, op, depth);
    else
        print_generic(p, op, depth);
    tc_sb_putc(p->out, '\n');
}

static void print_block(Printer *p, const TcIrBlock *b, unsigned depth)
{
    for (const TcIrOp *op = b->first; op; op = op->next) print_op(p, op, depth);
}

static void print_const_param(Printer *p, const TcIrConst *c)
{
    tc_sb_printf(p->out, "%s = ", c->name);
    switch (c->kind) {
    case TC_CONST_INT: tc_sb_printf(p->out, "%lld", (long long)c->ival); break;
    case TC_CONST_BOOL: tc_sb_puts(p->out, c->ival ? "true" : "false"); break;
    case TC_CONST_FLOAT: tc_sb_double(p->out, c->fval); break;
    case TC_CONST_DTYPE: tc_sb_puts(p->out, tc_dtype_name(c->dtype)); break;
    }
}

/* kernel @name[<consts>](params)[ sizes(...)][ smem(bytes)][ warps(n)]
 * grid {
 *   ...
 * }
 * {
 *   ...
 * } */
static void print_func(Printer *p, const TcIrFunc *f)
{
    p->func = f;
    uint32_t n = f->nvalues ? f->nvalues : 1;
    p->owner = tc_arena_alloc(&p->scratch, n * sizeof *p->owner);
    p->names = tc_arena_alloc(&p->scratch, n * sizeof *p->names);
    p->slots = NULL;
    p->cap = p->len = 0;
    p->counter = 0;

    const TcIrBlock *body = f->body;
    uint32_t nparams = f->nparams <= body->nargs ? f->nparams : body->nargs;
    /* Sizes are named first so that they keep their symbol's name exactly. */
    for (uint32_t i = nparams; i < body->nargs; i++) value_name(p, body->args[i]);

    tc_sb_printf(p->out, "kernel @%s", f->name);
    if (f->consts.len) {
        tc_sb_putc(p->out, '<');
        for (uint32_t i = 0; i < f->consts.len; i++) {
            if (i) tc_sb_puts(p->out, ", ");
            print_const_param(p, &f->consts.data[i]);
        }
        tc_sb_putc(p->out, '>');
    }
    tc_sb_putc(p->out, '(');
    for (uint32_t i = 0; i < nparams; i++) {
        if (i) tc_sb_puts(p->out, ", ");
        put_value(p, body->args[i]);
        tc_sb_puts(p->out, ": ");
        put_type(p, body->args[i]->type);
    }
    tc_sb_putc(p->out, ')');
    if (body->nargs > nparams) {
        tc_sb_puts(p->out, " sizes(");
        put_value_list(p, body->args + nparams, body->nargs - nparams);
        tc_sb_putc(p->out, ')');
    }
    if (f->smem_bytes) tc_sb_printf(p->out, " smem(%llu)", (unsigned long long)f->smem_bytes);
    if (f->warps) tc_sb_printf(p->out, " warps(%d)", f->warps);
    tc_sb_puts(p->out, "\ngrid {\n");
    if (f->grid) print_block(p, f->grid, 1);
    tc_sb_puts(p->out, "}\n{\n");
    print_block(p, body, 1);
    tc_sb_puts(p->out, "}\n");
}

void tc_ir_print_func(const TcIrFunc *f, TcStrBuf *out)
{
    Printer p;
    memset(&p, 0, sizeof p);
    tc_arena_init(&p.scratch);
    p.out = out;
    print_func(&p, f);
    tc_arena_free(&p.scratch);
}

void tc_ir_print_module(const TcIrModule *m, TcStrBuf *out)
{
    for (uint32_t i = 0; i < m->funcs.len; i++) {
        if (i) tc_sb_putc(out, '\n');
        tc_ir_print_func(m->funcs.data[i], out);
    }
}
