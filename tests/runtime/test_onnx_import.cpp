// The ONNX importer (runtime/refrt/onnx_import.hpp) on crafted bad files: dimensions whose product overflows
// or exceeds what the file can hold, data that does not match the dimensions, and files that are not regular
// files (docs/model.md#reading-model-files). The files are protobuf bytes written by hand (field numbers of
// onnx.proto: ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.dims = 1, data_type = 2,
// float_data = 4, name = 8, raw_data = 9), so that no encoder can refuse them first.
#include <cstdint>     // std::uint64_t
#include <filesystem>  // std::filesystem
#include <string>      // std::string
#include <vector>      // std::vector

#include <doctest/doctest.h>

#include "runtime_support.hpp"
#include <refrt/onnx_import.hpp>
#include <refrt/onnx_proto.hpp>
#include <sys/stat.h>  // mkfifo

namespace
{
namespace fs = std::filesystem;
using rt_test::temp_dir;
using rt_test::write_text;

std::string varint(std::uint64_t v)
{
    std::string out;
    do
    {
        const auto low = static_cast<unsigned char>(v & 0x7f);
        v >>= 7;
        out.push_back(static_cast<char>(v ? (low | 0x80) : low));
    } while (v);
    return out;
}

/// A varint field (wire type 0).
std::string int_field(int number, std::uint64_t v)
{
    return varint(static_cast<std::uint64_t>(number) << 3) + varint(v);
}

/// A length-delimited field (wire type 2).
std::string bytes_field(int number, const std::string& bytes)
{
    return varint((static_cast<std::uint64_t>(number) << 3) | 2) + varint(bytes.size()) + bytes;
}

/// A FLOAT TensorProto named `name` with `dims` and `raw` as raw_data (no data field when raw is empty).
std::string tensor_proto(const std::string& name,
                         const std::vector<std::uint64_t>& dims,
                         const std::string& raw)
{
    std::string t;
    for (const std::uint64_t d : dims)
        t += int_field(1, d);
    t += int_field(2, 1) + bytes_field(8, name);
    if (!raw.empty())
        t += bytes_field(9, raw);
    return t;
}

std::string model_with_initializer(const std::string& tensor)
{
    return int_field(1, 8) + bytes_field(7, bytes_field(5, tensor));
}

template <class F>
std::string error_of(F&& f)
{
    try
    {
        f();
    }
    catch (const std::exception& e)
    {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE(
  "onnx import: dimensions are checked before they are multiplied (docs/model.md#reading-model-files)")
{
    const temp_dir dir;
    const std::string tensor_file = (dir.path / "t.pb").string();
    const std::string model_file = (dir.path / "m.onnx").string();
    const std::uint64_t two32 = std::uint64_t{1} << 32;
    // 2^32 x 2^32 wraps to 0 in size_t: it matched an empty raw_data and was accepted
    write_text(tensor_file, tensor_proto("w", {two32, two32}, ""));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
          == tensor_file
               + ": dimensions 4294967296 x 4294967296 give more elements than a file of at most 2 GiB "
                 "can hold");
    write_text(model_file, model_with_initializer(tensor_proto("w", {two32, two32}, "")));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx(model_file);
            })
          == model_file
               + " (initializer 'w'): dimensions 4294967296 x 4294967296 give more elements than a file "
                 "of at most 2 GiB can hold");
    // a zero dimension: no elements, but the others still give xtensor's (signed) strides (found by
    // fuzz_onnx_import: UBSan's signed overflow in xt::compute_strides)
    write_text(tensor_file, tensor_proto("w", {0, two32, two32}, ""));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
          == tensor_file
               + ": dimensions 0 x 4294967296 x 4294967296 give more elements than a file of at most 2 GiB "
                 "can hold");
    write_text(tensor_file, tensor_proto("w", {0, 7, 3}, ""));
    CHECK_EQ(refrt::load_onnx_tensor(tensor_file).size(), 0u);
    // 2^63 - 1 three times: every partial product overflows int64 and size_t
    const std::uint64_t big = (std::uint64_t{1} << 63) - 1;
    write_text(tensor_file, tensor_proto("w", {big, big, big}, ""));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
            .find(tensor_file + ": dimensions ")
          == 0);
    // a negative dimension (a varint of 2^64 - 1 is -1 as int64)
    write_text(tensor_file, tensor_proto("w", {~std::uint64_t{0}, 2}, ""));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
          == tensor_file + ": negative dimension -1");
    // a zero dimension with a huge one: no elements, but the non-zero dimensions are bounded all the same
    write_text(tensor_file, tensor_proto("w", {0, big}, ""));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
          == tensor_file
               + ": dimensions 0 x 9223372036854775807 give more elements than a file of at most 2 GiB can "
                 "hold");
    // data that does not match the dimensions, both ways
    write_text(tensor_file, tensor_proto("w", {2, 3}, std::string(20, '\0')));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
          == tensor_file + ": raw_data has 20 bytes, expected 6 elements of 4 bytes");
    write_text(tensor_file, tensor_proto("w", {2, 3}, std::string(28, '\0')));
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx_tensor(tensor_file);
            })
          == tensor_file + ": raw_data has 28 bytes, expected 6 elements of 4 bytes");
    write_text(tensor_file, tensor_proto("w", {2, 3}, std::string(24, '\0')));
    const refrt::tensor ok = refrt::load_onnx_tensor(tensor_file);
    CHECK(ok.size() == 6);
    // tensor_data::size() saturates instead of wrapping
    refrt::proto::tensor_data t;
    t.dims = {static_cast<std::int64_t>(two32), static_cast<std::int64_t>(two32)};
    CHECK(t.size() == static_cast<std::size_t>(-1));
}

TEST_CASE(
  "onnx import: only regular files are read, up to the runtime's limit (docs/model.md#reading-model-files)")
{
    const temp_dir dir;
    const fs::path fifo = dir.path / "fifo.onnx";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx(fifo.string());
            })
          == fifo.string() + ": is a FIFO (named pipe), not a regular file");
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx("/dev/zero");
            })
          == "/dev/zero: is a character device, not a regular file");
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx(dir.path.string());
            })
          == dir.path.string() + ": is a directory, not a regular file");
    const fs::path sparse = dir.path / "big.onnx";
    write_text(sparse, "");
    fs::resize_file(sparse, refrt::proto::max_model_file_bytes + 1);  // sparse: no disk used
    CHECK(error_of(
            [&]
            {
                refrt::load_onnx(sparse.string());
            })
          == sparse.string() + ": larger than the 2 GiB limit of the reference runtime's model reader");
}
