#include <cstdio>

#include <amct/core.hpp>

int main()
{
    using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
    xt::xtensor<float, 2> w = {{0.5f, -1.0f}, {0.25f, 0.125f}};
    const auto q = amct::quantize(w, amct::minmax_qparams<spec>(w, 0));
    const bool ok = q(0, 0) == 64 && q(0, 1) == -128 && q(1, 0) == 127;  // row 0: |min| > |max|, L = 128
    std::printf("amct core consumer: %s (amct %d.%d.%d, %s)\n",
                ok ? "ok" : "WRONG",
                AMCT_VERSION_MAJOR,
                AMCT_VERSION_MINOR,
                AMCT_VERSION_PATCH,
                amct::kernel::arch_name());
    return ok ? 0 : 1;
}
