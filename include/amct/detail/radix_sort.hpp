// amct/detail/radix_sort.hpp: ascending LSD radix sort of finite floats (three 11-bit passes over
// order-preserving keys). Linear time; used to put calibration data in a canonical order.
#pragma once

#include <array>    // std::array
#include <cstdint>  // std::uint32_t
#include <cstring>  // std::memcpy
#include <vector>   // std::vector

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// Maps float bits to unsigned keys with the same order (negatives reversed, sign flipped).
inline std::uint32_t float_key(float v) noexcept
{
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

inline float key_float(std::uint32_t k) noexcept
{
    const std::uint32_t u = (k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k;
    float v;
    std::memcpy(&v, &u, 4);
    return v;
}

/// `v` sorted ascending (-0.0 before +0.0); `v` is not modified.
inline std::vector<float> radix_sorted(const std::vector<float>& v)
{
    const std::size_t n = v.size();
    if (n < 2)
    {
        return v;
    }
    std::vector<std::uint32_t> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i)
    {
        a[i] = float_key(v[i]);
    }
    for (int pass = 0; pass < 3; ++pass)
    {
        const int shift = 11 * pass;
        std::array<std::size_t, 2048> count{};
        for (std::uint32_t k : a)
        {
            ++count[(k >> shift) & 2047u];
        }
        std::size_t sum = 0;
        for (auto& c : count)
        {
            const std::size_t t = c;
            c = sum;
            sum += t;
        }
        for (std::uint32_t k : a)
        {
            b[count[(k >> shift) & 2047u]++] = k;
        }
        a.swap(b);
    }
    std::vector<float> out(n);
    for (std::size_t i = 0; i < n; ++i)
    {
        out[i] = key_float(a[i]);
    }
    return out;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
