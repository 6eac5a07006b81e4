// hdrnn-libtorch: the HDR-NN trainer in C++ with LibTorch (ATen, CPU, one thread by
// default), in the shared epoch loop (native/common/hdrnn_train.h). Initial weights come from the contract's PRNG and are copied into the
// tensors; the uint8 image set is wrapped by one tensor without copying and only each
// mini-batch becomes float.
//
// Why no autograd and no torch::optim: with batches of 10, per-operation overhead, not
// arithmetic, sets LibTorch's time. Building the autograd graph, zero_grad and the
// optimizer step cost about 40 dispatched operations and a dozen tensor allocations per
// batch (4-6x the C trainer's time at 784-128-10 on two machines). The backward pass of a
// sigmoid MLP with the quadratic cost is three ATen calls per layer, so it is written
// out with the `_out` / in-place variants into buffers allocated once, under
// c10::InferenceMode (no version counters, no autograd dispatch): 15 operations per
// batch for one hidden layer and no allocation. The Python `hdrnn-torch` trainer keeps
// the autograd + optimizer formulation.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hdrnn_cxx.hpp"

namespace {

constexpr const char *kProg = "hdrnn-libtorch";

using at::Tensor;

// A uint8 tensor over data, [rows, cols] or [rows] (cols 0), without copying.
Tensor u8_tensor(std::uint8_t *data, long rows, long cols = 0)
{
    return cols ? at::from_blob(data, {rows, cols}, at::kByte)
                : at::from_blob(data, {rows}, at::kByte);
}

// The features of a split, [rows, width], without copying: uint8 images or float32.
Tensor features_tensor(const hdrnn_split &s, long rows)
{
    return at::from_blob(s.features, {rows, s.width},
                         s.dtype == HDRNN_DTYPE_U8 ? at::kByte : at::kFloat);
}

// The per-batch buffers seen with `rows` rows: the full batch, or the last, shorter one.
// Views are made once, not per batch: creating a view is itself a dispatched call.
struct BatchViews {
    Tensor idx, pixels, target, ones;  // [rows], [rows, inputs] uint8, [rows, classes], [rows]
    std::vector<Tensor> act, delta, delta_t;  // [rows, n_l]; delta_t[l] = delta[l]^T
};

struct Net {
    std::vector<Tensor> w, w_t, b;  // w[l] [n_{l+1}, n_l], w_t[l] = w[l]^T, b[l] [n_{l+1}]
    BatchViews full;                // the buffers themselves
    BatchViews last;                // views of them for a shorter last batch
    Tensor images, onehot;          // the training set [T, inputs] uint8 or float (no copy), [T, classes]

    Net(const std::vector<int> &sizes, std::uint64_t seed, long batch, const hdrnn_split &train)
    {
        const int n = static_cast<int>(sizes.size()) - 1;
        const long count = static_cast<long>(train.count), classes = sizes[n];
        images = features_tensor(train, count);
        onehot = at::eye(classes).index_select(0, u8_tensor(train.labels, count).to(at::kLong));
        std::vector<std::vector<float>> wv(n), bv(n);
        std::vector<float *> wp, bp;
        for (int l = 0; l < n; ++l) {
            wv[l].resize(static_cast<std::size_t>(sizes[l + 1]) * sizes[l]);
            bv[l].resize(sizes[l + 1]);
            wp.push_back(wv[l].data());
            bp.push_back(bv[l].data());
        }
        hdrnn_init_params(seed, sizes.data(), n, wp.data(), bp.data());
        for (int l = 0; l < n; ++l) {
            w.push_back(at::from_blob(wv[l].data(), {sizes[l + 1], sizes[l]}).clone());
            w_t.push_back(w.back().t());
            b.push_back(at::from_blob(bv[l].data(), {sizes[l + 1]}).clone());
        }
        full.idx = at::empty({batch}, at::kLong);
        full.pixels = at::empty({batch, sizes[0]}, images.scalar_type());
        full.target = at::empty({batch, classes});
        full.ones = at::ones({batch});
        for (int l = 0; l <= n; ++l) {
            full.act.push_back(at::empty({batch, sizes[l]}));
            full.delta.push_back(at::empty({batch, sizes[l]}));
            full.delta_t.push_back(full.delta.back().t());
        }
    }

