// amct/model/impl/weight_layout.ipp: the definitions of <amct/model/weight_layout.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/model/weight_layout.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::size_t layout_view::channels() const noexcept
{
    std::size_t c = 1;
    for (std::size_t d = 0; d < channel_dims; ++d)
    {
        c *= dims[perm[d]];
    }
    return c;
}

AMCT_DECL bool layout_view::identity() const noexcept
{
    for (std::size_t d = 0; d < perm.size(); ++d)
    {
        if (perm[d] != d)
        {
            return false;
        }
    }
    return true;
}

AMCT_DECL layout_view make_layout_view(const std::vector<std::size_t>& shape,
                                       weight_layout layout,
                                       std::size_t groups,
                                       const std::string& where)
{
    const std::string prefix = where.empty() ? std::string() : where + ": ";
    const std::size_t r = shape.size();
    auto prod = [&](std::size_t from, std::size_t to)
    {
        std::size_t p = 1;
        for (std::size_t d = from; d < to; ++d)
        {
            p *= shape[d];
        }
        return p;
    };
    auto need_rank = [&](std::size_t lo)
    {
        if (r < lo)
        {
            detail::throw_error<shape_error>(prefix + "a weight of this layout needs rank >= "
                                             + std::to_string(lo) + ", got rank " + std::to_string(r));
        }
    };
    switch (layout)
    {
        case weight_layout::out_in:
            need_rank(1);
            return {{shape[0], prod(1, r)}, {0, 1}, 1};
        case weight_layout::in_out_grouped:
        {
            need_rank(2);
            if (groups == 0 || shape[0] % groups != 0)
            {
                detail::throw_error<shape_error>(prefix + "ConvTranspose weight with "
                                                 + std::to_string(shape[0]) + " input channels cannot have "
                                                 + std::to_string(groups) + " groups");
            }
            // [g, C_in/g, C_out/g, k] -> [g, C_out/g, C_in/g, k]; channel c = g_index * C_out/g + j
            return {{groups, shape[0] / groups, shape[1], prod(2, r)}, {0, 2, 1, 3}, 2};
        }
        case weight_layout::in_out:
            need_rank(2);
            return {{prod(0, r - 1), shape[r - 1]}, {1, 0}, 1};
        case weight_layout::hwio:
            need_rank(2);
            return {{prod(0, r - 1), shape[r - 1]}, {1, 0}, 1};
        case weight_layout::hw_depthwise:
            need_rank(3);
            return {{prod(0, r - 2), shape[r - 2] * shape[r - 1]}, {1, 0}, 1};
        case weight_layout::hw_out_in:
            need_rank(3);
            return {{prod(0, r - 2), shape[r - 2], shape[r - 1]}, {1, 0, 2}, 1};
    }
    return {};
}

AMCT_DECL channel_major_matrix::channel_major_matrix(const xt::xarray<float>& w, const layout_view& v)
{
    if (v.identity())
    {
        data = w.data();
        rows = v.channels();
        cols = rows ? w.size() / rows : 0;
        return;
    }
    owned = to_channel_major(w, v);
    data = owned.data();
    rows = owned.shape()[0];
    cols = owned.shape()[1];
}
}  // namespace AMCT_ABI
}  // namespace amct
