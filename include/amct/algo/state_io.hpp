// amct/algo/state_io.hpp: portable, versioned, checksummed byte strings for saved observer state.
//
// Layout (all integers little-endian, floats as their IEEE-754 bit patterns):
//   "AMCTSTAT"  u32 envelope version (1)  string algorithm  u32 state version  u64 payload size  payload  u32
//   CRC-32
// The CRC-32 (IEEE 802.3 polynomial) covers everything before it, so any flipped bit is detected.
#pragma once

#include <array>    // std::array
#include <cstdint>  // std::uint8_t, std::uint32_t, std::uint64_t
#include <cstring>  // std::memcpy
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/error.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
inline std::uint32_t crc32(const std::string& bytes, std::size_t n) noexcept
{
    static const std::array<std::uint32_t, 256> table = []
    {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i)
        {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
            {
                c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < n; ++i)
    {
        c = table[(c ^ static_cast<std::uint8_t>(bytes[i])) & 0xFFu] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

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

    void f32(float v)
    {
        std::uint32_t u;
        std::memcpy(&u, &v, 4);
        u32(u);
    }

    void f64(double v)
    {
        std::uint64_t u;
        std::memcpy(&u, &v, 8);
        u64(u);
    }

    void boolean(bool v)
    {
        u8(v ? 1 : 0);
    }

    void str(const std::string& s)
    {
        u64(s.size());
        m_payload += s;
    }

    void f32s(const std::vector<float>& v)
    {
        u64(v.size());
        for (float x : v)
        {
            f32(x);
        }
    }

    /// The complete state: envelope, payload and checksum.
    std::string finish(const std::string& algorithm, std::uint32_t state_version) const
    {
        state_writer head;
        head.m_payload.assign(detail::state_magic, sizeof detail::state_magic);
        head.u32(detail::state_envelope_version);
        head.str(algorithm);
        head.u32(state_version);
        head.u64(m_payload.size());
        std::string out = head.m_payload + m_payload;
        state_writer tail;
        tail.u32(detail::crc32(out, out.size()));
        return out + tail.m_payload;
    }

private:
    void put(std::uint64_t v, int bytes)
    {
        for (int i = 0; i < bytes; ++i)
        {
            m_payload.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
        }
    }

    std::string m_payload;
};

/// Reads a state written by state_writer, checking the envelope, the algorithm, its version and the checksum.
/// Every read past the end, and anything left unread by done(), is a state_error.
class state_reader
{
public:
    /// Reads from `bytes`, which must outlive the reader (a temporary is refused at compile time).
    state_reader(const std::string& bytes, const std::string& algorithm, std::uint32_t state_version)
      : state_reader(bytes)
    {
        const std::string algo = str();
        if (algo != algorithm)
        {
            fail("state of a \"" + algo + "\" observer cannot be loaded into a \"" + algorithm
                 + "\" observer");
        }
        const std::uint32_t version = u32();
        if (version != state_version)
        {
            fail("\"" + algorithm + "\" state version " + std::to_string(version)
                 + ", this amct reads version " + std::to_string(state_version));
        }
        const std::uint64_t size = u64();
        if (size != m_end - m_pos)
        {
            fail("payload size " + std::to_string(size) + " does not match the "
                 + std::to_string(m_end - m_pos) + " bytes present");
        }
    }

    state_reader(std::string&&, const std::string&, std::uint32_t) = delete;

    /// The algorithm name in the envelope of `bytes`, to choose the observer that loads it.
    /// @throws state_error for anything that is not an observer state.
    static std::string algorithm_of(const std::string& bytes)
    {
        state_reader r(bytes);
        return r.str();
    }

    std::uint8_t u8()
    {
        need(1);
        return static_cast<std::uint8_t>(m_bytes[m_pos++]);
    }

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

    float f32()
    {
        const std::uint32_t u = u32();
        float v;
        std::memcpy(&v, &u, 4);
        return v;
    }

    double f64()
    {
        const std::uint64_t u = u64();
        double v;
        std::memcpy(&v, &u, 8);
        return v;
    }

    bool boolean()
    {
        const std::uint8_t v = u8();
        if (v > 1)
        {
            fail("a boolean field holds " + std::to_string(v));
        }
        return v == 1;
    }

    std::string str()
    {
        const std::uint64_t n = u64();
        need(n);
        std::string s = m_bytes.substr(m_pos, static_cast<std::size_t>(n));
        m_pos += static_cast<std::size_t>(n);
        return s;
    }

    /// Reads an element count and checks that `n` elements of `bytes_each` bytes can still follow, so that a
    /// corrupt length never turns into a huge allocation.
    std::size_t count(std::size_t bytes_each)
    {
        const std::uint64_t n = u64();
        if (n > (m_end - m_pos) / (bytes_each ? bytes_each : 1))
        {
            fail("a length of " + std::to_string(n) + " elements exceeds the payload");
        }
        return static_cast<std::size_t>(n);
    }

    std::vector<float> f32s()
    {
        const std::size_t n = count(4);
        std::vector<float> v(n);
        for (float& x : v)
        {
            x = f32();
        }
        return v;
    }

    /// Fails unless every payload byte was read.
    void done() const
    {
        if (m_pos != m_end)
        {
            fail(std::to_string(m_end - m_pos) + " unread bytes at the end of the payload");
        }
    }

    [[noreturn]] static void fail(const std::string& what)
    {
        detail::throw_error<state_error>(what);
    }

private:
    /// Checks the magic, the checksum and the envelope version, and positions the reader on the algorithm
    /// name.
    explicit state_reader(const std::string& bytes)
      : m_bytes(bytes)
    {
        if (bytes.size() < sizeof detail::state_magic + 4 + 4
            || std::memcmp(bytes.data(), detail::state_magic, sizeof detail::state_magic) != 0)
        {
            fail("not an amct observer state (bad magic)");
        }
        const std::size_t body = bytes.size() - 4;
        m_pos = body;
        m_end = bytes.size();
        const std::uint32_t stored_crc = u32();
        m_end = body;
        if (stored_crc != detail::crc32(bytes, body))
        {
            fail("checksum mismatch: the state is corrupt or truncated");
        }
        m_pos = sizeof detail::state_magic;
        const std::uint32_t envelope = u32();
        if (envelope != detail::state_envelope_version)
        {
            fail("envelope version " + std::to_string(envelope) + ", this amct reads version "
                 + std::to_string(detail::state_envelope_version));
        }
    }

    void need(std::uint64_t n) const
    {
        if (n > m_end - m_pos)
        {
            fail("truncated payload");
        }
    }

    std::uint64_t get(int bytes)
    {
        need(static_cast<std::uint64_t>(bytes));
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
        {
            v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(m_bytes[m_pos++])) << (8 * i);
        }
        return v;
    }

    const std::string& m_bytes;
    std::size_t m_pos = 0;
    std::size_t m_end = 0;
};
}  // namespace AMCT_ABI
}  // namespace amct
