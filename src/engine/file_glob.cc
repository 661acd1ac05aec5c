#include "engine/file_glob.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace lockstep::engine {
namespace fs = std::filesystem;

namespace {

// Splits a '/'-separated path into segments, dropping empty and "." segments so that
// "./dist//a" and "dist/a" read the same.
std::vector<std::string_view> Segments(std::string_view text) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= text.size()) {
    size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    std::string_view segment = text.substr(start, slash - start);
    if (!segment.empty() && segment != ".") segments.push_back(segment);
    start = slash + 1;
  }
  return segments;
}

// Position just past the ']' closing the class that starts at pattern[open] == '[', or npos.
// A ']' right after "[" or "[!" is a member, as in POSIX ("[]a]", "[!]]").
size_t ClassEnd(std::string_view pattern, size_t open) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;
  size_t close = pattern.find(']', i);
  return close == std::string_view::npos ? close : close + 1;
}

// Whether `c` is in the class pattern[open, end) ("[...]", brackets included).
bool ClassContains(std::string_view pattern, size_t open, size_t end, char c) {
  size_t i = open + 1;
  bool negated = pattern[i] == '!' || pattern[i] == '^';
  if (negated) ++i;
  size_t last = end - 1;  // the closing ']'
  bool found = false;
  while (i < last) {
    char low = pattern[i];
    if (i + 2 < last && pattern[i + 1] == '-') {
      char high = pattern[i + 2];
      if (static_cast<unsigned char>(low) <= static_cast<unsigned char>(c) &&
          static_cast<unsigned char>(c) <= static_cast<unsigned char>(high)) {
        found = true;
      }
      i += 3;
    } else {
      if (low == c) found = true;
      ++i;
    }
  }
  return found != negated;
}

