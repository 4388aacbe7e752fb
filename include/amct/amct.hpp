// amct/amct.hpp: everything amct offers. #include <amct/amct.hpp>
#pragma once

#include <amct/algo.hpp>
#include <amct/core.hpp>
