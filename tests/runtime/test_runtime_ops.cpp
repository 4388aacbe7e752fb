// The reference runtime's ops (runtime/refrt/ops.cpp) against ONNX's backend test cases (Debian
// libonnx-testdata: node/ and pytorch-converted/), through the ONNX importer and the executor, and the same
// cases written back by the ONNX exporter (onnx_export.hpp) and run by ONNX Runtime; the executor's contracts
// (check_graph errors, re-entrancy, run_observer); Conv's fast paths against a direct convolution; the time
// of a MobileNetV2-shaped forward.
//
// Tolerance: |got - expected| <= 1e-4 + 1e-4 |expected|. Our float sums run in another order than numpy's
// (GEMM tiles, im2col, separable Resize, float instead of double), which moves results by a few ulps of the
// largest partial sum; the cases' values are O(1)..O(100), so 1e-4 absolute plus relative is far above that
// noise and far below any wrong index, pad or coefficient.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "runtime_support.hpp"
#include <refrt/executor.hpp>
#include <refrt/onnx_export.hpp>
#include <refrt/onnx_import.hpp>
#include <refrt/onnx_proto.hpp>

namespace
{
namespace fs = std::filesystem;
using refrt::tensor;
using rt_test::int_attr;
using rt_test::ints_attr;
using rt_test::random_tensor;

/// AMCT_ONNX_TESTDATA (the node/ directory) if set, else Debian's; pytorch-converted/ is its sibling.
fs::path node_root()
{
    const char* env = std::getenv("AMCT_ONNX_TESTDATA");
    return env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/usr/share/libonnx-testdata/data/node");
}

/// One op's cases: directory-name prefixes (first matching group wins) and the cases that must run.
struct op_cases
{
    std::string op;
    std::vector<std::string> prefixes;
    std::vector<std::string> expected;
};

// clang-format off
const std::vector<op_cases>& case_table()
{
    static const std::vector<op_cases> table = {
      {"ConvTranspose", {"test_convtranspose", "test_ConvTranspose2d"},
       {"test_convtranspose", "test_convtranspose_1d", "test_convtranspose_3d",
        "test_convtranspose_autopad_same", "test_convtranspose_dilations",
        "test_convtranspose_kernel_shape", "test_convtranspose_output_shape", "test_convtranspose_pad",
        "test_convtranspose_pads", "test_convtranspose_with_kernel", "test_ConvTranspose2d",
        "test_ConvTranspose2d_no_bias"}},
      {"Conv", {"test_conv_", "test_basic_conv_", "test_Conv1d", "test_Conv2d", "test_Conv3d"},
       {"test_basic_conv_with_padding", "test_basic_conv_without_padding", "test_conv_with_autopad_same",
        "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_strides_no_padding",
        "test_conv_with_strides_padding", "test_Conv1d", "test_Conv1d_dilated", "test_Conv1d_groups",
        "test_Conv1d_pad1", "test_Conv1d_pad1size1", "test_Conv1d_pad2", "test_Conv1d_pad2size1",
        "test_Conv1d_stride", "test_Conv2d", "test_Conv2d_depthwise", "test_Conv2d_depthwise_padded",
        "test_Conv2d_depthwise_strided", "test_Conv2d_depthwise_with_multiplier", "test_Conv2d_dilated",
        "test_Conv2d_groups", "test_Conv2d_groups_thnn", "test_Conv2d_no_bias", "test_Conv2d_padding",
        "test_Conv2d_strided", "test_Conv3d", "test_Conv3d_dilated", "test_Conv3d_dilated_strided",
        "test_Conv3d_groups", "test_Conv3d_no_bias", "test_Conv3d_stride", "test_Conv3d_stride_padding"}},
      {"BatchNormalization", {"test_batchnorm_", "test_BatchNorm"},
       {"test_batchnorm_epsilon", "test_batchnorm_epsilon_training_mode", "test_batchnorm_example",
        "test_batchnorm_example_training_mode", "test_BatchNorm1d_3d_input_eval", "test_BatchNorm2d_eval",
        "test_BatchNorm2d_momentum_eval", "test_BatchNorm3d_eval", "test_BatchNorm3d_momentum_eval"}},
      {"Gemm", {"test_gemm_", "test_Linear"},
       {"test_gemm_all_attributes", "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_matrix_bias",
        "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
        "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias",
        "test_gemm_default_zero_bias", "test_gemm_transposeA", "test_gemm_transposeB", "test_Linear",
        "test_Linear_no_bias"}},
      {"MatMul", {"test_matmul_"},
       {"test_matmul_2d", "test_matmul_3d", "test_matmul_4d"}},
      {"Relu", {"test_relu", "test_ReLU"},
       {"test_relu", "test_ReLU"}},
      {"Clip", {"test_clip"},
       {"test_clip", "test_clip_default_inbounds", "test_clip_default_int8_inbounds",
        "test_clip_default_int8_max", "test_clip_default_int8_min", "test_clip_default_max",
        "test_clip_default_min", "test_clip_example", "test_clip_inbounds", "test_clip_outbounds",
        "test_clip_splitbounds"}},
      {"HardSigmoid", {"test_hardsigmoid"},
       {"test_hardsigmoid", "test_hardsigmoid_default", "test_hardsigmoid_example"}},
      {"HardSwish", {"test_hardswish"},
       {"test_hardswish", "test_hardswish_expanded"}},
      {"Sigmoid", {"test_sigmoid", "test_Sigmoid"},
       {"test_sigmoid", "test_sigmoid_example", "test_Sigmoid"}},
      {"Add", {"test_add"},
       {"test_add", "test_add_bcast"}},
      {"Sub", {"test_sub"},
       {"test_sub", "test_sub_bcast", "test_sub_example"}},
      {"Mul", {"test_mul"},
       {"test_mul", "test_mul_bcast", "test_mul_example"}},
      {"Div", {"test_div"},
       {"test_div", "test_div_bcast", "test_div_example"}},
      {"MaxPool", {"test_maxpool_", "test_MaxPool"},
       {"test_maxpool_1d_default", "test_maxpool_2d_ceil", "test_maxpool_2d_default",
        "test_maxpool_2d_dilations", "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
        "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides",
        "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper", "test_maxpool_2d_strides",
        "test_maxpool_2d_uint8", "test_maxpool_3d_default", "test_maxpool_with_argmax_2d_precomputed_pads",
        "test_maxpool_with_argmax_2d_precomputed_strides", "test_MaxPool1d", "test_MaxPool1d_stride",
        "test_MaxPool1d_stride_padding_dilation", "test_MaxPool2d",
        "test_MaxPool2d_stride_padding_dilation", "test_MaxPool3d", "test_MaxPool3d_stride",
        "test_MaxPool3d_stride_padding"}},
      {"AveragePool", {"test_averagepool_", "test_AvgPool"},
       {"test_averagepool_1d_default", "test_averagepool_2d_ceil", "test_averagepool_2d_default",
        "test_averagepool_2d_pads", "test_averagepool_2d_pads_count_include_pad",
        "test_averagepool_2d_precomputed_pads", "test_averagepool_2d_precomputed_pads_count_include_pad",
        "test_averagepool_2d_precomputed_same_upper", "test_averagepool_2d_precomputed_strides",
        "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper", "test_averagepool_2d_strides",
        "test_averagepool_3d_default", "test_AvgPool1d", "test_AvgPool1d_stride", "test_AvgPool2d",
        "test_AvgPool2d_stride", "test_AvgPool3d", "test_AvgPool3d_stride",
        "test_AvgPool3d_stride1_pad0_gpu_input"}},
      {"GlobalAveragePool", {"test_globalaveragepool"},
       {"test_globalaveragepool", "test_globalaveragepool_precomputed"}},
      {"GlobalMaxPool", {"test_globalmaxpool"},
       {"test_globalmaxpool", "test_globalmaxpool_precomputed"}},
      {"Pad", {"test_pad", "test_constant_pad", "test_edge_pad", "test_reflect_pad", "test_ConstantPad2d",
               "test_ReflectionPad2d", "test_ReplicationPad2d", "test_ZeroPad2d"},
       {"test_constant_pad", "test_edge_pad", "test_reflect_pad", "test_ConstantPad2d",
        "test_ReflectionPad2d", "test_ReplicationPad2d", "test_ZeroPad2d"}},
      {"Concat", {"test_concat_"},
       {"test_concat_1d_axis_0", "test_concat_1d_axis_negative_1", "test_concat_2d_axis_0",
        "test_concat_2d_axis_1", "test_concat_2d_axis_negative_1", "test_concat_2d_axis_negative_2",
        "test_concat_3d_axis_0", "test_concat_3d_axis_1", "test_concat_3d_axis_2",
        "test_concat_3d_axis_negative_1", "test_concat_3d_axis_negative_2",
        "test_concat_3d_axis_negative_3"}},
      {"Reshape", {"test_reshape_"},
       {"test_reshape_allowzero_reordered", "test_reshape_extended_dims", "test_reshape_negative_dim",
        "test_reshape_negative_extended_dims", "test_reshape_one_dim", "test_reshape_reduced_dims",
        "test_reshape_reordered_all_dims", "test_reshape_reordered_last_dims",
        "test_reshape_zero_and_negative_dim", "test_reshape_zero_dim"}},
      {"Flatten", {"test_flatten_"},
       {"test_flatten_axis0", "test_flatten_axis1", "test_flatten_axis2", "test_flatten_axis3",
        "test_flatten_default_axis", "test_flatten_negative_axis1", "test_flatten_negative_axis2",
        "test_flatten_negative_axis3", "test_flatten_negative_axis4"}},
      {"Transpose", {"test_transpose_"},
       {"test_transpose_all_permutations_0", "test_transpose_all_permutations_1",
        "test_transpose_all_permutations_2", "test_transpose_all_permutations_3",
        "test_transpose_all_permutations_4", "test_transpose_all_permutations_5", "test_transpose_default"}},
      {"Resize", {"test_resize_"},
       {"test_resize_downsample_scales_cubic", "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside",
        "test_resize_downsample_scales_cubic_align_corners", "test_resize_downsample_scales_linear",
        "test_resize_downsample_scales_linear_align_corners", "test_resize_downsample_scales_nearest",
        "test_resize_downsample_sizes_cubic", "test_resize_downsample_sizes_linear_pytorch_half_pixel",
        "test_resize_downsample_sizes_nearest", "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn",
        "test_resize_tf_crop_and_resize", "test_resize_upsample_scales_cubic",
        "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside",
        "test_resize_upsample_scales_cubic_align_corners", "test_resize_upsample_scales_cubic_asymmetric",
        "test_resize_upsample_scales_linear", "test_resize_upsample_scales_linear_align_corners",
        "test_resize_upsample_scales_nearest", "test_resize_upsample_sizes_cubic",
        "test_resize_upsample_sizes_nearest", "test_resize_upsample_sizes_nearest_ceil_half_pixel",
        "test_resize_upsample_sizes_nearest_floor_align_corners",
        "test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric"}},
      {"Softmax", {"test_softmax_", "test_Softmax"},
       {"test_softmax_axis_0", "test_softmax_axis_0_expanded", "test_softmax_axis_1",
        "test_softmax_axis_1_expanded", "test_softmax_axis_2", "test_softmax_axis_2_expanded",
        "test_softmax_default_axis", "test_softmax_default_axis_expanded", "test_softmax_example",
        "test_softmax_example_expanded", "test_softmax_large_number", "test_softmax_large_number_expanded",
        "test_softmax_negative_axis", "test_softmax_negative_axis_expanded", "test_Softmax",
        "test_softmax_functional_dim3", "test_softmax_lastdim"}},
      {"Slice", {"test_slice"},
       {"test_slice", "test_slice_default_axes", "test_slice_default_steps", "test_slice_end_out_of_bounds",
        "test_slice_neg", "test_slice_neg_steps", "test_slice_negative_axes",
        "test_slice_start_out_of_bounds"}},
      {"Squeeze", {"test_squeeze"},
       {"test_squeeze", "test_squeeze_negative_axes"}},
      {"Unsqueeze", {"test_unsqueeze"},
       {"test_unsqueeze_axis_0", "test_unsqueeze_axis_1", "test_unsqueeze_axis_2", "test_unsqueeze_axis_3",
        "test_unsqueeze_negative_axes", "test_unsqueeze_three_axes", "test_unsqueeze_two_axes",
        "test_unsqueeze_unsorted_axes"}},
      {"Expand", {"test_expand_"},
       {"test_expand_dim_changed", "test_expand_dim_unchanged"}},
      {"Gather", {"test_gather_0", "test_gather_1", "test_gather_2d_indices", "test_gather_negative_indices"},
       {"test_gather_0", "test_gather_1", "test_gather_2d_indices", "test_gather_negative_indices"}},
      {"Shape", {"test_shape"},
       {"test_shape", "test_shape_clip_end", "test_shape_clip_start", "test_shape_end_1",
        "test_shape_end_negative_1", "test_shape_example", "test_shape_start_1", "test_shape_start_1_end_2",
        "test_shape_start_1_end_negative_1", "test_shape_start_negative_1"}},
      {"Cast", {"test_cast_"},
       {"test_cast_DOUBLE_to_FLOAT", "test_cast_FLOAT_to_DOUBLE"}},
      {"Identity", {"test_identity"},
       {"test_identity"}},
      {"Dropout", {"test_dropout_"},
       {"test_dropout_default", "test_dropout_default_old", "test_dropout_default_ratio",
        "test_dropout_random_old"}},
      {"Constant", {"test_constant"},
       {"test_constant"}},
      {"ReduceMean", {"test_reduce_mean_"},
       {"test_reduce_mean_default_axes_keepdims_example", "test_reduce_mean_default_axes_keepdims_random",
        "test_reduce_mean_do_not_keepdims_example", "test_reduce_mean_do_not_keepdims_random",
        "test_reduce_mean_keepdims_example", "test_reduce_mean_keepdims_random",
        "test_reduce_mean_negative_axes_keepdims_example", "test_reduce_mean_negative_axes_keepdims_random"}},
      {"Exp", {"test_exp"},
       {"test_exp", "test_exp_example"}},
      {"Sqrt", {"test_sqrt"},
       {"test_sqrt", "test_sqrt_example"}},
      {"Neg", {"test_neg"},
       {"test_neg", "test_neg_example"}},
      {"Tanh", {"test_tanh", "test_Tanh"},
       {"test_tanh", "test_tanh_example", "test_Tanh"}},
      {"LeakyRelu", {"test_leakyrelu", "test_LeakyReLU"},
       {"test_leakyrelu", "test_leakyrelu_default", "test_leakyrelu_example", "test_LeakyReLU",
        "test_LeakyReLU_with_negval"}},
      {"Sum", {"test_sum_"},
       {"test_sum_example", "test_sum_one_input", "test_sum_two_inputs"}},
      {"Max", {"test_max_"},
       {"test_max_example", "test_max_float32", "test_max_float64", "test_max_int16", "test_max_int32",
        "test_max_int64", "test_max_int8", "test_max_one_input", "test_max_two_inputs", "test_max_uint16",
        "test_max_uint32", "test_max_uint64", "test_max_uint8"}},
      {"Min", {"test_min_"},
       {"test_min_example", "test_min_float32", "test_min_float64", "test_min_int16", "test_min_int32",
        "test_min_int64", "test_min_int8", "test_min_one_input", "test_min_two_inputs", "test_min_uint16",
        "test_min_uint32", "test_min_uint64", "test_min_uint8"}},
    };
    return table;
}

// clang-format on

const op_cases* group_of(const std::string& name)
{
    for (const op_cases& g : case_table())
        for (const std::string& p : g.prefixes)
            if (name.compare(0, p.size(), p) == 0)
                return &g;
    return nullptr;
}

/// Every backend case of the table's ops, node/ then pytorch-converted/, sorted, with its group.
std::vector<std::pair<fs::path, const op_cases*>> backend_cases()
{
    const fs::path node_dir = node_root();
    REQUIRE_MESSAGE(fs::is_directory(node_dir), "ONNX test data not found at " << node_dir);
    std::vector<std::pair<fs::path, const op_cases*>> out;
    for (const fs::path& root : {node_dir, node_dir.parent_path() / "pytorch-converted"})
    {
        if (!fs::is_directory(root))
            continue;
        std::vector<fs::path> dirs;
        for (const auto& entry : fs::directory_iterator(root))
            dirs.push_back(entry.path());
        std::sort(dirs.begin(), dirs.end());
        for (const fs::path& dir : dirs)
            if (const op_cases* group = group_of(dir.filename().string()))
                out.emplace_back(dir, group);
    }
    return out;
}

std::string shape_str(const tensor& t)
{
    std::string s = "[";
    for (std::size_t d = 0; d < t.dimension(); ++d)
        s += (d ? "," : "") + std::to_string(t.shape()[d]);
    return s + "]";
}

/// "" when got matches expected (shape exactly, values within the tolerance), else the worst element.
std::string compare(const tensor& got, const tensor& expected)
{
    if (!std::equal(got.shape().begin(), got.shape().end(), expected.shape().begin(), expected.shape().end()))
        return "shape " + shape_str(got) + ", expected " + shape_str(expected);
    double worst = 0.0;
    std::size_t at = 0;
    for (std::size_t e = 0; e < got.size(); ++e)
    {
        const double g = got.data()[e], x = expected.data()[e];
        if (std::isnan(g) && std::isnan(x))
            continue;
        const double excess = g == x ? 0.0 : std::abs(g - x) - (1e-4 + 1e-4 * std::abs(x));
        if (std::isnan(excess) || excess > worst)
        {
            worst = std::isnan(excess) ? HUGE_VAL : excess;
            at = e;
        }
    }
    if (worst <= 0.0)
        return "";
    std::ostringstream os;
    os << "element " << at << ": " << got.data()[at] << ", expected " << expected.data()[at];
    return os.str();
}

/// Why a case cannot run here ("" if it can). The runtime holds every tensor as float: integer tensors are
/// exact up to 2^24. Integer control inputs (shapes, axes, indices, pads: inputs after the first) are fine;
/// integer data (the first input, outputs) only for ops that are exact on integers held as float (copies,
/// comparisons), not for integer arithmetic (uint8 Add wraps, integer Div truncates). Other element types
/// (float16, string, optional, sequence) are not supported.
std::string skip_reason(const fs::path& dir, const std::string& op)
{
    static const std::set<std::string> integer_exact = {"Pad",
                                                        "Shape",
                                                        "Gather",
                                                        "Reshape",
                                                        "Slice",
                                                        "Squeeze",
                                                        "Unsqueeze",
                                                        "Concat",
                                                        "Transpose",
                                                        "Flatten",
                                                        "Identity",
                                                        "Max",
                                                        "Min",
                                                        "Clip",
                                                        "MaxPool"};
    for (const auto& entry : fs::directory_iterator(dir / "test_data_set_0"))
    {
        const std::string file = entry.path().filename().string();
        try
        {
            const auto t = refrt::proto::read_tensor(entry.path().string());
            if (t.data_type == refrt::proto::dtype::float32 || t.data_type == refrt::proto::dtype::float64)
                continue;
            const bool data = file == "input_0.pb" || file.rfind("output_", 0) == 0;
            if (data && integer_exact.count(op) == 0)
                return "integer data (" + refrt::proto::data_type_name(t.data_type) + ") in " + file;
            for (const std::int64_t v : t.ints)
                if (v > (1 << 24) || v < -(1 << 24))
                    return "integer " + std::to_string(v) + " beyond 2^24 in " + file;
        }
        catch (const refrt::proto::decode_error& e)
        {
            return e.what();
        }
    }
    return "";
}

struct case_result
{
    bool ran = false;
    std::string skipped, failure;
};

case_result run_case(const fs::path& dir, const std::string& op)
{
    case_result r;
    r.skipped = skip_reason(dir, op);
    if (!r.skipped.empty())
        return r;
    refrt::graph g;
    try
    {
        g = refrt::load_onnx((dir / "model.onnx").string());
    }
    catch (const refrt::model_error& e)
    {
        if (std::string(e.what()).find("unsupported op") == std::string::npos)
            r.failure = e.what();
        else
            r.skipped = e.what();
        return r;
    }
    r.ran = true;
    const fs::path data = dir / "test_data_set_0";
    refrt::tensor_map inputs;
    for (std::size_t k = 0; k < g.inputs.size(); ++k)
        inputs[g.inputs[k].name] =
          refrt::load_onnx_tensor((data / ("input_" + std::to_string(k) + ".pb")).string());
    std::vector<tensor> outputs;
    try
    {
        outputs = refrt::run(g, inputs);
    }
    catch (const refrt::model_error& e)
    {
        r.failure = e.what();
        return r;
    }
    for (std::size_t k = 0; k < g.outputs.size(); ++k)
    {
        const fs::path file = data / ("output_" + std::to_string(k) + ".pb");
        if (!fs::exists(file))
        {
            r.failure = "missing " + file.string();
            return r;
        }
        const std::string diff = compare(outputs.at(k), refrt::load_onnx_tensor(file.string()));
        if (!diff.empty())
        {
            r.failure = "output " + std::to_string(k) + " (" + g.outputs[k] + "): " + diff;
            return r;
        }
    }
    return r;
}

// ------------------------------------------------------------------------------------------ graph helpers

/// Adds Conv (+ Clip 0..6 when relu6) reading `x`; returns the output name.
std::string add_conv(refrt::graph& g,
                     std::mt19937& rng,
                     const std::string& x,
                     std::size_t cin,
                     std::size_t cout,
                     std::size_t k,
                     std::size_t stride,
                     std::size_t group,
                     bool relu6)
{
    const std::string name = "conv" + std::to_string(g.nodes.size());
    const float range = std::sqrt(3.0f / static_cast<float>(cin / group * k * k));
    g.constants[name + ".w"] = random_tensor({cout, cin / group, k, k}, rng, -range, range);
    g.constants[name + ".b"] = random_tensor({cout}, rng, -0.1f, 0.1f);
    refrt::node n;
    n.name = name;
    n.op = "Conv";
    n.inputs = {x, name + ".w", name + ".b"};
    n.outputs = {name};
    const auto p = static_cast<std::int64_t>(k / 2);
    n.attributes["pads"] = ints_attr({p, p, p, p});
    n.attributes["strides"] =
      ints_attr({static_cast<std::int64_t>(stride), static_cast<std::int64_t>(stride)});
    n.attributes["group"] = int_attr(static_cast<std::int64_t>(group));
    g.nodes.push_back(n);
    if (!relu6)
        return name;
    g.constants["zero"] = tensor(0.0f);
    g.constants["six"] = tensor(6.0f);
    g.nodes.push_back(refrt::node{name + ".relu6", "Clip", {name, "zero", "six"}, {name + ".relu6"}, {}});
    return name + ".relu6";
}

/// MobileNetV2 (width 1.0, 224 x 224 input, 1000 classes) with random weights and BN folded into the convs.
refrt::graph mobilenet_v2(std::mt19937& rng)
{
    refrt::graph g;
    g.inputs.push_back({"image", {1, 3, 224, 224}});
    std::string x = add_conv(g, rng, "image", 3, 32, 3, 2, 1, true);
    std::size_t c = 32;
    const int cfg[7][4] = {{1, 16, 1, 1},
                           {6, 24, 2, 2},
                           {6, 32, 3, 2},
                           {6, 64, 4, 2},
                           {6, 96, 3, 1},
                           {6, 160, 3, 2},
                           {6, 320, 1, 1}};
    for (const auto& row : cfg)
        for (int i = 0; i < row[2]; ++i)
        {
            const std::size_t hidden = c * static_cast<std::size_t>(row[0]),
                              out = static_cast<std::size_t>(row[1]);
            const std::size_t stride = i == 0 ? static_cast<std::size_t>(row[3]) : 1;
            std::string y = row[0] == 1 ? x : add_conv(g, rng, x, c, hidden, 1, 1, 1, true);
            y = add_conv(g, rng, y, hidden, hidden, 3, stride, hidden, true);
            y = add_conv(g, rng, y, hidden, out, 1, 1, 1, false);
            if (stride == 1 && c == out)
            {
                g.nodes.push_back(refrt::node{y + ".add", "Add", {x, y}, {y + ".add"}, {}});
                y += ".add";
            }
            x = y;
            c = out;
        }
    x = add_conv(g, rng, x, c, 1280, 1, 1, 1, true);
    g.nodes.push_back(refrt::node{"pool", "GlobalAveragePool", {x}, {"pool"}, {}});
    g.nodes.push_back(refrt::node{"flatten", "Flatten", {"pool"}, {"flat"}, {}});
    g.constants["fc.w"] = random_tensor({1000, 1280}, rng, -0.05f, 0.05f);
    g.constants["fc.b"] = random_tensor({1000}, rng, -0.1f, 0.1f);
    refrt::node fc{"fc", "Gemm", {"flat", "fc.w", "fc.b"}, {"logits"}, {}};
    fc.attributes["transB"] = int_attr(1);
    g.nodes.push_back(fc);
    g.outputs = {"logits"};
    return g;
}

/// Direct convolution in double (the definition), NCHW, 2-D.
tensor direct_conv(const tensor& x,
                   const tensor& w,
                   const tensor& b,
                   std::size_t group,
                   std::size_t stride,
                   std::size_t pad,
                   std::size_t dil)
{
    const std::size_t n = x.shape()[0], h = x.shape()[2], wd = x.shape()[3];
    const std::size_t m = w.shape()[0], cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3],
                      mg = m / group;
    const std::size_t oh = (h + 2 * pad - (kh - 1) * dil - 1) / stride + 1;
    const std::size_t ow = (wd + 2 * pad - (kw - 1) * dil - 1) / stride + 1;
    tensor y = tensor::from_shape({n, m, oh, ow});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t o = 0; o < m; ++o)
            for (std::size_t yy = 0; yy < oh; ++yy)
                for (std::size_t xx = 0; xx < ow; ++xx)
                {
                    double acc = b(o);
                    for (std::size_t ci = 0; ci < cg; ++ci)
                        for (std::size_t u = 0; u < kh; ++u)
                            for (std::size_t v = 0; v < kw; ++v)
                            {
                                const auto iy = static_cast<std::ptrdiff_t>(yy * stride + u * dil)
                                                - static_cast<std::ptrdiff_t>(pad);
                                const auto ix = static_cast<std::ptrdiff_t>(xx * stride + v * dil)
                                                - static_cast<std::ptrdiff_t>(pad);
                                if (iy < 0 || ix < 0 || iy >= static_cast<std::ptrdiff_t>(h)
                                    || ix >= static_cast<std::ptrdiff_t>(wd))
                                    continue;
                                acc += static_cast<double>(w(o, ci, u, v))
                                       * x(i,
                                           (o / mg) * cg + ci,
                                           static_cast<std::size_t>(iy),
                                           static_cast<std::size_t>(ix));
                            }
                    y(i, o, yy, xx) = static_cast<float>(acc);
                }
    return y;
}
}  // namespace

