// Helpers for scripts/bench-run.mjs: timed child processes, /proc sampling, a byte-counting TCP proxy, a
// DaemonSet watcher, the apiserver's audit log, and a pty session through util-linux `script`.
// Everything measures from outside the tool: nothing here imports the tool's code.
import {spawn, execFileSync} from 'node:child_process';
import {readFileSync, readdirSync, openSync, readSync, closeSync, fstatSync, rmSync} from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {parse} from 'yaml';

/** Milliseconds since the epoch, sub-millisecond: comparable with the audit log's microsecond timestamps. */
export const now = () => performance.timeOrigin + performance.now();

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

export function median(values) {
	const sorted = values.filter(v => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
	if (sorted.length === 0) return null;
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const load = () => os.loadavg().map(v => Math.round(v * 100) / 100);

export function log(message) {
	const t = new Date().toISOString().slice(11, 19);
	process.stderr.write(`[bench ${t} load ${load()[0]}] ${message}\n`);
}

/**
 * Runs a command under /usr/bin/time: wall time from spawn to exit (measured here), user/system CPU and peak
 * RSS (from the kernel's rusage, via time). Resolves with stdout and the exit code; never rejects on a code.
 */
export function timed(command, args, {env = process.env, input, cwd, onStdout, onSpawn} = {}) {
	const report = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
	return new Promise((resolve, reject) => {
		const start = now();
		const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', report, command, ...args], {env, cwd, stdio: ['pipe', 'pipe', 'pipe']});
		onSpawn?.(child);
		const out = [];
		const err = [];
		child.stdout.on('data', chunk => {
			out.push(chunk);
			onStdout?.(now(), chunk);
		});
		child.stderr.on('data', chunk => err.push(chunk));
		child.on('error', reject);
		child.stdin.end(input ?? '');
		child.on('exit', code => {
			const ms = now() - start;
			let userS = null, sysS = null, rssKB = null;
			try {
				const line = readFileSync(report, 'utf8').trim().split('\n').pop();
				[, userS, sysS, rssKB] = line.split(' ').map(Number);
				rmSync(report, {force: true});
			} catch {}
			resolve({pid: child.pid, ms, code, userS, sysS, cpuS: userS + sysS, rssKB, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), start, end: start + ms});
		});
	});
}

export function run(command, args, options = {}) {
	return execFileSync(command, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, ...options});
}

const clockTicks = Number(run('getconf', ['CLK_TCK']).trim()) || 100;

/** CPU seconds (user+system) and RSS of a live process, or undefined once it is gone. */
export function procStat(pid) {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = key => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
		return {t: now(), cpuS: (Number(fields[11]) + Number(fields[12])) / clockTicks, rssKB: kb('VmRSS'), hwmKB: kb('VmHWM'), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim()};
	} catch {
		return undefined;
	}
}

/** The fraction of CPU time the whole machine spent idle over the next `ms` milliseconds (from /proc/stat). */
export async function machineIdle(ms = 3000) {
	const read = () => {
		const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
		return {idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0)};
	};
	const a = read();
	await sleep(ms);
	const b = read();
	return (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** Descendant pids of `root` (including itself), from /proc. */
export function descendants(root) {
	const parent = new Map();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
		} catch {}
	}
	const found = [root];
	for (let grew = true; grew;) {
		grew = false;
		for (const [pid, ppid] of parent) {
			if (found.includes(ppid) && !found.includes(pid)) {
				found.push(pid);
				grew = true;
			}
		}
	}
	return found;
}

/** Samples a process every `everyMs` until it exits or stop() is called. */
export function sampler(pid, everyMs = 25) {
	const samples = [];
	const timer = setInterval(() => {
		const sample = procStat(pid);
		if (sample) samples.push(sample);
		else clearInterval(timer);
	}, everyMs);
	return {samples, stop: () => clearInterval(timer)};
}

/** CPU seconds a sampled process spent between two instants (nearest samples at or before each). */
export function cpuBetween(samples, from, to) {
	const at = t => {
		let best;
		for (const sample of samples) if (sample.t <= t) best = sample;
		return best ?? samples[0];
	};
	const a = at(from), b = at(to);
	return a && b ? Math.max(0, b.cpuS - a.cpuS) : null;
}

/** A loopback TCP proxy to host:port that counts the bytes each way (TLS passes through untouched). */
export async function byteProxy(host, port, {delayMs = 0} = {}) {
	let down = 0, up = 0, connections = 0;
	// delayMs holds every chunk that long each way (a round trip of twice that), in order: a network's latency.
	const later = (write, chunk) => (delayMs > 0 ? setTimeout(() => write(chunk), delayMs) : write(chunk));
	const server = net.createServer(client => {
		connections++;
		const upstream = net.connect(port, host);
		client.on('data', chunk => {
			up += chunk.length;
			later(data => upstream.write(data), chunk);
		});
		upstream.on('data', chunk => {
			down += chunk.length;
			later(data => client.write(data), chunk);
		});
		client.on('end', () => later(() => upstream.end()));
		upstream.on('end', () => later(() => client.end()));
		client.on('error', () => upstream.destroy());
		upstream.on('error', () => client.destroy());
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	});
	await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
	return {
		port: server.address().port,
		/** The counts since the last take(), then zero. */
		take() {
			const counts = {down, up, connections};
			down = up = connections = 0;
			return counts;
		},
		close: () => new Promise(resolve => server.close(resolve)),
	};
}

