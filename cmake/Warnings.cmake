# Project-wide warning set (CODING_STYLE.md, "Build and habits"). Third-party headers are SYSTEM.
function(hasteward_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
  if(HASTEWARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