TEST_CASE("runtime ops: ONNX backend test cases (node and pytorch-converted)")
{
    std::map<std::string, std::vector<std::string>> ran;  // op -> cases run
    std::map<std::string, std::string> skipped;           // case -> reason
    std::set<std::string> found;
    int failures = 0;
    for (const auto& [dir, group] : backend_cases())
    {
        const std::string name = dir.filename().string();
        found.insert(name);
        const case_result r = run_case(dir, group->op);
        if (!r.skipped.empty())
            skipped[name] = r.skipped;
        if (r.ran)
            ran[group->op].push_back(name);
        if (!r.failure.empty())
        {
            ++failures;
            FAIL_CHECK(name << ": " << r.failure);
        }
    }
    for (const auto& [name, reason] : skipped)
        MESSAGE("skipped " << name << ": " << reason);
    std::ostringstream counts;
    for (const op_cases& g : case_table())
    {
        const auto& names = ran[g.op];
        counts << g.op << " " << names.size() << "; ";
        for (const std::string& e : g.expected)
        {
            const std::string why = skipped.count(e) ? skipped[e] : found.count(e) ? "failed" : "missing";
            CHECK_MESSAGE(std::find(names.begin(), names.end(), e) != names.end(),
                          g.op << ": expected case " << e << " did not run: " << why);
        }
        CHECK_MESSAGE(names.size() >= g.expected.size(), g.op << ": " << names.size() << " cases run");
    }
    MESSAGE("cases run per op: " << counts.str() << "failures: " << failures);
    if (std::getenv("AMCT_LIST_CASES") != nullptr)
        for (const op_cases& g : case_table())
        {
            std::string list;
            for (const std::string& name : ran[g.op])
                list += "\"" + name + "\", ";
            MESSAGE(g.op << ": " << list);
        }
}

