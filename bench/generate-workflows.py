#!/usr/bin/env python3
"""Generate deterministic, realistic, valid CodeCatalyst workflow files for benchmarks.

Usage: generate-workflows.py OUTDIR COUNT [--seed N]

Writes COUNT files OUTDIR/wf-00001.yaml ... Each file is 50 to 300 lines long (the target
length is drawn uniformly from that range and hit exactly). File i depends only on the seed
and on i, so a larger COUNT extends a smaller one with the same seed.

Every file is meant to be valid both against AWS's published JSON Schema
(tests/schema/aws-schema-check.mjs) and semantically:
  * triggers: PUSH, PULLREQUEST (Events [OPEN, REVISION]) and SCHEDULE (6-field cron), with
    Branches and FilesChanged written as regular expressions ('main', 'release-.*', 'src/.*');
  * Compute only at the workflow level; SchemaVersion is the quoted string "1.0";
  * names match ^[A-Za-z0-9_-]+$ and are unique in the file; artifact names use only
    letters, digits and '_' and are unique; at most 5 input and 5 output artifacts per action;
  * DependsOn names only earlier actions or groups (so there are no cycles); an action group's
    members depend only on each other, the group itself on earlier top-level entries;
  * an input artifact's producer is upstream of the consumer (directly or transitively,
    through groups too); a variable reference ${Producer.Var} names a top-level (ungrouped)
    action upstream of the consumer that declares Var in its Outputs: Variables;
  * at most 40 actions per workflow (CodeCatalyst runs at most 50).

Standard library only.
"""

import argparse
import os
import random
import sys

MIN_LINES = 50
MAX_LINES = 300
MAX_ACTIONS = 40
MAX_ARTIFACTS = 5

SERVICES = [
    "payments", "catalog", "checkout", "identity", "search", "inventory", "ledger",
    "notifications", "analytics", "gateway", "storefront", "billing", "shipping", "reviews",
    "recommendations", "media", "profile", "orders", "pricing", "telemetry",
]
WORKFLOW_KINDS = ["ci", "release", "main", "pr-checks", "nightly", "deploy", "build", "pipeline"]
MODULES = ["api", "web", "worker", "auth", "core", "cli", "sdk", "admin", "jobs", "infra",
           "proto", "docs", "mobile", "edge", "db"]
LANGS = ["node", "python", "go", "java", "rust"]

BRANCH_REGEXES = ["main", "develop", "release-.*", "hotfix/.*", "feature/.*", "main|develop",
                  "release/v[0-9]+\\.[0-9]+", "staging"]
CRONS = ["0 9 ? * MON-FRI *", "15 2 * * ? *", "0 */6 * * ? *", "30 4 ? * SUN *",
         "0 0 1 * ? *", "45 23 ? * MON,WED,FRI *", "0 12 * * ? *", "10 3 ? * 2-6 *"]
EC2_FLEETS = ["Linux.x86-64.Large", "Linux.x86-64.XLarge", "Linux.x86-64.2XLarge",
              "Linux.Arm64.Large", "Linux.Arm64.XLarge"]
