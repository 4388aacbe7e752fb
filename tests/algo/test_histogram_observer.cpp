// amct/algo/histogram_observer.hpp with its methods (percentile.hpp, kl.hpp, mse.hpp): sensible clips,
// exact merges, per channel.
#include <algorithm>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/histogram_observer.hpp>
#include <amct/algo/kl.hpp>
#include <amct/algo/mse.hpp>
#include <amct/algo/percentile.hpp>
#include <amct/tensor/quantize.hpp>
#include <amct/tensor/range.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

TEST_SUITE("histogram methods")
{
    TEST_CASE("percentile, KL and MSE choose sensible clips; merges are exact; per channel works")
    {
        std::mt19937 gen(11);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<float> x(40000);
        for (auto& v : x)
            v = normal(gen);
        x[17] = 40.0f;  // one outlier
        const xt::xtensor<float, 1> data = xt::adapt(x, {x.size()});

        amct::percentile_params pp;
        pp.max_percentile = 0.99;
        pp.asymmetric = false;
        amct::percentile_observer po(pp, "p");
        po.observe(data);
        const float t99 = po.compute().clip_max[0];
        CHECK(t99 > 2.3f);  // |N(0,1)| 99th percentile is 2.576
        CHECK(t99 < 2.8f);

        amct::kl_observer ko(amct::kl_params{}, "k");
        ko.observe(data);
        const auto kr = ko.compute();
        CHECK(kr.clip_max[0] > 2.0f);
        CHECK(kr.clip_max[0] < 20.0f);  // the outlier is clipped

        amct::mse_params mp;
        mp.asymmetric = false;
        amct::mse_observer mo(mp, "m");
        mo.observe(data);
        const float t_mse =
          mo.compute().clip_max[0];  // keeping the outlier in range costs less than clipping it
        // against the exact error on the raw data: the chosen candidate is within 2% of the best's error
        using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
        auto raw_error = [&](float t)
        {
            const auto qp = amct::choose_qparams<spec>({-t, t});
            return static_cast<double>(xt::sum(xt::square(amct::fake_quantize(data, qp) - data))());
        };
        double best = 1e300;
        for (int j = 1; j <= mp.num_candidates; ++j)
            best = std::min(best,
                            raw_error(40.0f * static_cast<float>(j) / static_cast<float>(mp.num_candidates)));
        CHECK(raw_error(t_mse) <= best * 1.02);

        // exact merges: any split gives identical histograms and results
        amct::kl_observer a(amct::kl_params{}, "k"), b(amct::kl_params{}, "k");
        a.observe(xt::view(data, xt::range(0, 12345)));
        b.observe(xt::view(data, xt::range(12345, 40000)));
        b.merge(a);
        CHECK_EQ(b.histograms()[0].counts(), ko.histograms()[0].counts());
        CHECK_EQ(b.compute().scale, kr.scale);
        CHECK_EQ(amct::kl_observer::load(b.save()).compute().scale, kr.scale);

        // per channel: channel c of [4, 3, 100] data scaled by (c + 1)
        xt::xtensor<float, 3> pc = xt::xtensor<float, 3>::from_shape({4, 3, 100});
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t c = 0; c < 3; ++c)
                for (std::size_t k = 0; k < 100; ++k)
                    pc(i, c, k) = normal(gen) * static_cast<float>(c + 1);
        amct::percentile_params pcp;
        pcp.channels = {true, 1};
        pcp.max_percentile = 1.0;
        pcp.min_percentile = 1.0;
        amct::percentile_observer pco(pcp, "pc");
        pco.observe(pc);
        const auto pcr = pco.compute();
        REQUIRE_EQ(pcr.scale.size(), 3u);
        const auto ranges = amct::channel_ranges(pc, 1);
        for (std::size_t c = 0; c < 3; ++c)
        {
            CHECK_EQ(pcr.clip_max[c], doctest::Approx(ranges.max(c)).epsilon(0.01));
        }
    }
}
