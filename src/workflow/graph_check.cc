#include "workflow/graph_check.h"

#include <fmt/core.h>

#include <functional>
#include <map>
#include <set>

#include "base/strings.h"
#include "workflow/action_configuration.h"

namespace lockstep::workflow {
namespace {

constexpr size_t kMaxActions = 50;
constexpr size_t kMaxSecretsPerAction = 5;

// The dependency graph over actions and groups. An action's edges are its DependsOn entries
// plus its group's; a group's edges are its own DependsOn entries, then its members (a group
// is done when they are). A cycle through a group reads "Deploy -> Tests -> Deploy", or
// "Deploy -> Tests -> Unit -> Deploy" when it runs through a member.
class Graph {
 public:
  Graph(const Workflow& workflow, Checker& checker) : workflow_(workflow), c_(checker) {
    // Names in file order, so that searches and reports follow the file.
    std::vector<std::pair<Mark, std::string>> named;
    for (const ActionGroup& group : workflow.groups) named.push_back({group.mark, group.name});
    for (const Action& action : workflow.actions) named.push_back({action.mark, action.name});
    std::stable_sort(named.begin(), named.end(), [](const auto& a, const auto& b) {
      return a.first.line != b.first.line ? a.first.line < b.first.line
                                          : a.first.column < b.first.column;
    });
    for (auto& [mark, name] : named) names_.push_back(std::move(name));
    known_.insert(names_.begin(), names_.end());
  }

  void Check() {
    CheckUniqueNames();
    ResolveDependsOn();
    FindCycles();
    if (has_cycle_) return;  // "upstream" is meaningless in a cyclic graph
    CheckArtifacts();
    for (const Action& action : workflow_.actions) CheckReferences(action);
    if (workflow_.actions.size() > kMaxActions) {
      c_.Warning(workflow_.actions[kMaxActions].mark,
                 fmt::format("the workflow has {} actions; CodeCatalyst runs at most {}",
                             workflow_.actions.size(), kMaxActions));
    }
  }

 private:
  struct Edge {
    std::string to;
    Mark mark;                   // of the DependsOn entry, or of the group for membership edges
    bool membership = false;     // group -> one of its actions
    std::string inherited_from;  // the group whose DependsOn this member edge comes from
  };

  void CheckUniqueNames() {
    std::map<std::string, Mark> seen;
    auto check = [&](const std::string& name, Mark mark, std::string_view what) {
      auto [it, inserted] = seen.emplace(name, mark);
      if (!inserted) {
        c_.Error(mark, fmt::format("duplicate {} '{}'; the first is at line {}", what, name,
                                   it->second.line));
      }
    };
    // In file order, so the first definition is the one kept and later ones are reported.
    std::vector<std::pair<Mark, std::pair<std::string, std::string_view>>> all;
    for (const ActionGroup& group : workflow_.groups)
      all.push_back({group.mark, {group.name, "action group name"}});
    for (const Action& action : workflow_.actions)
      all.push_back({action.mark, {action.name, "action name"}});
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first.line != b.first.line ? a.first.line < b.first.line
                                          : a.first.column < b.first.column;
    });
    for (const auto& [mark, entry] : all) check(entry.first, mark, entry.second);
  }

  bool Exists(const std::string& name) const { return known_.contains(name); }

