// More than the one API server of scripts/cluster, and what stands between the doctor and them: a second
// kube-apiserver on the cluster's etcd (an HA control plane, or one that serves watches from etcd itself), a TCP
// balancer that can cut every connection at once, an HTTPS proxy that lets a write land and loses its answer,
// etcd compaction, and the audit log that shows from the outside what the doctor asked.
import {type ChildProcess, spawn} from 'node:child_process';
import {closeSync, mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import {adminTls, clusterDir, component, forwardRequest, sleep} from './faults.js';

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

/** One line of a kube-apiserver audit log (Metadata level), the fields the tests read. */
export interface AuditEvent {
	auditID: string;
	stage: string;
	verb: string;
	requestURI: string;
	user: {username: string};
	userAgent?: string;
	objectRef?: {resource?: string; namespace?: string; name?: string};
	responseStatus?: {code?: number};
	requestReceivedTimestamp: string;
}

export interface ExtraApiserver {
	/** host:port, for a proxy in front of it. */
	address: string;
	url: string;
	/** Its audit log so far (stage ResponseComplete and ResponseStarted; RequestReceived is not logged). */
	audit(): AuditEvent[];
	/** SIGKILL, as a crash would; resolves once the process is gone. */
	kill(): Promise<void>;
	/** Stops it if it still runs (safe to call twice). */
	stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Whatever happens to the test process, its API servers go with it (scripts/cluster down also stops anything
// started from the cluster's directory, as these are).
process.on('exit', () => {
	for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts another kube-apiserver of the test cluster: the same binary, etcd, certificates and flags as the
 * cluster's own, on a port of its own, with an audit log of its own (Metadata level). `watchCache: false` makes
 * it serve every watch from etcd, so a watch from a compacted resourceVersion gets 410 Gone as etcd says, not
 * whatever the watch cache still holds. It does not compact etcd itself.
 */
export async function startExtraApiserver(options: {watchCache: boolean}): Promise<ExtraApiserver> {
	const {binary, args, workDir} = component('kube-apiserver');
	const port = await freePort();
	const dir = path.join(clusterDir, 'logs', `extra-apiserver-${port}`);
	mkdirSync(dir, {recursive: true});
	const policy = path.join(dir, 'audit-policy.yaml');
	writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
	const auditLog = path.join(dir, 'audit.log');
	writeFileSync(auditLog, '');
	const ownArgs = [
		...args.filter(arg => !/^--(secure-port|audit-)/.test(arg)),
		`--secure-port=${port}`,
		`--watch-cache=${options.watchCache}`,
		'--etcd-compaction-interval=0',
		`--audit-policy-file=${policy}`,
		`--audit-log-path=${auditLog}`,
	];
	const log = openSync(path.join(dir, 'kube-apiserver.log'), 'a');
	const child = spawn(binary, ownArgs, {cwd: workDir, stdio: ['ignore', log, log]});
	closeSync(log);
	running.add(child);
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	void exited.then(() => running.delete(child));
	const address = `127.0.0.1:${port}`;
	const server = {
		address,
		url: `https://${address}`,
		audit: () => readFileSync(auditLog, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line) as AuditEvent),
		async kill() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await exited;
		},
		stop: () => server.kill(),
	};
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`the extra kube-apiserver exited at once (see ${dir}/kube-apiserver.log)`);
		if ((await getStatus(`${server.url}/readyz`)) === 200) return server;
		if (Date.now() > deadline) {
			await server.stop();
			throw new Error(`the extra kube-apiserver is not ready after 60 s (see ${dir}/kube-apiserver.log)`);
		}
		await sleep(200);
	}
}

/** The HTTP status of a GET with the cluster's admin certificate, or undefined without an answer. */
function getStatus(url: string): Promise<number | undefined> {
	return new Promise(resolve => {
		const request = https.get(url, {...adminTls(), timeout: 2000}, response => {
			response.resume();
			resolve(response.statusCode);
		});
		request.on('timeout', () => request.destroy());
		request.on('error', () => resolve(undefined));
	});
}

/** The first line a watch at `url` (a path with its query) answers, parsed: what a client gets first. */
export function firstWatchEvent(server: string, pathAndQuery: string): Promise<{type: string; object: {code?: number; message?: string; metadata?: {resourceVersion?: string}}}> {
	return new Promise((resolve, reject) => {
		const request = https.get(`${server}${pathAndQuery}`, {...adminTls(), timeout: 10_000}, response => {
			let buffered = '';
			response.setEncoding('utf8');
			response.on('data', chunk => {
				buffered += chunk;
				const newline = buffered.indexOf('\n');
				if (newline < 0) return;
				request.destroy();
				resolve(JSON.parse(buffered.slice(0, newline)));
			});
		});
		request.on('timeout', () => request.destroy(new Error(`no watch event from ${pathAndQuery} in 10 s`)));
		request.on('error', reject);
	});
}

// ---- etcd, through its HTTP gateway on the client URL

function etcdUrl(): string {
	const arg = component('etcd').args.find(a => a.startsWith('--advertise-client-urls='));
	if (!arg) throw new Error('etcd has no --advertise-client-urls in kwok.yaml');
	return arg.split('=')[1]!.split(',')[0]!;
}

async function etcd(call: string, body: unknown): Promise<any> {
	const response = await fetch(`${etcdUrl()}/v3/${call}`, {method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000)});
	const answer = await response.json();
	if (!response.ok) throw new Error(`etcd ${call}: HTTP ${response.status} ${JSON.stringify(answer)}`);
	return answer;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** etcd's current revision: the newest resourceVersion there is. */
export async function etcdRevision(): Promise<number> {
	return Number((await etcd('kv/range', {key: base64('/kubectl-multus-test/'), count_only: true})).header.revision);
}

/** Writes a key outside the API server's /registry prefix (no object changes): moves the revision on by one. */
export async function etcdBump(): Promise<number> {
	return Number((await etcd('kv/put', {key: base64('/kubectl-multus-test/bump'), value: base64(String(Date.now()))})).header.revision);
}

/** Compacts etcd's history up to `revision`: watches from an older resourceVersion then get 410 Gone. */
export async function etcdCompact(revision: number): Promise<void> {
	await etcd('kv/compaction', {revision: String(revision), physical: true});
}

// ---- a TCP balancer: the doctor's connections, routed, counted and cut

export interface TcpBalancer {
	url: string;
	/** Connections routed to a backend (host:port): all so far, and those open now. */
	connections(backend: string): {total: number; open: number};
	/** Closes every open connection at once, both ends; with `hold`, new connections wait until release(). */
	cut(options?: {hold?: boolean}): void;
	release(): void;
	close(): Promise<void>;
}

/**
 * A TCP load balancer on loopback in front of `backends` (host:port), the first one preferred: each new
 * connection goes to the first backend that accepts it, the next ones only when it refuses (as a balancer with
 * backup servers does). With one backend it is a plain TCP proxy. TLS passes through untouched.
 */
export async function tcpBalancer(backends: string[]): Promise<TcpBalancer> {
	const stats = new Map(backends.map(backend => [backend, {total: 0, open: 0}]));
	const pairs = new Set<net.Socket>();
	const held: net.Socket[] = [];
	let holding = false;
	const route = (client: net.Socket, index = 0) => {
		const backend = backends[index];
		if (!backend || client.destroyed) {
			client.destroy();
			return;
		}
		const [host, port] = backend.split(':');
		const upstream = net.connect(Number(port), host);
		const refused = () => route(client, index + 1);
		upstream.once('error', refused);
		upstream.once('connect', () => {
			upstream.off('error', refused);
			const counts = stats.get(backend)!;
			counts.total++;
			counts.open++;
			pairs.add(client);
			pairs.add(upstream);
			const end = () => {
				if (pairs.delete(client)) counts.open--;
				pairs.delete(upstream);
				client.destroy();
				upstream.destroy();
			};
			for (const socket of [client, upstream]) {
				socket.on('error', end);
				socket.on('close', end);
			}
			client.pipe(upstream);
			upstream.pipe(client);
		});
	};
	const server = net.createServer(client => {
		client.on('error', () => client.destroy());
		if (holding) held.push(client);
		else route(client);
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	return {
		url: `https://127.0.0.1:${port}`,
		connections: backend => ({...(stats.get(backend) ?? {total: 0, open: 0})}),
		cut(options = {}) {
			holding = options.hold ?? false;
			for (const socket of pairs) socket.destroy();
		},
		release() {
			holding = false;
			for (const client of held.splice(0)) route(client);
		},
		close: () => new Promise(resolve => {
			for (const socket of [...pairs, ...held]) socket.destroy();
			server.close(() => resolve());
		}),
	};
}

// ---- an HTTPS proxy that loses one answer

export interface RequestSeen {
	method: string;
	url: string;
	/** forwarded: answered as usual; answer-lost: the server answered `status`, the doctor got a closed connection
	 * instead; request-lost: closed before anything reached the server. */
	fate: 'forwarded' | 'answer-lost' | 'request-lost';
	status: number | undefined;
}

export interface LosingProxy {
	url: string;
	/** Every request so far, in order. */
	requests(): RequestSeen[];
	close(): Promise<void>;
}

/**
 * An HTTPS proxy in front of the API server (`target`, host:port) that forwards every request, except the first
 * one `matches`: with `lose: 'answer'` that one is forwarded too, the server's whole answer read, and then the
 * client's connection closed instead of answering (the write landed, its answer is lost); with `lose: 'request'`
 * the connection is closed before anything is forwarded. It terminates TLS with the cluster's own serving
 * certificate (valid for 127.0.0.1, signed by the cluster CA, so the usual kubeconfig CA trusts it) and talks to
 * the API server with the cluster's admin client certificate.
 */
export async function losingProxy(target: string, matches: (method: string, url: string) => boolean, lose: 'answer' | 'request'): Promise<LosingProxy> {
	const {cert, key, ca} = adminTls();
	const seen: RequestSeen[] = [];
	let armed = true;
	// Its own connections upstream, closed with the proxy (kept-alive sockets would keep the test process alive).
	const agent = new https.Agent({keepAlive: true, cert, key, ca});
	const server = https.createServer({cert, key}, (request, response) => {
		const entry: RequestSeen = {method: request.method ?? '', url: request.url ?? '', fate: 'forwarded', status: undefined};
		seen.push(entry);
		const drop = armed && matches(entry.method, entry.url);
		if (drop) armed = false;
		if (drop && lose === 'request') {
			entry.fate = 'request-lost';
			request.socket.destroy();
			return;
		}
		forwardRequest(target, request, response, {agent}, answer => {
			entry.status = answer.statusCode;
			if (drop) {
				// Read the whole answer (the write is done), then close the doctor's connection without a word.
				answer.resume();
				answer.on('end', () => {
					entry.fate = 'answer-lost';
					request.socket.destroy();
				});
				return;
			}
			response.writeHead(answer.statusCode ?? 502, answer.headers);
			// A watch answers its headers at once and its events later: pass the headers on at once too.
			response.flushHeaders();
			answer.pipe(response);
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port: local} = server.address() as net.AddressInfo;
	return {
		url: `https://127.0.0.1:${local}`,
		requests: () => seen.map(entry => ({...entry})),
		close: () => new Promise(resolve => {
			server.closeAllConnections();
			server.close(() => resolve());
			agent.destroy();
		}),
	};
}
