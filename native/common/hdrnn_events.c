/* The contract's JSON-lines output on stdout (docs/contract.md, "Output"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrnn_contract.h"
#include "hdrnn_events.h"

/* Shortest %g that reads back to the same double, as Python's repr does. */
static void fmt_double(char *out, size_t size, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".eEn"))
        strncat(out, ".0", size - strlen(out) - 1);
}

void hdrnn_emit_start(const char *impl, const hdrnn_opts *o, const int *sizes,
                      int n_layers, size_t train, size_t test, const char *extra)
{
    char lr[32], hidden[128] = "";
    size_t n = 0;
    fmt_double(lr, sizeof lr, o->lr);
    for (int i = 0; i < o->n_hidden; i++)
        n += (size_t)snprintf(hidden + n, sizeof hidden - n, "%s%d", i ? "," : "",
                              o->hidden[i]);
    printf("{\"event\":\"start\",\"impl\":\"%s\",\"hidden\":[%s],\"params\":%ld,"
           "\"inputs\":%d,\"classes\":%d,\"data_mode\":\"%s\","
           "\"train\":%zu,\"test\":%zu,\"epochs\":%d,\"batch\":%d,\"lr\":%s,"
           "\"seed\":%llu%s%s}\n",
           impl, hidden, hdrnn_param_count(sizes, n_layers), sizes[0], sizes[n_layers],
           o->stream ? "stream" : "memory", train, test, o->epochs, o->batch, lr,
           (unsigned long long)o->seed, extra ? "," : "", extra ? extra : "");
    fflush(stdout);
}

void hdrnn_emit_epoch(int epoch, size_t correct, size_t total, double train_s, double eval_s)
{
    char acc[32];
    fmt_double(acc, sizeof acc, (double)correct / (double)total);
    printf("{\"event\":\"epoch\",\"epoch\":%d,\"correct\":%zu,\"total\":%zu,"
           "\"accuracy\":%s,\"train_s\":%.6f,\"eval_s\":%.6f}\n",
           epoch, correct, total, acc, train_s, eval_s);
    fflush(stdout);
}

void hdrnn_emit_done(double seconds, const char *stopped)
{
    if (stopped)
        printf("{\"event\":\"done\",\"seconds\":%.6f,\"stopped\":\"%s\"}\n", seconds,
               stopped);
    else
        printf("{\"event\":\"done\",\"seconds\":%.6f}\n", seconds);
    fflush(stdout);
}
