#!/usr/bin/env node
// The process entry. `kubectl multus --help` (or nothing at all, the most common first run) is answered here, with
// nothing else loaded; anything else loads the CLI. In dist/bundle/ this file is CommonJS (Node starts a CommonJS
// file sooner than an ES module) and ./cli.js is the file next to it; in the single-file binary ./cli.js is an
// asset inside it (scripts/build-sea.mjs).
import {ExitCode} from './exit-codes.js';
import {helpOnly, helpText} from './help.js';

// `kubectl multus ... | head`: a closed pipe is not an error.
for (const stream of [process.stdout, process.stderr]) {
	stream.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
		throw error;
	});
}

const help = helpOnly(process.argv.slice(2), process.argv0);
if (help === undefined) {
	import('./cli.js').catch((error: unknown) => {
		process.stderr.write(`kubectl-multus: this installation is broken, the CLI did not load: ${String(error)}\nfix: reinstall kubectl-multus\n`);
		process.exitCode = ExitCode.ProblemFound;
	});
} else {
	process.stdout.write(helpText(help.command).trimStart());
	process.exitCode = help.code;
}
