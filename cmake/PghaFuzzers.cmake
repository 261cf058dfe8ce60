# The fuzz targets (tests/fuzz) as an external project compiled by clang with ASan, UBSan and
# libFuzzer, built with everything else when that toolchain is installed (scripts/install-deps.sh
# installs it). Without it the `fuzz` tests are absent and a message says so.
include(ExternalProject)

find_program(PGHA_CLANG clang)
find_program(PGHA_CLANGXX clang++)
set(PGHA_FUZZ_SECONDS 30 CACHE STRING "How long ctest runs each fuzz target")

set(PGHA_HAVE_LIBFUZZER FALSE)
if(PGHA_CLANG AND PGHA_CLANGXX)
  # libFuzzer's runtime comes in a package of its own: link a one-line target to find out.
  set(probe ${CMAKE_BINARY_DIR}/libfuzzer-probe.cc)
  file(WRITE ${probe}
       "#include <cstddef>\n#include <cstdint>\n"
       "extern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
  execute_process(COMMAND ${PGHA_CLANGXX} -fsanitize=fuzzer,address,undefined ${probe}
                          -o ${CMAKE_BINARY_DIR}/libfuzzer-probe
                  RESULT_VARIABLE probe_result OUTPUT_QUIET ERROR_QUIET)
  if(probe_result EQUAL 0)
    set(PGHA_HAVE_LIBFUZZER TRUE)
  endif()
endif()

if(NOT PGHA_HAVE_LIBFUZZER)
  message(STATUS "fuzz targets not built: clang with libFuzzer not found (apt-get install clang libfuzzer-14-dev)")
  return()
endif()

cmake_host_system_information(RESULT PGHA_CORES QUERY NUMBER_OF_LOGICAL_CORES)
ExternalProject_Add(pgha_fuzzers
  SOURCE_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz
  BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
  CMAKE_ARGS -DCMAKE_C_COMPILER=${PGHA_CLANG} -DCMAKE_CXX_COMPILER=${PGHA_CLANGXX}
             -DCMAKE_BUILD_TYPE=None
  # As many jobs as cores, although it runs next to the main build's own: a clean build's
  # main part finishes first, and one job left the fuzz tree's last minutes on a single core
  # (12.5 min for a clean build on 2 cores; about 2 of them that tail).
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j${PGHA_CORES}
  INSTALL_COMMAND ""
  # The sources are pgha's own: let the fuzz tree's build decide what changed.
  BUILD_ALWAYS ON)

# One ctest entry runs every target, as many at once as there are cores: ctest runs its tests
# one after the other, and four single-threaded fuzzers in a row left a core idle for 2 minutes.
# One target alone: tests/fuzz/run.sh build/fuzz/bin/<target> SECONDS.
set(PGHA_FUZZ_TARGETS fuzz_config_yaml fuzz_dcs_codec fuzz_rest_request fuzz_ctl_output)
set(fuzz_binaries)
foreach(target ${PGHA_FUZZ_TARGETS})
  list(APPEND fuzz_binaries ${CMAKE_BINARY_DIR}/fuzz/bin/${target})
endforeach()
add_test(NAME fuzz COMMAND ${PROJECT_SOURCE_DIR}/tests/fuzz/run_all.sh ${PGHA_FUZZ_SECONDS} ${fuzz_binaries})
set_tests_properties(fuzz PROPERTIES LABELS fuzz TIMEOUT 900)
