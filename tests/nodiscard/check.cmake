# Checks that ignoring the result of each call in ignored_results.cpp does not
# compile. Run as
#   cmake -DCXX=<compiler> -DSOURCE=<ignored_results.cpp> -DCASES=<n>
#         -DINCLUDES=<dir|dir|...> -P check.cmake
set(flags -std=c++17 -fsyntax-only -Wall -Wextra -Werror=unused-result)
string(REPLACE "|" ";" include_dirs "${INCLUDES}")
foreach(dir IN LISTS include_dirs)
  list(APPEND flags "-I${dir}")
endforeach()

execute_process(COMMAND ${CXX} ${flags} -DIGNORED=0 ${SOURCE}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the case that uses every result does not compile:\n${err}")
endif()

set(compiled "")
foreach(case RANGE 1 ${CASES})
  execute_process(COMMAND ${CXX} ${flags} -DIGNORED=${case} ${SOURCE}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc EQUAL 0)
    list(APPEND compiled ${case})
  elseif(NOT err MATCHES "nodiscard")
    message(FATAL_ERROR "case ${case} failed to compile for another reason:\n${err}")
  endif()
endforeach()
if(compiled)
  message(FATAL_ERROR "results ignored without a diagnostic in case(s) ${compiled} of ${SOURCE}")
endif()
message(STATUS "each of the ${CASES} ignored results is refused")