TEST_CASE("runtime ops: the backend test cases written back as ONNX pass the checker and run in ONNX Runtime")
{
    // Every case the runtime runs, loaded, exported at opset 17 (save_onnx) and run by ONNX Runtime with
    // graph optimization off, against the case's expected outputs (the tolerance above).
    if (rt_test::ort_dir().empty())
    {
        MESSAGE("skipped: set AMCT_ORT_DIR to the directory scripts/fetch_ort.sh prints");
        return;
    }
    const rt_test::temp_dir tmp;

    struct exported
    {
        std::string name;
        fs::path expected, dir;
        std::size_t outputs = 0;
    };

    std::vector<exported> cases;
    std::vector<fs::path> models;
    std::vector<std::pair<fs::path, fs::path>> jobs;
    for (const auto& [dir, group] : backend_cases())
    {
        const case_result r = run_case(dir, group->op);
        if (!r.ran || !r.failure.empty())
            continue;
        const exported e{dir.filename().string(), dir / "test_data_set_0", tmp.path / dir.filename(), 0};
        CAPTURE(e.name);
        fs::create_directories(e.dir);
        const refrt::graph g = refrt::load_onnx((dir / "model.onnx").string());
        const fs::path model = e.dir / "model.onnx";
        try
        {
            refrt::save_onnx(g, model.string());
        }
        catch (const refrt::model_error& error)
        {
            FAIL_CHECK(std::string(error.what()));
            continue;
        }
        const auto declared = refrt::proto::read_model(model.string()).inputs;  // the input types written
        REQUIRE(declared.size() == g.inputs.size());
        for (std::size_t k = 0; k < g.inputs.size(); ++k)
        {
            const std::string file = "input_" + std::to_string(k) + ".pb";
            refrt::save_onnx_tensor(refrt::load_onnx_tensor((e.expected / file).string()),
                                    g.inputs[k].name,
                                    declared[k].elem_type,
                                    (e.dir / file).string());
        }
        cases.push_back(e);
        cases.back().outputs = g.outputs.size();
        models.push_back(model);
        jobs.emplace_back(model, e.dir);
    }
    REQUIRE(cases.size() > 300);
    const std::string checker = rt_test::onnx_check(models, tmp.path / "checker.log");
    CHECK_MESSAGE(checker.empty(), checker);
    const std::string log = rt_test::ort_run(jobs, "disabled", tmp.path / "ort.log");
    CHECK_MESSAGE(log.empty(), log);
    // "" when the outputs in `dir` match those in `reference` (the tolerance above).
    const auto differ = [](const exported& e, const fs::path& dir, const fs::path& reference)
    {
        std::string diff;
        for (std::size_t k = 0; k < e.outputs && diff.empty(); ++k)
        {
            const std::string file = "output_" + std::to_string(k) + ".pb";
            diff = !fs::exists(dir / file) ? "ONNX Runtime wrote no " + file
                                           : compare(refrt::load_onnx_tensor((dir / file).string()),
                                                     refrt::load_onnx_tensor((reference / file).string()));
        }
        return diff;
    };
    std::vector<const exported*> mismatched;
    for (const exported& e : cases)
        if (!differ(e, e.dir, e.expected).empty())
            mismatched.push_back(&e);
    // A mismatch is ONNX Runtime's own when it gives the same outputs for the case's original model.
    std::vector<std::pair<fs::path, fs::path>> originals;
    for (const exported* e : mismatched)
    {
        const fs::path dir = e->dir / "original";
        fs::create_directories(dir);
        for (const auto& entry : fs::directory_iterator(e->expected))
            if (entry.path().filename().string().rfind("input_", 0) == 0)
                fs::copy_file(entry.path(), dir / entry.path().filename());
        originals.emplace_back(e->expected.parent_path() / "model.onnx", dir);
    }
    if (!originals.empty())
        rt_test::ort_run(originals, "disabled", tmp.path / "ort_originals.log");
    std::string ort_own;
    for (const exported* e : mismatched)
    {
        CAPTURE(e->name);
        const std::string diff = differ(*e, e->dir, e->expected);
        CHECK_MESSAGE(differ(*e, e->dir, e->dir / "original").empty(), diff);
        ort_own += " " + e->name;
    }
    MESSAGE((cases.size() - mismatched.size())
            << " of " << cases.size()
            << " exported backend cases agree with the expected outputs in "
               "ONNX Runtime; ONNX Runtime gives the same other outputs for "
               "the original model of:"
            << ort_own);
    CHECK(mismatched.size() <= 2);  // ONNX Runtime 1.30's Resize, downsampling with align_corners
}

