// The real multus-daemon behind one thick Multus pod of the local cluster, run as a kubelet would run its container.
//
// Identity: a TokenRequest token for the pod's ServiceAccount, bound to the pod, and the cluster CA, in a directory
// bind-mounted over /var/run/secrets/kubernetes.io/serviceaccount inside the daemon's own mount namespace
// (`unshare -m`), so daemons with different identities run side by side and the host keeps only the empty mount
// point; KUBERNETES_SERVICE_HOST/PORT name the loopback apiserver, the rest of the environment is the container's
// (MULTUS_NODE_NAME from spec.nodeName). Config: the file the pod mounts from its ConfigMap at the daemon's -config
// path, every absolute path in it moved under the pod's directory (and the socket into a short one), metricsPort
// dropped (it would listen on every interface). Output: each stdout/stderr line appended in CRI format to the file
// `kubectl logs` reads. Lifetime: the daemon is its own process group, killed with the parent's death
// (setpriv --pdeathsig), stopped on the pod's deletion with SIGTERM then SIGKILL after the grace period (at most
// 10 s), restarted with the kubelet's back-off (10 s doubling to 5 min) when it exits on its own.
//
// Per-node certificates (`perNodeCertificate.enabled`): the bootstrap kubeconfig the config names is written with
// the pod's ServiceAccount token, the daemon asks for its system:multus:<node> client certificate with a CSR, and
// the supervisor approves it (scripts/multus-pods.ts); the controller-manager signs it with the cluster CA.
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import type {CoreV1Api} from '@kubernetes/client-node';
import {appendCri, mountedDaemonConfig, type MultusPod, type Stream} from './multus-pod.js';

export const serviceAccountMount = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface DaemonContext {
	core: CoreV1Api;
	apiserver: {host: string; port: string};
	caCert: string;
	/** Where this pod's files live: keep it short, the daemon's unix socket path must stay under 108 bytes. */
	dir: string;
	logFile: string;
	binary: string;
	version: string;
}

export interface DaemonStatus {
	namespace: string;
	name: string;
	uid: string;
	node: string;
	version: string;
	pid: number | null;
	startedAt: string | null;
	/** When the daemon's API answered on its socket (its "API readiness check done!", printed or not). */
	readyAt: string | null;
	restarts: number;
	perNodeCertificate: boolean;
}

const tokenSeconds = 3600;

export class RealDaemon {
	private child: ChildProcess | undefined;
	private stopping = false;
	private starting: Promise<void> | undefined;
	private restartTimer: NodeJS.Timeout | undefined;
	private tokenTimer: NodeJS.Timeout | undefined;
	private backoffMs = 10_000;
	readonly status: DaemonStatus;
	/** Resolves once the daemon's informers answered (a reflector error or warning), its API answers, or it exited. */
	readonly started: Promise<void>;
	private markStarted!: () => void;

	constructor(readonly pod: MultusPod, private readonly ctx: DaemonContext) {
		this.status = {
			namespace: pod.namespace, name: pod.name, uid: pod.uid, node: pod.node, version: ctx.version,
			pid: null, startedAt: null, readyAt: null, restarts: 0, perNodeCertificate: false,
		};
		this.started = new Promise(resolve => (this.markStarted = resolve));
	}

	private get saDir(): string {
		return path.join(this.ctx.dir, 'sa');
	}

	private get socketDir(): string {
		return path.join(this.ctx.dir, 'run');
	}

	/** A container path of the daemon config, moved under the pod's directory. */
	private moved(containerPath: string): string {
		return path.join(this.ctx.dir, 'root', containerPath);
	}

	/**
	 * Writes the pod's directory (token, config, status) and starts the daemon. A stop that comes meanwhile (the pod
	 * deleted right after it was bound) waits for this, so that nothing is written after the directory is removed.
	 */
	start(): Promise<void> {
		this.starting ??= this.prepareAndSpawn();
		return this.starting;
	}

	private async prepareAndSpawn(): Promise<void> {
		if (this.stopping) return;
		mkdirSync(this.saDir, {recursive: true});
		await this.writeToken();
		if (this.stopping) return;
		writeFileSync(path.join(this.saDir, 'ca.crt'), this.ctx.caCert);
		writeFileSync(path.join(this.saDir, 'namespace'), this.pod.namespace);
		const config = await this.writeConfig();
		if (this.stopping) return;
		this.writeStatus();
		this.tokenTimer = setInterval(() => void this.writeToken().catch(error => console.error(`token for ${this.key}: ${String(error)}`)), tokenSeconds * 800);
		this.tokenTimer.unref();
		this.spawn(config);
	}