/** The admin kubeconfig of the local cluster, with its files read: server, CA, client cert and key. */
export function readKubeconfig(file) {
	const config = parse(readFileSync(file, 'utf8'));
	const context = config.contexts.find(c => c.name === config['current-context']).context;
	const cluster = config.clusters.find(c => c.name === context.cluster).cluster;
	const user = config.users.find(u => u.name === context.user).user;
	return {
		server: cluster.server,
		caFile: cluster['certificate-authority'],
		certFile: user['client-certificate'],
		keyFile: user['client-key'],
		ca: readFileSync(cluster['certificate-authority']),
		cert: readFileSync(user['client-certificate']),
		key: readFileSync(user['client-key']),
	};
}

/** A kubeconfig for `server` with this CA and client certificate. */
export function kubeconfigYaml({server, caFile, certFile, keyFile, name}) {
	return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster: {server: '${server}', certificate-authority: '${caFile}'}
users:
- name: ${name}
  user: {client-certificate: '${certFile}', client-key: '${keyFile}'}
contexts:
- name: ${name}
  context: {cluster: ${name}, user: ${name}}
current-context: ${name}
`;
}

/** GET (or another method) against the API server with the admin credentials; resolves with the JSON body. */
export function api(kube, method, urlPath, body) {
	const url = new URL(urlPath, kube.server);
	return new Promise((resolve, reject) => {
		const request = https.request(url, {
			agent: false,
			method,
			ca: kube.ca,
			cert: kube.cert,
			key: kube.key,
			headers: body ? {'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'} : {},
		}, response => {
			const chunks = [];
			response.on('data', chunk => chunks.push(chunk));
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString();
				if (response.statusCode >= 300) reject(new Error(`${method} ${urlPath}: ${response.statusCode} ${text.slice(0, 300)}`));
				else resolve(JSON.parse(text));
			});
		});
		request.on('error', reject);
		request.end(body ? JSON.stringify(body) : undefined);
	});
}

/** kubectl rollout status's rule for a DaemonSet (anchors.md §1.1). */
export function rolloutDone(ds) {
	const status = ds.status ?? {};
	const desired = status.desiredNumberScheduled ?? 0;
	return (ds.metadata.generation ?? 0) <= (status.observedGeneration ?? 0)
		&& (status.updatedNumberScheduled ?? 0) >= desired
		&& (status.numberAvailable ?? 0) >= desired;
}

/**
 * The third watcher: a raw watch on one DaemonSet (fieldSelector, like kubectl rollout status), recording
 * when it sees each generation and the first complete status of a generation above `fromGeneration`.
 */
export async function watchDaemonSet(kube, namespace, name, fromGeneration) {
	const base = `/apis/apps/v1/namespaces/${namespace}/daemonsets?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
	const list = await api(kube, 'GET', base);
	const state = {
		generationAt: undefined, // when it first saw generation > fromGeneration
		completeAt: undefined, // when it first saw that generation rolled out
		events: 0,
		listeners: [],
	};
	const seen = ds => {
		state.events++;
		const t = now();
		if (!state.generationAt && (ds.metadata.generation ?? 0) > fromGeneration) {
			state.generationAt = t;
			for (const listener of state.listeners) listener('generation', t);
		}
		if (state.generationAt && !state.completeAt && rolloutDone(ds)) {
			state.completeAt = t;
			for (const listener of state.listeners) listener('complete', t);
		}
	};
	for (const ds of list.items) seen(ds);
	const url = new URL(`${base}&watch=1&resourceVersion=${list.metadata.resourceVersion}`, kube.server);
	const request = https.get(url, {agent: false, ca: kube.ca, cert: kube.cert, key: kube.key}, response => {
		let buffer = '';
		response.on('data', chunk => {
			buffer += chunk;
			let newline;
			while ((newline = buffer.indexOf('\n')) >= 0) {
				const line = buffer.slice(0, newline);
				buffer = buffer.slice(newline + 1);
				if (!line.trim()) continue;
				const event = JSON.parse(line);
				if (event.type === 'ADDED' || event.type === 'MODIFIED') seen(event.object);
			}
		});
	});
	request.on('error', () => {});
	state.on = listener => state.listeners.push(listener);
	state.stop = () => request.destroy();
	return state;
}

/** Audit events appended to `file` since `offset` whose line contains one of `needles`; and the new offset. */
export function readAudit(file, offset, needles) {
	const fd = openSync(file, 'r');
	try {
		const size = fstatSync(fd).size;
		const events = [];
		let position = offset;
		let rest = '';
		const chunk = Buffer.alloc(8 << 20);
		while (position < size) {
			const read = readSync(fd, chunk, 0, Math.min(chunk.length, size - position), position);
			if (read <= 0) break;
			position += read;
			const lines = (rest + chunk.toString('utf8', 0, read)).split('\n');
			rest = lines.pop();
			for (const line of lines) if (needles.some(needle => line.includes(needle))) events.push(JSON.parse(line));
		}
		// A half-written last line is read again next time.
		return {events, offset: position - Buffer.byteLength(rest)};
	} finally {
		closeSync(fd);
	}
}

