// amct/algo/param.hpp: how an algorithm declares its parameters, once. A parameter struct P lists its fields
// in `static constexpr auto fields()` (a tuple of the descriptors below); everything else is derived from
// that list: the config.json keys and quant.cfg fields (readers and writers in amct/config and amct/dsl), the
// validator that every reader and every observer runs (check_params), equality, and the saved-state
// encoding (write_params / read_params). A field names its member, its valid values (a rule, which also
// writes the "must be ..." text), how quant.cfg spells it, and a few flags.
//
// P also declares:
//   static constexpr std::string_view name        its config-file name (act_algo / wts_algo value)
//   static constexpr std::string_view cfg_message  its quant.cfg field in CalibrationConfig (empty: none)
//   static constexpr std::string_view cfg_type     the protobuf message type, for quant.cfg diagnostics
//   using observer = ...                           the observer class (activation algorithms)
//   template <class R> static void check(const P&, R& report)   rules across fields (may be empty)
#pragma once

#include <array>        // std::array
#include <cmath>        // std::isfinite, std::isinf
#include <cstddef>      // std::size_t, std::ptrdiff_t
#include <cstdint>      // std::uint32_t
#include <limits>       // std::numeric_limits
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <tuple>        // std::tuple, std::apply, std::tuple_size_v
#include <type_traits>  // std::is_same_v, std::is_enum_v, std::void_t
#include <utility>      // std::declval

#include <amct/algo/channels.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Which fields of a parameter struct a configuration file sets: bit i is field i of P::fields().
using field_set = std::uint32_t;

/// The names of an enum's values, in value order; specialised next to each enum used as a parameter.
template <class E>
struct enum_names;

namespace param
{
/// Field flags.
enum flag : unsigned
{
    none = 0,
    written = 1u << 0,  ///< AMCT's create_quant_config writes the field with its default value
    inherit =
      1u << 1,  ///< unset in a file: asymmetric follows activation_offset, channel_wise the layer type
    api_only = 1u << 2,  ///< not in configuration files (axis options of the per-channel methods)
    unsaved = 1u << 3    ///< not part of the saved state
};

// ---- rules: a predicate and the text that completes "<field> = <value> must be ..." ----

/// Any value.
struct any
{
    template <class T>
    constexpr bool operator()(const T&) const noexcept
    {
        return true;
    }

    std::string text() const
    {
        return {};
    }
};

/// A real number in an interval; infinite bounds are open. Text: "in (0.5, 1]" or "greater than 0".
struct interval
{
    double lo;
    double hi;
    bool lo_open;
    bool hi_open;

    constexpr bool operator()(double x) const noexcept
    {
        return (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
    }

    AMCT_DECL std::string text() const;
};

constexpr interval open_closed(double lo, double hi) noexcept
{
    return {lo, hi, true, false};
}

constexpr interval greater_than(double lo) noexcept
{
    return {lo, std::numeric_limits<double>::infinity(), true, true};
}

/// An integer in [lo, hi]. Text: "in [lo, hi]", or `shown` when given ("in [16, 2^20]").
struct int_range
{
    int lo;
    int hi;
    std::string_view shown = {};

    constexpr bool operator()(int x) const noexcept
    {
        return x >= lo && x <= hi;
    }

    std::string text() const
    {
        return shown.empty() ? "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"
                             : std::string(shown);
    }
};

/// One of a few integers. Text: "1024, 2048, 4096 or 8192".
template <std::size_t N>
struct one_of
{
    std::array<int, N> values;

    constexpr bool operator()(int x) const noexcept
    {
        for (int v : values)
        {
            if (v == x)
            {
                return true;
            }
        }
        return false;
    }

    std::string text() const
    {
        std::string s;
        for (std::size_t i = 0; i < N; ++i)
        {
            s += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::to_string(values[i]);
        }
        return s;
    }
};

template <class... I>
constexpr one_of<sizeof...(I)> values(I... v) noexcept
{
    return {{static_cast<int>(v)...}};
}

/// Exactly one value (kl's asymmetric: false). Text: `shown`.
template <class T>
struct only
{
    T value;
    std::string_view shown;

    constexpr bool operator()(const T& x) const noexcept
    {
        return x == value;
    }

