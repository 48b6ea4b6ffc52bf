// The multus daemon's output, simulated, for Multus pods no real daemon runs behind (scripts/multus-pods.ts): thin
// pods, thick releases without a built daemon, and every pod of a `--daemons sim` cluster (the 1000-node benchmark).
//
// What it writes follows the cluster's real RBAC, asked through SubjectAccessReview for the daemon's identity, and
// the shapes of the real daemons' lines (test/e2e/daemons.test.ts holds the two side by side): multus's own
// start-up lines when the daemon config logs to stderr; for each informer its release runs (pods filtered to the
// node, NetworkAttachmentDefinitions), while list or watch is denied the client-go reflector's forbidden error in
// the format of the release's client-go, again and again with the reflector's backoff, silence once allowed (the
// real reflector prints nothing on success); `[error] failed to sync <informer> informer cache` for an informer not
// synced 20 s after start, then the readiness lines, as the real daemon's start-up waits for each cache in turn.
// Thin pods log the thin entrypoint's lines. A pod template annotation `kubectl-multus.test/extra-log` appends
// literal lines (for look-alike scenarios). A daemon whose config enables per-node certificates is
// system:multus:<node> in group system:multus instead of its ServiceAccount, as the real daemon is.
import {rmSync} from 'node:fs';
import {AuthorizationV1Api, type CoreV1Api, type KubeConfig} from '@kubernetes/client-node';
import type {InformerName, MultusRelease} from '../source/multus/versions.js';
import {perNodeCertificateEnabled} from '../source/multus/discovery.js';
import {appendCri, mountedDaemonConfig, releaseOf, rfc3339, type MultusPod, type Stream} from './multus-pod.js';

/** The reflector's lines for one denied list or watch, by client-go minor (the one the release is built with). */
export function forbiddenLines(clientGo: string, informer: InformerName, user: string, verb: 'list' | 'watch', at: Date): string[] {
	const {type, resource, group, reflector} = informerShape(clientGo, informer);
	const err = `${resource}${group ? `.${group}` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" at the cluster scope`;
	const esc = err.replaceAll('"', '\\"');
	const minor = clientGoMinor(clientGo);
	if (minor < 29) {
		if (verb === 'watch' && informer === 'pod') return [`${klogHeader('E', at, 'reflector.go:148')} ${reflector}: Failed to watch ${type}: unknown (get pods)`];
		return [
			`${klogHeader('W', at, 'reflector.go:533')} ${reflector}: failed to ${verb} ${type}: ${err}`,
			`${klogHeader('E', at, 'reflector.go:148')} ${reflector}: Failed to watch ${type}: failed to ${verb} ${type}: ${err}`,
		];
	}
	if (minor < 32) {
		return [
			`${klogHeader('W', at, 'reflector.go:539')} ${reflector}: failed to ${verb} ${type}: ${err}`,
			`${klogHeader('E', at, 'reflector.go:147')} ${reflector}: Failed to watch ${type}: failed to ${verb} ${type}: ${err}`,
		];
	}
	if (minor < 34) {
		return [
			`${klogHeader('W', at, 'reflector.go:569')} ${reflector}: failed to ${verb} ${type}: ${err}`,
			`${klogHeader('E', at, 'reflector.go:166')} "Unhandled Error" err="${reflector}: Failed to watch ${type}: failed to ${verb} ${type}: ${esc}" logger="UnhandledError"`,
		];
	}
	return [
		`${klogHeader('E', at, minor < 35 ? 'reflector.go:205' : 'reflector.go:204')} "Failed to watch" err="failed to ${verb} ${type}: ${esc}" logger="UnhandledError" reflector="${reflector}" type="${type}"`,
	];
}

function clientGoMinor(clientGo: string): number {
	return Number(/^v0\.(\d+)/.exec(clientGo)?.[1] ?? 99);
}

/** The reflector's name is where its informer was started: the generated factory's Start, line by client-go. */
function informerShape(clientGo: string, informer: InformerName) {
	const minor = clientGoMinor(clientGo);
	if (informer === 'net-attach-def') {
		return {
			type: '*v1.NetworkAttachmentDefinition', resource: 'network-attachment-definitions', group: 'k8s.cni.cncf.io',
			reflector: 'github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/client/informers/externalversions/factory.go:117',
		};
	}
	const line = minor < 29 ? 150 : minor < 32 ? 159 : minor < 35 ? 160 : 161;
	return {type: '*v1.Pod', resource: 'pods', group: '', reflector: `k8s.io/client-go/informers/factory.go:${line}`};
}

