// hdrnn-libtorch: the HDR-NN trainer in C++ with LibTorch (eager, CPU, one thread by
// default). Initial weights come from the contract's PRNG and are copied into the
// nn::Linear tensors; the uint8 image set is wrapped by one tensor without copying and
// only each mini-batch becomes float.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hdrnn_cxx.hpp"

namespace {

constexpr const char *kProg = "hdrnn-libtorch";

using hdrnn::Failure;

struct Net : torch::nn::Module {
    std::vector<torch::nn::Linear> layers;

    Net(const std::vector<int> &sizes, std::uint64_t seed)
    {
        const int n = static_cast<int>(sizes.size()) - 1;
        std::vector<std::vector<float>> w(n), b(n);
        std::vector<float *> wp, bp;
        for (int l = 0; l < n; ++l) {
            w[l].resize(static_cast<std::size_t>(sizes[l + 1]) * sizes[l]);
            b[l].resize(sizes[l + 1]);
            wp.push_back(w[l].data());
            bp.push_back(b[l].data());
        }
        hdrnn_init_params(seed, sizes.data(), n, wp.data(), bp.data());
        torch::NoGradGuard no_grad;
        for (int l = 0; l < n; ++l) {
            auto lin = register_module("layers_" + std::to_string(l),
                                       torch::nn::Linear(sizes[l], sizes[l + 1]));
            lin->weight.copy_(torch::from_blob(w[l].data(), {sizes[l + 1], sizes[l]}));
            lin->bias.copy_(torch::from_blob(b[l].data(), {sizes[l + 1]}));
            layers.push_back(lin);
        }
    }

    torch::Tensor forward(torch::Tensor x)
    {
        for (auto &lin : layers)
            x = torch::sigmoid(lin->forward(x));
        return x;
    }
};

torch::Tensor images_tensor(const hdrnn_split &s)
{
    return torch::from_blob(s.images, {static_cast<long>(s.count), HDRNN_PIXELS}, torch::kUInt8);
}

std::size_t evaluate(Net &net, const hdrnn_split &test)
{
    torch::NoGradGuard no_grad;
    const auto images = images_tensor(test);
    const auto labels = torch::from_blob(test.labels, {static_cast<long>(test.count)},
                                         torch::kUInt8).to(torch::kLong);
    std::size_t correct = 0;
    for (long s = 0; s < static_cast<long>(test.count); s += 1000) {
        const long e = std::min<long>(s + 1000, test.count);
        auto out = net.forward(images.slice(0, s, e).to(torch::kFloat) / 255.0f);
        // argmax returns the first maximal index: the contract's lowest index on ties
        correct += out.argmax(1).eq(labels.slice(0, s, e)).sum().item<long>();
    }
    return correct;
}

void write_weights(Net &net, const char *path)
{
    std::vector<torch::Tensor> keep;  // contiguous copies live until written
    std::vector<hdrnn::LayerView> layers;
    for (auto &lin : net.layers) {
        keep.push_back(lin->weight.detach().contiguous());
        keep.push_back(lin->bias.detach().contiguous());
        const auto &w = keep[keep.size() - 2];
        layers.push_back({w.data_ptr<float>(), static_cast<std::size_t>(w.size(0)),
                          static_cast<std::size_t>(w.size(1)), keep.back().data_ptr<float>()});
    }
    hdrnn::write_weights(path, "libtorch", layers);
}

int run(int argc, char **argv)
{
    const double t_start = hdrnn_now();
    hdrnn::Setup setup;
    if (!setup.start(kProg, argc, argv, 1))
        return 0;
    const hdrnn_opts &o = setup.opts;
    const hdrnn_split &train = setup.data.ds.train;
    torch::set_num_threads(o.threads);
    Net net(setup.sizes, o.seed);
    torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(o.lr));
    setup.emit_start("libtorch", std::string(",\"libtorch\":\"") + TORCH_VERSION +
                                     "\",\"threads\":" + std::to_string(o.threads));
    const auto images = images_tensor(train);
    const auto labels = torch::from_blob(train.labels, {static_cast<long>(train.count)},
                                         torch::kUInt8).to(torch::kLong);
    const auto eye = torch::eye(10);
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const double t0 = hdrnn_now();
        hdrnn_shuffle(&setup.shuffle, setup.order.data(), setup.order.size());
        const auto idx_all = torch::from_blob(setup.order.data(),
                                              {static_cast<long>(setup.order.size())},
                                              torch::kInt32).to(torch::kLong);
        for (long s = 0; s < static_cast<long>(train.count); s += o.batch) {
            const long e = std::min<long>(s + o.batch, train.count);
            const auto idx = idx_all.slice(0, s, e);
            auto x = images.index_select(0, idx).to(torch::kFloat) / 255.0f;
            auto y = eye.index_select(0, labels.index_select(0, idx));
            auto a = net.forward(x);
            auto loss = 0.5 * (a - y).pow(2).sum();  // summed over the batch
            opt.zero_grad();
            loss.backward();
            // w -= (lr / len(batch)) * sum_grad
            static_cast<torch::optim::SGDOptions &>(opt.param_groups()[0].options())
                .lr(o.lr / static_cast<double>(e - s));
            opt.step();
        }
        const double t1 = hdrnn_now();
        const std::size_t correct = evaluate(net, setup.data.ds.test);
        hdrnn_emit_epoch(epoch, correct, setup.data.ds.test.count, t1 - t0, hdrnn_now() - t1);
    }
    if (o.weights_out)
        write_weights(net, o.weights_out);
    hdrnn_emit_done(hdrnn_now() - t_start);
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    return hdrnn::guarded_main(kProg, [&] {
        try {
            return run(argc, argv);
        } catch (const c10::Error &e) {  // LibTorch reports allocation failures this way
            const std::string msg = e.what_without_backtrace();
            if (msg.find("alloc") != std::string::npos)
                throw std::bad_alloc();
            throw Failure(HDRNN_EXIT_RESOURCE, msg.substr(0, msg.find('\n')));
        }
    });
}
