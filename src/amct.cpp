// src/amct.cpp: the amct library (CMake target amct, amct::amct): amct's non-template functions, compiled
// once for the library's instruction set (AMCT_COMPILED_ISA_ID).
#include <amct/src.hpp>
