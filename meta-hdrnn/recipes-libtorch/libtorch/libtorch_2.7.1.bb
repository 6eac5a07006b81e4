SUMMARY = "LibTorch: PyTorch's C++ library, CPU only, for 32-bit ARMv7"
DESCRIPTION = "The C++ tensor library and autograd of PyTorch without Python, built from source for the machine's tune (Cortex-A9 NEON hard-float on the SABRE SD), for hdrnn-libtorch."
HOMEPAGE = "https://pytorch.org/"
BUGTRACKER = "https://github.com/pytorch/pytorch/issues"
SECTION = "libs"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d07280c7432af485bb23b7b316c5f3e5"

DEPENDS = "\
    cmake-native \
    python3-pyyaml-native \
    python3-typing-extensions-native \
"

# PyTorch v2.7.1 and the submodules a CPU build reads, each at the commit v2.7.1
# records. Explicit git URIs, not gitsm://: on pytorch itself gitsm deadlocks (a nested
# submodule refers back to the parent repository), and on the submodules it would pull
# several GB of their own submodules (tests, benchmarks, GPU kernels) that this build
# never reads. Left out: the CUDA/ROCm-only ones (cutlass, composable_kernel,
# flash-attention, cudnn_frontend, nccl, NVTX). Those switched off below (FBGEMM,
# NNPACK, oneDNN, gloo, tensorpipe, ...) are still fetched, without their submodules:
# PyTorch's CMake reads some of their paths whatever the options.
SRC_URI = "\
    git://github.com/pytorch/pytorch.git;protocol=https;name=pytorch;branch=release/2.7;destsuffix=pytorch \
    git://github.com/facebookincubator/fbjni.git;protocol=https;name=fbjni;nobranch=1;destsuffix=pytorch/android/libs/fbjni \
    git://github.com/Maratyszcza/FP16.git;protocol=https;name=fp16;nobranch=1;destsuffix=pytorch/third_party/FP16 \
    git://github.com/Maratyszcza/FXdiv.git;protocol=https;name=fxdiv;nobranch=1;destsuffix=pytorch/third_party/FXdiv \
    git://github.com/Maratyszcza/NNPACK.git;protocol=https;name=nnpack;nobranch=1;destsuffix=pytorch/third_party/NNPACK \
    git://github.com/GPUOpen-LibrariesAndSDKs/VulkanMemoryAllocator.git;protocol=https;name=vulkanmemalloc;nobranch=1;destsuffix=pytorch/third_party/VulkanMemoryAllocator \
    git://github.com/google/XNNPACK.git;protocol=https;name=xnnpack;nobranch=1;destsuffix=pytorch/third_party/XNNPACK \
    git://github.com/google/benchmark.git;protocol=https;name=benchmark;nobranch=1;destsuffix=pytorch/third_party/benchmark \
    git://github.com/yhirose/cpp-httplib.git;protocol=https;name=cpp-httplib;nobranch=1;destsuffix=pytorch/third_party/cpp-httplib \
    git://github.com/pytorch/cpuinfo.git;protocol=https;name=cpuinfo;nobranch=1;destsuffix=pytorch/third_party/cpuinfo \
    git://gitlab.com/libeigen/eigen.git;protocol=https;name=eigen;nobranch=1;destsuffix=pytorch/third_party/eigen \
    git://github.com/pytorch/FBGEMM.git;protocol=https;name=fbgemm;nobranch=1;destsuffix=pytorch/third_party/fbgemm \
    git://github.com/google/flatbuffers.git;protocol=https;name=flatbuffers;nobranch=1;destsuffix=pytorch/third_party/flatbuffers \
    git://github.com/fmtlib/fmt.git;protocol=https;name=fmt;nobranch=1;destsuffix=pytorch/third_party/fmt \
    git://github.com/google/gemmlowp.git;protocol=https;name=gemmlowp;nobranch=1;destsuffix=pytorch/third_party/gemmlowp/gemmlowp \
    git://github.com/facebookincubator/gloo.git;protocol=https;name=gloo;nobranch=1;destsuffix=pytorch/third_party/gloo \
    git://github.com/google/googletest.git;protocol=https;name=googletest;nobranch=1;destsuffix=pytorch/third_party/googletest \
    git://github.com/intel/ideep.git;protocol=https;name=ideep;nobranch=1;destsuffix=pytorch/third_party/ideep \
    git://github.com/oneapi-src/oneDNN.git;protocol=https;name=onednn;nobranch=1;destsuffix=pytorch/third_party/ideep/mkl-dnn \
    git://github.com/intel/ittapi.git;protocol=https;name=ittapi;nobranch=1;destsuffix=pytorch/third_party/ittapi \
    git://github.com/pytorch/kineto.git;protocol=https;name=kineto;nobranch=1;destsuffix=pytorch/third_party/kineto \
    git://github.com/ARM-software/kleidiai.git;protocol=https;name=kleidiai;nobranch=1;destsuffix=pytorch/third_party/kleidiai \
    git://github.com/microsoft/mimalloc.git;protocol=https;name=mimalloc;nobranch=1;destsuffix=pytorch/third_party/mimalloc \
    git://github.com/nlohmann/json.git;protocol=https;name=nlohmann;nobranch=1;destsuffix=pytorch/third_party/nlohmann \
    git://github.com/onnx/onnx.git;protocol=https;name=onnx;nobranch=1;destsuffix=pytorch/third_party/onnx \
    git://github.com/open-telemetry/opentelemetry-cpp.git;protocol=https;name=opentelemetry-cpp;nobranch=1;destsuffix=pytorch/third_party/opentelemetry-cpp \
    git://github.com/mreineck/pocketfft.git;protocol=https;name=pocketfft;nobranch=1;destsuffix=pytorch/third_party/pocketfft \
    git://github.com/protocolbuffers/protobuf.git;protocol=https;name=protobuf;nobranch=1;destsuffix=pytorch/third_party/protobuf \
    git://github.com/Maratyszcza/psimd.git;protocol=https;name=psimd;nobranch=1;destsuffix=pytorch/third_party/psimd \
    git://github.com/Maratyszcza/pthreadpool.git;protocol=https;name=pthreadpool;nobranch=1;destsuffix=pytorch/third_party/pthreadpool \
    git://github.com/pybind/pybind11.git;protocol=https;name=pybind11;nobranch=1;destsuffix=pytorch/third_party/pybind11 \
    git://github.com/malfet/PeachPy.git;protocol=https;name=peachpy;nobranch=1;destsuffix=pytorch/third_party/python-peachpy \
    git://github.com/shibatch/sleef.git;protocol=https;name=sleef;nobranch=1;destsuffix=pytorch/third_party/sleef \
    git://github.com/pytorch/tensorpipe.git;protocol=https;name=tensorpipe;nobranch=1;destsuffix=pytorch/third_party/tensorpipe \
"
# GCC >= 14 (wrynose has 15) rejects incompatible pointer types in 14 of the pinned
# XNNPACK's NEON kernels (docs/libtorch-armv7.md).
SRC_URI += "file://0001-XNNPACK-NEON-kernels-pointer-types-for-GCC-14.patch;patchdir=third_party/XNNPACK"

