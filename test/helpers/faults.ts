// Real faults for the end-to-end tests: control-plane processes that die and come back, servers that never
// answer or are not Kubernetes, kubeconfigs that are broken in one specific way.
import {execFileSync, spawn} from 'node:child_process';
import {closeSync, mkdtempSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {kubeconfig, kubectl, kubectlPath, testEnv, type RunResult} from './cluster.js';

/** The kwok cluster's directory: its kwok.yaml, pids/, logs/ and the component binaries under bin/. */
export const clusterDir = path.dirname(kubeconfig);

export interface Component {
	name: string;
	binary: string;
	args: string[];
	workDir: string;
}

/** The control plane's processes, in the order they depend on each other (etcd is never touched). */
export const controlPlane = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'] as const;
export type ComponentName = (typeof controlPlane)[number];

/** A process of the kwok cluster (control plane or etcd) as its kwok.yaml starts it. */
export function component(name: string): Component {
	const config = YAML.parseAllDocuments(readFileSync(path.join(clusterDir, 'kwok.yaml'), 'utf8'))[0]!.toJS() as {components: Component[]};
	const found = config.components.find(c => c.name === name);
	if (!found) throw new Error(`no component ${name} in ${clusterDir}/kwok.yaml`);
	return found;
}

function pidFile(name: ComponentName): string {
	return path.join(clusterDir, 'pids', `${name}.pid`);
}

export function componentPid(name: ComponentName): number | undefined {
	try {
		return Number(readFileSync(pidFile(name), 'utf8').trim()) || undefined;
	} catch {
		return undefined;
	}
}

function alive(pid: number | undefined): boolean {
	if (!pid) return false;
	try {
		process.kill(pid, 0);
		// A zombie still answers signal 0; the binary's path in its command line says it is ours and running.
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(clusterDir);
	} catch {
		return false;
	}
}

export function componentRunning(name: ComponentName): boolean {
	return alive(componentPid(name));
}

/** Sends a signal to one control-plane process of this cluster (by its pid file, never by name). */
export function signalComponent(name: ComponentName, signal: NodeJS.Signals): void {
	const pid = componentPid(name);
	if (!alive(pid)) throw new Error(`${name} is not running`);
	process.kill(pid!, signal);
}

/** Kills one component with SIGKILL, as a crash would, and waits until the process is gone. */
export async function killComponent(name: ComponentName): Promise<void> {
	const pid = componentPid(name);
	signalComponent(name, 'SIGKILL');
	for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
}

/** Starts a component the way kwokctl's binary runtime does: same binary, args and directory, log appended. */
export function startComponent(name: ComponentName): number {
	const {binary, args, workDir} = component(name);
	const log = openSync(path.join(clusterDir, 'logs', `${name}.log`), 'a');
	const child = spawn(binary, args, {cwd: workDir, detached: true, stdio: ['ignore', log, log]});
	closeSync(log);
	child.unref();
	writeFileSync(pidFile(name), String(child.pid));
	return child.pid!;
}

export function apiserverReady(): boolean {
	try {
		execFileSync(kubectlPath, ['get', '--raw', '/readyz', '--request-timeout=2s'], {env: testEnv, stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

const leaderElected = new Set<ComponentName>(['kube-controller-manager', 'kube-scheduler']);

/** Waits until a started component serves: the apiserver's /readyz, a controller's lease, kwok's /healthz. */
async function waitServing(name: ComponentName, previousHolder: string | undefined, deadline: number): Promise<void> {
	for (;;) {
		if (!componentRunning(name)) throw new Error(`${name} exited right after its start (see ${clusterDir}/logs/${name}.log)`);
		if (name === 'kube-apiserver' && apiserverReady()) return;
		if (leaderElected.has(name)) {
			const lease = leaseHolder(name);
			if (lease && lease.holder !== previousHolder && lease.renewed > Date.now() - 15_000) return;
		}
		if (name === 'kwok-controller' && (await kwokHealthy())) return;
		if (Date.now() > deadline) throw new Error(`${name} not serving after its start`);
		await sleep(200);
	}
}

async function kwokHealthy(): Promise<boolean> {
	const host = (component('kwok-controller').args.find(arg => arg.startsWith('--server-address=')) ?? '').split('=')[1];
	try {
		return (await fetch(`http://${host}/healthz`, {signal: AbortSignal.timeout(1000)})).ok;
	} catch {
		return false;
	}
}

async function startAndWait(name: ComponentName, deadline: number): Promise<void> {
	const previousHolder = leaderElected.has(name) ? leaseHolder(name)?.holder : undefined;
	// A controller's old lease would make its successor wait up to 15 s for it to expire: the old process is gone.
	if (leaderElected.has(name)) execFileSync(kubectlPath, ['-n', 'kube-system', 'delete', 'lease', name, '--ignore-not-found'], {env: testEnv, stdio: 'ignore'});
	startComponent(name);
	await waitServing(name, previousHolder, deadline);
}

/** Replaces a running component with a fresh process and waits until it serves again. */
export async function restartComponent(name: ComponentName, timeoutMs = 60_000): Promise<void> {
	if (componentRunning(name)) await killComponent(name);
	await startAndWait(name, Date.now() + timeoutMs);
}

/**
 * Brings the control plane back to whole: starts every component that is not running (the controller manager
 * and scheduler exit by themselves when they lose their leader lease during a long apiserver outage), each
 * once the one before it serves. Returns the names it started.
 */
export async function restoreControlPlane(timeoutMs = 90_000): Promise<string[]> {
	const deadline = Date.now() + timeoutMs;
	const restarted: string[] = [];
	for (const name of controlPlane) {
		if (componentRunning(name)) continue;
		await startAndWait(name, deadline);
		restarted.push(name);
	}
	return restarted;
}

function leaseHolder(name: string): {holder: string; renewed: number} | undefined {
	try {
		const lease = JSON.parse(execFileSync(kubectlPath, ['-n', 'kube-system', 'get', 'lease', name, '-o', 'json', '--request-timeout=2s'], {env: testEnv, stdio: ['ignore', 'pipe', 'ignore']}).toString());
		const holder = lease.spec?.holderIdentity as string | undefined;
		return holder ? {holder, renewed: Date.parse(lease.spec.renewTime)} : undefined;
	} catch {
		return undefined;
	}
}

export function sleep(ms: number): Promise<void> {
	return new Promise(resolve => setTimeout(resolve, ms));
}

/** A sentence as printed: wrapped anywhere between words (the terminal's width or the plain path's). */
export function phrase(text: string): RegExp {
	return new RegExp(text.split(' ').map(word => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\s+'));
}

/** Runs `during` with the cluster's kube-apiserver frozen (SIGSTOP), and lets it go on (SIGCONT) whatever happens. */
export async function whileApiserverStopped<T>(during: () => Promise<T>): Promise<T> {
	signalComponent('kube-apiserver', 'SIGSTOP');
	try {
		return await during();
	} finally {
		signalComponent('kube-apiserver', 'SIGCONT');
	}
}

// ---- the plugin as a running process, and the cluster shaped for a fault

export interface RunningPlugin {
	/** Everything printed so far, stdout and stderr interleaved. */
	output(): string;
	waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
	/** Resolves when the process ends. */
	done: Promise<RunResult>;
	/** Signals the plugin (kubectl execs it, so the process is the plugin itself). */
	signal(signal: NodeJS.Signals): void;
}

/** Starts `kubectl multus ARGS` without a TTY and lets the test watch its output while it runs. */
export function startPlugin(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): RunningPlugin {
	const child = spawn(kubectlPath, ['multus', ...args], {env: {...testEnv, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	let both = '';
	child.stdout.on('data', chunk => {
		stdout += chunk;
		both += chunk;
	});
	child.stderr.on('data', chunk => {
		stderr += chunk;
		both += chunk;
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const done = new Promise<RunResult>(resolve => child.on('close', code => {
		clearTimeout(timer);
		resolve({code, stdout, stderr});
	}));
	let exited = false;
	void done.then(() => (exited = true));
	return {
		output: () => both,
		async waitForOutput(pattern, wait = 60_000) {
			const deadline = Date.now() + wait;
			for (;;) {
				if (pattern.test(both)) return both;
				if (exited || Date.now() > deadline) throw new Error(`output never matched ${pattern}:\n${both}`);
				await sleep(50);
			}
		},
		done,
		signal: signal => void child.kill(signal),
	};
}

/**
 * Makes every pod of the DaemonSet count as available only after `seconds` Ready, so a restart on three nodes
 * takes about 3 × seconds (maxUnavailable 1): long enough to break something in the middle of it.
 */
export async function slowRollout(namespace: string, daemonSet: string, seconds: number): Promise<void> {
	kubectl(['-n', namespace, 'patch', 'ds', daemonSet, '--type=merge', '-p', JSON.stringify({spec: {minReadySeconds: seconds}})]);
	// Until the current pods count as available, a restart replaces them all at once instead of node by node.
	const deadline = Date.now() + (seconds + 30) * 1000;
	for (;;) {
		const ds = JSON.parse(kubectl(['-n', namespace, 'get', 'ds', daemonSet, '-o', 'json']));
		if (ds.status?.observedGeneration >= ds.metadata.generation && ds.status?.numberAvailable === ds.status?.desiredNumberScheduled) return;
		if (Date.now() > deadline) throw new Error(`DaemonSet ${namespace}/${daemonSet} not available after minReadySeconds ${seconds}`);
		await sleep(250);
	}
}

/**
 * A kwok node with too little CPU for a Multus pod (the scenarios request 100m): the DaemonSet's pod for it stays
 * Pending (Insufficient cpu) and holds the rollout back. A node created with a status keeps it; kwok only adds
 * what is missing.
 */
export function createSmallNode(name: string): void {
	const small = {cpu: '50m', memory: '1Gi', pods: '110'};
	kubectl(['create', '-f', '-'], JSON.stringify({
		apiVersion: 'v1',
		kind: 'Node',
		metadata: {name, annotations: {'kwok.x-k8s.io/node': 'fake'}, labels: {type: 'kwok', 'kubernetes.io/hostname': name}},
		status: {allocatable: small, capacity: small},
	}));
}

export function deleteNode(name: string): void {
	kubectl(['delete', 'node', name, '--ignore-not-found']);
}

// ---- servers of our own on loopback

export interface LoopbackServer {
	url: string;
	/** Connections (or requests) received so far. */
	hits(): number;
	close(): Promise<void>;
}

/** A TCP server that accepts connections and never says a word: a hung API server, or a black-holing proxy. */
export async function silentServer(): Promise<LoopbackServer> {
	const sockets = new Set<net.Socket>();
	let hits = 0;
	const server = net.createServer(socket => {
		hits++;
		sockets.add(socket);
		socket.on('error', () => {});
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	return {
		url: `https://127.0.0.1:${port}`,
		hits: () => hits,
		close: () => new Promise(resolve => {
			for (const socket of sockets) socket.destroy();
			server.close(() => resolve());
		}),
	};
}

/** An HTTP server that is not Kubernetes: every path answers `status` with a small HTML page. */
export async function htmlServer(status = 404): Promise<LoopbackServer> {
	let hits = 0;
	const server = http.createServer((request, response) => {
		hits++;
		response.writeHead(status, {'content-type': 'text/html'});
		response.end(`<!doctype html><html><head><title>${status}</title></head><body><h1>Not here</h1><p>${request.url}</p></body></html>`);
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		hits: () => hits,
		close: () => new Promise(resolve => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

/** The test cluster's admin client certificate and its CA: what a test proxy talks to the API server with. */
export function adminTls(): {cert: Buffer; key: Buffer; ca: Buffer} {
	const pki = path.join(clusterDir, 'pki');
	return {cert: readFileSync(path.join(pki, 'admin.crt')), key: readFileSync(path.join(pki, 'admin.key')), ca: readFileSync(path.join(pki, 'ca.crt'))};
}

/**
 * Sends a request a test proxy received on to the API server at `target` (host:port), over TLS with `tls`
 * (certificates or an agent), and hands its answer to `onAnswer`; a failed upstream request drops the client's.
 */
export function forwardRequest(target: string, request: http.IncomingMessage, response: http.ServerResponse, tls: https.RequestOptions, onAnswer: (answer: http.IncomingMessage) => void): void {
	const [host = '127.0.0.1', port = '443'] = target.split(':');
	const upstream = https.request({host, port: Number(port), method: request.method, path: request.url, headers: {...request.headers, host: target}, ...tls}, onAnswer);
	upstream.on('error', () => response.destroy());
	request.pipe(upstream);
}

/**
 * An HTTPS proxy in front of the API server (at `target`, host:port) that answers the first `forward` requests and
 * then goes silent: later requests are accepted and never answered, on new and kept-alive connections alike
 * (the doctor reuses one connection, so the silence must be per request, not per connection). It terminates TLS
 * with the test cluster's own serving certificate (valid for 127.0.0.1, signed by the cluster CA) and talks to
 * the API server with the cluster's admin client certificate.
 */
export async function blackHoleAfter(target: string, forward: number): Promise<LoopbackServer> {
	const {cert, key, ca} = adminTls();
	const held = new Set<http.ServerResponse>();
	let hits = 0;
	const server = https.createServer({cert, key}, (request, response) => {
		hits++;
		if (hits > forward) {
			held.add(response);
			return;
		}
		forwardRequest(target, request, response, {cert, key, ca}, answer => {
			response.writeHead(answer.statusCode ?? 502, answer.headers);
			answer.pipe(response);
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port: local} = server.address() as net.AddressInfo;
	return {
		url: `https://127.0.0.1:${local}`,
		hits: () => hits,
		close: () => new Promise(resolve => {
			for (const response of held) response.destroy();
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

// ---- kubeconfigs broken in one way each

/** Writes `text` to a new kubeconfig file and returns its path. */
export function writeKubeconfig(text: string): string {
	const file = path.join(mkdtempSync(path.join(tmpdir(), 'kubeconfig-faults-')), 'config');
	writeFileSync(file, text);
	return file;
}

/** The test cluster's entry (server and CA) and its admin user entry, for kubeconfigs built around them. */
export function realCluster(): {server: string; certificateAuthority: string; adminUser: Record<string, unknown>} {
	const config = YAML.parse(readFileSync(kubeconfig, 'utf8')) as {
		clusters: Array<{cluster: {server: string; 'certificate-authority': string}}>;
		users: Array<{user: Record<string, unknown>}>;
	};
	const cluster = config.clusters[0]!.cluster;
	return {server: cluster.server, certificateAuthority: cluster['certificate-authority'], adminUser: config.users[0]!.user};
}

/** The cluster's admin credentials and CA, reaching the API server at `server` (a proxy or balancer in front of it). */
export function adminKubeconfigVia(server: string): string {
	const real = realCluster();
	return kubeconfigWith({server, 'certificate-authority': real.certificateAuthority}, real.adminUser);
}

/** A kubeconfig with one cluster, one user (any client-go user entry) and a current context using both. */
export function kubeconfigWith(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
	return writeKubeconfig(YAML.stringify({
		apiVersion: 'v1',
		kind: 'Config',
		clusters: [{name: 'faulty', cluster}],
		users: [{name: 'faulty-user', user}],
		contexts: [{name: 'faulty', context: {cluster: 'faulty', user: 'faulty-user'}}],
		'current-context': 'faulty',
	}));
}
