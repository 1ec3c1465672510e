# One static library per layer. Sources are globbed per layer directory so that adding a file never
# touches a shared CMake file; the link list of each layer is the dependency table of CODING_STYLE.md.
function(hasteward_add_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;LIBS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
  if(NOT srcs)
    # A layer without sources yet is header-only until its first .cpp lands.
    add_library(hs_${name} INTERFACE)
    target_include_directories(hs_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(hs_${name} INTERFACE ${ARG_DEPS} ${ARG_LIBS})
    return()
  endif()
  add_library(hs_${name} STATIC ${srcs})
  target_include_directories(hs_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(hs_${name} PUBLIC ${ARG_DEPS} ${ARG_LIBS})
  hasteward_warnings(hs_${name})
endfunction()

# One gtest binary per layer: tests/<layer>/**/*_test.cpp, linking only that layer (and below).
function(hasteward_add_layer_tests name)
  # DISCOVERY_FILTER: a gtest filter for the tests ctest registers one by one (suites that share
  # one expensive fixture across their tests are registered as one ctest test by the caller).
  cmake_parse_arguments(ARG "" "DISCOVERY_FILTER" "DEPS" ${ARGN})
  if(NOT ARG_DISCOVERY_FILTER)
    set(ARG_DISCOVERY_FILTER "*")
  endif()
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*_test.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name}_tests ${srcs})
  target_link_libraries(${name}_tests PRIVATE hs_${name} ${ARG_DEPS} hs_test_support
                        GTest::gtest GTest::gtest_main GTest::gmock)
  hasteward_warnings(${name}_tests)
  hasteward_test_build_flags(${name}_tests)
  hasteward_test_pch(${name}_tests)
  gtest_discover_tests(${name}_tests DISCOVERY_TIMEOUT 60 TEST_FILTER "${ARG_DISCOVERY_FILTER}"
                       PROPERTIES LABELS "unit" ENVIRONMENT "HASTEWARD_TEST_BIN=$<TARGET_FILE:hasteward>")
endfunction()

# A test target reuses the tests' one precompiled header (tests/CMakeLists.txt, hs_test_pch); its
# compile options must be those of hs_test_pch: hasteward_warnings and hasteward_test_build_flags.
function(hasteward_test_pch target)
  target_precompile_headers(${target} REUSE_FROM hs_test_pch)
endfunction()
