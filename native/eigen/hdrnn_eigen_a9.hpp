// Eigen's matrix-product kernel (GEBP) on ARMv7 NEON, e.g. the Cortex-A9: Eigen 3.4 gives
// AArch64 a multiply-accumulate by vector lane (one instruction per 4 products), but on
// 32-bit ARM it broadcasts each right-hand scalar first (a core-register load plus a
// VDUP per scalar) and GCC spills the accumulators of the 12 x 4 micro-kernel around
// them. This is Eigen's own AArch64 specialization for ARMv7: VMLA by scalar lane, which
// is not fused, so every product and sum is what Eigen's generic path computes. Clang
// builds keep Eigen's own ARMv7 specialization.
#ifndef HDRNN_EIGEN_A9_HPP
#define HDRNN_EIGEN_A9_HPP

#include <Eigen/Core>

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

}  // namespace internal
}  // namespace Eigen
#endif

#endif
