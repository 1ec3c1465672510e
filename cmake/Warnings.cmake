# Project-wide warning set (CODING_STYLE.md, "Build and habits"). Third-party headers are SYSTEM.
function(hasteward_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
  if(HASTEWARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Test code is compiled for a fast build, not a fast run: the code under test comes optimized from
# the layer libraries, and a test TU (gtest's macros, nlohmann::json) takes about twice as long at
# -O2 as at -Og, which was half of CI's build. The option follows the build type's flags on the
# command line, so it wins.
function(hasteward_test_build_flags target)
  # GoogleTest's __FILE__ relative to the checkout: as an absolute path it made every test object
  # of a clone elsewhere a compiler-cache miss (docs/contributing.md).
  target_compile_options(${target} PRIVATE $<$<CONFIG:RelWithDebInfo>:-Og>
                                           -fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=)
endfunction()
