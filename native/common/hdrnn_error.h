/* The one-line error the common code reports, with one of the contract's exit codes
 * (hdrnn_contract.h). */
#ifndef HDRNN_ERROR_H
#define HDRNN_ERROR_H

#include "hdrnn_contract.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line of diagnostics, without the program name or the newline. */
typedef struct hdrnn_error {
    char msg[512];
} hdrnn_error;

void hdrnn_error_set(hdrnn_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Print "prog: [error: ]msg" on stderr ("error: " for usage errors, as argparse does)
 * and return code. */
int hdrnn_fail(const char *prog, int code, const hdrnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
