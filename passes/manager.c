/*
 * manager.c — the pass registry and the pass manager.
 *
 * A pipeline is a list of registered passes parsed from a string
 * ("canonicalize, cse,dce"). Running it applies each pass to every kernel of
 * the module in turn (pass-major: pass 1 on every kernel, then pass 2, ...),
 * so that a dump or a verification after a pass sees the whole module in one
 * state. Each run of a pass on a kernel gets a fresh scratch arena, released
 * as soon as that run returns.
 *
 * Invariants:
 *  - The registry is static, in a stable order; pass names are unique.
 *  - tc_pipeline_run stops at the first pass or verification that fails and
 *    returns false; a diagnostic has been reported by then.
 */
#include "passes.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

static const TcPass *const registry[] = {
    &tc_pass_canonicalize,
    &tc_pass_cse,
    &tc_pass_dce,
    &tc_pass_tiling,
    &tc_pass_pipeline,
    &tc_pass_smem,
};

const TcPass *const *tc_pass_registry(uint32_t *count)
{
    if (count) *count = (uint32_t)TC_ARRAY_LEN(registry);
    return registry;
}

static const TcPass *find_n(const char *name, size_t n)
{
    for (size_t i = 0; i < TC_ARRAY_LEN(registry); i++)
        if (strlen(registry[i]->name) == n && memcmp(registry[i]->name, name, n) == 0)
            return registry[i];
    return NULL;
}

const TcPass *tc_pass_find(const char *name)
{
    return name ? find_n(name, strlen(name)) : NULL;
}

/* "canonicalize, cse, dce": the names of every registered pass. */
static void known_passes(TcStrBuf *sb)
{
    for (size_t i = 0; i < TC_ARRAY_LEN(registry); i++) {
        if (i) tc_sb_puts(sb, ", ");
        tc_sb_puts(sb, registry[i]->name);
    }
}

static const TcSpan no_span;

/*
 * pipeline := ws | name (',' name)*     name := ws identifier ws
 * Every element is checked, so one call reports every bad name.
 */
bool tc_pipeline_parse(const char *spec, TcArena *a, TcDiagEngine *de, TcPipeline *out)
{
    out->passes = NULL;
    out->len = 0;
    if (!spec) spec = "";

    const char *p = spec;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return true; /* empty pipeline: no passes */

    uint32_t n = 1;
    for (const char *q = spec; *q; q++)
        if (*q == ',') n++;
    const TcPass **passes = tc_arena_alloc(a, n * sizeof *passes);

    TcStrBuf known;
    tc_sb_init(&known);
    known_passes(&known);

    bool ok = true;
    uint32_t len = 0, index = 0;
    const char *s = spec;
    for (;;) {
        const char *e = strchr(s, ',');
        if (!e) e = s + strlen(s);
        const char *b = s, *t = e;
        while (b < t && isspace((unsigned char)*b)) b++;
        while (t > b && isspace((unsigned char)t[-1])) t--;
        index++;
        if (b == t) {
            tc_error(de, TC_E_PIPELINE, no_span,
                     "empty pass name at position %u in pipeline '%s'; known passes: %s",
                     index, spec, known.data);
            ok = false;
        } else {
            const TcPass *pass = find_n(b, (size_t)(t - b));
            if (pass) {
                passes[len++] = pass;
            } else {
                tc_error(de, TC_E_PIPELINE, no_span, "unknown pass '%.*s'; known passes: %s",
                         (int)(t - b), b, known.data);
                ok = false;
            }
        }
        if (!*e) break;
        s = e + 1;
    }
    tc_sb_free(&known);
    if (!ok) return false;
    out->passes = passes;
    out->len = len;
    return true;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void dump_after(const TcPass *pass, const TcIrModule *m, TcStrBuf *dumps)
{
    tc_sb_printf(dumps, "// -----// IR Dump After %s //----- //\n", pass->name);
    size_t before = dumps->len;
    tc_ir_print_module(m, dumps);
    if (dumps->len == before || dumps->data[dumps->len - 1] != '\n') tc_sb_putc(dumps, '\n');
    tc_sb_putc(dumps, '\n');
}

/*
 * The --time-passes table: one row per pipeline position (a pass named twice
 * gets two rows), then the total.
 */
static void timing_table(const TcPipeline *p, const double *ms, uint32_t nrun, TcStrBuf *out)
{
    double total = 0;
    for (uint32_t i = 0; i < nrun; i++) total += ms[i];
    tc_sb_puts(out, "// ----- Pass execution timing report (wall clock) ----- //\n");
    tc_sb_printf(out, "  %12s  %7s  %s\n", "wall ms", "percent", "pass");
    for (uint32_t i = 0; i < nrun; i++) {
        double pct = total > 0 ? 100.0 * ms[i] / total : 0.0;
        tc_sb_printf(out, "  %12.3f  %6.1f%%  %s\n", ms[i], pct, p->passes[i]->name);
    }
    tc_sb_printf(out, "  %12.3f  %6.1f%%  %s\n", total, nrun ? 100.0 : 0.0, "total");
}

bool tc_pipeline_run(const TcPipeline *p, TcIrModule *m, TcDiagEngine *de,
                     const TcPassOptions *opt, TcStrBuf *dumps, TcStrBuf *timings)
{
    static const TcPassOptions none;
    if (!opt) opt = &none;

    if (opt->print_after && !tc_pass_find(opt->print_after)) {
        TcStrBuf known;
        tc_sb_init(&known);
        known_passes(&known);
        tc_error(de, TC_E_PIPELINE, no_span, "unknown pass '%s' in --print-after; known passes: %s",
                 opt->print_after, known.data);
        tc_sb_free(&known);
        return false;
    }

    double *ms = tc_arena_alloc(m->arena, (p->len ? p->len : 1) * sizeof *ms);
    uint32_t nrun = 0;
    bool ok = true;
    TcArena scratch;
    tc_arena_init(&scratch);

    for (uint32_t i = 0; i < p->len && ok; i++) {
        const TcPass *pass = p->passes[i];
        double t0 = now_ms();
        for (uint32_t k = 0; k < m->funcs.len && ok; k++) {
            TcPassContext ctx = {.de = de, .scratch = &scratch, .changed = false, .profile = opt ? opt->profile : NULL};
            ok = pass->run(m->funcs.data[k], &ctx);
            tc_arena_free(&scratch); /* leaves it empty and ready for reuse */
        }
        ms[nrun++] = now_ms() - t0;
        if (!ok) break;

        bool print = opt->print_after_all ||
                     (opt->print_after && strcmp(opt->print_after, pass->name) == 0);
        if (print && dumps) dump_after(pass, m, dumps);

        if (opt->verify_each) {
            char *when = tc_arena_printf(m->arena, "after pass %s", pass->name);
            if (!tc_ir_verify_module(m, de, when)) ok = false;
        }
    }

    if (opt->time_passes && timings) timing_table(p, ms, nrun, timings);
    tc_arena_free(&scratch);
    return ok;
}
