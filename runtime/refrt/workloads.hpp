// runtime/refrt/workloads.hpp: the real models of the demo with their data, for the examples and the
// benchmarks: MobileNetV2 (TF.js, nsfwjs@4.3.0) on photos, PP-OCRv4 det on photos and text images, PP-OCR cls
// on text lines cut out by the float det model. Models from scripts/fetch_models.sh, images from
// scripts/fetch_images.sh. Calibration and evaluation images are always disjoint.
#pragma once

#include <algorithm>   // std::sort, std::shuffle, std::rotate
#include <cmath>       // std::ceil
#include <cstddef>     // std::size_t
#include <cstdlib>     // std::getenv
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ofstream
#include <functional>  // std::function
#include <iostream>    // std::cout
#include <random>      // std::mt19937
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string
#include <utility>     // std::pair
#include <vector>      // std::vector

#include "executor.hpp"
#include "image.hpp"
#include "onnx_import.hpp"
#include "tfjs_import.hpp"

namespace refrt
{
/// Where the data comes from and how much of it is used.
struct workload_options
{
    std::string model = "mobilenet_v2";  ///< mobilenet_v2, ppocr_det or ppocr_cls
    std::string models_dir, images_dir;
    /// Samples (images; crops for ppocr_cls). calib 0: the model's default (mobilenet_v2 16, ppocr_det 12,
    /// ppocr_cls all of its half); eval: at most this many, from what calibration left.
    std::size_t calib = 0, eval = 1000;
    std::size_t batch = 4;       ///< samples per batch (ppocr_det: always 1, sizes differ)
    std::size_t det_side = 480;  ///< PP-OCR det input: longer side limit
    /// mobilenet_v2 and ppocr_det: the image list starts at image `rotate` (cyclically), so another split
    /// of the same images calibrates and evaluates (the held-out result depends on the split).
    std::size_t rotate = 0;
};

/// @brief Reads "--option value" pairs of a command line into `o` (--model, --models-dir, --images-dir,
/// --calib, --eval, --batch, --det-side, --rotate); the program's own options go to `extra(option, value)`,
/// which returns false for an unknown one. AMCT_MODELS_DIR and AMCT_IMAGES_DIR are the directories' defaults.
/// @throws std::invalid_argument naming an unknown option or one without a value.
inline void parse_options(int argc,
                          char** argv,
                          workload_options& o,
                          const std::function<bool(const std::string&, const std::string&)>& extra)
{
    const char* models = std::getenv("AMCT_MODELS_DIR");
    const char* images = std::getenv("AMCT_IMAGES_DIR");
    if (models && o.models_dir.empty())
        o.models_dir = models;
    if (images && o.images_dir.empty())
        o.images_dir = images;
    for (int i = 1; i < argc; i += 2)
    {
        const std::string a = argv[i];
        if (i + 1 == argc)
        {
            throw std::invalid_argument("option " + a + " needs a value");
        }
        const std::string v = argv[i + 1];
        if (a == "--model")
            o.model = v;
        else if (a == "--models-dir")
            o.models_dir = v;
        else if (a == "--images-dir")
            o.images_dir = v;
        else if (a == "--calib")
            o.calib = std::stoul(v);
        else if (a == "--eval")
            o.eval = std::stoul(v);
        else if (a == "--batch")
            o.batch = std::max<std::size_t>(1, std::stoul(v));
        else if (a == "--det-side")
            o.det_side = std::stoul(v);
        else if (a == "--rotate")
            o.rotate = std::stoul(v);
        else if (!extra(a, v))
            throw std::invalid_argument("unknown option " + a);
    }
}

/// @throws std::invalid_argument when the model or image directory is not set.
inline void require_data_dirs(const workload_options& o)
{
    if (o.models_dir.empty() || o.images_dir.empty())
    {
        throw std::invalid_argument(
          "--models-dir and --images-dir are needed (or AMCT_MODELS_DIR, AMCT_IMAGES_DIR)");
    }
}

/// Writes `text` to `path`. @throws std::runtime_error naming the file when it cannot be written.
inline void write_file(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream out(path);
    out << text;
    if (!out)
    {
        throw std::runtime_error("cannot write " + path.string());
    }
}

/// One input batch and, for a classifier evaluated against labels, its labels.
struct batch
{
    tensor x;
    std::vector<int> labels;
};

/// How a model's output is judged against the float model's.
enum class output_kind
{
    classifier,  ///< top-1 agreement
    labelled,    ///< top-1 agreement and accuracy against the batches' labels
    dense        ///< a probability map: agreement of its mask p > 0.3
};

/// A model with its data: calibration and evaluation images are disjoint.
struct workload
{
    output_kind kind;
    refrt::graph model;
    std::vector<batch> calib, eval;
};

inline std::vector<std::filesystem::path> list_images(const std::filesystem::path& dir)
{
    std::vector<std::filesystem::path> files;
    if (!std::filesystem::is_directory(dir))
    {
        throw std::runtime_error("no image directory " + dir.string() + " (run scripts/fetch_images.sh)");
    }
    for (const auto& e : std::filesystem::directory_iterator(dir))
    {
        const std::string ext = e.path().extension().string();
        if (ext == ".jpg" || ext == ".png" || ext == ".jpeg")
        {
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    std::shuffle(files.begin(), files.end(), std::mt19937(2026));  // mix the sources, deterministically
    return files;
}

/// Groups single-sample tensors into batches of `size` along axis 0.
inline std::vector<batch> make_batches(const std::vector<tensor>& samples,
                                       const std::vector<int>& labels,
                                       std::size_t size)
{
    std::vector<batch> out;
    for (std::size_t i = 0; i < samples.size(); i += size)
    {
        const std::size_t end = std::min(samples.size(), i + size);
        batch b;
        b.x = refrt::stack(std::vector<tensor>(samples.begin() + static_cast<std::ptrdiff_t>(i),
                                               samples.begin() + static_cast<std::ptrdiff_t>(end)));
        if (!labels.empty())
        {
            b.labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(i),
                            labels.begin() + static_cast<std::ptrdiff_t>(end));
        }
        out.push_back(std::move(b));
    }
    return out;
}

inline std::string input_of(const refrt::graph& g)
{
    if (g.inputs.size() != 1)
    {
        throw std::runtime_error("the model must have one input");
    }
    return g.inputs[0].name;
}

/// Runs a one-input, one-output model.
inline tensor run1(const refrt::graph& g, const tensor& x, refrt::run_observer* obs = nullptr)
{
    return refrt::run(g, {{input_of(g), x}}, obs).at(0);
}

/// How many of `available` images calibrate (`o.calib`, else `default_calib`) and how many of the rest
/// evaluate (at most `o.eval`). @throws std::runtime_error when none would be left to evaluate.
inline std::pair<std::size_t, std::size_t> split_counts(const workload_options& o,
                                                        std::size_t available,
                                                        std::size_t default_calib)
{
    const std::size_t n_calib = o.calib ? o.calib : default_calib;
    if (available <= n_calib)
    {
        throw std::runtime_error("only " + std::to_string(available) + " images in " + o.images_dir
                                 + " for --calib " + std::to_string(n_calib) + " and evaluation");
    }
    return {n_calib, std::min(o.eval, available - n_calib)};
}

/// `files` started at file o.rotate, cyclically.
inline std::vector<std::filesystem::path> rotated(std::vector<std::filesystem::path> files,
                                                  const workload_options& o)
{
    if (!files.empty())
    {
        std::rotate(
          files.begin(), files.begin() + static_cast<std::ptrdiff_t>(o.rotate % files.size()), files.end());
    }
    return files;
}

/// MobileNetV2 (TF.js, nsfwjs): 224x224 RGB / 255, NHWC. Photos split into calibration and evaluation.
inline workload mobilenet_v2(const workload_options& o, const std::filesystem::path& model_file)
{
    workload w{output_kind::classifier, refrt::load_tfjs(model_file.string()), {}, {}};
    const auto files = rotated(list_images(std::filesystem::path(o.images_dir) / "photos"), o);
    const auto [n_calib, n_eval] = split_counts(o, files.size(), 16);
    std::vector<tensor> calib, eval;
    for (std::size_t i = 0; i < n_calib + n_eval; ++i)
    {
        const tensor x = refrt::to_nhwc(
          refrt::resize_bilinear(refrt::load_image(files[i].string()), 224, 224), 1.0f / 255.0f);
        (i < n_calib ? calib : eval).push_back(x);
    }
    w.calib = make_batches(calib, {}, o.batch);
    w.eval = make_batches(eval, {}, o.batch);
    return w;
}

inline tensor det_input(const refrt::image& img, std::size_t side)
{
    return refrt::to_nchw(
      refrt::resize_for_det(img, side), {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true);
}

/// PP-OCRv4 det: photos and text images (one image per batch: sizes differ), DB's preprocessing.
inline workload ppocr_det(const workload_options& o, const std::filesystem::path& model_file)
{
    workload w{output_kind::dense, refrt::load_onnx(model_file.string()), {}, {}};
    auto files = list_images(std::filesystem::path(o.images_dir) / "text");
    const auto photos = list_images(std::filesystem::path(o.images_dir) / "photos");
    files.insert(files.end(), photos.begin(), photos.end());
    std::shuffle(files.begin(), files.end(), std::mt19937(7));
    files = rotated(std::move(files), o);
    const auto [n_calib, n_eval] = split_counts(o, files.size(), 12);
    for (std::size_t i = 0; i < n_calib + n_eval; ++i)
    {
        batch b{det_input(refrt::load_image(files[i].string()), o.det_side), {}};
        (i < n_calib ? w.calib : w.eval).push_back(std::move(b));
    }
    return w;
}

/// PP-OCR cls: text lines found by the float det model in the text images, cut into pieces of the input's
/// aspect ratio, upright (label 0) and rotated by 180 degrees (label 1). Alternate pieces go to calibration
/// and evaluation.
inline workload ppocr_cls(const workload_options& o,
                          const std::filesystem::path& model_file,
                          const std::filesystem::path& det_file)
{
    workload w{output_kind::labelled, refrt::load_onnx(model_file.string()), {}, {}};
    const refrt::graph det = refrt::load_onnx(det_file.string());
    std::vector<tensor> samples[2];
    std::vector<int> labels[2];
    std::size_t lines = 0, pieces = 0;
    for (const auto& file : list_images(std::filesystem::path(o.images_dir) / "text"))
    {
        const refrt::image img = refrt::load_image(file.string());
        const refrt::image small = refrt::resize_for_det(img, o.det_side);
        const tensor prob = run1(det, det_input(img, o.det_side));
        const double sy = static_cast<double>(img.height) / static_cast<double>(small.height);
        const double sx = static_cast<double>(img.width) / static_cast<double>(small.width);
        for (const refrt::box& b : refrt::text_boxes(prob))
        {
            const auto y = static_cast<std::size_t>(static_cast<double>(b.y) * sy);
            const auto x = static_cast<std::size_t>(static_cast<double>(b.x) * sx);
            const auto h =
              std::min(img.height - y, static_cast<std::size_t>(std::ceil(static_cast<double>(b.h) * sy)));
            const auto wd =
              std::min(img.width - x, static_cast<std::size_t>(std::ceil(static_cast<double>(b.w) * sx)));
            if (wd < 2 * h || h < 8)  // text lines only: wide, not specks
            {
                continue;
            }
            // pieces of the cls input's aspect ratio (192 / 48 = 4): a whole line squeezed into 192 columns
            // is not what the classifier was trained on
            for (std::size_t left = x; left + 2 * h <= x + wd; left += 4 * h)
            {
                const refrt::image piece = refrt::crop(img, y, left, h, std::min(4 * h, x + wd - left));
                const std::size_t set = pieces++ % 2;
                samples[set].push_back(refrt::cls_input(piece));
                labels[set].push_back(0);
                samples[set].push_back(refrt::cls_input(refrt::rotate180(piece)));
                labels[set].push_back(1);
            }
            ++lines;
        }
    }
    std::cout << "text lines found by the det model: " << lines << ", cut into " << pieces << " pieces ("
              << 2 * pieces << " crops)\n";
    for (int set = 0; set < 2; ++set)
    {
        const std::size_t limit = set == 0 ? (o.calib ? o.calib : samples[0].size()) : o.eval;
        if (samples[set].size() > limit)
        {
            samples[set].resize(limit);
            labels[set].resize(limit);
        }
    }
    w.calib = make_batches(samples[0], labels[0], o.batch);
    w.eval = make_batches(samples[1], labels[1], o.batch);
    return w;
}

inline workload load_workload(const workload_options& o)
{
    const std::filesystem::path models(o.models_dir);
    if (o.model == "mobilenet_v2")
    {
        return mobilenet_v2(o, models / "mobilenet_v2" / "model.json");
    }
    if (o.model == "ppocr_det")
    {
        return ppocr_det(o, models / "ppocr" / "det.onnx");
    }
    if (o.model == "ppocr_cls")
    {
        if (o.rotate != 0)
        {
            throw std::invalid_argument(
              "--rotate is for mobilenet_v2 and ppocr_det (ppocr_cls alternates its "
              "text-line pieces between calibration and evaluation)");
        }
        return ppocr_cls(o, models / "ppocr" / "cls.onnx", models / "ppocr" / "det.onnx");
    }
    throw std::runtime_error("unknown --model " + o.model + " (mobilenet_v2, ppocr_det, ppocr_cls)");
}

}  // namespace refrt