TEST_CASE("runtime ops: check_graph names the unsupported op and its node")
{
    refrt::graph g;
    g.inputs.push_back({"x", {1, 4}});
    g.nodes.push_back(refrt::node{"r", "Relu", {"x"}, {"y"}, {}});
    g.nodes.push_back(refrt::node{"bar", "Foo", {"y"}, {"z"}, {}});
    g.outputs = {"z"};
    std::string msg;
    try
    {
        refrt::check_graph(g);
    }
    catch (const refrt::model_error& e)
    {
        msg = e.what();
    }
    CHECK(msg == "unsupported op 'Foo' in node 'bar'");
    g.nodes[1] = refrt::node{"s", "Sigmoid", {"nowhere"}, {"z"}, {}};
    msg.clear();
    try
    {
        refrt::check_graph(g);
    }
    catch (const refrt::model_error& e)
    {
        msg = e.what();
    }
    CHECK(msg.find("node 's' (Sigmoid)") != std::string::npos);
    CHECK(msg.find("'nowhere'") != std::string::npos);
    // Errors while running name the node.
    g.nodes[1] = refrt::node{"cat", "Concat", {"x", "y"}, {"z"}, {}};
    g.nodes[1].attributes["axis"] = int_attr(5);
    msg.clear();
    try
    {
        refrt::run(g, {{"x", tensor::from_shape({1, 4})}});
    }
    catch (const refrt::model_error& e)
    {
        msg = e.what();
    }
    CHECK(msg.rfind("node 'cat' (Concat): ", 0) == 0);
}

