// amct/algo/state_io.hpp: portable, versioned, checksummed byte strings for saved observer state.
//
// Layout (all integers little-endian, floats as their IEEE-754 bit patterns):
// clang-format off
//   "AMCTSTAT"  u32 envelope version (1)  string algorithm  u32 state version  u64 payload size  payload
//   u32 CRC-32
// clang-format on
// The CRC-32 (IEEE 802.3 polynomial) covers everything before it, so any flipped bit is detected.
#pragma once

#include <array>    // std::array
#include <cstdint>  // std::uint8_t, std::uint32_t, std::uint64_t
#include <cstring>  // std::memcpy
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::uint32_t crc32(const std::string& bytes, std::size_t n) noexcept;

inline constexpr char state_magic[8] = {'A', 'M', 'C', 'T', 'S', 'T', 'A', 'T'};
inline constexpr std::uint32_t state_envelope_version = 1;
}  // namespace detail

/// Writes an observer's state: fields in order, then finish() wraps them in the envelope.
class state_writer
{
public:
    void u8(std::uint8_t v)
    {
        m_payload.push_back(static_cast<char>(v));
    }

    void u32(std::uint32_t v)
    {
        put(v, 4);
    }

    void u64(std::uint64_t v)
    {
        put(v, 8);
    }

    void i64(std::int64_t v)
    {
        put(static_cast<std::uint64_t>(v), 8);
    }

    AMCT_DECL void f32(float v);

    AMCT_DECL void f64(double v);

    void boolean(bool v)
    {
        u8(v ? 1 : 0);
    }

    AMCT_DECL void str(const std::string& s);

    AMCT_DECL void f32s(const std::vector<float>& v);

    /// The complete state: envelope, payload and checksum.
    AMCT_DECL std::string finish(const std::string& algorithm, std::uint32_t state_version) const;

private:
    AMCT_DECL void put(std::uint64_t v, int bytes);

    std::string m_payload;
};

/// Reads a state written by state_writer, checking the envelope, the algorithm, its version and the checksum.
/// Every read past the end, and anything left unread by done(), is a state_error.
class state_reader
{
public:
    /// Reads from `bytes`, which must outlive the reader (a temporary is refused at compile time).
    AMCT_DECL state_reader(const std::string& bytes,
                           const std::string& algorithm,
                           std::uint32_t state_version);

    state_reader(std::string&&, const std::string&, std::uint32_t) = delete;

    /// The algorithm name in the envelope of `bytes`, to choose the observer that loads it.
    /// @throws state_error for anything that is not an observer state.
    AMCT_DECL static std::string algorithm_of(const std::string& bytes);

    AMCT_DECL std::uint8_t u8();

    std::uint32_t u32()
    {
        return static_cast<std::uint32_t>(get(4));
    }

    std::uint64_t u64()
    {
        return get(8);
    }

    std::int64_t i64()
    {
        return static_cast<std::int64_t>(get(8));
    }

    AMCT_DECL float f32();

    AMCT_DECL double f64();

    AMCT_DECL bool boolean();

    AMCT_DECL std::string str();

    /// Reads an element count and checks that `n` elements of `bytes_each` bytes can still follow, so that a
    /// corrupt length never turns into a huge allocation.
    AMCT_DECL std::size_t count(std::size_t bytes_each);

    AMCT_DECL std::vector<float> f32s();

    /// Fails unless every payload byte was read.
    AMCT_DECL void done() const;

    [[noreturn]] static void fail(const std::string& what)
    {
        detail::throw_error<state_error>(what);
    }

private:
    /// Checks the magic, the checksum and the envelope version, and positions the reader on the algorithm
    /// name.
    AMCT_DECL explicit state_reader(const std::string& bytes);

    AMCT_DECL void need(std::uint64_t n) const;

    AMCT_DECL std::uint64_t get(int bytes);

    const std::string& m_bytes;
    std::size_t m_pos = 0;
    std::size_t m_end = 0;
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/state_io.ipp>
#endif
