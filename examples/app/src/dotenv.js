'use strict';
// A tiny dotenv parser: enough for the env file the stack writes
// (shared/.env), with no dependency.
//
//   # comment            blank lines and comments are skipped
//   KEY=value            surrounding whitespace is trimmed
//   export KEY=value     a leading "export " is accepted
//   KEY="a \"b\"\nc"     double quotes: \n \r \t \" \\ \$ are unescaped
//                        (the stack's dotenv_quote filter writes this form)
//   KEY='raw $value'     single quotes: taken literally
//   KEY=value # note     an unquoted value ends at " #"
//
// No variable expansion: "$OTHER" stays as written.

const fs = require('fs');

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

class DotenvError extends Error {}

function unescapeDouble(s) {
  return s.replace(/\\([nrt"\\$])/g, (_, c) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' }[c]));
}

function parse(text) {
  const out = {};
  const lines = String(text).replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    if (eq <= 0) throw new DotenvError(`line ${i + 1}: expected KEY=value`);
    const key = line.slice(0, eq).trim();
    if (!KEY_RE.test(key)) throw new DotenvError(`line ${i + 1}: invalid variable name ${JSON.stringify(key)}`);
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if (q === '"' || q === "'") {
      // The closing quote is the last unescaped matching quote on the line.
      let end = -1;
      for (let j = 1; j < value.length; j++) {
        if (q === '"' && value[j] === '\\') { j++; continue; }
        if (value[j] === q) { end = j; break; }
      }
      if (end === -1) throw new DotenvError(`line ${i + 1}: unterminated ${q} quote for ${key}`);
      const rest = value.slice(end + 1).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new DotenvError(`line ${i + 1}: unexpected text after the closing quote of ${key}`);
      }
      value = value.slice(1, end);
      if (q === '"') value = unescapeDouble(value);
    } else {
      const hash = value.search(/\s#/);
      if (hash !== -1) value = value.slice(0, hash).trimEnd();
    }
    out[key] = value;
  }
  return out;
}

// Load `file` into `env`. Variables already present in `env` win: the
// process environment (PM2's env, systemd's Environment=) overrides the file.
// Returns the keys that were set.
function loadFile(file, env = process.env) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DotenvError(`cannot read APP_ENV_FILE ${file}: ${err.code || err.message}`);
  }
  let parsed;
  try {
    parsed = parse(text);
  } catch (err) {
    throw new DotenvError(`${file}: ${err.message}`);
  }
  const set = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (env[k] === undefined) {
      env[k] = v;
      set.push(k);
    }
  }
  return set;
}

module.exports = { parse, loadFile, DotenvError };
