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

# The sim backend (runtime/backend_sim.c) with hand-written sim kernels.
add_executable(test_runtime_sim ${TILEC_RT_TESTS}/test_runtime_sim.c)
target_compile_options(test_runtime_sim PRIVATE ${TILEC_WARNINGS})
target_include_directories(test_runtime_sim PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_runtime_sim PRIVATE tilec_runtime ${CMOCKA_LIBRARY})
add_test(NAME unit.test_runtime_sim COMMAND test_runtime_sim)

# The driver backends (CUDA, MUSA: runtime/backend_driver.c) against a test
# double of each driver (no GPU needed). cuda_double.c is built as a shared
# library per vendor, twice (the second lacks LaunchKernel), with the
# vendor's entry-point prefix; test_runtime_driver.c is built per vendor too
# and points TILEC_<VENDOR>_LIBRARY at its double.
function(tilec_driver_test vendor prefix vendor_name)
  set(double tilec_${vendor}_double)
  foreach(lib ${double} ${double}_no_launch)
    add_library(${lib} SHARED ${TILEC_RT_TESTS}/cuda_double.c)
    target_compile_options(${lib} PRIVATE ${TILEC_WARNINGS})
    target_compile_definitions(${lib} PRIVATE DRIVER_PREFIX=${prefix} DRIVER_VENDOR="${vendor_name}")
  endforeach()
  target_compile_definitions(${double}_no_launch PRIVATE DRIVER_DOUBLE_WITHOUT_LAUNCH)
  set(test test_runtime_${vendor})
  add_executable(${test} ${TILEC_RT_TESTS}/test_runtime_driver.c)
  target_compile_options(${test} PRIVATE ${TILEC_WARNINGS})
  target_include_directories(${test} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(${test} PRIVATE tilec_runtime ${CMOCKA_LIBRARY} ${CMAKE_DL_LIBS})
  target_compile_definitions(${test} PRIVATE
    DOUBLE_PATH="$<TARGET_FILE:${double}>"
    DOUBLE_NO_LAUNCH_PATH="$<TARGET_FILE:${double}_no_launch>"
    ${ARGN})
  add_dependencies(${test} ${double} ${double}_no_launch)
  add_test(NAME unit.${test} COMMAND ${test})
endfunction()

# Each test also opens the other vendor's double, which must not pass for its driver.
tilec_driver_test(cuda cu CUDA OTHER_DOUBLE_PATH="$<TARGET_FILE:tilec_musa_double>")
tilec_driver_test(musa mu MUSA TEST_MUSA OTHER_DOUBLE_PATH="$<TARGET_FILE:tilec_cuda_double>")
add_dependencies(test_runtime_cuda tilec_musa_double)