SRCREV_FORMAT = "pytorch"
SRCREV_pytorch = "e2d141dbde55c2a4370fac5165b0561b6af4798b"
SRCREV_fbjni = "7e1e1fe3858c63c251c637ae41a20de425dde96f"
SRCREV_fp16 = "4dfe081cf6bcd15db339cf2680b9281b8451eeb3"
SRCREV_fxdiv = "b408327ac2a15ec3e43352421954f5b1967701d1"
SRCREV_nnpack = "c07e3a0400713d546e0dea2d5466dd22ea389c73"
SRCREV_vulkanmemalloc = "a6bfc237255a6bac1513f7c1ebde6d8aed6b5191"
SRCREV_xnnpack = "51a0103656eff6fc9bfd39a4597923c4b542c883"
SRCREV_benchmark = "0d98dba29d66e93259db7daa53a9327df767a415"
SRCREV_cpp-httplib = "3b6597bba913d51161383657829b7e644e59c006"
SRCREV_cpuinfo = "1e83a2fdd3102f65c6f1fb602c1b320486218a99"
SRCREV_eigen = "3147391d946bb4b6c68edd901f2add6ac1f31f8c"
SRCREV_fbgemm = "dbc3157bf256f1339b3fa1fef2be89ac4078be0e"
SRCREV_flatbuffers = "01834de25e4bf3975a9a00e816292b1ad0fe184b"
SRCREV_fmt = "123913715afeb8a437e6388b4473fcc4753e1c9a"
SRCREV_gemmlowp = "3fb5c176c17c765a3492cd2f0321b0dab712f350"
SRCREV_gloo = "5354032ea08eadd7fc4456477f7f7c6308818509"
SRCREV_googletest = "b514bdc898e2951020cbdca1304b75f5950d1f59"
SRCREV_ideep = "719d8e6cd7f7a0e01b155657526d693acf97c2b3"
SRCREV_onednn = "8d263e693366ef8db40acc569cc7d8edf644556d"
SRCREV_ittapi = "5b8a7d7422611c3a0d799fb5fc5dd4abfae35b42"
SRCREV_kineto = "a054a4be0db117c579a21747debf19c863631f26"
SRCREV_kleidiai = "ef685a13cfbe8d418aa2ed34350e21e4938358b6"
SRCREV_mimalloc = "b66e3214d8a104669c2ec05ae91ebc26a8f5ab78"
SRCREV_nlohmann = "87cda1d6646592ac5866dc703c8e1839046a6806"
SRCREV_onnx = "b8baa8446686496da4cc8fda09f2b6fe65c2a02c"
SRCREV_opentelemetry-cpp = "a799f4aed9c94b765dcdaabaeab7d5e7e2310878"
SRCREV_pocketfft = "9d3ab05a7fffbc71a492bc6a17be034e83e8f0fe"
SRCREV_protobuf = "d1eca4e4b421cd2997495c4b4e65cea6be4e9b8a"
SRCREV_psimd = "072586a71b55b7f8c584153d223e95687148a900"
SRCREV_pthreadpool = "4fe0e1e183925bf8cfa6aae24237e724a96479b8"
SRCREV_pybind11 = "a2e59f0e7065404b44dfe92a28aca47ba1378dc4"
SRCREV_peachpy = "f45429b087dd7d5bc78bb40dc7cf06425c252d67"
SRCREV_sleef = "56e1f79cb140fb9326d612d0be06b5250565cade"
SRCREV_tensorpipe = "52791a2fd214b2a9dc5759d36725909c1daa7f2e"

