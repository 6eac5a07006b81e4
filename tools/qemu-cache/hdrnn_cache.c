/* hdrnn's build of QEMU's TCG cache plugin: contrib/plugins/cache.c of the installed
 * qemu-system-arm's own Debian source package, compiled as it is, plus marks.
 *
 * cache.c prints its counts only when QEMU exits; a benchmark needs them around each
 * run of one long boot. A mark is one guest instruction, `ldrbt ip, [r3], #0` in A32
 * (0xe4f3c000: an unprivileged byte load that compilers do not emit; hdrnn-mark in
 * native/tools issues it): when it executes, one line goes to the file of the
 * plugin's `marks=PATH` argument with the low 24 bits of the load's address (the tag)
 * and the running totals of every cache, summed over the cores, and of the executed
 * instructions by class (for the issue part of the A9 model, docs/performance.md):
 *   TAG L1I_ACCESSES L1I_MISSES L1D_ACCESSES L1D_MISSES L2_ACCESSES L2_MISSES
 *       NEON_DP NEON_DP_CYCLES NEON_LS NEON_LS_CYCLES VFP PLD
 * (Advanced SIMD data-processing and load/store instructions executed and their issue
 * cycles at the NEON MPE TRM's rates: quad data-processing 2, double 1, loads and
 * stores 1 per 2 D registers; VFP and PLD instructions executed).
 * L1I accesses are executed instructions (cache.c fetches once per instruction).
 * The difference of two lines is what the guest did between them; a last line, tag
 * 0xffffff, has the totals at exit. Every other argument is cache.c's (see
 * docs/performance.md for the i.MX6Q's geometry). */
#define qemu_plugin_install hdrnn_cache_install
#define vcpu_tb_trans hdrnn_cache_tb_trans
#include "cache.c"
#undef qemu_plugin_install
#undef vcpu_tb_trans

#include <errno.h>
#include <string.h>

#define HDRNN_MARK_INSN 0xe4f3c000u
#define HDRNN_MARK_TAG_MASK 0xffffffu

static FILE *marks;
static GMutex marks_lock;

/* Instruction classes, counted inline (no callback) as they execute; a class's
 * cycles are counted in the slot after it. */
enum { NEON_DP, NEON_DP_CYCLES, NEON_LS, NEON_LS_CYCLES, VFP, PLD, N_CLASSES };
static uint64_t executed[N_CLASSES];

/* A Thumb TB has 2-byte instructions or 32-bit ones whose first halfword starts
 * 0b11101, 0b11110 or 0b11111; the plugin API of 7.2 does not say which state a TB
 * was translated in, so this is inferred: an A32 TB with every low halfword >= 0xe800
 * would be taken for Thumb (it takes every instruction's immediate field to be large). */
static bool tb_is_thumb(struct qemu_plugin_tb *tb)
{
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint16_t h0;
        if (qemu_plugin_insn_size(insn) == 2)
            return true;
        memcpy(&h0, qemu_plugin_insn_data(insn), sizeof h0);
        if ((GUINT16_FROM_LE(h0) >> 11) < 0x1d)
            return false;
    }
    return true;
}

/* D registers moved by an Advanced SIMD load/store: multiple structures by `type`
 * (bits 11:8), one lane or all lanes 1. The NEON unit moves 2 D registers a cycle. */
static int neon_ls_cycles(bool multiple, uint32_t type)
{
    static const int regs[16] = {4, 4, 4, 4, 3, 3, 3, 1, 2, 2, 2, 1, 1, 1, 1, 1};
    return multiple ? (regs[type & 15] + 1) / 2 : 1;
}

/* The class of one instruction and its NEON issue cycles (quad data-processing 2,
 * double 1: the A9's NEON data path is 64 bits wide), or -1 for the others. */
