// amct/analysis/simulation.hpp: simulated mixed-precision inference in the user's runtime. A plan gives each
// layer a precision:
// clang-format off
//   int8 / int16  input fake-quantized with the layer's scale_d and offset_d
//                 (docs/quantization.md#the-fake-quant-model), weight fake-quantized with scale_w,
//                 bias = bias_int * scale_d * scale_w (the device's int32 bias);
//   float16       input, weight, bias and output rounded to half precision (round to nearest even);
//   float32       the float weight and bias after BN fusion, nothing changed.
// clang-format on
// Layers absent from a plan run in float32. The simulator writes the parameters through the model_adapter
// (only those that change between plans) and changes activations through the runner's layer_hook.
#pragma once

#include <cstddef>    // std::size_t
#include <map>        // std::map
#include <numeric>    // std::iota
#include <set>        // std::set
#include <stdexcept>  // std::out_of_range
#include <string>     // std::string
#include <tuple>      // std::tie
#include <vector>     // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/pipeline/deploy.hpp>
#include <amct/pipeline/quantized_model.hpp>
#include <amct/pipeline/runtime.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// How one layer runs in a simulation.
struct layer_setting
{
    qtype p = qtype::float32;
    const quantized_layer* q = nullptr;  ///< int8 / int16: the calibrated layer (its activation's bit width)
    bool quantize_input = true;          ///< false: AMCT's calibration model (fake-quantized weight, float
                                         ///< bias and input)

    bool operator==(const layer_setting& o) const
    {
        return p == o.p && q == o.q && quantize_input == o.quantize_input;
    }
};

/// Layer name -> setting; layers not listed run in float32.
using simulation_plan = std::map<std::string, layer_setting>;

/// A calibrated layer in int8 or int16 by its activation's bit width.
inline layer_setting int_setting(const quantized_layer& q, bool quantize_input = true)
{
    return {q.activation.num_bits == 16 ? qtype::int16 : qtype::int8, &q, quantize_input};
}

/// Every layer of `m` at precision `p` (int8 and int16 take their factors from `m`).
AMCT_DECL simulation_plan uniform_plan(const quantized_model& m, qtype p);

/// @brief Runs a user's model under simulation plans and compares it with the float model.
///
/// `base` (a calibration's result) names the quantizable layers and holds their float parameters after BN
/// fusion; the runtime must hold the fused graph (the session's). Plans may point into other calibrations of
/// the same model (another method, int16). The runtime keeps the parameters of the last plan run.
class simulator
{
public:
    simulator(model_adapter& model, model_runner& runner, const quantized_model& base)
      : m_model(&model)
      , m_runner(&runner)
      , m_base(&base)
    {
    }

    const quantized_model& base() const noexcept
    {
        return *m_base;
    }

    model_runner& runner() noexcept
    {
        return *m_runner;
    }

    /// All batches of the runner: 0, 1, ..., batch_count() - 1.
    AMCT_DECL std::vector<std::size_t> all_batches() const;

    /// `batches`, or all batches when it is empty.
    std::vector<std::size_t> batches_or_all(const std::vector<std::size_t>& batches) const
    {
        return batches.empty() ? all_batches() : batches;
    }

    /// @brief Writes the parameters `plan` needs (those that differ from the last plan).
    /// @throws value_error for a layer `base` does not know, an int setting without factors or whose bit
    /// width is not the precision's.
    AMCT_DECL void apply(const simulation_plan& plan);

    /// Forgets what was applied for `layer`, whose quantized_layer changed in place (bias_correction): the
    /// next run writes its parameters again.
    void changed(const std::string& layer)
    {
        m_applied.erase(layer);
    }

    /// @brief Runs batch `b` under `plan`. `extra` sees each input after the plan changed it and each output
    /// after the plan changed it. Returns the model's outputs.
    AMCT_DECL std::vector<xt::xarray<float>> run(const simulation_plan& plan,
                                                 std::size_t b,
                                                 layer_hook* extra = nullptr);

    /// The float model's outputs on batch `b` (computed once).
    AMCT_DECL const std::vector<xt::xarray<float>>& reference(std::size_t b);

    /// @brief The model's outputs under `plan` against the float model's on `batches`, all outputs of a batch
    /// concatenated. @throws shape_error when the runner's outputs change shape between runs.
    AMCT_DECL comparison evaluate(const simulation_plan& plan, const std::vector<std::size_t>& batches);

    /// Adds a run's outputs to a comparison with the reference outputs. @throws shape_error.
    AMCT_DECL static void add_outputs(comparison& c,
                                      const std::vector<xt::xarray<float>>& reference,
                                      const std::vector<xt::xarray<float>>& actual);

private:
    /// Applies a plan's activation changes, then hands the values to `extra`.
    class plan_hook : public layer_hook
    {
    public:
        plan_hook(const simulation_plan& plan, layer_hook* extra)
          : m_plan(plan)
          , m_extra(extra)
        {
        }

        AMCT_DECL bool wants_input(const std::string& layer) const override;

        AMCT_DECL void input(const std::string& layer,
                             float* data,
                             const std::vector<std::size_t>& shape) override;

        AMCT_DECL bool wants_output(const std::string& layer) const override;

        AMCT_DECL void output(const std::string& layer,
                              float* data,
                              const std::vector<std::size_t>& shape) override;

    private:
        AMCT_DECL const layer_setting* find(const std::string& layer) const;

        const simulation_plan& m_plan;
        layer_hook* m_extra;
    };

    AMCT_DECL void set_params(const quantized_layer& f, const layer_setting& s);

    /// Whether the runtime holds a bias for the layer: its own, or one an int plan created (bias_correction
    /// of a layer without bias).
    bool has_bias(const quantized_layer& f) const
    {
        return f.bias_float || m_bias_created.count(f.name) != 0;
    }

    /// The float model's bias (zeros where an int plan created one).
    static xt::xarray<float> float_bias(const quantized_layer& f)
    {
        return f.bias_float ? *f.bias_float : xt::xarray<float>(xt::zeros<float>({f.channels}));
    }

    model_adapter* m_model;
    model_runner* m_runner;
    const quantized_model* m_base;
    std::map<std::string, layer_setting> m_applied;
    std::map<std::size_t, std::vector<xt::xarray<float>>> m_reference;
    std::set<std::string> m_bias_created;  ///< layers without float bias given one by an int plan
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/simulation.ipp>
#endif