LAMBDA_FLEETS = ["Linux.x86-64.Large", "Linux.x86-64.XLarge", "Linux.Arm64.Large"]
IMAGES = {
    "node": ["node:20-bullseye", "node:22-slim"], "python": ["python:3.12-slim", "python:3.11"],
    "go": ["golang:1.22", "golang:1.23-bookworm"], "java": ["eclipse-temurin:21-jdk"],
    "rust": ["rust:1.80-slim"],
}
CODECATALYST_IMAGES = ["CodeCatalystLinux_x86_64:2024_03", "CodeCatalystLinux_x86_64:2022_11"]
TIMEOUTS = [10, 15, 20, 30, 45, 60, 90, 120, 240]
# Output variables and the shell that sets them.
VARIABLES = {
    "VERSION": "$(git describe --tags --always)",
    "IMAGE_TAG": "\"$(git rev-parse --short HEAD)-$(date +%Y%m%d)\"",
    "BUILD_ID": "\"$(date +%s)\"",
    "COMMIT_SHORT": "$(git rev-parse --short HEAD)",
    "ARTIFACT_URI": "\"s3://artifacts/$(git rev-parse HEAD)/bundle.tgz\"",
    "CHECKSUM": "$(sha256sum dist/*.tgz | cut -c1-16)",
    "RELEASE_CHANNEL": "beta",
    "PACKAGE_NAME": "$(jq -r .name package.json 2>/dev/null || basename \"$PWD\")",
    "BUNDLE_SIZE": "$(du -sk build | cut -f1)",
    "COVERAGE": "$(grep -o 'line-rate=\"[0-9.]*\"' reports/coverage.xml | head -n 1 | cut -d'\"' -f2)",
}
VARIABLE_NAMES = sorted(VARIABLES)
SECRETS = ["NPM_TOKEN", "SONAR_TOKEN", "SLACK_WEBHOOK", "REGISTRY_PASSWORD", "PYPI_TOKEN"]

# Kinds of top-level actions, with their weights; "group" is an action group of tests.
ACTION_KINDS = [("build", 30), ("test", 18), ("lint", 7), ("package", 12), ("publish", 8),
                ("scan", 6), ("integration", 6), ("docs", 4), ("deploy", 6), ("notify", 3),
                ("group", 10)]

INSTALL = {
    "node": ["npm ci --no-audit --prefer-offline"],
    "python": ["python -m pip install --upgrade pip", "pip install -r requirements-dev.txt"],
    "go": ["go mod download"],
    "java": ["./gradlew --version"],
    "rust": ["rustup show", "cargo fetch --locked"],
}
BUILD = {
    "node": ["npm run build -- --mode production", "npm run typecheck"],
    "python": ["python -m build --wheel --outdir dist/", "python -m compileall -q src"],
    "go": ["go build -trimpath -o bin/ ./...", "go vet ./..."],
    "java": ["./gradlew assemble -x test --no-daemon"],
    "rust": ["cargo build --release --locked"],
}
TEST = {
    "node": ["npm test -- --ci --reporters=default --reporters=jest-junit",
             "npx nyc report --reporter=cobertura"],
    "python": ["pytest -q --junitxml=reports/junit.xml --cov=src --cov-report=xml:reports/coverage.xml"],
    "go": ["go test -race -coverprofile=cover.out ./...", "go-junit-report < test.log > reports/junit.xml"],
    "java": ["./gradlew test jacocoTestReport --no-daemon"],
    "rust": ["cargo test --locked --all-features"],
}
LINT = {
    "node": ["npx eslint . --max-warnings=0", "npx prettier --check ."],
    "python": ["ruff check src tests", "mypy src"],
    "go": ["gofmt -l . | tee /tmp/gofmt.txt", "test ! -s /tmp/gofmt.txt", "staticcheck ./..."],
    "java": ["./gradlew spotlessCheck checkstyleMain --no-daemon"],
    "rust": ["cargo fmt --check", "cargo clippy --all-targets -- -D warnings"],
}
FILLER = [
    "echo \"step $((RANDOM % 100)) on $(uname -m)\"",
    "ls -la",
    "du -sh . || true",
    "env | sort | grep -v -i token || true",
    "git log -1 --format=%H",
    "df -h /tmp",
    "test -d build || mkdir -p build",
    "find . -name '*.log' -mmin -30 -print | head -n 20",
    "printf '%s\\n' \"$PWD\"",
    "date -u +%Y-%m-%dT%H:%M:%SZ",
    "cat /etc/os-release | head -n 3",
    "uptime",
]


def q(text):
    """Single-quoted YAML scalar."""
    return "'" + text.replace("'", "''") + "'"


