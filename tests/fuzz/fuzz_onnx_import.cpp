// libFuzzer target: the ONNX importer (runtime/refrt/onnx_import.hpp) on arbitrary bytes, as a model file and
// as a TensorProto file. A model_error naming the file is the expected answer to bad input; anything else
// (another exception, a crash, a sanitizer report such as an overflowing dimension product) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include <refrt/onnx_import.hpp>
#include <unistd.h>  // getpid

namespace
{
/// The file each input is written to (one per process: libFuzzer's -jobs run several).
const std::string& input_file()
{
    static const std::string path = "/tmp/amct_fuzz_onnx_" + std::to_string(::getpid()) + ".onnx";
    // registered after `path` is made, so it runs before `path` is destroyed
    static const int cleanup = std::atexit(
      []
      {
          std::remove(input_file().c_str());
      });
    (void)cleanup;
    return path;
}

template <class F>
void expect_model_error(F&& load)
{
    try
    {
        load();
    }
    catch (const refrt::model_error& e)
    {
        if (std::string(e.what()).rfind(input_file(), 0) != 0)
        {
            std::fprintf(stderr, "fuzz property failed: the error names the file: %s\n", e.what());
            std::abort();
        }
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    {
        std::ofstream out(input_file(), std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    expect_model_error(
      []
      {
          refrt::load_onnx(input_file());
      });
    expect_model_error(
      []
      {
          refrt::load_onnx_tensor(input_file());
      });
    return 0;
}
