// runtime/refrt/gemm.hpp (private to ops.cpp): a cache-blocked float GEMM in plain loops that GCC
// vectorizes (SSE2 at -O2 without -march flags). Not part of the runtime's interface.
#pragma once

#include <algorithm>  // std::min
#include <cstddef>    // std::size_t
#include <vector>     // std::vector

namespace refrt::detail
{
/// Register tile: MR rows of A by NR columns of B, accumulated in a local array over a KC-long slice of K.
inline constexpr std::size_t gemm_mr = 4, gemm_nr = 8, gemm_kc = 256;

/// c[r][j] (+)= sum_k a[k][r] * b[k][j] for r < rows, j < cols; a and b packed (a: KC x MR, b: KC x NR).
inline void gemm_tile(std::size_t kc,
                      const float* __restrict a,
                      const float* __restrict b,
                      float* __restrict c,
                      std::size_t ldc,
                      std::size_t rows,
                      std::size_t cols,
                      bool accumulate)
{
    float sum[gemm_mr][gemm_nr] = {};
    for (std::size_t k = 0; k < kc; ++k)
    {
        const float* bk = b + k * gemm_nr;
        const float* ak = a + k * gemm_mr;
        for (std::size_t r = 0; r < gemm_mr; ++r)
            for (std::size_t j = 0; j < gemm_nr; ++j)
                sum[r][j] += ak[r] * bk[j];
    }
    for (std::size_t r = 0; r < rows; ++r)
    {
        float* cr = c + r * ldc;
        if (accumulate)
            for (std::size_t j = 0; j < cols; ++j)
                cr[j] += sum[r][j];
        else
            for (std::size_t j = 0; j < cols; ++j)
                cr[j] = sum[r][j];
    }
}

/// A row-major matrix or a transposed one: element (i, j) at p[i rs + j cs].
struct matrix_view
{
    const float* p;
    std::size_t rs, cs = 1;
};

/// C = A B (accumulate: C += A B) for A (m x k), B (k x n) and row-major C (m x n, row stride ldc).
/// A is packed once into MR-row panels, B per KC x NR panel; each panel of B meets every panel of A while
/// it is in L1.
inline void gemm(std::size_t m,
                 std::size_t n,
                 std::size_t k,
                 matrix_view a,
                 matrix_view b,
                 float* c,
                 std::size_t ldc,
                 bool accumulate)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0)
    {
        if (!accumulate)
            for (std::size_t i = 0; i < m; ++i)
                std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
        return;
    }
    const std::size_t mblocks = (m + gemm_mr - 1) / gemm_mr;
    // ap[(kb, ib)]: the KC x MR panel of rows ib*MR.. for k in kb*KC.., k-major, zero rows past m.
    std::vector<float> ap(mblocks * gemm_mr * k, 0.0f);
    for (std::size_t k0 = 0; k0 < k; k0 += gemm_kc)
    {
        const std::size_t kc = std::min(gemm_kc, k - k0);
        for (std::size_t ib = 0; ib < mblocks; ++ib)
        {
            float* dst = ap.data() + k0 * mblocks * gemm_mr + ib * kc * gemm_mr;
            const std::size_t rows = std::min(gemm_mr, m - ib * gemm_mr);
            for (std::size_t r = 0; r < rows; ++r)
            {
                const float* src = a.p + (ib * gemm_mr + r) * a.rs + k0 * a.cs;
                for (std::size_t kk = 0; kk < kc; ++kk)
                    dst[kk * gemm_mr + r] = src[kk * a.cs];
            }
        }
    }
    std::vector<float> bp(gemm_kc * gemm_nr);
    for (std::size_t j0 = 0; j0 < n; j0 += gemm_nr)
    {
        const std::size_t cols = std::min(gemm_nr, n - j0);
        for (std::size_t k0 = 0; k0 < k; k0 += gemm_kc)
        {
            const std::size_t kc = std::min(gemm_kc, k - k0);
            for (std::size_t kk = 0; kk < kc; ++kk)
            {
                const float* src = b.p + (k0 + kk) * b.rs + j0 * b.cs;
                float* dst = bp.data() + kk * gemm_nr;
                std::size_t j = 0;
                for (; j < cols; ++j)
                    dst[j] = src[j * b.cs];
                for (; j < gemm_nr; ++j)
                    dst[j] = 0.0f;
            }
            const float* apk = ap.data() + k0 * mblocks * gemm_mr;
            for (std::size_t ib = 0; ib < mblocks; ++ib)
            {
                gemm_tile(kc,
                          apk + ib * kc * gemm_mr,
                          bp.data(),
                          c + ib * gemm_mr * ldc + j0,
                          ldc,
                          std::min(gemm_mr, m - ib * gemm_mr),
                          cols,
                          accumulate || k0 > 0);
            }
        }
    }
}
}  // namespace refrt::detail
