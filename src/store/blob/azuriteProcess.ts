/**
 * Runs the Azurite blob service in this child process, and exits as soon as the parent's pipe on stdin closes: the
 * emulator never outlives the service that started it, even one killed with SIGKILL (no 'exit' handler runs then).
 * Arguments after the script are Azurite's.
 */
const main = require.resolve('azurite/dist/src/blob/main.js');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.argv = [process.argv[0], main, ...process.argv.slice(2)];
require(main);
