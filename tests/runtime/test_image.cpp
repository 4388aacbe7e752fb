// The reference runtime's image helpers (runtime/refrt/image.hpp): decoding against fixtures written by
// hand (tests/data/image/make_fixtures.py, no codec involved), resizing against hand-computed half-pixel
// bilinear values, the tensor layouts, and PaddleOCR's det resize, DB box and cls input rules on hand-worked
// cases. The workloads' --rotate option.
#include <array>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <refrt/image.hpp>
#include <refrt/workloads.hpp>

namespace
{
const std::string data_dir = std::string(AMCT_TEST_DATA_DIR) + "/image/";

/// A single-channel image from rows of values.
refrt::image grey(const std::vector<std::vector<float>>& rows)
{
    refrt::image img{rows.size(), rows.front().size(), 1, {}};
    for (const auto& row : rows)
    {
        img.pixels.insert(img.pixels.end(), row.begin(), row.end());
    }
    return img;
}

refrt::image constant_rgb(std::size_t h, std::size_t w, std::array<float, 3> rgb)
{
    refrt::image img{h, w, 3, {}};
    for (std::size_t i = 0; i < h * w; ++i)
    {
        img.pixels.insert(img.pixels.end(), rgb.begin(), rgb.end());
    }
    return img;
}

/// An RGB image whose every value is distinct: (y * w + x) * 3 + c.
refrt::image ramp(std::size_t h, std::size_t w)
{
    refrt::image img{h, w, 3, std::vector<float>(h * w * 3)};
    for (std::size_t i = 0; i < img.pixels.size(); ++i)
    {
        img.pixels[i] = static_cast<float>(i);
    }
    return img;
}

/// A [1, 1, h, w] map with the given value on rows y0..y1, columns x0..x1 (inclusive).
void fill(refrt::tensor& map, std::size_t y0, std::size_t y1, std::size_t x0, std::size_t x1, float v)
{
    for (std::size_t y = y0; y <= y1; ++y)
    {
        for (std::size_t x = x0; x <= x1; ++x)
        {
            map(0, 0, y, x) = v;
        }
    }
}

refrt::tensor zeros_map(std::size_t h, std::size_t w)
{
    refrt::tensor t = refrt::tensor::from_shape({1, 1, h, w});
    t.fill(0.0f);
    return t;
}

void check_box(const refrt::box& b, std::size_t y, std::size_t x, std::size_t h, std::size_t w, float score)
{
    CHECK(b.y == y);
    CHECK(b.x == x);
    CHECK(b.h == h);
    CHECK(b.w == w);
    CHECK(b.score == doctest::Approx(score).epsilon(1e-6));
}
}  // namespace

TEST_CASE("image load_image decodes PNG exactly and expands grey to RGB")
{
    const refrt::image rgb = refrt::load_image(data_dir + "rgb3x2.png");
    REQUIRE(rgb.height == 2);
    REQUIRE(rgb.width == 3);
    REQUIRE(rgb.channels == 3);
    const std::vector<float> want{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 128, 64, 32, 255, 255, 255};
    CHECK(rgb.pixels == want);
    CHECK(rgb.at(1, 1, 0) == 128.0f);

    const refrt::image g = refrt::load_image(data_dir + "grey2x2.png");
    REQUIRE(g.channels == 3);
    CHECK(g.pixels == std::vector<float>{0, 0, 0, 77, 77, 77, 200, 200, 200, 255, 255, 255});
}

TEST_CASE("image load_image decodes a JPEG within YCbCr rounding")
{
    const refrt::image img = refrt::load_image(data_dir + "blocks.jpg");
    REQUIRE(img.height == 8);
    REQUIRE(img.width == 16);
    REQUIRE(img.channels == 3);
    const std::array<float, 3> left{200, 40, 40}, right{30, 90, 220};
    for (std::size_t y = 0; y < 8; ++y)
    {
        for (std::size_t x = 0; x < 16; ++x)
        {
            for (std::size_t c = 0; c < 3; ++c)
            {
                CHECK(std::fabs(img.at(y, x, c) - (x < 8 ? left[c] : right[c])) <= 2.0f);
            }
        }
    }
}

