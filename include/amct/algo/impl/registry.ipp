// amct/algo/impl/registry.ipp: the definitions of <amct/algo/registry.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/registry.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL algorithm_params default_params(std::string_view name)
{
    algorithm_params out;
    if (!visit_algorithm<all_algorithms>(name,
                                         [&](auto p)
                                         {
                                             out = p;
                                         }))
    {
        std::string known;
        for (const auto n : algorithm_names)
        {
            known += (known.empty() ? "" : ", ") + std::string(n);
        }
        detail::throw_error<unsupported_error>("calibration algorithm \"" + std::string(name)
                                               + "\" (known: " + known + ")");
    }
    return out;
}

AMCT_DECL bool merge_is_exact(const algorithm_params& p) noexcept
{
    return std::visit(
      [](const auto& x)
      {
          using P = std::decay_t<decltype(x)>;
          if constexpr (detail::has_observer<P>::value)
          {
              return P::observer::exact_merge;
          }
          else
          {
              return false;
          }
      },
      p);
}

AMCT_DECL any_observer& any_observer::operator=(const any_observer& o)
{
    m_impl = o.m_impl->clone();
    return *this;
}

AMCT_DECL void any_observer::observe_as(std::size_t index,
                                        const float* x,
                                        const std::vector<std::size_t>& shape)
{
    m_impl->label_batches(index);
    m_impl->observe(x, shape);
}

AMCT_DECL any_observer any_observer::load(const std::string& bytes)
{
    const std::string name = state_reader::algorithm_of(bytes);
    any_observer o;
    std::apply(
      [&](auto... defaults)
      {
          (
            [&](auto p)
            {
                using O = typename decltype(p)::observer;
                if (!o.m_impl && name == O::algorithm)
                {
                    o.m_impl = std::make_unique<model<O>>(O::load(bytes));
                }
            }(defaults),
            ...);
      },
      activation_algorithms::defaults{});
    if (!o.m_impl)
    {
        detail::throw_error<state_error>("state of an unknown algorithm \"" + name + "\"");
    }
    return o;
}
}  // namespace AMCT_ABI
}  // namespace amct
