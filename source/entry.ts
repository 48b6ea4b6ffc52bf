#!/usr/bin/env node
// The process entry. `kubectl multus --help` (or nothing at all, the most common first run) is answered here, with
// nothing else loaded; anything else loads the CLI. In dist/bundle/ this file is CommonJS (Node starts a CommonJS
// file sooner than an ES module) and ./cli.js is the file next to it; in the single-file binary ./cli.js is an
// asset inside it (scripts/build-sea.mjs).
import {ExitCode} from './exit-codes.js';
import {helpOnly, helpText} from './help.js';

// Output that cannot be written. A reader that has gone (`kubectl multus doctor --check | head -1`) is not an error:
// the rest of the output is dropped and the run ends with its own exit code, so `set -o pipefail` still sees a
// problem found. Any other failure (a full disk, /dev/full) is said once on stderr, without a stack trace, and the
// run exits 1 unless its own code says more: the output it promised was not delivered.
const reasons: Record<string, string> = {ENOSPC: 'no space left on device', EIO: 'input/output error', EBADF: 'it is not open', EACCES: 'permission denied'};
let outputLost = false;
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
	stream.on('error', (error: NodeJS.ErrnoException) => {
		stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
			const done = typeof encoding === 'function' ? encoding : callback;
			if (typeof done === 'function') (done as () => void)();
			return true;
		}) as typeof stream.write;
		if (error.code === 'EPIPE' || outputLost) return;
		outputLost = true;
		const reason = `${reasons[error.code ?? ''] ?? error.message}${error.code ? ` (${error.code})` : ''}`;
		if (name === 'stdout') process.stderr.write(`error: cannot write the output to stdout: ${reason}\n  fix: write it somewhere with room (or check the device), then run again\n`);
	});
}
process.on('exit', () => {
	if (outputLost && !process.exitCode) process.exitCode = ExitCode.ProblemFound;
});

// The usage texts as the bundle carries them (scripts/help-texts.mjs writes them at bundle time), else made here.
declare const __MULTUS_HELP__: Record<string, string> | undefined;

// A checkout whose own Node is missing runs on whatever `node` is on PATH (bin/kubectl-multus); an older one cannot
// load the CLI, and would say so in a SyntaxError about an export it lacks.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const help = helpOnly(process.argv.slice(2), process.argv0);
if (help === undefined && (major < 22 || (major === 22 && minor < 19))) {
	process.stderr.write(`kubectl-multus: needs Node 22.19 or newer, and this is Node ${process.versions.node}\nfix: run npm install in the checkout (it brings the project's own Node 22), or install a release binary (it needs no Node)\n`);
	process.exitCode = ExitCode.ProblemFound;
} else if (help === undefined) {
	import('./cli.js').catch((error: unknown) => {
		process.stderr.write(`kubectl-multus: this installation is broken, the CLI did not load: ${String(error)}\nfix: reinstall kubectl-multus\n`);
		process.exitCode = ExitCode.ProblemFound;
	});
} else {
	const text = typeof __MULTUS_HELP__ === 'undefined' ? helpText(help.command) : __MULTUS_HELP__[help.command ?? '']!;
	process.stdout.write(text.trimStart());
	process.exitCode = help.code;
}
