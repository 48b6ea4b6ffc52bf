// An exec credential plugin that hangs (issue #12, item 8): bounded by --request-timeout, stopped on a signal, and
// its whole process group gone when the run ends. The plugin runs before any request, so no cluster is needed: the
// kubeconfig names a loopback address nothing is asked at.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {ExitCode} from '../../../source/exit-codes.js';

const launcher = fileURLToPath(new URL('../../../bin/kubectl-multus', import.meta.url));
let dir = '';
let kubeconfig = '';
let pidFile = '';

before(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'kubectl-multus-plugin-'));
	pidFile = path.join(dir, 'plugin.pids');
	kubeconfig = path.join(dir, 'config');
	// The plugin and a child of its own (as a login helper would start) write their pids, then wait forever.
	const plugin = `sleep 600 & echo "$$ $!" > ${pidFile}; wait`;
	writeFileSync(kubeconfig, [
		'apiVersion: v1', 'kind: Config',
		'clusters:', '- name: c', '  cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}',
		'users:', '- name: sso', '  user:', '    exec:', '      apiVersion: client.authentication.k8s.io/v1', '      command: sh',
		`      args: ["-c", ${JSON.stringify(plugin)}]`, '      interactiveMode: Never',
		'contexts:', '- name: c', '  context: {cluster: c, user: sso}', 'current-context: c', '',
	].join('\n'));
});

after(() => rmSync(dir, {recursive: true, force: true}));

/** Alive and not a zombie. */
function alive(pid: number): boolean {
	try {
		return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!probe()) {
		if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

function pluginPids(): number[] {
	return readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
}

function start(args: string[]) {
	rmSync(pidFile, {force: true});
	const child = spawn(launcher, ['doctor', '--check', '--kubeconfig', kubeconfig, ...args], {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	child.stdout.on('data', chunk => (output += chunk));
	child.stderr.on('data', chunk => (output += chunk));
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; output: string; ms: number}>(resolve => {
		const started = Date.now();
		child.on('close', (code, signal) => resolve({code, signal, output, ms: Date.now() - started}));
	});
	return {child, exited};
}

describe('an exec credential plugin that hangs', {concurrency: false}, () => {
	test('is bounded by --request-timeout: exit 3 naming it, and its process group is gone', async () => {
		const {exited} = start(['--request-timeout', '2s']);
		const result = await exited;
		assert.equal(result.code, ExitCode.Unreachable, result.output);
		assert.match(result.output, /the credential plugin of kubeconfig user "sso" failed \(sh -c .*\): it gave no credentials within 2s \(--request-timeout\), so it was stopped/);
		assert.ok(result.ms < 8000, `${result.ms} ms`);
		for (const pid of pluginPids()) await until(`plugin process ${pid} to end`, () => !alive(pid));
	});

	test('SIGTERM while it runs (no timeout): the run exits, and the plugin and its child are gone', async () => {
		const {child, exited} = start(['--request-timeout', '0']);
		await until('the plugin to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '));
		child.kill('SIGTERM');
		const result = await exited;
		assert.notEqual(result.code, ExitCode.Ok, result.output);
		assert.ok(result.code !== null, `exited by itself, not killed (${result.signal})`);
		assert.match(result.output, /stopped: kubectl-multus got SIGTERM while the plugin ran/);
		for (const pid of pluginPids()) await until(`plugin process ${pid} to end`, () => !alive(pid));
	});

	// The run has no terminal here (stdin ignored, output piped): a SIGINT is a CI runner's or kill's, not Ctrl-C.
	for (const [signal, fleet] of [['SIGTERM', false], ['SIGHUP', false], ['SIGINT', false], ['SIGTERM', true]] as const) {
		test(`${signal} ${fleet ? 'to the fleet' : 'to the doctor'}: the cancelling note names ${signal}, never Ctrl-C`, async () => {
			const {child, exited} = start(['--request-timeout', '0', ...(fleet ? ['--all-contexts'] : [])]);
			await until('the plugin to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '));
			child.kill(signal);
			const result = await exited;
			assert.ok(result.code !== null, `exited by itself, not killed (${result.signal}): ${result.output}`);
			const stopping = fleet ? 'every cluster stops at its next safe point' : 'stopping at the next safe point';
			assert.ok(result.output.includes(`cancelling (${signal}): ${stopping} (a second signal quits now)`), result.output);
			assert.doesNotMatch(result.output, /Ctrl-C/);
			for (const pid of pluginPids()) await until(`plugin process ${pid} to end`, () => !alive(pid));
		});
	}

	test('two signals at once (quit now): exit 130, and still no plugin left behind', async () => {
		const {child, exited} = start(['--request-timeout', '0']);
		await until('the plugin to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '));
		child.kill('SIGINT');
		child.kill('SIGINT');
		const result = await exited;
		assert.ok(result.code === 130 || result.code === ExitCode.Unreachable || result.code === ExitCode.ProblemFound, `${result.code}: ${result.output}`);
		for (const pid of pluginPids()) await until(`plugin process ${pid} to end`, () => !alive(pid));
	});
});
