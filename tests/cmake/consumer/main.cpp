#include <cstdio>

#include <amct/amct.hpp>

int main()
{
    using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
    xt::xtensor<float, 2> w = {{0.5f, -1.0f}, {0.25f, 0.125f}};
    const auto q = amct::quantize(w, amct::minmax_qparams<spec>(w, 0));
    // and a function the compiled library defines (header-only: this translation unit)
    const auto doc = amct::dsl::parse_text_format("batch_num: 2", "consumer.cfg");
    const bool ok = q(0, 0) == 64 && q(0, 1) == -128 && q(1, 0) == 127  // row 0: |min| > |max|, L = 128
                    && doc.fields.size() == 1 && doc.fields[0].text == "2";
    std::printf("amct consumer: %s (amct %d.%d.%d, %s, %s)\n",
                ok ? "ok" : "WRONG",
                AMCT_VERSION_MAJOR,
                AMCT_VERSION_MINOR,
                AMCT_VERSION_PATCH,
                amct::kernel::arch_name(),
                AMCT_HEADER_ONLY ? "header-only" : "compiled");
    return ok ? 0 : 1;
}
