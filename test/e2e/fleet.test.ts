// The fleet on real clusters at once: the suite's cluster (broken thick), two more this file starts and always
// stops unless they were already running (healthy thick; RKE2's Helm-managed thick), a context at a loopback port
// where nothing listens, and a context whose user may read everything but patch nothing, all in one merged
// KUBECONFIG=a:b:c:d. --check -o json gets every row right; --yes without a terminal fixes only what may be fixed
// and proves it; in tmux, answering yes to the one question does the same; the exit code is the most serious.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {once} from 'node:events';
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {parse} from 'yaml';
import {applyScenario, canI, deleteScenario, kubeconfig as suiteKubeconfig, kubectl, kubectlPath, repoRoot, runPlugin, testEnv, waitUntilAllowed, multusServiceAccount as multus} from '../helpers/cluster.js';
import {startTerminal} from '../helpers/tmux.js';

const suite = process.env['CLUSTER_NAME'] ?? 'multus-test';
/** The two clusters this file adds: FLEET_CLUSTERS=b,c names them (default: the suite's name with -b and -c). */
const [healthyName, helmName] = (process.env['FLEET_CLUSTERS'] ?? `${suite}-b,${suite}-c`).split(',') as [string, string];
const clusterScript = path.join(repoRoot, 'scripts/cluster');
const cluster = (name: string, ...args: string[]) => execFileSync('bash', [clusterScript, ...args], {env: {...process.env, CLUSTER_NAME: name}, stdio: ['ignore', 'pipe', 'pipe']}).toString();
const running = (name: string) => {
	try {
		cluster(name, 'status');
		return true;
	} catch {
		return false;
	}
};

interface FleetJson {
	kind: string;
	exitCode: number;
	summary: {contexts: number; byExitCode: Record<string, number>};
	contexts: Array<{context: string; exitCode: number; verdict: string; row: {multus: string; verdict: string; missing: string; owner: string; reason: string}; report: {verification: {passed: boolean} | null; applied: {clusterRole: unknown}}}>;
}

const rows = (report: FleetJson) => Object.fromEntries(report.contexts.map(context => [context.context, context]));

