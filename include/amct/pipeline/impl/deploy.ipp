// amct/pipeline/impl/deploy.ipp: the definitions of <amct/pipeline/deploy.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/pipeline/deploy.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL float bias_floor_scale(float b, float scale_d, float current) noexcept
{
    if (!std::isfinite(b) || !std::isfinite(scale_d) || !(scale_d > 0.0f) || std::isnan(current))
    {
        return std::numeric_limits<float>::infinity();
    }
    const double need = std::fabs(static_cast<double>(b)) / (static_cast<double>(scale_d) * 2147483647.0);
    float s = static_cast<float>(need);
    s = s < current ? current : s;
    const auto fits = [&](float t)
    {
        return fits_int32(bias_quotient(b, scale_d * t));
    };
    // fits(t) is monotone in t (scale_d * t rounds monotonically, |b / deq| falls as deq grows), and the bit
    // patterns of non-negative floats are ordered as the floats: the smallest fitting float in
    // [s, FLT_MAX] is found by bisection over the bits, at most 32 steps.
    constexpr float top = std::numeric_limits<float>::max();
    if (!(s <= top) || !fits(top))
    {
        return std::numeric_limits<float>::infinity();  // no finite weight scale fits
    }
    std::uint32_t lo, hi;  // the answer's bits are in [lo, hi]; fits(float of hi) holds
    s = s > 0.0f ? s : 0.0f;
    std::memcpy(&lo, &s, sizeof lo);
    std::memcpy(&hi, &top, sizeof hi);
    while (lo < hi)  // hi - lo halves each step: at most 32 steps
    {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        float t;
        std::memcpy(&t, &mid, sizeof t);
        if (fits(t))
        {
            hi = mid;
        }
        else
        {
            lo = mid + 1;
        }
    }
    std::memcpy(&s, &hi, sizeof s);
    return s;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL bias_quantization quantize_bias(const float* bias,
                                          std::size_t channels,
                                          float scale_d,
                                          std::vector<float>& scale_w,
                                          const std::string& layer)
{
    bias_quantization out;
    const bool per_tensor = scale_w.size() == 1;
    if (!per_tensor && scale_w.size() != channels)
    {
        detail::throw_error<shape_error>("layer \"" + layer + "\": " + std::to_string(scale_w.size())
                                         + " weight scales for " + std::to_string(channels) + " channels");
    }
    std::vector<float> raised = scale_w;  // scale_w changes only when nothing throws
    auto sw = [&](std::size_t c) -> float&
    {
        return raised[per_tensor ? 0 : c];
    };
    if (bias)
    {
        for (std::size_t c = 0; c < channels; ++c)
        {
            if (!std::isfinite(bias[c]))
            {
                detail::throw_error<value_error>("layer \"" + layer + "\": bias of output channel "
                                                 + std::to_string(c) + " is "
                                                 + detail::number_to_string(bias[c]));
            }
            if (!detail::fits_int32(detail::bias_quotient(bias[c], scale_d * sw(c))))
            {
                const float before = sw(c);
                const float lowest = detail::bias_floor_scale(bias[c], scale_d, before);
                if (!std::isfinite(lowest))
                {
                    detail::throw_error<value_error>(
                      "layer \"" + layer + "\": the int32 bias of output channel " + std::to_string(c)
                      + " (bias " + detail::number_to_string(bias[c]) + ", scale_d "
                      + detail::number_to_string(scale_d) + ") overflows for every finite weight scale");
                }
                sw(c) = lowest;
                out.notes.push_back(
                  "layer \"" + layer + "\": the int32 bias of output channel " + std::to_string(c) + " (bias "
                  + detail::number_to_string(bias[c]) + ", scale_d " + detail::number_to_string(scale_d)
                  + ") overflows with weight scale " + detail::number_to_string(before) + "; weight scale "
                  + (per_tensor ? "" : "of that channel ") + "raised to " + detail::number_to_string(sw(c)));
            }
        }
    }
    out.deq_scale.resize(channels);
    for (std::size_t c = 0; c < channels; ++c)
    {
        out.deq_scale[c] = scale_d * sw(c);
    }
    if (bias)
    {
        out.bias.resize(channels);
        for (std::size_t c = 0; c < channels; ++c)
        {
            out.bias[c] = static_cast<std::int32_t>(detail::bias_quotient(bias[c], out.deq_scale[c]));
        }
    }
    scale_w = std::move(raised);
    return out;
}

AMCT_DECL std::uint64_t pack_deq_scale(float deq_scale, std::int32_t offset_w) noexcept
{
    std::uint32_t bits;
    std::memcpy(&bits, &deq_scale, sizeof bits);
    return (static_cast<std::uint64_t>(static_cast<std::uint8_t>(offset_w)) << 32) | bits;
}

AMCT_DECL void fake_quantize_activation(float* data,
                                        std::size_t n,
                                        float scale_d,
                                        std::int32_t offset_d,
                                        int num_bits)
{
    auto x = xt::adapt(data, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
    detail::with_activation_qparams(scale_d,
                                    offset_d,
                                    num_bits,
                                    [&](const auto& qp)
                                    {
                                        fake_quantize(x, qp, x);
                                    });
}
}  // namespace AMCT_ABI
}  // namespace amct
