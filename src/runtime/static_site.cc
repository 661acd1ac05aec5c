#include "runtime/static_site.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace lockstep::runtime {
namespace {

constexpr std::string_view kIndex = "index.html";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The request path decoded and split into segments, or the refusal that ends the request.
struct DecodedPath {
  std::vector<std::string> segments;
  bool trailing_slash = false;
};

std::variant<DecodedPath, StaticRefusal> DecodePath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return StaticRefusal{.status = 400, .reason = "target is not an absolute path"};
  }
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      int high = i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
      int low = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return StaticRefusal{.status = 400, .reason = "malformed percent-escape"};
      }
      c = static_cast<char>(high * 16 + low);
      i += 2;
      if (c == '\0') return StaticRefusal{.status = 400, .reason = "NUL in path"};
    }
    if (c == '\\') return StaticRefusal{.status = 403, .reason = "backslash in path"};
    decoded.push_back(c);
  }
  DecodedPath result;
  result.trailing_slash = decoded.back() == '/';
  size_t start = 0;
  while (start < decoded.size()) {
    size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    std::string_view segment = std::string_view(decoded).substr(start, end - start);
    if (segment == "." || segment == "..") {
      return StaticRefusal{.status = 403, .reason = "dot segment in path"};
    }
    if (!segment.empty()) result.segments.emplace_back(segment);
    start = end + 1;
  }
  return result;
}

// Percent-encodes one segment for a Location header: RFC 3986 pchar stays, the rest is %XX.
void AppendEncodedSegment(std::string& out, std::string_view segment) {
  static constexpr std::string_view kKeep = "-._~!$&'()*+,;=:@";
  for (char c : segment) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        kKeep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
}

// What opening a path beneath the root gave: a descriptor, or an errno value.
struct Opened {
  exec::UniqueFd fd;
  int error = 0;
};

// Opens `relative` beneath `root_fd` for reading. RESOLVE_BENEATH refuses absolute paths,
// ".." above the root and symbolic links (absolute, or relative ones climbing out) with
// EXDEV; RESOLVE_NO_MAGICLINKS refuses /proc-style links. O_NONBLOCK keeps a FIFO from
// blocking the open (it is refused after fstat); it is cleared again for regular files.
Opened OpenBeneath(int root_fd, const std::string& relative) {
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  // EAGAIN: a rename raced with the lookup of the path; the kernel asks to try again.
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
    if (fd >= 0) return Opened{.fd = exec::UniqueFd(static_cast<int>(fd)), .error = 0};
    if (errno == EINTR || (errno == EAGAIN && attempt < 8)) continue;
    return Opened{.fd = {}, .error = errno};
  }
}

// How a failed open is answered: a refusal, or nullopt for a system failure.
std::optional<StaticRefusal> RefusalFor(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      return StaticRefusal{.status = 404, .reason = "no such file"};
    case ENXIO:  // a socket or a device without a driver
    case ENODEV:
      return StaticRefusal{.status = 404, .reason = "not a regular file"};
    case EXDEV:  // RESOLVE_BENEATH: the path or a symbolic link leaves the root
    case ELOOP:  // a magic link, or a loop of symbolic links
      return StaticRefusal{.status = 403, .reason = "path leaves the site"};
    case EACCES:
      return StaticRefusal{.status = 403, .reason = "permission denied"};
    // Not EPERM: a read-only open does not fail with it, but a seccomp filter that does not
    // know openat2 (older container runtimes) does, for every path; that must surface as a
    // system failure in the log, not as a site of 403s. ENOSYS likewise.
    default:
      return std::nullopt;
  }
}

std::string_view CacheControlFor(std::string_view content_type) {
  return content_type.starts_with("text/html") ? "no-cache" : "public, max-age=300";
}

Result<StaticReply> FileReply(exec::UniqueFd fd, const struct stat& info, std::string_view name) {
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) < 0) {
    return std::unexpected(ErrnoError(errno, "static site: fcntl"));
  }
  StaticFile file;
  file.fd = std::move(fd);
  file.size = static_cast<uint64_t>(info.st_size);
  file.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  file.content_type = ContentTypeFor(name);
  file.cache_control = CacheControlFor(file.content_type);
  file.etag = fmt::format("\"{:x}-{:x}-{:x}\"", static_cast<uint64_t>(info.st_ino), file.size,
                          static_cast<uint64_t>(file.mtime_ns));
  return file;
}

// Opens `relative` and answers it when it is a regular file (`name` gives the content type)
// or cannot be opened. A directory comes back without a reply: it is the caller's business.
struct Resolved {
  std::optional<StaticReply> reply;  // set unless the path names a directory
  int error = 0;                     // errno of a failed open, when reply holds its refusal
};

