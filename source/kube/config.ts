import {spawn, type ChildProcess, type SpawnOptions} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {KubeConfig, type User} from '@kubernetes/client-node';
import {formatDuration} from '../duration.js';
import {MultusError, usageError} from '../errors.js';
import type {ConnectionOptions} from '../options.js';
import {stopSignals} from '../signals.js';

/** Where we are connected and as whom, for the Connect step and the report. */
export interface ConnectionInfo {
	context: string;
	cluster: string;
	server: string;
	user: string;
	/** Impersonated identity (--as), if any. */
	impersonating: string | undefined;
	kubeconfigSource: string;
}

function configError(message: string, hint: string): MultusError {
	return new MultusError('Config', message, {hint});
}

/** A failure while preparing a request's credentials: the user's exec plugin, or a file the user entry names. */
function credentialError(error: unknown, userName: string, user: User | null): MultusError {
	if (error instanceof MultusError) return error;
	const reason = (error instanceof Error ? error.message : String(error)).trim() || 'no error message';
	if (user?.exec) {
		const command = [user.exec.command, ...(user.exec.args ?? [])].join(' ');
		return new MultusError('Unauthorized', `the credential plugin of kubeconfig user "${userName}" failed (${command}): ${reason}`, {
			cause: error,
			hint: 'log in again the way that plugin expects (kubectl get ns shows the same error), then retry',
		});
	}
	if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') {
		return configError(`cannot read a file named by kubeconfig user "${userName}": ${reason}`, 'fix the path in users[].user of the kubeconfig, or log in again');
	}
	return new MultusError('Unauthorized', `cannot prepare the credentials of kubeconfig user "${userName}": ${reason}`, {
		cause: error,
		hint: 'check users[].user in the kubeconfig (kubectl config view), or log in again',
	});
}

// Exec credential plugins: each runs in a process group of its own, bounded by --request-timeout, and is stopped
// (the whole group) when the run gets a signal and when it exits. A plugin that hangs must neither hold the run
// (SIGTERM printed "cancelling" and waited forever) nor outlive it (a second signal left it orphaned).
const runningPlugins = new Set<ChildProcess>();

/** Ends a plugin's process group; `reason` becomes the credential error (client-node rejects with a child's error). */
function stopPlugin(child: ChildProcess, reason: string | undefined): void {
	if (reason !== undefined) child.emit('error', new Error(reason));
	try {
		if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
	} catch {
		// Already gone.
	}
}

function onStopSignal(signal: NodeJS.Signals): void {
	for (const child of runningPlugins) stopPlugin(child, `stopped: kubectl-multus got ${signal} while the plugin ran`);
}

let exitHookInstalled = false;

/** client-node's ExecAuth runs plugins with `execFn` (child_process.spawn's signature): ours, bounded. */
function pluginSpawner(timeoutMs: number) {
	return (command: string, args: readonly string[] | undefined, options: SpawnOptions): ChildProcess => {
		const child = spawn(command, args ?? [], {...options, detached: true});
		if (!exitHookInstalled) {
			exitHookInstalled = true;
			process.on('exit', () => {
				for (const running of runningPlugins) stopPlugin(running, undefined);
			});
		}
		if (runningPlugins.size === 0) for (const signal of stopSignals) process.on(signal, onStopSignal);
		runningPlugins.add(child);
		const timer = timeoutMs > 0
			? setTimeout(() => stopPlugin(child, `it gave no credentials within ${formatDuration(timeoutMs)} (--request-timeout), so it was stopped`), timeoutMs)
			: undefined;
		child.once('close', () => {
			clearTimeout(timer);
			runningPlugins.delete(child);
			if (runningPlugins.size === 0) for (const signal of stopSignals) process.off(signal, onStopSignal);
		});
		return child;
	};
}

