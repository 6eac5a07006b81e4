// Eigen's product kernels on ARMv7 NEON, e.g. the Cortex-A9, where Eigen 3.4 with GCC
// leaves instructions on the table (measured on the emulated Cortex-A9,
// docs/performance.md). Both specializations compute exactly the products and sums of
// Eigen's own kernels (results are bitwise the same); they only issue fewer instructions.
// - GEBP (matrix x matrix, the weight update): Eigen gives AArch64 a multiply-accumulate
//   by vector lane (one instruction per 4 products), but on 32-bit ARM it broadcasts each
//   right-hand scalar first (a core-register load plus a VDUP per scalar) and GCC spills
//   the accumulators of the 12 x 4 micro-kernel around them. Here: Eigen's own AArch64
//   specialization for ARMv7, VMLA by scalar lane, which is not fused.
// - GEMV (row-major matrix x vector, the forward pass): see below.
// Clang builds keep Eigen's own ARMv7 code.
#ifndef HDRNN_EIGEN_A9_HPP
#define HDRNN_EIGEN_A9_HPP

#include <Eigen/Core>

#include <algorithm>

#if EIGEN_ARCH_ARM && !EIGEN_ARCH_ARM64 && defined(EIGEN_VECTORIZE_NEON) && !EIGEN_COMP_CLANG
#define HDRNN_EIGEN_A9 1

