// Every KQL query the CLI generates (`sendas-lens kql`), parsed and analysed offline by
// Microsoft's own Kusto parser (Kusto.Language, npm @kusto/language-service-next, pinned in
// package.json) against the published schemas of the tables it targets (schemas.json). A query
// must produce no diagnostic of severity Error: no syntax error, no unknown column (KS142),
// table (KS204) or function (KS211), no type error. The parser does not check string values or
// the members of `dynamic` columns (RawEventData.*), so those are not checked here.
//
// Which queries: every target and every `--query` value `sendas-lens kql -h` lists (a query
// added later is picked up by itself and must run on every target unless ONLY below says
// otherwise), each with the built-in rules and with rules-with-a-tenant-rule.json. A target a
// query is not for must be refused: exit 2, one line on stderr, nothing on stdout.
// Then, to show the check can fail: the classify query with one column misspelt, and with one
// parenthesis removed, must each produce an Error.
//
// rules-with-a-tenant-rule.json is the built-in table (`sendas-lens rules --json`) with one
// rule inserted first; after an intended change to the built-in rules, regenerate it (it keeps
// its first rule) from the repository's root with
//   node -e 'const fs = require("fs"), f = "tests/kql/rules-with-a-tenant-rule.json";
//     const d = JSON.parse(require("child_process").execFileSync("target/debug/sendas-lens", ["rules", "--json"]));
//     d.rules.unshift(JSON.parse(fs.readFileSync(f)).rules[0]); fs.writeFileSync(f, JSON.stringify(d, null, 2) + "\n")'
//
// Run: node --test tests/kql/   (scripts/test.sh builds the CLI first)
// Env: SENDAS_LENS_BIN (the CLI binary; default target/debug/sendas-lens).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = process.env.SENDAS_LENS_BIN || join(root, 'target', 'debug', 'sendas-lens');
const tenantRules = join(here, 'rules-with-a-tenant-rule.json');
const TENANT_RULE = 'tenant-scanner-sends-for-staff';
const schemas = JSON.parse(readFileSync(join(here, 'schemas.json'), 'utf8'));

// Queries that run on some targets only; any other query must run on every target.
const ONLY = { delays: ['sentinel'] };

// Loading the parser. The package ships Bridge.NET output: bridge.min.js (the .NET runtime in
// JavaScript) and Kusto.Language.Bridge.min.js (the parser), script-style files meant for two
// <script> tags, with no exports of their own. A plain CommonJS require is enough in Node:
// bridge.min.js sees `module.exports` and so installs its globals (Bridge, System) on Node's
// `global`; Kusto.Language.Bridge.min.js then calls that global `Bridge.assembly(...)`, which
// defines `Kusto` on the same global. Order matters; no vm context or shim is needed, and
// require caches both. The package has no "exports" map, so deep paths resolve.
const require = createRequire(import.meta.url);
try {
  require('@kusto/language-service-next/bridge.min.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
} catch (e) {
  throw new Error(`cannot load Microsoft's Kusto parser (run npm ci to install the pinned devDependencies): ${e.message}`);
}
const K = globalThis.Kusto.Language;

// The bridge's collections (IReadOnlyList) are read with .Count and .getItem(i).
const items = (list) => Array.from({ length: list ? list.Count : 0 }, (_, i) => list.getItem(i));

// One GlobalState per target: a database holding that target's tables only, so a query that
// names the other target's table fails too.
const globals = {};
const declared = {};
for (const [target, { database, tables }] of Object.entries(schemas)) {
  if (target === 'about') continue;
  const symbols = Object.entries(tables).map(([name, { columns }]) => {
    const schema = '(' + Object.entries(columns).map(([c, type]) => `['${c}']:${type}`).join(', ') + ')';
    return new K.Symbols.TableSymbol.$ctor7(name, schema, null);
  });
  declared[target] = symbols;
  globals[target] = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor(database, symbols));
}

// --- the CLI ---------------------------------------------------------------------------------

const runs = new Map();
function run(args) {
  const key = JSON.stringify(args);
  if (!runs.has(key)) {
    const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.error) throw new Error(`cannot run ${cli} (build it: cargo build -p sendas-lens): ${r.error.message}`);
    runs.set(key, r);
  }
  return runs.get(key);
}

function kqlArgs(target, query, rules) {
  return ['kql', '--target', target, '--query', query, ...(rules ? ['--rules', rules] : [])];
}

