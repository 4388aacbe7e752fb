// amct/core/descriptor.hpp: a quantizer chosen at run time (as config files express it), dispatched once onto
// the compiled quant_spec set.
#pragma once

#include <string>  // std::string, std::to_string

#include <amct/base/error.hpp>
#include <amct/core/policies.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief A runtime description of a quantizer: what AMCT's config.json and quant.cfg say about it
/// (num_bits, asymmetric, channel_wise).
struct quant_descriptor
{
    int num_bits = 8;         ///< 4, 6, 7, 8 or 16 (signed storage; 6 and 7 are AMCT's narrow weight ranges)
    bool asymmetric = false;  ///< false: symmetric, offset 0
    bool channel_wise = false;  ///< true: per_channel (the axis is runtime data of qparams)
};

inline std::string to_string(const quant_descriptor& d)
{
    return "int" + std::to_string(d.num_bits) + (d.asymmetric ? " asymmetric" : " symmetric")
           + (d.channel_wise ? " per_channel" : " per_tensor");
}

/// @brief Calls f(Spec{}) with the quant_spec that matches `d` and returns what f returns (every
/// instantiation must return the same type). Rounding and scaling are compile-time choices of the caller.
/// @throws unsupported_error for a bit width outside {4, 6, 7, 8, 16}.
template <class Rounding = round_half_to_even, class Scaling = divide_by_scale, class F>
inline decltype(auto) dispatch(const quant_descriptor& d, F&& f)
{
    auto with_precision = [&](auto precision_tag) -> decltype(auto)
    {
        using P = decltype(precision_tag);
        auto with_scheme = [&](auto scheme_tag) -> decltype(auto)
        {
            using S = decltype(scheme_tag);
            if (d.channel_wise)
            {
                return f(quant_spec<P, S, per_channel, Rounding, Scaling>{});
            }
            return f(quant_spec<P, S, per_tensor, Rounding, Scaling>{});
        };
        if (d.asymmetric)
        {
            return with_scheme(asymmetric{});
        }
        return with_scheme(symmetric{});
    };
    switch (d.num_bits)
    {
        case 4:
            return with_precision(int4{});
        case 6:
            return with_precision(int6{});
        case 7:
            return with_precision(int7{});
        case 8:
            return with_precision(int8{});
        case 16:
            return with_precision(int16{});
        default:
            detail::throw_error<unsupported_error>("num_bits = " + std::to_string(d.num_bits)
                                                   + " (supported: 4, 6, 7, 8, 16)");
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
