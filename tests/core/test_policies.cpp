// amct/core/policies.hpp: the precision types and quant_spec's granularity switch (compile-time checks).
#include <type_traits>

#include <doctest/doctest.h>

#include <amct/core/policies.hpp>

namespace
{
using sym8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using sym8c = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
static_assert(amct::int8::bits == 8 && amct::int4::bits == 4 && amct::int6::bits == 6
              && amct::int7::bits == 7);
static_assert(amct::int16::bits == 16 && amct::uint8::bits == 8);
static_assert(amct::int7::qmin == -64 && amct::int7::qmax == 63);
static_assert(std::is_same_v<amct::with_granularity_t<sym8, amct::per_channel>, sym8c>);
}  // namespace