// The possible values of one option in `kql -h` ("[possible values: a, b]" in its entry, which
// runs from its line to the next option's line, should the help ever be wrapped).
function possibleValues(help, option) {
  const lines = help.split('\n');
  const at = lines.findIndex((l) => l.trimStart().startsWith(option));
  const next = lines.findIndex((l, i) => i > at && /^\s*-/.test(l));
  const entry = at < 0 ? '' : lines.slice(at, next < 0 ? undefined : next).join(' ').replace(/\s+/g, ' ');
  const m = entry.match(/\[possible values: ([^\]]+)\]/);
  assert.ok(m, `\`sendas-lens kql -h\` lists no possible values for ${option}:\n${help}`);
  return m[1].split(',').map((v) => v.trim());
}

const help = existsSync(cli) ? run(['kql', '-h']).stdout : '';
const targets = help ? possibleValues(help, '--target') : [];
const queries = help ? possibleValues(help, '--query') : [];
const runsOn = (query, target) => (ONLY[query] || targets).includes(target);

// --- reading KQL text ------------------------------------------------------------------------

// Identifier and parenthesis tokens outside comments and string literals, with their offsets.
function tokens(text) {
  const out = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '@' && (text[i + 1] === '"' || text[i + 1] === "'")) {
      const q = text[i + 1];
      i += 2;
      while (i < text.length && text[i] !== q) i++; // verbatim: no escapes
      i++;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /\w/.test(text[j])) j++;
      out.push({ kind: 'name', text: text.slice(i, j), start: i, afterDot: text[i - 1] === '.' });
      i = j;
    } else {
      if (c === '(' || c === ')') out.push({ kind: c, start: i });
      i++;
    }
  }
  return out;
}

// The lines that are not comments.
const body = (text) => text.split('\n').filter((l) => !l.trimStart().startsWith('//')).join('\n');

// A diagnostic with where it is: line, column, the offending text and its line.
function where(text, d) {
  const lineStart = text.lastIndexOf('\n', d.Start - 1) + 1;
  const lineEnd = text.indexOf('\n', d.Start) < 0 ? text.length : text.indexOf('\n', d.Start);
  const line = text.slice(0, d.Start).split('\n').length;
  const column = d.Start - lineStart + 1;
  // Long generated lines are cut to 100 characters either side of the span.
  const from = Math.max(lineStart, d.Start - 100);
  const to = Math.min(lineEnd, d.Start + d.Length + 100);
  const excerpt = (from > lineStart ? '…' : '') + text.slice(from, to) + (to < lineEnd ? '…' : '');
  const caret = ' '.repeat(d.Start - from + (from > lineStart ? 1 : 0)) + '^'.repeat(Math.max(1, d.Length));
  return (
    `${d.Severity} ${d.Code} at line ${line}, column ${column}: ${d.Message}\n` +
    `    offending text: ${JSON.stringify(text.substr(d.Start, d.Length))}\n` +
    `    ${excerpt}\n    ${caret}`
  );
}

function analyse(target, text) {
  const code = K.KustoCode.ParseAndAnalyze(text, globals[target]);
  const all = items(code.GetDiagnostics());
  return {
    code,
    errors: all.filter((d) => d.Severity === K.DiagnosticSeverity.Error),
    others: all.filter((d) => d.Severity !== K.DiagnosticSeverity.Error),
    syntaxErrors: items(code.GetSyntaxDiagnostics()).filter((d) => d.Severity === K.DiagnosticSeverity.Error),
  };
}

// --- the parser and the schemas --------------------------------------------------------------

test('the Kusto parser is loaded and the tables are declared exactly as schemas.json has them', () => {
  assert.equal(typeof K.KustoCode.ParseAndAnalyze, 'function');
  assert.deepEqual(Object.keys(globals).sort(), ['defender', 'sentinel']);
  const expected = { OfficeActivity: 132, CloudAppEvents: 41 };
  for (const [target, symbols] of Object.entries(declared)) {
    for (const table of symbols) {
      const spec = schemas[target].tables[table.Name];
      assert.ok(spec.source && spec.source.length > 20, `${table.Name}: schemas.json names no source`);
      const columns = items(table.Columns).map((c) => [c.Name, c.Type.Name]);
      // An unknown type name in the schema text would silently become "unknown".
      assert.deepEqual(columns, Object.entries(spec.columns), `${table.Name}: a column or type was not declared as written`);
      assert.equal(columns.length, expected[table.Name], `${table.Name}: column count`);
    }
  }
});

test('the CLI lists its targets and queries, and every target has a schema', () => {
  assert.ok(existsSync(cli), `no CLI at ${cli}: build it (cargo build -p sendas-lens) or set SENDAS_LENS_BIN`);
  assert.ok(targets.includes('sentinel') && targets.includes('defender'), `targets: ${targets}`);
  assert.ok(queries.includes('classify') && queries.includes('delays'), `queries: ${queries}`);
  for (const target of targets) assert.ok(globals[target], `tests/kql/schemas.json has no schema for the target ${target}`);
  for (const query of Object.keys(ONLY)) assert.ok(queries.includes(query), `ONLY names ${query}, which the CLI no longer lists`);
});

