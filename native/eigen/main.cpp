// hdrnn-eigen: the HDR-NN trainer in idiomatic Eigen (one Scalar type, float), in the
// shared epoch loop (native/common/hdrnn_train.h).
// Samples are columns: X [inputs x B], A_l [n_l x B], W_l [n_out x n_in] row-major so
// that its storage is the safetensors layout.
#include <Eigen/Dense>

#include "hdrnn_eigen_a9.hpp"  // before any product is instantiated

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hdrnn_cxx.hpp"

namespace {

constexpr const char *kProg = "hdrnn-eigen";
using Scalar = float;
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
using Weights = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
constexpr Eigen::Index kGemvColumns = 16;  // batches up to this wide: one GEMV per row
constexpr Eigen::Index kRowBlock = 8;     // ARMv7 forward: 8 rows (25 KB at 784 inputs)
using Images = Eigen::Map<const Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic>>;
using Features = Eigen::Map<const Matrix>;  // float32 samples, one per column

Matrix sigmoid(const Matrix &z)
{
    // A scalar functor, not Eigen's packet exp/inverse: on ARMv7 NEON, Eigen divides by
    // a reciprocal estimate plus Newton steps (no vdivq), and saturated sigmoids turn
    // that last-ulp error into visible drift from the other trainers (a(1 - a) with
    // a ~ 1). exp(-z) overflows to inf below z = -88 and 1 / (1 + inf) = 0 is right.
    return z.unaryExpr([](Scalar v) { return Scalar(1) / (Scalar(1) + std::exp(-v)); });
}

class Network {
  public:
    Network(const std::vector<int> &sizes, std::uint64_t seed)
    {
        const int layers = static_cast<int>(sizes.size()) - 1;
        std::vector<float *> w_ptr, b_ptr;
        for (int l = 0; l < layers; ++l) {
            w_.emplace_back(sizes[l + 1], sizes[l]);
            b_.emplace_back(sizes[l + 1]);
        }
        for (int l = 0; l < layers; ++l) {
            w_ptr.push_back(w_[l].data());
            b_ptr.push_back(b_[l].data());
        }
        hdrnn_init_params(seed, sizes.data(), layers, w_ptr.data(), b_ptr.data());
    }

    // Columns of x are samples; returns the activations of every layer, input first.
    // Matrices are constructed, never resized: Eigen's resize frees before it allocates,
    // so a std::bad_alloc there would leave a dangling pointer behind (a double free at
    // unwinding instead of the contract's exit 4).
    std::vector<Matrix> forward(Matrix x) const
    {
        std::vector<Matrix> acts;
        acts.reserve(w_.size() + 1);
        acts.push_back(std::move(x));
        for (std::size_t l = 0; l < w_.size(); ++l) {
            // A training batch (10 columns) is too narrow for Eigen's GEMM, whose
            // operand packing then costs as much as the arithmetic. A row-vector x
            // matrix product (GEMV) per weight row reads that row once for every sample
            // of the batch: 1.4x faster than the GEMM at 784-30-10 and 7 % faster than
            // the coefficient-wise lazyProduct (one dot product per output, no reuse of
            // the loads). Wide evaluation blocks keep the GEMM. On ARMv7 a matrix x
            // vector product per sample (8 weight rows per input load, through the
            // kernel of hdrnn_eigen_a9.hpp) executes fewer instructions on the emulated
            // Cortex-A9, taken kRowBlock rows at a time: the block stays in the L1 across
            // the batch, so the weights come from the L2 once a batch, not once a sample
            // (62 % fewer L1 misses at 784-128-10, docs/performance.md). The same sums.
            Matrix z(w_[l].rows(), acts[l].cols());
            if (acts[l].cols() <= kGemvColumns) {
#if defined(HDRNN_EIGEN_A9)
                const Eigen::Index rows = w_[l].rows();
                for (Eigen::Index o0 = 0; o0 < rows; o0 += kRowBlock) {
                    const Eigen::Index n = std::min(kRowBlock, rows - o0);
                    for (Eigen::Index k = 0; k < acts[l].cols(); ++k)
                        z.col(k).segment(o0, n).noalias() =
                            w_[l].middleRows(o0, n) * acts[l].col(k);
                }
#else
                for (Eigen::Index o = 0; o < w_[l].rows(); ++o)
                    z.row(o).noalias() = w_[l].row(o) * acts[l];
#endif
            } else {
                z.noalias() = w_[l] * acts[l];
            }
            z.colwise() += b_[l];
            acts.push_back(sigmoid(z));
        }
        return acts;
    }

