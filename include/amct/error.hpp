// amct/error.hpp: the exception hierarchy. Every message reads "amct: <kind>: <what and where>".
#pragma once

#include <cstdio>     // std::fputs, std::snprintf
#include <cstdlib>    // std::abort
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string

#include <amct/config.hpp>

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

inline namespace AMCT_ABI
{
namespace detail
{
/// A number as error messages show it: %.9g, enough to tell float32 values apart.
inline std::string number_to_string(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

template <class Error>
[[noreturn]] inline void throw_error(const std::string& what)
{
#if defined(AMCT_NO_EXCEPTIONS)
    std::fputs(Error(what).what(), stderr);
    std::fputs("\n", stderr);
    std::abort();
#else
    throw Error(what);
#endif
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
