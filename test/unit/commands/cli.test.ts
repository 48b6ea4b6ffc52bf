// The process entry (source/entry.ts) and the CLI behind it, as users start them: the development launcher
// bin/kubectl-multus on the bundle in dist/bundle/ (built by `npm install`, `npm run build` and scripts/test).
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {ExitCode} from '../../../source/exit-codes.js';
import {helpOnly, helpText, invokedAsCompleter} from '../../../source/help.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const launcher = `${repo}bin/kubectl-multus`;

interface Run {
	code: number;
	stdout: string;
	stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
	return new Promise(resolve => {
		execFile(command, args, {cwd: repo, env: {...process.env, NO_COLOR: '1'}}, (error, stdout, stderr) => {
			resolve({code: error ? Number(error.code) : 0, stdout, stderr});
		});
	});
}

const plugin = (...args: string[]) => run(launcher, args);

describe('helpOnly: the arguments that need nothing but the usage text', () => {
	test('nothing at all is a usage error; --help, -h and help, alone or after a command, are not', () => {
		assert.equal(helpOnly([], 'kubectl-multus'), ExitCode.Usage);
		for (const argv of [['--help'], ['-h'], ['help'], ['doctor', '--help'], ['scan', '-h'], ['undo', 'help'], ['version', '--help']]) {
			assert.equal(helpOnly(argv, 'kubectl-multus'), ExitCode.Ok, argv.join(' '));
		}
	});

	test('anything else goes to the flag parser', () => {
		for (const argv of [['doctor'], ['bogus', '--help'], ['doctor', '--check', '--help'], ['--help', 'doctor'], ['version']]) {
			assert.equal(helpOnly(argv, 'kubectl-multus'), undefined, argv.join(' '));
		}
	});

	test('never under the completion name: completion words go to the completer', () => {
		assert.equal(invokedAsCompleter('/usr/local/bin/kubectl_complete-multus'), true);
		assert.equal(invokedAsCompleter('C:\\krew\\bin\\kubectl_complete-multus.exe'), true);
		assert.equal(invokedAsCompleter('/usr/local/bin/kubectl-multus'), false);
		assert.equal(helpOnly([], '/usr/local/bin/kubectl_complete-multus'), undefined);
		assert.equal(helpOnly(['--help'], 'kubectl_complete-multus'), undefined);
	});
});

describe('bin/kubectl-multus', () => {
	test('the bundle is built', () => {
		assert.ok(existsSync(`${repo}dist/bundle/kubectl-multus.cjs`) && existsSync(`${repo}dist/bundle/cli.js`), 'run npm run build first');
	});

	test('--help and help after a command print the usage text and exit 0; nothing at all exits 2', async () => {
		for (const args of [['--help'], ['-h'], ['doctor', '--help']]) {
			const result = await plugin(...args);
			assert.deepEqual(result, {code: ExitCode.Ok, stdout: helpText.trimStart(), stderr: ''}, args.join(' '));
		}
		assert.deepEqual(await plugin(), {code: ExitCode.Usage, stdout: helpText.trimStart(), stderr: ''});
	});

	test('--help among other flags goes through the flag parser, with the same text', async () => {
		assert.deepEqual(await plugin('doctor', '--check', '--help'), {code: ExitCode.Ok, stdout: helpText.trimStart(), stderr: ''});
	});

	test('everything else loads the CLI: version, and a usage error that names the commands', async () => {
		const version = await plugin('version', '-o', 'json');
		assert.equal(version.code, ExitCode.Ok, version.stderr);
		assert.match(JSON.parse(version.stdout).version, /^\d+\.\d+\.\d+/);
		const bogus = await plugin('bogus');
		assert.equal(bogus.code, ExitCode.Usage);
		assert.equal(bogus.stdout, '');
		assert.match(bogus.stderr, /unknown command "bogus"[\s\S]*doctor, scan, undo, version/);
	});

	test('a reader that has gone (| head) is not an error, for the usage text and for the CLI', async () => {
		for (const args of ['--help', 'version']) {
			// The reader exits before the plugin writes: the write fails with EPIPE.
			const result = await run('bash', ['-c', `{ sleep 0.3; "${launcher}" ${args}; } | true; exit \${PIPESTATUS[0]}`]);
			assert.deepEqual(result, {code: 0, stdout: '', stderr: ''}, args);
		}
	});
});
