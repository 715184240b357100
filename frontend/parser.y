/*
 * parser.y — the grammar of .tile files (language v0, see DESIGN.md): a pure
 * bison parser that builds the syntax tree of ast.h from the tokens of
 * lexer.l.
 *
 * Invariants:
 *  - No global state: the scanner and a TcParseCtx are parameters.
 *  - Every node comes from the arena and gets a span covering its whole text
 *    (YYLLOC_DEFAULT joins the spans of a rule's non-empty symbols).
 *  - Every node's depth is computed when it is built; a node deeper than
 *    TC_AST_MAX_DEPTH becomes TC_AST_ERROR, with E2002 reported once per
 *    kernel, and an expression with an ERROR operand is ERROR itself. The
 *    parser stack is bounded by YYMAXDEPTH; overflowing it is E2002 too.
 *  - Syntax errors are E2001 "expected X, found Y". Recovery resumes at the
 *    next ';' or '}' inside a block (the statement becomes an ERROR node),
 *    at the body of a kernel whose header is broken, and at the next
 *    'kernel' at file level, so one run reports several independent errors.
 *  - Kernels are added to the file node as soon as they are reduced, so an
 *    aborted parse still returns what came before.
 *  - A file keeps at most TC_PARSE_MAX_KERNELS kernels and a kernel at most
 *    TC_PARSE_MAX_PARAMS + 1 parameters and const parameters; more is E5004,
 *    so that later stages (which compare names pairwise) stay fast.
 *  - TC_AST_ERROR appears only as a statement of a block, as a const param
 *    whose kind was not int/bool/float/dtype, or in place of an expression
 *    (depth limit); file.kernels holds KERNEL nodes only.
 *
 * %expect 0: when a change introduces a conflict, resolve it with precedence
 * declarations or by restating the rule; never raise this count.
 */

%define api.pure full
/* Prefixed so that a program embedding the JIT library may have its own yyparse. */
%define api.prefix {tcfe_yy}
%define api.location.type {TcSpan}
%define parse.error custom
%define parse.lac full
%locations
%expect 0

%parse-param {void *scanner} {TcParseCtx *pc}
%lex-param {void *scanner}

%code requires {
#include "ast.h"

/* Shared by the scanner and the parser of one file; the scanner's yyextra. */
typedef struct TcParseCtx {
    TcArena *arena;          /* every node and token value */
    TcStrTab *strs;          /* identifiers; NULL when only dumping tokens */
    TcDiagEngine *de;
    uint32_t file;           /* file id in de */
    const TcSource *src;
    uint32_t line, col;      /* position of the next character */
    uint32_t last_line, last_col; /* end of the last token; 0 before any */
    size_t off;              /* byte offset of the next character */
    size_t tok_off, tok_len; /* bytes of the last token matched */
    TcSpan comment_open;     /* the '/' '*' of the open block comment */
    bool at_eof;             /* the scanner returned end of file */
    bool skipped_invalid;    /* an invalid character came before the last token */
    bool nesting_reported;   /* E2002 already reported in this kernel */
    TcAstNode *file_node;    /* TC_AST_FILE; kernels appended as reduced */
    uint32_t nkernels;       /* kernels parsed, kept or not (TC_PARSE_MAX_KERNELS) */
    TcSpan first_dropped;    /* name of the first kernel past the limit */
} TcParseCtx;

/* Limits the parser enforces (E5004), so that no later stage sees more:
 * parameters and const parameters per kernel, kernels per file. */
#define TC_PARSE_MAX_PARAMS 256
#define TC_PARSE_MAX_KERNELS 10000
}

%code provides {
int tcfe_yylex(TCFE_YYSTYPE *val, TCFE_YYLTYPE *loc, void *scanner);
}

