/* The published A9 figure the cycle model is checked against (docs/performance.md): a
 * register-only NEON loop of 5 quad multiply-accumulates (40 FLOP) and its loop control,
 * measured at 3.98 GFLOP/s on one 1.2 GHz i.MX6Q core (NXP community, "The computing
 * power of the four Cortex-A9 cores in i.MX6 Q", 2013). Run under qemu-arm with the
 * cache plugin, between two marks, so the model sees exactly the loop:
 *   qemu-arm -plugin libhdrnn-cache.so,marks=FILE,... a9_check [ITERATIONS] */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define MARK_SPAN ((uintptr_t)1 << 24)

__attribute__((target("arm"), noinline)) static void mark(const volatile uint8_t *at)
{
    register const volatile uint8_t *r3 __asm__("r3") = at;
    __asm__ volatile(".arm\n\tldrbt ip, [r3], #0" : "+r"(r3) : : "ip", "memory");
}

__attribute__((target("arm"), noinline)) static void loop(int n)
{
    __asm__ volatile(".arm\n\t"
                     "vmov.i32 q0, #0\n\tvmov.i32 q1, #0\n\tvmov.i32 q2, #0\n\t"
                     "vmov.i32 q3, #0\n\tvmov.i32 q4, #0\n"
                     "1:\n\t"
                     "vmla.f32 q0, q1, q1\n\t"
                     "vmla.f32 q1, q2, q2\n\t"
                     "vmla.f32 q2, q3, q3\n\t"
                     "vmla.f32 q3, q4, q4\n\t"
                     "vmla.f32 q4, q2, q2\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "bge 1b\n\t"
                     : [n] "+r"(n) : : "cc", "q0", "q1", "q2", "q3", "q4");
}

int main(int argc, char **argv)
{
    const int n = argc > 1 ? atoi(argv[1]) : 100000;
    uint8_t *span = mmap(NULL, 2 * MARK_SPAN, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (span == MAP_FAILED || n < 1)
        return 1;
    const uint8_t *base = (const uint8_t *)(((uintptr_t)span + MARK_SPAN - 1) &
                                            ~(MARK_SPAN - 1));
    mark(base + 2);
    loop(n - 1); /* bge: n passes */
    mark(base + 3);
    return 0;
}