def run_scalar(text):
    """A one-line command as a YAML scalar: plain when that reads back unchanged, else quoted."""
    plain = (text and text[0] not in "-?:,[]{}#&*!|>'\"%@`" and ": " not in text and " #" not in text
             and not text.endswith(":") and text == text.strip())
    return text if plain else q(text)


def dq(text):
    """Double-quoted YAML scalar (for values with no backslashes or double quotes)."""
    assert '"' not in text and "\\" not in text
    return '"' + text + '"'


class Action:
    def __init__(self, name, kind, module, lang):
        self.name = name
        self.kind = kind
        self.module = module
        self.lang = lang
        self.group = None          # name of the enclosing group, if any
        self.depends_on = []
        self.identifier = "aws/build@v1"
        self.timeout = None
        self.sources = False
        self.input_artifacts = []
        self.input_variables = []  # (name, value)
        self.output_artifacts = []  # (name, [files])
        self.output_variables = []
        self.reports = []          # (name, format, [paths], success criteria lines)
        self.auto_discover = False
        self.caching = None        # (cache name, path, [restore keys])
        self.container = None
        self.steps = []            # lists of lines; a one-line step is written inline
        self.extra = 0             # filler lines appended to the first step (always a block)

    def render(self, indent):
        p = " " * indent
        out = [f"{p}{self.name}:", f"{p}  Identifier: {self.identifier}"]
        if self.depends_on:
            out.append(f"{p}  DependsOn:")
            out += [f"{p}    - {d}" for d in self.depends_on]
        if self.timeout is not None:
            out.append(f"{p}  Timeout: {self.timeout}")
        if self.sources or self.input_artifacts or self.input_variables:
            out.append(f"{p}  Inputs:")
            if self.sources:
                out += [f"{p}    Sources:", f"{p}      - WorkflowSource"]
            if self.input_artifacts:
                out.append(f"{p}    Artifacts:")
                out += [f"{p}      - {a}" for a in self.input_artifacts]
            if self.input_variables:
                out.append(f"{p}    Variables:")
                for name, value in self.input_variables:
                    out += [f"{p}      - Name: {name}", f"{p}        Value: {dq(value)}"]
        if self.output_artifacts or self.output_variables or self.reports or self.auto_discover:
            out.append(f"{p}  Outputs:")
            if self.output_artifacts:
                out.append(f"{p}    Artifacts:")
                for name, files in self.output_artifacts:
                    out += [f"{p}      - Name: {name}", f"{p}        Files:"]
                    out += [f"{p}          - {q(f)}" for f in files]
            if self.output_variables:
                out.append(f"{p}    Variables:")
                out += [f"{p}      - {v}" for v in self.output_variables]
            if self.reports:
                out.append(f"{p}    Reports:")
                for name, fmt, paths, criteria in self.reports:
                    out += [f"{p}      {name}:", f"{p}        Format: {fmt}", f"{p}        IncludePaths:"]
                    out += [f"{p}          - {q(x)}" for x in paths]
                    if criteria:
                        out.append(f"{p}        SuccessCriteria:")
                        out += [f"{p}          {c}" for c in criteria]
            if self.auto_discover:
                out += [f"{p}    AutoDiscoverReports:", f"{p}      Enabled: true",
                        f"{p}      ReportNamePrefix: {self.module}",
                        f"{p}      IncludePaths:", f"{p}        - {q('reports/**/*.xml')}"]
        if self.caching:
            cname, cpath, keys = self.caching
            out += [f"{p}  Caching:", f"{p}    FileCaching:", f"{p}      {cname}:",
                    f"{p}        Path: {cpath}"]
            if keys:
                out.append(f"{p}        RestoreKeys:")
                out += [f"{p}          - {k}" for k in keys]
        out.append(f"{p}  Configuration:")
        if self.container:
            registry, image = self.container
            out += [f"{p}    Container:", f"{p}      Registry: {registry}", f"{p}      Image: {image}"]
        out.append(f"{p}    Steps:")
        for i, step in enumerate(self.steps):
            lines = list(step)
            if i == 0:
                assert len(lines) > 1
                lines += [FILLER[(len(lines) + k) % len(FILLER)] for k in range(self.extra)]
            if len(lines) == 1:
                out.append(f"{p}      - Run: {run_scalar(lines[0])}")
            else:
                out.append(f"{p}      - Run: |")
                out += [f"{p}          {line}" for line in lines]
        return out


