#include "engine/substitute.h"

#include "base/strings.h"
#include "workflow/references.h"

namespace lockstep::engine {
namespace {

// Calls `visit(start, end, reference)` for every workflow reference `${…}` in `text`, where
// [start, end) spans the whole `${…}`, and `quoting` tells the shell context ('\'' inside
// single quotes, '"' inside double quotes, 0 outside) when `shell` is set.
template <class Visit>
void ForEachReference(std::string_view text, bool shell, Visit visit) {
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (shell) {
      if (quote == '\'') {
        if (c == '\'') quote = 0;
        if (c != '$') continue;  // single quotes take nothing literally but the closing quote
      } else if (c == '\\') {
        ++i;  // an escaped character, "\$" included
        continue;
      } else if (c == '\'' && quote == 0) {
        quote = '\'';
        continue;
      } else if (c == '"') {
        quote = quote == '"' ? 0 : '"';
        continue;
      }
    }
    if (c != '$' || i + 1 >= text.size() || text[i + 1] != '{') continue;
    size_t end = text.find('}', i + 2);
    if (end == std::string_view::npos) return;
    std::string_view reference = text.substr(i + 2, end - i - 2);
    if (!workflow::IsWorkflowReference(reference)) continue;
    visit(i, end + 1, reference, quote);
    i = end;
  }
}

}  // namespace

std::string SubstituteReferences(std::string_view text, const ReferenceResolver& resolve) {
  std::string out;
  size_t done = 0;
  ForEachReference(text, false, [&](size_t start, size_t end, std::string_view reference, char) {
    std::optional<std::string> value = resolve(reference);
    if (!value) return;
    out.append(text.substr(done, start - done));
    out.append(*value);
    done = end;
  });
  out.append(text.substr(done));
  return out;
}

std::string SubstituteForShell(std::string_view text, const ReferenceResolver& variable_for) {
  std::string out;
  size_t done = 0;
  ForEachReference(text, true,
                   [&](size_t start, size_t end, std::string_view reference, char quote) {
                     std::optional<std::string> variable = variable_for(reference);
                     if (!variable) return;
                     out.append(text.substr(done, start - done));
                     std::string expansion = "${" + *variable + "}";
                     out.append(quote == '\'' ? "'\"" + expansion + "\"'" : expansion);
                     done = end;
                   });
  out.append(text.substr(done));
  return out;
}

std::vector<std::string> FindReferences(std::string_view text) {
  std::vector<std::string> references;
  ForEachReference(text, false, [&](size_t, size_t, std::string_view reference, char) {
    references.emplace_back(reference);
  });
  return references;
}

std::string_view SecretName(std::string_view reference) {
  if (reference.size() <= 8 || AsciiLower(reference.substr(0, 8)) != "secrets.") return {};
  return reference.substr(8);
}

std::string SecretVariable(std::string_view secret_name) {
  std::string name = "LOCKSTEP_SECRET_";
  for (char c : secret_name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace lockstep::engine