%code {
#include <math.h>
#include <string.h>

/* Enough for any real kernel; the AST depth limit is far below it. */
#define YYMAXDEPTH 20000

static TcSpan tc_loc_default(const TcSpan *rhs, int n);
#define YYLLOC_DEFAULT(Cur, Rhs, N) ((Cur) = tc_loc_default(&YYRHSLOC(Rhs, 0), (N)))

static void yyerror(TcSpan *loc, void *scanner, TcParseCtx *pc, const char *msg);
static TcAstNode *tc_mk(TcParseCtx *pc, TcAstKind k, TcSpan s);
static TcAstNode *tc_done(TcParseCtx *pc, TcAstNode *n);
static TcAstNode *tc_done_limit(TcParseCtx *pc, TcAstNode *n, uint32_t limit);
static void tc_add_kernel(TcParseCtx *pc, TcAstNode *n);
static void tc_limit_params(TcParseCtx *pc, TcAstNode *k, TcAstList *l, const char *what);
static TcAstNode *tc_unary(TcParseCtx *pc, TcAstOp op, TcAstNode *e, TcSpan s);
static TcAstNode *tc_binary(TcParseCtx *pc, TcAstOp op, TcAstNode *l, TcAstNode *r, TcSpan s);
static bool tc_list_has_error(const TcAstList *l);
static TcAstNode *tc_stmt_assign(TcParseCtx *pc, TcAstOp op, TcAstNode *t, TcAstNode *v,
                                 TcSpan s);
static TcAstNode *tc_decl(TcParseCtx *pc, TcAstKind k, const char *id, TcSpan id_span,
                          TcAstNode *type, TcAstNode *init, TcSpan s);
static TcAstNode *tc_if(TcParseCtx *pc, TcAstNode *c, TcAstNode *t, TcAstNode *e, TcSpan s);
static TcAstList tc_list0(void);
static TcAstList tc_list1(TcParseCtx *pc, TcAstNode *n);
#define TC_PUSH(list, n) TC_VEC_PUSH(pc->arena, (list), (n))
}

%union {
    uint64_t ival;
    double fval;
    const char *id;
    TcDtype dtype;
    int ckind;          /* TcAstConstKind, or -1 after an error */
    unsigned flags;
    TcAstNode *node;
    TcAstList list;
}

%token <id>    TK_IDENT   "identifier"
%token <ival>  TK_INT     "integer literal"
%token <fval>  TK_FLOAT   "float literal"
%token <dtype> TK_DTYPE   "dtype name"
%token TK_KERNEL   "'kernel'"
%token TK_LET      "'let'"
%token TK_VAR      "'var'"
%token TK_FOR      "'for'"
%token TK_IN       "'in'"
%token TK_RANGE    "'range'"
%token TK_IF       "'if'"
%token TK_ELSE     "'else'"
%token TK_TRUE     "'true'"
%token TK_FALSE    "'false'"
%token TK_INF      "'inf'"
%token TK_NAN      "'nan'"
%token TK_NONE     "'None'"
%token TK_OUT      "'out'"
%token TK_INOUT    "'inout'"
%token TK_STRIDED  "'strided'"
%token TK_KW_INT   "'int'"
%token TK_KW_FLOAT "'float'"
%token TK_KW_DTYPE "'dtype'"
%token TK_SHL      "'<<'"
%token TK_SHR      "'>>'"
%token TK_LE       "'<='"
%token TK_GE       "'>='"
%token TK_EQ       "'=='"
%token TK_NE       "'!='"
%token TK_ANDAND   "'&&'"
%token TK_OROR     "'||'"
%token TK_ADDEQ    "'+='"
%token TK_SUBEQ    "'-='"
%token TK_MULEQ    "'*='"
%token TK_DIVEQ    "'/='"

/* C precedence, lowest first; '@' binds like '*'. */
%right '?' ':'
%left TK_OROR
%left TK_ANDAND
%left '|'
%left '^'
%left '&'
%left TK_EQ TK_NE
%left '<' TK_LE '>' TK_GE
%left TK_SHL TK_SHR
%left '+' '-'
%left '*' '/' '%' '@'

%type <node> kernel const_param param type type_elem dim attr block stmt if_stmt opt_type
%type <node> expr unary postfix primary arg index_item
%type <list> const_params_opt const_param_list const_params params_opt param_list params
%type <list> dim_list dims attrs stmts range_args
%type <list> args_opt arg_list args index_list index_items list_opt expr_list exprs
%type <ckind> const_kind
%type <flags> param_flags

%%

/* file := kernel* */
file
    : %empty
    | file kernel
        {
            tc_add_kernel(pc, $2);
            pc->nesting_reported = false;
        }
    | file error kernel
        {
            yyerrok;
            tc_add_kernel(pc, $3);
            pc->nesting_reported = false;
        }
    ;

/* kernel := 'kernel' NAME ['<' const_params '>'] '(' [params] ')' clause* block
 * A broken header is skipped up to the body, which is parsed and dropped. */
kernel
    : TK_KERNEL TK_IDENT const_params_opt '(' params_opt ')' attrs block
        {
            TcAstNode *n = tc_mk(pc, TC_AST_KERNEL, @$);
            n->u.kernel.id = $2;
            n->u.kernel.id_span = @2;
            n->u.kernel.const_params = $3;
            n->u.kernel.params = $5;
            n->u.kernel.clauses = $7;
            n->u.kernel.body = $8;
            tc_limit_params(pc, n, &n->u.kernel.const_params, "const parameters");
            tc_limit_params(pc, n, &n->u.kernel.params, "parameters");
            /* one level is left for the file node */
            $$ = tc_done_limit(pc, n, TC_AST_MAX_DEPTH - 1);
            if ($$->kind == TC_AST_ERROR) $$ = NULL;
        }
    | TK_KERNEL error block         { yyerrok; $$ = NULL; }
    ;

