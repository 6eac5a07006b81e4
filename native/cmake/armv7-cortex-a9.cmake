# Cross toolchain for the i.MX6Q (Cortex-A9, NEON, VFPv3, hard float) with Debian's
# arm-linux-gnueabihf GCC. Usage: cmake -DCMAKE_TOOLCHAIN_FILE=native/cmake/armv7-cortex-a9.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)

set(HDRNN_CROSS_PREFIX arm-linux-gnueabihf- CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER ${HDRNN_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${HDRNN_CROSS_PREFIX}g++)

# -mfpu=neon is NEON with VFPv3 (not neon-vfpv4: the Cortex-A9 has no VFPv4/fused MAC).
set(HDRNN_ARM_FLAGS "-mcpu=cortex-a9 -mfpu=neon -mfloat-abi=hard")
set(CMAKE_C_FLAGS_INIT "${HDRNN_ARM_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${HDRNN_ARM_FLAGS}")

# Debian multiarch: arm-linux-gnueabihf headers and libraries live beside the host's.
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf /usr/lib/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# qemu-arm runs the results on the build host (tests and try_run).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm;-cpu;cortex-a9;-L;/usr/arm-linux-gnueabihf)