export const auditTime = timestamp => Date.parse(timestamp.slice(0, 23) + 'Z') + Number(`0.${timestamp.slice(23, 26).padEnd(3, '0')}`);

/** verb resource[/subresource], e.g. "get pods/log", "list daemonsets", "create subjectaccessreviews". */
export function requestKey(event) {
	const ref = event.objectRef;
	if (!ref) return `${event.verb} ${event.requestURI.split('?')[0]}`;
	return `${event.verb} ${ref.resource}${ref.subresource ? `/${ref.subresource}` : ''}`;
}

/** One request per audit ID (a watch logs ResponseStarted and ResponseComplete). */
export function uniqueRequests(events) {
	const byId = new Map();
	for (const event of events) if (!byId.has(event.auditID) || event.stage === 'ResponseComplete') byId.set(event.auditID, event);
	return [...byId.values()];
}

export function countBy(events, key = requestKey) {
	const counts = {};
	for (const event of events) counts[key(event)] = (counts[key(event)] ?? 0) + 1;
	return Object.fromEntries(Object.entries(counts).sort());
}

/** Requests that read every pod of a namespace or the cluster: a pods list or watch with no selector. */
export function unfilteredPodReads(events) {
	return events.filter(event => event.objectRef?.resource === 'pods' && !event.objectRef.subresource && !event.objectRef.name
		&& (event.verb === 'list' || event.verb === 'watch') && !/[?&](labelSelector|fieldSelector)=/.test(event.requestURI));
}

// eslint-disable-next-line no-control-regex
const ansi = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;
export const stripAnsi = text => text.replace(ansi, '');

/**
 * Runs `command` in a pseudo-terminal of rows x cols through `script`, records every output chunk with its
 * arrival time, and types `answer` once `prompt` shows. Resolves when the session ends.
 */
export function ptySession(command, {rows = 50, cols = 120, env, prompt = '[y/N]', answer = 'y', onChunk} = {}) {
	const environment = {...env, TERM: 'xterm-256color'};
	delete environment.CI; // any CI variable, even empty, makes Ink render only the last frame
	const child = spawn('script', ['-q', '-f', '-e', '-c', `stty rows ${rows} cols ${cols}; exec ${command}`, '/dev/null'], {env: environment, stdio: ['pipe', 'pipe', 'pipe']});
	const chunks = [];
	let text = '';
	let answeredAt;
	const session = new Promise((resolve, reject) => {
		child.stdout.on('data', data => {
			const t = now();
			chunks.push({t, data});
			if (answeredAt === undefined) {
				text = (text + stripAnsi(data.toString('utf8'))).slice(-4000);
				if (text.includes(prompt)) {
					answeredAt = now();
					child.stdin.write(answer);
				}
			}
			onChunk?.(t, data);
		});
		child.stderr.on('data', () => {});
		child.on('error', reject);
		child.on('exit', code => {
			child.stdin.destroy();
			resolve({code, chunks, answeredAt, end: now()});
		});
	});
	return {pid: child.pid, session};
}

/**
 * Frames in a recorded Ink session: Ink wraps each frame in the synchronized-output pair ESC[?2026h ... ESC[?2026l
 * (one write per frame), so each opening marks one frame; its time is the arrival of the chunk that carried it.
 */
export function frames(chunks) {
	const open = '\u001B[?2026h', close = '\u001B[?2026l';
	const all = [];
	let text = '';
	const offsets = [];
	for (const {t, data} of chunks) {
		offsets.push({at: text.length, t});
		text += data.toString('utf8');
	}
	const timeAt = index => {
		let t = offsets[0]?.t;
		for (const offset of offsets) if (offset.at <= index) t = offset.t;
		return t;
	};
	let index = text.indexOf(open);
	while (index >= 0) {
		const next = text.indexOf(open, index + open.length);
		const end = text.indexOf(close, index);
		const body = text.slice(index + open.length, end >= 0 && (next < 0 || end < next) ? end : next >= 0 ? next : text.length);
		all.push({t: timeAt(index), bytes: Buffer.byteLength(body), text: stripAnsi(body)});
		index = next;
	}
	return all;
}

/** Mean and peak frames per second in [from, to] (peak: the most frames in any 1-second window). */
export function frameRate(list, from, to) {
	const inside = list.filter(frame => frame.t >= from && frame.t <= to).map(frame => frame.t);
	let peak = 0;
	for (let i = 0, j = 0; j < inside.length; j++) {
		while (inside[j] - inside[i] >= 1000) i++;
		peak = Math.max(peak, j - i + 1);
	}
	const seconds = (to - from) / 1000;
	return {frames: inside.length, seconds, mean: seconds > 0 ? inside.length / seconds : null, peak};
}