const_params_opt
    : %empty                        { $$ = tc_list0(); }
    | '<' const_param_list '>'      { $$ = $2; }
    ;

const_param_list
    : const_params
    | const_params ','
    ;

const_params
    : const_param                   { $$ = tc_list1(pc, $1); }
    | const_params ',' const_param  { $$ = $1; TC_PUSH($$, $3); }
    ;

/* const_param := NAME ':' (int | bool | float | dtype) ['=' unary]
 * The default is a unary expression so that '>' always closes the list. */
const_param
    : TK_IDENT ':' const_kind
        {
            $$ = tc_mk(pc, $3 < 0 ? TC_AST_ERROR : TC_AST_CONST_PARAM, @$);
            if ($3 >= 0) {
                $$->u.const_param.id = $1;
                $$->u.const_param.id_span = @1;
                $$->u.const_param.kind = (TcAstConstKind)$3;
            }
        }
    | TK_IDENT ':' const_kind '=' unary
        {
            $$ = tc_mk(pc, $3 < 0 ? TC_AST_ERROR : TC_AST_CONST_PARAM, @$);
            if ($3 >= 0) {
                $$->u.const_param.id = $1;
                $$->u.const_param.id_span = @1;
                $$->u.const_param.kind = (TcAstConstKind)$3;
                $$->u.const_param.def = $5;
                $$ = tc_done(pc, $$);
            }
        }
    ;

const_kind
    : TK_KW_INT     { $$ = TC_ACK_INT; }
    | TK_KW_FLOAT   { $$ = TC_ACK_FLOAT; }
    | TK_KW_DTYPE   { $$ = TC_ACK_DTYPE; }
    | TK_DTYPE
        {
            if ($1 == TC_BOOL) {
                $$ = TC_ACK_BOOL;
            } else {
                tc_error(pc->de, TC_E_SYNTAX, @1,
                         "expected 'int', 'bool', 'float' or 'dtype', found '%s'",
                         tc_dtype_name($1));
                $$ = -1;
            }
        }
    ;

params_opt
    : %empty                        { $$ = tc_list0(); }
    | param_list
    ;

param_list
    : params
    | params ','
    ;

params
    : param                         { $$ = tc_list1(pc, $1); }
    | params ',' param              { $$ = $1; TC_PUSH($$, $3); }
    ;

/* param := NAME ':' (out | inout | strided)* type */
param
    : TK_IDENT ':' param_flags type
        {
            $$ = tc_mk(pc, TC_AST_PARAM, @$);
            $$->u.param.id = $1;
            $$->u.param.id_span = @1;
            $$->u.param.flags = $3;
            $$->u.param.type = $4;
            $$ = tc_done(pc, $$);
        }
    ;

param_flags
    : %empty                        { $$ = 0; }
    | param_flags TK_OUT            { $$ = $1 | TC_TENSOR_OUT; }
    | param_flags TK_INOUT          { $$ = $1 | TC_TENSOR_INOUT; }
    | param_flags TK_STRIDED        { $$ = $1 | TC_TENSOR_STRIDED; }
    ;

/* type := (DTYPE | NAME) ['[' dim {',' dim} [','] ']'] */
type
    : type_elem
        {
            $$ = tc_mk(pc, TC_AST_TYPE, @$);
            $$->u.type.elem = $1;
            $$ = tc_done(pc, $$);
        }
    | type_elem '[' dim_list ']'
        {
            $$ = tc_mk(pc, TC_AST_TYPE, @$);
            $$->u.type.elem = $1;
            $$->u.type.has_dims = true;
            $$->u.type.dims = $3;
            $$ = tc_done(pc, $$);
        }
    ;

type_elem
    : TK_DTYPE      { $$ = tc_mk(pc, TC_AST_DTYPE, @$); $$->u.dtype.dtype = $1; }
    | TK_IDENT      { $$ = tc_mk(pc, TC_AST_NAME, @$); $$->u.name.id = $1; }
    ;

dim_list
    : dims
    | dims ','
    ;

dims
    : dim                           { $$ = tc_list1(pc, $1); }
    | dims ',' dim                  { $$ = $1; TC_PUSH($$, $3); }
    ;

dim
    : TK_INT        { $$ = tc_mk(pc, TC_AST_INT, @$); $$->u.int_lit.value = $1; }
    | TK_IDENT      { $$ = tc_mk(pc, TC_AST_NAME, @$); $$->u.name.id = $1; }
    ;