function klogHeader(level: 'E' | 'W' | 'I', at: Date, file: string): string {
	const pad = (n: number, w = 2) => String(n).padStart(w, '0');
	const micros = pad(at.getUTCMilliseconds() * 1000 + Math.floor(Math.random() * 1000), 6);
	const pid = String(4000 + (at.getUTCSeconds() % 7)).padStart(7);
	return `${level}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${micros} ${pid} ${file}]`;
}

/** What the simulated daemon's config says about its own lines (upstream's thick ConfigMaps; none for thin). */
interface DaemonSettings {
	logToStderr: boolean;
	verbose: boolean;
	chrootDir: string | undefined;
	perNodeCertificate: boolean;
	autoconfigDir: string;
}

function settingsOf(config: string | undefined, commandLine: string): DaemonSettings {
	let parsed: Record<string, unknown> = {};
	try {
		parsed = config ? (JSON.parse(config) as Record<string, unknown>) : {};
	} catch {
		// Unreadable config: the defaults.
	}
	const level = String(parsed['logLevel'] ?? '');
	return {
		logToStderr: parsed['logToStderr'] === true,
		verbose: level === 'verbose' || level === 'debug',
		chrootDir: typeof parsed['chrootDir'] === 'string' ? parsed['chrootDir'] : undefined,
		perNodeCertificate: perNodeCertificateEnabled(commandLine) || (config !== undefined && perNodeCertificateEnabled(config)),
		autoconfigDir: String(parsed['multusAutoconfigDir'] ?? parsed['cniConfigDir'] ?? '/etc/cni/net.d'),
	};
}

interface InformerState {
	name: InformerName;
	synced: boolean;
	/** client-go's reflector backoff: 800 ms doubling to 30 s, each wait stretched by up to 100% jitter. */
	backoffMs: number;
	timer: NodeJS.Timeout | undefined;
}

const syncWaitMs = 20_000;

export interface SimulatorContext {
	core: CoreV1Api;
	kc: KubeConfig;
}

const accessCache = new Map<string, {allowed: boolean; at: number}>();
const accessCacheMs = 1000;

export class SimulatedDaemon {
	private readonly authz: AuthorizationV1Api;
	private release!: MultusRelease;
	private settings!: DaemonSettings;
	private user = '';
	private groups: string[] = [];
	private informers: InformerState[] = [];
	private startUpTimer: NodeJS.Timeout | undefined;
	private stopped = false;

	constructor(readonly pod: MultusPod, private readonly file: string, private readonly ctx: SimulatorContext) {
		this.authz = ctx.kc.makeApiClient(AuthorizationV1Api);
	}

	async start(): Promise<void> {
		const pod = this.pod;
		this.release = releaseOf(pod);
		this.settings = settingsOf(pod.thick ? await mountedDaemonConfig(this.ctx.core, pod) : undefined, pod.commandLine);
		this.user = `system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`;
		this.groups = ['system:serviceaccounts', `system:serviceaccounts:${pod.namespace}`, 'system:authenticated'];
		if (pod.thick && this.settings.perNodeCertificate) {
			this.user = `system:multus:${pod.node}`;
			this.groups = ['system:multus', 'system:authenticated'];
		}
		const now = new Date();
		if (pod.thick) {
			this.own(['multus-daemon started'], now);
			if (this.settings.perNodeCertificate) this.own(['Waiting for certificate', 'Certificate found!'], now);
			if (this.settings.chrootDir) this.own([`server configured with chroot: ${this.settings.chrootDir}`], now);
			if (pod.env['MULTUS_NODE_NAME']) this.own([`Filtering pod watch for node "${pod.env['MULTUS_NODE_NAME']}"`], now);
			this.informers = this.release.informers.map(name => ({name, synced: false, backoffMs: 800, timer: undefined}));
		} else {
			appendCri(this.file, [
				`Generating Multus configuration file using files in /host/etc/cni/net.d...`,
				`Using MASTER_PLUGIN: 10-kwok.conflist`,
				`Nested capabilities string: `,
				`Using /host/etc/cni/net.d/00-multus.conf as a source to generate the Multus configuration`,
				`Config file created @ /host/etc/cni/net.d/00-multus.conf`,
			].map(text => ['stdout', `${rfc3339(now)} ${text}`] as [Stream, string]), now);
		}
		const extra = pod.pod.metadata?.annotations?.['kubectl-multus.test/extra-log'];
		if (extra) appendCri(this.file, extra.split('\n').filter(Boolean).map(line => ['stderr', line] as [Stream, string]), now);
		if (!pod.thick) return;
		// Every informer lists at once (a daemon that starts asks afresh); start-up then waits for each in turn.
		await Promise.all(this.informers.map(informer => this.attempt(informer, true)));
		this.waitFor(0, Date.now());
	}