TEST_CASE("image load_image names the file and the reason on failure")
{
    const std::string missing = data_dir + "no_such_file.png";
    CHECK_THROWS_WITH_AS(
      refrt::load_image(missing), doctest::Contains("no_such_file.png"), std::runtime_error);
    // A text file: stb_image reports an unknown type.
    const std::string not_image = data_dir + "make_fixtures.py";
    try
    {
        refrt::load_image(not_image);
        FAIL("decoded a Python script");
    }
    catch (const std::runtime_error& e)
    {
        const std::string what = e.what();
        CHECK(what.find("make_fixtures.py") != std::string::npos);
        CHECK(what.find("': ") != std::string::npos);
        CHECK(what.size() > what.find("': ") + 3);  // a reason follows
    }
}

TEST_CASE("image resize_bilinear: identity, constant, hand-computed half-pixel cases")
{
    const refrt::image r = ramp(5, 7);
    CHECK(refrt::resize_bilinear(r, 5, 7).pixels == r.pixels);

    const refrt::image c = refrt::resize_bilinear(constant_rgb(4, 6, {12.5f, 200.0f, 3.0f}), 13, 3);
    REQUIRE(c.pixels.size() == 13 * 3 * 3);
    for (std::size_t i = 0; i < c.pixels.size(); ++i)
    {
        CHECK(c.pixels[i] == (i % 3 == 0 ? 12.5f : i % 3 == 1 ? 200.0f : 3.0f));
    }

    // 2x2 -> 4x4: output i samples (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to 0, 0.25,
    // 0.75, 1.
    const refrt::image up = refrt::resize_bilinear(grey({{0, 4}, {8, 12}}), 4, 4);
    const std::vector<float> want_up{0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12};
    CHECK(up.pixels == want_up);

    // 1x4 -> 1x2: output i samples 2 i + 0.5, the mean of a pair (align_corners would give 0 and 40).
    CHECK(refrt::resize_bilinear(grey({{0, 10, 20, 40}}), 1, 2).pixels == std::vector<float>{5, 30});
    // 1x3 -> 1x2: samples 0.25 and 1.75.
    CHECK(refrt::resize_bilinear(grey({{0, 8, 16}}), 1, 2).pixels == std::vector<float>{2, 14});

    CHECK_THROWS_AS(refrt::resize_bilinear(r, 0, 3), std::invalid_argument);
}

TEST_CASE("image crop and rotate180")
{
    const refrt::image rgb = refrt::load_image(data_dir + "rgb3x2.png");
    const refrt::image c = refrt::crop(rgb, 1, 1, 1, 2);
    CHECK(c.height == 1);
    CHECK(c.width == 2);
    CHECK(c.pixels == std::vector<float>{128, 64, 32, 255, 255, 255});
    CHECK(refrt::crop(rgb, 0, 0, 2, 3).pixels == rgb.pixels);
    CHECK_THROWS_AS(refrt::crop(rgb, 1, 0, 2, 1), std::invalid_argument);
    CHECK_THROWS_AS(refrt::crop(rgb, 0, 2, 1, 2), std::invalid_argument);
    CHECK_THROWS_AS(refrt::crop(rgb, 0, 0, 0, 1), std::invalid_argument);

    const refrt::image rot = refrt::rotate180(rgb);
    CHECK(rot.pixels
          == std::vector<float>{255, 255, 255, 128, 64, 32, 10, 20, 30, 0, 0, 255, 0, 255, 0, 255, 0, 0});
    const refrt::image r = ramp(3, 5);
    CHECK(refrt::rotate180(refrt::rotate180(r)).pixels == r.pixels);
    CHECK(refrt::rotate180(r).pixels != r.pixels);
}

