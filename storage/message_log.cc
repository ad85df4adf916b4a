#include "storage/message_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace diphub::storage {

namespace {

constexpr char kMagic[8] = {'d', 'i', 'p', 'h', 'u', 'b', 'M', 'L'};
constexpr std::uint32_t kVersion = 1;

void PutLe32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutLe64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
std::uint32_t GetLe32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint64_t GetLe64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

dip::Status Errno(const std::string& what, int err) {
  std::string help = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) help = "disk full: " + help;
  return dip::Status::Io(help);
}

std::string SegmentName(std::uint32_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "%06u.msg", number);
  return name;
}

// The number of a segment file's name ("000012.msg" -> 12), or 0 for any other name.
std::uint32_t SegmentNumber(const char* name) {
  const std::size_t len = std::strlen(name);
  if (len < 5 || len > 14 || std::strcmp(name + len - 4, ".msg") != 0) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i + 4 < len; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return n <= UINT32_MAX ? static_cast<std::uint32_t>(n) : 0;
}

dip::Status WriteAll(int fd, const char* data, std::size_t size, std::uint64_t offset,
                     const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write " + path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return dip::Status::Ok();
}

dip::Status ReadAll(int fd, char* data, std::size_t size, std::uint64_t offset,
                    const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read " + path, errno);
    }
    if (n == 0) return dip::Status::Io("read " + path + ": the file ends early");
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return dip::Status::Ok();
}

}  // namespace

std::uint64_t MessageLogChecksum(std::uint32_t segment, std::uint64_t offset,
                                 std::string_view payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(),
                              (static_cast<std::uint64_t>(segment) << 40) ^ offset);
}

struct MessageLog::Segment {
  std::uint32_t number = 0;
  std::string path;
  int fd = -1;
  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
};

MessageLog::MessageLog(std::string dir, MessageLogOptions options)
    : dir_(std::move(dir)), options_(options) {}

MessageLog::~MessageLog() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

dip::Result<std::unique_ptr<MessageLog>> MessageLog::Open(const std::string& dir,
                                                          MessageLogOptions options,
                                                          std::uint64_t* cut_bytes) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno("create the message log directory " + dir, errno);
  }
  std::unique_ptr<MessageLog> log(new MessageLog(dir, options));
  log->dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (log->dir_fd_ < 0) return Errno("open the message log directory " + dir, errno);
  std::uint64_t cut = 0;
  if (dip::Status s = log->OpenSegments(&cut); !s.ok()) return s;
  if (cut_bytes != nullptr) *cut_bytes = cut;
  return log;
}

