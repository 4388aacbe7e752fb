// Built without -m flags, like the amct library it links (amct::amct): its amct symbols live in
// amct::abi_v0_sse2 (or the scalar ABI), and it uses the library's compiled definitions.
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

int odr_a_header_only()
{
    return AMCT_HEADER_ONLY;
}

std::size_t odr_a_parse(const std::string& text)
{
    return amct::dsl::parse_text_format(text, "odr_a.cfg").fields.size();
}
