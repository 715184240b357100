# The runtime's tests: they link the runtime only (no compiler, no LLVM), so
# both the full build (tests/CMakeLists.txt) and -DTILEC_RUNTIME_ONLY=ON
# (the top-level CMakeLists.txt) include this file. Needs CMOCKA_LIBRARY and
# CMOCKA_INCLUDE_DIR.
set(TILEC_RT_TESTS ${PROJECT_SOURCE_DIR}/tests/unit)

add_executable(test_runtime ${TILEC_RT_TESTS}/test_runtime.c)
target_compile_options(test_runtime PRIVATE ${TILEC_WARNINGS})
target_include_directories(test_runtime PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_runtime PRIVATE tilec_runtime ${CMOCKA_LIBRARY})
add_test(NAME unit.test_runtime COMMAND test_runtime)

# The CUDA backend against a test double of the driver (no GPU needed):
# cuda_double.c is built as a shared library, twice (the second lacks
# cuLaunchKernel), and the test points TILEC_CUDA_LIBRARY at it.
add_library(tilec_cuda_double SHARED ${TILEC_RT_TESTS}/cuda_double.c)
target_compile_options(tilec_cuda_double PRIVATE ${TILEC_WARNINGS})
add_library(tilec_cuda_double_no_launch SHARED ${TILEC_RT_TESTS}/cuda_double.c)
target_compile_options(tilec_cuda_double_no_launch PRIVATE ${TILEC_WARNINGS})
target_compile_definitions(tilec_cuda_double_no_launch PRIVATE CUDA_DOUBLE_WITHOUT_LAUNCH)
add_executable(test_runtime_cuda ${TILEC_RT_TESTS}/test_runtime_cuda.c)
target_compile_options(test_runtime_cuda PRIVATE ${TILEC_WARNINGS})
target_include_directories(test_runtime_cuda PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_runtime_cuda PRIVATE tilec_runtime ${CMOCKA_LIBRARY} ${CMAKE_DL_LIBS})
target_compile_definitions(test_runtime_cuda PRIVATE
  CUDA_DOUBLE_PATH="$<TARGET_FILE:tilec_cuda_double>"
  CUDA_DOUBLE_NO_LAUNCH_PATH="$<TARGET_FILE:tilec_cuda_double_no_launch>")
add_dependencies(test_runtime_cuda tilec_cuda_double tilec_cuda_double_no_launch)
add_test(NAME unit.test_runtime_cuda COMMAND test_runtime_cuda)
