// tsc does not copy JSON that is only imported via resolveJsonModule in every layout; card templates are copied here
// so dist/ holds the same files as src/.
const { cpSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..');
mkdirSync(join(root, 'dist/src/console/cards'), { recursive: true });
cpSync(join(root, 'src/console/cards'), join(root, 'dist/src/console/cards'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
