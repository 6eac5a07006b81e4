#include <stdarg.h>
#include <stdio.h>

#include "hdrnn_error.h"

void hdrnn_error_set(hdrnn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

int hdrnn_fail(const char *prog, int code, const hdrnn_error *err)
{
    fprintf(stderr, "%s: %s%s\n", prog, code == HDRNN_EXIT_USAGE ? "error: " : "", err->msg);
    return code;
}
