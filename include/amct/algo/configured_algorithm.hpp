// amct/algo/configured_algorithm.hpp: an algorithm as a configuration file chooses it: the typed parameters
// (one alternative of a variant of parameter structs) and which of their fields the file sets, so that an
// unset field keeps its meaning and the file is written back as it was read.
#pragma once

#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::decay_t, std::is_same_v
#include <variant>      // std::get, std::holds_alternative, std::visit

#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// An algorithm chosen by a configuration (config.json's act_algo or wts_algo, a quant.cfg message): its
/// parameters, the defaults where the configuration is silent, and which of its fields the configuration sets
/// (num_bits, which config.json always holds, is not tracked).
template <class Params>
struct configured_algorithm
{
    Params params;
    field_set given = 0;

    /// The algorithm's config-file name.
    std::string_view algorithm() const noexcept
    {
        return algorithm_name(params);
    }

    template <class P>
    bool holds() const noexcept
    {
        return std::holds_alternative<P>(params);
    }

    template <class P>
    const P& get() const
    {
        return std::get<P>(params);
    }

    template <class P>
    P& get()
    {
        return std::get<P>(params);
    }

    /// Switches to algorithm P with its defaults; nothing is set.
    template <class P, std::enable_if_t<is_described_v<P>, int> = 0>
    P& select(const P& p = {})
    {
        params = p;
        given = 0;
        return std::get<P>(params);
    }

    /// Switches to the algorithm called `name` with its defaults; false (nothing changed) when the variant
    /// has no such algorithm.
    bool select(std::string_view name)
    {
        const bool found = select_in(params, name);
        given = found ? 0 : given;
        return found;
    }

    /// Sets field `member` of algorithm P, the current one, and marks it set (e.g. set(&ifmr_params::mode,
    /// ifmr_mode::bounded)). @throws unsupported_error when P is not the current algorithm.
    template <class P, class T>
    void set(T P::*member, const T& value)
    {
        P* p = std::get_if<P>(&params);
        if (!p)
        {
            detail::throw_error<unsupported_error>(std::string(P::name) + "'s parameter set on a "
                                                   + std::string(algorithm()) + " configuration");
        }
        p->*member = value;
        for_each_field<P>(
          [&](const auto& fld, std::size_t i)
          {
              using F = std::decay_t<decltype(fld)>;
              if constexpr (detail::is_range_field<F>::value)
              {
                  if constexpr (std::is_same_v<T, double>)
                  {
                      given |= fld.first == member || fld.second == member ? field_set{1} << i : 0;
                  }
              }
              else if constexpr (std::is_same_v<typename F::value_type, T>)
              {
                  given |= fld.member == member ? field_set{1} << i : 0;
              }
          });
    }

    int num_bits() const noexcept
    {
        return std::visit(
          [](const auto& p)
          {
              return p.num_bits;
          },
          params);
    }

    void set_num_bits(int bits) noexcept
    {
        std::visit(
          [&](auto& p)
          {
              p.num_bits = bits;
          },
          params);
    }

    /// Whether the file sets the field `key` of the current algorithm.
    bool is_set(std::string_view key) const
    {
        return std::visit(
          [&](const auto& p)
          {
              return (given & field_bit<std::decay_t<decltype(p)>>(key)) != 0;
          },
          params);
    }

    template <class... P>
    static bool select_in(std::variant<P...>& v, std::string_view name)
    {
        return ((P::name == name ? (v = P{}, true) : false) || ...);
    }

    bool operator==(const configured_algorithm& o) const
    {
        return params == o.params && given == o.given;
    }

    bool operator!=(const configured_algorithm& o) const
    {
        return !(*this == o);
    }

    /// The bool field `key` when it is set (asymmetric, channel_wise).
    std::optional<bool> flag(std::string_view key) const
    {
        std::optional<bool> out;
        std::visit(
          [&](const auto& p)
          {
              for_each_field<std::decay_t<decltype(p)>>(
                [&](const auto& fld, std::size_t i)
                {
                    using F = std::decay_t<decltype(fld)>;
                    if constexpr (!detail::is_range_field<F>::value)
                    {
                        if constexpr (std::is_same_v<typename F::value_type, bool>)
                        {
                            if (fld.key == key && (given & (field_set{1} << i)) != 0)
                            {
                                out = fld.get(p);
                            }
                        }
                    }
                });
          },
          params);
        return out;
    }

    /// Whether the current algorithm's field `key` is inherited when unset (param::inherit).
    bool inherits(std::string_view key) const
    {
        return std::visit(
          [&](const auto& p)
          {
              bool found = false;
              for_each_field<std::decay_t<decltype(p)>>(
                [&](const auto& fld, std::size_t)
                {
                    found = found || (fld.key == key && fld.has(param::inherit));
                });
              return found;
          },
          params);
    }

    /// Sets the bool field `key` and marks it given; false when the algorithm has none.
    bool set_flag(std::string_view key, bool value)
    {
        bool found = false;
        std::visit(
          [&](auto& p)
          {
              for_each_field<std::decay_t<decltype(p)>>(
                [&](const auto& fld, std::size_t i)
                {
                    using F = std::decay_t<decltype(fld)>;
                    if constexpr (!detail::is_range_field<F>::value)
                    {
                        if constexpr (std::is_same_v<typename F::value_type, bool>)
                        {
                            if (fld.key == key)
                            {
                                p.*(fld.member) = value;
                                given |= field_set{1} << i;
                                found = true;
                            }
                        }
                    }
                });
          },
          params);
        return found;
    }
};

}  // namespace AMCT_ABI
}  // namespace amct
