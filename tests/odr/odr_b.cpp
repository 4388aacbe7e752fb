// Built with -mavx2 -mfma and linked with odr_a.cpp and the amct library (compiled without -m flags): each TU
// must keep the kernels of its own instruction set. This one falls back to header-only (AMCT_COMPILED_ISA_ID
// is not its instruction set, amct/base/macros.hpp): it defines its own copies of the library's functions in
// its own ABI namespace, so the program links and runs no SSE2 code of amct here.
#include <cstdio>
#include <string>

#include <amct/amct.hpp>

std::string odr_a_arch();
int odr_a_quantize(float x);
int odr_a_header_only();
std::size_t odr_a_parse(const std::string& text);

int main()
{
    using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
    const int b = amct::quantize(xt::xtensor<float, 1>{3.0f}, amct::qparams<spec>{0.5f, 0})(0);
    const std::string arch_b = amct::kernel::arch_name();
    const std::string text = "a: 1 b { c: \"x\" } d: [1, 2]";
    const std::size_t parsed_b = amct::dsl::parse_text_format(text, "odr_b.cfg").fields.size();
    std::printf(
      "odr: a uses %s (header-only %d), b uses %s (header-only %d), quantize %d %d, parse %zu %zu\n",
      odr_a_arch().c_str(),
      odr_a_header_only(),
      arch_b.c_str(),
      AMCT_HEADER_ONLY,
      odr_a_quantize(3.0f),
      b,
      odr_a_parse(text),
      parsed_b);
    const bool fallback = odr_a_header_only() == 0 && AMCT_HEADER_ONLY == 1;  // a: the library; b: its own
    return odr_a_arch() != arch_b && odr_a_quantize(3.0f) == 6 && b == 6 && odr_a_parse(text) == 4
               && parsed_b == 4 && fallback
             ? 0
             : 1;
}