TEST_CASE("image to_nchw normalises per channel and swaps to BGR; to_nhwc and stack")
{
    refrt::image img{1, 2, 3, {255, 0, 51, 102, 204, 255}};
    const std::array<float, 3> mean{0.1f, 0.2f, 0.3f}, stddev{0.5f, 0.25f, 2.0f};

    const refrt::tensor rgb = refrt::to_nchw(img, mean, stddev, false);
    REQUIRE(rgb.shape() == std::vector<std::size_t>{1, 3, 1, 2});
    // R: (1 - 0.1) / 0.5, (0.4 - 0.1) / 0.5; G: (0 - 0.2) / 0.25, (0.8 - 0.2) / 0.25; B: (0.2 - 0.3) / 2, (1
    // - 0.3) / 2
    const std::vector<float> want_rgb{1.8f, 0.6f, -0.8f, 2.4f, -0.05f, 0.35f};
    const refrt::tensor bgr = refrt::to_nchw(img, mean, stddev, true);
    // B with mean[0], std[0]: (0.2 - 0.1) / 0.5, (1 - 0.1) / 0.5; G as above; R with mean[2], std[2].
    const std::vector<float> want_bgr{0.2f, 1.8f, -0.8f, 2.4f, 0.35f, 0.05f};
    for (std::size_t i = 0; i < 6; ++i)
    {
        CHECK(rgb.data()[i] == doctest::Approx(want_rgb[i]).epsilon(1e-5));
        CHECK(bgr.data()[i] == doctest::Approx(want_bgr[i]).epsilon(1e-5));
    }

    const refrt::tensor nhwc = refrt::to_nhwc(img, 1.0f / 255.0f);
    REQUIRE(nhwc.shape() == std::vector<std::size_t>{1, 1, 2, 3});
    CHECK(nhwc(0, 0, 1, 1) == doctest::Approx(0.8f));
    CHECK(nhwc(0, 0, 0, 2) == doctest::Approx(0.2f));

    refrt::image other = img;
    other.pixels[0] = 0.0f;
    const refrt::tensor batch = refrt::stack({refrt::to_nhwc(img, 1.0f), refrt::to_nhwc(other, 1.0f)});
    REQUIRE(batch.shape() == std::vector<std::size_t>{2, 1, 2, 3});
    CHECK(batch(0, 0, 0, 0) == 255.0f);
    CHECK(batch(1, 0, 0, 0) == 0.0f);
    CHECK(batch(1, 0, 1, 2) == 255.0f);
    CHECK_THROWS_AS(refrt::stack({refrt::to_nhwc(img, 1.0f), refrt::to_nchw(img, mean, stddev, false)}),
                    std::invalid_argument);
    CHECK_THROWS_AS(refrt::stack({}), std::invalid_argument);
}

TEST_CASE("image resize_for_det follows DetResizeForTest limit_type max")
{
    using sz = std::array<std::size_t, 2>;
    // ratio 960 / 1000: int(960.0) = 960, int(672.0) = 672, both multiples of 32 already.
    CHECK(refrt::det_size(1000, 700) == sz{960, 672});
    // ratio 0.75: 720 -> 540 -> round(16.875) = 17 -> 544.
    CHECK(refrt::det_size(720, 1280) == sz{544, 960});
    CHECK(refrt::det_size(2000, 2000) == sz{960, 960});
    // No scaling below the limit; Python's round ties to even: 80 / 32 = 2.5 -> 2, 112 / 32 = 3.5 -> 4.
    CHECK(refrt::det_size(80, 112) == sz{64, 128});
    // At least 32: round(10 / 32) = 0.
    CHECK(refrt::det_size(10, 20) == sz{32, 32});
    // 959 is not above the limit: round(29.97) = 30.
    CHECK(refrt::det_size(959, 500) == sz{960, 512});
    // Another limit: 1000 x 700 with 640: ratio 0.64, 640 and int(448.0) = 448.
    CHECK(refrt::det_size(1000, 700, 640) == sz{640, 448});

    const refrt::image d = refrt::resize_for_det(ramp(100, 50));
    CHECK(d.height == 96);  // round(3.125) * 32
    CHECK(d.width == 64);   // round(1.5625) * 32
}