/* Kernel clauses and loop attributes: NAME '(' args ')' */
attrs
    : %empty                        { $$ = tc_list0(); }
    | attrs attr                    { $$ = $1; TC_PUSH($$, $2); }
    ;

attr
    : TK_IDENT '(' args_opt ')'
        {
            $$ = tc_mk(pc, TC_AST_ATTR, @$);
            $$->u.attr.id = $1;
            $$->u.attr.id_span = @1;
            $$->u.attr.args = $3;
            $$ = tc_done(pc, $$);
        }
    ;

/* block := '{' stmt* '}'; a broken statement list is skipped to the '}' */
block
    : '{' stmts '}'
        {
            $$ = tc_mk(pc, TC_AST_BLOCK, @$);
            $$->u.block.stmts = $2;
            $$ = tc_done(pc, $$);
        }
    | '{' stmts error '}'
        {
            yyerrok;
            $$ = tc_mk(pc, TC_AST_BLOCK, @$);
            $$->u.block.stmts = $2;
            TC_PUSH($$->u.block.stmts, tc_mk(pc, TC_AST_ERROR, @3));
            $$ = tc_done(pc, $$);
        }
    ;

stmts
    : %empty                        { $$ = tc_list0(); }
    | stmts stmt                    { $$ = $1; if ($2) TC_PUSH($$, $2); }
    ;

stmt
    : TK_LET TK_IDENT opt_type '=' expr ';'
        { $$ = tc_decl(pc, TC_AST_LET, $2, @2, $3, $5, @$); }
    | TK_VAR TK_IDENT opt_type '=' expr ';'
        { $$ = tc_decl(pc, TC_AST_VAR, $2, @2, $3, $5, @$); }
    | expr '=' expr ';'             { $$ = tc_stmt_assign(pc, TC_AOP_ASSIGN, $1, $3, @$); }
    | expr TK_ADDEQ expr ';'        { $$ = tc_stmt_assign(pc, TC_AOP_ADD, $1, $3, @$); }
    | expr TK_SUBEQ expr ';'        { $$ = tc_stmt_assign(pc, TC_AOP_SUB, $1, $3, @$); }
    | expr TK_MULEQ expr ';'        { $$ = tc_stmt_assign(pc, TC_AOP_MUL, $1, $3, @$); }
    | expr TK_DIVEQ expr ';'        { $$ = tc_stmt_assign(pc, TC_AOP_DIV, $1, $3, @$); }
    | expr ';'
        {
            $$ = tc_mk(pc, TC_AST_EXPR_STMT, @$);
            $$->u.expr_stmt.expr = $1;
            $$ = tc_done(pc, $$);
        }
    /* for NAME in range '(' e [, e [, e]] ')' attr* block */
    | TK_FOR TK_IDENT TK_IN TK_RANGE '(' range_args ')' attrs block
        {
            $$ = tc_mk(pc, TC_AST_FOR, @$);
            $$->u.for_.var = $2;
            $$->u.for_.var_span = @2;
            $$->u.for_.range_args = $6;
            $$->u.for_.attrs = $8;
            $$->u.for_.body = $9;
            $$ = tc_done(pc, $$);
        }
    | if_stmt
    | block
    | ';'                           { $$ = NULL; }
    /* Resynchronized at a statement boundary: report the next error at once
     * instead of waiting for three good tokens. */
    | error ';'                     { yyerrok; $$ = tc_mk(pc, TC_AST_ERROR, @$); }
    | error block                   { yyerrok; $$ = tc_mk(pc, TC_AST_ERROR, @$); }
    ;

opt_type
    : %empty                        { $$ = NULL; }
    | ':' type                      { $$ = $2; }
    ;

/* range_args := e [',' e [',' e]] [','] */
range_args
    : expr                          { $$ = tc_list1(pc, $1); }
    | expr ','                      { $$ = tc_list1(pc, $1); }
    | expr ',' expr                 { $$ = tc_list1(pc, $1); TC_PUSH($$, $3); }
    | expr ',' expr ','             { $$ = tc_list1(pc, $1); TC_PUSH($$, $3); }
    | expr ',' expr ',' expr
        { $$ = tc_list1(pc, $1); TC_PUSH($$, $3); TC_PUSH($$, $5); }
    | expr ',' expr ',' expr ','
        { $$ = tc_list1(pc, $1); TC_PUSH($$, $3); TC_PUSH($$, $5); }
    ;

/* if_stmt := 'if' expr block ['else' (block | if_stmt)] */
if_stmt
    : TK_IF expr block                      { $$ = tc_if(pc, $2, $3, NULL, @$); }
    | TK_IF expr block TK_ELSE block        { $$ = tc_if(pc, $2, $3, $5, @$); }
    | TK_IF expr block TK_ELSE if_stmt      { $$ = tc_if(pc, $2, $3, $5, @$); }
    ;