TEST_CASE("runtime ops: Conv fast paths (pointwise, depthwise, grouped, im2col) match a direct convolution")
{
    std::mt19937 rng(7);

    struct conv_case
    {
        std::size_t c, m, k, group, stride, pad, dil, h, w;
    };

    const conv_case cases[] = {
      {16, 24, 1, 1, 1, 0, 1, 9, 11},    // pointwise: GEMM on the input
      {12, 12, 3, 12, 1, 1, 1, 10, 9},   // depthwise
      {12, 12, 3, 12, 2, 1, 1, 11, 10},  // depthwise, stride 2
      {8, 8, 5, 8, 2, 2, 2, 13, 12},     // depthwise, dilated
      {6, 12, 3, 6, 1, 1, 1, 7, 8},      // depthwise with multiplier 2 (im2col)
      {8, 12, 3, 4, 1, 1, 1, 7, 8},      // grouped
      {3, 32, 3, 1, 2, 1, 1, 17, 15},    // im2col, stride 2
      {5, 7, 3, 1, 1, 0, 2, 12, 12},     // dilated
      {64, 37, 1, 1, 2, 0, 1, 9, 9},     // 1x1 stride 2 (im2col)
      {300, 9, 3, 1, 1, 1, 1, 6, 5},     // K beyond one GEMM block
    };
    for (const conv_case& cc : cases)
    {
        CAPTURE(cc.c);
        CAPTURE(cc.m);
        CAPTURE(cc.group);
        CAPTURE(cc.stride);
        const tensor x = random_tensor({2, cc.c, cc.h, cc.w}, rng);
        const tensor w = random_tensor({cc.m, cc.c / cc.group, cc.k, cc.k}, rng);
        const tensor b = random_tensor({cc.m}, rng);
        refrt::node n{"c", "Conv", {"x", "w", "b"}, {"y"}, {}};
        const auto p = static_cast<std::int64_t>(cc.pad);
        n.attributes["pads"] = ints_attr({p, p, p, p});
        const auto s = static_cast<std::int64_t>(cc.stride), d = static_cast<std::int64_t>(cc.dil);
        n.attributes["strides"] = ints_attr({s, s});
        n.attributes["dilations"] = ints_attr({d, d});
        n.attributes["group"] = int_attr(static_cast<std::int64_t>(cc.group));
        const auto y = refrt::run_node(n, {&x, &w, &b});
        const tensor expected = direct_conv(x, w, b, cc.group, cc.stride, cc.pad, cc.dil);
        CHECK(compare(y.at(0), expected) == "");
    }
}

