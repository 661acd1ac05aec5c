// The sections of lockstep.yaml, each read into the Workspace with its problems reported
// through a FieldReader (internal to coord/; LoadWorkspace in workspace.h is the entry point).
// Sections that name repositories are read after `repositories`. Not thread-safe.
#pragma once

#include "coord/field_reader.h"
#include "coord/workspace.h"
#include "yaml/yaml_tree.h"

namespace lockstep::coord {

// `repositories:` (workspace_reader.cc). Relative paths are resolved against workspace.root.
void ReadRepositories(const yaml::Node& node, FieldReader& reader, Workspace& workspace);
// `environments:`; none declared leaves the list empty (LoadWorkspace adds "default").
void ReadEnvironments(const yaml::Node& node, FieldReader& reader, Workspace& workspace);
// `services:`, each through runtime::ReadServiceSpec.
void ReadServices(const yaml::Node& node, FieldReader& reader, Workspace& workspace);

// `sync:` (workspace_sync_reader.cc): rule shapes, paths, repositories known, and no two
// rules writing the same place.
void ReadSyncRules(const yaml::Node& node, FieldReader& reader, Workspace& workspace);

// `integration_tests:` (workspace_tests_reader.cc): a list, or {deadline, tests}.
void ReadIntegrationTests(const yaml::Node& node, FieldReader& reader, Workspace& workspace);

// The order between repositories (workspace_graph.cc): `after` entries that name unknown
// repositories or the repository itself, and cycles of `after` and sync edges, each reported
// once as a path at the position of an edge in it.
void CheckRepositoryOrder(FieldReader& reader, const Workspace& workspace);

}  // namespace lockstep::coord