expr
    : unary
    | expr '?' expr ':' expr
        {
            if ($1->kind == TC_AST_ERROR || $3->kind == TC_AST_ERROR ||
                $5->kind == TC_AST_ERROR) {
                $$ = tc_mk(pc, TC_AST_ERROR, @$);
            } else {
                $$ = tc_mk(pc, TC_AST_TERNARY, @$);
                $$->u.ternary.cond = $1;
                $$->u.ternary.then_e = $3;
                $$->u.ternary.else_e = $5;
                $$ = tc_done(pc, $$);
            }
        }
    | expr TK_OROR expr     { $$ = tc_binary(pc, TC_AOP_OROR, $1, $3, @$); }
    | expr TK_ANDAND expr   { $$ = tc_binary(pc, TC_AOP_ANDAND, $1, $3, @$); }
    | expr '|' expr         { $$ = tc_binary(pc, TC_AOP_BITOR, $1, $3, @$); }
    | expr '^' expr         { $$ = tc_binary(pc, TC_AOP_BITXOR, $1, $3, @$); }
    | expr '&' expr         { $$ = tc_binary(pc, TC_AOP_BITAND, $1, $3, @$); }
    | expr TK_EQ expr       { $$ = tc_binary(pc, TC_AOP_EQ, $1, $3, @$); }
    | expr TK_NE expr       { $$ = tc_binary(pc, TC_AOP_NE, $1, $3, @$); }
    | expr '<' expr         { $$ = tc_binary(pc, TC_AOP_LT, $1, $3, @$); }
    | expr TK_LE expr       { $$ = tc_binary(pc, TC_AOP_LE, $1, $3, @$); }
    | expr '>' expr         { $$ = tc_binary(pc, TC_AOP_GT, $1, $3, @$); }
    | expr TK_GE expr       { $$ = tc_binary(pc, TC_AOP_GE, $1, $3, @$); }
    | expr TK_SHL expr      { $$ = tc_binary(pc, TC_AOP_SHL, $1, $3, @$); }
    | expr TK_SHR expr      { $$ = tc_binary(pc, TC_AOP_SHR, $1, $3, @$); }
    | expr '+' expr         { $$ = tc_binary(pc, TC_AOP_ADD, $1, $3, @$); }
    | expr '-' expr         { $$ = tc_binary(pc, TC_AOP_SUB, $1, $3, @$); }
    | expr '*' expr         { $$ = tc_binary(pc, TC_AOP_MUL, $1, $3, @$); }
    | expr '/' expr         { $$ = tc_binary(pc, TC_AOP_DIV, $1, $3, @$); }
    | expr '%' expr         { $$ = tc_binary(pc, TC_AOP_REM, $1, $3, @$); }
    | expr '@' expr         { $$ = tc_binary(pc, TC_AOP_MATMUL, $1, $3, @$); }
    ;

unary
    : postfix
    | '-' unary             { $$ = tc_unary(pc, TC_AOP_NEG, $2, @$); }
    | '!' unary             { $$ = tc_unary(pc, TC_AOP_NOT, $2, @$); }
    | '~' unary             { $$ = tc_unary(pc, TC_AOP_BITNOT, $2, @$); }
    ;

/* postfix := primary | postfix '[' index_item {',' index_item} [','] ']' */
postfix
    : primary
    | postfix '[' index_list ']'
        {
            if ($1->kind == TC_AST_ERROR || tc_list_has_error(&$3)) {
                $$ = tc_mk(pc, TC_AST_ERROR, @$);
            } else {
                $$ = tc_mk(pc, TC_AST_INDEX, @$);
                $$->u.index.base = $1;
                $$->u.index.items = $3;
                $$ = tc_done(pc, $$);
            }
        }
    ;

index_list
    : index_items
    | index_items ','
    ;

index_items
    : index_item                    { $$ = tc_list1(pc, $1); }
    | index_items ',' index_item    { $$ = $1; TC_PUSH($$, $3); }
    ;

index_item
    : expr
    | ':'                           { $$ = tc_mk(pc, TC_AST_SLICE, @$); }
    | TK_NONE                       { $$ = tc_mk(pc, TC_AST_NONE, @$); }
    ;

