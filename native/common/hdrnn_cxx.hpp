// What the C++ trainers share on top of the C common code: contract exit codes as
// exceptions, RAII for the data set, weight writing, and main()'s error handling.
#ifndef HDRNN_CXX_HPP
#define HDRNN_CXX_HPP

#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include "hdrnn_idx.h"
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
