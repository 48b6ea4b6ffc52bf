// Helpers for end-to-end tests against the local cluster that scripts/test starts (scripts/cluster).
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {DaemonStatus} from '../../scripts/multus-daemon.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const clusterScript = path.join(repoRoot, 'scripts/cluster');

function clusterEnv(): NodeJS.ProcessEnv {
	return {...process.env, CLUSTER_NAME: process.env['CLUSTER_NAME'] ?? 'multus-test'};
}

/** KUBECONFIG of the test cluster, and a PATH with our kubectl first and bin/ (kubectl-multus) on it. */
export const kubeconfig = execFileSync('bash', [clusterScript, 'kubeconfig'], {env: clusterEnv()}).toString().trim();
const toolsBin = execFileSync('bash', ['-c', `. ${path.join(repoRoot, 'scripts/versions.sh')} && echo $TOOLS_BIN`]).toString().trim();
export const testEnv: NodeJS.ProcessEnv = {
	...process.env,
	KUBECONFIG: kubeconfig,
	PATH: `${path.join(repoRoot, 'bin')}:${toolsBin}:${path.join(repoRoot, 'node_modules/.bin')}:${process.env['PATH']}`,
	NO_COLOR: '1',
};
export const kubectlPath = path.join(toolsBin, 'kubectl');
/** The cluster's directory (kwokctl's), where scripts/multus-pods.ts keeps the pods' logs and daemons. */
export const clusterDir = path.dirname(kubeconfig);

/** The scenarios' Multus ServiceAccount, as RBAC names the user. */
export const multusServiceAccount = 'system:serviceaccount:kube-system:multus';
/** The rule the doctor adds for the thick daemon's pod informer. */
export const podsListWatch = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};

/** Runs our kubectl; throws with its stderr on failure. */
export function kubectl(args: string[], input?: string): string {
	const result = spawnSync(kubectlPath, args, {env: testEnv, input, encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
	return result.stdout;
}

export function kubectlJson<T = any>(args: string[]): T {
	return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

export function applyScenario(name: string): void {
	execFileSync('bash', [clusterScript, 'apply', name], {env: clusterEnv(), stdio: ['ignore', 'ignore', 'pipe']});
}

export function deleteScenario(name: string): void {
	execFileSync('bash', [clusterScript, 'delete', name], {env: clusterEnv(), stdio: ['ignore', 'ignore', 'pipe']});
}

export interface RunResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs `kubectl multus ARGS` through kubectl's plugin mechanism, without a TTY. */
export function runPlugin(args: string[], options: {input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(kubectlPath, ['multus', ...args], {env: {...testEnv, ...options.env}, stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => (stdout += chunk));
		child.stderr.on('data', chunk => (stderr += chunk));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`kubectl multus ${args.join(' ')} timed out\nstdout:\n${stdout}\nstderr:\n${stderr}`));
		}, options.timeoutMs ?? 120_000);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
		child.stdin.end(options.input ?? '');
	});
}

/** What a test compares before and after: the role's rules and annotations, the DaemonSet's generation, its pods. */
export function snapshot(role: string, namespace: string, daemonSet: string) {
	const clusterRole = kubectlJson(['get', 'clusterrole', role]);
	const ds = kubectlJson(['-n', namespace, 'get', 'ds', daemonSet]);
	const pods = kubectlJson(['-n', namespace, 'get', 'pods']).items.map((p: any) => p.metadata.name).sort();
	return {
		rules: clusterRole.rules,
		annotations: clusterRole.metadata.annotations ?? {},
		resourceVersion: clusterRole.metadata.resourceVersion as string,
		generation: ds.metadata.generation as number,
		template: ds.spec.template,
		pods: pods as string[],
	};
}

/** Nothing the doctor could change was changed: role rules and resourceVersion, DaemonSet generation, pods. */
export function assertUnchanged(before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>): void {
	assert.deepEqual(after.rules, before.rules, 'ClusterRole rules unchanged');
	assert.equal(after.resourceVersion, before.resourceVersion, 'ClusterRole not written at all');
	assert.equal(after.generation, before.generation, 'DaemonSet not restarted');
	assert.deepEqual(after.pods, before.pods, 'same pods');
}

/** SubjectAccessReview for a ServiceAccount, via kubectl auth can-i with impersonation (admin kubeconfig). */
export function canI(verb: string, resource: string, user: string): boolean {
	const result = spawnSync(kubectlPath, ['auth', 'can-i', verb, resource, '--all-namespaces', `--as=${user}`], {env: testEnv, encoding: 'utf8'});
	return result.stdout.trim() === 'yes';
}

/**
 * Waits until the authorizer lets `user` do each `[verb, resource]`: it reads RBAC from informers, so a ClusterRole
 * and binding just written take effect a moment later, and a doctor run at once may be denied what they grant.
 */
export async function waitUntilAllowed(user: string, ...requests: Array<[verb: string, resource: string]>): Promise<void> {
	await waitFor(`the authorizer to let ${user} ${requests.map(([verb, resource]) => `${verb} ${resource}`).join(', ')}`, () => requests.every(([verb, resource]) => canI(verb, resource, user)), 20_000);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

/** `kubectl logs` of a pod's Multus container, or undefined while it cannot be read. */
export function podLog(namespace: string, pod: string, container?: string): string | undefined {
	try {
		return kubectl(['-n', namespace, 'logs', pod, ...(container ? ['-c', container] : [])]);
	} catch {
		return undefined;
	}
}

/** The real multus-daemons behind the cluster's pods, as scripts/multus-pods.ts records them (one per pod). */
export function realDaemons(dir = clusterDir): DaemonStatus[] {
	const daemons = path.join(dir, 'd');
	if (!existsSync(daemons)) return [];
	return readdirSync(daemons).flatMap(entry => {
		try {
			return [JSON.parse(readFileSync(path.join(daemons, entry, 'status.json'), 'utf8')) as DaemonStatus];
		} catch {
			return []; // being created or removed
		}
	});
}

/** Pids of the multus-daemon processes of a cluster: each one's command line names its config under the cluster's directory. */
export function daemonPids(dir = clusterDir): number[] {
	const result = spawnSync('pgrep', ['-f', `multus-daemon -config ${dir}/`], {encoding: 'utf8'});
	return result.stdout.split('\n').filter(Boolean).map(Number);
}

/** Seconds from a daemon's start to its API answering: under 20 s means every informer cache synced in its first wait. */
export function secondsToReady(daemon: DaemonStatus): number | undefined {
	if (!daemon.readyAt || !daemon.startedAt) return undefined;
	return (Date.parse(daemon.readyAt) - Date.parse(daemon.startedAt)) / 1000;
}

/**
 * ClusterRole aaa-shared-pods (get pods; sorted first and about pods, so the doctor's choice) bound to Multus and to
 * default/webapp too: a role the doctor must not widen, so it creates one of Multus's own.
 */
export function createSharedPodsRole(): void {
	kubectl(['create', '-f', '-'], JSON.stringify({
		apiVersion: 'v1',
		kind: 'List',
		items: [
			{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'aaa-shared-pods'}, rules: [{apiGroups: [''], resources: ['pods'], verbs: ['get']}]},
			{
				apiVersion: 'rbac.authorization.k8s.io/v1',
				kind: 'ClusterRoleBinding',
				metadata: {name: 'aaa-shared-pods'},
				roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'aaa-shared-pods'},
				subjects: [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}, {kind: 'ServiceAccount', name: 'webapp', namespace: 'default'}],
			},
		],
	}));
}
