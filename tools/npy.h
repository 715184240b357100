/*
 * npy.h — reading and writing NumPy .npy files (format versions 1.0 to 3.0,
 * C order, little-endian), for `tilec run --in/--out`.
 */
#ifndef TILEC_NPY_H
#define TILEC_NPY_H

#include "ir.h"

typedef struct TcNpy {
    TcDtype dtype;
    uint32_t rank;
    int64_t shape[TC_MAX_RANK];
    void *data;      /* malloc'd, numel * tc_dtype_bytes(dtype) bytes */
    int64_t numel;
} TcNpy;

/* Reads path; on failure returns false with a message in err. bf16 is not a
 * NumPy type and cannot be read. */
bool tc_npy_read(const char *path, TcNpy *out, char *err, size_t errlen);
/* Writes data (contiguous) as path; bf16 is written as float32. */
bool tc_npy_write(const char *path, TcDtype dt, uint32_t rank, const int64_t *shape, const void *data, char *err,
                  size_t errlen);

#endif
