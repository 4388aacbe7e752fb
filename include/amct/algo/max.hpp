// amct/algo/max.hpp: the max (min/max) method: the observed [min, max] per tensor or per channel, turned into
// scale and offset by choose_qparams' rules (PyTorch MinMaxObserver / PerChannelMinMaxObserver, ONNX Runtime
// MinMax, TensorRT MinMax; the same arithmetic as AMCT's ARQ and calculate_scale_offset).
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/algo/channels.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/simd/minmax_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class max_observer;

/// max: the observed [min, max] (PyTorch MinMaxObserver, ONNX Runtime MinMax, TensorRT MinMax). An extension.
struct max_params
{
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;

    static constexpr std::string_view name = "max";
    static constexpr std::string_view cfg_message = {};
    static constexpr std::string_view cfg_type = {};
    static constexpr bool extension = true;
    using observer = max_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = max_params;
        return std::make_tuple(make("asymmetric", &P::asymmetric, any{}, no_cfg, inherit),
                               make("num_bits", &P::num_bits, int_range{2, 16}),
                               make("channels", &P::channels, any{}, no_cfg, api_only));
    }

    template <class R>
    static void check(const max_params&, R&)
    {
    }
};

class max_observer : public observer_base
{
public:
    using params_type = max_params;
    static constexpr const char* algorithm = "max";
    static constexpr std::uint32_t state_version = 1;

    explicit max_observer(const max_params& params = {}, std::string layer = {})
      : observer_base(std::move(layer))
      , m_params(params)
    {
        require_valid(m_params, where());
    }

    const max_params& params() const noexcept
    {
        return m_params;
    }

    template <class E>
    void observe(const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(in.data(), in.shape());
    }

    /// @throws value_error for NaN/Inf, shape_error for a bad axis or another channel count; unchanged then.
    /// One pass: the finiteness check comes from the min/max fold itself.
    AMCT_DECL void observe(const float* x, const std::vector<std::size_t>& shape);

    AMCT_DECL void merge(const max_observer& other);

    /// @throws value_error if nothing was observed.
    AMCT_DECL calibration_result compute() const;

    AMCT_DECL std::string save() const;

    AMCT_DECL static max_observer load(const std::string& bytes);

private:
    max_params m_params;
    std::vector<kernel::minmax_result> m_ranges;  // one per channel
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/max.ipp>
#endif
