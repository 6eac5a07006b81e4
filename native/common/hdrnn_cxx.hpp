// What the C++ trainers share on top of the C common code: contract exit codes as
// exceptions, RAII for the data set, weight writing, and main()'s error handling.
#ifndef HDRNN_CXX_HPP
#define HDRNN_CXX_HPP

#include <cstdint>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include "hdrnn_idx.h"
#include "hdrnn_opts.h"
#include "hdrnn_prng.h"
#include "hdrnn_report.h"
#include "hdrnn_safetensors.h"
#include "hdrnn_status.h"
}

namespace hdrnn {

// A failure that carries the contract's exit code (2 usage, 3 data, 4 resource).
struct Failure : std::runtime_error {
    int code;
    Failure(int c, const std::string &m) : std::runtime_error(m), code(c) {}
};

struct Dataset {
    hdrnn_dataset ds{};
    Dataset() = default;
    Dataset(const Dataset &) = delete;
    Dataset &operator=(const Dataset &) = delete;
    ~Dataset() { hdrnn_dataset_free(&ds); }
};

// What every trainer does before training: options, FPU set-up, data, layer sizes, the
// identity order and the shuffle stream (seed + 1).
struct Setup {
    hdrnn_opts opts{};
    const char *fpu = "";
    Dataset data;
    std::vector<int> sizes;       // 784, hidden..., 10
    std::vector<std::uint32_t> order;
    hdrnn_rng shuffle{};

    // false when --help was asked for (usage printed); throws Failure on bad input
    bool start(const char *prog, int argc, char **argv, int allow_threads)
    {
        hdrnn_error err;
        if (int rc = hdrnn_opts_parse(&opts, argc, argv, allow_threads, &err))
            throw Failure(rc, err.msg);
        if (opts.help) {
            hdrnn_opts_usage(prog, allow_threads);
            return false;
        }
        fpu = hdrnn_fpu_flush_denormals();
        if (int rc = hdrnn_dataset_load(&data.ds, opts.data, opts.train_limit,
                                        opts.test_limit, &err))
            throw Failure(rc, err.msg);
        int s[HDRNN_MAX_HIDDEN + 2];
        const int layers = hdrnn_opts_layer_sizes(&opts, s);
        sizes.assign(s, s + layers + 1);
        order.resize(data.ds.train.count);
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = static_cast<std::uint32_t>(i);
        hdrnn_rng_init(&shuffle, opts.seed + 1);
        return true;
    }

    // The start event; extra: more JSON members after the build info
    void emit_start(const char *impl, const std::string &extra) const
    {
        const std::string all = std::string(hdrnn_build_info()) + ",\"denormals\":\"" + fpu +
                                "\"" + extra;
        hdrnn_emit_start(impl, &opts,
                         hdrnn_param_count(sizes.data(), static_cast<int>(sizes.size()) - 1),
                         data.ds.train.count, data.ds.test.count, all.c_str());
    }
};

// One layer's parameters as contiguous row-major float32: weight [rows x cols], bias [rows].
struct LayerView {
    const float *weight;
    std::size_t rows, cols;
    const float *bias;
};

// Write layers.{i}.weight / layers.{i}.bias as safetensors, atomically.
inline void write_weights(const char *path, const char *impl, const std::vector<LayerView> &layers)
{
    std::vector<std::string> names;
    std::vector<hdrnn_tensor> t;
    names.reserve(2 * layers.size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
        names.push_back("layers." + std::to_string(l) + ".weight");
        t.push_back({names.back().c_str(), layers[l].weight, 2, {layers[l].rows, layers[l].cols}});
        names.push_back("layers." + std::to_string(l) + ".bias");
        t.push_back({names.back().c_str(), layers[l].bias, 1, {layers[l].rows, 0}});
    }
    hdrnn_error err;
    if (int rc = hdrnn_safetensors_write(path, t.data(), static_cast<int>(t.size()), impl, &err))
        throw Failure(rc, err.msg);
}

// Run body() and turn the contract's failures into one line on stderr and an exit code.
template <class Body>
int guarded_main(const char *prog, Body body)
{
    try {
        return body();
    } catch (const Failure &f) {
        std::fprintf(stderr, "%s: %s%s\n", prog, f.code == HDRNN_EXIT_USAGE ? "error: " : "",
                     f.what());
        return f.code;
    } catch (const std::bad_alloc &) {
        std::fprintf(stderr, "%s: out of memory\n", prog);
        return HDRNN_EXIT_RESOURCE;
    }
}

}  // namespace hdrnn

#endif
