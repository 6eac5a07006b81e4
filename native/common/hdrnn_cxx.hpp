// What the C++ trainers share on top of the C common code: the contract's exit codes as
// exceptions, and the binding of a network class to the shared epoch loop
// (hdrnn_train.h). A Net provides
//   void train_batch(const hdrnn_split &train, const std::uint32_t *idx, int count, double lr);
//   std::size_t evaluate(const hdrnn_split &test, std::size_t first, std::size_t count);
//   void params(int layer, const float **weight, const float **bias) const;
#ifndef HDRNN_CXX_HPP
#define HDRNN_CXX_HPP

#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

extern "C" {
#include "hdrnn_error.h"
#include "hdrnn_prng.h"
#include "hdrnn_train.h"
}

namespace hdrnn {

// A failure that carries the contract's exit code (2 usage, 3 data, 4 resource).
struct Failure : std::runtime_error {
    int code;
    Failure(int c, const std::string &m) : std::runtime_error(m), code(c) {}
};

// fn() with its exceptions turned into an exit code and a one-line err: the kernels are
// called from C, which exceptions must not cross. Anything but Failure and bad_alloc is a
// library's resource failure (LibTorch's c10::Error): its first line is kept.
template <class Fn>
int status_of(hdrnn_error *err, Fn &&fn) noexcept
{
    try {
        fn();
        return HDRNN_OK;
    } catch (const Failure &f) {
        hdrnn_error_set(err, "%s", f.what());
        return f.code;
    } catch (const std::bad_alloc &) {
        hdrnn_error_set(err, "out of memory");
        return HDRNN_EXIT_RESOURCE;
    } catch (const std::exception &e) {
        const std::string msg = e.what();
        hdrnn_error_set(err, "%s", msg.substr(0, msg.find('\n')).c_str());
        return HDRNN_EXIT_RESOURCE;
    }
}

template <class Net>
hdrnn_kernels kernels_of(Net &net)
{
    hdrnn_kernels k{};
    k.ctx = &net;
    k.train_batch = [](void *ctx, const hdrnn_split *train, const std::uint32_t *idx,
                       int count, double lr, hdrnn_error *err) {
        return status_of(err, [&] { static_cast<Net *>(ctx)->train_batch(*train, idx, count, lr); });
    };
    k.evaluate = [](void *ctx, const hdrnn_split *test, std::size_t first, std::size_t count,
                    std::size_t *correct, hdrnn_error *err) {
        return status_of(err,
                         [&] { *correct = static_cast<Net *>(ctx)->evaluate(*test, first, count); });
    };
    k.params = [](const void *ctx, int layer, const float **w, const float **b) {
        static_cast<const Net *>(ctx)->params(layer, w, b);
    };
    return k;
}

// The shared epoch loop over net; throws Failure when it fails.
template <class Net>
void train(hdrnn_run &run, const char *impl, const std::string &extra, Net &net)
{
    const hdrnn_kernels k = kernels_of(net);
    hdrnn_error err;
    if (int rc = hdrnn_run_train(&run, impl, extra.c_str(), &k, &err))
        throw Failure(rc, err.msg);
}

// A trainer's main(): set-up by the shared code, then body(run), which builds the
// network and calls train(); every failure becomes one line on stderr and an exit code.
template <class Body>
int trainer_main(const char *prog, int argc, char **argv, int allow, Body body)
{
    hdrnn_run run;
    hdrnn_error err;
    int rc = hdrnn_run_start(&run, prog, argc, argv, allow, &err);
    if (rc == HDRNN_OK && !run.opts.help)
        rc = status_of(&err, [&] { body(run); });
    hdrnn_run_free(&run);
    return rc ? hdrnn_fail(prog, rc, &err) : 0;
}

}  // namespace hdrnn

#endif
