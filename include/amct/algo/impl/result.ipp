// amct/algo/impl/result.ipp: the definitions of <amct/algo/result.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/result.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void push_channel(calibration_result& r, float scale, std::int32_t offset)
{
    r.scale.push_back(scale);
    r.offset.push_back(offset);
    r.clip_min.push_back(static_cast<float>(detail::signed_qmin(r.num_bits) - offset) * scale);
    r.clip_max.push_back(static_cast<float>(detail::signed_qmax(r.num_bits) - offset) * scale);
}
}  // namespace AMCT_ABI
}  // namespace amct
