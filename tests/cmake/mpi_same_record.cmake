# Runs examples/mpi_calibrate with 1 and with NP processes and requires the two record.txt to be equal byte for
# byte: calibration split over processes gives the single-process result.
#   cmake -DMPIEXEC=mpirun -DNP_FLAG=-n -DEXE=mpi_calibrate -DNP=2 -DOUT=dir "-DARGS=--algorithm hfmg" -P mpi_same_record.cmake
# Open MPI refuses to start as root without --allow-run-as-root, and more processes than cores without
# --oversubscribe.
separate_arguments(args UNIX_COMMAND "${ARGS}")
set(flags --oversubscribe)
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(uid STREQUAL "0")
    list(APPEND flags --allow-run-as-root)
endif()
foreach(np 1 ${NP})
    file(REMOVE_RECURSE "${OUT}/np${np}")
    execute_process(COMMAND "${MPIEXEC}" ${NP_FLAG} ${np} ${flags} "${EXE}" ${args} --out "${OUT}/np${np}"
        OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    message("--- ${np} process(es):\n${out}${err}")
    if(NOT rc STREQUAL "0")
        message(FATAL_ERROR "mpi_calibrate with ${np} process(es) failed (exit ${rc})")
    endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${OUT}/np1/record.txt" "${OUT}/np${NP}/record.txt"
    RESULT_VARIABLE same)
if(NOT same STREQUAL "0")
    execute_process(COMMAND diff "${OUT}/np1/record.txt" "${OUT}/np${NP}/record.txt")
    message(FATAL_ERROR "the record of ${NP} processes differs from the single-process record")
endif()
message("records equal byte for byte")
