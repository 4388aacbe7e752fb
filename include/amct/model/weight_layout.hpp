// amct/model/weight_layout.hpp: a weight tensor viewed as the row-major [C_out, rest] matrix of ARQ's layout
// rules (docs/model.md#weight-layouts): the reshape and permutation of each weight_layout, and the copies to
// and from that channel-major order.
#pragma once

#include <algorithm>  // std::copy
#include <array>      // std::array
#include <cstddef>    // std::size_t
#include <string>     // std::string, std::to_string
#include <vector>     // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The reshape and permutation that view a weight of `layout` as [C_out, rest]: view `w` as `dims`, transpose
/// it by `perm`, then the first `channel_dims` axes form C_out.
struct layout_view
{
    std::vector<std::size_t> dims;
    std::vector<std::size_t> perm;
    std::size_t channel_dims = 1;

    /// C_out: the product of the first channel_dims axes after the transpose.
    AMCT_DECL std::size_t channels() const noexcept;

    /// Whether the weight already is [C_out, rest] row-major (out_in: Conv, Linear, Gemm with transB).
    AMCT_DECL bool identity() const noexcept;

    /// Whether the view is the transpose of a matrix (in_out, hwio, hw_depthwise).
    bool transpose_2d() const noexcept
    {
        return perm.size() == 2 && perm[0] == 1;
    }
};

/// dst[j][i] = src[i][j] for a row-major rows x cols src, in tiles that stay in cache.
template <class T>
inline void transpose(const T* src, std::size_t rows, std::size_t cols, T* dst) noexcept
{
    constexpr std::size_t tile = 32;
    for (std::size_t i0 = 0; i0 < rows; i0 += tile)
    {
        for (std::size_t j0 = 0; j0 < cols; j0 += tile)
        {
            const std::size_t i1 = i0 + tile < rows ? i0 + tile : rows,
                              j1 = j0 + tile < cols ? j0 + tile : cols;
            for (std::size_t i = i0; i < i1; ++i)
            {
                for (std::size_t j = j0; j < j1; ++j)
                {
                    dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
    }
}

AMCT_DECL layout_view make_layout_view(const std::vector<std::size_t>& shape,
                                       weight_layout layout,
                                       std::size_t groups,
                                       const std::string& where = {});

/// `w` (row-major, `shape`) as a row-major [C_out, rest] matrix (callers use w itself for an identity view).
template <class T>
inline xt::xtensor<T, 2> to_channel_major(const xt::xarray<T>& w, const layout_view& v)
{
    const std::size_t channels = v.channels();
    if (v.transpose_2d())
    {
        xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({channels, channels ? w.size() / channels : 0});
        transpose(w.data(), v.dims[0], v.dims[1], out.data());
        return out;
    }
    xt::xarray<T> shaped = w;
    shaped.reshape(v.dims);
    xt::xarray<T> t = xt::transpose(shaped, v.perm);
    xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({channels, channels ? t.size() / channels : 0});
    std::copy(t.begin(), t.end(), out.begin());
    return out;
}

/// The inverse of to_channel_major: back to the weight's own `shape`.
template <class T>
inline xt::xarray<T> from_channel_major(const xt::xtensor<T, 2>& cm,
                                        const layout_view& v,
                                        const std::vector<std::size_t>& shape)
{
    if (v.transpose_2d())
    {
        xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
        transpose(cm.data(), v.dims[1], v.dims[0], out.data());
        return out;
    }
    std::vector<std::size_t> permuted(v.perm.size());
    for (std::size_t d = 0; d < v.perm.size(); ++d)
    {
        permuted[d] = v.dims[v.perm[d]];
    }
    xt::xarray<T> t = xt::xarray<T>::from_shape(permuted);
    std::copy(cm.begin(), cm.end(), t.begin());
    std::vector<std::size_t> inverse(v.perm.size());
    for (std::size_t d = 0; d < v.perm.size(); ++d)
    {
        inverse[v.perm[d]] = d;
    }
    xt::xarray<T> back = xt::transpose(t, inverse);
    back.reshape(shape);
    return back;
}

/// A weight as a row-major [C_out, rest] matrix: the weight's own data when its layout already is that,
/// else a copy in that order.
struct channel_major_matrix
{
    xt::xtensor<float, 2> owned;
    const float* data = nullptr;
    std::size_t rows = 0, cols = 0;

    AMCT_DECL channel_major_matrix(const xt::xarray<float>& w, const layout_view& v);

    /// The matrix as an xtensor expression (no copy).
    auto expression() const
    {
        return xt::adapt(data, rows * cols, xt::no_ownership(), std::array<std::size_t, 2>{rows, cols});
    }
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/model/impl/weight_layout.ipp>
#endif