// Matches one path segment against one pattern segment (no '/' in either).
//
// The classic iterative wildcard algorithm: every token other than '*' matches exactly one
// character, so when a later token fails it is enough to retry from the most recent '*',
// letting it swallow one more character; earlier stars never need revisiting. That bounds the
// work by pattern length times segment length, where naive recursion is exponential in the
// number of stars ("*a*a*a*a*b" against "aaaa…").
bool SegmentMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char token = pattern[p];
      if (token == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      if (token == '?') {
        ++p;
        ++t;
        continue;
      }
      if (token == '[') {
        size_t end = ClassEnd(pattern, p);
        if (end != std::string_view::npos) {
          if (ClassContains(pattern, p, end, text[t])) {
            p = end;
            ++t;
            continue;
          }
        } else if (text[t] == '[') {  // an unclosed '[' is an ordinary character
          ++p;
          ++t;
          continue;
        }
      } else if (token == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Segment-level matching: the same algorithm one level up, with "**" as the star and each
// other pattern segment as a token matching exactly one path segment.
bool SegmentsMatch(const std::vector<std::string_view>& pattern,
                   const std::vector<std::string_view>& path) {
  size_t p = 0;
  size_t s = 0;
  size_t star_p = std::string_view::npos;
  size_t star_s = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == "**") {
      star_p = p++;
      star_s = s;
      continue;
    }
    if (p < pattern.size() && SegmentMatch(pattern[p], path[s])) {
      ++p;
      ++s;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == "**") ++p;
  return p == pattern.size();
}

// Pattern segments with the implicit trailing "**" that makes a pattern naming a directory
// match everything under it.
std::vector<std::string_view> PatternSegments(std::string_view pattern) {
  std::vector<std::string_view> segments = Segments(pattern);
  if (segments.empty() || segments.back() != "**") segments.push_back("**");
  return segments;
}

// Whether anything under directory `dir` (segments, relative to the root) could match
// `pattern`: used to skip whole subtrees that no pattern can reach ("dist/**" need not walk
// node_modules). Conservative: true as soon as a "**" is reached.
bool CouldMatchUnder(const std::vector<std::string_view>& pattern,
                     const std::vector<std::string_view>& dir) {
  for (size_t i = 0; i < dir.size(); ++i) {
    if (i >= pattern.size() || pattern[i] == "**") return true;
    if (!SegmentMatch(pattern[i], dir[i])) return false;
  }
  return true;
}

std::string Quote(std::string_view text) { return fmt::format("\"{}\"", text); }

Error PathError(const std::error_code& error, const fs::path& path) {
  return ErrnoError(error.value(), path.string());
}

// Whether `relative` is a plain relative path that stays below its root.
bool IsContainedRelative(std::string_view relative) {
  if (relative.empty() || relative.front() == '/') return false;
  for (std::string_view segment : Segments(relative)) {
    if (segment == "..") return false;
  }
  return true;
}

// Removes whatever is at `path` unless it is a real directory (not a link to one).
Result<void> ClearForDirectory(const fs::path& path) {
  std::error_code error;
  fs::file_status status = fs::symlink_status(path, error);
  if (error && error != std::errc::no_such_file_or_directory)
    return std::unexpected(PathError(error, path));
  if (!fs::exists(status) || fs::is_directory(status)) return {};
  if (!fs::remove(path, error) && error) return std::unexpected(PathError(error, path));
  return {};
}

// Removes whatever is at `path` so that a file or link can be created there.
Result<void> ClearForFile(const fs::path& path) {
  std::error_code error;
  fs::file_status status = fs::symlink_status(path, error);
  if (error && error != std::errc::no_such_file_or_directory)
    return std::unexpected(PathError(error, path));
  if (!fs::exists(status)) return {};
  fs::remove_all(path, error);
  if (error) return std::unexpected(PathError(error, path));
  return {};
}

// Copies the bytes of open `in` to `out`: copy_file_range lets the kernel avoid the round trip
// through user space (and share extents on filesystems that can); read/write where it cannot.
Result<int64_t> CopyBytes(int in, int out, const fs::path& from, const fs::path& to) {
  int64_t total = 0;
  bool use_range = true;
  for (;;) {
    ssize_t n = -1;
    if (use_range) {
      n = ::copy_file_range(in, nullptr, out, nullptr, size_t{1} << 30, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        use_range = false;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return std::unexpected(ErrnoError(errno, fmt::format("copying {}", from.string())));
    } else {
      char buffer[1 << 16];
      n = ::read(in, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(ErrnoError(errno, from.string()));
      for (ssize_t written = 0; written < n;) {
        ssize_t w = ::write(out, buffer + written, static_cast<size_t>(n - written));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return std::unexpected(ErrnoError(errno, to.string()));
        written += w;
      }
    }
    if (n == 0) return total;
    total += n;
  }
}

// Copies one regular file, replacing whatever is at `to` and giving it `from`'s mode.
Result<int64_t> CopyRegularFile(const fs::path& from, const fs::path& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return std::unexpected(ErrnoError(errno, from.string()));
  struct stat info {};
  if (::fstat(in, &info) != 0) {
    int saved = errno;
    ::close(in);
    return std::unexpected(ErrnoError(saved, from.string()));
  }
  // Unlink first and create exclusively: writing through an existing file at `to` could follow
  // a symbolic link out of the destination or change a hard-linked file elsewhere.
  if (auto cleared = ClearForFile(to); !cleared) {
    ::close(in);
    return std::unexpected(cleared.error());
  }
  mode_t mode = info.st_mode & 07777;
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (out < 0) {
    int saved = errno;
    ::close(in);
    return std::unexpected(ErrnoError(saved, to.string()));
  }
  Result<int64_t> copied = CopyBytes(in, out, from, to);
  ::close(in);
  // The exact mode, regardless of umask; set after writing so a read-only file can be written.
  if (copied && ::fchmod(out, mode) != 0) copied = std::unexpected(ErrnoError(errno, to.string()));
  if (::close(out) != 0 && copied) copied = std::unexpected(ErrnoError(errno, to.string()));
  return copied;
}

Result<void> CopySymlink(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::path target = fs::read_symlink(from, error);
  if (error) return std::unexpected(PathError(error, from));
  if (auto cleared = ClearForFile(to); !cleared) return cleared;
  fs::create_symlink(target, to, error);
  if (error) return std::unexpected(PathError(error, to));
  return {};
}

// One entry met while walking a tree: its path relative to the root ('/'-separated) and kind.
struct WalkEntry {
  std::string relative;
  fs::file_type type;
};

// Walks the tree under `root` without following symbolic links, calling `visit(entry)` for
// every entry (parents before children, otherwise in no particular order). `visit` returns
// Result<bool>: false skips a directory's contents, an error stops the walk and is returned.
// Fails naming the directory that could not be read.
template <class Visit>
Result<void> Walk(const fs::path& root, Visit visit) {
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    std::string dir = std::move(pending.back());
    pending.pop_back();
    fs::path dir_path = dir.empty() ? root : root / dir;
    std::error_code error;
    fs::directory_iterator it(dir_path, error);
    if (error) return std::unexpected(PathError(error, dir_path));
    for (; it != fs::directory_iterator(); it.increment(error)) {
      const fs::directory_entry& entry = *it;
      std::string name = entry.path().filename().string();
      std::string relative = dir.empty() ? name : dir + "/" + name;
      fs::file_status status = entry.symlink_status(error);
      if (error) return std::unexpected(PathError(error, entry.path()));
      Result<bool> descend = visit(WalkEntry{relative, status.type()});
      if (!descend) return std::unexpected(descend.error());
      if (*descend && status.type() == fs::file_type::directory) {
        pending.push_back(std::move(relative));
      }
    }
    if (error) return std::unexpected(PathError(error, dir_path));
  }
  return {};
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  // An empty or absolute pattern matches nothing; "." names the root and so matches all.
  if (pattern.empty() || pattern.front() == '/') return false;
  std::vector<std::string_view> path_segments = Segments(path);
  if (path_segments.empty()) return false;
  return SegmentsMatch(PatternSegments(pattern), path_segments);
}

Result<void> CheckGlob(std::string_view pattern) {
  if (pattern.empty()) return Fail(ErrorCode::kInvalidArgument, "file pattern \"\" is empty");
  std::string quoted = Quote(pattern);
  if (pattern.front() == '/') {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("file pattern {} is absolute; patterns are relative paths", quoted));
  }
  for (std::string_view segment : Segments(pattern)) {
    if (segment == "..") {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("file pattern {} has a \"..\" segment; patterns cannot leave their "
                              "directory",
                              quoted));
    }
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '[') continue;
    size_t end = ClassEnd(pattern, i);
    if (end == std::string_view::npos || pattern.substr(i, end - i).find('/') != pattern.npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("file pattern {} has a \"[\" at column {} that is not closed by "
                              "\"]\"",
                              quoted, i + 1));
    }
    i = end - 1;
  }
  return {};
}