primary
    : TK_INT        { $$ = tc_mk(pc, TC_AST_INT, @$); $$->u.int_lit.value = $1; }
    | TK_FLOAT      { $$ = tc_mk(pc, TC_AST_FLOAT, @$); $$->u.float_lit.value = $1; }
    | TK_INF        { $$ = tc_mk(pc, TC_AST_FLOAT, @$); $$->u.float_lit.value = INFINITY; }
    | TK_NAN        { $$ = tc_mk(pc, TC_AST_FLOAT, @$); $$->u.float_lit.value = NAN; }
    | TK_TRUE       { $$ = tc_mk(pc, TC_AST_BOOL, @$); $$->u.bool_lit.value = true; }
    | TK_FALSE      { $$ = tc_mk(pc, TC_AST_BOOL, @$); $$->u.bool_lit.value = false; }
    | TK_IDENT      { $$ = tc_mk(pc, TC_AST_NAME, @$); $$->u.name.id = $1; }
    | TK_DTYPE      { $$ = tc_mk(pc, TC_AST_DTYPE, @$); $$->u.dtype.dtype = $1; }
    /* call := NAME '(' [arg {',' arg} [',']] ')' — the callee is a plain name */
    | TK_IDENT '(' args_opt ')'
        {
            if (tc_list_has_error(&$3)) {
                $$ = tc_mk(pc, TC_AST_ERROR, @$);
            } else {
                $$ = tc_mk(pc, TC_AST_CALL, @$);
                $$->u.call.callee = $1;
                $$->u.call.callee_span = @1;
                $$->u.call.args = $3;
                $$ = tc_done(pc, $$);
            }
        }
    | '(' expr ')'                  { $$ = $2; }
    /* list := '[' [expr {',' expr} [',']] ']' */
    | '[' list_opt ']'
        {
            if (tc_list_has_error(&$2)) {
                $$ = tc_mk(pc, TC_AST_ERROR, @$);
            } else {
                $$ = tc_mk(pc, TC_AST_LIST, @$);
                $$->u.list.items = $2;
                $$ = tc_done(pc, $$);
            }
        }
    ;

args_opt
    : %empty                        { $$ = tc_list0(); }
    | arg_list
    ;

arg_list
    : args
    | args ','
    ;

args
    : arg                           { $$ = tc_list1(pc, $1); }
    | args ',' arg                  { $$ = $1; TC_PUSH($$, $3); }
    ;

/* arg := expr | NAME '=' expr | 'dtype' '=' expr */
arg
    : expr
    | TK_KW_DTYPE '=' expr
        {
            if ($3->kind == TC_AST_ERROR) {
                $$ = tc_mk(pc, TC_AST_ERROR, @$);
            } else {
                $$ = tc_mk(pc, TC_AST_NAMED_ARG, @$);
                $$->u.named_arg.id = tc_intern(pc->strs, "dtype", 5);
                $$->u.named_arg.id_span = @1;
                $$->u.named_arg.value = $3;
                $$ = tc_done(pc, $$);
            }
        }
    | TK_IDENT '=' expr
        {
            if ($3->kind == TC_AST_ERROR) {
                $$ = tc_mk(pc, TC_AST_ERROR, @$);
            } else {
                $$ = tc_mk(pc, TC_AST_NAMED_ARG, @$);
                $$->u.named_arg.id = $1;
                $$->u.named_arg.id_span = @1;
                $$->u.named_arg.value = $3;
                $$ = tc_done(pc, $$);
            }
        }
    ;

list_opt
    : %empty                        { $$ = tc_list0(); }
    | expr_list
    ;

expr_list
    : exprs
    | exprs ','
    ;

exprs
    : expr                          { $$ = tc_list1(pc, $1); }
    | exprs ',' expr                { $$ = $1; TC_PUSH($$, $3); }
    ;

%%

/* The span from the first non-empty symbol of a rule to its last one. An
 * empty rule gets line 0 and the end of the symbol before it, so a later
 * join still ends in the right place. */
static TcSpan tc_loc_default(const TcSpan *rhs, int n)
{
    TcSpan r;
    if (n == 0) {
        r = rhs[0];
        r.line = r.col = 0;
        return r;
    }
    r = rhs[n];
    for (int k = 1; k <= n; k++) {
        if (rhs[k].line) {
            r.line = rhs[k].line;
            r.col = rhs[k].col;
            r.file = rhs[k].file;
            break;
        }
    }
    return r;
}

/* Only reached when the parser stack would pass YYMAXDEPTH. */
static void yyerror(TcSpan *loc, void *scanner, TcParseCtx *pc, const char *msg)
{
    (void)scanner;
    (void)msg;
    tc_error(pc->de, TC_E_SYNTAX_NESTING, *loc,
             "nesting too deep (the parser's limit is %d open constructs)", YYMAXDEPTH);
}

/* Appends kernel n (NULL after an error) to the file, up to
 * TC_PARSE_MAX_KERNELS; tc_parse_file reports the kernels past it. */