test(`rules-with-a-tenant-rule.json is the built-in table with ${TENANT_RULE} first`, (t) => {
  const file = JSON.parse(readFileSync(tenantRules, 'utf8'));
  assert.equal(file.rules[0].name, TENANT_RULE);
  const builtIn = JSON.parse(run(['rules', '--json']).stdout).rules.map((r) => r.name);
  const rest = file.rules.slice(1).map((r) => r.name);
  if (JSON.stringify(rest) !== JSON.stringify(builtIn)) {
    // Not a failure (the file is only input to the generator), but worth regenerating.
    t.diagnostic(`the built-in rules changed (${builtIn.join(', ')}); regenerate the file (see the header of this test)`);
  }
});

// --- every generated query -------------------------------------------------------------------

const builtInRuleNames = () => JSON.parse(run(['rules', '--json']).stdout).rules.map((r) => r.name);

for (const target of targets) {
  for (const query of queries) {
    for (const rules of [null, tenantRules]) {
      const label = `${target} --query ${query} (${rules ? 'with a tenant rule' : 'built-in rules'})`;
      const args = kqlArgs(target, query, rules);

      if (!runsOn(query, target)) {
        test(`${label}: refused with exit 2 and one line`, () => {
          const r = run(args);
          assert.equal(r.status, 2, `exit code; stderr: ${r.stderr}`);
          assert.equal(r.stdout, '', 'nothing on stdout');
          assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line on stderr, got:\n${r.stderr}`);
          assert.match(r.stderr, /\S/);
        });
        continue;
      }

      test(`${label}: no Error from Kusto's parser`, (t) => {
        const r = run(args);
        assert.equal(r.status, 0, `\`sendas-lens ${args.join(' ')}\` failed: ${r.stderr}`);
        const text = r.stdout;
        const tables = declared[target].map((s) => s.Name);
        assert.ok(
          tokens(text).some((tok) => tok.kind === 'name' && tables.includes(tok.text)),
          `the query reads none of ${tables}:\n${text}`,
        );

        const { code, errors, others } = analyse(target, text);
        for (const d of others) t.diagnostic(where(text, d));
        assert.equal(errors.length, 0, `${errors.length} Error diagnostic(s) in \`sendas-lens ${args.join(' ')}\`:\n` + errors.map((d) => where(text, d)).join('\n'));
        // An empty or comment-only text would have no diagnostics either: the query must return a table.
        assert.ok(code.ResultType instanceof K.Symbols.TableSymbol, 'the query returns no table');
        assert.ok(code.ResultType.Columns.Count > 0, 'the query returns no column');

        // A query generated from the rule table must carry the tenant's rule.
        const fromRules = builtInRuleNames().some((name) => body(run(kqlArgs(target, query, null)).stdout).includes(`"${name}"`));
        if (rules && fromRules) {
          assert.ok(body(text).includes(`"${TENANT_RULE}"`), `the tenant rule ${TENANT_RULE} is not in the query:\n${text}`);
        }
      });
    }
  }
}

// --- the check can fail ----------------------------------------------------------------------

for (const target of targets.filter((t) => globals[t])) {
  const classify = () => {
    const r = run(kqlArgs(target, 'classify', null));
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  test(`${target}: a misspelt column is an Error (KS142)`, () => {
    const text = classify();
    const columns = new Set(declared[target].flatMap((s) => items(s.Columns).map((c) => c.Name)));
    const first = tokens(text).find((tok) => tok.kind === 'name' && !tok.afterDot && columns.has(tok.text));
    assert.ok(first, 'the query names no column of its table');
    const cut = first.text.length - 2; // drop one letter: Operation -> Operatin
    const misspelt = first.text.slice(0, cut) + first.text.slice(cut + 1);
    assert.ok(!columns.has(misspelt));
    const broken = text.slice(0, first.start) + misspelt + text.slice(first.start + first.text.length);

    const { errors } = analyse(target, broken);
    const found = errors.find((d) => d.Code === 'KS142' && broken.substr(d.Start, d.Length) === misspelt);
    assert.ok(found, `no KS142 for ${misspelt}; errors: ${errors.map((d) => where(broken, d)).join('\n') || 'none'}`);
  });

  test(`${target}: an unbalanced parenthesis is a syntax Error`, () => {
    const text = classify();
    const last = tokens(text).filter((tok) => tok.kind === ')').pop();
    assert.ok(last, 'the query has no parenthesis');
    const broken = text.slice(0, last.start) + text.slice(last.start + 1);

    const { errors, syntaxErrors } = analyse(target, broken);
    assert.ok(syntaxErrors.length > 0, `no syntax error after removing the ")" at offset ${last.start}`);
    assert.ok(errors.length > 0);
  });
}
