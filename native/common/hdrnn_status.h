/* Exit codes of the trainer contract and the error type the common code reports. */
#ifndef HDRNN_STATUS_H
#define HDRNN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum hdrnn_status {
    HDRNN_OK = 0,
    HDRNN_EXIT_USAGE = 2,    /* bad command line */
    HDRNN_EXIT_DATA = 3,     /* bad or missing data */
    HDRNN_EXIT_RESOURCE = 4  /* out of memory, or another resource failure */
};

/* One line of diagnostics, without the program name or the newline. */
typedef struct hdrnn_error {
    char msg[512];
} hdrnn_error;

void hdrnn_error_set(hdrnn_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Aligned allocation for float arrays; NULL on failure. Free with hdrnn_free. */
void *hdrnn_alloc(size_t bytes);
void hdrnn_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
