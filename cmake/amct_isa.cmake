# amct_compiled_isa_id(<var>): the AMCT_ABI_ISA_ID (include/amct/base/macros.hpp) of a translation unit built with
# the flags the amct library gets (CMAKE_CXX_FLAGS and the build type's, AMCT_USE_XSIMD), read from the compiled
# object rather than run, so that it works when cross-compiling too; empty when it cannot be found. Flags given
# to the amct target itself afterwards (target_compile_options) are not seen: src/amct.cpp then fails to compile
# (amct/src.hpp checks AMCT_COMPILED_ISA_ID) instead of linking code of another instruction set.
function(amct_compiled_isa_id var)
    set(_dir ${CMAKE_CURRENT_BINARY_DIR}/amct_isa)
    file(WRITE ${_dir}/isa.cpp [=[
#include <amct/base/macros.hpp>
#define AMCT_ISA_STR2(x) #x
#define AMCT_ISA_STR(x) AMCT_ISA_STR2(x)
extern const char amct_isa_info[];
const char amct_isa_info[] = "INFO:amct_isa_id[" AMCT_ISA_STR(AMCT_ABI_ISA_ID) "]";
]=])
    set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
    if(CMAKE_BUILD_TYPE)
        set(CMAKE_TRY_COMPILE_CONFIGURATION ${CMAKE_BUILD_TYPE})
    endif()
    if(AMCT_USE_XSIMD)
        set(_xsimd 1)
    else()
        set(_xsimd 0)
    endif()
    try_compile(_ok ${_dir}/build SOURCES ${_dir}/isa.cpp
        CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${PROJECT_SOURCE_DIR}/include"
        COMPILE_DEFINITIONS -DAMCT_USE_XSIMD=${_xsimd}
        CXX_STANDARD 17
        COPY_FILE ${_dir}/isa.a
        OUTPUT_VARIABLE _log)
    set(_id "")
    if(_ok)
        file(STRINGS ${_dir}/isa.a _info REGEX "INFO:amct_isa_id\\[[0-9]+\\]")
        if(_info MATCHES "INFO:amct_isa_id\\[([0-9]+)\\]")
            set(_id ${CMAKE_MATCH_1})
        endif()
    endif()
    if(_id)
        message(STATUS "amct: the amct library's instruction set: AMCT_COMPILED_ISA_ID=${_id}")
    endif()
    set(${var} "${_id}" PARENT_SCOPE)
endfunction()