S = "${UNPACKDIR}/pytorch"

# cmake-qemu: try_run() checks run under qemu-user instead of failing a cross build.
inherit cmake cmake-qemu python3native

# Host tools that PyTorch's CMake would otherwise build for the target and then try to
# run: protoc (from the bundled protobuf, matching its runtime) and SLEEF's generators.
HOST_TOOLS_DIR = "${WORKDIR}/host-tools"

# The environment holds the target's CC and flags: the host builds get the BUILD_* ones.
host_cmake[doc] = "Runs cmake with the build host's compilers and flags"
host_cmake() {
    CC="${BUILD_CC}" CXX="${BUILD_CXX}" CFLAGS="${BUILD_CFLAGS}" \
        CXXFLAGS="${BUILD_CXXFLAGS}" LDFLAGS="${BUILD_LDFLAGS}" cmake "$@"
}

# wrynose's CMake 4 refuses cmake_minimum_required below 3.5, which the pinned protobuf
# (3.1.3), FP16 and psimd (2.8.12) declare: raise their policy floor instead of
# patching them (host tools here, the submodules through EXTRA_OECMAKE).
HDRNN_CMAKE_POLICY = "-DCMAKE_POLICY_VERSION_MINIMUM=3.5"

do_configure:prepend() {
    host_cmake -S ${S}/third_party/protobuf/cmake -B ${HOST_TOOLS_DIR}/protobuf \
        ${HDRNN_CMAKE_POLICY} -Dprotobuf_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
    host_cmake --build ${HOST_TOOLS_DIR}/protobuf --target protoc ${PARALLEL_MAKE}
    host_cmake -S ${S}/third_party/sleef -B ${HOST_TOOLS_DIR}/sleef ${HDRNN_CMAKE_POLICY} \
        -DSLEEF_BUILD_TESTS=OFF -DSLEEF_BUILD_DFT=OFF -DSLEEF_BUILD_GNUABI_LIBS=OFF \
        -DCMAKE_BUILD_TYPE=Release
    host_cmake --build ${HOST_TOOLS_DIR}/sleef ${PARALLEL_MAKE}
}

