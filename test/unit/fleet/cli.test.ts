// The fleet through the real launcher (bin/kubectl-multus on the bundle): the flags it refuses, and a merged
// KUBECONFIG whose contexts point at loopback ports where nothing listens: one row each, exit 3, never a stop.
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type AddressInfo} from 'node:net';
import {once} from 'node:events';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const launcher = `${repo}bin/kubectl-multus`;

function plugin(args: string[], env: Record<string, string> = {}): Promise<{code: number; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		execFile(launcher, args, {cwd: repo, env: {...process.env, NO_COLOR: '1', ...env}}, (error, stdout, stderr) => {
			resolve({code: error ? Number(error.code) : 0, stdout, stderr});
		});
	});
}

/** A loopback port where nothing listens (bound, then let go). */
async function closedPort(): Promise<number> {
	const server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as AddressInfo;
	server.close();
	await once(server, 'close');
	return port;
}

function kubeconfig(file: string, contexts: Array<[name: string, port: number]>, current: string): void {
	const clusters = contexts.map(([name, port]) => `- name: ${name}\n  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}`).join('\n');
	const users = contexts.map(([name]) => `- name: ${name}\n  user: {token: x}`).join('\n');
	const named = contexts.map(([name]) => `- name: ${name}\n  context: {cluster: ${name}, user: ${name}}`).join('\n');
	writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n${clusters}\nusers:\n${users}\ncontexts:\n${named}\ncurrent-context: ${current}\n`);
}

describe('fleet: flags', () => {
	test('refused before anything is read: exit 2, the flag named', async () => {
		for (const [args, pattern] of [
			[['--all-contexts', '--context', 'x'], /--context picks one context; --all-contexts picks several/],
			[['--all-contexts', '--contexts', 'x'], /--all-contexts and --contexts contradict/],
			[['--parallel', '3'], /--parallel goes with several contexts/],
			[['--confirm-each'], /--confirm-each goes with several contexts/],
			[['--all-contexts', '--emit', 'manifest'], /--emit-dir DIR/],
			[['--contexts', 'a', '--emit-dir', '/tmp/x'], /--emit-dir needs --emit/],
			[['--all-contexts', '--parallel', '0'], /--parallel/],
			[['--all-contexts', '--confirm-each', '--yes'], /--confirm-each and --yes contradict each other/],
			[['--all-contexts', '--confirm-each', '--check'], /--confirm-each only matters when fixing, and --check changes nothing/],
			[['--check', '--dry-run=server'], /--check never writes, not even a dry run[\s\S]*leave out --check to dry-run the fix against the API server/],
			[['--all-contexts', '--check', '--dry-run=server'], /--check never writes, not even a dry run/],
			// Run without a terminal (and maybe under CI=true): nothing could be asked.
			[['--all-contexts', '--confirm-each'], /--confirm-each asks in the terminal view, and this run has none \((stdin and stdout are not both a terminal|CI=true)\)[\s\S]*--yes fixes every cluster/],
		] as const) {
			const result = await plugin(['doctor', ...args, '--kubeconfig', '/nonexistent/kubeconfig']);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, pattern);
		}
	});
});

describe('fleet: contexts nobody answers', () => {
	let dir = '';
	let env: Record<string, string> = {};
	before(async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'kubectl-multus-fleet-'));
		kubeconfig(path.join(dir, 'a'), [['edge-1', await closedPort()], ['edge-2', await closedPort()]], 'edge-1');
		kubeconfig(path.join(dir, 'b'), [['prod', await closedPort()]], 'prod');
		env = {KUBECONFIG: `${path.join(dir, 'a')}:${path.join(dir, 'b')}`};
	});
	after(() => rmSync(dir, {recursive: true, force: true}));

	test('--all-contexts --check -o json over a merged KUBECONFIG: one report per context, each unreachable, exit 3', async () => {
		const result = await plugin(['doctor', '--all-contexts', '--check', '-o', 'json', '--request-timeout', '2s'], env);
		assert.equal(result.code, 3, result.stderr);
		const report = JSON.parse(result.stdout) as {kind: string; exitCode: number; summary: {contexts: number}; contexts: Array<{context: string; exitCode: number; row: {verdict: string}; report: {error: {kind: string} | null}}>};
		assert.equal(report.kind, 'fleet');
		assert.equal(report.summary.contexts, 3);
		assert.deepEqual(report.contexts.map(context => [context.context, context.exitCode, context.row.verdict, context.report.error?.kind]), [
			['edge-1', 3, 'unreachable', 'Unreachable'],
			['edge-2', 3, 'unreachable', 'Unreachable'],
			['prod', 3, 'unreachable', 'Unreachable'],
		]);
	});

	test('-o yaml: the same report as YAML', async () => {
		const result = await plugin(['doctor', '--contexts', 'prod', '--check', '-o', 'yaml', '--request-timeout', '2s'], env);
		assert.equal(result.code, 3, result.stderr);
		assert.match(result.stdout, /^kind: fleet$/m);
		assert.match(result.stdout, /^  - context: prod$/m);
	});

	test('--contexts with a glob, plain text: a line per context, the table, the reasons, the fleet exit code', async () => {
		const result = await plugin(['doctor', '--contexts', 'edge-*', '--check', '--request-timeout', '2s'], env);
		assert.equal(result.code, 3, result.stderr);
		assert.match(result.stdout, /\[edge-1\] unreachable \(exit 3/);
		assert.match(result.stdout, /^CONTEXT\s+SERVER\s+MULTUS\s+VERDICT\s+MISSING\s+OWNER\s+TOOK\s+EXIT\s+REASON/m);
		assert.match(result.stdout, /^edge-2\s+127\.0\.0\.1:\d+\s+unreachable/m);
		assert.doesNotMatch(result.stdout, /^prod /m);
		assert.match(result.stdout, /2 contexts: 2 unreachable\. Exit 3: the most serious of the contexts' codes \(edge-1, edge-2\)\./);
	});

	test('--emit with --emit-dir: no file for a cluster without a fix, a line per context on stderr', async () => {
		const out = path.join(dir, 'out');
		const result = await plugin(['doctor', '--contexts', 'prod', '--emit', 'manifest', '--emit-dir', out, '--request-timeout', '2s'], env);
		assert.equal(result.code, 3, result.stderr);
		assert.deepEqual(readdirSync(out), []);
		assert.match(result.stderr, /\[prod\] no file: /);
	});

	test('--as-group without --as: one usage error for the run, before any context connects (no row per context)', async () => {
		for (const output of ['text', 'json']) {
			const result = await plugin(['doctor', '--all-contexts', '--as-group', 'foo', '--check', '-o', output, '--request-timeout', '2s'], env);
			assert.equal(result.code, 2, result.stderr);
			assert.equal(result.stdout, '', output);
			assert.equal(result.stderr.match(/--as-group needs --as/g)?.length, 1, result.stderr);
			assert.match(result.stderr, /kubectl also requires --as when impersonating groups/);
		}
	});

	test('a name that matches no context: exit 2, the contexts there are named', async () => {
		const result = await plugin(['doctor', '--contexts', 'staging', '--check'], env);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /"staging" matches no context/);
		assert.match(result.stderr, /edge-1, edge-2, prod/);
	});
});
