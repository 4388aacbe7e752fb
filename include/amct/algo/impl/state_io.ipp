// amct/algo/impl/state_io.ipp: the definitions of <amct/algo/state_io.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/state_io.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::uint32_t crc32(const std::string& bytes, std::size_t n) noexcept
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
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void state_writer::f32(float v)
{
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    u32(u);
}

AMCT_DECL void state_writer::f64(double v)
{
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    u64(u);
}

AMCT_DECL void state_writer::str(const std::string& s)
{
    u64(s.size());
    m_payload += s;
}

AMCT_DECL void state_writer::f32s(const std::vector<float>& v)
{
    u64(v.size());
    for (float x : v)
    {
        f32(x);
    }
}

AMCT_DECL std::string state_writer::finish(const std::string& algorithm, std::uint32_t state_version) const
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

AMCT_DECL void state_writer::put(std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
    {
        m_payload.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
    }
}

AMCT_DECL state_reader::state_reader(const std::string& bytes,
                                     const std::string& algorithm,
                                     std::uint32_t state_version)
  : state_reader(bytes)
{
    const std::string algo = str();
    if (algo != algorithm)
    {
        fail("state of a \"" + algo + "\" observer cannot be loaded into a \"" + algorithm + "\" observer");
    }
    const std::uint32_t version = u32();
    if (version != state_version)
    {
        fail("\"" + algorithm + "\" state version " + std::to_string(version) + ", this amct reads version "
             + std::to_string(state_version));
    }
    const std::uint64_t size = u64();
    if (size != m_end - m_pos)
    {
        fail("payload size " + std::to_string(size) + " does not match the " + std::to_string(m_end - m_pos)
             + " bytes present");
    }
}

AMCT_DECL std::string state_reader::algorithm_of(const std::string& bytes)
{
    state_reader r(bytes);
    return r.str();
}

AMCT_DECL std::uint8_t state_reader::u8()
{
    need(1);
    return static_cast<std::uint8_t>(m_bytes[m_pos++]);
}

AMCT_DECL float state_reader::f32()
{
    const std::uint32_t u = u32();
    float v;
    std::memcpy(&v, &u, 4);
    return v;
}

AMCT_DECL double state_reader::f64()
{
    const std::uint64_t u = u64();
    double v;
    std::memcpy(&v, &u, 8);
    return v;
}

AMCT_DECL bool state_reader::boolean()
{
    const std::uint8_t v = u8();
    if (v > 1)
    {
        fail("a boolean field holds " + std::to_string(v));
    }
    return v == 1;
}

AMCT_DECL std::string state_reader::str()
{
    const std::uint64_t n = u64();
    need(n);
    std::string s = m_bytes.substr(m_pos, static_cast<std::size_t>(n));
    m_pos += static_cast<std::size_t>(n);
    return s;
}

AMCT_DECL std::size_t state_reader::count(std::size_t bytes_each)
{
    const std::uint64_t n = u64();
    if (n > (m_end - m_pos) / (bytes_each ? bytes_each : 1))
    {
        fail("a length of " + std::to_string(n) + " elements exceeds the payload");
    }
    return static_cast<std::size_t>(n);
}

AMCT_DECL std::vector<float> state_reader::f32s()
{
    const std::size_t n = count(4);
    std::vector<float> v(n);
    for (float& x : v)
    {
        x = f32();
    }
    return v;
}

AMCT_DECL void state_reader::done() const
{
    if (m_pos != m_end)
    {
        fail(std::to_string(m_end - m_pos) + " unread bytes at the end of the payload");
    }
}

AMCT_DECL state_reader::state_reader(const std::string& bytes)
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

AMCT_DECL void state_reader::need(std::uint64_t n) const
{
    if (n > m_end - m_pos)
    {
        fail("truncated payload");
    }
}

AMCT_DECL std::uint64_t state_reader::get(int bytes)
{
    need(static_cast<std::uint64_t>(bytes));
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
    {
        v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(m_bytes[m_pos++])) << (8 * i);
    }
    return v;
}
}  // namespace AMCT_ABI
}  // namespace amct
