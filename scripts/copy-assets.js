// tsc copies no non-TS files: card templates and the simulator's page are copied here so dist/ holds the same files.
const { cpSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..');
mkdirSync(join(root, 'dist/src/console/cards'), { recursive: true });
cpSync(join(root, 'src/console/cards'), join(root, 'dist/src/console/cards'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
mkdirSync(join(root, 'dist/src/skill/cards'), { recursive: true });
cpSync(join(root, 'src/skill/cards'), join(root, 'dist/src/skill/cards'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
mkdirSync(join(root, 'dist/dev/simulator'), { recursive: true });
cpSync(join(root, 'dev/simulator/page.html'), join(root, 'dist/dev/simulator/page.html'));
mkdirSync(join(root, 'dist/dev/desk'), { recursive: true });
cpSync(join(root, 'dev/desk/page.html'), join(root, 'dist/dev/desk/page.html'));