	get key(): string {
		return `${this.pod.namespace}/${this.pod.name}`;
	}

	/** A token for the pod's ServiceAccount bound to the pod, as the kubelet projects it (refreshed at 80% of its life). */
	private async writeToken(): Promise<void> {
		const answer = await this.ctx.core.createNamespacedServiceAccountToken({name: this.pod.serviceAccount, namespace: this.pod.namespace, body: {
			apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
			spec: {audiences: [], expirationSeconds: tokenSeconds, boundObjectRef: {apiVersion: 'v1', kind: 'Pod', name: this.pod.name, uid: this.pod.uid}},
		}});
		const token = answer.status?.token;
		if (!token) throw new Error(`no token for ServiceAccount ${this.pod.namespace}/${this.pod.serviceAccount}`);
		// Replaced in one rename: the daemon's client re-reads the file and must never see it half written.
		const file = path.join(this.saDir, 'token');
		writeFileSync(`${file}.new`, token);
		renameSync(`${file}.new`, file);
	}

	/** The pod's daemon config with its paths moved under the pod's directory; the path the daemon is started with. */
	private async writeConfig(): Promise<string> {
		const file = path.join(this.ctx.dir, 'daemon-config.json');
		const text = await mountedDaemonConfig(this.ctx.core, this.pod);
		if (text === undefined) return file; // not written: the daemon fails to read it, as it would in the pod
		let config: Record<string, unknown>;
		try {
			config = JSON.parse(text) as Record<string, unknown>;
		} catch {
			writeFileSync(file, text); // the daemon says what is wrong with it
			return file;
		}
		config['socketDir'] ??= '/run/multus/';
		config['cniConfigDir'] ??= '/etc/cni/net.d';
		for (const [key, value] of Object.entries(config)) {
			if (key === 'socketDir') config[key] = `${this.socketDir}/`;
			else if (typeof value === 'string' && value.startsWith('/')) config[key] = this.moved(value);
		}
		delete config['metricsPort'];
		delete config['enablePprof'];
		const perNode = config['perNodeCertificate'] as Record<string, unknown> | undefined;
		if (perNode?.['enabled'] === true) {
			this.status.perNodeCertificate = true;
			for (const key of ['bootstrapKubeconfig', 'certDir']) {
				const value = perNode[key];
				if (typeof value === 'string' && value.startsWith('/')) perNode[key] = this.moved(value);
			}
			if (typeof perNode['bootstrapKubeconfig'] === 'string') this.writeBootstrapKubeconfig(perNode['bootstrapKubeconfig']);
			if (typeof perNode['certDir'] === 'string') mkdirSync(perNode['certDir'], {recursive: true});
		}
		for (const key of ['cniConfigDir', 'multusAutoconfigDir', 'confDir', 'chrootDir', 'binDir', 'cniDir']) {
			const value = config[key];
			if (typeof value === 'string') mkdirSync(value, {recursive: true});
		}
		// The node's primary CNI network, which the daemon's auto mode needs to generate its own config.
		const autoconfig = (config['multusAutoconfigDir'] ?? config['cniConfigDir']) as string;
		writeFileSync(path.join(autoconfig, '10-kwok.conflist'), JSON.stringify({cniVersion: '0.3.1', name: 'kwok', plugins: [{type: 'bridge'}]}));
		// A readiness indicator is the node's default network saying it is ready: it is.
		const indicator = config['readinessindicatorfile'];
		if (typeof indicator === 'string' && indicator) {
			mkdirSync(path.dirname(indicator), {recursive: true});
			writeFileSync(indicator, '');
		}
		writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
		return file;
	}