function kubeconfigFiles(options: Pick<ConnectionOptions, 'kubeconfig'>): {files: string[]; source: string} {
	if (options.kubeconfig !== undefined) {
		if (options.kubeconfig === '') throw usageError('--kubeconfig is empty', 'give the path of a kubeconfig file');
		return {files: [options.kubeconfig], source: `--kubeconfig ${options.kubeconfig}`};
	}
	const env = process.env['KUBECONFIG'];
	if (env) {
		const files = env.split(path.delimiter).filter(Boolean);
		return {files, source: `KUBECONFIG=${env}`};
	}
	return {files: [path.join(os.homedir(), '.kube', 'config')], source: '~/.kube/config'};
}

function unreadableKubeconfig(file: string, error: unknown): MultusError {
	const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
	return configError(`cannot read kubeconfig ${file}: ${reason}`, 'fix the file (kubectl config view shows what kubectl makes of it) or pass another --kubeconfig');
}

const parsedKubeconfigs = new Map<string, {clusters: KubeConfig['clusters']; users: KubeConfig['users']; contexts: KubeConfig['contexts']; currentContext: string}>();

/**
 * The kubeconfig as kubectl merges it: --kubeconfig, else KUBECONFIG (merged, first file wins for the same names and
 * for current-context), else ~/.kube/config, else the in-cluster config. Failures name the file and the fix.
 */
export function mergedKubeConfig(options: Pick<ConnectionOptions, 'kubeconfig'>): {kc: KubeConfig; source: string} {
	const {files, source} = kubeconfigFiles(options);
	const kc = new KubeConfig();
	const existing = files.filter(file => existsSync(file));
	if (existing.length === 0) {
		if (options.kubeconfig === undefined && process.env['KUBERNETES_SERVICE_HOST']) {
			kc.loadFromCluster();
		} else {
			throw configError(
				`no kubeconfig found (${source}: ${files.join(', ')} does not exist)`,
				'pass --kubeconfig PATH, set KUBECONFIG, or create ~/.kube/config (for the local demo cluster: npm run cluster kubeconfig)',
			);
		}
	} else {
		// Parsed once per process for the same files with the same text (a fleet connects once per context), each
		// caller still getting a KubeConfig of its own (loadKubeConfig changes it).
		const texts = existing.map(file => {
			try {
				return readFileSync(file, 'utf8');
			} catch (error) {
				throw unreadableKubeconfig(file, error);
			}
		});
		const key = createHash('sha256').update(JSON.stringify(existing.map(file => path.resolve(file)))).update(texts.join('\0')).digest('hex');
		const merged = parsedKubeconfigs.get(key);
		if (merged) {
			kc.loadFromOptions(structuredClone(merged));
			return {kc, source};
		}
		// Merge like kubectl: the first file to name a cluster, user or context wins, and the first current-context.
		const clusters: KubeConfig['clusters'] = [];
		const users: KubeConfig['users'] = [];
		const contexts: KubeConfig['contexts'] = [];
		let currentContext = '';
		for (const [index, file] of existing.entries()) {
			const one = new KubeConfig();
			try {
				one.loadFromString(texts[index]!);
				one.makePathsAbsolute(path.dirname(path.resolve(file)));
			} catch (error) {
				throw unreadableKubeconfig(file, error);
			}
			clusters.push(...one.clusters.filter(c => !clusters.some(taken => taken.name === c.name)));
			users.push(...one.users.filter(u => !users.some(taken => taken.name === u.name)));
			contexts.push(...one.contexts.filter(c => !contexts.some(taken => taken.name === c.name)));
			currentContext ||= one.currentContext;
		}
		kc.loadFromOptions({clusters, users, contexts, currentContext});
		const options = {clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext};
		parsedKubeconfigs.set(key, structuredClone(options));
	}
	return {kc, source};
}

/** A context of the merged kubeconfig, with the server its cluster names (empty when the cluster is not there). */
export interface KubeconfigContext {
	name: string;
	cluster: string;
	server: string;
	user: string;
}

