# Runs one amct-config case and compares its exit code, stdout and stderr with a golden file.
#   cmake -DEXE=amct-config -DDIR=tests/data/cli -DARGS="check bad.json" -DEXPECTED=file -P cli_golden.cmake
# With the environment variable AMCT_UPDATE_GOLDEN=1 the golden file is rewritten instead (review the diff).
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND "${EXE}" ${args}
    WORKING_DIRECTORY "${DIR}"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(actual "$ amct-config ${ARGS}\nexit ${rc}\n--- stdout\n${out}--- stderr\n${err}")
if("$ENV{AMCT_UPDATE_GOLDEN}" STREQUAL "1")
    file(WRITE "${EXPECTED}" "${actual}")
    return()
endif()
if(NOT rc STREQUAL "${EXIT}")
    message(FATAL_ERROR "amct-config ${ARGS}: exit ${rc}, expected ${EXIT}\n${out}${err}")
endif()
file(READ "${EXPECTED}" expected)
if(NOT actual STREQUAL expected)
    get_filename_component(name "${EXPECTED}" NAME)
    file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/${name}.actual" "${actual}")
    execute_process(COMMAND diff -u "${EXPECTED}" "${CMAKE_CURRENT_BINARY_DIR}/${name}.actual")
    message(FATAL_ERROR "amct-config ${ARGS}: output differs from ${EXPECTED}")
endif()