static void tc_add_kernel(TcParseCtx *pc, TcAstNode *n)
{
    if (!n) return;
    if (pc->nkernels++ < TC_PARSE_MAX_KERNELS) TC_PUSH(pc->file_node->u.file.kernels, n);
    else if (pc->nkernels == TC_PARSE_MAX_KERNELS + 1) pc->first_dropped = n->u.kernel.id_span;
}

/* Reports a parameter list of kernel k longer than TC_PARSE_MAX_PARAMS and
 * cuts it to one past the limit, so later stages do bounded work on it. */
static void tc_limit_params(TcParseCtx *pc, TcAstNode *k, TcAstList *l, const char *what)
{
    if (l->len <= TC_PARSE_MAX_PARAMS) return;
    TcDiag *d = tc_error(pc->de, TC_E_LIMIT, k->u.kernel.id_span, "kernel '%s' has %u %s; the limit is %d",
                         k->u.kernel.id, l->len, what, TC_PARSE_MAX_PARAMS);
    tc_diag_amounts(d, l->len, TC_PARSE_MAX_PARAMS);
    l->len = TC_PARSE_MAX_PARAMS + 1;
}

static TcAstNode *tc_mk(TcParseCtx *pc, TcAstKind k, TcSpan s)
{
    return tc_ast_new(pc->arena, k, s);
}

/* Computes n's depth; past `limit` n becomes ERROR (E2002, once per kernel). */
static TcAstNode *tc_done_limit(TcParseCtx *pc, TcAstNode *n, uint32_t limit)
{
    tc_ast_update_depth(n);
    if (n->depth <= limit) return n;
    if (!pc->nesting_reported) {
        pc->nesting_reported = true;
        tc_error(pc->de, TC_E_SYNTAX_NESTING, n->span,
                 "nesting too deep (the limit is %d levels)", TC_AST_MAX_DEPTH);
    }
    return tc_mk(pc, TC_AST_ERROR, n->span);
}

static TcAstNode *tc_done(TcParseCtx *pc, TcAstNode *n)
{
    return tc_done_limit(pc, n, TC_AST_MAX_DEPTH);
}

static TcAstNode *tc_unary(TcParseCtx *pc, TcAstOp op, TcAstNode *e, TcSpan s)
{
    if (e->kind == TC_AST_ERROR) {
        e->span = s;
        return e;
    }
    TcAstNode *n = tc_mk(pc, TC_AST_UNARY, s);
    n->u.unary.op = op;
    n->u.unary.operand = e;
    return tc_done(pc, n);
}

/* An ERROR operand is reused as the result, so a long chain built on an
 * error (a+a+...+a past the depth limit) allocates nothing more. */
static TcAstNode *tc_binary(TcParseCtx *pc, TcAstOp op, TcAstNode *l, TcAstNode *r, TcSpan s)
{
    if (l->kind == TC_AST_ERROR || r->kind == TC_AST_ERROR) {
        TcAstNode *e = l->kind == TC_AST_ERROR ? l : r;
        e->span = s;
        return e;
    }
    TcAstNode *n = tc_mk(pc, TC_AST_BINARY, s);
    n->u.binary.op = op;
    n->u.binary.lhs = l;
    n->u.binary.rhs = r;
    return tc_done(pc, n);
}

static bool tc_list_has_error(const TcAstList *l)
{
    for (uint32_t i = 0; i < l->len; i++)
        if (l->data[i]->kind == TC_AST_ERROR) return true;
    return false;
}

static TcAstNode *tc_stmt_assign(TcParseCtx *pc, TcAstOp op, TcAstNode *t, TcAstNode *v,
                                 TcSpan s)
{
    TcAstNode *n = tc_mk(pc, TC_AST_ASSIGN, s);
    n->u.assign.op = op;
    n->u.assign.target = t;
    n->u.assign.value = v;
    return tc_done(pc, n);
}

static TcAstNode *tc_decl(TcParseCtx *pc, TcAstKind k, const char *id, TcSpan id_span,
                          TcAstNode *type, TcAstNode *init, TcSpan s)
{
    TcAstNode *n = tc_mk(pc, k, s);
    n->u.decl.id = id;
    n->u.decl.id_span = id_span;
    n->u.decl.type = type;
    n->u.decl.init = init;
    return tc_done(pc, n);
}

static TcAstNode *tc_if(TcParseCtx *pc, TcAstNode *c, TcAstNode *t, TcAstNode *e, TcSpan s)
{
    TcAstNode *n = tc_mk(pc, TC_AST_IF, s);
    n->u.if_.cond = c;
    n->u.if_.then_b = t;
    n->u.if_.else_b = e;
    return tc_done(pc, n);
}

static TcAstList tc_list0(void)
{
    TcAstList l;
    memset(&l, 0, sizeof l);
    return l;
}