  void ResolveDependsOn() {
    auto resolve = [&](const std::string& from, const std::vector<Located<std::string>>& entries,
                       std::string_view what, const std::string& own_group) {
      std::vector<Edge> resolved;
      for (const auto& entry : entries) {
        if (entry.value == from) {
          c_.Error(entry.mark, fmt::format("{} '{}' depends on itself", what, from));
        } else if (!own_group.empty() && entry.value == own_group) {
          c_.Error(entry.mark,
                   fmt::format("action '{}' depends on its own group '{}'", from, own_group));
        } else if (!Exists(entry.value)) {
          std::string message =
              fmt::format("{} '{}' depends on unknown action '{}'", what, from, entry.value);
          std::vector<std::string> others;  // only on this rare path: it is O(actions)
          for (const std::string& name : names_) {
            if (name != from) others.push_back(name);
          }
          if (auto suggestion = ClosestMatch(entry.value, others)) {
            message += fmt::format("; did you mean '{}'?", *suggestion);
          }
          c_.Error(entry.mark, std::move(message));
        } else {
          resolved.push_back({entry.value, entry.mark, false, ""});
        }
      }
      return resolved;
    };
    for (const ActionGroup& group : workflow_.groups) {
      group_depends_on_[group.name] = resolve(group.name, group.depends_on, "action group", "");
      // The group's own dependencies first, so a cycle through the group is found, and
      // printed, as the group's ("Tests -> Build -> Tests") rather than through a member.
      edges_[group.name] = group_depends_on_[group.name];
      for (const std::string& member : group.actions) {
        edges_[group.name].push_back({member, group.mark, true, ""});
      }
    }
    for (const Action& action : workflow_.actions) {
      std::vector<Edge>& edges = edges_[action.name];
      for (Edge& edge : resolve(action.name, action.depends_on, "action", action.group)) {
        edges.push_back(edge);
      }
      if (!action.group.empty()) {
        for (const Edge& edge : group_depends_on_[action.group]) {
          if (edge.to == action.name) continue;
          edges.push_back({edge.to, edge.mark, false, action.group});
        }
      }
    }
  }

  // Depth-first search in file order; each back edge is one cycle, reported at the entry
  // that starts it, with the whole path.
  void FindCycles() {
    std::map<std::string, int> state;  // 0 unvisited, 1 on the stack, 2 done
    std::vector<std::string> stack;
    std::function<void(const std::string&)> visit = [&](const std::string& node) {
      state[node] = 1;
      stack.push_back(node);
      for (const Edge& edge : edges_[node]) {
        if (state[edge.to] == 1) {
          auto start = std::find(stack.begin(), stack.end(), edge.to);
          // A member's inherited edge closes the same cycle as its group's own edge when the
          // group is on the path; that one was reported when the group's edge was followed.
          if (!edge.inherited_from.empty() &&
              std::find(start, stack.end(), edge.inherited_from) != stack.end()) {
            continue;
          }
          std::vector<std::string> cycle(start, stack.end());
          // Start the path at an edge the user wrote (a DependsOn entry), not at a group's
          // membership, so that the report points at a line to change.
          size_t first = 0;
          for (size_t i = 0; i < cycle.size(); ++i) {
            const Edge* step = FindEdge(cycle[i], cycle[(i + 1) % cycle.size()]);
            if (step != nullptr && !step->membership) {
              first = i;
              break;
            }
          }
          std::rotate(cycle.begin(), cycle.begin() + static_cast<std::ptrdiff_t>(first),
                      cycle.end());
          const Edge* opening = FindEdge(cycle[0], cycle[cycle.size() > 1 ? 1 : 0]);
          cycle.push_back(cycle[0]);
          std::string message = fmt::format("dependency cycle: {}", Join(cycle, " -> "));
          // Say where an edge nobody wrote on that action comes from.
          for (size_t i = 0; i + 1 < cycle.size(); ++i) {
            const Edge* step = FindEdge(cycle[i], cycle[i + 1]);
            if (step != nullptr && !step->inherited_from.empty()) {
              message += fmt::format(" ('{}' waits for '{}' because its group '{}' does)", cycle[i],
                                     cycle[i + 1], step->inherited_from);
              break;
            }
          }
          c_.Error(opening != nullptr ? opening->mark : edge.mark, std::move(message));
          has_cycle_ = true;
        } else if (state[edge.to] == 0) {
          visit(edge.to);
        }
      }
      stack.pop_back();
      state[node] = 2;
    };
    for (const std::string& name : names_) {
      if (state[name] == 0) visit(name);
    }
  }

  const Edge* FindEdge(const std::string& from, const std::string& to) {
    for (const Edge& edge : edges_[from]) {
      if (edge.to == to) return &edge;
    }
    return nullptr;
  }