describe('fleet: five contexts, three real clusters at once', () => {
	const started: string[] = [];
	let dir = '';
	let env: NodeJS.ProcessEnv = {};
	const a = `kwok-${suite}`;
	const b = `kwok-${healthyName}`;
	const c = `kwok-${helmName}`;

	before(async () => {
		// Two more clusters, 2 nodes each with real daemons, started side by side with the suite's.
		// One after the other: kwokctl's first start of a cluster writes a CA, and two starting at once race for it.
		for (const name of [healthyName, helmName].filter(name => !running(name))) {
			started.push(name);
			cluster(name, 'up', '--nodes', '2');
		}
		applyScenario('broken-thick');
		cluster(healthyName, 'apply', 'healthy-thick');
		cluster(helmName, 'apply', 'rke2-thick');

		// A user of the suite's cluster who may read everything and create access reviews, and write nothing.
		kubectl(['apply', '-f', '-'], JSON.stringify({
			apiVersion: 'v1',
			kind: 'List',
			items: [
				{apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'fleet-reader', namespace: 'default'}},
				{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'fleet-reader'}, rules: [
					{apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch']},
					{apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews', 'selfsubjectaccessreviews'], verbs: ['create']},
				]},
				{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: 'fleet-reader'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fleet-reader'}, subjects: [{kind: 'ServiceAccount', name: 'fleet-reader', namespace: 'default'}]},
			],
		}));
		const token = kubectl(['-n', 'default', 'create', 'token', 'fleet-reader', '--duration', '1h']).trim();
		// The reader's role and binding as the authorizer sees them: else its first row is denied more than the patch.
		await waitUntilAllowed('system:serviceaccount:default:fleet-reader', ['list', 'pods'], ['create', 'subjectaccessreviews.authorization.k8s.io']);
		const suiteConfig = parse(kubectl(['config', 'view', '--raw', '--minify'])) as {clusters: Array<{cluster: Record<string, string>}>};
		const server = suiteConfig.clusters[0]!.cluster;

		const probe = createServer();
		probe.listen(0, '127.0.0.1');
		await once(probe, 'listening');
		const closedPort = (probe.address() as AddressInfo).port;
		probe.close();
		await once(probe, 'close');

		dir = mkdtempSync(path.join(tmpdir(), 'kubectl-multus-fleet-e2e-'));
		const extra = path.join(dir, 'extra.yaml');
		writeFileSync(extra, JSON.stringify({
			apiVersion: 'v1',
			kind: 'Config',
			clusters: [
				{name: 'nothing-listens', cluster: {server: `https://127.0.0.1:${closedPort}`, 'insecure-skip-tls-verify': true}},
				{name: 'suite-as-reader', cluster: server},
			],
			users: [{name: 'nobody', user: {token: 'x'}}, {name: 'fleet-reader', user: {token}}],
			// The reader's context first: in --parallel 1 runs it plans before the admin's context fixes that cluster.
			contexts: [
				{name: 'read-only', context: {cluster: 'suite-as-reader', user: 'fleet-reader'}},
				{name: 'unreachable', context: {cluster: 'nothing-listens', user: 'nobody'}},
			],
		}));
		env = {KUBECONFIG: [extra, suiteKubeconfig, cluster(healthyName, 'kubeconfig').trim(), cluster(helmName, 'kubeconfig').trim()].join(path.delimiter)};
	});

	after(() => {
		for (const name of started) {
			try {
				cluster(name, 'down');
			} catch {
				// Best effort: scripts/test takes them down too.
			}
		}
		try {
			deleteScenario('broken-thick');
			kubectl(['delete', 'clusterrolebinding/fleet-reader', 'clusterrole/fleet-reader', '--ignore-not-found']);
			kubectl(['-n', 'default', 'delete', 'serviceaccount/fleet-reader', '--ignore-not-found']);
		} catch {
			// The suite's cluster may be gone already.
		}
		if (dir) rmSync(dir, {recursive: true, force: true});
	});

	test('--all-contexts --check -o json: every row right, nothing changed, exit 3 (the unreachable one)', async () => {
		const result = await runPlugin(['doctor', '--all-contexts', '--check', '-o', 'json', '--request-timeout', '5s'], {env});
		assert.equal(result.code, 3, result.stderr);
		const report = JSON.parse(result.stdout) as FleetJson;
		assert.equal(report.summary.contexts, 5);
		const by = rows(report);
		assert.deepEqual(Object.keys(by).sort(), [a, b, c, 'read-only', 'unreachable'].sort());
		assert.deepEqual([by[a]!.exitCode, by[a]!.row.verdict, by[a]!.row.missing], [1, 'broken', 'pods [""]: list, watch']);
		assert.match(by[a]!.row.multus, /^kube-system\/kube-multus-ds thick/);
		assert.deepEqual([by[b]!.exitCode, by[b]!.row.verdict, by[b]!.row.missing], [0, 'healthy', '–']);
		assert.deepEqual([by[c]!.exitCode, by[c]!.row.verdict], [1, 'broken']);
		assert.match(by[c]!.row.multus, /^kube-system\/rke2-multus/);
		assert.match(by[c]!.row.owner, /Helm/);
		assert.deepEqual([by['read-only']!.exitCode, by['read-only']!.row.verdict, by['read-only']!.row.missing], [1, 'broken', 'pods [""]: list, watch']);
		assert.deepEqual([by['unreachable']!.exitCode, by['unreachable']!.row.verdict], [3, 'unreachable']);
		assert.match(by['unreachable']!.row.reason, /ECONNREFUSED|cannot connect/);
		assert.equal(canI('list', 'pods', multus), false, '--check changed nothing');
	});

	test('--emit manifest --emit-dir: a file for each context with a fix, none for the others; the second context of one cluster says so', async () => {
		const out = path.join(dir, 'fixes');
		const result = await runPlugin(['doctor', '--all-contexts', '--emit', 'manifest', '--emit-dir', out, '--request-timeout', '5s'], {env});
		assert.equal(result.code, 3, result.stderr);
		assert.deepEqual(readdirSync(out).sort(), [`${a}.yaml`, `${c}.yaml`, 'read-only.yaml'].sort());
		assert.match(result.stderr, new RegExp(`\\[${b}\\] no file: Healthy`));
		// The reader's context comes first in the kubeconfig: the admin's, to the same cluster, names it.
		assert.match(result.stderr, new RegExp(`\\[${a}\\] wrote .*\\n  the same Multus as read-only \\(DaemonSet kube-system/kube-multus-ds, uid [0-9a-f-]+\\) and the same change as ${out}/read-only\\.yaml: if both contexts reach one cluster, apply one of the two`));
		assert.equal(canI('list', 'pods', multus), false);
	});

	test('--yes without a terminal: fixes and proves the broken cluster, leaves the Helm-managed one, the reader is refused (4); exit 3', async () => {
		// --parallel 1: two contexts reach the suite's cluster; the reader's must plan before the admin's fixes it.
		const result = await runPlugin(['doctor', '--all-contexts', '--yes', '-o', 'json', '--parallel', '1', '--request-timeout', '5s'], {env, timeoutMs: 300_000});
		assert.equal(result.code, 3, result.stderr);
		const by = rows(JSON.parse(result.stdout) as FleetJson);
		assert.deepEqual([by[a]!.verdict, by[a]!.exitCode, by[a]!.report.verification?.passed], ['fixed', 0, true], by[a]!.row.reason);
		assert.deepEqual([by[b]!.verdict, by[b]!.exitCode], ['healthy', 0]);
		assert.deepEqual([by[c]!.verdict, by[c]!.exitCode, by[c]!.report.applied.clusterRole], ['managed', 1, null]);
		assert.deepEqual([by['read-only']!.row.verdict, by['read-only']!.exitCode], ['forbidden', 4]);
		assert.match(by['read-only']!.row.reason, /you lack permission to apply the fix: patch ClusterRole multus/);
		assert.equal(by['unreachable']!.exitCode, 3);
		assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
		const rke2 = JSON.parse(execFileSync(kubectlPath, ['get', 'clusterrole', 'rke2-multus', '-o', 'json'], {env: {...testEnv, KUBECONFIG: cluster(helmName, 'kubeconfig').trim()}}).toString()) as {rules: Array<{resources: string[]; verbs: string[]}>};
		assert.ok(!rke2.rules.some(rule => rule.resources.includes('pods') && rule.verbs.includes('list')), 'the Helm-managed role is left alone');
	});

	test('in a terminal: one question lists the one cluster that may be fixed; yes fixes and proves it; exit 3', async t => {
		applyScenario('broken-thick');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor', '--all-contexts', '--request-timeout', '5s'], {...testEnv, ...env}, {columns: 160, rows: 50});
		t.after(() => terminal.kill());
		const asking = await terminal.waitForScreen(/\[y\/N\]/, 120_000);
		assert.match(asking, new RegExp(`Apply this change to context ${a}\\?`));
		assert.match(asking, /1\. patch ClusterRole multus: \+ pods \[""\]: list, watch/);
		assert.match(asking, new RegExp(`^${c} .*managed elsewhere`, 'm'));
		assert.match(asking, /^read-only .*forbidden .* 4/m);
		assert.match(asking, /^unreachable .*unreachable .* 3/m);
		await terminal.answer('y');
		const code = await terminal.waitForExit(240_000);
		const screen = terminal.screen();
		assert.equal(code, 3, screen);
		assert.match(screen, new RegExp(`^${a} .* fixed .* 0`, 'm'));
		assert.match(screen, /5 contexts: .*1 fixed.*Exit 3/);
		assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
		writeFileSync(path.join(dir, 'frame.txt'), screen);
		if (process.env['FLEET_FRAME']) writeFileSync(process.env['FLEET_FRAME'], screen);
	});

	test('two contexts that reach the same cluster (another URL for it, the same admin): --yes changes it once, the second says through which; so does yes in a terminal; exit 0', async t => {
		applyScenario('broken-thick');
		const admin = parse(kubectl(['config', 'view', '--raw', '--minify'])) as {clusters: Array<{cluster: Record<string, string>}>; users: Array<{user: Record<string, string>}>};
		const server = new URL(admin.clusters[0]!.cluster['server']!);
		// The same API server by another name (its certificate names both): a second kubeconfig entry for one cluster.
		const otherName = server.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
		const twice = path.join(dir, 'twice.yaml');
		writeFileSync(twice, JSON.stringify({
			apiVersion: 'v1',
			kind: 'Config',
			clusters: [
				{name: 'by-ip', cluster: admin.clusters[0]!.cluster},
				{name: 'by-name', cluster: {...admin.clusters[0]!.cluster, server: `https://${otherName}:${server.port}`}},
			],
			users: [{name: 'admin', user: admin.users[0]!.user}],
			contexts: [
				{name: 'first', context: {cluster: 'by-ip', user: 'admin'}},
				{name: 'second', context: {cluster: 'by-name', user: 'admin'}},
			],
			'current-context': 'first',
		}));
		const generation = () => Number(kubectl(['-n', 'kube-system', 'get', 'ds/kube-multus-ds', '-o', 'jsonpath={.metadata.generation}']));
		const before = generation();
		const result = await runPlugin(['doctor', '--all-contexts', '--yes', '-o', 'json', '--request-timeout', '5s'], {env: {KUBECONFIG: twice}, timeoutMs: 300_000});
		assert.equal(result.code, 0, result.stderr + result.stdout.slice(0, 4000));
		const report = JSON.parse(result.stdout) as FleetJson & {contexts: Array<{through: string | null}>};
		const by = rows(report);
		// The first of the kubeconfig's order changes it, whichever answers first.
		const [fixer, follower] = ['first', 'second'];
		assert.equal((by[fixer] as unknown as {through: string | null}).through, null);
		assert.notEqual(by[fixer]!.row.multus, '');
		assert.deepEqual([by[fixer]!.verdict, by[fixer]!.exitCode, by[fixer]!.report.verification?.passed], ['fixed', 0, true], by[fixer]!.row.reason);
		assert.deepEqual([by[follower]!.verdict, by[follower]!.exitCode, (by[follower] as unknown as {through: string | null}).through], ['fixed', 0, fixer]);
		assert.match(by[follower]!.row.reason, new RegExp(`^Context ${fixer} reaches the same Multus \\(DaemonSet kube-system/kube-multus-ds, uid [0-9a-f-]{36}\\), and its outcome is this one's \\(one change, not two\\): Fixed: `));
		assert.equal(generation(), before + 1, 'the DaemonSet was restarted once, not once per context');
		assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));

		// In a terminal: one question, about the first context alone; yes fixes the cluster once, and both rows say so.
		applyScenario('broken-thick');
		const again = generation();
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor', '--all-contexts', '--request-timeout', '5s'], {...testEnv, KUBECONFIG: twice}, {columns: 160, rows: 50});
		t.after(() => terminal.kill());
		const asking = await terminal.waitForScreen(/\[y\/N\]/, 120_000);
		assert.match(asking, /Apply this change to context first\?/);
		assert.doesNotMatch(asking, /^second +https:/m, 'the second context is not in the question');
		assert.match(asking, /^second .* waits for first /m);
		await terminal.answer('y');
		const code = await terminal.waitForExit(240_000);
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		assert.match(screen, /^first .* fixed .* 0 /m);
		assert.match(screen, /^second .* fixed .* 0 +Context first reaches the same/m);
		assert.match(screen, /2 contexts: 2 fixed\. Exit 0\./);
		assert.equal(generation(), again + 1, 'restarted once');
	});
});