class Group:
    def __init__(self, name):
        self.name = name
        self.depends_on = []
        self.members = []

    def render(self, indent):
        p = " " * indent
        out = [f"{p}{self.name}:"]
        if self.depends_on:
            out.append(f"{p}  DependsOn:")
            out += [f"{p}    - {d}" for d in self.depends_on]
        out.append(f"{p}  Actions:")
        for member in self.members:
            out += member.render(indent + 4)
        return out


class Generator:
    def __init__(self, seed, index):
        self.rng = random.Random(f"lockstep-bench:{seed}:{index}")
        self.index = index
        self.seed = seed
        self.names = set()
        self.artifact_names = set()
        self.nodes = []             # top-level Actions and Groups, in file order
        self.by_name = {}
        self.upstream = {}          # name -> set of action names it waits for
        self.action_count = 0
        self.service = self.rng.choice(SERVICES)
        self.modules = self.rng.sample(MODULES, self.rng.randint(1, 5))
        self.lang = self.rng.choice(LANGS)

    # ---- naming -------------------------------------------------------------------------
    @staticmethod
    def _fresh(base, taken, separator):
        name, n = base, 2
        while name in taken:
            name = f"{base}{separator}{n}"
            n += 1
        taken.add(name)
        return name

    def unique(self, base):
        return self._fresh(base, self.names, "-")

    def artifact(self, base):
        # Artifact names allow no hyphen.
        return self._fresh(base, self.artifact_names, "")

    # ---- graph --------------------------------------------------------------------------
    def upstream_of_deps(self, deps):
        result = set()
        for d in deps:
            node = self.by_name[d]
            if isinstance(node, Action):
                result.add(d)
            else:
                result.update(m.name for m in node.members)
            result |= self.upstream[d]
        return result

    def pick_deps(self):
        if not self.nodes:
            return []
        r = self.rng.random()
        if r < 0.08 and len(self.nodes) < 6:
            return []  # another root, runs in parallel
        recent = [n.name for n in self.nodes[-4:]]
        deps = [self.nodes[-1].name] if r < 0.75 else [self.rng.choice(recent)]
        if self.rng.random() < 0.3 and len(self.nodes) > 1:
            extra = self.rng.choice([n.name for n in self.nodes])
            if extra not in deps:
                deps.append(extra)
        return deps

    # ---- actions ------------------------------------------------------------------------
    def consume(self, action, upstream, minimal):
        """Input artifacts and variable references from actions upstream of `action`."""
        if minimal:
            action.sources = True
            return
        available = [name for a in sorted(upstream) for name, _ in self.action(a).output_artifacts]
        if available and self.rng.random() < 0.7:
            k = min(len(available), MAX_ARTIFACTS, self.rng.choice([1, 1, 1, 2, 2, 3, 4, 5]))
            action.input_artifacts = sorted(self.rng.sample(available, k))
        action.sources = not action.input_artifacts or self.rng.random() < 0.6
        producers = [(a, v) for a in sorted(upstream) if self.action(a).group is None
                     for v in self.action(a).output_variables]
        if producers and self.rng.random() < 0.6:
            used = set()
            for producer, var in self.rng.sample(producers, min(len(producers), self.rng.randint(1, 3))):
                if var in used:
                    continue
                used.add(var)
                action.input_variables.append((f"UPSTREAM_{var}", "${" + f"{producer}.{var}" + "}"))
        if self.rng.random() < 0.25:
            action.input_variables.append(("DEPLOY_STAGE", self.rng.choice(["dev", "beta", "gamma", "prod"])))
        if action.kind in ("publish", "deploy", "notify") and self.rng.random() < 0.4:
            secret = self.rng.choice(SECRETS)
            action.input_variables.append((secret, "${" + f"Secrets.{secret}" + "}"))

    def action(self, name):
        node = self.by_name[name]
        assert isinstance(node, Action)
        return node

    def make_action(self, kind, module, group=None, minimal=False):
        r = self.rng
        base = {
            "build": f"Build_{module}", "test": f"Test_{module}", "lint": f"Lint_{module}",
            "package": f"Package_{module}", "publish": f"Publish_{module}",
            "scan": f"Scan-{module}", "integration": f"Integration_{module}",
            "docs": "Docs", "deploy": f"Deploy-{module}", "notify": "Notify",
            "unit": f"Unit_{module}", "e2e": f"E2E_{module}", "contract": f"Contract_{module}",
        }[kind]
        a = Action(self.unique(base), kind, module, self.lang)
        a.group = group
        if kind in ("test", "unit", "e2e", "contract", "integration") and r.random() < 0.35:
            a.identifier = "aws/managed-test@v1"
        elif r.random() < 0.05:
            a.identifier = r.choice(["aws/build@v1.0.0", "aws/build@v1.0"])
        if minimal:
            a.steps = [["set -euo pipefail", f"make -C services/{module} build"]]
            return a
        if r.random() < 0.4:
            a.timeout = r.choice(TIMEOUTS)
        if r.random() < 0.3:
            if r.random() < 0.4:
                a.container = ("CODECATALYST", r.choice(CODECATALYST_IMAGES))
            else:
                a.container = ("DockerHub", r.choice(IMAGES[self.lang]))
        lang = self.lang
        main = ["set -euo pipefail", f"cd services/{module}"] + INSTALL[lang]
        if kind == "build":
            main += BUILD[lang]
        elif kind in ("test", "unit", "integration", "e2e", "contract"):
            main += ["mkdir -p reports"] + TEST[lang]
        elif kind == "lint":
            main += LINT[lang]
        elif kind == "package":
            main += [f"tar -czf dist/{module}.tgz -C build .", f"sha256sum dist/{module}.tgz > dist/SHA256SUMS"]
        elif kind == "publish":
            main += [f"aws s3 cp dist/ s3://{self.service}-artifacts/{module}/ --recursive"]
        elif kind == "scan":
            main += ["trivy fs --exit-code 1 --severity HIGH,CRITICAL .", "gitleaks detect --no-banner"]
        elif kind == "docs":
            main = ["set -euo pipefail", "pip install mkdocs-material", "mkdocs build --strict -d site"]
        elif kind == "deploy":
            main += [f"aws ecs update-service --cluster {self.service} --service {module} --force-new-deployment"]
        elif kind == "notify":
            main = ["set -euo pipefail", "curl -fsS -X POST -H 'Content-Type: application/json' \\",
                    "  -d '{\"text\": \"workflow finished\"}' \"$SLACK_WEBHOOK\" || true"]
        steps = [main]
        # Output variables are exported by the action's shell.
        if kind in ("build", "package", "publish", "test", "unit") and r.random() < 0.55:
            a.output_variables = r.sample(VARIABLE_NAMES, r.randint(1, 2))
            steps.append([f"export {v}={VARIABLES[v]}" for v in a.output_variables])
        if r.random() < 0.5:
            steps.append([r.choice(FILLER)])
        a.steps = steps
        # Output artifacts.
        if kind in ("build", "package", "docs", "scan") or (kind == "test" and r.random() < 0.3):
            if r.random() < 0.8:
                count = r.choice([1, 1, 1, 2, 2, 3]) if r.random() < 0.97 else MAX_ARTIFACTS
                for k in range(count):
                    suffix = ["bin", "dist", "site", "report", "bundle", "assets", "sbom"][k % 7]
                    name = self.artifact(f"{module}_{suffix}")
                    files = [f"services/{module}/build/**/*"] if k == 0 else [f"services/{module}/{suffix}/**/*"]
                    if r.random() < 0.3:
                        files.append(f"services/{module}/README.md")
                    a.output_artifacts.append((name, files))
        # Reports.
        if kind in ("test", "unit", "integration", "e2e", "contract"):
            fmt = r.choice(["JUNITXML", "JUNITXML", "COBERTURAXML", "CLOVERXML", "JACOCOXML"])
            criteria = []
            if fmt == "JUNITXML" and r.random() < 0.5:
                criteria = [f"PassRate: {r.choice([90, 95, 100])}"]
            elif fmt != "JUNITXML" and r.random() < 0.5:
                criteria = [f"LineCoverage: {r.choice([60, 70, 80])}", f"BranchCoverage: {r.choice([50, 60])}"]
            a.reports.append((self.report_name(a), fmt, [f"services/{module}/reports/*.xml"], criteria))
            a.auto_discover = r.random() < 0.2
        if r.random() < 0.2:
            path = {"node": "/root/.npm", "python": "/root/.cache/pip", "go": "/root/go/pkg/mod",
                    "java": "/root/.gradle/caches", "rust": "/root/.cargo/registry"}[lang]
            a.caching = (f"{lang}-deps", path, [f"{lang}-deps-{module}"] if r.random() < 0.6 else [])
        return a

    def report_name(self, action):
        return f"{action.name}_report".replace("-", "_")

    def add_node(self, node):
        self.nodes.append(node)
        self.by_name[node.name] = node
        if isinstance(node, Group):
            self.upstream[node.name] = self.upstream_of_deps(node.depends_on)
            for m in node.members:
                self.by_name[m.name] = m
            for m in node.members:
                self.upstream[m.name] = (self.upstream[node.name]
                                         | {d for d in m.depends_on}
                                         | set().union(*[self.upstream[d] for d in m.depends_on]))
        else:
            self.upstream[node.name] = self.upstream_of_deps(node.depends_on)

    def make_node(self, minimal):
        r = self.rng
        kinds, weights = zip(*ACTION_KINDS)
        kind = "build" if minimal or not self.nodes else r.choices(kinds, weights)[0]
        module = r.choice(self.modules)
        deps = [] if minimal else self.pick_deps()
        if kind == "group" and self.action_count + 2 <= MAX_ACTIONS:
            group = Group(self.unique(r.choice(["Tests", "Checks", "Verify", "QA", "Validation"])))
            group.depends_on = deps
            group_upstream = self.upstream_of_deps(deps)
            sizes = min(r.randint(2, 4), MAX_ACTIONS - self.action_count)
            for k in range(sizes):
                m = self.make_action(r.choice(["unit", "e2e", "contract", "lint", "scan"]),
                                     r.choice(self.modules), group=group.name)
                if k > 0 and r.random() < 0.3:
                    m.depends_on = [group.members[-1].name]
                up = set(group_upstream)
                for d in m.depends_on:
                    up |= {d} | self.upstream[d]
                # Provisional entries so later siblings can use this member's outputs; a
                # group that does not fit is dropped and these are overwritten or unused.
                self.upstream[m.name] = up
                self.by_name[m.name] = m
                self.consume(m, up, False)
                self.finish_steps(m)
                group.members.append(m)
            return group
        if kind == "group":
            kind = "build"
        a = self.make_action(kind, module, minimal=minimal)
        a.depends_on = deps
        self.consume(a, self.upstream_of_deps(deps), minimal)
        self.finish_steps(a)
        return a

    def finish_steps(self, a):
        # Mention the referenced variables in the shell too, as real workflows do.
        refs = [v for _, v in a.input_variables if v.startswith("${") and not v.startswith("${Secrets")]
        if refs and len(a.steps[0]) > 1:
            a.steps[0] = a.steps[0] + [f"echo \"using {ref}\"" for ref in refs]

    def generate(self):
        r = self.rng
        target = r.randint(MIN_LINES, MAX_LINES)
        head = [f"# {self.service}: generated benchmark workflow #{self.index} (seed {self.seed})",
                f"Name: {self.service}-{r.choice(WORKFLOW_KINDS)}-{self.index:05d}",
                'SchemaVersion: "1.0"']
        if r.random() < 0.6:
            head.append(f"RunMode: {r.choice(['QUEUED', 'PARALLEL', 'SUPERSEDED'])}")
        if r.random() < 0.5:
            if r.random() < 0.8:
                head += ["Compute:", "  Type: EC2", f"  Fleet: {r.choice(EC2_FLEETS)}"]
                if r.random() < 0.3:
                    head.append(f"  SharedInstance: {dq(r.choice(['TRUE', 'FALSE']))}")
            else:
                head += ["Compute:", "  Type: LAMBDA", f"  Fleet: {r.choice(LAMBDA_FLEETS)}"]
        head += self.triggers()
        head.append("Actions:")

        rendered = []  # (node, lines)
        total = len(head)
        while self.action_count < MAX_ACTIONS:
            state = (set(self.names), set(self.artifact_names))
            node = self.make_node(minimal=False)
            lines = node.render(2)
            if total + len(lines) > target:
                self.names, self.artifact_names = state
                if rendered:
                    break
                node = self.make_node(minimal=True)  # the first action must fit
                lines = node.render(2)
            self.add_node(node)
            self.action_count += len(node.members) if isinstance(node, Group) else 1
            rendered.append((node, lines))
            total += len(lines)

        # Hit the target length exactly by lengthening Run blocks.
        gap = target - total
        actions = [n for n in self.nodes if isinstance(n, Action)] + \
                  [m for n in self.nodes if isinstance(n, Group) for m in n.members]
        while gap > 0:
            # Every action's first step is a multi-line block, so each filler line adds one line.
            chunk = min(gap, r.randint(1, 8))
            r.choice(actions).extra += chunk
            gap -= chunk
        out = head + [line for n in self.nodes for line in n.render(2)]
        assert len(out) == target, (len(out), target)
        return "\n".join(out) + "\n"

    def triggers(self):
        r = self.rng
        if r.random() < 0.08:
            return []
        out = ["Triggers:"]
        chosen = r.sample(["PUSH", "PULLREQUEST", "SCHEDULE"], r.choice([1, 1, 2, 2, 3]))
        for t in chosen:
            out.append(f"  - Type: {t}")
            if t == "PULLREQUEST":
                out += ["    Events:", "      - OPEN", "      - REVISION"]
            if t == "SCHEDULE":
                out.append(f"    Expression: {dq(r.choice(CRONS))}")
            branches = r.sample(BRANCH_REGEXES, r.randint(1, 3))
            out.append("    Branches:")
            out += [f"      - {q(b)}" for b in branches]
            if t != "SCHEDULE" and r.random() < 0.45:
                files = r.sample([f"services/{m}/.*" for m in self.modules] +
                                 ["src/.*", ".*\\.(ts|js)", ".*\\.py", "package\\.json", "go\\.(mod|sum)",
                                  "Dockerfile", "\\.codecatalyst/workflows/.*"], r.randint(1, 3))
                out.append("    FilesChanged:")
                out += [f"      - {q(f)}" for f in files]
        return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("COUNT must be >= 0")
    os.makedirs(args.outdir, exist_ok=True)
    width = max(5, len(str(args.count)))
    for i in range(1, args.count + 1):
        text = Generator(args.seed, i).generate()
        with open(os.path.join(args.outdir, f"wf-{i:0{width}d}.yaml"), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
