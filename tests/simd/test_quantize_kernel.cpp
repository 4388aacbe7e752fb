// The contiguous kernels equal the scalar reference bit for bit (built once per instruction set: default,
// -mavx2 -mfma, and AMCT_USE_XSIMD=0), and the reference itself gives the documented values.
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include <amct/core/policies.hpp>
#include <amct/core/reference.hpp>
#include <amct/simd/quantize_kernel.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::bits;
using s8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using a8 = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_tensor>;
using u8 = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_tensor>;
using s4 = amct::quant_spec<amct::int4, amct::symmetric, amct::per_tensor>;
using a4 = amct::quant_spec<amct::int4, amct::asymmetric, amct::per_tensor>;
using s6 = amct::quant_spec<amct::int6, amct::symmetric, amct::per_tensor>;
using a16 = amct::quant_spec<amct::int16, amct::asymmetric, amct::per_tensor>;
using s8_away =
  amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor, amct::round_half_away_from_zero>;

using a8_recip = amct::quant_spec<amct::int8,
                                  amct::asymmetric,
                                  amct::per_tensor,
                                  amct::round_half_to_even,
                                  amct::multiply_by_reciprocal>;

// Custom precisions with other storage types take the generic (non-packing) store and load.
using u16c = amct::quant_spec<amct::precision<std::uint16_t, 0, 65535>, amct::asymmetric, amct::per_tensor>;
using i32c =
  amct::quant_spec<amct::precision<std::int32_t, -1000000, 1000000>, amct::asymmetric, amct::per_tensor>;
using charc = amct::quant_spec<amct::precision<char, -100, 100>, amct::symmetric, amct::per_tensor>;

using u8_away_recip = amct::quant_spec<amct::uint8,
                                       amct::asymmetric,
                                       amct::per_tensor,
                                       amct::round_half_away_from_zero,
                                       amct::multiply_by_reciprocal>;

template <class Spec>
std::int32_t pick_offset(std::uint32_t seed)
{
    if constexpr (Spec::is_symmetric)
    {
        (void)seed;
        return 0;
    }
    else
    {
        return Spec::qmin
               + static_cast<std::int32_t>(seed % static_cast<std::uint32_t>(Spec::qmax - Spec::qmin + 1));
    }
}

template <class Spec>
void check_uniform(std::size_t n, std::size_t shift, float scale, std::int32_t offset, std::uint32_t seed)
{
    using storage = typename Spec::storage_type;
    const auto data = amct_test::mixed_data(n + shift, scale, seed);
    const auto p = amct::make_element_params<Spec>(scale, offset);
    const amct::kernel::uniform_params u{p};

    std::vector<storage> q(n + shift, storage{0});
    amct::kernel::quantize<Spec>(data.data() + shift, q.data() + shift, n, u);
    std::vector<float> fq(n + shift), dq(n + shift);
    amct::kernel::fake_quantize<Spec>(data.data() + shift, fq.data() + shift, n, u);
    amct::kernel::dequantize<Spec>(q.data() + shift, dq.data() + shift, n, u);
    for (std::size_t i = shift; i < n + shift; ++i)
    {
        const storage ref_q = amct::reference::quantize<Spec>(data[i], p);
        const float ref_fq = amct::reference::fake_quantize<Spec>(data[i], p);
        if (q[i] != ref_q || bits(fq[i]) != bits(ref_fq) || bits(dq[i]) != bits(ref_fq))
        {
            INFO("n=", n, " i=", i, " x=", data[i], " scale=", scale, " offset=", offset);
            CHECK_EQ(static_cast<int>(q[i]), static_cast<int>(ref_q));
            CHECK_EQ(bits(fq[i]), bits(ref_fq));
            CHECK_EQ(bits(dq[i]), bits(ref_fq));
        }
    }
}
}  // namespace

TEST_CASE_TEMPLATE("kernel: SIMD equals the scalar reference for every length 0..257",
                   Spec,
                   s8,
                   a8,
                   u8,
                   s4,
                   a4,
                   s6,
                   a16,
                   s8_away,
                   a8_recip,
                   u8_away_recip,
                   u16c,
                   i32c,
                   charc)
{
    const float scales[] = {0.25f, 1.0f / 127.0f, 0.0173f, 3.7f, 1e-3f};
    for (std::size_t n = 0; n <= 257; ++n)
    {
        const auto seed = static_cast<std::uint32_t>(n * 7919u + 17u);
        const float scale = scales[n % 5];
        check_uniform<Spec>(n, 0, scale, pick_offset<Spec>(seed), seed);
        check_uniform<Spec>(n, 1 + n % 3, scale, pick_offset<Spec>(seed + 1), seed + 1);  // unaligned starts
    }
}

