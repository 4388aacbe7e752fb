// Built without -m flags: its amct symbols live in amct::abi_v0_sse2 (or the scalar ABI).
#include <string>

#include <amct/amct.hpp>

std::string odr_a_arch()
{
    return amct::kernel::arch_name();
}

int odr_a_quantize(float x)
{
    using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
    return amct::quantize(xt::xtensor<float, 1>{x}, amct::qparams<spec>{0.5f, 0})(0);
}
