/* hdrnn-mark TAG COMMAND [ARG...]: run COMMAND between two marks of QEMU's cache
 * plugin as hdrnn builds it (tools/qemu-cache/hdrnn_cache.c): mark 2 TAG before the
 * command starts, 2 TAG + 1 after it has been reaped; the plugin writes its counters at
 * each, so their difference is what the guest did meanwhile. Exits as the command did
 * (128 + N when signal N ended it). On a board, or in QEMU without the plugin, a mark
 * is a one-byte load and nothing more.
 *
 * A mark is `ldrbt ip, [r3], #0` (A32, 0xe4f3c000) from an address whose low 24 bits
 * are the mark: the load reads a 16 MiB-aligned span of a read-only anonymous mapping,
 * which costs address space, not memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK_SPAN ((uintptr_t)1 << 24)
#define MAX_TAG ((MARK_SPAN >> 1) - 1)

#if !defined(__arm__)
#error "hdrnn-mark issues an A32 instruction: ARM targets only"
#endif

/* ARM state, not Thumb: the plugin matches the A32 encoding */
__attribute__((target("arm"), noinline)) static void hdrnn_mark(const volatile uint8_t *at)
{
    register const volatile uint8_t *r3 __asm__("r3") = at;
    __asm__ volatile(".arm\n\tldrbt ip, [r3], #0" : "+r"(r3) : : "ip", "memory");
}

int main(int argc, char **argv)
{
    char *end;
    errno = 0;
    unsigned long long tag = argc > 2 ? strtoull(argv[1], &end, 10) : 0;
    if (argc < 3 || errno || end == argv[1] || *end || tag > MAX_TAG) {
        fprintf(stderr, "hdrnn-mark: usage: hdrnn-mark TAG COMMAND [ARG...] "
                        "(TAG 0..%lu)\n", (unsigned long)MAX_TAG);
        return 2;
    }
    uint8_t *span = mmap(NULL, 2 * MARK_SPAN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                         MAP_NORESERVE, -1, 0);
    if (span == MAP_FAILED) {
        fprintf(stderr, "hdrnn-mark: mmap: %s\n", strerror(errno));
        return 1;
    }
    const volatile uint8_t *base =
        (const uint8_t *)(((uintptr_t)span + MARK_SPAN - 1) & ~(MARK_SPAN - 1));
    hdrnn_mark(base + 2 * tag);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "hdrnn-mark: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "hdrnn-mark: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "hdrnn-mark: waitpid: %s\n", strerror(errno));
            return 1;
        }
    hdrnn_mark(base + 2 * tag + 1);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