TEST_CASE("image text_boxes: DB boxes with unclip, box_thresh and min_size")
{
    refrt::tensor map = zeros_map(40, 60);
    fill(map, 5, 12, 10, 29, 0.9f);   // A: W = 19, H = 7
    fill(map, 20, 27, 35, 50, 0.8f);  // B: W = 15, H = 7
    fill(map, 30, 36, 2, 9, 0.5f);    // above thresh, mean 0.5 < box_thresh
    fill(map, 0, 1, 55, 56, 0.95f);   // W = H = 1 < min_size
    fill(map, 38, 39, 0, 1, 0.2f);    // below thresh
    const std::vector<refrt::box> boxes = refrt::text_boxes(map);
    REQUIRE(boxes.size() == 2);
    // A: d = 19 * 7 * 1.5 / (2 * 26) = 3.8365; x 10 - d = 6.16 -> 6, 29 + d = 32.84 -> 33;
    //    y 5 - d = 1.16 -> 1, 12 + d = 15.84 -> 16.
    check_box(boxes[0], 1, 6, 16, 28, 0.9f);
    // B: d = 15 * 7 * 1.5 / (2 * 22) = 3.5795; x 31.42 -> 31, 53.58 -> 54; y 16.42 -> 16, 30.58 -> 31.
    check_box(boxes[1], 16, 31, 16, 24, 0.8f);

    // The low blob passes a lower box_thresh: W = 7, H = 6, d = 42 * 1.5 / 26 = 2.4231; x -0.42 -> 0,
    // 11.42 -> 11; y 27.58 -> 28, 38.42 -> 38.
    const std::vector<refrt::box> more = refrt::text_boxes(map, 0.3f, 0.5f);
    REQUIRE(more.size() == 3);
    check_box(more[2], 28, 0, 11, 12, 0.5f);
    // A higher thresh drops B (0.8 is not > 0.85).
    CHECK(refrt::text_boxes(map, 0.85f).size() == 1);
}

TEST_CASE("image text_boxes: 8-connectivity, clipping, sorting by the grown box, the second size check")
{
    // Two squares touching at a corner are one component (as for cv2.findContours).
    refrt::tensor diag = zeros_map(12, 12);
    fill(diag, 0, 4, 0, 4, 0.9f);
    fill(diag, 5, 9, 5, 9, 0.9f);
    const auto one = refrt::text_boxes(diag);
    REQUIRE(one.size() == 1);
    // W = H = 9, d = 81 * 1.5 / 36 = 3.375: -3.375 -> 0, 12.375 -> clipped to 11. Mean over the component
    // only.
    check_box(one[0], 0, 0, 12, 12, 0.9f);

    // P is found first in scan order but Q's grown box starts higher.
    refrt::tensor map = zeros_map(40, 60);
    fill(map,
         6,
         9,
         40,
         55,
         0.7f);  // P: W = 15, H = 3, d = 1.875: y 4.125 -> 4, 10.875 -> 11; x 38.125 -> 38, 56.875 -> 57
    fill(map,
         7,
         30,
         2,
         8,
         0.9f);  // Q: W = 6, H = 23, d = 3.569: y 3.43 -> 3, 33.57 -> 34; x -1.57 -> 0, 11.57 -> 12
    const auto boxes = refrt::text_boxes(map);
    REQUIRE(boxes.size() == 2);
    check_box(boxes[0], 3, 0, 32, 13, 0.9f);
    check_box(boxes[1], 4, 38, 8, 20, 0.7f);

    // A 4x4-pixel square (W = H = 3): d = 9 r / 12; kept for r = 1.5 (3 + 2.25 >= 5), dropped for r = 0.5.
    refrt::tensor small = zeros_map(10, 10);
    fill(small, 3, 6, 3, 6, 1.0f);
    CHECK(refrt::text_boxes(small, 0.3f, 0.6f, 1.5f).size() == 1);
    CHECK(refrt::text_boxes(small, 0.3f, 0.6f, 0.5f).empty());
    CHECK(refrt::text_boxes(small, 0.3f, 0.6f, 1.5f, 4).empty());

    CHECK_THROWS_AS(refrt::text_boxes(refrt::tensor::from_shape({1, 10, 10})), std::invalid_argument);
}

