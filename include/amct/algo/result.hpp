// amct/algo/result.hpp: what a calibration produces, in runtime form, and its conversion to typed qparams.
#pragma once

#include <cstddef>  // std::ptrdiff_t, std::size_t
#include <cstdint>  // std::int32_t
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/macros.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/qparams.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief Quantization parameters chosen by a calibration algorithm, one entry per channel (one for
/// per-tensor). clip_min/clip_max are the representable range, computed as AMCT computes its clip values
/// (docs/algorithms.md#ifmr-reference-algorithm, step 6): (2^(b-1) + offset) * (-scale), which is -0.0 for
/// offset = -2^(b-1), and (2^(b-1) - 1 - offset) * scale (docs/quantization.md#signed-zeros).
struct calibration_result
{
    int num_bits = 8;
    bool asymmetric = false;
    bool channel_wise = false;
    std::ptrdiff_t axis = 0;
    std::vector<float> scale;
    std::vector<std::int32_t> offset;
    std::vector<float> clip_min;
    std::vector<float> clip_max;

    quant_descriptor descriptor() const
    {
        return {num_bits, asymmetric, channel_wise};
    }
};

namespace detail
{
/// Signed range of a bit width: [-2^(b-1), 2^(b-1) - 1].
inline std::int32_t signed_qmin(int bits) noexcept
{
    return -(std::int32_t{1} << (bits - 1));
}

inline std::int32_t signed_qmax(int bits) noexcept
{
    return (std::int32_t{1} << (bits - 1)) - 1;
}
}  // namespace detail

/// Appends one channel's (scale, offset) with its representable range.
AMCT_DECL void push_channel(calibration_result& r, float scale, std::int32_t offset);

/// @brief The result as typed parameters of Spec.
/// @throws unsupported_error if Spec's bit width, scheme or granularity differs from the result's;
/// value_error for invalid values.
template <class Spec>
inline qparams<Spec> to_qparams(const calibration_result& r)
{
    if (r.num_bits != Spec::bits || r.asymmetric == Spec::is_symmetric
        || r.channel_wise != Spec::is_per_channel || !Spec::precision_type::is_signed)
    {
        detail::throw_error<unsupported_error>("calibration result (" + to_string(r.descriptor())
                                               + ") does not match the requested quant_spec");
    }
    qparams<Spec> qp;
    if constexpr (Spec::is_per_channel)
    {
        qp.axis = r.axis;
        qp.scale = xt::adapt(r.scale, {r.scale.size()});
        qp.offset = xt::adapt(r.offset, {r.offset.size()});
    }
    else
    {
        qp.scale = r.scale.at(0);
        qp.offset = r.offset.at(0);
        validate(qp);
    }
    return qp;
}
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/result.ipp>
#endif
