// The README's quick start, verbatim between the markers (tools/check_readme.py keeps them equal).
// [readme:quickstart]
#include <iostream>

#include <amct/amct.hpp>

int main()
{
    // A conv weight [out_channels, in_channels, kh, kw] and an activation tensor.
    xt::xtensor<float, 4> weight =
      xt::sin(xt::reshape_view(xt::arange<float>(0.0f, 216.0f), {8, 3, 3, 3})) * 0.1f;
    xt::xtensor<float, 4> act = xt::cos(xt::reshape_view(xt::arange<float>(0.0f, 768.0f), {1, 3, 16, 16}));

    // AMCT's ARQ: symmetric int8 weights, one scale per output channel (axis 0).
    using weight_spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
    const auto wq = amct::minmax_qparams<weight_spec>(weight, 0);
    const xt::xtensor<std::int8_t, 4> w_int8 = amct::quantize(weight, wq);

    // Asymmetric per-tensor activations from an observed range, simulated in float.
    using act_spec = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_tensor>;
    const auto aq = amct::choose_qparams<act_spec>(amct::tensor_range(act));
    const auto act_sim = amct::fake_quantize(act, aq);

    std::cout << "scale_w[0] = " << wq.scale(0) << ", w_int8[0,0,0,1] = " << int(w_int8(0, 0, 0, 1))
              << ", scale_d = " << aq.scale << ", offset_d = " << aq.offset
              << ", max |error| = " << xt::amax(xt::abs(act_sim - act))() << "\n";
}

// [readme:quickstart]
