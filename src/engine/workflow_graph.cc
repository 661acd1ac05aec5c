#include "engine/workflow_graph.h"

#include <map>
#include <set>

namespace lockstep::engine {
namespace {

std::vector<std::string_view> SplitDots(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

}  // namespace

const workflow::Action* ReferencedAction(const workflow::Workflow& workflow,
                                         std::string_view reference) {
  std::vector<std::string_view> parts = SplitDots(reference);
  if (parts.size() == 3) {
    const workflow::Action* action = workflow.FindAction(parts[1]);
    return action != nullptr && action->group == parts[0] ? action : nullptr;
  }
  if (parts.size() == 2) return workflow.FindAction(parts[0]);
  return nullptr;
}

std::vector<PlanNode> BuildPlanNodes(const workflow::Workflow& workflow) {
  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < workflow.actions.size(); ++i) index[workflow.actions[i].name] = i;
  std::map<std::string_view, size_t> producer;  // output artifact -> action
  for (size_t i = 0; i < workflow.actions.size(); ++i) {
    for (const workflow::OutputArtifact& artifact : workflow.actions[i].output_artifacts)
      producer.emplace(artifact.name.value, i);
  }

  std::vector<PlanNode> nodes;
  for (size_t i = 0; i < workflow.actions.size(); ++i) {
    const workflow::Action& action = workflow.actions[i];
    std::set<size_t> dependencies;
    auto depend_on_name = [&](std::string_view name) {
      if (auto it = index.find(name); it != index.end()) {
        dependencies.insert(it->second);
      } else if (const workflow::ActionGroup* group = workflow.FindGroup(name)) {
        for (const std::string& member : group->actions) dependencies.insert(index.at(member));
      }
    };
    for (const auto& name : action.depends_on) depend_on_name(name.value);
    if (!action.group.empty()) {
      if (const workflow::ActionGroup* group = workflow.FindGroup(action.group)) {
        for (const auto& name : group->depends_on) depend_on_name(name.value);
      }
    }
    for (const auto& artifact : action.input_artifacts) {
      if (auto it = producer.find(artifact.value); it != producer.end())
        dependencies.insert(it->second);
    }
    for (const workflow::Reference& reference : action.references) {
      if (const workflow::Action* source = ReferencedAction(workflow, reference.text))
        dependencies.insert(index.at(source->name));
    }
    dependencies.erase(i);
    nodes.push_back({action.name, {dependencies.begin(), dependencies.end()}});
  }
  return nodes;
}

}  // namespace lockstep::engine