Result<std::vector<std::string>> FindMatchingFiles(const fs::path& root,
                                                   const std::vector<std::string>& patterns) {
  std::vector<std::vector<std::string_view>> compiled;
  for (const std::string& pattern : patterns) {
    if (auto checked = CheckGlob(pattern); !checked) return std::unexpected(checked.error());
    compiled.push_back(PatternSegments(pattern));
  }
  std::vector<std::string> found;
  auto visit = [&](const WalkEntry& entry) -> Result<bool> {
    std::vector<std::string_view> segments = Segments(entry.relative);
    if (entry.type == fs::file_type::directory) {
      return std::ranges::any_of(
          compiled, [&](const auto& pattern) { return CouldMatchUnder(pattern, segments); });
    }
    if (entry.type != fs::file_type::regular && entry.type != fs::file_type::symlink) {
      return false;
    }
    if (std::ranges::any_of(
            compiled, [&](const auto& pattern) { return SegmentsMatch(pattern, segments); })) {
      found.push_back(entry.relative);
    }
    return false;
  };
  if (auto walked = Walk(root, visit); !walked) return std::unexpected(walked.error());
  std::ranges::sort(found);
  return found;
}

Result<int64_t> CopyFiles(const fs::path& from, const std::vector<std::string>& files,
                          const fs::path& to) {
  int64_t bytes = 0;
  for (const std::string& file : files) {
    if (!IsContainedRelative(file)) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("cannot copy {}: not a relative path inside {}", Quote(file), from.string()));
    }
    fs::path source = from / file;
    fs::path target = to / file;
    std::error_code error;
    fs::file_status status = fs::symlink_status(source, error);
    if (error) return std::unexpected(PathError(error, source));
    fs::create_directories(target.parent_path(), error);
    if (error) return std::unexpected(PathError(error, target.parent_path()));
    switch (status.type()) {
      case fs::file_type::regular: {
        Result<int64_t> copied = CopyRegularFile(source, target);
        if (!copied) return copied;
        bytes += *copied;
        break;
      }
      case fs::file_type::symlink:
        if (auto copied = CopySymlink(source, target); !copied) {
          return std::unexpected(copied.error());
        }
        break;
      case fs::file_type::directory: {
        Result<int64_t> copied = CopyTree(source, target);
        if (!copied) return copied;
        bytes += *copied;
        break;
      }
      default:
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("{}: not a regular file, directory or symbolic link", source.string()));
    }
  }
  return bytes;
}

