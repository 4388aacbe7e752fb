// amct/version.hpp: the single source of the library version (CMake parses these lines).
#pragma once

#define AMCT_VERSION_MAJOR 0
#define AMCT_VERSION_MINOR 1
#define AMCT_VERSION_PATCH 0

#define AMCT_VERSION (AMCT_VERSION_MAJOR * 10000 + AMCT_VERSION_MINOR * 100 + AMCT_VERSION_PATCH)