    BatchViews &rows(long count)
    {
        if (count == full.idx.size(0))
            return full;
        if (last.idx.defined() && last.idx.size(0) == count)
            return last;
        BatchViews &v = last = BatchViews{};
        v.idx = full.idx.narrow(0, 0, count);
        v.pixels = full.pixels.narrow(0, 0, count);
        v.target = full.target.narrow(0, 0, count);
        v.ones = full.ones.narrow(0, 0, count);
        for (std::size_t l = 0; l < full.act.size(); ++l) {
            v.act.push_back(full.act[l].narrow(0, 0, count));
            v.delta.push_back(full.delta[l].narrow(0, 0, count));
            v.delta_t.push_back(v.delta.back().t());
        }
        return v;
    }

    // The kernels the shared loop calls (hdrnn_cxx.hpp).
    void train_batch(const hdrnn_split &, const std::uint32_t *order, int count, double lr)
    {
        BatchViews &v = rows(count);
        std::int64_t *idx = v.idx.data_ptr<std::int64_t>();
        for (int k = 0; k < count; ++k)  // the batch's indices, no dispatch
            idx[k] = order[k];
        train_batch(v, lr);
    }

    std::size_t evaluate(const hdrnn_split &test, std::size_t first, std::size_t count)
    {
        const long s = static_cast<long>(first), e = static_cast<long>(first + count);
        const Tensor labels = u8_tensor(test.labels, static_cast<long>(test.count));
        Tensor a = features_tensor(test, static_cast<long>(test.count)).slice(0, s, e);
        if (test.dtype == HDRNN_DTYPE_U8)
            a = a.to(at::kFloat).div_(255.0);  // float32 features are only read
        for (std::size_t l = 0; l < w.size(); ++l)
            a = at::sigmoid(at::addmm(b[l], a, w_t[l]));
        // argmax returns the first maximal index: the contract's lowest index on ties
        return a.argmax(1).eq(labels.slice(0, s, e).to(at::kLong)).sum().item<long>();
    }

    void params(int layer, const float **weight, const float **bias) const
    {
        *weight = w[layer].data_ptr<float>();  // contiguous: allocated here, never views
        *bias = b[layer].data_ptr<float>();
    }

    // One mini-batch, v.idx holding its sample indices into images and onehot.
    void train_batch(BatchViews &v, double lr)
    {
        const std::size_t L = w.size();
        at::index_select_out(v.pixels, images, 0, v.idx);
        v.act[0].copy_(v.pixels);
        if (images.scalar_type() == at::kByte)
            v.act[0].div_(255.0);  // (float)p / 255.0f (div_out would copy)
        for (std::size_t l = 0; l < L; ++l) {
            at::addmm_out(v.act[l + 1], b[l], v.act[l], w_t[l]);  // z = b + a W^T
            at::sigmoid_(v.act[l + 1]);
        }
        at::index_select_out(v.target, onehot, 0, v.idx);
        // output delta = (a - y) * a * (1 - a); sigmoid_backward(g, a) = g * (1 - a) * a
        at::sub_out(v.delta[L], v.act[L], v.target);
        at::sigmoid_backward_out(v.delta[L], v.delta[L], v.act[L]);
        const double step = lr / static_cast<double>(v.idx.size(0));
        for (std::size_t l = L; l-- > 0;) {
            if (l > 0) {  // before this layer's update: it needs the old weights
                at::mm_out(v.delta[l], v.delta[l + 1], w[l]);
                at::sigmoid_backward_out(v.delta[l], v.delta[l], v.act[l]);
            }
            w[l].addmm_(v.delta_t[l + 1], v.act[l], 1.0, -step);   // w -= step * d^T a
            b[l].addmv_(v.delta_t[l + 1], v.ones, 1.0, -step);     // b -= step * sum_k d
        }
    }
};

void run(hdrnn_run &run)
{
    at::set_num_threads(run.opts.threads);
    c10::InferenceMode inference;  // plain tensors: nothing here needs autograd
    Net net(std::vector<int>(run.sizes, run.sizes + run.n_layers + 1), run.opts.seed,
            run.max_batch, run.data.train);
    hdrnn::train(run, "libtorch", std::string("\"libtorch\":\"") + TORCH_VERSION +
                                      "\",\"threads\":" + std::to_string(run.opts.threads),
                 net);
}

}  // namespace

int main(int argc, char **argv)
{
    // LibTorch reports failures (allocation included) as c10::Error, a std::exception:
    // trainer_main turns it into one line and exit 4.
    return hdrnn::trainer_main(kProg, argc, argv, HDRNN_ALLOW_THREADS, run);
}
