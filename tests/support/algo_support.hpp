// Helpers shared by the calibration-algorithm tests (tests/algo).
#pragma once

#include <amct/algo/ifmr.hpp>

namespace amct_test
{
inline amct::ifmr_params ifmr_defaults(bool asymmetric)
{
    amct::ifmr_params p;
    p.asymmetric = asymmetric;
    return p;
}
}  // namespace amct_test