TEST_CASE("runtime ops: one graph run from two threads at once gives the single-threaded outputs")
{
    std::mt19937 rng(3);
    refrt::graph g;
    g.inputs.push_back({"image", {1, 3, 32, 32}});
    std::string x = add_conv(g, rng, "image", 3, 16, 3, 2, 1, true);
    x = add_conv(g, rng, x, 16, 16, 3, 1, 16, true);
    x = add_conv(g, rng, x, 16, 8, 1, 1, 1, false);
    g.nodes.push_back(refrt::node{"pool", "GlobalAveragePool", {x}, {"pool"}, {}});
    g.outputs = {"pool", x};
    refrt::check_graph(g);
    const tensor a = random_tensor({1, 3, 32, 32}, rng), b = random_tensor({1, 3, 32, 32}, rng);
    const auto ref_a = refrt::run(g, {{"image", a}}), ref_b = refrt::run(g, {{"image", b}});
    REQUIRE(ref_a.size() == 2);
    std::vector<tensor> out_a, out_b;
    bool same_a = true, same_b = true;
    std::thread ta(
      [&]
      {
          for (int i = 0; i < 20 && same_a; ++i)
          {
              out_a = refrt::run(g, {{"image", a}});
              same_a = out_a == ref_a;
          }
      });
    std::thread tb(
      [&]
      {
          for (int i = 0; i < 20 && same_b; ++i)
          {
              out_b = refrt::run(g, {{"image", b}});
              same_b = out_b == ref_b;
          }
      });
    ta.join();
    tb.join();
    CHECK(same_a);
    CHECK(same_b);
    CHECK(ref_a != ref_b);
}

