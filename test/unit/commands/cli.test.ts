// The process entry (source/entry.ts) and the CLI behind it, as users start them: the development launcher
// bin/kubectl-multus on the bundle in dist/bundle/ (built by `npm install`, `npm run build` and scripts/test).
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type AddressInfo, type Socket} from 'node:net';
import {once} from 'node:events';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {ExitCode} from '../../../source/exit-codes.js';
import {commands, helpOnly, helpText, invokedAsCompleter} from '../../../source/help.js';

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
	test('nothing at all is a usage error; --help, -h and help alone ask for the general text, after a command or before it for its own', () => {
		assert.deepEqual(helpOnly([], 'kubectl-multus'), {command: undefined, code: ExitCode.Usage});
		for (const argv of [['--help'], ['-h'], ['help']]) {
			assert.deepEqual(helpOnly(argv, 'kubectl-multus'), {command: undefined, code: ExitCode.Ok}, argv.join(' '));
		}
		for (const [argv, command] of [[['doctor', '--help'], 'doctor'], [['scan', '-h'], 'scan'], [['undo', 'help'], 'undo'], [['version', '--help'], 'version'], [['help', 'doctor'], 'doctor']] as const) {
			assert.deepEqual(helpOnly(argv, 'kubectl-multus'), {command, code: ExitCode.Ok}, argv.join(' '));
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

	test('on a Node older than 22.19 (a checkout without its own Node): one line says so and how to fix it, exit 1; --help still answers', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'old-node-'));
		try {
			const older = path.join(dir, 'older.cjs');
			writeFileSync(older, "Object.defineProperty(process, 'versions', {value: {...process.versions, node: '20.11.1'}});\n");
			const bundle = `${repo}dist/bundle/kubectl-multus.cjs`;
			const result = await run(process.execPath, ['-r', older, bundle, 'doctor', '--check']);
			assert.deepEqual(result, {code: ExitCode.ProblemFound, stdout: '', stderr: 'kubectl-multus: needs Node 22.19 or newer, and this is Node 20.11.1\nfix: run npm install in the checkout (it brings the project\'s own Node 22), or install a release binary (it needs no Node)\n'});
			assert.equal((await run(process.execPath, ['-r', older, bundle, '--help'])).code, ExitCode.Ok);
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});

	test('--help prints the general usage text and exits 0; nothing at all exits 2', async () => {
		for (const args of [['--help'], ['-h'], ['help']]) {
			const result = await plugin(...args);
			assert.deepEqual(result, {code: ExitCode.Ok, stdout: helpText().trimStart(), stderr: ''}, args.join(' '));
		}
		assert.deepEqual(await plugin(), {code: ExitCode.Usage, stdout: helpText().trimStart(), stderr: ''});
	});

	test("COMMAND --help and help COMMAND print that command's help: doctor's, scan's, undo's, version's", async () => {
		for (const command of commands) {
			for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
				const result = await plugin(...args);
				assert.deepEqual(result, {code: ExitCode.Ok, stdout: helpText(command).trimStart(), stderr: ''}, args.join(' '));
				assert.match(result.stdout, new RegExp(`^kubectl multus ${command}: `));
			}
		}
		assert.notEqual(helpText('doctor'), helpText());
		assert.doesNotMatch(helpText('scan'), /--timeout|--kubeconfig|--check/);
	});

	test('--help among other flags goes through the flag parser, with the same text', async () => {
		assert.deepEqual(await plugin('doctor', '--check', '--help'), {code: ExitCode.Ok, stdout: helpText('doctor').trimStart(), stderr: ''});
		assert.deepEqual(await plugin('--help', 'doctor'), {code: ExitCode.Ok, stdout: helpText('doctor').trimStart(), stderr: ''});
	});

	test('flag values are checked before anything is read or asked (exit 2, the flag named)', async () => {
		for (const [args, message] of [
			[['doctor', '--request-timeout', '-3s'], /invalid --request-timeout "-3s": a negative duration/],
			[['doctor', '--timeout'], /--timeout needs a value/],
			[['doctor', '--timeout', '600h'], /invalid --timeout "600h": longer than a timer can keep \(at most 596h31m23s\)/],
			[['undo', '--request-timeout', '600h'], /invalid --request-timeout "600h": longer than a timer can keep/],
			[['doctor', '--log-bytes', '1e3'], /invalid --log-bytes "1e3"/],
			[['doctor', '--log-bytes', '0x10'], /invalid --log-bytes "0x10"/],
			[['doctor', '-n', 'Kube_System'], /not a namespace name/],
			[['doctor', '--daemonset', 'Multus DS'], /not a Kubernetes object name/],
			[['scan', '--check', '-'], /--check is not a flag of kubectl multus scan/],
			[['undo', '--timeout', '5m'], /--timeout is not a flag of kubectl multus undo/],
			[['doctor', '--as-group', 'g', '--check'], /--as-group needs --as/],
			[['report', '--as-group', 'g'], /--as-group needs --as/],
			[['doctor', '--dry-run', 'server'], /unexpected argument "server"\n\s+fix: write --dry-run=server/],
			[['doctor', '--check', '--force'], /--force only matters when fixing, and --check changes nothing/],
			[['doctor', '--check', '--no-restart'], /--no-restart only matters when fixing, and --check changes nothing/],
		] as const) {
			const result = await plugin(...args, '--kubeconfig', '/nonexistent/kubeconfig');
			assert.equal(result.code, ExitCode.Usage, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
			assert.match(result.stderr, message);
			assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
		}
	});

	test('everything else loads the CLI: version, and a usage error that names the commands', async () => {
		const version = await plugin('version', '-o', 'json');
		assert.equal(version.code, ExitCode.Ok, version.stderr);
		assert.match(JSON.parse(version.stdout).version, /^\d+\.\d+\.\d+/);
		const bogus = await plugin('bogus');
		assert.equal(bogus.code, ExitCode.Usage);
		assert.equal(bogus.stdout, '');
		assert.match(bogus.stderr, /unknown command "bogus"[\s\S]*doctor, report, scan, undo, version/);
	});

	test('a reader that has gone keeps the real exit code: a doctor that cannot reach its server exits 3 under pipefail, not 0', async () => {
		// A server that accepts and never answers: the doctor has printed its first step (the write fails: nobody
		// reads) long before it knows its outcome.
		const sockets = new Set<Socket>();
		const server = createServer(socket => sockets.add(socket)).listen(0, '127.0.0.1');
		await once(server, 'listening');
		const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-multus-pipe-'));
		const kubeconfig = path.join(dir, 'config');
		const {port} = server.address() as AddressInfo;
		writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n`);
		try {
			const result = await run('bash', ['-c', `set -o pipefail; { sleep 0.3; "${launcher}" doctor --check --kubeconfig "${kubeconfig}" --request-timeout 1s; } | true`]);
			assert.deepEqual(result, {code: ExitCode.Unreachable, stdout: '', stderr: ''});
		} finally {
			for (const socket of sockets) socket.destroy();
			server.close();
			rmSync(dir, {recursive: true, force: true});
		}
	});

	test('TERM=dumb in a terminal gets the plain output: no cursor movement, no colour (the same run in xterm draws the Ink view)', async () => {
		// script(1) gives the doctor a pseudo-terminal on stdin and stdout, as a user's shell would.
		const inTerminal = (term: string) => new Promise<Run>(resolve => {
			execFile('script', ['-qfec', `"${launcher}" doctor --kubeconfig /nonexistent/kubeconfig`, '/dev/null'], {cwd: repo, env: {...process.env, TERM: term, NO_COLOR: undefined, CI: undefined}}, (error, stdout, stderr) => {
				resolve({code: error ? Number(error.code) : 0, stdout, stderr});
			});
		});
		const dumb = await inTerminal('dumb');
		assert.equal(dumb.code, ExitCode.Unreachable, dumb.stdout);
		assert.match(dumb.stdout, /^\[1\/9\] Connect\r?\n/);
		assert.doesNotMatch(dumb.stdout, /\u001b/, 'not one escape sequence');
		const xterm = await inTerminal('xterm-256color');
		assert.equal(xterm.code, ExitCode.Unreachable);
		assert.match(xterm.stdout, /\u001b\[/, 'the Ink view moves the cursor');
	});

	test('a full disk (/dev/full) is a clear message and exit 1, not a stack trace', async () => {
		for (const args of ['--help', 'version', 'scan README.md -o json']) {
			const result = await run('bash', ['-c', `"${launcher}" ${args} > /dev/full`]);
			assert.equal(result.code, ExitCode.ProblemFound, args);
			assert.equal(result.stderr, 'error: cannot write the output to stdout: no space left on device (ENOSPC)\n  fix: write it somewhere with room (or check the device), then run again\n', args);
		}
	});

	test('a reader that has gone (| head) is not an error, for the usage text and for the CLI', async () => {
		for (const args of ['--help', 'version']) {
			// The reader exits before the plugin writes: the write fails with EPIPE.
			const result = await run('bash', ['-c', `{ sleep 0.3; "${launcher}" ${args}; } | true; exit \${PIPESTATUS[0]}`]);
			assert.deepEqual(result, {code: 0, stdout: '', stderr: ''}, args);
		}
	});
});