    // The kernels the shared loop calls (hdrnn_cxx.hpp).
    void train_batch(const hdrnn_split &train, const std::uint32_t *idx, int count, double lr)
    {
        Matrix x = gather(train, idx, 0, count);  // sets labels_: before binding them below
        train_batch(std::move(x), labels_, lr);
    }

    std::size_t evaluate(const hdrnn_split &test, std::size_t first, std::size_t count)
    {
        const std::vector<Matrix> acts =
            forward(gather(test, nullptr, first, static_cast<int>(count)));
        const Matrix &out = acts.back();
        std::size_t correct = 0;
        for (Eigen::Index k = 0; k < out.cols(); ++k) {
            Eigen::Index best;
            out.col(k).maxCoeff(&best);  // first maximum: lowest index on ties
            correct += best == labels_[k];
        }
        return correct;
    }

    void params(int layer, const float **weight, const float **bias) const
    {
        *weight = w_[layer].data();
        *bias = b_[layer].data();
    }

  private:
    // The chosen samples as float columns (idx[k], or first + k without idx): uint8
    // images scaled into [0, 1], float32 features as they are; their labels into labels_.
    Matrix gather(const hdrnn_split &data, const std::uint32_t *idx, std::size_t first,
                  int count)
    {
        const auto n = static_cast<Eigen::Index>(data.count);
        const Images images(data.features, data.width, n);
        const Features features(reinterpret_cast<const float *>(data.features), data.width, n);
        Matrix x(data.width, count);
        labels_ = Eigen::VectorXi(count);
        for (int k = 0; k < count; ++k) {
            const Eigen::Index s = idx ? idx[k] : static_cast<Eigen::Index>(first + k);
            if (data.dtype == HDRNN_DTYPE_U8)
                x.col(k) = images.col(s).cast<Scalar>() / Scalar(255);
            else
                x.col(k) = features.col(s);
            labels_[k] = data.labels[s];
        }
        return x;
    }

    void train_batch(Matrix x, const Eigen::Ref<const Eigen::VectorXi> &labels, double lr)
    {
        const std::vector<Matrix> acts = forward(std::move(x));
        const Matrix &a = acts.back();
        Matrix y = Matrix::Zero(a.rows(), a.cols());
        for (Eigen::Index k = 0; k < labels.size(); ++k)
            y(labels[k], k) = 1;
        Matrix delta = ((a - y).array() * a.array() * (Scalar(1) - a.array())).matrix();
        const auto step = static_cast<Scalar>(lr / static_cast<double>(a.cols()));
        for (std::size_t l = w_.size(); l-- > 0;) {
            Matrix prev;  // empty: assigning to it allocates without freeing first
            if (l > 0) {  // with the weights before this batch's update
                const auto &ap = acts[l].array();
                prev = ((w_[l].transpose() * delta).array() * ap * (Scalar(1) - ap)).matrix();
            }
            // One GEMM straight into the weights: no [n_out x n_in] temporary per batch
            // (at 784-128-10 that was 400 KB, an mmap and munmap per batch).
            w_[l].noalias() -= (step * delta) * acts[l].transpose();
            b_[l].noalias() -= step * delta.rowwise().sum();
            if (l > 0)
                delta.swap(prev);
        }
    }

    std::vector<Weights> w_;
    std::vector<Vector> b_;
    Eigen::VectorXi labels_;  // of the last gather
};

void run(hdrnn_run &run)
{
    Network net(std::vector<int>(run.sizes, run.sizes + run.n_layers + 1), run.opts.seed);
    hdrnn::train(run, "eigen", "\"eigen\":\"" + std::to_string(EIGEN_WORLD_VERSION) + "." +
                                   std::to_string(EIGEN_MAJOR_VERSION) + "." +
                                   std::to_string(EIGEN_MINOR_VERSION) + "\"",
                 net);
}

}  // namespace

int main(int argc, char **argv)
{
    return hdrnn::trainer_main(kProg, argc, argv, HDRNN_ALLOW_STREAM, run);
}
