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
    // clang-format off
    // AMCT's float32 arithmetic (OSS-PY ifmr_impl.py, ifmr_forward_pytorch):
    //   clip_max = (2^(b-1) - 1 - offset) * scale
    //   clip_min = (2^(b-1) + offset) * (-scale)      -0.0 when offset = -2^(b-1)
    // The integer parts are exact in float; only the sign of a zero clip_min differs from (qmin - offset) * scale.
    // clang-format on
    r.clip_min.push_back(static_cast<float>(offset - detail::signed_qmin(r.num_bits)) * -scale);
    r.clip_max.push_back(static_cast<float>(detail::signed_qmax(r.num_bits) - offset) * scale);
}
}  // namespace AMCT_ABI
}  // namespace amct
