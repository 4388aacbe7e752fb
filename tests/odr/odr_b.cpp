// Built with -mavx2 -mfma and linked with odr_a.cpp: each TU must keep the kernels of its own instruction
// set.
#include <cstdio>
#include <string>

#include <amct/amct.hpp>

std::string odr_a_arch();
int odr_a_quantize(float x);

int main()
{
    using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
    const int b = amct::quantize(xt::xtensor<float, 1>{3.0f}, amct::qparams<spec>{0.5f, 0})(0);
    const std::string arch_b = amct::kernel::arch_name();
    std::printf("odr: a uses %s, b uses %s, quantize %d %d\n",
                odr_a_arch().c_str(),
                arch_b.c_str(),
                odr_a_quantize(3.0f),
                b);
    return odr_a_arch() != arch_b && odr_a_quantize(3.0f) == 6 && b == 6 ? 0 : 1;
}
