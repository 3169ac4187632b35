# Helpers shared by every folder: one for libraries, one for executables, one for tests.

set(EDDY_WARNINGS -Wall -Wextra -Werror)

# eddy_add_library(NAME <name> SOURCES ... [DEPS ...])
# Builds eddy_<name>, aliased eddy::<name>, with the repository root on the include path.
function(eddy_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(eddy_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(eddy::${ARG_NAME} ALIAS eddy_${ARG_NAME})
  target_include_directories(eddy_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(eddy_${ARG_NAME} PRIVATE ${EDDY_WARNINGS})
  target_link_libraries(eddy_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# eddy_add_executable(NAME <name> SOURCES ... [DEPS ...])
function(eddy_add_executable)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${EDDY_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
endfunction()

# eddy_add_test(NAME <name> LABEL unit|integration SOURCES ... [DEPS ...] [TIMEOUT s])
# One GoogleTest binary; each test case is registered with CTest and labelled.
function(eddy_add_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${EDDY_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${ARG_NAME}
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 30)
endfunction()
