#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrnn_idx.h"
#include "hdrnn_opts.h"

static int parse_long(const char *name, const char *text, long min, long max, long *out,
                      hdrnn_error *err)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        if (min == 1)
            hdrnn_error_set(err, "%s %s: must be a positive integer", name, text);
        else
            hdrnn_error_set(err, "%s %s: must be an integer in [%ld, %ld]", name, text, min,
                            max);
        return HDRNN_EXIT_USAGE;
    }
    *out = v;
    return HDRNN_OK;
}

static int parse_hidden(hdrnn_opts *o, const char *text, hdrnn_error *err)
{
    const char *p = text;
    o->n_hidden = 0;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || (*end && *end != ',')) {
            hdrnn_error_set(err, "--hidden '%s': expected sizes like 30 or 128,16", text);
            return HDRNN_EXIT_USAGE;
        }
        if (v < 1) {
            hdrnn_error_set(err, "--hidden '%s': every layer needs at least one neuron", text);
            return HDRNN_EXIT_USAGE;
        }
        if (v > HDRNN_MAX_LAYER_WIDTH) {
            hdrnn_error_set(err, "--hidden '%s': at most %d neurons per layer", text,
                            HDRNN_MAX_LAYER_WIDTH);
            return HDRNN_EXIT_USAGE;
        }
        if (o->n_hidden == HDRNN_MAX_HIDDEN) {
            hdrnn_error_set(err, "--hidden '%s': at most %d hidden layers", text,
                            HDRNN_MAX_HIDDEN);
            return HDRNN_EXIT_USAGE;
        }
        o->hidden[o->n_hidden++] = (int)v;
        if (!*end)
            return HDRNN_OK;
        p = end + 1;
    }
}

/* The options that take a value; --threads only where the trainer has threads. */
static int takes_value(const char *name, int allow)
{
    static const char *const names[] = {"--data", "--hidden", "--epochs", "--batch",
                                        "--lr", "--seed", "--train-limit", "--test-limit",
                                        "--weights-out", "--weights-in", "--first-epoch",
                                        "--checkpoint", "--checkpoint-every",
                                        "--resume-from", "--classes", "--data-mode",
                                        "--target-accuracy", "--patience"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (!strcmp(name, names[k]))
            return 1;
    return (allow & HDRNN_ALLOW_THREADS) && !strcmp(name, "--threads");
}

/* Splits "--name=value" or takes the next argument as the value. */
static const char *value_of(int argc, char *const *argv, int *i, const char *arg,
                            const char *eq, hdrnn_error *err)
{
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc) {
        hdrnn_error_set(err, "%s: expected one argument", arg);
        return NULL;
    }
    return argv[++*i];
}

