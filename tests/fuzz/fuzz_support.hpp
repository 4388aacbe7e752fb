// tests/fuzz/fuzz_support.hpp: what every fuzz property shares. An input may be refused (a config_error with
// a diagnostic, the expected answer to bad input) only by the steps that judge the input; once the input is
// accepted, a config_error from amct's own output (a file it wrote, a configuration it resolved) is a bug, as
// is any other exception, a crash or a sanitizer report.
#pragma once

#include <cstdio>   // std::fprintf
#include <cstdlib>  // std::abort
#include <exception>

#include <amct/base/error.hpp>

namespace amct_fuzz
{
/// Stops the run, saying which property failed and why (libFuzzer then saves the input).
[[noreturn]] inline void fail(const char* property, const char* detail = "")
{
    std::fprintf(stderr, "fuzz property failed: %s %s\n", property, detail);
    std::abort();
}

/// Runs `judge` (may refuse the input with a config_error: returns false) and, when it accepts, `check`
/// (whatever it throws is a failure of `property`).
template <class Judge, class Check>
void accepted_then(const char* property, Judge&& judge, Check&& check)
{
    try
    {
        if (!judge())
        {
            return;
        }
    }
    catch (const amct::config_error& e)
    {
        if (e.diagnostics().empty())
        {
            fail("an error must say what is wrong:", e.what());
        }
        return;
    }
    try
    {
        check();
    }
    catch (const std::exception& e)
    {
        fail(property, e.what());
    }
}
}  // namespace amct_fuzz