namespace Eigen {
namespace internal {

template <>
struct gebp_traits<float, float, false, false, Architecture::NEON, GEBPPacketFull>
    : gebp_traits<float, float, false, false, Architecture::Generic, GEBPPacketFull> {
    typedef float RhsPacket;
    typedef float32x4_t RhsPacketx4;
    // 2 x 4 packets of accumulators (8 quad registers) rather than 3 x 4: with 12 the
    // 16-register file overflows and GCC spills in the inner loop.
    enum { mr = 2 * LhsProgress };

    EIGEN_STRONG_INLINE void loadRhs(const RhsScalar *b, RhsPacket &dest) const { dest = *b; }
    EIGEN_STRONG_INLINE void loadRhs(const RhsScalar *b, RhsPacketx4 &dest) const
    {
        dest = vld1q_f32(b);
    }
    EIGEN_STRONG_INLINE void updateRhs(const RhsScalar *b, RhsPacket &dest) const { dest = *b; }
    EIGEN_STRONG_INLINE void updateRhs(const RhsScalar *, RhsPacketx4 &) const {}
    EIGEN_STRONG_INLINE void loadRhsQuad(const RhsScalar *b, RhsPacket &dest) const
    {
        dest = *b;
    }

    // one scalar (any lane: the 3 x 4 kernel, compiled though never run with mr = 8)
    template <int Lane>
    EIGEN_STRONG_INLINE void madd(const LhsPacket &a, const RhsPacket &b, AccPacket &c,
                                  RhsPacket & /*tmp*/, const FixedInt<Lane> &) const
    {
        c = vmlaq_n_f32(c, a, b);
    }
    EIGEN_STRONG_INLINE void madd(const LhsPacket &a, const RhsPacketx4 &b, AccPacket &c,
                                  RhsPacket & /*tmp*/, const FixedInt<0> &) const
    {
        c = vmlaq_lane_f32(c, a, vget_low_f32(b), 0);
    }
    EIGEN_STRONG_INLINE void madd(const LhsPacket &a, const RhsPacketx4 &b, AccPacket &c,
                                  RhsPacket & /*tmp*/, const FixedInt<1> &) const
    {
        c = vmlaq_lane_f32(c, a, vget_low_f32(b), 1);
    }
    EIGEN_STRONG_INLINE void madd(const LhsPacket &a, const RhsPacketx4 &b, AccPacket &c,
                                  RhsPacket & /*tmp*/, const FixedInt<2> &) const
    {
        c = vmlaq_lane_f32(c, a, vget_high_f32(b), 0);
    }
    EIGEN_STRONG_INLINE void madd(const LhsPacket &a, const RhsPacketx4 &b, AccPacket &c,
                                  RhsPacket & /*tmp*/, const FixedInt<3> &) const
    {
        c = vmlaq_lane_f32(c, a, vget_high_f32(b), 1);
    }
};

// Row-major matrix x vector, the forward pass one sample at a time (z = W x). Eigen's
// kernel for it keeps one base pointer and GCC adds each row's offset before every
// load: 29 instructions per 8 rows x 4 columns. Here each of the 8 rows has its own
// pointer that the load itself advances (VLD1 with writeback): 20 (9 loads, 8 VMLA, 3
// of loop control). The same products and sums as Eigen's kernel: per-lane partial sums over the
// columns, then Eigen's predux, then the scalar column tail, then res += alpha * sum.
template <>
struct general_matrix_vector_product<Index, float, const_blas_data_mapper<float, Index, RowMajor>,
                                     RowMajor, false, float,
                                     const_blas_data_mapper<float, Index, ColMajor>, false,
                                     Specialized> {
    typedef float ResScalar;
    typedef const_blas_data_mapper<float, Index, RowMajor> LhsMapper;
    typedef const_blas_data_mapper<float, Index, ColMajor> RhsMapper;

    EIGEN_DONT_INLINE static void run(Index rows, Index cols, const LhsMapper &lhs,
                                      const RhsMapper &rhs, float *res, Index resIncr,
                                      float alpha)
    {
        const float *x = &rhs(0, 0);
        Index i = 0;
        // 8 rows at a time; a tail of 5 to 7 rows too, and one of 3 or 4 rows 4 at a time,
        // the missing rows repeating the last one (computed, not stored); 1 or 2 rows one
        // by one
        for (; rows - i >= 5; i += 8)
            rows_block<8>(lhs, i, std::min<Index>(8, rows - i), cols, x, res, resIncr, alpha);
        if (rows - i >= 3) {
            rows_block<4>(lhs, i, rows - i, cols, x, res, resIncr, alpha);
            i = rows;
        }
        for (; i < rows; ++i)
            one_row(&lhs(i, 0), cols, x, res[i * resIncr], alpha);
    }

  private:
    // res[i + r] += alpha * (row i + r of lhs) . x for r < n (R / 2 < n <= R). Named
    // pointers and accumulators, not arrays: GCC keeps those in registers.
    template <int R>
    static EIGEN_ALWAYS_INLINE void rows_block(const LhsMapper &lhs, Index i, Index n,
                                               Index cols, const float *x, float *res,
                                               Index resIncr, float alpha)
    {
        static_assert(R == 4 || R == 8, "4 or 8 rows");
        const float *row[8];
        for (Index r = 0; r < 8; ++r)
            row[r] = &lhs(i + std::min(r, n - 1), 0);
        const float *p0 = row[0], *p1 = row[1], *p2 = row[2], *p3 = row[3];
        const float *p4 = row[4], *p5 = row[5], *p6 = row[6], *p7 = row[7];
        float32x4_t c0 = vdupq_n_f32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
                    c6 = c0, c7 = c0;
        const Index full = cols & ~Index(3);
        const float *xp = x;
        for (Index j = 0; j < full; j += 4) {
            const float32x4_t v = vld1q_f32(xp);
            xp += 4;
            c0 = vmlaq_f32(c0, vld1q_f32(p0), v);
            p0 += 4;
            c1 = vmlaq_f32(c1, vld1q_f32(p1), v);
            p1 += 4;
            c2 = vmlaq_f32(c2, vld1q_f32(p2), v);
            p2 += 4;
            c3 = vmlaq_f32(c3, vld1q_f32(p3), v);
            p3 += 4;
            if constexpr (R == 8) {
                c4 = vmlaq_f32(c4, vld1q_f32(p4), v);
                p4 += 4;
                c5 = vmlaq_f32(c5, vld1q_f32(p5), v);
                p5 += 4;
                c6 = vmlaq_f32(c6, vld1q_f32(p6), v);
                p6 += 4;
                c7 = vmlaq_f32(c7, vld1q_f32(p7), v);
                p7 += 4;
            }
        }
        const float sum[8] = {predux(c0), predux(c1), predux(c2), predux(c3),
                              predux(c4), predux(c5), predux(c6), predux(c7)};
        for (Index r = 0; r < n; ++r)
            res[(i + r) * resIncr] += alpha * tail(row[r], full, cols, x, sum[r]);
    }

    static EIGEN_ALWAYS_INLINE void one_row(const float *row, Index cols, const float *x,
                                            float &res, float alpha)
    {
        const Index full = cols & ~Index(3);
        float32x4_t c = vdupq_n_f32(0);
        for (Index j = 0; j < full; j += 4)
            c = vmlaq_f32(c, vld1q_f32(row + j), vld1q_f32(x + j));
        res += alpha * tail(row, full, cols, x, predux(c));
    }

    // sum plus the columns past the last whole packet, in Eigen's order
    static EIGEN_ALWAYS_INLINE float tail(const float *row, Index full, Index cols,
                                          const float *x, float sum)
    {
        for (Index j = full; j < cols; ++j)
            sum += row[j] * x[j];
        return sum;
    }
};

}  // namespace internal
}  // namespace Eigen
#endif

#endif