  // Whether `consumer` waits for `producer`, directly or through groups: a search from the
  // consumer along its edges, asked only for the artifacts and variables a workflow uses, so
  // that a large graph without them costs nothing here.
  bool IsUpstream(const std::string& producer, const std::string& consumer) {
    std::set<std::string_view> seen = {consumer};
    std::vector<std::string_view> pending = {consumer};
    while (!pending.empty()) {
      std::string_view node = pending.back();
      pending.pop_back();
      auto edges = edges_.find(std::string(node));
      if (edges == edges_.end()) continue;
      for (const Edge& edge : edges->second) {
        if (edge.to == producer) return true;
        if (seen.insert(edge.to).second) pending.push_back(edge.to);
      }
    }
    return false;
  }

  // Input artifacts must come from another action. CodeCatalyst adds the dependency when the
  // producer is not upstream (its documentation's own example relies on it), so that is a
  // warning; a producer that runs after the consumer is an error.
  void CheckArtifacts() {
    std::map<std::string, const Action*> producers;
    std::vector<std::string> artifact_names;
    for (const Action& action : workflow_.actions) {
      for (const OutputArtifact& artifact : action.output_artifacts) {
        auto [it, inserted] = producers.emplace(artifact.name.value, &action);
        if (!inserted) {
          c_.Error(artifact.name.mark, fmt::format("artifact '{}' is also an output of action "
                                                   "'{}'; artifact names must be unique",
                                                   artifact.name.value, it->second->name));
        } else {
          artifact_names.push_back(artifact.name.value);
        }
      }
    }
    for (const Action& action : workflow_.actions) {
      for (const auto& input : action.input_artifacts) {
        auto it = producers.find(input.value);
        if (it == producers.end()) {
          std::string message = fmt::format(
              "input artifact '{}' of action '{}' is not an output "
              "of any action",
              input.value, action.name);
          if (auto suggestion = ClosestMatch(input.value, artifact_names)) {
            message += fmt::format("; did you mean '{}'?", *suggestion);
          }
          c_.Error(input.mark, std::move(message));
          continue;
        }
        CheckOrder(*it->second, action, input.mark, fmt::format("artifact '{}'", input.value));
      }
    }
  }

  // Reports when `consumer` uses something of `producer` it cannot have at its start.
  // Returns false when that is an error.
  bool CheckOrder(const Action& producer, const Action& consumer, Mark mark,
                  const std::string& what) {
    if (producer.name == consumer.name) {
      c_.Error(mark,
               fmt::format("action '{}' uses {}, which it outputs itself", consumer.name, what));
      return false;
    }
    if (IsUpstream(producer.name, consumer.name)) return true;
    if (IsUpstream(consumer.name, producer.name)) {
      c_.Error(mark, fmt::format("action '{}' uses {} of action '{}', which runs after it",
                                 consumer.name, what, producer.name));
      return false;
    }
    c_.Warning(mark, fmt::format("action '{}' uses {} of action '{}' without depending on it; "
                                 "add '{}' to DependsOn",
                                 consumer.name, what, producer.name, producer.name));
    return true;
  }