Result<Resolved> Resolve(int root_fd, const std::string& relative, std::string_view name) {
  Opened opened = OpenBeneath(root_fd, relative);
  if (!opened.fd.valid()) {
    std::optional<StaticRefusal> refusal = RefusalFor(opened.error);
    if (!refusal) {
      return std::unexpected(ErrnoError(opened.error, "static site: open \"" + relative + "\""));
    }
    return Resolved{.reply = *refusal, .error = opened.error};
  }
  struct stat info = {};
  if (::fstat(opened.fd.get(), &info) != 0) {
    return std::unexpected(ErrnoError(errno, "static site: fstat"));
  }
  if (S_ISDIR(info.st_mode)) return Resolved{.reply = std::nullopt, .error = 0};
  if (!S_ISREG(info.st_mode)) {
    return Resolved{.reply = StaticRefusal{.status = 404, .reason = "not a regular file"},
                    .error = 0};
  }
  Result<StaticReply> file = FileReply(std::move(opened.fd), info, name);
  if (!file) return std::unexpected(file.error());
  return Resolved{.reply = std::move(*file), .error = 0};
}

bool HasExtension(std::string_view segment) { return segment.find('.') != std::string_view::npos; }

}  // namespace

Result<StaticReply> OpenStaticFile(int root_fd, std::string_view target,
                                   const StaticOptions& options) {
  size_t query_start = target.find_first_of("?#");
  std::string_view path = target.substr(0, query_start);
  std::variant<DecodedPath, StaticRefusal> decoded = DecodePath(path);
  if (auto* refusal = std::get_if<StaticRefusal>(&decoded)) return *refusal;
  const DecodedPath& parts = std::get<DecodedPath>(decoded);

  std::string relative;
  for (const std::string& segment : parts.segments) {
    if (!relative.empty()) relative.push_back('/');
    relative += segment;
  }
  std::string_view last = parts.segments.empty() ? "" : std::string_view(parts.segments.back());

  Result<Resolved> resolved = Resolve(root_fd, relative.empty() ? "." : relative, last);
  if (!resolved) return std::unexpected(resolved.error());

  if (!resolved->reply) {  // a directory
    if (!parts.trailing_slash) {
      StaticRedirect redirect;
      for (const std::string& segment : parts.segments) {
        redirect.location.push_back('/');
        AppendEncodedSegment(redirect.location, segment);
      }
      redirect.location.push_back('/');
      if (query_start != std::string_view::npos && target[query_start] == '?') {
        redirect.location += target.substr(query_start);
      }
      return redirect;
    }
    std::string index =
        relative.empty() ? std::string(kIndex) : relative + "/" + std::string(kIndex);
    resolved = Resolve(root_fd, index, kIndex);
    if (!resolved) return std::unexpected(resolved.error());
    if (!resolved->reply) return StaticRefusal{.status = 404, .reason = "no such file"};
    return std::move(*resolved->reply);
  }

  if (parts.trailing_slash && std::holds_alternative<StaticFile>(*resolved->reply)) {
    return StaticRefusal{.status = 404, .reason = "not a directory"};
  }
  bool missing = resolved->error == ENOENT || resolved->error == ENOTDIR;
  if (missing && options.spa_fallback && !HasExtension(last)) {
    resolved = Resolve(root_fd, std::string(kIndex), kIndex);
    if (!resolved) return std::unexpected(resolved.error());
    if (!resolved->reply) return StaticRefusal{.status = 404, .reason = "no such file"};
  }
  return std::move(*resolved->reply);
}

bool NotModified(std::string_view if_none_match, std::string_view etag) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  auto without_weak = [](std::string_view tag) {
    return tag.starts_with("W/") ? tag.substr(2) : tag;
  };
  std::string_view own = without_weak(etag);
  if (own.size() < 2 || own.front() != '"' || own.back() != '"') return false;

  std::string_view header = if_none_match;
  while (!header.empty() && is_space(header.front())) header.remove_prefix(1);
  while (!header.empty() && is_space(header.back())) header.remove_suffix(1);
  if (header == "*") return true;

  // Entity tags may contain commas inside their quotes, so the list is scanned tag by tag
  // rather than split on commas.
  size_t i = 0;
  bool matched = false;
  while (true) {
    while (i < header.size() && (is_space(header[i]) || header[i] == ',')) ++i;
    if (i == header.size()) return matched;
    if (header.substr(i).starts_with("W/")) i += 2;
    if (i == header.size() || header[i] != '"') return false;
    size_t close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (header.substr(i, close + 1 - i) == own) matched = true;
    i = close + 1;
    while (i < header.size() && is_space(header[i])) ++i;
    if (i < header.size() && header[i] != ',') return false;
  }
}

std::string_view ContentTypeFor(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string extension;
  for (char c : file_name.substr(dot + 1)) {
    extension.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  struct Type {
    std::string_view extension;
    std::string_view content_type;
  };
  static constexpr Type kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
      {"xml", "application/xml"},
      {"pdf", "application/pdf"},
  };
  for (const Type& type : kTypes) {
    if (type.extension == extension) return type.content_type;
  }
  return "application/octet-stream";
}

}  // namespace lockstep::runtime
