// amct/base/error.hpp: the exception hierarchy, the one of everything amct throws. Every message reads
// "amct: <kind>: <what and where>", except config_error's, which lists its diagnostics. detail::throw_error
// is the only throw path (with AMCT_NO_EXCEPTIONS it prints the message and aborts).
#pragma once

#include <cstdio>     // std::fputs
#include <cstdlib>    // std::abort
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <utility>    // std::forward, std::move
#include <vector>     // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
/// Base of everything amct throws.
class error : public std::runtime_error
{
public:
    explicit error(const std::string& what_arg)
      : std::runtime_error(what_arg)
    {
    }
};

/// A value is invalid: non-finite or non-positive scale, offset out of range, NaN in calibration data, ...
class value_error : public error
{
public:
    explicit value_error(const std::string& what)
      : error("amct: value error: " + what)
    {
    }
};

/// Rank, axis or extent mismatch.
class shape_error : public error
{
public:
    explicit shape_error(const std::string& what)
      : error("amct: shape error: " + what)
    {
    }
};

/// A runtime choice (from a config file) that is outside the compiled set of policies.
class unsupported_error : public error
{
public:
    explicit unsupported_error(const std::string& what)
      : error("amct: unsupported: " + what)
    {
    }
};

/// Saved calibration state that cannot be loaded: corrupt, truncated, of another algorithm or version.
class state_error : public error
{
public:
    explicit state_error(const std::string& what)
      : error("amct: state error: " + what)
    {
    }
};

/// A configuration file with errors; what() lists every diagnostic, one per line.
class config_error : public error
{
public:
    explicit config_error(std::vector<diagnostic> diagnostics)
      : error(join(diagnostics))
      , m_diagnostics(std::move(diagnostics))
    {
    }

    const std::vector<diagnostic>& diagnostics() const noexcept
    {
        return m_diagnostics;
    }

private:
    static std::string join(const std::vector<diagnostic>& d)
    {
        std::string s;
        for (const auto& x : d)
        {
            s += (s.empty() ? "" : "\n") + x.to_string();
        }
        return s;
    }

    std::vector<diagnostic> m_diagnostics;
};

inline namespace AMCT_ABI
{
namespace detail
{
/// Throws E(args...); with AMCT_NO_EXCEPTIONS prints its what() on stderr and aborts instead.
template <class E, class... A>
[[noreturn]] inline void throw_error(A&&... args)
{
#if defined(AMCT_NO_EXCEPTIONS)
    std::fputs(E(std::forward<A>(args)...).what(), stderr);
    std::fputs("\n", stderr);
    std::abort();
#else
    throw E(std::forward<A>(args)...);
#endif
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