  void CheckReferences(const Action& action) {
    std::set<std::string> secrets;
    for (const Reference& reference : action.references) {
      std::vector<std::string> parts;
      for (size_t start = 0;;) {
        size_t dot = reference.text.find('.', start);
        parts.push_back(reference.text.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      std::string shown = "${" + reference.text + "}";
      if (AsciiLower(parts[0]) == "secrets") {
        CheckSecret(reference, parts, shown, secrets);
      } else if (parts[0] == "WorkflowSource") {
        static const std::vector<std::string_view> kSourceVariables = {"BranchName", "CommitId"};
        if (parts.size() != 2 || std::find(kSourceVariables.begin(), kSourceVariables.end(),
                                           parts[1]) == kSourceVariables.end()) {
          std::string message = fmt::format("unknown variable '{}'", shown);
          if (auto suggestion =
                  parts.size() == 2 ? ClosestMatch(parts[1], kSourceVariables) : std::nullopt) {
            message += fmt::format("; did you mean '${{WorkflowSource.{}}}'?", *suggestion);
          } else {
            message += " (WorkflowSource has BranchName and CommitId)";
          }
          c_.Error(reference.mark, std::move(message));
        }
      } else {
        CheckActionVariable(action, reference, parts, shown);
      }
    }
    if (secrets.size() > kMaxSecretsPerAction) {
      c_.Error(action.mark, fmt::format("action '{}' uses {} secrets; CodeCatalyst allows at most "
                                        "{} per action",
                                        action.name, secrets.size(), kMaxSecretsPerAction));
    }
  }

  void CheckSecret(const Reference& reference, const std::vector<std::string>& parts,
                   const std::string& shown, std::set<std::string>& secrets) {
    bool valid_name = parts.size() == 2 && !parts[1].empty() &&
                      std::all_of(parts[1].begin(), parts[1].end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                      });
    if (parts[0] != "Secrets" || !valid_name) {
      c_.Error(reference.mark,
               fmt::format("malformed secret reference '{}': expected ${{Secrets.NAME}}, the "
                           "name made of letters, digits, '-' and '_'",
                           shown));
      return;
    }
    secrets.insert(parts[1]);
  }

  void CheckActionVariable(const Action& consumer, const Reference& reference,
                           const std::vector<std::string>& parts, const std::string& shown) {
    const Action* producer = nullptr;
    if (parts.size() == 2) {
      producer = workflow_.FindAction(parts[0]);
      if (producer == nullptr && workflow_.FindGroup(parts[0]) != nullptr) {
        c_.Error(reference.mark, fmt::format("'{}' names action group '{}'; refer to a variable as "
                                             "${{{}.ACTION.VARIABLE}}",
                                             shown, parts[0], parts[0]));
        return;
      }
      if (producer != nullptr && !producer->group.empty() && producer->group != consumer.group) {
        c_.Error(reference.mark,
                 fmt::format("action '{}' is in action group '{}'; write '${{{}.{}.{}}}'",
                             producer->name, producer->group, producer->group, producer->name,
                             parts[1]));
        return;
      }
    } else if (parts.size() == 3) {
      const ActionGroup* group = workflow_.FindGroup(parts[0]);
      if (group == nullptr) {
        c_.Error(reference.mark,
                 fmt::format("'{}' names unknown action group '{}'", shown, parts[0]));
        return;
      }
      if (std::find(group->actions.begin(), group->actions.end(), parts[1]) ==
          group->actions.end()) {
        c_.Error(reference.mark,
                 fmt::format("action group '{}' has no action '{}'", parts[0], parts[1]));
        return;
      }
      producer = workflow_.FindAction(parts[1]);
    } else {
      c_.Error(reference.mark, fmt::format("malformed variable reference '{}': expected "
                                           "${{ACTION.VARIABLE}} or ${{GROUP.ACTION.VARIABLE}}",
                                           shown));
      return;
    }
    if (producer == nullptr) {
      std::string message = fmt::format("'{}' names unknown action '{}'", shown, parts[0]);
      if (auto suggestion = ClosestMatch(parts[0], names_)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      }
      c_.Error(reference.mark, std::move(message));
      return;
    }
    const std::string& variable = parts.back();
    if (!CheckOrder(*producer, consumer, reference.mark, fmt::format("variable '{}'", variable))) {
      return;
    }
    ActionKind kind = ClassifyIdentifier(producer->identifier.value);
    if (!OutputsAreKnown(kind)) return;
    std::vector<std::string> outputs;
    for (const auto& declared : producer->output_variables) outputs.push_back(declared.value);
    for (std::string_view built_in : BuiltInOutputs(kind)) outputs.emplace_back(built_in);
    if (std::find(outputs.begin(), outputs.end(), variable) != outputs.end()) return;
    std::string message =
        fmt::format("action '{}' has no output variable '{}'", producer->name, variable);
    if (auto suggestion = ClosestMatch(variable, outputs)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message += " (declare it in its Outputs: Variables)";
    }
    c_.Error(reference.mark, std::move(message));
  }

  const Workflow& workflow_;
  Checker& c_;
  std::vector<std::string> names_;  // groups and actions, in file order
  std::map<std::string, std::vector<Edge>> edges_;
  std::set<std::string> known_;  // every action and group name, for O(log n) lookups
  std::map<std::string, std::vector<Edge>> group_depends_on_;
  bool has_cycle_ = false;
};

}  // namespace

void CheckWorkflowGraph(const Workflow& workflow, Checker& checker) {
  Graph(workflow, checker).Check();
}

}  // namespace lockstep::workflow
