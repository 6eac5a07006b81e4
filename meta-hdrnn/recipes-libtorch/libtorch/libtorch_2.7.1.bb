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

# PyTorch v2.7.1 and every submodule at the commit v2.7.1 records. Explicit git URIs,
# not gitsm:// on pytorch itself: one of its nested submodules refers back to the
# parent repository, which bitbake's gitsm fetcher refuses (a fetch deadlock).
# kineto is plain git:// for the same reason; its own submodules are not needed
# (USE_KINETO=OFF). Submodules this configuration leaves unused (CUDA, ROCm, NNPACK,
# FBGEMM, oneDNN, ...) are still fetched so that the tree is exactly the release's.
SRC_URI = "\
    git://github.com/pytorch/pytorch.git;protocol=https;name=pytorch;branch=release/2.7;destsuffix=pytorch \
    gitsm://github.com/facebookincubator/fbjni.git;protocol=https;name=fbjni;nobranch=1;destsuffix=pytorch/android/libs/fbjni \
    gitsm://github.com/Maratyszcza/FP16.git;protocol=https;name=fp16;nobranch=1;destsuffix=pytorch/third_party/FP16 \
    gitsm://github.com/Maratyszcza/FXdiv.git;protocol=https;name=fxdiv;nobranch=1;destsuffix=pytorch/third_party/FXdiv \
    gitsm://github.com/Maratyszcza/NNPACK.git;protocol=https;name=nnpack;nobranch=1;destsuffix=pytorch/third_party/NNPACK \
    gitsm://github.com/NVIDIA/NVTX.git;protocol=https;name=nvtx;nobranch=1;destsuffix=pytorch/third_party/NVTX \
    gitsm://github.com/GPUOpen-LibrariesAndSDKs/VulkanMemoryAllocator.git;protocol=https;name=vulkanmemalloc;nobranch=1;destsuffix=pytorch/third_party/VulkanMemoryAllocator \
    gitsm://github.com/google/XNNPACK.git;protocol=https;name=xnnpack;nobranch=1;destsuffix=pytorch/third_party/XNNPACK \
    gitsm://github.com/google/benchmark.git;protocol=https;name=benchmark;nobranch=1;destsuffix=pytorch/third_party/benchmark \
    gitsm://github.com/ROCm/composable_kernel.git;protocol=https;name=composable-kernel;nobranch=1;destsuffix=pytorch/third_party/composable_kernel \
    gitsm://github.com/yhirose/cpp-httplib.git;protocol=https;name=cpp-httplib;nobranch=1;destsuffix=pytorch/third_party/cpp-httplib \
    gitsm://github.com/pytorch/cpuinfo.git;protocol=https;name=cpuinfo;nobranch=1;destsuffix=pytorch/third_party/cpuinfo \
    gitsm://github.com/NVIDIA/cudnn-frontend.git;protocol=https;name=cudnn-frontend;nobranch=1;destsuffix=pytorch/third_party/cudnn_frontend \
    gitsm://github.com/NVIDIA/cutlass.git;protocol=https;name=cutlass;nobranch=1;destsuffix=pytorch/third_party/cutlass \
    gitsm://gitlab.com/libeigen/eigen.git;protocol=https;name=eigen;nobranch=1;destsuffix=pytorch/third_party/eigen \
    gitsm://github.com/pytorch/FBGEMM.git;protocol=https;name=fbgemm;nobranch=1;destsuffix=pytorch/third_party/fbgemm \
    gitsm://github.com/Dao-AILab/flash-attention.git;protocol=https;name=flash-attention;nobranch=1;destsuffix=pytorch/third_party/flash-attention \
    gitsm://github.com/google/flatbuffers.git;protocol=https;name=flatbuffers;nobranch=1;destsuffix=pytorch/third_party/flatbuffers \
    gitsm://github.com/fmtlib/fmt.git;protocol=https;name=fmt;nobranch=1;destsuffix=pytorch/third_party/fmt \
    gitsm://github.com/google/gemmlowp.git;protocol=https;name=gemmlowp;nobranch=1;destsuffix=pytorch/third_party/gemmlowp/gemmlowp \
    gitsm://github.com/facebookincubator/gloo.git;protocol=https;name=gloo;nobranch=1;destsuffix=pytorch/third_party/gloo \
    gitsm://github.com/google/googletest.git;protocol=https;name=googletest;nobranch=1;destsuffix=pytorch/third_party/googletest \
    gitsm://github.com/intel/ideep.git;protocol=https;name=ideep;nobranch=1;destsuffix=pytorch/third_party/ideep \
    gitsm://github.com/oneapi-src/oneDNN.git;protocol=https;name=onednn;nobranch=1;destsuffix=pytorch/third_party/ideep/mkl-dnn \
    gitsm://github.com/intel/ittapi.git;protocol=https;name=ittapi;nobranch=1;destsuffix=pytorch/third_party/ittapi \
    git://github.com/pytorch/kineto.git;protocol=https;name=kineto;nobranch=1;destsuffix=pytorch/third_party/kineto \
    gitsm://github.com/ARM-software/kleidiai.git;protocol=https;name=kleidiai;nobranch=1;destsuffix=pytorch/third_party/kleidiai \
    gitsm://github.com/microsoft/mimalloc.git;protocol=https;name=mimalloc;nobranch=1;destsuffix=pytorch/third_party/mimalloc \
    gitsm://github.com/NVIDIA/nccl.git;protocol=https;name=nccl;nobranch=1;destsuffix=pytorch/third_party/nccl/nccl \
    gitsm://github.com/nlohmann/json.git;protocol=https;name=nlohmann;nobranch=1;destsuffix=pytorch/third_party/nlohmann \
    gitsm://github.com/onnx/onnx.git;protocol=https;name=onnx;nobranch=1;destsuffix=pytorch/third_party/onnx \
    gitsm://github.com/open-telemetry/opentelemetry-cpp.git;protocol=https;name=opentelemetry-cpp;nobranch=1;destsuffix=pytorch/third_party/opentelemetry-cpp \
    gitsm://github.com/mreineck/pocketfft.git;protocol=https;name=pocketfft;nobranch=1;destsuffix=pytorch/third_party/pocketfft \
    gitsm://github.com/protocolbuffers/protobuf.git;protocol=https;name=protobuf;nobranch=1;destsuffix=pytorch/third_party/protobuf \
    gitsm://github.com/Maratyszcza/psimd.git;protocol=https;name=psimd;nobranch=1;destsuffix=pytorch/third_party/psimd \
    gitsm://github.com/Maratyszcza/pthreadpool.git;protocol=https;name=pthreadpool;nobranch=1;destsuffix=pytorch/third_party/pthreadpool \
    gitsm://github.com/pybind/pybind11.git;protocol=https;name=pybind11;nobranch=1;destsuffix=pytorch/third_party/pybind11 \
    gitsm://github.com/malfet/PeachPy.git;protocol=https;name=peachpy;nobranch=1;destsuffix=pytorch/third_party/python-peachpy \
    gitsm://github.com/shibatch/sleef.git;protocol=https;name=sleef;nobranch=1;destsuffix=pytorch/third_party/sleef \
    gitsm://github.com/pytorch/tensorpipe.git;protocol=https;name=tensorpipe;nobranch=1;destsuffix=pytorch/third_party/tensorpipe \
"
SRCREV_FORMAT = "pytorch"
SRCREV_pytorch = "e2d141dbde55c2a4370fac5165b0561b6af4798b"
SRCREV_fbjni = "7e1e1fe3858c63c251c637ae41a20de425dde96f"
SRCREV_fp16 = "4dfe081cf6bcd15db339cf2680b9281b8451eeb3"
SRCREV_fxdiv = "b408327ac2a15ec3e43352421954f5b1967701d1"
SRCREV_nnpack = "c07e3a0400713d546e0dea2d5466dd22ea389c73"
SRCREV_nvtx = "e170594ac7cf1dac584da473d4ca9301087090c1"
SRCREV_vulkanmemalloc = "a6bfc237255a6bac1513f7c1ebde6d8aed6b5191"
SRCREV_xnnpack = "51a0103656eff6fc9bfd39a4597923c4b542c883"
SRCREV_benchmark = "0d98dba29d66e93259db7daa53a9327df767a415"
SRCREV_composable-kernel = "8086bbe3a78d931eb96fe12fdc014082e18d18d3"
SRCREV_cpp-httplib = "3b6597bba913d51161383657829b7e644e59c006"
SRCREV_cpuinfo = "1e83a2fdd3102f65c6f1fb602c1b320486218a99"
SRCREV_cudnn-frontend = "91b7532f3386768bba4f444ee7672b497f34da8a"
SRCREV_cutlass = "afa1772203677c5118fcd82537a9c8fefbcc7008"
SRCREV_eigen = "3147391d946bb4b6c68edd901f2add6ac1f31f8c"
SRCREV_fbgemm = "dbc3157bf256f1339b3fa1fef2be89ac4078be0e"
SRCREV_flash-attention = "979702c87a8713a8e0a5e9fee122b90d2ef13be5"
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
SRCREV_nccl = "ab2b89c4c339bd7f816fbc114a4b05d386b66290"
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

do_configure:prepend() {
    host_cmake -S ${S}/third_party/protobuf/cmake -B ${HOST_TOOLS_DIR}/protobuf \
        -Dprotobuf_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
    host_cmake --build ${HOST_TOOLS_DIR}/protobuf --target protoc ${PARALLEL_MAKE}
    host_cmake -S ${S}/third_party/sleef -B ${HOST_TOOLS_DIR}/sleef \
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

COMPATIBLE_HOST = "(arm|aarch64|x86_64).*-linux"