namespace
{
/// Zeroes the first input of one node and records every node's first output shape.
struct zeroing_observer : refrt::run_observer
{
    std::string target;
    std::vector<std::string> seen;

    bool wants_input(const refrt::node& n) override
    {
        return n.name == target;
    }

    void input(const refrt::node&, tensor& t) override
    {
        std::fill(t.data(), t.data() + t.size(), 0.0f);
    }

    void output(const refrt::node& n, tensor&) override
    {
        seen.push_back(n.name);
    }
};
}  // namespace

TEST_CASE("runtime ops: run_observer replaces a node's first input and sees every output")
{
    refrt::graph g;
    g.inputs.push_back({"x", {2, 3}});
    g.constants["one"] = tensor(1.0f);
    g.nodes.push_back(refrt::node{"neg", "Neg", {"x"}, {"a"}, {}});
    g.nodes.push_back(refrt::node{"add", "Add", {"a", "one"}, {"b"}, {}});
    g.outputs = {"b", "a"};
    const tensor x = {{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
    zeroing_observer obs;
    obs.target = "add";
    const auto out = refrt::run(g, {{"x", x}}, &obs);
    CHECK(out.at(0) == tensor(xt::ones<float>({2, 3})));
    CHECK(out.at(1) == tensor(-x));  // the replacement is a copy: the stored tensor is unchanged
    CHECK(obs.seen == std::vector<std::string>{"neg", "add"});
    const auto plain = refrt::run(g, {{"x", x}});
    CHECK(plain.at(0) == tensor(1.0f - x));
}

TEST_CASE("runtime ops: MobileNetV2-shaped forward (224 x 224, random weights) is finite and timed")
{
    std::mt19937 rng(11);
    const refrt::graph g = mobilenet_v2(rng);
    refrt::check_graph(g);
    const tensor image = random_tensor({1, 3, 224, 224}, rng);
    refrt::run(g, {{"image", image}});  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = refrt::run(g, {{"image", image}});
    const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(out.size() == 1);
    CHECK(out[0].size() == 1000);
    CHECK(std::all_of(out[0].data(),
                      out[0].data() + out[0].size(),
                      [](float v)
                      {
                          return std::isfinite(v);
                      }));
    MESSAGE("MobileNetV2 224x224 forward: " << ms << " ms");
}
