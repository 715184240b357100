/*
 * gpu.c — what every GPU backend (CUDA, MUSA) does the same way:
 * marshalling a checked launch into the kernel parameter ABI documented in
 * include/tilec_runtime.h, and the block size rule.
 *
 * Invariants: the parameter pointers point into the launch's frame (the
 * tensor descriptors, scalars and int32 sizes runtime.c bound), never into
 * the caller's arguments, and their order is exactly the documented ABI:
 * per param, a tensor's data, sizes and strides, or a scalar's int64/double;
 * then the sizes. A driver copies the values when the launch is queued, so
 * the frame only has to outlive the launch call.
 */
#include "backend.h"

int32_t rt_gpu_params(const rt_launch *l, void **params)
{
    const rt_signature *s = l->sig;
    int32_t n = 0;
    for (int32_t i = 0; i < s->nparams; i++) {
        if (s->params[i].kind != TILEC_ARG_TENSOR) {
            params[n++] = l->args[i]; /* an int64_t or a double */
            continue;
        }
        tilec_tensor *t = l->args[i];
        params[n++] = &t->data;
        for (int32_t d = 0; d < s->params[i].rank; d++) params[n++] = &t->sizes[d];
        for (int32_t d = 0; d < s->params[i].rank; d++) params[n++] = &t->strides[d];
    }
    for (int32_t k = 0; k < s->nsizes; k++) params[n++] = (void *)&l->sizes[k];
    return n;
}

int64_t rt_gpu_block_threads(const rt_signature *sig, int32_t warp_size)
{
    int64_t warps = sig->warps > 0 ? sig->warps : RT_GPU_DEFAULT_WARPS;
    return warps * warp_size;
}
