// amct/analysis/impl/tuning_log.ipp: the definitions of <amct/analysis/tuning_log.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <cmath>    // std::isnan
#include <cstddef>  // std::size_t
#include <iomanip>  // std::setprecision
#include <sstream>  // std::ostringstream
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning_log.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::string tuning_target::describe() const
{
    std::ostringstream s;
    s << metric_name(m) << (higher_is_better(m) ? " >= " : " <= ") << value;
    return s.str();
}

AMCT_DECL std::string tuning_log::text() const
{
    std::ostringstream s;
    s << "target: " << target.describe() << "\n";
    for (const auto& t : steps)
    {
        s << (t.kept ? "[kept]    " : "[dropped] ") << t.action << ": " << metric_name(target.m) << " "
          << std::fixed << std::setprecision(4) << t.value << (t.note.empty() ? "" : " (" + t.note + ")")
          << "\n";
    }
    return s.str();
}
}  // namespace AMCT_ABI
}  // namespace amct
