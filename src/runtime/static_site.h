// Static sites served by the gateway itself, like a CDN in front of a release directory.
//
// OpenStaticFile turns a request-target into what to answer: an open file with its headers,
// a redirect, or a refusal. It touches the filesystem only beneath the site's root, through
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so neither "..", nor its percent-encoded
// forms, nor a symbolic link pointing out of the site can reach another file; symbolic links
// that stay inside the site are followed. The caller owns the socket side: methods other
// than GET and HEAD (405), Range, and writing the headers and the body.
//
// Path rules, applied to the path of the target (the query string is ignored):
//   * it must start with '/'; percent-escapes are decoded once ("%252e" is the literal name
//     "%2e"); a malformed escape or a decoded NUL is a 400;
//   * a decoded '/' ("%2F") is a separator like any other: the path is split after decoding,
//     so "/a/..%2fx" has a ".." segment. Empty segments ("//") are skipped;
//   * a "." or ".." segment (after decoding), or a '\' anywhere, is a 403: browsers remove
//     dot segments before sending, so such a request is crafted;
//   * a directory is served by its index.html; without a trailing slash it is a 301 to the
//     same path with one (query kept); a directory without index.html is a 404 (there are no
//     listings); anything that is not a regular file or such a directory is a 404.
//
// All functions are thread-safe; the root fd is only read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "base/error.h"
#include "exec/unique_fd.h"

namespace lockstep::runtime {

struct StaticOptions {
  // Single-page-application fallback: a path that does not exist and whose last segment has
  // no extension ("/users/42", not "/app.js") is answered with the site's /index.html, so
  // that client-side routes load the application. Default off: such paths are 404.
  bool spa_fallback = false;
};

// A file to send with status 200 (or 304 when NotModified says so).
struct StaticFile {
  exec::UniqueFd fd;     // open for reading at offset 0; owned by this value
  uint64_t size = 0;     // bytes, for Content-Length
  int64_t mtime_ns = 0;  // modification time, nanoseconds since the Unix epoch (Last-Modified)
  // Content-Type for the served file's extension; points to static storage.
  std::string_view content_type;
  // A strong validator, quoted: "inode-size-mtime_ns" in hex. It changes whenever the file is
  // replaced (a new release has new inodes) or rewritten.
  std::string etag;
  // Cache-Control; points to static storage. "no-cache" for HTML, so that browsers
  // revalidate (cheaply, with the ETag) and a new release shows at once; otherwise
  // "public, max-age=300": not "immutable", because lockstep does not give assets
  // content-hashed names, so the same URL can change with the next release, and five
  // minutes bounds how long a browser may show an old asset beside new HTML.
  std::string_view cache_control;
};

// A 301 to `location`, an absolute path (never "//host": it is rebuilt from the decoded
// segments, percent-encoded again) ending in '/', with the original query string.
struct StaticRedirect {
  std::string location;
};

// A status to answer without a body from the site: 400, 403 or 404. `reason` is for the
// access log (static storage), e.g. "path leaves the site"; not meant for clients.
struct StaticRefusal {
  int status = 404;
  std::string_view reason;
};

using StaticReply = std::variant<StaticFile, StaticRedirect, StaticRefusal>;

// Resolves `target` (an origin-form request-target, "/path?query") beneath the site whose
// root is `root_fd` (a directory opened with O_PATH or O_DIRECTORY; not owned) to a reply.
// Fails only when the system cannot answer (out of descriptors, an I/O error, a kernel
// without openat2): the caller answers 500 and logs the error.
[[nodiscard]] Result<StaticReply> OpenStaticFile(int root_fd, std::string_view target,
                                                 const StaticOptions& options);

// Whether a GET with this If-None-Match header value may be answered 304 for a resource
// whose current ETag is `etag`. Implements RFC 9110 section 13.1.2: "*" matches; otherwise
// the header is a comma-separated list of entity tags compared weakly (a "W/" prefix on
// either side is ignored; the quoted parts must be equal byte for byte). An empty or
// malformed header matches nothing, so the full response is sent.
bool NotModified(std::string_view if_none_match, std::string_view etag);

// The Content-Type for a file name, by its extension (case-insensitive): text types carry
// "; charset=utf-8"; unknown extensions are "application/octet-stream". Static storage.
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace lockstep::runtime