	/** The bootstrap credentials a node gives the daemon to ask for its certificate: here, the pod's own token. */
	private writeBootstrapKubeconfig(file: string): void {
		mkdirSync(path.dirname(file), {recursive: true});
		const server = `https://${this.ctx.apiserver.host}:${this.ctx.apiserver.port}`;
		writeFileSync(file, [
			'apiVersion: v1', 'kind: Config',
			// The CA inline: the daemon builds its per-node client from the bootstrap config's CA data, not a file.
			'clusters:', `- name: local`, '  cluster:', `    server: ${server}`, `    certificate-authority-data: ${Buffer.from(this.ctx.caCert).toString('base64')}`,
			'users:', '- name: bootstrap', '  user:', `    tokenFile: ${path.join(this.saDir, 'token')}`,
			'contexts:', '- name: bootstrap', '  context: {cluster: local, user: bootstrap}', 'current-context: bootstrap', '',
		].join('\n'));
	}

	private spawn(config: string): void {
		if (this.stopping) return;
		const env: NodeJS.ProcessEnv = {
			PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
			...this.pod.env,
			KUBERNETES_SERVICE_HOST: this.ctx.apiserver.host,
			KUBERNETES_SERVICE_PORT: this.ctx.apiserver.port,
		};
		const script = `mount --bind "$0" ${serviceAccountMount} && exec "$1" -config "$2"`;
		const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, this.saDir, this.ctx.binary, config], {
			cwd: this.ctx.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.child = child;
		this.status.pid = child.pid ?? null;
		this.status.startedAt = new Date().toISOString();
		this.status.readyAt = null;
		this.writeStatus();
		const forward = (stream: Stream) => (line: string) => {
			appendCri(this.ctx.logFile, [[stream, line]]);
			// A reflector's first answer (an error or warning from client-go): its informers have asked once.
			if (/^[EW]\d{4} /.test(line)) this.markStarted();
		};
		readline.createInterface({input: child.stdout!}).on('line', forward('stdout'));
		readline.createInterface({input: child.stderr!}).on('line', forward('stderr'));
		void this.waitReady(child);
		child.on('exit', (code, signal) => {
			if (this.child === child) this.child = undefined;
			this.status.pid = null;
			this.writeStatus();
			this.markStarted();
			if (this.stopping) return;
			// A container that exits is restarted by the kubelet, with a back-off that doubles up to 5 minutes.
			console.error(`${this.key}: multus-daemon exited (${signal ?? code}); restarting in ${this.backoffMs / 1000} s`);
			this.status.restarts++;
			this.restartTimer = setTimeout(() => this.spawn(config), this.backoffMs);
			this.backoffMs = Math.min(this.backoffMs * 2, 300_000);
		});
	}

	/** Polls the daemon's socket until its API answers (what its own "API readiness check" waits for). */
	private async waitReady(child: ChildProcess): Promise<void> {
		const socketPath = path.join(this.socketDir, 'multus.sock');
		while (this.child === child && !this.stopping) {
			const ok = await new Promise<boolean>(resolve => {
				const request = http.get({socketPath, path: '/healthz', timeout: 1000}, response => {
					response.resume();
					resolve(response.statusCode === 200);
				});
				request.on('error', () => resolve(false));
				request.on('timeout', () => request.destroy());
			});
			if (ok) {
				this.status.readyAt = new Date().toISOString();
				this.writeStatus();
				this.markStarted();
				return;
			}
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	private writeStatus(): void {
		try {
			writeFileSync(path.join(this.ctx.dir, 'status.json'), `${JSON.stringify(this.status)}\n`);
		} catch {
			// The directory is gone: the pod was deleted meanwhile.
		}
	}

	/** Stops the daemon as a kubelet stops a container: SIGTERM to its process group, SIGKILL after the grace period. */
	async stop(): Promise<void> {
		this.stopping = true;
		// Still writing its directory (a TokenRequest, the ConfigMap): it would write it again after the rmSync below,
		// leaving a status.json of a daemon that never ran (realDaemons() and scripts/cluster daemons list it).
		await this.starting?.catch(() => undefined);
		this.markStarted();
		clearTimeout(this.restartTimer);
		clearInterval(this.tokenTimer);
		const child = this.child;
		if (child?.pid && child.exitCode === null && child.signalCode === null) {
			const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
			const signal = (name: NodeJS.Signals) => {
				try {
					process.kill(-child.pid!, name);
				} catch {
					// Already gone.
				}
			};
			signal('SIGTERM');
			const grace = Math.min(this.pod.gracePeriodSeconds, 10) * 1000;
			const timer = setTimeout(() => signal('SIGKILL'), grace);
			await exited;
			clearTimeout(timer);
		}
		rmSync(this.ctx.dir, {recursive: true, force: true});
	}
}
