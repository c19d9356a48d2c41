// How an op's bytes are cut into transfers, the same for every I/O engine: at most
// `chunk_size` each, and in the extents layout never across the end of one of the op's file
// ranges. Header-only arithmetic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "store_object.hpp"

namespace mlps::store {

// One transfer: bytes [bufOffset, bufOffset + length) of the op's buffer at `fileOffset`.
struct Piece {
    uint64_t bufOffset = 0;
    uint64_t fileOffset = 0;
    uint64_t length = 0;
};

class ChunkCursor {
  public:
    // The next piece of an op at object offset `offset`, `length` bytes long, whose file
    // ranges are `extents` (empty: the object's own file). Call only while !finished().
    Piece peek(uint64_t offset,
               uint64_t length,
               const std::vector<Extent> &extents,
               uint64_t chunkSize) const noexcept {
        Piece p{issued_, offset + issued_, std::min(chunkSize, length - issued_)};
        if (!extents.empty()) {
            const Extent &e = extents[extent_];
            p.fileOffset = e.offset + extentDone_;
            p.length = std::min(p.length, e.length - extentDone_);
        }
        return p;
    }
    // Takes `piece` (from peek) as handed out.
    void advance(const Piece &piece, const std::vector<Extent> &extents) noexcept {
        issued_ += piece.length;
        if (!extents.empty() && (extentDone_ += piece.length) == extents[extent_].length) {
            ++extent_;
            extentDone_ = 0;
        }
    }
    bool finished(uint64_t length) const noexcept { return issued_ == length; }

  private:
    uint64_t issued_ = 0;     // bytes handed out so far
    uint32_t extent_ = 0;     // the file range the next piece starts in
    uint64_t extentDone_ = 0; // bytes of that range handed out
};

} // namespace mlps::store
