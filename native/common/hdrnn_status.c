#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hdrnn_status.h"

void hdrnn_error_set(hdrnn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void *hdrnn_alloc(size_t bytes)
{
    void *p = NULL;
    /* 64 bytes: a cache line, and enough for any SIMD width we use */
    if (posix_memalign(&p, 64, bytes ? bytes : 1) != 0)
        return NULL;
    return p;
}

void hdrnn_free(void *p)
{
    free(p);
}