/** Every context of the merged kubeconfig, in its order (what --all-contexts and --contexts choose from). */
export function kubeconfigContexts(options: Pick<ConnectionOptions, 'kubeconfig'>): {contexts: KubeconfigContext[]; source: string} {
	const {kc, source} = mergedKubeConfig(options);
	return {
		source,
		contexts: kc.getContexts().map(context => ({name: context.name, cluster: context.cluster, server: kc.getCluster(context.cluster)?.server ?? '', user: context.user})),
	};
}

/**
 * Builds a client-node KubeConfig exactly from kubectl's flags: --kubeconfig, else KUBECONFIG (merged, first
 * file wins), else ~/.kube/config; --context/--cluster/--user; --as/--as-group/--as-uid as impersonation headers;
 * --request-timeout on every non-watch request. Failures name the file or context and the fix.
 */
export function loadKubeConfig(options: ConnectionOptions): {kc: KubeConfig; info: ConnectionInfo} {
	const {kc, source} = mergedKubeConfig(options);

	const contextName = options.context ?? kc.getCurrentContext();
	if (options.context !== undefined && !kc.getContextObject(options.context)) {
		const known = kc.getContexts().map(c => c.name);
		throw configError(
			`context "${options.context}" not found in ${source}`,
			known.length ? `use one of: ${known.join(', ')}` : 'the kubeconfig has no contexts; create one with kubectl config set-context',
		);
	}
	if (!contextName && options.cluster === undefined) {
		throw configError(`${source} has no current context`, 'pass --context NAME, or run kubectl config use-context NAME');
	}
	const context = contextName ? kc.getContextObject(contextName) : null;
	const clusterName = options.cluster ?? context?.cluster;
	const userName = options.user ?? context?.user;
	if (options.cluster !== undefined && !kc.getCluster(options.cluster)) {
		throw configError(`cluster "${options.cluster}" not found in ${source}`, `use one of: ${kc.getClusters().map(c => c.name).join(', ') || '(none)'}`);
	}
	if (options.user !== undefined && !kc.getUser(options.user)) {
		throw configError(`user "${options.user}" not found in ${source}`, `use one of: ${kc.getUsers().map(u => u.name).join(', ') || '(none)'}`);
	}
	if (options.cluster !== undefined || options.user !== undefined) {
		const name = `kubectl-multus/${clusterName ?? ''}/${userName ?? ''}`;
		kc.addContext({name, cluster: clusterName ?? '', user: userName ?? '', namespace: context?.namespace});
		kc.setCurrentContext(name);
	} else if (contextName) {
		kc.setCurrentContext(contextName);
	}
	const cluster = kc.getCurrentCluster();
	if (!cluster?.server) {
		throw configError(`context "${contextName}" names cluster "${clusterName ?? ''}", which is not in ${source}`, 'fix the context (kubectl config get-contexts) or pass --cluster');
	}
	try {
		new URL(cluster.server);
	} catch {
		throw configError(`cluster "${cluster.name}" has an invalid server URL "${cluster.server}"`, 'fix clusters[].cluster.server in the kubeconfig');
	}
	if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
		// client-node refuses plain HTTP unless TLS verification is off (kubectl would send it); say so up front.
		throw configError(`cluster "${cluster.name}" has a plain-http server URL (${cluster.server}), which client-node refuses without insecure-skip-tls-verify`, 'use the https:// address of the API server (kubectl cluster-info shows it)');
	}

	const timeoutMs = options.requestTimeoutMs;
	// ExecAuth is not exported; it is the authenticator that runs commands (execFn).
	const authenticators = (kc as unknown as {authenticators?: {execFn?: unknown}[]}).authenticators ?? [];
	for (const authenticator of authenticators) if ('execFn' in authenticator) authenticator.execFn = pluginSpawner(timeoutMs);
	const apply = kc.applySecurityAuthentication.bind(kc);
	kc.applySecurityAuthentication = async context => {
		try {
			await apply(context);
		} catch (error) {
			throw credentialError(error, userName ?? '', kc.getCurrentUser());
		}
		if (options.as !== undefined) context.setHeaderParam('Impersonate-User', options.as);
		// One group only (flags.ts refuses a second --as-group): fetch folds repeated headers into one comma-joined
		// value that the API server would read as a single group name (client-node #2474).
		if (options.asGroup !== undefined) context.setHeaderParam('Impersonate-Group', options.asGroup);
		if (options.asUid !== undefined) context.setHeaderParam('Impersonate-Uid', options.asUid);
		// Watches build their own abort signal (and idle timeout); this only bounds ordinary requests.
		if (timeoutMs > 0 && new URL(context.getUrl()).searchParams.get('watch') !== 'true') context.setSignal(AbortSignal.timeout(timeoutMs));
	};
	if (timeoutMs > 0) {
		// An aborted fetch leaves undici's connection attempt (TCP and TLS handshake) running until undici's own 10 s
		// connect timeout, which keeps the process alive long after it reported the timeout: bound it by ours too.
		const dispatcherOptions = kc.createDispatcherOptions.bind(kc);
		kc.createDispatcherOptions = (cluster, agentOptions) => {
			const options = dispatcherOptions(cluster, agentOptions);
			if (options.type === 'agent' || options.type === 'proxy') return {...options, connect: {...options.connect, timeout: timeoutMs}};
			if (options.type === 'none') return {type: 'agent', connect: {keepAlive: true, keepAliveInitialDelay: 30_000, timeout: timeoutMs}};
			return options;
		};
	}
	// client-node 2.0 builds a new undici Agent (so a new TCP+TLS connection) for every request; one doctor run would
	// open a dozen. Reuse one per set of TLS credentials: same pool, keep-alive, far fewer handshakes.
	type CreateDispatcher = (cluster: {server?: string} | null, agentOptions: object) => unknown; // private in client-node
	const internals = kc as unknown as {createDispatcher: CreateDispatcher};
	// The TLS material of the kubeconfig (ca, client certificate and key, files or data) read once per KubeConfig, as
	// kubectl builds its transport once: client-node reads and decodes the files again for every request.
	type ApplyHttps = (opts: Record<string, unknown>) => void; // private in client-node
	const https = kc as unknown as {applyHTTPSOptions: ApplyHttps};
	const applyHttps = https.applyHTTPSOptions.bind(kc);
	const tlsMaterial = new Map<string, Record<string, unknown>>();
	https.applyHTTPSOptions = opts => {
		const key = `${kc.getCurrentCluster()?.name ?? ''}\0${kc.getCurrentUser()?.name ?? ''}`;
		let applied = tlsMaterial.get(key);
		if (!applied) {
			applied = {};
			applyHttps(applied);
			tlsMaterial.set(key, applied);
		}
		const {headers, ...rest} = applied as {headers?: Record<string, string>};
		Object.assign(opts, rest);
		if (headers) opts['headers'] = {...(opts['headers'] as Record<string, string> | undefined), ...headers};
	};
	// Compared, not encoded: this runs for every request, and base64 of the CA, certificate and key each time cost more
	// CPU than the rest of the credentials' handling.
	const dispatchers: Array<{material: unknown[]; dispatcher: unknown}> = [];
	const createDispatcher = internals.createDispatcher.bind(kc);
	const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
	internals.createDispatcher = (cluster, agentOptions) => {
		const material = [cluster?.server, ...['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'].map(key => (agentOptions as Record<string, unknown>)[key])];
		let entry = dispatchers.find(known => known.material.every((value, index) => same(value, material[index])));
		if (!entry) dispatchers.push((entry = {material, dispatcher: createDispatcher(cluster, agentOptions)}));
		return entry.dispatcher;
	};
	return {
		kc,
		info: {
			context: contextName || '(none)',
			cluster: cluster.name,
			server: cluster.server,
			user: userName ?? '(none)',
			impersonating: options.as,
			kubeconfigSource: source,
		},
	};
}
