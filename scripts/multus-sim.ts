// The multus daemon's log output, simulated for the local cluster's fake (kwok) pods.
//
// kwok pods run no container, so this process plays the daemon's part in the logs: for every pod running a
// multus image it writes a CRI-format log file and a kwok `Logs` object pointing `kubectl logs` at it. What it
// writes follows the cluster's real RBAC, asked through SubjectAccessReview for the pod's ServiceAccount: while
// the thick daemon may not list (or watch) pods cluster-wide it logs the client-go reflector's forbidden error
// again and again with the reflector's backoff, in the format of the client-go its image tag shipped with
// (multus-facts.md section 3a); once allowed, it logs a successful informer sync and goes quiet, just as the
// real reflector recovers. Thin pods log the thin entrypoint's lines. A pod template annotation
// `kubectl-multus.test/extra-log` appends literal lines (for look-alike scenarios). A thick daemon whose mounted
// config enables per-node certificates ("perNodeCertificate": {"enabled": true}) is system:multus:<node> in group
// system:multus instead of its ServiceAccount, as the real daemon is.
import {appendFileSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {perNodeCertificateEnabled} from '../source/multus/discovery.js';
import {
	AuthorizationV1Api,
	CoreV1Api,
	CustomObjectsApi,
	KubeConfig,
	Watch,
	type V1Pod,
} from '@kubernetes/client-node';

const {values} = parseArgs({options: {kubeconfig: {type: 'string'}, dir: {type: 'string'}, tick: {type: 'string', default: '2000'}}});
const kc = new KubeConfig();
kc.loadFromFile(values.kubeconfig!);
const dir = values.dir!;
mkdirSync(dir, {recursive: true});
const authz = kc.makeApiClient(AuthorizationV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const tickMs = Number(values.tick);

type Format = 'klog-0.27' | 'klog-0.29' | 'klog-0.32' | 'klog-0.34';
interface SimPod {
	namespace: string;
	name: string;
	uid: string;
	node: string;
	file: string;
	thick: boolean;
	user: string;
	groups: string[];
	format: Format;
	nextErrorAt: number;
	backoffMs: number;
	synced: boolean;
	startedAt: number;
	syncFailureLogged: boolean;
}

const pods = new Map<string, SimPod>();

function formatFor(image: string): Format {
	if (/snapshot-thick|snapshot$|:v4\.0/.test(image)) return 'klog-0.27';
	if (/v4\.1|v4\.2\.[01]\b/.test(image)) return 'klog-0.29';
	if (/v4\.2\.[23]/.test(image)) return 'klog-0.32';
	return 'klog-0.34';
}

function klogHeader(level: 'E' | 'W' | 'I', at: Date, file: string): string {
	const pad = (n: number, w = 2) => String(n).padStart(w, '0');
	const micros = pad(at.getUTCMilliseconds() * 1000 + Math.floor(Math.random() * 1000), 6);
	return `${level}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${micros}   ${4000 + (at.getUTCSeconds() % 7)} ${file}]`;
}

function forbiddenLines(pod: SimPod, verb: 'list' | 'watch', at: Date): string[] {
	const err = `pods is forbidden: User "${pod.user}" cannot ${verb} resource "pods" in API group "" at the cluster scope`;
	const esc = err.replaceAll('"', '\\"');
	switch (pod.format) {
		case 'klog-0.27':
			if (verb === 'watch') return [`${klogHeader('E', at, 'reflector.go:148')} k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)`];
			return [
				`${klogHeader('W', at, 'reflector.go:533')} k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: ${err}`,
				`${klogHeader('E', at, 'reflector.go:148')} k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: failed to list *v1.Pod: ${err}`,
			];
		case 'klog-0.29':
			return [
				`${klogHeader('W', at, 'reflector.go:539')} k8s.io/client-go/informers/factory.go:159: failed to ${verb} *v1.Pod: ${err}`,
				`${klogHeader('E', at, 'reflector.go:147')} k8s.io/client-go/informers/factory.go:159: Failed to watch *v1.Pod: failed to ${verb} *v1.Pod: ${err}`,
			];
		case 'klog-0.32':
			return [
				`${klogHeader('W', at, 'reflector.go:569')} k8s.io/client-go/informers/factory.go:160: failed to ${verb} *v1.Pod: ${err}`,
				`${klogHeader('E', at, 'reflector.go:166')} "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to ${verb} *v1.Pod: ${esc}" logger="UnhandledError"`,
			];
		case 'klog-0.34':
			return [
				`${klogHeader('E', at, 'reflector.go:205')} "Failed to watch" err="failed to ${verb} *v1.Pod: ${esc}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Pod"`,
			];
	}
}

function criLine(at: Date, stream: 'stdout' | 'stderr', text: string): string {
	return `${at.toISOString().replace('Z', '000000Z').replace(/\.(\d{3})000000Z$/, '.$1000000Z')} ${stream} F ${text}\n`;
}

function rfc3339(at: Date): string {
	return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function write(pod: SimPod, lines: Array<[stream: 'stdout' | 'stderr', text: string]>, at = new Date()): void {
	appendFileSync(pod.file, lines.map(([stream, text]) => criLine(at, stream, text)).join(''));
}

const accessCache = new Map<string, {list: boolean; watch: boolean; at: number}>();
// A daemon that starts asks the API server afresh (its first list); retries share one answer per tick.
async function access(user: string, groups: string[], fresh = false): Promise<{list: boolean; watch: boolean}> {
	const cached = accessCache.get(user);
	if (!fresh && cached && Date.now() - cached.at < tickMs / 2) return cached;
	const ask = async (verb: string) =>
		(await authz.createSubjectAccessReview({body: {spec: {user, groups, resourceAttributes: {verb, resource: 'pods', group: ''}}}})).status?.allowed === true;
	const [list, watch] = await Promise.all([ask('list'), ask('watch')]);
	const answer = {list, watch, at: Date.now()};
	accessCache.set(user, answer);
	return answer;
}

/** The daemon config, inline in the command or in a mounted ConfigMap, enables per-node certificates. */
async function perNodeCertificates(pod: V1Pod, command: string): Promise<boolean> {
	if (perNodeCertificateEnabled(command)) return true;
	for (const volume of pod.spec?.volumes ?? []) {
		if (!volume.configMap?.name) continue;
		try {
			const cm = await core.readNamespacedConfigMap({namespace: pod.metadata!.namespace!, name: volume.configMap.name});
			if (Object.values(cm.data ?? {}).some(perNodeCertificateEnabled)) return true;
		} catch {
			// A missing ConfigMap keeps the pod from starting for real; here it just means no such setting.
		}
	}
	return false;
}

async function start(pod: V1Pod): Promise<void> {
	const meta = pod.metadata!;
	const key = `${meta.namespace}/${meta.name}`;
	if (pods.has(key) || meta.deletionTimestamp) return;
	const containers = pod.spec?.containers ?? [];
	const multus = containers.find(c => /multus/.test(c.image ?? ''));
	if (!multus) return;
	const command = [...(multus.command ?? []), ...(multus.args ?? [])].join(' ');
	const sa = pod.spec?.serviceAccountName ?? 'default';
	const file = path.join(dir, `${meta.namespace}_${meta.name}_${meta.uid}.log`);
	const sim: SimPod = {
		namespace: meta.namespace!, name: meta.name!, uid: meta.uid!, node: pod.spec?.nodeName ?? '', file,
		thick: /multus-daemon/.test(command) || (!/thin_entrypoint|entrypoint\.sh/.test(command) && /thick/.test(multus.image ?? '')),
		user: `system:serviceaccount:${meta.namespace}:${sa}`,
		groups: ['system:serviceaccounts', `system:serviceaccounts:${meta.namespace}`, 'system:authenticated'],
		format: formatFor(multus.image ?? ''),
		nextErrorAt: Number.POSITIVE_INFINITY, backoffMs: 800, synced: false, startedAt: Date.now(), syncFailureLogged: false,
	};
	pods.set(key, sim);
	if (sim.thick && (await perNodeCertificates(pod, command))) {
		sim.user = `system:multus:${sim.node}`;
		sim.groups = ['system:multus', 'system:authenticated'];
	}
	writeFileSync(file, '');
	const now = new Date();
	if (sim.thick) {
		write(sim, [
			['stderr', `${rfc3339(now)} [verbose] multus-daemon started`],
			['stderr', `${rfc3339(now)} [verbose] server configured with chroot: /hostroot`],
			['stderr', `${rfc3339(now)} [verbose] Filtering pod watch for node "${sim.node}"`],
			['stderr', `${rfc3339(now)} [verbose] API readiness check`],
			['stderr', `${rfc3339(now)} [verbose] API readiness check done!`],
			['stderr', `${rfc3339(now)} [verbose] Generated MultusCNI config: {"cniVersion":"0.3.1","name":"multus-cni-network","type":"multus-shim","logLevel":"verbose","logToStderr":true,"clusterNetwork":"/host/etc/cni/net.d/10-kwok.conflist"}`],
			['stderr', `${rfc3339(now)} [verbose] started to watch file /host/etc/cni/net.d/10-kwok.conflist`],
		], now);
	} else {
		write(sim, [
			['stdout', `${rfc3339(now)} Generating Multus configuration file using files in /host/etc/cni/net.d...`],
			['stdout', `${rfc3339(now)} Using MASTER_PLUGIN: 10-kwok.conflist`],
			['stdout', `${rfc3339(now)} Nested capabilities string: `],
			['stdout', `${rfc3339(now)} Using /host/etc/cni/net.d/00-multus.conf as a source to generate the Multus configuration`],
			['stdout', `${rfc3339(now)} Config file created @ /host/etc/cni/net.d/00-multus.conf`],
		], now);
	}
	const extra = pod.metadata?.annotations?.['kubectl-multus.test/extra-log'];
	if (extra) write(sim, extra.split('\n').filter(Boolean).map(line => ['stderr', line] as ['stderr', string]), now);
	try {
		await custom.createNamespacedCustomObject({
			group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'logs', namespace: sim.namespace,
			body: {
				apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Logs',
				metadata: {name: sim.name, namespace: sim.namespace, ownerReferences: [{apiVersion: 'v1', kind: 'Pod', name: sim.name, uid: sim.uid}]},
				spec: {logs: [{logsFile: file}]},
			},
		});
	} catch (error) {
		if ((error as {code?: number}).code !== 409) console.error(`Logs for ${key}: ${String(error)}`);
	}
	sim.nextErrorAt = 0; // the ticker leaves a pod alone until its identity is known and its first (fresh) step began
	await step(sim, true);
}

async function step(pod: SimPod, starting = false): Promise<void> {
	if (!pod.thick || pod.synced) return;
	const now = Date.now();
	if (now < pod.nextErrorAt) return;
	// One step at a time per pod: a tick during a daemon's first, fresh question must not answer it from the
	// cache, which holds the old pods' answer from before the role changed.
	pod.nextErrorAt = Number.POSITIVE_INFINITY;
	let allowed: {list: boolean; watch: boolean};
	try {
		allowed = await access(pod.user, pod.groups, starting);
	} catch (error) {
		pod.nextErrorAt = now + pod.backoffMs;
		throw error;
	}
	const at = new Date();
	if (allowed.list && allowed.watch) {
		pod.synced = true;
		write(pod, [['stderr', `${rfc3339(at)} [verbose] pod informer cache synced`]], at);
		return;
	}
	write(pod, forbiddenLines(pod, allowed.list ? 'watch' : 'list', at).map(line => ['stderr', line] as ['stderr', string]), at);
	if (!pod.syncFailureLogged && now - pod.startedAt > 20_000) {
		pod.syncFailureLogged = true;
		write(pod, [['stderr', `${rfc3339(at)} [error] failed to sync pod informer cache`]], at);
	}
	pod.backoffMs = Math.min(pod.backoffMs * 2, 30_000);
	pod.nextErrorAt = now + pod.backoffMs * (0.8 + Math.random() * 0.4);
}

function stop(pod: V1Pod): void {
	const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
	const sim = pods.get(key);
	if (!sim) return;
	pods.delete(key);
	rmSync(sim.file, {force: true});
}

let resourceVersion: string | undefined;
async function watchPods(): Promise<void> {
	const watch = new Watch(kc);
	await watch.watch(
		'/api/v1/pods',
		{allowWatchBookmarks: true, ...(resourceVersion ? {resourceVersion} : {})},
		(type: string, obj: V1Pod) => {
			if (type === 'BOOKMARK') {
				resourceVersion = obj.metadata?.resourceVersion;
				return;
			}
			if (type === 'ERROR') {
				resourceVersion = undefined;
				return;
			}
			resourceVersion = obj.metadata?.resourceVersion;
			if (type === 'DELETED' || obj.metadata?.deletionTimestamp) stop(obj);
			else if (obj.spec?.nodeName) void start(obj).catch(error => console.error(String(error)));
		},
		() => setTimeout(() => void watchPods(), 500),
	);
}

setInterval(() => {
	for (const pod of pods.values()) void step(pod).catch(error => console.error(String(error)));
}, tickMs).unref();
await watchPods();
console.log(`multus-sim watching pods; logs in ${dir}`);
setInterval(() => {}, 1 << 30);
