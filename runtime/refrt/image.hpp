// runtime/refrt/image.hpp: images for calibration and evaluation. Decoding (stb_image), resizing,
// cropping, the tensor layouts of the demo's models (MobileNetV2 NHWC RGB/255; PP-OCR NCHW BGR normalised)
// and the PP-OCR pre- and post-processing the text detector ("det") and direction classifier ("cls") need.
#pragma once

#include <array>    // std::array
#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "graph.hpp"  // refrt::tensor

namespace refrt
{
/// An image in HWC order (RGB after load_image), values 0..255 as float.
struct image
{
    std::size_t height = 0, width = 0, channels = 0;
    std::vector<float> pixels;  ///< height * width * channels, row-major

    float at(std::size_t y, std::size_t x, std::size_t c) const
    {
        return pixels[(y * width + x) * channels + c];
    }
};

/// Decodes a PNG, JPEG, BMP, ... file (stb_image) into 3-channel RGB; grey and alpha are expanded or dropped.
/// Throws std::runtime_error naming the file and stb's reason.
image load_image(const std::string& path);

/// Bilinear resize with half-pixel centres: output pixel i samples the input at (i + 0.5) * in / out - 0.5,
/// clamped to the first and last pixel. This is OpenCV's INTER_LINEAR (and TF's resize_bilinear with
/// half_pixel_centers=true); unlike OpenCV on 8-bit images the result stays float, not rounded. No
/// anti-aliasing when shrinking, as in both.
image resize_bilinear(const image& img, std::size_t height, std::size_t width);

/// The rows y..y+h-1 and columns x..x+w-1; throws std::invalid_argument outside the image or when empty.
image crop(const image& img, std::size_t y, std::size_t x, std::size_t h, std::size_t w);

image rotate180(const image& img);

/// [1, 3, H, W] with (x / 255 - mean[c]) / stddev[c] for output channel c. With bgr the output channels are
/// B, G, R (an RGB image read as OpenCV reads it) and mean, stddev are in that order too, as in PaddleOCR's
/// NormalizeImage applied to cv2.imread's BGR image.
tensor to_nchw(const image& img,
               const std::array<float, 3>& mean,
               const std::array<float, 3>& stddev,
               bool bgr);

/// [1, H, W, C] with x * scale (MobileNetV2 from TF.js: RGB, scale 1/255).
tensor to_nhwc(const image& img, float scale);

/// Concatenates tensors of equal shape [1, ...] along axis 0.
tensor stack(const std::vector<tensor>& batch);

/// PaddleOCR's DetResizeForTest, limit_type 'max' (tools/infer/predict_det.py defaults: limit_side_len 960):
/// ratio = limit / max(h, w) when the longer side exceeds limit, else 1; each side becomes int(side * ratio)
/// rounded to the nearest multiple of 32 (Python's round: ties to even), at least 32; then resize_bilinear.
image resize_for_det(const image& img, std::size_t limit_side = 960);

/// Side lengths resize_for_det produces, {height, width}.
std::array<std::size_t, 2> det_size(std::size_t height, std::size_t width, std::size_t limit_side = 960);

/// A text box on the probability map: rows y..y+h-1, columns x..x+w-1, score = mean probability of the
/// component it came from.
struct box
{
    std::size_t y = 0, x = 0, h = 0, w = 0;
    float score = 0.0f;
};

/// DB's postprocess (PaddleOCR DBPostProcess; defaults of predict_det.py: thresh 0.3, box_thresh 0.6,
/// unclip_ratio 1.5, min_size 3), simplified to axis-aligned boxes: prob_map [1, 1, H, W] is binarised
/// (p > thresh), split into 8-connected components (cv2.findContours' foreground connectivity), and each
/// component's bounding rectangle takes the place of DB's minimum-area rotated rectangle. As with OpenCV's
/// contours, the rectangle runs through the centres of the border pixels: a component spanning w x h
/// pixels has sides W = w - 1, H = h - 1. A component is dropped when min(W, H) < min_size or its mean
/// probability (PaddleOCR's score_mode 'slow': over the component, not its box) is below box_thresh. It is
/// then grown on every side by DB's unclip distance d = area * unclip_ratio / perimeter
/// = W H r / (2 (W + H)), dropped when min(W, H) + 2d < min_size + 2, and its edges x0 - d, x1 + d (y
/// likewise) are rounded to the nearest pixel (ties to even) and clipped to the map. PaddleOCR's
/// max_candidates (1000) is not applied.
/// Boxes come sorted by top edge, then left edge.
std::vector<box> text_boxes(const tensor& prob_map,
                            float thresh = 0.3f,
                            float box_thresh = 0.6f,
                            float unclip_ratio = 1.5f,
                            std::size_t min_size = 3);

/// PaddleOCR's text direction classifier input (TextClassifier.resize_norm_img, cls_image_shape 3,48,192):
/// resize to height 48 and width min(192, ceil(48 * w / h)), (x / 255 - 0.5) / 0.5 in BGR order (the crop as
/// cv2.imread gives it), zeros on the right up to width 192 -> [1, 3, 48, 192].
tensor cls_input(const image& text_crop);
}  // namespace refrt
