#!/usr/bin/env node
// aws-schema-check.mjs — validate CodeCatalyst workflow YAML files against the
// JSON Schema AWS publishes in @aws/codecatalyst-workflows-sdk (models/).
//
// Usage: node aws-schema-check.mjs [--json] [--engine ajv|sdk] FILE|DIR...
//
//   FILE     a workflow file (any name)
//   DIR      every *.yaml / *.yml below it, recursively, sorted by path
//   --json   print {"results":[{"file","valid","errors":["path: msg",...]}]}
//            instead of one "valid FILE" / "invalid FILE: first error" line
//   --engine ajv (default) compiles the schema once with Ajv (draft-07,
//            strict: false, allErrors: true) and validates every file with it.
//            sdk calls the SDK's own WorkflowDefinition.validate() (the
//            `jsonschema` package) per file; much slower, for cross-checks.
//
// Exit status: 0 after checking (whatever the verdicts), 2 on a usage error
// (unknown option, no paths, a path that does not exist).
//
// YAML is parsed with js-yaml's default schema (what the SDK depends on); a
// parse error makes the file invalid.
//
// Schema loading (ajv engine): every models/**/*.json file is registered under
// an $id equal to its path relative to models/ (e.g. "workflow/Workflow.json",
// "triggers/Schedule.json"), replacing the files' own $ids (which are not
// paths, and two of which collide: Push.json and Schedule.json both claim
// "/triggers/Push/1"). Relative $refs such as "../interfaces/DependsOn.json"
// then resolve against those ids, the same way the SDK's validate() does it.
//
// One normalisation is applied: a "type" keyword whose value is a JSON type
// name in the wrong case (triggers/Schedule.json has "type": "String") is
// lower-cased, because Ajv refuses to compile unknown types. The SDK's
// `jsonschema` validator instead ignores unknown types, so for a SCHEDULE
// trigger's Expression it accepts any value, where this script (ajv engine)
// requires a string.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import yaml from 'js-yaml';
import Ajv from 'ajv';

const require = createRequire(import.meta.url);
const SDK_DIR = path.dirname(require.resolve('@aws/codecatalyst-workflows-sdk/package.json'));
const MODELS_DIR = path.join(SDK_DIR, 'models');
const ENTRY_ID = 'workflow/Workflow.json';
const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

function usage(msg) {
  if (msg) process.stderr.write(`aws-schema-check: ${msg}\n`);
  process.stderr.write('usage: node aws-schema-check.mjs [--json] [--engine ajv|sdk] FILE|DIR...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { json: false, engine: 'ajv', paths: [] };
  let onlyPaths = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyPaths || !a.startsWith('-') || a === '-') {
      opts.paths.push(a);
    } else if (a === '--') {
      onlyPaths = true;
    } else if (a === '--json') {
      opts.json = true;
    } else if (a === '--engine' || a.startsWith('--engine=')) {
      const v = a === '--engine' ? argv[++i] : a.slice('--engine='.length);
      if (v !== 'ajv' && v !== 'sdk') usage(`--engine must be ajv or sdk, got ${v === undefined ? 'nothing' : `'${v}'`}`);
      opts.engine = v;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node aws-schema-check.mjs [--json] [--engine ajv|sdk] FILE|DIR...\n');
      process.exit(0);
    } else {
      usage(`unknown option '${a}'`);
    }
  }
  if (opts.paths.length === 0) usage('no files given');
  return opts;
}

// Expand directory arguments to their *.yaml/*.yml files (recursive, sorted).
function expandPaths(paths) {
  const out = [];
  for (const p of paths) {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      usage(`no such file or directory: ${p}`);
    }
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const found = [];
    const walk = (dir) => {
      for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, ent.name);
        if (ent.isDirectory()) walk(full);
        else if (/\.ya?ml$/.test(ent.name) && (ent.isFile() || ent.isSymbolicLink())) found.push(full);
      }
    };
    walk(p);
    found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out.push(...found);
  }
  return out;
}

function normaliseTypes(node) {
  if (Array.isArray(node)) {
    node.forEach(normaliseTypes);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'type' && typeof v === 'string' && !JSON_TYPES.has(v) && JSON_TYPES.has(v.toLowerCase())) {
        node[k] = v.toLowerCase();
      } else {
        normaliseTypes(v);
      }
    }
  }
}

function loadAjvValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const walk = (dir) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        walk(full);
      } else if (ent.name.endsWith('.json')) {
        const schema = JSON.parse(fs.readFileSync(full, 'utf8'));
        schema.$id = path.relative(MODELS_DIR, full).split(path.sep).join('/');
        normaliseTypes(schema);
        ajv.addSchema(schema);
      }
    }
  };
  walk(MODELS_DIR);
  const validate = ajv.getSchema(ENTRY_ID);
  if (!validate) throw new Error(`schema ${ENTRY_ID} not found under ${MODELS_DIR}`);
  return (doc) => {
    if (validate(doc)) return [];
    return validate.errors.map(formatAjvError);
  };
}

function formatAjvError(e) {
  let msg = e.message || e.keyword;
  const p = e.params || {};
  if (e.keyword === 'additionalProperties' && p.additionalProperty !== undefined) {
    msg += ` '${p.additionalProperty}'`;
  } else if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    msg += ` [${p.allowedValues.join(', ')}]`;
  } else if (e.keyword === 'const' && p.allowedValue !== undefined) {
    msg += ` ${JSON.stringify(p.allowedValue)}`;
  }
  return `${e.instancePath || '/'}: ${msg}`;
}

async function loadSdkValidator() {
  const sdk = require('@aws/codecatalyst-workflows-sdk');
  const { WorkflowDefinition } = sdk;
  return (doc) => {
    const res = WorkflowDefinition.validate(doc);
    return res.errors.map((e) => {
      // "instance.Actions.Build.Steps[0]" -> "/Actions/Build/Steps/0"
      const p = String(e.property || 'instance')
        .replace(/^instance/, '')
        .replace(/\[(?:"((?:[^"\\]|\\.)*)"|(\d+))\]/g, (_, s, n) => `.${s !== undefined ? s : n}`)
        .replace(/\./g, '/');
      return `${p || '/'}: ${e.message}`;
    });
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const files = expandPaths(opts.paths);
  const check = opts.engine === 'sdk' ? await loadSdkValidator() : loadAjvValidator();

  const results = [];
  for (const file of files) {
    let errors;
    let doc;
    let parsed = false;
    try {
      doc = yaml.load(fs.readFileSync(file, 'utf8'), { filename: file });
      parsed = true;
    } catch (err) {
      const what = err instanceof yaml.YAMLException ? 'YAML parse error' : 'read error';
      errors = [`/: ${what}: ${String(err.message).split('\n')[0]}`];
    }
    if (parsed) errors = check(doc);
    results.push({ file, valid: errors.length === 0, errors });
  }

  let out;
  if (opts.json) {
    out = JSON.stringify({ results }) + '\n';
  } else {
    out = results
      .map((r) => (r.valid ? `valid ${r.file}` : `invalid ${r.file}: ${r.errors[0]}`))
      .join('\n') + (results.length ? '\n' : '');
  }
  process.stdout.write(out);
}

main().catch((err) => {
  process.stderr.write(`aws-schema-check: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
