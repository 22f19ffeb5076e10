import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { readSchema, SHARED_SCHEMAS, VENDORED_SCHEMAS } from '../helpers/schemas';

const root = join(__dirname, '..', '..', '..');

function pngSize(buf: Buffer): { width: number; height: number } {
  assert.equal(buf.subarray(1, 4).toString('ascii'), 'PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

function validatorFor(version: string) {
  // The Teams manifest schemas are draft-04.
  const ajv = new Ajv04({ strict: false, allErrors: true });
  addFormats(ajv as never);
  return ajv.compile(readSchema(`teams-manifest-${version}.schema.json`));
}

describe('official schemas', () => {
  it('the suite\'s copies (tests/schemas) are the reference ones in ../shared/schemas, byte for byte', function () {
    if (!existsSync(SHARED_SCHEMAS)) this.skip(); // a clone with nothing beside it: the copies are all there is
    const files = readdirSync(SHARED_SCHEMAS).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 2);
    assert.deepEqual(readdirSync(VENDORED_SCHEMAS).sort(), files);
    for (const f of files) assert.ok(readFileSync(join(SHARED_SCHEMAS, f)).equals(readFileSync(join(VENDORED_SCHEMAS, f))), f);
  });
});

describe('Teams app package', () => {
  const env = {
    ...process.env,
    TEAMS_APP_ID: '0a1b2c3d-0000-4000-8000-00000000000a',
    CONSOLE_APP_ID: '0a1b2c3d-0000-4000-8000-00000000000b',
    PUBLIC_BASE_URL: 'https://handover.contoso.example',
  };

  it('npm run package builds a zip whose manifest is valid against the schema of its declared version', () => {
    execFileSync('node', [join(root, 'scripts', 'package-app.js'), 'test'], { env, stdio: 'pipe' });
    const zip = new AdmZip(join(root, 'appPackage', 'build', 'appPackage.test.zip'));
    const names = zip.getEntries().map((e) => e.entryName).sort();
    assert.deepEqual(names, ['color.png', 'manifest.json', 'outline.png']);
    const manifest: any = JSON.parse(zip.readAsText('manifest.json'));
    const validate = validatorFor(manifest.manifestVersion);
    const valid = validate(JSON.parse(JSON.stringify(manifest)));
    assert.ok(valid, JSON.stringify(validate.errors, null, 1));
    assert.equal(manifest.bots[0].botId, env.CONSOLE_APP_ID);
    assert.deepEqual(manifest.bots[0].scopes, ['team']);
    assert.ok(manifest.authorization.permissions.resourceSpecific.some((p: any) => p.name === 'ChannelMessage.Read.Group' && p.type === 'Application'));
  });

  it('refuses to build with a placeholder left unset, naming it', () => {
    assert.throws(
      () => execFileSync('node', [join(root, 'scripts', 'package-app.js'), 'nonexistent'], { env: { PATH: process.env.PATH }, stdio: 'pipe' }),
      (err: any) => /TEAMS_APP_ID/.test(String(err.stderr)),
    );
  });

  it('icons have the sizes Teams requires: color 192×192, outline 32×32 with transparency', () => {
    assert.deepEqual(pngSize(readFileSync(join(root, 'appPackage', 'color.png'))), { width: 192, height: 192 });
    const outline = readFileSync(join(root, 'appPackage', 'outline.png'));
    assert.deepEqual(pngSize(outline), { width: 32, height: 32 });
    assert.equal(outline[25], 6, 'RGBA colour type');
  });
});