# Choices for a 32-bit ARM CPU without GPU, for training float32 MLPs:
# - BLAS=Eigen: a NEON GEMM from the bundled Eigen, no OpenBLAS recipe needed;
# - XNNPACK on (it has ARMv7 NEON kernels); FBGEMM, NNPACK, oneDNN and KleidiAI off
#   (x86-64 or AArch64 only); PyTorch's QNNPACK off (quantized inference only);
# - no distributed (gloo, tensorpipe, MPI), no Kineto or ITT profiling, no Python;
# - OpenMP for intra-op threads (hdrnn-libtorch runs one by default).
EXTRA_OECMAKE = "\
    ${HDRNN_CMAKE_POLICY} \
    -DBLAS=Eigen \
    -DBUILD_BINARY=OFF \
    -DBUILD_CUSTOM_PROTOBUF=ON \
    -DBUILD_PYTHON=OFF \
    -DBUILD_SHARED_LIBS=ON \
    -DBUILD_TEST=OFF \
    -DCAFFE2_CUSTOM_PROTOC_EXECUTABLE=${HOST_TOOLS_DIR}/protobuf/protoc \
    -DGLIBCXX_USE_CXX11_ABI=1 \
    -DNATIVE_BUILD_DIR=${HOST_TOOLS_DIR}/sleef \
    -DPYTHON_EXECUTABLE=${PYTHON} \
    -DTORCH_BUILD_VERSION=${PV} \
    -DUSE_CUDA=OFF \
    -DUSE_DISTRIBUTED=OFF \
    -DUSE_FBGEMM=OFF \
    -DUSE_FLASH_ATTENTION=OFF \
    -DUSE_GLOO=OFF \
    -DUSE_ITT=OFF \
    -DUSE_KINETO=OFF \
    -DUSE_KLEIDIAI=OFF \
    -DUSE_LAPACK=OFF \
    -DUSE_MEM_EFF_ATTENTION=OFF \
    -DUSE_MKLDNN=OFF \
    -DUSE_MPI=OFF \
    -DUSE_NCCL=OFF \
    -DUSE_NNPACK=OFF \
    -DUSE_NUMPY=OFF \
    -DUSE_OPENMP=ON \
    -DUSE_PYTORCH_QNNPACK=OFF \
    -DUSE_ROCM=OFF \
    -DUSE_TENSORPIPE=OFF \
    -DUSE_VULKAN=OFF \
    -DUSE_XNNPACK=ON \
    -DUSE_XPU=OFF \
"

# A full build takes 4-8 hours on 2 cores and ~40 GB of disk; cap the jobs so that the
# compiler's peak memory (~2 GB per job on the big ATen files) fits a build host.
PARALLEL_MAKE = "-j ${@min(int(oe.utils.cpu_count()), 4)}"

# Exported CMake files name libraries by absolute path in this build's sysroot (OpenMP's
# libgomp, ...): consumers have their own sysroot, CMAKE_SYSROOT. Nothing installed may
# name this build's tree (the buildpaths check); stop here, naming the file, if it does.
do_install:append() {
    # the literal text ${CMAKE_SYSROOT}, kept from bitbake's expansion
    cmake_sysroot=$(printf '%s{CMAKE_SYSROOT}' '$')
    for f in $(find ${D} -name '*.cmake'); do
        sed -i -e "s#${RECIPE_SYSROOT}#$cmake_sysroot#g" $f
    done
    leaks=$(grep -rlI -e '${TMPDIR}' ${D} || true)
    if [ -n "$leaks" ]; then
        bbfatal "libtorch: build paths in installed files: $leaks"
    fi
}

# PyTorch's libraries have no versioned SONAME (libtorch.so, libtorch_cpu.so,
# libc10.so). By default lib*.so goes to -dev as a development link, which here would
# put the real libraries there (dev-elf) and make hdrnn-libtorch depend on -dev
# (dev-deps): they belong to the runtime package. They are files, not symlinks, so the
# dev-so check has nothing to object to and needs no skip. Headers, CMake packages and
# PyTorch's static third-party archives go to -dev and -staticdev by the defaults.
FILES_SOLIBSDEV = ""
# nooelint: oelint.vars.filessetting.hidden (the linter does not see FILES_SOLIBSDEV emptied)
FILES:${PN} += "${libdir}/lib*.so"

COMPATIBLE_HOST = "(arm|aarch64|x86_64).*-linux"