TEST_CASE("image cls_input: height 48, width min(192, ceil(48 w / h)), BGR, zero padding")
{
    // B = 51 / 255 = 0.2 -> -0.6, G = 0 -> -1, R = 1 -> 1.
    const std::array<float, 3> bgr_value{-0.6f, -1.0f, 1.0f};
    auto check = [&](std::size_t h, std::size_t w, std::size_t want_width)
    {
        CAPTURE(h);
        CAPTURE(w);
        const refrt::tensor t = refrt::cls_input(constant_rgb(h, w, {255, 0, 51}));
        REQUIRE(t.shape() == std::vector<std::size_t>{1, 3, 48, 192});
        for (std::size_t c = 0; c < 3; ++c)
        {
            for (std::size_t y : {std::size_t{0}, std::size_t{47}})
            {
                CHECK(t(0, c, y, 0) == doctest::Approx(bgr_value[c]).epsilon(1e-6));
                CHECK(t(0, c, y, want_width - 1) == doctest::Approx(bgr_value[c]).epsilon(1e-6));
                if (want_width < 192)
                {
                    CHECK(t(0, c, y, want_width) == 0.0f);
                    CHECK(t(0, c, y, 191) == 0.0f);
                }
            }
        }
    };
    check(20, 200, 192);  // ceil(480) > 192
    check(40, 50, 60);    // 48 * 1.25
    check(30, 31, 50);    // ceil(49.6)
    check(100, 10, 5);    // ceil(4.8)
    check(48, 192, 192);  // exactly 192

    // The crop is resized, not cropped: a left/right split stays split in the middle.
    refrt::image split = constant_rgb(10, 20, {0, 0, 0});
    for (std::size_t y = 0; y < 10; ++y)
    {
        for (std::size_t x = 10; x < 20; ++x)
        {
            split.pixels[(y * 20 + x) * 3 + 2] = 255;  // blue on the right
        }
    }
    const refrt::tensor s = refrt::cls_input(split);  // width 96
    CHECK(s(0, 0, 10, 40) == -1.0f);                  // channel 0 is B
    CHECK(s(0, 0, 10, 60) == 1.0f);
    CHECK(s(0, 2, 10, 60) == -1.0f);
    CHECK(s(0, 0, 10, 100) == 0.0f);
}

TEST_CASE("workloads: --rotate starts the image list at image K, cyclically; ppocr_cls refuses it")
{
    refrt::workload_options o;
    const char* argv[] = {"prog", "--rotate", "4", "--calib", "2", "--own", "x"};
    std::string own;
    refrt::parse_options(7,
                         const_cast<char**>(argv),
                         o,
                         [&](const std::string& a, const std::string& v)
                         {
                             own = a + "=" + v;
                             return a == "--own";
                         });
    CHECK_EQ(o.rotate, 4u);
    CHECK_EQ(o.calib, 2u);
    CHECK_EQ(own, "--own=x");
    const std::vector<std::filesystem::path> files = {"a.jpg", "b.jpg", "c.jpg"};
    CHECK_EQ(refrt::rotated(files, o), std::vector<std::filesystem::path>{"b.jpg", "c.jpg", "a.jpg"});
    o.rotate = 3;
    CHECK_EQ(refrt::rotated(files, o), files);
    CHECK(refrt::rotated({}, o).empty());
    o.model = "ppocr_cls";
    o.rotate = 1;
    CHECK_THROWS_WITH_AS(
      refrt::load_workload(o),
      "--rotate is for mobilenet_v2 and ppocr_det (ppocr_cls alternates its text-line pieces "
      "between calibration and evaluation)",
      std::invalid_argument);
}