    std::string text() const
    {
        return std::string(shown);
    }
};

// ---- how quant.cfg spells a field (AMCT's calibration_config_pytorch.proto) ----

/// A field of quant.cfg: its name, and for a bit width written as an enum (dst_type: INT8, INT16;
/// quant_bits: INT8, INT6, INT7, INT4), the widths in the enum's order.
struct cfg_spelling
{
    std::string_view name;         ///< empty: not in quant.cfg
    std::array<int, 4> bits = {};  ///< nonzero entries: the field is an enum of INT<bits> names
    std::string_view second = {};  ///< a range field's second name (search_range_end)

    constexpr bool present() const noexcept
    {
        return !name.empty();
    }

    constexpr bool bit_enum() const noexcept
    {
        return bits[0] != 0;
    }
};

inline constexpr cfg_spelling no_cfg{};

constexpr cfg_spelling cfg(std::string_view name) noexcept
{
    return {name};
}

template <class... I>
constexpr cfg_spelling cfg_bits(std::string_view name, I... bits) noexcept
{
    return {name, {static_cast<int>(bits)...}};
}

constexpr cfg_spelling cfg_pair(std::string_view first, std::string_view second) noexcept
{
    return {first, {}, second};
}

// ---- fields ----

/// One member of P: a number, an integer, a bool, an enum (with enum_names) or an API-only aggregate.
template <class P, class T, class Rule>
struct field
{
    using params_type = P;
    using value_type = T;
    std::string_view key;  ///< config.json key, and the name in messages
    T P::*member;
    Rule rule;
    cfg_spelling cfg;
    unsigned flags;

    const T& get(const P& p) const noexcept
    {
        return p.*member;
    }

    bool has(unsigned f) const noexcept
    {
        return (flags & f) != 0;
    }
};

/// Two members read and written as one [first, second] pair (IFMR's search_range); quant.cfg has them as two
/// fields.
template <class P, class Rule>
struct range_field
{
    using params_type = P;
    std::string_view key;
    double P::*first;
    double P::*second;
    Rule rule;  ///< called with (first, second)
    cfg_spelling cfg;
    unsigned flags;

    bool has(unsigned f) const noexcept
    {
        return (flags & f) != 0;
    }
};

template <class P, class T, class Rule = any>
constexpr field<P, T, Rule> make(std::string_view key,
                                 T P::*member,
                                 Rule rule = {},
                                 cfg_spelling c = no_cfg,
                                 unsigned flags = none) noexcept
{
    return {key, member, rule, c, flags};
}

template <class P, class Rule>
constexpr range_field<P, Rule> make_range(std::string_view key,
                                          double P::*first,
                                          double P::*second,
                                          Rule rule,
                                          cfg_spelling c,
                                          unsigned flags = none) noexcept
{
    return {key, first, second, rule, c, flags};
}

/// The pair rule of search_range: 0 < start < end, both finite.
struct increasing_positive
{
    constexpr bool operator()(double a, double b) const noexcept
    {
        return a > 0.0 && a < b && b < std::numeric_limits<double>::infinity();
    }

