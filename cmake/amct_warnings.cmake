# amct_target_options(<target>): warnings (and -Werror, sanitizers) for amct's own tests, examples and benchmarks.
# Never applied to the amct INTERFACE target itself, so users keep their own flags.
function(amct_target_options target)
    set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        target_compile_options(${target} PRIVATE
            -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast)
        if(AMCT_WERROR)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
        if(AMCT_SANITIZE)
            target_compile_options(${target} PRIVATE
                -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer)
            target_link_options(${target} PRIVATE -fsanitize=address,undefined,float-cast-overflow)
        endif()
    endif()
endfunction()
