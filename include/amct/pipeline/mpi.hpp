// amct/pipeline/mpi.hpp: one calibration over several MPI processes. Optional: it needs <mpi.h> and the MPI
// library (CMake: find_package(MPI) and MPI::MPI_CXX); <amct/amct.hpp> does not include it, so amct itself
// never needs MPI (nor does the single header hold it). It includes the headers of include/ it uses.
//
// Every rank builds a calibration_session from the same float model and configuration and observes its own
// batch indices (global ones: rank r might take r, r + size, ...). share_batch_ranges, called by all ranks
// together (after every round of batches, say), gives every rank the [min, max] of everybody's HFMG batches,
// so that HFMG's batches are histogrammed on arrival instead of waiting as copies. reduce merges the sessions
// up a binomial tree into the root (log2(size) steps; each rank sends its merged subtree's save() once),
// whose finalize() then gives the result of one process that observed every batch in order, bit for bit. An
// error on one rank (say, a state that does not fit) leaves the others waiting: catch it and MPI_Abort.
#pragma once

#include <algorithm>  // std::min
#include <climits>    // INT_MAX
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <string>     // std::string, std::to_string
#include <vector>     // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/pipeline/session.hpp>

#include <mpi.h>

namespace amct
{
inline namespace AMCT_ABI
{
namespace mpi
{
/// Bytes a rank sent and received in one call (what an all-gather hands each other rank counts once per
/// rank).
struct traffic
{
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
};

namespace detail
{
constexpr int tag = 0x414d;                          // "AM"
constexpr std::size_t chunk = std::size_t{1} << 30;  // MPI counts are int

/// @throws amct::error naming the MPI call when it fails (with MPI_ERRORS_RETURN; the default handler
/// aborts).
inline void check(int rc, const char* call)
{
    if (rc != MPI_SUCCESS)
    {
        char text[MPI_MAX_ERROR_STRING];
        int n = 0;
        MPI_Error_string(rc, text, &n);
        amct::detail::throw_error<error>(std::string("amct: MPI: ") + call
                                         + " failed: " + std::string(text, static_cast<std::size_t>(n)));
    }
}

inline void send_bytes(const std::string& bytes, int dest, MPI_Comm comm)
{
    std::uint64_t n = bytes.size();
    check(MPI_Send(&n, 1, MPI_UINT64_T, dest, tag, comm), "MPI_Send");
    for (std::size_t at = 0; at < bytes.size(); at += chunk)
    {
        const int count = static_cast<int>(std::min(chunk, bytes.size() - at));
        check(MPI_Send(bytes.data() + at, count, MPI_BYTE, dest, tag, comm), "MPI_Send");
    }
}

inline std::string recv_bytes(int source, MPI_Comm comm)
{
    std::uint64_t n = 0;
    check(MPI_Recv(&n, 1, MPI_UINT64_T, source, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
    std::string bytes(static_cast<std::size_t>(n), '\0');
    for (std::size_t at = 0; at < bytes.size(); at += chunk)
    {
        const int count = static_cast<int>(std::min(chunk, bytes.size() - at));
        check(MPI_Recv(&bytes[at], count, MPI_BYTE, source, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
    }
    return bytes;
}

inline void rank_and_size(MPI_Comm comm, int& rank, int& size)
{
    check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
    check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
}
}  // namespace detail

/// @brief Collective over `comm`: every rank learns the [min, max] of the HFMG batches the others observed
/// since their last call (calibration_session::take_batch_ranges, 16 bytes per batch and HFMG layer), and
/// HFMG batches waiting for them are applied. Without it the waiting batches travel in reduce's states.
/// @throws amct::error for a failed MPI call; what add_batch_ranges throws.
inline traffic share_batch_ranges(calibration_session& session, MPI_Comm comm)
{
    int rank = 0, size = 1;
    detail::rank_and_size(comm, rank, size);
    const std::string mine = session.take_batch_ranges();
    std::uint64_t n = mine.size();
    std::vector<std::uint64_t> sizes(static_cast<std::size_t>(size));
    detail::check(MPI_Allgather(&n, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, comm), "MPI_Allgather");
    std::vector<int> counts(sizes.size()), offsets(sizes.size());
    std::uint64_t total = 0;
    for (std::size_t r = 0; r < sizes.size(); ++r)
    {
        offsets[r] = static_cast<int>(total);
        counts[r] = static_cast<int>(sizes[r]);
        total += sizes[r];
    }
    if (total > static_cast<std::uint64_t>(INT_MAX))
    {
        amct::detail::throw_error<error>("amct: MPI: " + std::to_string(total)
                                         + " bytes of batch ranges in one exchange; share them more often");
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    detail::check(
      MPI_Allgatherv(
        mine.data(), static_cast<int>(n), MPI_BYTE, &all[0], counts.data(), offsets.data(), MPI_BYTE, comm),
      "MPI_Allgatherv");
    for (int r = 0; r < size; ++r)
    {
        if (r != rank)
        {
            const auto i = static_cast<std::size_t>(r);
            session.add_batch_ranges(all.substr(static_cast<std::size_t>(offsets[i]), sizes[i]));
        }
    }
    return {n * static_cast<std::uint64_t>(size - 1), total - n};
}

/// @brief Collective over `comm`: share_batch_ranges, then every rank's session is merged into `root`'s up a
/// binomial tree (a rank receives its children's save(), merges them, and sends its own save() to its
/// parent). Returns whether this rank is the root, whose session then holds every rank's batches; the other
/// sessions hold their subtree's. `moved` (optional) receives this rank's traffic, ranges included.
/// @throws amct::error for a failed MPI call; what calibration_session::merge throws (then MPI_Abort).
inline bool reduce(calibration_session& session, MPI_Comm comm, int root = 0, traffic* moved = nullptr)
{
    traffic t = share_batch_ranges(session, comm);
    int rank = 0, size = 1;
    detail::rank_and_size(comm, rank, size);
    const int relative = (rank - root + size) % size;
    for (int step = 1; step < size; step *= 2)
    {
        if (relative & step)
        {
            const std::string state = session.save();
            detail::send_bytes(state, (relative - step + root) % size, comm);
            t.sent += state.size();
            break;
        }
        if (relative + step < size)
        {
            const std::string state = detail::recv_bytes((relative + step + root) % size, comm);
            session.merge(state);
            t.received += state.size();
        }
    }
    if (moved)
    {
        *moved = t;
    }
    return relative == 0;
}
}  // namespace mpi
}  // namespace AMCT_ABI
}  // namespace amct