    std::string text() const
    {
        return "two numbers with 0 < start < end";
    }
};
}  // namespace param

// ---- what a described struct offers ----

namespace detail
{
template <class P, class = void>
struct is_described : std::false_type
{
};

template <class P>
struct is_described<P, std::void_t<decltype(P::fields())>> : std::true_type
{
};

template <class T>
struct is_range_field : std::false_type
{
};

template <class P, class R>
struct is_range_field<param::range_field<P, R>> : std::true_type
{
};
}  // namespace detail

template <class P>
inline constexpr bool is_described_v = detail::is_described<P>::value;

/// Whether field descriptor F is a range_field (two members read and written as one pair).
template <class F>
inline constexpr bool is_range_field_v = detail::is_range_field<F>::value;

/// Whether a field of type T can appear in a configuration file: a number, a bool or an enum (fields of
/// other types, such as channel_options, are API-only).
template <class T>
inline constexpr bool is_config_value_v = std::is_arithmetic_v<T> || std::is_enum_v<T>;

/// Whether descriptor F is a field that configuration files read and write.
template <class F>
inline bool in_config_files(const F& fld)
{
    if constexpr (detail::is_range_field<F>::value)
    {
        return !fld.has(param::api_only);
    }
    else
    {
        return is_config_value_v<typename F::value_type> && !fld.has(param::api_only);
    }
}

template <class P>
inline constexpr std::size_t field_count_v = std::tuple_size_v<decltype(P::fields())>;

/// Calls f(field, index) for every field of P, in declared order.
template <class P, class F>
inline void for_each_field(F&& f)
{
    std::apply(
      [&](const auto&... fld)
      {
          std::size_t i = 0;
          (f(fld, i++), ...);
      },
      P::fields());
}

/// The bit of `key` in a field_set of P, or 0 when P has no such field.
template <class P>
inline field_set field_bit(std::string_view key)
{
    field_set bit = 0;
    for_each_field<P>(
      [&](const auto& fld, std::size_t i)
      {
          if (fld.key == key)
          {
              bit = field_set{1} << i;
          }
      });
    return bit;
}

/// Whether P has a configuration-file field `key`.
template <class P>
inline bool has_field(std::string_view key)
{
    bool found = false;
    for_each_field<P>(
      [&](const auto& fld, std::size_t)
      {
          found = found || (fld.key == key && in_config_files(fld));
      });
    return found;
}

/// The fields AMCT's create_quant_config writes with their defaults.
template <class P>
inline field_set written_fields()
{
    field_set s = 0;
    for_each_field<P>(
      [&](const auto& fld, std::size_t i)
      {
          if (fld.has(param::written))
          {
              s |= field_set{1} << i;
          }
      });
    return s;
}

// ---- values as messages show them ----

/// The name of enum value `v` in configuration files (enum_names<E>), "?" for a value out of range.
template <class E>
inline std::string_view enum_name(E v)
{
    const auto& names = enum_names<E>::values;
    const auto i = static_cast<std::size_t>(v);
    return i < names.size() ? names[i] : std::string_view("?");
}

namespace detail
{

/// "exact or bounded".
template <class E>
inline std::string enum_choices(std::string_view quote = {})
{
    const auto& names = enum_names<E>::values;
    std::string s;
    for (std::size_t i = 0; i < names.size(); ++i)
    {
        s += (i == 0                  ? ""
              : i + 1 == names.size() ? " or "
                                      : ", ")
             + std::string(quote) + std::string(names[i]) + std::string(quote);
    }
    return s;
}

template <class T>
inline std::string shown_value(const T& v)
{
    if constexpr (std::is_same_v<T, bool>)
    {
        return v ? "true" : "false";
    }
    else if constexpr (std::is_enum_v<T>)
    {
        return "\"" + std::string(enum_name(v)) + "\"";
    }
    else if constexpr (std::is_arithmetic_v<T>)
    {
        return number_to_string(static_cast<double>(v));
    }
    else
    {
        return {};
    }
}

template <class T, class Rule>
inline bool rule_accepts(const Rule& rule, const T& v)
{
    if constexpr (std::is_enum_v<T>)
    {
        return static_cast<std::size_t>(v) < enum_names<T>::values.size() && rule(v);
    }
    else if constexpr (std::is_floating_point_v<T>)
    {
        return !std::isnan(v) && rule(v);
    }
    else
    {
        return rule(v);
    }
}

template <class T, class Rule>
inline std::string rule_text(const Rule& rule)
{
    if constexpr (std::is_enum_v<T>)
    {
        return enum_choices<T>();
    }
    else
    {
        return rule.text();
    }
}
}  // namespace detail

// ---- the validator ----

/// @brief Checks every field's rule, then P::check (rules across fields). report(key, value, rule) is called
/// for each problem: "<key> = <value> must be <rule>". Fields flagged api_only are checked too.
template <class P, class Report>
inline void check_params(const P& p, Report&& report)
{
    for_each_field<P>(
      [&](const auto& fld, std::size_t)
      {
          using F = std::decay_t<decltype(fld)>;
          if constexpr (detail::is_range_field<F>::value)
          {
              const double a = p.*(fld.first), b = p.*(fld.second);
              if (!fld.rule(a, b))
              {
                  report(fld.key,
                         "[" + detail::number_to_string(a) + ", " + detail::number_to_string(b) + "]",
                         fld.rule.text());
              }
          }
          else
          {
              using T = typename F::value_type;
              if (!detail::rule_accepts<T>(fld.rule, fld.get(p)))
              {
                  const std::string text = detail::rule_text<T>(fld.rule);  // empty for any{}: a NaN
                  report(fld.key, detail::shown_value(fld.get(p)), text.empty() ? "a number, not NaN" : text);
              }
          }
      });
    P::check(p, report);
}

/// @brief Validates `p` for an observer or a call: @throws value_error "<where>: <prefix><key> = <value> must
/// be <rule>" for the first problem. `prefix` distinguishes sections ("weight " for ARQ).
template <class P>
inline void require_valid(const P& p, const std::string& where, std::string_view prefix = {})
{
    check_params(p,
                 [&](std::string_view key, const std::string& value, const std::string& rule)
                 {
                     detail::throw_error<value_error>(where + ": " + std::string(prefix) + std::string(key)
                                                      + " = " + value + " must be " + rule);
                 });
}

/// Equality of described parameter structs: every field (ADL finds it for any described P).
template <class P, std::enable_if_t<is_described_v<P>, int> = 0>
inline bool operator==(const P& a, const P& b)
{
    bool same = true;
    for_each_field<P>(
      [&](const auto& fld, std::size_t)
      {
          using F = std::decay_t<decltype(fld)>;
          if constexpr (detail::is_range_field<F>::value)
          {
              same = same && a.*(fld.first) == b.*(fld.first) && a.*(fld.second) == b.*(fld.second);
          }
          else
          {
              same = same && fld.get(a) == fld.get(b);
          }
      });
    return same;
}

template <class P, std::enable_if_t<is_described_v<P>, int> = 0>
inline bool operator!=(const P& a, const P& b)
{
    return !(a == b);
}

// ---- saved state: the fields in declared order (double f64, int u32, bool u8, enum u8, channel_options
// boolean and i64), except those flagged unsaved ----

template <class P>
inline void write_params(state_writer& w, const P& p)
{
    for_each_field<P>(
      [&](const auto& fld, std::size_t)
      {
          using F = std::decay_t<decltype(fld)>;
          if constexpr (detail::is_range_field<F>::value)
          {
              w.f64(p.*(fld.first));
              w.f64(p.*(fld.second));
          }
          else if (!fld.has(param::unsaved))
          {
              using T = typename F::value_type;
              const T& v = fld.get(p);
              if constexpr (std::is_same_v<T, bool>)
              {
                  w.boolean(v);
              }
              else if constexpr (std::is_enum_v<T>)
              {
                  w.u8(static_cast<std::uint8_t>(v));
              }
              else if constexpr (std::is_same_v<T, int>)
              {
                  w.u32(static_cast<std::uint32_t>(v));
              }
              else if constexpr (std::is_same_v<T, double>)
              {
                  w.f64(v);
              }
              else
              {
                  static_assert(std::is_same_v<T, channel_options>, "amct: write_params: unknown field type");
                  w.boolean(v.channel_wise);
                  w.i64(v.axis);
              }
          }
      });
}

/// The parameters written by write_params. @throws state_error for an enum value out of range.
template <class P>
inline P read_params(state_reader& r)
{
    P p;
    for_each_field<P>(
      [&](const auto& fld, std::size_t)
      {
          using F = std::decay_t<decltype(fld)>;
          if constexpr (detail::is_range_field<F>::value)
          {
              p.*(fld.first) = r.f64();
              p.*(fld.second) = r.f64();
          }
          else if (!fld.has(param::unsaved))
          {
              using T = typename F::value_type;
              T& v = p.*(fld.member);
              if constexpr (std::is_same_v<T, bool>)
              {
                  v = r.boolean();
              }
              else if constexpr (std::is_enum_v<T>)
              {
                  const std::uint8_t k = r.u8();
                  if (k >= enum_names<T>::values.size())
                  {
                      state_reader::fail(std::string(fld.key) + " holds " + std::to_string(k));
                  }
                  v = static_cast<T>(k);
              }
              else if constexpr (std::is_same_v<T, int>)
              {
                  v = static_cast<int>(r.u32());
              }
              else if constexpr (std::is_same_v<T, double>)
              {
                  v = r.f64();
              }
              else
              {
                  v.channel_wise = r.boolean();
                  v.axis = static_cast<std::ptrdiff_t>(r.i64());
              }
          }
      });
    return p;
}
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/param.ipp>
#endif