TEST_CASE_TEMPLATE("kernel: per-element parameter arrays equal the scalar reference",
                   Spec,
                   s8,
                   a8,
                   u8,
                   a8_recip)
{
    using storage = typename Spec::storage_type;
    for (std::size_t n : {0u, 1u, 3u, 4u, 5u, 8u, 15u, 16u, 17u, 33u, 64u, 100u, 257u})
    {
        const auto data = amct_test::mixed_data(n, 0.05f, static_cast<std::uint32_t>(n));
        std::vector<amct::element_params> ps(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            const float scale = 0.01f * static_cast<float>(1 + i % 7);
            ps[i] =
              amct::make_element_params<Spec>(scale, pick_offset<Spec>(static_cast<std::uint32_t>(i * 31)));
        }
        const amct::kernel::array_params a{ps.data()};
        std::vector<storage> q(n);
        std::vector<float> fq(n), dq(n);
        amct::kernel::quantize<Spec>(data.data(), q.data(), n, a);
        amct::kernel::fake_quantize<Spec>(data.data(), fq.data(), n, a);
        amct::kernel::dequantize<Spec>(q.data(), dq.data(), n, a);
        for (std::size_t i = 0; i < n; ++i)
        {
            INFO("n=", n, " i=", i, " x=", data[i]);
            CHECK_EQ(static_cast<int>(q[i]),
                     static_cast<int>(amct::reference::quantize<Spec>(data[i], ps[i])));
            CHECK_EQ(bits(fq[i]), bits(amct::reference::fake_quantize<Spec>(data[i], ps[i])));
            CHECK_EQ(bits(dq[i]), bits(fq[i]));
        }
    }
}

TEST_CASE("kernel: documented values for ties, saturation, Inf, NaN and denormals")
{
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float den = std::numeric_limits<float>::denorm_min();
    // 24 elements so that the vector body (not only the scalar tail) produces them at every width up to 16.
    const std::vector<float> x = {0.5f,  1.5f,    2.5f,    -0.5f,  -1.5f, -2.5f,  126.5f, 127.5f,
                                  200.f, -127.5f, -128.5f, -300.f, inf,   -inf,   nan,    -nan,
                                  den,   -den,    -0.0f,   0.0f,   3.49f, -3.51f, 1e38f,  -1e38f};
    const std::vector<int> even = {0,   2,    2, 0, -2, -2, 126, 127, 127, -128, -128, -128,
                                   127, -128, 0, 0, 0,  0,  0,   0,   3,   -4,   127,  -128};
    const std::vector<int> away = {1,   2,    3, -1, -2, -3, 127, 127, 127, -128, -128, -128,
                                   127, -128, 0, 0,  0,  0,  0,   0,   3,   -4,   127,  -128};
    std::vector<std::int8_t> q(x.size());
    amct::kernel::quantize<s8>(
      x.data(), q.data(), x.size(), amct::kernel::uniform_params{amct::make_element_params<s8>(1.0f, 0)});
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        INFO("i=", i, " x=", x[i]);
        CHECK_EQ(static_cast<int>(q[i]), even[i]);
    }
    amct::kernel::quantize<s8_away>(
      x.data(),
      q.data(),
      x.size(),
      amct::kernel::uniform_params{amct::make_element_params<s8_away>(1.0f, 0)});
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        INFO("i=", i, " x=", x[i]);
        CHECK_EQ(static_cast<int>(q[i]), away[i]);
    }

    SUBCASE("NaN maps to the offset and fake-quantizes to +0.0; -0.0 and tiny negatives give +0.0")
    {
        std::vector<float> fq(x.size());
        const auto p = amct::make_element_params<a8>(0.5f, 7);
        amct::kernel::quantize<a8>(x.data(), q.data(), x.size(), amct::kernel::uniform_params{p});
        amct::kernel::fake_quantize<a8>(x.data(), fq.data(), x.size(), amct::kernel::uniform_params{p});
        CHECK_EQ(static_cast<int>(q[14]), 7);
        CHECK_EQ(static_cast<int>(q[15]), 7);
        CHECK_EQ(bits(fq[14]), bits(0.0f));
        CHECK_EQ(bits(fq[17]), bits(0.0f));
        CHECK_EQ(bits(fq[18]), bits(0.0f));
        CHECK_EQ(static_cast<int>(q[12]), 127);   // +Inf
        CHECK_EQ(static_cast<int>(q[13]), -128);  // -Inf
        CHECK_EQ(fq[12], (127 - 7) * 0.5f);
        CHECK_EQ(fq[13], (-128 - 7) * 0.5f);
    }
}
