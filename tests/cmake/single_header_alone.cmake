# A single header compiles alone: `#include <amct/HEADER>` with -I SINGLE_INCLUDE and the include directories
# of its own dependencies only (INCLUDES, |-separated; the compiler's own directories, IMPLICIT, left out),
# -std=c++17 -Wall -Wextra -Werror -fsyntax-only.
# With NO_BOOST, the preprocessor's list of the headers it read must name no Boost header (on Debian, Boost
# shares /usr/include with xtensor, so leaving its directory out proves nothing).
# cmake -DCXX=... -DSINGLE_INCLUDE=... -DHEADER=core.hpp -DINCLUDES=a|b -DIMPLICIT=c|d -DOUT=dir [-DNO_BOOST=ON]
#       -P single_header_alone.cmake
cmake_policy(VERSION 3.21)
file(MAKE_DIRECTORY "${OUT}")
set(source "${OUT}/${HEADER}.cpp")
file(WRITE "${source}" "#include <amct/${HEADER}>\n")
set(flags -std=c++17 -Wall -Wextra -Werror "-I${SINGLE_INCLUDE}")
string(REPLACE "|" ";" includes "${INCLUDES}")
string(REPLACE "|" ";" implicit "${IMPLICIT}")
list(REMOVE_DUPLICATES includes)
foreach(dir IN LISTS includes)
    if(dir AND NOT dir IN_LIST implicit)
        list(APPEND flags "-isystem${dir}")
    endif()
endforeach()
execute_process(COMMAND "${CXX}" ${flags} -fsyntax-only "${source}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "single_include/amct/${HEADER} does not compile alone")
endif()
if(NO_BOOST)
    execute_process(COMMAND "${CXX}" ${flags} -M "${source}" OUTPUT_VARIABLE deps RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "listing the headers of single_include/amct/${HEADER} failed")
    endif()
    string(REGEX MATCH "[^ \n\\\\]*/boost/[^ \n\\\\]*" boost "${deps}")
    if(boost)
        message(FATAL_ERROR "single_include/amct/${HEADER} reads a Boost header: ${boost}")
    endif()
endif()
message(STATUS "single_include/amct/${HEADER} compiles alone")
