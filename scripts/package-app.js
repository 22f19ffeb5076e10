// Builds the Teams app package (manifest + icons) for an environment: `npm run package -- dev`.
// Placeholders ${{NAME}} in appPackage/manifest.json come from env/.env.<env>, then the process environment.
const { existsSync, mkdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const AdmZip = require('adm-zip');
const dotenv = require('dotenv');

const root = join(__dirname, '..');
const envName = process.argv[2] || process.env.TEAMSFX_ENV || 'local';
const envFile = join(root, 'env', `.env.${envName}`);
const values = { APP_NAME_SUFFIX: '', ...(existsSync(envFile) ? dotenv.parse(readFileSync(envFile)) : {}), ...pick(process.env) };

function pick(env) {
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => /^[A-Z0-9_]+$/.test(k) && v !== undefined && v !== ''));
}

const template = readFileSync(join(root, 'appPackage', 'manifest.json'), 'utf8');
/** Placeholders that may be empty. */
const optional = new Set(['APP_NAME_SUFFIX']);
const missing = new Set();
const manifest = template.replace(/\$\{\{([A-Z0-9_]+)\}\}/g, (_, name) => {
  if ((values[name] === undefined || values[name] === '') && !optional.has(name)) missing.add(name);
  return values[name] ?? '';
});
if (missing.size) {
  console.error(`Cannot build the app package for '${envName}': set ${[...missing].join(', ')} in env/.env.${envName} or the environment.`);
  process.exit(1);
}
JSON.parse(manifest);

const out = join(root, 'appPackage', 'build');
mkdirSync(out, { recursive: true });
const zip = new AdmZip();
zip.addFile('manifest.json', Buffer.from(manifest));
zip.addLocalFile(join(root, 'appPackage', 'color.png'));
zip.addLocalFile(join(root, 'appPackage', 'outline.png'));
const target = join(out, `appPackage.${envName}.zip`);
zip.writeZip(target);
console.log(`wrote ${target}`);