dip::Status MessageLog::OpenSegments(std::uint64_t* cut_bytes) {
  std::vector<std::uint32_t> numbers;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return Errno("list " + dir_, errno);
  while (const dirent* e = ::readdir(d)) {
    if (std::uint32_t n = SegmentNumber(e->d_name); n != 0) numbers.push_back(n);
  }
  ::closedir(d);
  std::sort(numbers.begin(), numbers.end());
  std::lock_guard lock(mu_);
  if (numbers.empty()) {
    // A new log: segment 1, its header, and the directory entry, durable before any record.
    auto seg = std::make_shared<Segment>();
    seg->number = 1;
    seg->path = dir_ + "/" + SegmentName(1);
    seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (seg->fd < 0) return Errno("create " + seg->path, errno);
    char header[kHeaderBytes];
    std::memcpy(header, kMagic, 8);
    PutLe32(header + 8, kVersion);
    PutLe32(header + 12, 1);
    if (dip::Status s = WriteAll(seg->fd, header, kHeaderBytes, 0, seg->path); !s.ok()) return s;
    if (options_.fsync && (::fdatasync(seg->fd) != 0 || ::fsync(dir_fd_) != 0)) {
      return Errno("sync " + seg->path, errno);
    }
    segments_.push_back(std::move(seg));
    end_ = kHeaderBytes;
    return dip::Status::Ok();
  }
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const bool last = i + 1 == numbers.size();
    auto seg = std::make_shared<Segment>();
    seg->number = numbers[i];
    seg->path = dir_ + "/" + SegmentName(numbers[i]);
    seg->fd = ::open(seg->path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (seg->fd < 0) return Errno("open " + seg->path, errno);
    struct stat st {};
    if (::fstat(seg->fd, &st) != 0) return Errno("stat " + seg->path, errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    char header[kHeaderBytes];
    const bool has_header =
        size >= kHeaderBytes && ReadAll(seg->fd, header, kHeaderBytes, 0, seg->path).ok();
    if (has_header && (std::memcmp(header, kMagic, 8) != 0 || GetLe32(header + 12) != numbers[i])) {
      return dip::Status::Io(seg->path + " is not a segment of a diphub message log");
    }
    if (has_header && GetLe32(header + 8) != kVersion) {
      return dip::Status::Io(seg->path + " is of message log version " +
                             std::to_string(GetLe32(header + 8)) + ", which this diphub does " +
                             "not know (it reads version " + std::to_string(kVersion) + ")");
    }
    if (!last) {
      if (!has_header) return dip::Status::Io(seg->path + " has no header");
      sealed_bytes_ += size;
      segments_.push_back(std::move(seg));
      continue;
    }
    // The last segment: keep its whole records, cut whatever follows the last one.
    std::uint64_t valid = kHeaderBytes;
    if (!has_header) {
      // Created, then lost before its header was on disk: write the header again.
      std::memcpy(header, kMagic, 8);
      PutLe32(header + 8, kVersion);
      PutLe32(header + 12, numbers[i]);
      if (dip::Status s = WriteAll(seg->fd, header, kHeaderBytes, 0, seg->path); !s.ok()) {
        return s;
      }
    } else {
      std::string data(size - kHeaderBytes, '\0');
      if (dip::Status s = ReadAll(seg->fd, data.data(), data.size(), kHeaderBytes, seg->path);
          !s.ok()) {
        return s;
      }
      std::size_t at = 0;
      while (data.size() - at >= kFrameBytes) {
        const std::uint32_t n = GetLe32(data.data() + at);
        if (n > data.size() - at - kFrameBytes) break;
        const std::string_view payload(data.data() + at + kFrameBytes, n);
        const std::uint64_t offset = kHeaderBytes + at + kFrameBytes;
        if (GetLe64(data.data() + at + 4) != MessageLogChecksum(numbers[i], offset, payload)) {
          break;
        }
        at += kFrameBytes + n;
      }
      valid = kHeaderBytes + at;
    }
    if (valid < size) {
      if (::ftruncate(seg->fd, static_cast<off_t>(valid)) != 0) {
        return Errno("cut the torn end of " + seg->path, errno);
      }
      if (options_.fsync && ::fdatasync(seg->fd) != 0) return Errno("sync " + seg->path, errno);
      *cut_bytes = size - valid;
    }
    end_ = valid;
    segments_.push_back(std::move(seg));
  }
  return dip::Status::Ok();
}

dip::Status MessageLog::Roll() {
  Segment& old = *segments_.back();
  if (options_.fsync && ::fdatasync(old.fd) != 0) return Errno("sync " + old.path, errno);
  auto seg = std::make_shared<Segment>();
  seg->number = old.number + 1;
  seg->path = dir_ + "/" + SegmentName(seg->number);
  seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (seg->fd < 0) return Errno("create " + seg->path, errno);
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  PutLe32(header + 8, kVersion);
  PutLe32(header + 12, seg->number);
  if (dip::Status s = WriteAll(seg->fd, header, kHeaderBytes, 0, seg->path); !s.ok()) {
    ::unlink(seg->path.c_str());
    return s;
  }
  // The new file's entry must outlive a power loss before a record in it is acknowledged.
  if (options_.fsync && ::fsync(dir_fd_) != 0) return Errno("sync " + dir_, errno);
  sealed_bytes_ += end_;
  end_ = kHeaderBytes;
  segments_.push_back(std::move(seg));
  return dip::Status::Ok();
}

dip::Result<MessageLog::Appended> MessageLog::Append(std::span<const std::string_view> payloads) {
  Appended out;
  std::size_t total = 0;
  for (std::string_view p : payloads) total += kFrameBytes + p.size();
  std::lock_guard lock(mu_);
  if (end_ > kHeaderBytes && end_ + total > options_.segment_bytes) {
    if (dip::Status s = Roll(); !s.ok()) return s;
  }
  const Segment& seg = *segments_.back();
  auto bytes = std::make_shared<std::string>();
  bytes->resize(total);
  out.positions.reserve(payloads.size());
  out.payloads.reserve(payloads.size());
  char* at = bytes->data();
  std::uint64_t offset = end_;
  for (std::string_view p : payloads) {
    if (p.size() > UINT32_MAX) return dip::Status::Io("a message over 4 GiB cannot be logged");
    const auto n = static_cast<std::uint32_t>(p.size());
    PutLe32(at, n);
    PutLe64(at + 4, MessageLogChecksum(seg.number, offset + kFrameBytes, p));
    std::memcpy(at + kFrameBytes, p.data(), p.size());
    out.positions.push_back({seg.number, offset + kFrameBytes, n});
    out.payloads.emplace_back(at + kFrameBytes, p.size());
    at += kFrameBytes + p.size();
    offset += kFrameBytes + p.size();
  }
  if (dip::Status s = WriteAll(seg.fd, bytes->data(), total, end_, seg.path); !s.ok()) {
    // Part of the batch may be in the file: cut it off, so the next record follows whole ones.
    if (::ftruncate(seg.fd, static_cast<off_t>(end_)) != 0) {
      return Errno("cut a failed write from " + seg.path + " (after: " + s.help() + ")", errno);
    }
    return s;
  }
  end_ += total;
  out.bytes = std::move(bytes);
  return out;
}

dip::Status MessageLog::Sync() {
  if (!options_.fsync) return dip::Status::Ok();
  std::lock_guard sync_lock(sync_mu_);
  std::shared_ptr<Segment> current;
  {
    std::lock_guard lock(mu_);
    current = segments_.back();  // earlier segments were synced when the log moved past them
  }
  if (::fdatasync(current->fd) != 0) return Errno("sync " + current->path, errno);
  return dip::Status::Ok();
}

std::shared_ptr<MessageLog::Segment> MessageLog::FindSegment(std::uint32_t number) const {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(
      segments_.begin(), segments_.end(), number,
      [](const std::shared_ptr<Segment>& s, std::uint32_t n) { return s->number < n; });
  if (it == segments_.end() || (*it)->number != number) return nullptr;
  return *it;
}

dip::Status MessageLog::Read(const LogPosition& p, char* dst) const {
  std::shared_ptr<Segment> seg = FindSegment(p.segment);
  if (!seg) {
    return dip::Status::Io("message log segment " + SegmentName(p.segment) + " is missing from " +
                           dir_);
  }
  if (p.offset < kHeaderBytes + kFrameBytes) {
    return dip::Status::Io("message log position " + std::to_string(p.offset) + " in " + seg->path +
                           " is corrupt");
  }
  char frame[kFrameBytes];
  iovec iov[2] = {{frame, kFrameBytes}, {dst, p.size}};
  const std::size_t want = kFrameBytes + p.size;
  ssize_t n;
  do {
    n = ::preadv(seg->fd, iov, 2, static_cast<off_t>(p.offset - kFrameBytes));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("read " + seg->path, errno);
  if (static_cast<std::size_t>(n) < want) {
    // A short read (rare on a regular file): read both parts again, in full.
    if (dip::Status s = ReadAll(seg->fd, frame, kFrameBytes, p.offset - kFrameBytes, seg->path);
        !s.ok()) {
      return s;
    }
    if (dip::Status s = ReadAll(seg->fd, dst, p.size, p.offset, seg->path); !s.ok()) return s;
  }
  if (GetLe32(frame) != p.size ||
      GetLe64(frame + 4) !=
          MessageLogChecksum(p.segment, p.offset, std::string_view(dst, p.size))) {
    return dip::Status::Io("the message at " + std::to_string(p.offset) + " in " + seg->path +
                           " is corrupt (size or checksum)");
  }
  return dip::Status::Ok();
}

LogPosition MessageLog::End() const {
  std::lock_guard lock(mu_);
  return {segments_.back()->number, end_, 0};
}

dip::Status MessageLog::TruncateCurrent(std::uint64_t offset) {
  std::lock_guard lock(mu_);
  if (offset < kHeaderBytes || offset > end_) {
    return dip::Status::Io("cannot cut the message log back to " + std::to_string(offset));
  }
  if (offset == end_) return dip::Status::Ok();
  const Segment& seg = *segments_.back();
  if (::ftruncate(seg.fd, static_cast<off_t>(offset)) != 0) {
    return Errno("cut " + seg.path, errno);
  }
  if (options_.fsync && ::fdatasync(seg.fd) != 0) return Errno("sync " + seg.path, errno);
  end_ = offset;
  return dip::Status::Ok();
}

dip::Result<std::uint32_t> MessageLog::DropSegmentsBefore(std::uint32_t segment) {
  std::vector<std::shared_ptr<Segment>> dropped;
  {
    std::lock_guard lock(mu_);
    while (segments_.size() > 1 && segments_.front()->number < segment) {
      dropped.push_back(segments_.front());
      segments_.erase(segments_.begin());
    }
  }
  for (const std::shared_ptr<Segment>& seg : dropped) {
    struct stat st {};
    const std::uint64_t size =
        ::fstat(seg->fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    if (::unlink(seg->path.c_str()) != 0 && errno != ENOENT) {
      return Errno("delete " + seg->path, errno);
    }
    std::lock_guard lock(mu_);
    sealed_bytes_ -= std::min(sealed_bytes_, size);
  }
  return static_cast<std::uint32_t>(dropped.size());
}

std::uint64_t MessageLog::DiskBytes() const {
  std::lock_guard lock(mu_);
  return sealed_bytes_ + end_;
}

}  // namespace diphub::storage
