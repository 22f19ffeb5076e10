// The browser tests drive Debian's chromium (never a downloaded browser). Installs it with apt-get when missing,
// or stops with a message naming the package. CHROMIUM_PATH points at another build.
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !asRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!asRoot && !sudo) {
  console.error(`The browser tests need Debian's "chromium" package at ${path}. Install it with:\n  sudo apt-get install -y chromium`);
  process.exit(1);
}
const run = (args) => {
  const cmd = asRoot ? 'apt-get' : 'sudo';
  const full = asRoot ? args : ['apt-get', ...args];
  console.log(`> ${cmd} ${full.join(' ')}`);
  return spawnSync(cmd, full, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
};
const install = ['install', '-y', '--no-install-recommends', 'chromium'];
if (!run(install) && !(run(['update']) && run(install))) {
  console.error('Installing Debian\'s "chromium" failed (see above); the browser tests need it.');
  process.exit(1);
}
if (!existsSync(path)) {
  console.error(`chromium was installed but ${path} does not exist; set CHROMIUM_PATH.`);
  process.exit(1);
}