Result<int64_t> CopyTree(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::file_status root_status = fs::symlink_status(from, error);
  if (error) return std::unexpected(PathError(error, from));
  if (!fs::is_directory(root_status)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: not a directory", from.string()));
  }
  // A copy inside its source would be walked into, copied again, and so on until paths get too
  // long.
  fs::path canonical_from = fs::weakly_canonical(from, error);
  fs::path canonical_to = fs::weakly_canonical(to, error);
  if (!error && std::mismatch(canonical_from.begin(), canonical_from.end(), canonical_to.begin(),
                              canonical_to.end())
                        .first == canonical_from.end()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot copy {} into itself ({})", from.string(), to.string()));
  }
  error.clear();
  if (auto cleared = ClearForDirectory(to); !cleared) return std::unexpected(cleared.error());
  fs::create_directories(to, error);
  if (error) return std::unexpected(PathError(error, to));

  int64_t bytes = 0;
  std::vector<std::string> directories;
  auto visit = [&](const WalkEntry& entry) -> Result<bool> {
    fs::path source = from / entry.relative;
    fs::path target = to / entry.relative;
    switch (entry.type) {
      case fs::file_type::directory: {
        if (auto cleared = ClearForDirectory(target); !cleared) {
          return std::unexpected(cleared.error());
        }
        std::error_code made;
        fs::create_directory(target, made);
        if (made) return std::unexpected(PathError(made, target));
        directories.push_back(entry.relative);
        return true;
      }
      case fs::file_type::regular: {
        Result<int64_t> copied = CopyRegularFile(source, target);
        if (!copied) return std::unexpected(copied.error());
        bytes += *copied;
        return false;
      }
      case fs::file_type::symlink:
        if (auto copied = CopySymlink(source, target); !copied) {
          return std::unexpected(copied.error());
        }
        return false;
      default:  // sockets, FIFOs and devices have no content worth copying
        return false;
    }
  };
  if (auto walked = Walk(from, visit); !walked) return std::unexpected(walked.error());

  // Directory modes last, deepest first, so a read-only directory was still writable while its
  // contents were copied.
  directories.push_back("");
  std::ranges::sort(directories, std::greater<>());
  for (const std::string& relative : directories) {
    fs::path source = relative.empty() ? from : from / relative;
    fs::path target = relative.empty() ? to : to / relative;
    fs::perms perms = fs::symlink_status(source, error).permissions();
    if (!error) fs::permissions(target, perms, fs::perm_options::replace, error);
    if (error) return std::unexpected(PathError(error, target));
  }
  return bytes;
}

}  // namespace lockstep::engine
