// amct/algo/params.hpp: the typed parameters of every calibration algorithm, with AMCT's and the peers'
// defaults. Field names follow AMCT's config.json / quant.cfg where AMCT has the algorithm
// (amct-algorithms.md 3.6, 4.5, 5.1).
#pragma once

#include <cstddef>  // std::ptrdiff_t

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Where the channel axis is, for methods that can calibrate per channel.
struct channel_options
{
    bool channel_wise = false;  ///< one scale/offset per index of `axis`
    std::ptrdiff_t axis = 1;    ///< activations NCHW: 1; negative counts from the end
};

/// IFMR storage: all data (AMCT's algorithm, exact order statistics) or a streaming histogram.
enum class ifmr_mode
{
    exact,   ///< keeps every calibration value; the reference behaviour
    bounded  ///< counts by the top bits of each value (amct::bit_histogram): O(1) per value, bounded memory
};

/// IFMR, AMCT's activation calibration (amct-algorithms.md 3): percentile init, then a search of the upper
/// clip.
struct ifmr_params
{
    double max_percentile = 0.999999;  ///< (0.5, 1]
    double min_percentile = 0.999999;  ///< (0.5, 1]
    double search_range_start = 0.7;   ///< 0 < start < end
    double search_range_end = 1.3;
    double search_step = 0.01;          ///< (0, end - start]
    bool asymmetric = true;             ///< AMCT's default comes from activation_offset (true)
    int num_bits = 8;                   ///< 4, 8 or 16
    ifmr_mode mode = ifmr_mode::exact;  ///< extension: config.json "ifmr_mode", quant.cfg ifmr_mode
};

/// HFMG, AMCT's histogram activation calibration (amct-algorithms.md 4), PyTorch HistogramObserver's L2
/// search.
struct hfmg_params
{
    int num_of_bins = 4096;  ///< 1024, 2048, 4096 or 8192
    bool asymmetric = true;
    int num_bits = 8;
};

/// ARQ, AMCT's weight calibration (amct-algorithms.md 5): symmetric min/max per output channel or per tensor.
struct arq_params
{
    bool channel_wise = true;  ///< AMCT's default for Conv-like layers; Linear/MatMul/Gemm take false
    int num_bits = 8;          ///< 4, 6, 7 or 8
};

/// max: the observed [min, max] (PyTorch MinMaxObserver, ONNX Runtime MinMax, TensorRT MinMax).
struct max_params
{
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;
};

/// percentile: clip at the given percentiles of the data (ONNX Runtime Percentile, PPQ percentile).
struct percentile_params
{
    double max_percentile = 0.9999;  ///< upper clip: this quantile of the data (PPQ's default 0.9999)
    double min_percentile = 0.9999;  ///< lower clip: the (1 - min_percentile) quantile (asymmetric only)
    int num_of_bins = 2048;          ///< histogram resolution per merge of batches
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;
};

/// kl: TensorRT's entropy calibration: |x| histogram of num_of_bins bins, thresholds from num_quantized_bins
/// bins up, each candidate merged into num_quantized_bins levels, KL(P || Q) minimized. Symmetric only.
struct kl_params
{
    int num_of_bins = 2048;
    int num_quantized_bins = 128;
    int num_bits = 8;
    channel_options channels;
};

/// mse: the clip range minimizing the mean squared quantize-dequantize error over a histogram of the data
/// (pytorch-quantization's mse calibrator, PPQ mse).
struct mse_params
{
    int num_of_bins = 2048;
    int num_candidates = 200;  ///< clip candidates, evenly spaced over the observed range
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;
};
}  // namespace AMCT_ABI
}  // namespace amct
