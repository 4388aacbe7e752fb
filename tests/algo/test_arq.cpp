// amct/algo/arq.hpp and amct/algo/weight_quantize.hpp: ARQ against AMCT's vectors in every weight layout,
// and the quantized weights.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/arq.hpp>
#include <amct/algo/weight_quantize.hpp>
#include <amct/tensor/quantize.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;

/// The float32 bit patterns of a line's hex tokens after its tag.
std::vector<std::uint32_t> hex_tokens(std::istringstream& s)
{
    std::vector<std::uint32_t> out;
    std::string t;
    while (s >> t)
    {
        out.push_back(static_cast<std::uint32_t>(std::stoul(t, nullptr, 16)));
    }
    return out;
}

std::vector<std::uint32_t> bits_of(const float* v, std::size_t n)
{
    std::vector<std::uint32_t> out(n);
    for (std::size_t i = 0; i < n; ++i)
    {
        out[i] = amct_test::bits(v[i]);
    }
    return out;
}

template <class T>
std::vector<T> int_tokens(std::istringstream& s)
{
    std::vector<T> out;
    long v = 0;
    while (s >> v)
    {
        out.push_back(static_cast<T>(v));
    }
    return out;
}
}  // namespace

TEST_SUITE("arq")
{
    TEST_CASE("16-bit ARQ (extension): small ranges keep their scale")
    {
        const xt::xarray<float> w = {{1e-6f, -1e-5f, 5e-7f}, {0.0f, 0.0f, 0.0f}};
        amct::arq_params p;
        p.channel_wise = true;
        const auto r8 = amct::arq(w, p);
        CHECK(r8.scale == std::vector<float>{1.0f, 1.0f});  // AMCT: 1e-5 / 128 < FLT_EPS -> 1
        p.num_bits = 16;
        const auto r16 = amct::arq(w, p);
        CHECK(r16.scale[0] == 1e-5f / 32768.0f);  // |min| > |max|: 2^15 levels
        CHECK(r16.scale[1] == 1.0f);              // an all-zero row
        const auto q = amct::quantize_weight(w, r16);
        CHECK(q.q.size() == 0);
        CHECK(xt::amax(xt::abs(q.fake - w))() <= r16.scale[0] / 2);
    }

    TEST_CASE("test vectors (docs/algorithms.md#arq-test-vectors) and weight layouts")
    {
        xt::xtensor<float, 2> w = xt::zeros<float>({4, 12});
        for (std::size_t j = 0; j < 12; ++j)
        {
            w(0, j) = -1.0f;
            w(2, j) = 1.0f;
            w(3, j) = static_cast<float>(static_cast<int>(j % 3) - 1);
        }
        amct::arq_params p;
        p.channel_wise = false;
        const auto t = amct::arq(w, p);
        CHECK_EQ(t.scale, std::vector<float>{1.0f / 127.0f});
        CHECK_EQ(t.offset, std::vector<std::int32_t>{0});
        p.channel_wise = true;
        const auto c = amct::arq(w, p, amct::weight_layout::out_in, 1, "conv1");
        CHECK_EQ(c.scale, std::vector<float>{1.0f / 127.0f, 1.0f, 1.0f / 127.0f, 1.0f / 127.0f});
        const auto qw = amct::quantize_weight(w, c);
        CHECK_EQ(qw.q(0, 0), -127);
        CHECK_EQ(qw.q(3, 2), 127);
        CHECK(xt::amax(xt::abs(qw.fake - w))() <= 1e-2f);

        // The same weight in every layout gives the same per-channel scales.
        xt::xtensor<float, 4> oihw =
          xt::reshape_view(xt::sin(xt::arange<float>(0.0f, 6.0f * 2 * 3 * 3))
                             * xt::arange<float>(1.0f, 1.0f + 6 * 2 * 3 * 3) * 0.01f,
                           {6, 2, 3, 3});
        const auto ref = amct::arq(oihw, p);
        xt::xtensor<float, 4> hwio = xt::transpose(oihw, {2, 3, 1, 0});
        CHECK_EQ(amct::arq(hwio, p, amct::weight_layout::hwio).scale, ref.scale);
        xt::xtensor<float, 4> hwoi = xt::transpose(oihw, {2, 3, 0, 1});
        CHECK_EQ(amct::arq(hwoi, p, amct::weight_layout::hw_out_in).scale, ref.scale);
        // ConvTranspose [C_in, C_out/g, k, k] with g = 2: output channel c = g_index * 3 + j
        xt::xtensor<float, 4> iohw = xt::xtensor<float, 4>::from_shape({4, 3, 3, 3});
        for (std::size_t g = 0; g < 2; ++g)
            for (std::size_t i = 0; i < 2; ++i)
                for (std::size_t j = 0; j < 3; ++j)
                    for (std::size_t k = 0; k < 9; ++k)
                        iohw(g * 2 + i, j, k / 3, k % 3) = oihw(g * 3 + j, i, k / 3, k % 3);
        CHECK_EQ(amct::arq(iohw, p, amct::weight_layout::in_out_grouped, 2).scale, ref.scale);
        const auto qt = amct::quantize_weight(iohw,
                                              amct::arq(iohw, p, amct::weight_layout::in_out_grouped, 2),
                                              amct::weight_layout::in_out_grouped,
                                              2);
        const auto qo = amct::quantize_weight(oihw, ref);
        CHECK_EQ(qt.q(3, 2, 1, 1), qo.q(5, 1, 1, 1));  // same element in both layouts
        // depthwise TF [kh, kw, C_in, M]: channels C_in * M
        xt::xtensor<float, 4> dw = xt::reshape_view(xt::arange<float>(-36.0f, 36.0f), {3, 3, 4, 2});
        CHECK_EQ(amct::arq(dw, p, amct::weight_layout::hw_depthwise).scale.size(), 8u);
        // MatMul [K, N]: per column
        xt::xtensor<float, 2> kn = {{1.0f, -4.0f}, {2.0f, 0.5f}};
        CHECK_EQ(amct::arq(kn, p, amct::weight_layout::in_out).scale,
                 std::vector<float>{2.0f / 127.0f, 4.0f / 128.0f});
        // [K, N] quantized in place (channel axis 1) equals its transpose quantized as [N, K], int8 and fake,
        // per channel and per tensor, at 8 and 16 bits; a layer wider than one vector and with odd sizes
        for (const bool channel_wise : {true, false})
        {
            for (const int bits : {8, 16})
            {
                amct::arq_params pk;
                pk.channel_wise = channel_wise;
                pk.num_bits = bits;
                const xt::xtensor<float, 2> big =
                  xt::reshape_view(xt::sin(xt::arange<float>(0.0f, 37.0f * 19.0f))
                                     * xt::arange<float>(1.0f, 1.0f + 37.0f * 19.0f),
                                   {37, 19});
                const xt::xtensor<float, 2> big_t = xt::transpose(big);
                const auto r_kn = amct::arq(big, pk, amct::weight_layout::in_out);
                const auto q_kn = amct::quantize_weight(big, r_kn, amct::weight_layout::in_out);
                const auto q_nk =
                  amct::quantize_weight(big_t, amct::arq(big_t, pk), amct::weight_layout::out_in);
                CHECK(q_kn.fake == xt::xarray<float>(xt::transpose(q_nk.fake)));
                CHECK_EQ(q_kn.q.size(), bits == 8 ? big.size() : 0u);
                if (bits == 8)
                {
                    CHECK(q_kn.q == xt::xarray<std::int8_t>(xt::transpose(q_nk.q)));
                }
                CHECK(amct::fake_quantize_weight(big, r_kn, amct::weight_layout::in_out) == q_kn.fake);
            }
        }

        for (int bits : {4, 6, 7})
        {
            p.num_bits = bits;
            const auto r = amct::arq(w, p);
            const float levels = static_cast<float>((1 << (bits - 1)) - 1);
            CHECK_EQ(r.scale[0], 1.0f / levels);
            CHECK(xt::amax(xt::abs(amct::quantize_weight(w, r).q))() <= (1 << (bits - 1)));
        }
        p.num_bits = 5;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::arq(w, p, amct::weight_layout::out_in, 1, "fc");
                   }),
                 "amct: value error: layer \"fc\": weight num_bits = 5 must be 4, 6, 7, 8 or 16");
        p.num_bits = 8;
        w(1, 1) = std::nanf("");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::arq(w, p, amct::weight_layout::out_in, 1, "fc");
                   }),
                 "amct: value error: layer \"fc\": weight element 13 is not finite");
    }

    TEST_CASE("AMCT's arq_cali_pytorch bit for bit, symmetric and with_offset, the sign of zero included "
              "(docs/algorithms.md#arq; scripts/gen_amct_golden.py)")
    {
        const std::vector<float> data = amct_test::read_f32(AMCT_TEST_DATA_DIR "/algo/arq_weight.f32");
        REQUIRE_EQ(data.size(), 8u * 64u);
        const xt::xtensor<float, 2> w = xt::adapt(data, {std::size_t{8}, std::size_t{64}});
        const xt::xtensor<float, 2> w_t = xt::transpose(w);  // the same weight as MatMul's [K, N]
        std::ifstream in(AMCT_TEST_DATA_DIR "/algo/arq_amct_golden.txt");
        REQUIRE(in);
        std::string line;
        int cases = 0;
        std::size_t negative_zeros = 0;
        amct::arq_params p;
        while (std::getline(in, line))
        {
            std::istringstream s(line);
            std::string tag;
            s >> tag;
            if (tag == "case")
            {
                int channel_wise = 0, with_offset = 0;
                s >> p.num_bits >> channel_wise >> with_offset;
                p.channel_wise = channel_wise != 0;
                p.with_offset = with_offset != 0;
                continue;
            }
            if (tag != "scale")
            {
                continue;
            }
            CAPTURE(p.num_bits);
            CAPTURE(p.channel_wise);
            CAPTURE(p.with_offset);
            const std::vector<std::uint32_t> scale = hex_tokens(s);
            std::getline(in, line);
            std::istringstream so(line.substr(line.find(' ') + 1));
            const auto offset = int_tokens<std::int32_t>(so);
            std::getline(in, line);
            std::istringstream sf(line.substr(line.find(' ') + 1));
            const std::vector<std::uint32_t> fake = hex_tokens(sf);
            std::getline(in, line);
            std::istringstream sq(line.substr(line.find(' ') + 1));
            const auto q = int_tokens<int>(sq);

            const auto r = amct::arq(w, p, amct::weight_layout::out_in, 1, "conv");
            CHECK_EQ(r.asymmetric, p.with_offset);
            CHECK_EQ(bits_of(r.scale.data(), r.scale.size()), scale);
            CHECK_EQ(r.offset, offset);
            const auto qw = amct::quantize_weight(w, r);
            CHECK_EQ(bits_of(qw.fake.data(), qw.fake.size()), fake);
            CHECK_EQ(std::vector<int>(qw.q.begin(), qw.q.end()), q);
            const auto fake_only = amct::fake_quantize_weight(w, r);
            CHECK_EQ(bits_of(fake_only.data(), fake_only.size()), fake);
            // [K, N] (channel axis 1): the same results, transposed
            const auto r_t = amct::arq(w_t, p, amct::weight_layout::in_out);
            CHECK_EQ(bits_of(r_t.scale.data(), r_t.scale.size()), scale);
            const xt::xarray<float> fake_t =
              xt::transpose(amct::quantize_weight(w_t, r_t, amct::weight_layout::in_out).fake);
            CHECK_EQ(bits_of(fake_t.data(), fake_t.size()), fake);
            for (const std::uint32_t b : fake)
            {
                negative_zeros += b == 0x80000000u;
            }
            ++cases;
        }
        CHECK_EQ(cases, 16);
        CHECK(negative_zeros > 0);  // the property under test occurs in the data
    }

    TEST_CASE("signed zeros: ARQ's fake weight follows AMCT (-0.0), the core fake_quantize PyTorch (+0.0) "
              "(docs/quantization.md#signed-zeros)")
    {
        const xt::xtensor<float, 2> w = {{127.0f, -0.3f, -0.5f, -0.0f, 0.3f, -1e-30f}};
        amct::arq_params p;
        const auto r = amct::arq(w, p);
        REQUIRE_EQ(r.scale, std::vector<float>{1.0f});
        const auto fake = amct::quantize_weight(w, r).fake;
        // x / s in [-0.5, 0) rounds to -0.0 and (q - 0) * s stays -0.0; x = -0.0 gives -0.0 + 0 = +0.0
        CHECK_EQ(bits_of(fake.data(), fake.size()),
                 std::vector<std::uint32_t>{0x42fe0000u, 0x80000000u, 0x80000000u, 0u, 0u, 0x80000000u});
        const auto qp = amct::to_qparams<amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>>(r);
        const xt::xarray<float> torch_form = amct::fake_quantize(w, qp);
        for (const float v : torch_form)
        {
            CHECK_NE(amct_test::bits(v), 0x80000000u);  // PyTorch's fake_quantize_per_channel_affine
        }
        // with_offset: (q - o) * s with q = o gives +0.0
        p.with_offset = true;
        const auto ra = amct::arq(w, p);
        CHECK(ra.asymmetric);
        const auto fa = amct::quantize_weight(w, ra).fake;
        for (const float v : fa)
        {
            CHECK_NE(amct_test::bits(v), 0x80000000u);
        }
    }

    TEST_CASE("with_offset is set through the API only: AMCT's config files have no key for it")
    {
        // has_field is what the config.json and quant.cfg readers ask of a key
        CHECK_FALSE(amct::has_field<amct::arq_params>("with_offset"));
        CHECK(amct::has_field<amct::arq_params>("channel_wise"));
        CHECK_NE(amct::field_bit<amct::arq_params>("with_offset"), amct::field_set{0});
        amct::arq_params p;
        CHECK_FALSE(p.with_offset);  // AMCT's WEIGHT_OFFSET = False
    }
}
