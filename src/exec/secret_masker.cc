#include "exec/secret_masker.h"

#include <algorithm>

namespace lockstep::exec {
namespace {

constexpr std::string_view kMask = "***";

// A run of bytes covered by occurrences of secrets: [begin, end).
struct Run {
  size_t begin = 0;
  size_t end = 0;
};

// Past this many bytes of held-back output that is all secret, the masker emits what it has
// (as one "***") rather than hold more: the only cost is that a longer run of back-to-back
// secrets shows as "******" instead of "***".
constexpr size_t kMaxHeldRun = size_t{64} << 10;

// Maximal runs of bytes covered by some occurrence of a secret. Occurrences that overlap or
// touch merge into one run, so that each run becomes a single "***" and no part of an
// overlapping secret is left in the clear (masking one occurrence at a time would).
std::vector<Run> CoveredRuns(std::string_view text, const std::vector<std::string>& secrets) {
  std::vector<Run> hits;
  for (const std::string& secret : secrets) {
    for (size_t at = text.find(secret); at != std::string_view::npos;
         at = text.find(secret, at + 1)) {
      hits.push_back({at, at + secret.size()});
    }
  }
  std::sort(hits.begin(), hits.end(), [](const Run& a, const Run& b) { return a.begin < b.begin; });
  std::vector<Run> runs;
  for (const Run& hit : hits) {
    if (!runs.empty() && hit.begin <= runs.back().end) {
      runs.back().end = std::max(runs.back().end, hit.end);
    } else {
      runs.push_back(hit);
    }
  }
  return runs;
}

// `text` up to `limit` with every run (clipped to `limit`) replaced by "***".
std::string Render(std::string_view text, const std::vector<Run>& runs, size_t limit) {
  std::string out;
  out.reserve(limit);
  size_t at = 0;
  for (const Run& run : runs) {
    if (run.begin >= limit) break;
    out.append(text.substr(at, run.begin - at));
    out.append(kMask);
    at = std::min(run.end, limit);
  }
  out.append(text.substr(at, limit - at));
  return out;
}

}  // namespace

SecretMasker::SecretMasker(std::vector<std::string> secrets) {
  for (std::string& secret : secrets) {
    if (secret.empty()) continue;
    if (secret.find('\n') != std::string::npos) {
      std::string_view rest = secret;
      while (!rest.empty()) {
        size_t newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // Shorter lines ("}", "--") would mask innocent text all over the output.
        if (line.size() >= 4) secrets_.emplace_back(line);
      }
    }
    secrets_.push_back(std::move(secret));
  }
  std::sort(secrets_.begin(), secrets_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

// Feed keeps this invariant: the concatenation of everything returned equals Mask() of the
// whole input. It holds back from the earliest position where the rest of the input is a
// proper prefix of a secret (an occurrence may still be completed there), or from the start
// of a masked run that reaches that position (a secret completed later would merge with it).
// Everything before that point can no longer change.
std::string SecretMasker::Feed(std::string_view chunk) {
  if (secrets_.empty()) return std::string(chunk);
  pending_.append(chunk);
  std::string_view text = pending_;

  size_t hold = text.size();
  size_t longest = secrets_.front().size();
  for (size_t at = text.size() > longest ? text.size() - longest + 1 : 0; at < text.size(); ++at) {
    std::string_view tail = text.substr(at);
    bool prefix = std::any_of(secrets_.begin(), secrets_.end(), [&](const std::string& secret) {
      return secret.size() > tail.size() && secret.starts_with(tail);
    });
    if (prefix) {
      hold = at;
      break;
    }
  }

  std::vector<Run> runs = CoveredRuns(text, secrets_);
  size_t cut = hold;
  for (const Run& run : runs) {
    if (run.begin < cut && run.end >= cut && hold - run.begin <= kMaxHeldRun) {
      cut = run.begin;
      break;
    }
  }
  std::string out = Render(text, runs, cut);
  pending_.erase(0, cut);
  return out;
}

std::string SecretMasker::Flush() {
  std::string out = Mask(pending_);
  pending_.clear();
  return out;
}

std::string SecretMasker::Mask(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  return Render(text, CoveredRuns(text, secrets_), text.size());
}

}  // namespace lockstep::exec