static TcAstList tc_list1(TcParseCtx *pc, TcAstNode *n)
{
    TcAstList l = tc_list0();
    TC_PUSH(l, n);
    return l;
}

/* ------------------------------------------------------------ messages */

static bool tc_sym_in(const char *name, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, set[i]) == 0) return true;
    return false;
}

static const char *const tc_expr_start[] = {
    "integer literal", "float literal", "identifier", "dtype name", "'true'", "'false'",
    "'inf'", "'nan'", "'('", "'['", "'-'", "'!'", "'~'",
};
static const char *const tc_stmt_start[] = {
    "'let'", "'var'", "'for'", "'if'", "'{'", "';'", "expression",
};
static const char *const tc_operators[] = {
    "'+'", "'-'", "'*'", "'/'", "'%'", "'@'", "'<<'", "'>>'", "'<'", "'<='", "'>'",
    "'>='", "'=='", "'!='", "'&'", "'|'", "'^'", "'&&'", "'||'", "'?'", "'['", "'('",
};
static const char *const tc_compound_assign[] = { "'+='", "'-='", "'*='", "'/='" };
static const char *const tc_type_start[] = {
    "'out'", "'inout'", "'strided'", "dtype name", "identifier",
};

/* Replaces the names in set by `group` (placed first) when `trigger` is
 * among them; returns the new count. */
static int tc_collapse(const char **names, int n, const char *trigger,
                       const char *const *set, size_t nset, const char *group)
{
    bool hit = false;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], trigger) == 0) hit = true;
    if (!hit) return n;
    const char *kept[YYNTOKENS + 3];
    int k = 0;
    if (group) kept[k++] = group;
    for (int i = 0; i < n; i++)
        if (!tc_sym_in(names[i], set, nset)) kept[k++] = names[i];
    memcpy(names, kept, (size_t)k * sizeof *names);
    return k;
}

/* "expected ';', found 'let'": the expected tokens are grouped (expression,
 * statement, type) and operators that could continue an expression are left
 * out; past four alternatives the message says only what was found. No
 * error is reported when the scanner skipped an invalid character just
 * before the token (other than end of file): that character is the
 * mistake, and it was reported already. */
static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, TcParseCtx *pc)
{
    (void)scanner;
    yysymbol_kind_t tok = yypcontext_token(ctx);
    /* `a $ b`: the invalid character was reported; `a b` adds nothing */
    if (pc->skipped_invalid && tok != YYSYMBOL_YYEOF) return 0;
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0) n = 0;
    const char *names[YYNTOKENS + 3];
    for (int i = 0; i < n; i++) names[i] = yysymbol_name(exp[i]);
    int k = n;
    bool after_expr = false;
    for (int i = 0; i < k; i++)
        if (strcmp(names[i], "'*'") == 0) after_expr = true;
    if (after_expr)
        k = tc_collapse(names, k, "'*'", tc_operators, TC_ARRAY_LEN(tc_operators), NULL);
    k = tc_collapse(names, k, "'+='", tc_compound_assign, TC_ARRAY_LEN(tc_compound_assign),
                    NULL);
    k = tc_collapse(names, k, "integer literal", tc_expr_start, TC_ARRAY_LEN(tc_expr_start),
                    "expression");
    k = tc_collapse(names, k, "'let'", tc_stmt_start, TC_ARRAY_LEN(tc_stmt_start),
                    "statement");
    k = tc_collapse(names, k, "'out'", tc_type_start, TC_ARRAY_LEN(tc_type_start), "type");
    for (int i = 0; i + 1 < k; i++) {
        if (strcmp(names[i], "end of file") == 0) {
            const char *t = names[i];
            names[i] = names[i + 1];
            names[i + 1] = t;
        }
    }

    char found[64];
    if (tok == YYSYMBOL_YYEOF) {
        snprintf(found, sizeof found, "end of file");
    } else {
        size_t len = pc->tok_len;
        snprintf(found, sizeof found, "'%.*s%s'", (int)(len > 40 ? 40 : len),
                 pc->src->text + pc->tok_off, len > 40 ? "..." : "");
    }

    char msg[256];
    size_t m = 0;
    if (k == 0 || k > 4) {
        snprintf(msg, sizeof msg, "unexpected %s", found);
    } else {
        m += (size_t)snprintf(msg + m, sizeof msg - m, "expected ");
        for (int i = 0; i < k; i++) {
            const char *sep = i == 0 ? "" : i == k - 1 ? " or " : ", ";
            m += (size_t)snprintf(msg + m, sizeof msg - m, "%s%s", sep, names[i]);
        }
        snprintf(msg + m, sizeof msg - m, ", found %s", found);
    }
    tc_error(pc->de, TC_E_SYNTAX, *yypcontext_location(ctx), "%s", msg);
    return 0;
}