	/** multus's own log lines, when its config sends them to stderr (verbose ones only at verbose level). */
	private own(texts: string[], at: Date, level: 'verbose' | 'error' = 'verbose'): void {
		if (!this.settings.logToStderr || (level === 'verbose' && !this.settings.verbose)) return;
		appendCri(this.file, texts.map(text => ['stderr', `${rfc3339(at)} [${level}] ${text}`] as [Stream, string]), at);
	}

	/** One list by the informer's reflector: silent when allowed (and synced from then on), else its error and a retry. */
	private async attempt(informer: InformerState, fresh: boolean): Promise<void> {
		let list = false;
		let watch = false;
		try {
			[list, watch] = await Promise.all([this.allowed(informer.name, 'list', fresh), this.allowed(informer.name, 'watch', fresh)]);
		} catch (error) {
			console.error(`${this.pod.namespace}/${this.pod.name}: ${String(error)}`);
		}
		if (this.stopped) return;
		if (list && watch) {
			informer.synced = true;
			return;
		}
		const at = new Date();
		appendCri(this.file, forbiddenLines(this.release.clientGo, informer.name, this.user, list ? 'watch' : 'list', at).map(line => ['stderr', line] as [Stream, string]), at);
		const wait = informer.backoffMs * (1 + Math.random());
		informer.backoffMs = Math.min(informer.backoffMs * 2, 30_000);
		informer.timer = setTimeout(() => void this.attempt(informer, false), wait);
	}

	/**
	 * The daemon's start-up: it waits up to 20 s for each informer cache in turn (logging the ones that did not sync),
	 * then its API is ready.
	 */
	private waitFor(index: number, since: number): void {
		if (this.stopped) return;
		const informer = this.informers[index];
		if (!informer) {
			const at = new Date();
			this.own(['API readiness check', 'API readiness check done!'], at);
			const primary = `${this.settings.autoconfigDir}/10-kwok.conflist`;
			this.own([
				`Generated MultusCNI config: {"cniVersion":"0.3.1","logLevel":"verbose","logToStderr":true,"name":"multus-cni-network","clusterNetwork":"${primary}","type":"multus-shim"}`,
				`started to watch file ${primary}`,
			], at);
			return;
		}
		if (informer.synced) {
			this.waitFor(index + 1, Date.now());
			return;
		}
		if (Date.now() - since >= syncWaitMs) {
			this.own([`failed to sync ${informer.name === 'pod' ? 'pod' : 'net-attach-def'} informer cache`], new Date(), 'error');
			this.waitFor(index + 1, Date.now());
			return;
		}
		this.startUpTimer = setTimeout(() => this.waitFor(index, since), 100);
	}

	/** One SubjectAccessReview answer per identity, informer and verb a second; a daemon's first look asks afresh. */
	private async allowed(informer: InformerName, verb: string, fresh: boolean): Promise<boolean> {
		const key = `${this.user}|${informer}|${verb}`;
		const cached = accessCache.get(key);
		if (!fresh && cached && Date.now() - cached.at < accessCacheMs) return cached.allowed;
		const resourceAttributes = informer === 'pod'
			? {verb, resource: 'pods', group: ''}
			: {verb, resource: 'network-attachment-definitions', group: 'k8s.cni.cncf.io'};
		const review = await this.authz.createSubjectAccessReview({body: {spec: {user: this.user, groups: this.groups, resourceAttributes}}});
		const allowed = review.status?.allowed === true;
		accessCache.set(key, {allowed, at: Date.now()});
		return allowed;
	}

	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.startUpTimer);
		for (const informer of this.informers) clearTimeout(informer.timer);
		rmSync(this.file, {force: true});
	}
}