int hdrnn_opts_parse(hdrnn_opts *o, int argc, char *const *argv, int allow,
                     hdrnn_error *err)
{
    memset(o, 0, sizeof *o);
    o->hidden[0] = HDRNN_DEFAULT_HIDDEN;
    o->n_hidden = 1;
    o->epochs = HDRNN_DEFAULT_EPOCHS;
    o->batch = HDRNN_DEFAULT_BATCH;
    o->lr = HDRNN_DEFAULT_LR;
    o->seed = HDRNN_DEFAULT_SEED;
    o->threads = 1;
    o->first_epoch = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        char name[64];
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, arg, n);
        name[n] = '\0';
        long v;
        const char *val;
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            o->help = 1;
            return HDRNN_OK;
        } else if (!strcmp(name, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!takes_value(name, allow)) {
            hdrnn_error_set(err, "unrecognized argument: %s", arg);
            return HDRNN_EXIT_USAGE;
        }
        if (!(val = value_of(argc, argv, &i, name, eq, err)))
            return HDRNN_EXIT_USAGE;
        if (!strcmp(name, "--data")) {
            if (!*val) {
                hdrnn_error_set(err, "--data: empty path");
                return HDRNN_EXIT_USAGE;
            }
            o->data = val;
        } else if (!strcmp(name, "--weights-out") || !strcmp(name, "--weights-in") ||
                   !strcmp(name, "--checkpoint") || !strcmp(name, "--resume-from")) {
            if (!*val) {
                hdrnn_error_set(err, "%s: empty path", name);
                return HDRNN_EXIT_USAGE;
            }
            if (!strcmp(name, "--weights-out"))
                o->weights_out = val;
            else if (!strcmp(name, "--weights-in"))
                o->weights_in = val;
            else if (!strcmp(name, "--checkpoint"))
                o->checkpoint = val;
            else
                o->resume_from = val;
        } else if (!strcmp(name, "--data-mode")) {
            if (strcmp(val, "memory") && strcmp(val, "stream")) {
                hdrnn_error_set(err, "--data-mode %s: expected memory or stream", val);
                return HDRNN_EXIT_USAGE;
            }
            o->stream = !strcmp(val, "stream");
            if (o->stream && !(allow & HDRNN_ALLOW_STREAM)) {
                hdrnn_error_set(err, "--data-mode stream: this trainer holds the data in "
                                "memory (hdrnn-c and hdrnn-eigen stream)");
                return HDRNN_EXIT_USAGE;
            }
        } else if (!strcmp(name, "--classes")) {
            if (parse_long(name, val, 2, HDRNN_MAX_CLASSES, &v, err))
                return HDRNN_EXIT_USAGE;
            o->classes = (int)v;
        } else if (!strcmp(name, "--hidden")) {
            if (parse_hidden(o, val, err))
                return HDRNN_EXIT_USAGE;
        } else if (!strcmp(name, "--lr")) {
            char *end;
            o->lr = strtod(val, &end);
            if (end == val || *end) {
                hdrnn_error_set(err, "--lr %s: not a number", val);
                return HDRNN_EXIT_USAGE;
            }
            if (!isfinite(o->lr) || o->lr <= 0) {
                hdrnn_error_set(err, "--lr %s: must be a positive finite number", val);
                return HDRNN_EXIT_USAGE;
            }
            if (o->lr > HDRNN_MAX_LR) {
                hdrnn_error_set(err, "--lr %s: the step lr / batch must fit in float32 (at "
                                "most 3.4e38)", val);
                return HDRNN_EXIT_USAGE;
            }
        } else if (!strcmp(name, "--target-accuracy")) {
            char *end;
            o->target_accuracy = strtod(val, &end);
            if (end == val || *end || !(o->target_accuracy > 0 && o->target_accuracy <= 1)) {
                hdrnn_error_set(err, "--target-accuracy %s: must be a number in (0, 1]", val);
                return HDRNN_EXIT_USAGE;
            }
        } else if (!strcmp(name, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            if (errno || end == val || *end || val[0] == '-' || s >= HDRNN_MAX_SEED) {
                hdrnn_error_set(err, "--seed %s: must be in [0, 2^63)", val);
                return HDRNN_EXIT_USAGE;
            }
            o->seed = s;
        } else if (!strcmp(name, "--epochs")) {
            /* 0 is allowed: it writes the initial weights (parity tests) */
            if (parse_long(name, val, 0, HDRNN_MAX_INT, &v, err))
                return HDRNN_EXIT_USAGE;
            o->epochs = (int)v;
        } else {
            if (parse_long(name, val, 1, HDRNN_MAX_INT, &v, err))
                return HDRNN_EXIT_USAGE;
            if (!strcmp(name, "--batch"))
                o->batch = (int)v;
            else if (!strcmp(name, "--first-epoch"))
                o->first_epoch = (int)v;
            else if (!strcmp(name, "--checkpoint-every"))
                o->checkpoint_every = (int)v;
            else if (!strcmp(name, "--train-limit"))
                o->train_limit = (size_t)v;
            else if (!strcmp(name, "--test-limit"))
                o->test_limit = (size_t)v;
            else if (!strcmp(name, "--patience"))
                o->patience = (int)v;
            else
                o->threads = (int)v;
        }
    }
    if (!o->data) {
        hdrnn_error_set(err, "the following arguments are required: --data");
        return HDRNN_EXIT_USAGE;
    }
    if (o->checkpoint_every && !o->checkpoint) {
        hdrnn_error_set(err, "--checkpoint-every: needs --checkpoint FILE");
        return HDRNN_EXIT_USAGE;
    }
    if (o->resume_from && (o->weights_in || o->first_epoch != 1)) {
        hdrnn_error_set(err, "--resume-from: the checkpoint holds the weights and the "
                        "position (no --weights-in or --first-epoch with it)");
        return HDRNN_EXIT_USAGE;
    }
    if ((long long)o->first_epoch + o->epochs - 1 > HDRNN_MAX_INT) {
        hdrnn_error_set(err, "--first-epoch %d with --epochs %d: the last epoch must be at "
                        "most 2147483647", o->first_epoch, o->epochs);
        return HDRNN_EXIT_USAGE;
    }
    return HDRNN_OK;
}

void hdrnn_opts_usage(const char *prog, int allow)
{
    printf("usage: %s --data DIR [--hidden 30 | --hidden 128,16] [--epochs 30] [--batch 10]\n"
           "          [--lr 3.0] [--seed 1] [--train-limit N] [--test-limit N]\n"
           "          [--classes C] [--data-mode memory|stream]\n"
           "          [--weights-out FILE] [--weights-in FILE] [--first-epoch K]\n"
           "          [--checkpoint FILE] [--checkpoint-every N] [--resume-from FILE]\n"
           "          [--target-accuracy A] [--patience N]\n"
           "          [--quiet]%s\n"
           "Train the HDR-NN (see docs/contract.md); JSON lines on stdout.\n",
           prog, (allow & HDRNN_ALLOW_THREADS) ? " [--threads N]" : "");
}
