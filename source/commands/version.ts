import {stringify} from 'yaml';
import {ExitCode} from '../exit-codes.js';
import type {OutputFormat} from '../options.js';
import {versionInfo} from '../version.js';

export function runVersion(output: OutputFormat): number {
	const info = versionInfo();
	const runtime = `node ${process.versions.node}`;
	if (output === 'json') process.stdout.write(JSON.stringify({...info, runtime}, null, 2) + '\n');
	else if (output === 'yaml') process.stdout.write(stringify({...info, runtime}));
	else process.stdout.write(`kubectl-multus ${info.version} (commit ${info.commit}, ${runtime})\n`);
	return ExitCode.Ok;
}