static int classify(const uint8_t *p, size_t size, bool thumb, int *cycles)
{
    uint16_t h0, h1;
    *cycles = 1;
    if (size != 4)
        return -1;
    memcpy(&h0, p, 2);
    memcpy(&h1, p + 2, 2);
    h0 = GUINT16_FROM_LE(h0);
    h1 = GUINT16_FROM_LE(h1);
    if (thumb) {
        if ((h0 & 0xef00) == 0xef00) { /* Advanced SIMD data-processing */
            *cycles = (h1 & 0x40) ? 2 : 1;
            return NEON_DP;
        }
        if ((h0 & 0xff10) == 0xf900) { /* Advanced SIMD element/structure load/store */
            *cycles = neon_ls_cycles(!(h0 & 0x80), h1 >> 8);
            return NEON_LS;
        }
        if ((h0 & 0xec00) == 0xec00 && ((h1 >> 9) & 7) == 5)
            return VFP;
        if ((h0 & 0xff50) == 0xf810 && (h1 & 0xf000) == 0xf000)
            return PLD; /* PLD, PLDW: LDRB/LDRH forms with Rt = pc */
        return -1;
    }
    uint32_t w = (uint32_t)h1 << 16 | h0;
    if ((w >> 25) == 0x79) { /* 1111 001x: Advanced SIMD data-processing */
        *cycles = (w & 0x40) ? 2 : 1;
        return NEON_DP;
    }
    if ((w & 0xff100000) == 0xf4000000) {
        *cycles = neon_ls_cycles(!(w & 0x00800000), w >> 8);
        return NEON_LS;
    }
    if ((w & 0xfe30f000) == 0xf410f000 || (w & 0xfe30f000) == 0xf610f000)
        return PLD; /* PLD, PLDW, PLI: immediate and register */
    if ((w >> 28) != 0xf && ((w >> 25) & 6) == 6 && ((w >> 9) & 7) == 5 &&
        ((w >> 24) & 0xf) != 0xf)
        return VFP; /* coprocessors 10 and 11: VFP data-processing, VLDR/VSTR/VMOV */
    return -1;
}

static void sum_caches(Cache **caches, GMutex *locks, uint64_t *accesses, uint64_t *misses)
{
    for (int c = 0; caches && c < cores; c++) {
        g_mutex_lock(&locks[c]);
        *accesses += caches[c]->accesses;
        *misses += caches[c]->misses;
        g_mutex_unlock(&locks[c]);
    }
}

static void write_line(uint64_t tag)
{
    uint64_t ia = 0, im = 0, da = 0, dm = 0, l2a = 0, l2m = 0;
    sum_caches(l1_icaches, l1_icache_locks, &ia, &im);
    sum_caches(l1_dcaches, l1_dcache_locks, &da, &dm);
    if (use_l2)
        sum_caches(l2_ucaches, l2_ucache_locks, &l2a, &l2m);
    g_mutex_lock(&marks_lock);
    fprintf(marks, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
            " %" PRIu64, tag, ia, im, da, dm, l2a, l2m);
    for (int c = 0; c < N_CLASSES; c++)
        fprintf(marks, " %" PRIu64, __atomic_load_n(&executed[c], __ATOMIC_RELAXED));
    fputc('\n', marks);
    fflush(marks);
    g_mutex_unlock(&marks_lock);
}

static void mark(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                 void *userdata)
{
    write_line(vaddr & HDRNN_MARK_TAG_MASK);
}

/* At exit, a last line with the tag HDRNN_MARK_TAG_MASK: the totals of the whole run
 * (under qemu-arm, of one process), then cache.c's own report. */
static void at_exit(qemu_plugin_id_t id, void *p)
{
    write_line(HDRNN_MARK_TAG_MASK);
    plugin_exit(id, p);
}

/* cache.c's callbacks, then the class counters and the marks'. A memory callback
 * registered for reads alone (MEM_R) was never called by QEMU 7.2 here, so the mark's
 * asks for reads and writes: the instruction only reads. */
static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    hdrnn_cache_tb_trans(id, tb);
    const bool thumb = tb_is_thumb(tb);
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const size_t size = qemu_plugin_insn_size(insn);
        int cycles;
        const int class = classify(qemu_plugin_insn_data(insn), size, thumb, &cycles);
        if (class >= 0)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                       &executed[class], 1);
        if (class == NEON_DP || class == NEON_LS)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                       &executed[class + 1], (uint64_t)cycles);
        uint32_t word;
        if (thumb || size != sizeof word)
            continue;
        memcpy(&word, qemu_plugin_insn_data(insn), sizeof word);
        if (GUINT32_FROM_LE(word) == HDRNN_MARK_INSN)
            qemu_plugin_register_vcpu_mem_cb(insn, mark, QEMU_PLUGIN_CB_NO_REGS,
                                             QEMU_PLUGIN_MEM_RW, NULL);
    }
}

QEMU_PLUGIN_EXPORT
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    const char *path = NULL;
    g_autofree char **rest = g_new0(char *, argc + 1);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "marks="))
            path = argv[i] + strlen("marks=");
        else
            rest[n++] = argv[i];
    }
    if (!path || !*path) {
        fprintf(stderr, "hdrnn-cache: marks=PATH is required\n");
        return -1;
    }
    marks = fopen(path, "w");
    if (!marks) {
        fprintf(stderr, "hdrnn-cache: %s: %s\n", path, g_strerror(errno));
        return -1;
    }
    int rc = hdrnn_cache_install(id, info, n, rest);
    if (rc != 0)
        return rc;
    /* replace cache.c's callbacks (one of each per plugin) with the ones above */
    qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
